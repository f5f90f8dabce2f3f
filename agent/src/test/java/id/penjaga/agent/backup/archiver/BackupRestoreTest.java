package id.penjaga.agent.backup.archiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Pruner;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryException;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.repository.Tree;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole backups and restores on real files, compared byte for byte. */
class BackupRestoreTest {
  static final char[] PASSWORD = "kata sandi".toCharArray();
  @TempDir Path tmp;
  Path source;
  Path repoDir;
  Repository repo;

  @BeforeEach
  void setUp() throws Exception {
    source = Files.createDirectories(tmp.resolve("file"));
    repoDir = tmp.resolve("repo");
    repo = Repository.init(new LocalBackend(repoDir), PASSWORD, 1 << 10, Clock.systemUTC());
    repo.close();
    Random r = new Random(42);
    write("paket/2026/penawaran-001.pdf", random(r, 3_000_000));
    write("paket/2026/penawaran-002.pdf", random(r, 12_500_000)); // several chunks
    write("paket/2026/salinan-001.pdf", Files.readAllBytes(source.resolve("paket/2026/penawaran-001.pdf")));
    write("paket/2026/rab.xlsx", "Rencana Anggaran Biaya;".repeat(40_000).getBytes(StandardCharsets.UTF_8));
    write("paket/kosong.txt", new byte[0]);
    write("paket/catatan.tmp", "temporary".getBytes(StandardCharsets.UTF_8));
    write("pengumuman/Pengumuman Lelang (final).docx", random(r, 70_000));
    Files.createDirectories(source.resolve("kosong/dalam"));
    Files.createSymbolicLink(source.resolve("pengumuman/terbaru.docx"), Path.of("Pengumuman Lelang (final).docx"));
    Files.setPosixFilePermissions(source.resolve("paket/2026/rab.xlsx"), PosixFilePermissions.fromString("rw-r-----"));
    Files.setLastModifiedTime(source.resolve("paket/2026/rab.xlsx"), FileTime.from(Instant.parse("2025-01-02T03:04:05.123456Z")));
  }

