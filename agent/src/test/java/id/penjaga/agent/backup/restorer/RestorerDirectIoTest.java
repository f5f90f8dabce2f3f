package id.penjaga.agent.backup.restorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.io.DirectIo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restores of large files past the page cache, and where the target's file system refuses that. */
class RestorerDirectIoTest {
  private static final char[] PASSWORD = "kata sandi".toCharArray();
  private static final Set<String> DIRECT_FILE_SYSTEMS = Set.of("ext4", "ext3", "xfs", "btrfs");
  @TempDir Path tmp;
  Path source;
  Path repoDir;
  Snapshot snapshot;

  @BeforeEach
  void setUp() throws IOException {
    assumeTrue(
        DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(tmp).type()),
        "the temporary directory is not on a disk file system");
    source = Files.createDirectories(tmp.resolve("file"));
    Random r = new Random(11);
    write("paket/penawaran.pdf", random(r, 9_000_001)); // several chunks, an odd length
    write("paket/dokumen-kualifikasi.zip", random(r, (1 << 20) + 1)); // just past the bound
    write("paket/berita-acara.pdf", random(r, (1 << 20) - 1)); // just under it
    write("paket/rab.xlsx", "Rencana Anggaran Biaya;".repeat(90_000).getBytes(StandardCharsets.UTF_8));
    write("kosong.txt", new byte[0]);
    repoDir = tmp.resolve("repo");
    Repository.init(new LocalBackend(repoDir), PASSWORD, 1 << 10, Clock.systemUTC()).close();
    try (Repository repo = open(); Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      snapshot = a.backup(source, "uploads", null, null, List.of(), "test").snapshot();
    }
  }

  private void write(String rel, byte[] content) throws IOException {
    Path p = source.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, content);
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private Repository open() throws IOException {
    return Repository.open(new LocalBackend(repoDir), PASSWORD, Clock.systemUTC());
  }

  private void assertSameFiles(Path target) throws IOException {
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path back = target.resolve(source.relativize(f).toString());
        assertThat(Files.readAllBytes(back)).as("restored %s", back).isEqualTo(Files.readAllBytes(f));
        assertThat(Files.getLastModifiedTime(back)).isEqualTo(Files.getLastModifiedTime(f));
      }
    }
  }

  @Test
  void largeFilesAndTheirChunksGoPastThePageCache() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "fincore (util-linux) is not installed");
    Path target = tmp.resolve("restore");
    DirectIo[] used = new DirectIo[1];
    try (Repository repo = open()) {
      Restorer.Result res =
          new Restorer(repo, 2, () -> used[0] = DirectIo.forOneFileSystem()).restore(snapshot, target, List.of());
      assertThat(res.files()).isEqualTo(5);
    }
    assertSameFiles(target);
    // Read back above, so only what the restore wrote counts: look before reading again.
    assertThat(used[0].directWrites()).as("files written with direct I/O").isEqualTo(3); // 1 MiB or more
    Path fresh = tmp.resolve("again");
    try (Repository repo = open()) {
      new Restorer(repo, 2).restore(snapshot, fresh, List.of());
    }
    assertThat(cachedBytes(fresh.resolve("paket/penawaran.pdf"))).as("restored 9 MB in the page cache").isZero();
    assertThat(cachedBytes(fresh.resolve("paket/dokumen-kualifikasi.zip"))).isZero();
    assertThat(cachedBytes(fresh.resolve("paket/berita-acara.pdf"))).as("a smaller file, through the cache").isPositive();
    long packs = 0;
    long cached = 0;
    try (Stream<Path> files = Files.walk(repoDir.resolve("data"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        packs += Files.size(p);
        cached += cachedBytes(p);
      }
    }
    // The large chunks (most of the data) were read past the cache; small blobs through it.
    assertThat(cached).as("pack bytes in the page cache of %d", packs).isLessThan(packs / 4);
  }

  @Test
  void checkReadsTheDataPacksPastThePageCache() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "fincore (util-linux) is not installed");
    try (Repository repo = open()) {
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
    }
    long packs = 0;
    long cached = 0;
    try (Stream<Path> files = Files.walk(repoDir.resolve("data"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        packs += Files.size(p);
        cached += cachedBytes(p);
      }
    }
    // Only the small pack of directory listings (which every backup reads again) is cached.
    assertThat(cached).as("pack bytes in the page cache of %d", packs).isLessThan(packs / 10);
  }

  @Test
  void whereTheTargetRefusesDirectIoFilesAreWrittenTheOrdinaryWay() throws Exception {
    Path target = tmp.resolve("restore");
    DirectIo refusing = DirectIo.misalignedForTest();
    try (Repository repo = open()) {
      Restorer.Result res = new Restorer(repo, 2, () -> refusing).restore(snapshot, target, List.of());
      assertThat(res.files()).isEqualTo(5);
      assertThat(res.errors()).isEmpty();
    }
    assertSameFiles(target);
    assertThat(refusing.enabled()).as("direct I/O still tried after a refusal").isFalse();
    assertThat(refusing.directWrites()).isZero();
  }

  private static long cachedBytes(Path file) throws Exception {
    Process p =
        new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return Long.parseLong(out);
  }
}
