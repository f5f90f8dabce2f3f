package id.penjaga.agent.backup.archiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup disk fills up mid-backup (a 24 MiB tmpfs): the backup fails with a clear error,
 * leaves no snapshot, and the snapshots already there still check and restore.
 */
class FullDiskTest {
  static final char[] PASSWORD = "penuh".toCharArray();
  @TempDir Path tmp;
  Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void aFullDiskFailsTheBackupCleanlyAndKeepsWhatWasThere() throws Exception {
    Path m = Files.createDirectories(tmp.resolve("usb"));
    boolean root = "root".equals(System.getProperty("user.name"));
    int rc = root ? new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", m.toString()).start().waitFor() : 1;
    if (System.getenv("CI") != null) {
      assertThat(rc).as("CI runs as root and can mount a tmpfs").isZero();
    }
    assumeTrue(rc == 0, "needs root to mount a small tmpfs");
    mount = m;

    Path source = Files.createDirectories(tmp.resolve("file"));
    Random r = new Random(5);
    write(source.resolve("awal.pdf"), r, 4_000_000);
    try (Repository repo = Repository.init(new LocalBackend(m.resolve("repo")), PASSWORD, 1 << 10, Clock.systemUTC())) {
      // nothing else: the repository exists
    }
    Snapshot first;
    try (Repository repo = open(m); Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      first = a.backup(source, "uploads", null, null, List.of(), "t").snapshot();
    }
    for (int i = 0; i < 5; i++) {
      write(source.resolve("besar-" + i + ".pdf"), r, 8_000_000);
    }
    try (Repository repo = open(m); Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      assertThatThrownBy(() -> a.backup(source, "uploads", first, null, List.of(), "t"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("No space left on device")
          .hasMessageContaining(m.toString());
    }
    try (Repository repo = open(m)) {
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(first.id());
      Checker.Result check = new Checker(repo).check(100, 1);
      assertThat(check.errors()).isEmpty();
      new Restorer(repo).restore(first, tmp.resolve("back"), List.of());
    }
    assertThat(Files.readAllBytes(tmp.resolve("back/awal.pdf"))).isEqualTo(Files.readAllBytes(source.resolve("awal.pdf")));
    try (var files = Files.walk(m)) {
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList())
          .as("no half-written file left behind")
          .isEmpty();
    }
  }

  static Repository open(Path m) throws IOException {
    return Repository.open(new LocalBackend(m.resolve("repo")), PASSWORD, Clock.systemUTC());
  }

  static void write(Path p, Random r, int n) throws IOException {
    byte[] b = new byte[n];
    r.nextBytes(b);
    Files.write(p, b);
  }
}