  void write(String rel, byte[] content) throws IOException {
    Path p = source.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, content);
  }

  static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  Repository open() throws IOException {
    return Repository.open(new LocalBackend(repoDir), PASSWORD, Clock.systemUTC());
  }

  Archiver.Result backup(Snapshot parent) throws IOException {
    try (Repository r = open(); Archiver a = new Archiver(r, new ArchiveOptions(List.of("*.tmp"), false), 2)) {
      return a.backup(source, "uploads", parent, null, List.of(), "test");
    }
  }

  /** Every entry below a directory: relative path → type, size, mode, mtime, content hash or link target. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "link->" + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          out.put(rel, "dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        } else {
          out.put(
              rel,
              "file " + Files.size(p) + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                  + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant()
                  + " " + java.util.Arrays.hashCode(Files.readAllBytes(p)));
        }
      }
    }
    return out;
  }

  @Test
  void fullBackupRestoresByteIdentical() throws Exception {
    Archiver.Result r = backup(null);
    assertThat(r.errors()).isEmpty();
    Snapshot s = r.snapshot();
    assertThat(s.summary().filesNew()).isEqualTo(6); // the .tmp file is excluded
    Path target = tmp.resolve("restore");
    try (Repository repo = open()) {
      Restorer.Result res = new Restorer(repo).restore(s, target, List.of());
      assertThat(res.files()).isEqualTo(6);
      assertThat(res.symlinks()).isEqualTo(1);
    }
    Map<String, String> expected = describe(source);
    expected.remove("paket/catatan.tmp");
    assertThat(describe(target)).isEqualTo(expected);
    // The duplicate was stored once.
    try (Repository repo = open()) {
      long[] sum = {0};
      repo.forEachIndexEntry(b -> sum[0] += b.rawLength());
      long dataBytes = sum[0];
      assertThat(dataBytes).isLessThan(3_000_000L + 12_500_000 + 70_000 + 1_000_000);
    }
  }

  @Test
  void incrementalBackupsReadOnlyWhatChanged() throws Exception {
    Snapshot first = backup(null).snapshot();
    Snapshot second = backup(first).snapshot();
    assertThat(second.summary().filesUnchanged()).isEqualTo(6);
    assertThat(second.summary().filesNew() + second.summary().filesChanged()).isZero();
    assertThat(second.summary().bytesRead()).isZero();
    assertThat(second.summary().bytesAdded()).isZero();
    assertThat(second.tree()).isEqualTo(first.tree());

    // Change one file in the middle (one chunk of several), add one.
    try (RandomAccessFile f = new RandomAccessFile(source.resolve("paket/2026/penawaran-002.pdf").toFile(), "rw")) {
      f.seek(6_000_000);
      f.write("revisi".getBytes(StandardCharsets.UTF_8));
    }
    write("paket/2026/penawaran-003.pdf", random(new Random(3), 200_000));
    Snapshot third = backup(second).snapshot();
    assertThat(third.summary().filesChanged()).isEqualTo(1);
    assertThat(third.summary().filesNew()).isEqualTo(1);
    assertThat(third.summary().filesUnchanged()).isEqualTo(5);
    assertThat(third.summary().bytesRead()).isEqualTo(12_500_000L + 200_000);
    // Content-defined chunks: the edit costs a couple of chunks, not the whole 12.5 MB file.
    assertThat(third.summary().bytesAdded()).isLessThan(200_000L + 4_500_000);

    Path target = tmp.resolve("restore3");
    try (Repository repo = open()) {
      new Restorer(repo).restore(third, target, List.of());
    }
    Map<String, String> expected = describe(source);
    expected.remove("paket/catatan.tmp");
    assertThat(describe(target)).isEqualTo(expected);
  }

  @Test
  void listingsLoadedAheadServeTheirOwnDirectoriesOnly() throws Exception {
    // More subdirectories than the walk loads ahead, some excluded, one replaced by a file before
    // the second backup: every listing the walk takes must be the one of its own directory.
    for (int i = 0; i < 40; i++) {
      write(String.format("banyak/paket-%02d/dokumen.pdf", i), ("isi " + i).getBytes(StandardCharsets.UTF_8));
      if (i % 9 == 0) {
        write(String.format("banyak/sementara-%02d.tmp/catatan.txt", i), "x".getBytes(StandardCharsets.UTF_8));
      }
    }
    Snapshot first = backup(null).snapshot();
    long files = first.summary().filesNew();
    assertThat(files).isEqualTo(6 + 40);

    Path replaced = source.resolve("banyak/paket-17");
    Files.delete(replaced.resolve("dokumen.pdf"));
    Files.delete(replaced);
    Files.write(replaced, "sekarang berkas".getBytes(StandardCharsets.UTF_8));
    Snapshot second = backup(first).snapshot();
    assertThat(second.summary().filesUnchanged()).isEqualTo(files - 1);
    assertThat(second.summary().filesNew()).isEqualTo(1);
    assertThat(second.summary().bytesRead()).isEqualTo("sekarang berkas".length());

    Path target = tmp.resolve("restore-banyak");
    try (Repository repo = open()) {
      new Restorer(repo).restore(second, target, List.of());
    }
    Map<String, String> expected = describe(source);
    expected.keySet().removeIf(k -> k.contains(".tmp"));
    assertThat(describe(target)).isEqualTo(expected);
  }

  @Test
  void partialRestoreTakesOnlyThePathsAsked() throws Exception {
    Snapshot s = backup(null).snapshot();
    Path target = tmp.resolve("partial");
    try (Repository repo = open()) {
      new Restorer(repo).restore(s, target, List.of("paket/2026/rab.xlsx", "/pengumuman/"));
      assertThatThrownBy(() -> new Restorer(repo).restore(s, tmp.resolve("none"), List.of("tidak/ada")))
          .hasMessageContaining("no path");
    }
    assertThat(Files.readAllBytes(target.resolve("paket/2026/rab.xlsx")))
        .isEqualTo(Files.readAllBytes(source.resolve("paket/2026/rab.xlsx")));
    assertThat(target.resolve("paket/2026/penawaran-001.pdf")).doesNotExist();
    assertThat(target.resolve("pengumuman/Pengumuman Lelang (final).docx")).exists();
    assertThat(Files.isSymbolicLink(target.resolve("pengumuman/terbaru.docx"))).isTrue();
  }

  @Test
  void aFileChangingWhileReadIsReportedNotStoredSilently() throws Exception {
    Path growing = source.resolve("log-berjalan.bin");
    Files.write(growing, random(new Random(1), 40_000_000));
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              try (var out = Files.newOutputStream(growing, java.nio.file.StandardOpenOption.APPEND)) {
                while (!stop.get()) {
                  out.write(1);
                  out.flush();
                  Thread.sleep(1);
                }
              } catch (Exception e) {
                // the test ends
              }
            });
    writer.start();
    try {
      Archiver.Result r = backup(null);
      assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains("log-berjalan.bin").contains("changed while being read"));
      assertThat(r.snapshot().summary().errors()).isGreaterThanOrEqualTo(1);
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void directoriesRemovedWhileTheWalkRunsAreLeftOutNotFatal() throws Exception {
    // Two walks run at once (one hands a subdirectory to the other): a directory that vanishes
    // between its parent's listing and its own is left out, whichever walk meets it. Chains of
    // directories are made and removed all the while, so backups meet them half gone; at the top,
    // named to come first, they are the ones the walk hands over.
    Path churn = source;
    AtomicBoolean stop = new AtomicBoolean();
    Thread remover =
        new Thread(
            () -> {
              Random r = new Random();
              while (!stop.get()) {
                Path top = churn.resolve("a" + r.nextInt(8));
                Path deep = top.resolve("a/b/c/d/e");
                try {
                  Files.createDirectories(deep);
                  for (Path p = deep; !p.equals(churn); p = p.getParent()) {
                    Files.deleteIfExists(p);
                  }
                } catch (IOException e) {
                  // the other end of the race: made or removed meanwhile, go on
                }
              }
            });
    remover.start();
    try {
      Snapshot parent = null;
      for (int round = 0; round < 60; round++) {
        Archiver.Result r = backup(parent);
        assertThat(r.snapshot().summary().filesUnchanged()).isEqualTo(parent == null ? 0 : 6);
        parent = r.snapshot();
      }
    } finally {
      stop.set(true);
      remover.join();
    }
  }

  @Test
  void specialFilesAreLeftOutWithANote() throws Exception {
    Process p = new ProcessBuilder("mkfifo", source.resolve("antrian").toString()).start();
    assertThat(p.waitFor()).isZero();
    Archiver.Result r = backup(null);
    assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains("antrian").contains("special file"));
  }

  @Test
  void flippedBytesAreFoundByCheckAndOtherFilesStillRestore() throws Exception {
    Snapshot s = backup(null).snapshot();
    try (Repository repo = open()) {
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
      // Damage the pack holding the big file's third chunk.
      var tree = repo.loadTree(BlobId.parse(s.tree()));
      Node paket = tree.nodes().stream().filter(n -> n.name().equals("paket")).findFirst().orElseThrow();
      Node y2026 = repo.loadTree(BlobId.parse(paket.subtree())).nodes().stream().filter(n -> n.name().equals("2026")).findFirst().orElseThrow();
      Node big = repo.loadTree(BlobId.parse(y2026.subtree())).nodes().stream().filter(n -> n.name().equals("penawaran-002.pdf")).findFirst().orElseThrow();
      var where = repo.find(BlobId.parse(big.content().get(2))).orElseThrow();
      Path pack = repoDir.resolve(FileKind.PACK.path(where.pack()));
      try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
        f.seek(where.offset() + 100);
        int b = f.read();
        f.seek(where.offset() + 100);
        f.write(b ^ 0xFF);
      }
    }
    try (Repository repo = open()) {
      Checker.Result structure = new Checker(repo).check(0, 1);
      assertThat(structure.ok()).as("structure alone cannot see content damage").isTrue();
      Checker.Result full = new Checker(repo).check(100, 1);
      assertThat(full.ok()).isFalse();
      assertThat(full.damagedFiles()).anySatisfy(f -> assertThat(f).contains("/paket/2026/penawaran-002.pdf"));
      Path target = tmp.resolve("after-damage");
      new Restorer(repo).restore(s, target, List.of("paket/2026/rab.xlsx"));
      assertThat(Files.readAllBytes(target.resolve("paket/2026/rab.xlsx")))
          .isEqualTo(Files.readAllBytes(source.resolve("paket/2026/rab.xlsx")));
      assertThatThrownBy(() -> new Restorer(repo).restore(s, tmp.resolve("bad"), List.of("paket/2026/penawaran-002.pdf")))
          .isInstanceOf(RepositoryException.class)
          .hasMessageContaining("damaged");
    }
  }

  @Test
  void aDamagedPackHeaderAndAMissingPackNameTheirFiles() throws Exception {
    Snapshot s = backup(null).snapshot();
    String headerPack;
    String missingPack;
    java.util.Map<Node, Boolean> inMissing = new java.util.HashMap<>();
    try (Repository repo = open()) {
      var tree = repo.loadTree(BlobId.parse(s.tree()));
      Node paket = tree.nodes().stream().filter(n -> n.name().equals("paket")).findFirst().orElseThrow();
      Node y2026 = repo.loadTree(BlobId.parse(paket.subtree())).nodes().stream().filter(n -> n.name().equals("2026")).findFirst().orElseThrow();
      List<Node> files = repo.loadTree(BlobId.parse(y2026.subtree())).nodes();
      Node big = files.stream().filter(n -> n.name().equals("penawaran-002.pdf")).findFirst().orElseThrow();
      // one of the big file's packs, not one holding the listings on its path, goes missing
      java.util.Set<String> treePacks = new java.util.HashSet<>();
      for (String t : List.of(s.tree(), paket.subtree(), y2026.subtree())) {
        treePacks.add(repo.find(BlobId.parse(t)).orElseThrow().pack());
      }
      missingPack = big.content().stream().map(c -> repo.find(BlobId.parse(c)).orElseThrow().pack())
          .filter(p -> !treePacks.contains(p)).findFirst().orElseThrow();
      headerPack = repo.backend().list(FileKind.PACK).stream().filter(p -> !p.equals(missingPack))
          .findFirst().orElseThrow();
      for (Node n : files) {
        if (n.isFile()) {
          inMissing.put(n, n.content().stream()
              .anyMatch(c -> repo.find(BlobId.parse(c)).orElseThrow().pack().equals(missingPack)));
        }
      }
    }
    // The header is sealed at the pack's end, before its 4-byte length: flip a byte in it.
    Path pack = repoDir.resolve(FileKind.PACK.path(headerPack));
    try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
      f.seek(f.length() - 10);
      int b = f.read();
      f.seek(f.length() - 10);
      f.write(b ^ 0x01);
    }
    Files.delete(repoDir.resolve(FileKind.PACK.path(missingPack)));
    try (Repository repo = open()) {
      Checker.Result structure = new Checker(repo).check(0, 1);
      assertThat(structure.errors()).anySatisfy(e -> assertThat(e).contains("pack " + missingPack + " is listed in the index but missing"));
      // a file is named exactly when one of its chunks was in the missing pack
      assertThat(structure.damagedFiles()).anySatisfy(f -> assertThat(f).contains("/paket/2026/penawaran-002.pdf"));
      for (Node n : inMissing.keySet()) {
        assertThat(structure.damagedFiles().stream().anyMatch(f -> f.endsWith("/paket/2026/" + n.name())))
            .as(n.name()).isEqualTo(inMissing.get(n));
      }
      Checker.Result full = new Checker(repo).check(100, 1);
      assertThat(full.errors()).anySatisfy(e -> assertThat(e).contains("pack " + headerPack + " has a damaged header"));
      // a damaged header does not damage the blobs: those the index places in the pack are read
      // and verified through the index (they open), so no more files are named
      assertThat(full.damagedFiles()).isEqualTo(structure.damagedFiles());
      assertThat(full.packsRead()).isEqualTo(full.packs());
      assertThat(full.blobs()).isPositive();
    }
  }

  @Test
  void maliciousNamesInASnapshotAreRefusedAndNothingEscapes() throws Exception {
    for (String evil : List.of("..", "../escaped", "/etc/passwd-copy", "a/../../b", "")) {
      Snapshot s;
      try (Repository repo = open()) {
        byte[] data = "pwned".getBytes(StandardCharsets.UTF_8);
        BlobId blob = repo.saveBlob(id.penjaga.agent.backup.repository.BlobType.DATA, data, 0, data.length).id();
        Node node = new Node(evil, Node.FILE, 0644, 0, 0, null, null, 0, 0L, 1L, 1L, 5L, List.of(blob.hex()), null, null, null);
        BlobId tree = repo.saveTree(new Tree(List.of(node)));
        repo.flush();
        s = repo.saveSnapshot(new Snapshot(null, Instant.now().toString(), "h", "evil", "/", tree.hex(), null, List.of(), null, "t", null));
      }
      Path target = tmp.resolve("target-" + Math.abs(evil.hashCode()));
      try (Repository repo = open()) {
        assertThatThrownBy(() -> new Restorer(repo).restore(s, target, List.of()))
            .as(evil)
            .isInstanceOf(RepositoryException.class)
            .hasMessageContaining("not a safe file name");
      }
      assertThat(tmp.resolve("escaped")).doesNotExist();
      assertThat(Path.of("/etc/passwd-copy")).doesNotExist();
    }
  }

  @Test
  void aSymlinkInTheSnapshotCannotRedirectLaterWrites() throws Exception {
    // A hostile snapshot: "d" is a link to outside, and "d/x" a file; restoring must not write through it.
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Snapshot s;
    try (Repository repo = open()) {
      byte[] data = "pwned".getBytes(StandardCharsets.UTF_8);
      BlobId blob = repo.saveBlob(id.penjaga.agent.backup.repository.BlobType.DATA, data, 0, data.length).id();
      Node x = new Node("x", Node.FILE, 0644, 0, 0, null, null, 0, 0L, 1L, 1L, 5L, List.of(blob.hex()), null, null, null);
      BlobId sub = repo.saveTree(new Tree(List.of(x)));
      Node link = new Node("d", Node.SYMLINK, 0777, 0, 0, null, null, 0, null, null, null, null, null, null, null, outside.toString());
      Node dir = new Node("d", Node.DIR, 0755, 0, 0, null, null, 0, null, null, null, null, null, null, sub.hex(), null);
      BlobId tree = repo.saveTree(new Tree(List.of(link, dir)));
      repo.flush();
      s = repo.saveSnapshot(new Snapshot(null, Instant.now().toString(), "h", "evil", "/", tree.hex(), null, List.of(), null, "t", null));
    }
    try (Repository repo = open()) {
      assertThatThrownBy(() -> new Restorer(repo).restore(s, tmp.resolve("t"), List.of()))
          .isInstanceOf(RepositoryException.class);
    }
    try (Stream<Path> st = Files.list(outside)) {
      assertThat(st.toList()).isEmpty();
    }
  }

  @Test
  void pruneAfterForgettingFreesSpaceAndKeepsTheRest() throws Exception {
    Snapshot first = backup(null).snapshot();
    Files.delete(source.resolve("paket/2026/penawaran-002.pdf"));
    write("paket/2026/baru.pdf", random(new Random(9), 5_000_000));
    Snapshot second = backup(first).snapshot();
    long before = sizeOf(repoDir);
    try (Repository repo = open()) {
      repo.removeSnapshot(first.id());
      Pruner.Result p = new Pruner(repo).prune();
      assertThat(p.bytesFreed()).isGreaterThan(10_000_000L);
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
      Path target = tmp.resolve("after-prune");
      new Restorer(repo).restore(second, target, List.of());
      Map<String, String> expected = describe(source);
      expected.remove("paket/catatan.tmp");
      assertThat(describe(target)).isEqualTo(expected);
    }
    assertThat(sizeOf(repoDir)).isLessThan(before - 10_000_000L);
  }

  static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      long total = 0;
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        total += Files.size(p);
      }
      return total;
    }
  }

  static List<String> names(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }
}
