package id.penjaga.agent.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.backup.backend.LocalBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
  static final int FAST_SCRYPT = 1 << 10;
  static final char[] PASSWORD = "correct horse".toCharArray();
  @TempDir Path dir;

  Repository init() throws Exception {
    return Repository.init(new LocalBackend(dir), PASSWORD, FAST_SCRYPT, Clock.systemUTC());
  }

  @Test
  void blobsRoundTripDeduplicateAndSurviveReopening() throws Exception {
    byte[] text = "Dokumen penawaran ".repeat(10_000).getBytes(StandardCharsets.UTF_8);
    byte[] noise = new byte[300_000];
    new Random(7).nextBytes(noise);
    BlobId a;
    BlobId b;
    try (Repository repo = init()) {
      Repository.Saved s1 = repo.saveBlob(BlobType.DATA, text, 0, text.length);
      Repository.Saved s2 = repo.saveBlob(BlobType.DATA, text, 0, text.length);
      Repository.Saved s3 = repo.saveBlob(BlobType.DATA, noise, 0, noise.length);
      assertThat(s1.added()).isTrue();
      assertThat(s2.added()).isFalse();
      assertThat(s2.id()).isEqualTo(s1.id());
      a = s1.id();
      b = s3.id();
      repo.flush();
      // text compresses, noise does not: stored sizes say so.
      assertThat(repo.find(a).orElseThrow().length()).isLessThan(text.length / 10);
      assertThat(repo.find(b).orElseThrow().length()).isGreaterThanOrEqualTo(noise.length);
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      assertThat(repo.loadBlob(a)).isEqualTo(text);
      assertThat(repo.loadBlob(b)).isEqualTo(noise);
      assertThat(repo.saveBlob(BlobType.DATA, noise, 0, noise.length).added()).isFalse();
    }
  }

  /** A chunk of noise with a third of text at its start, middle or end (or none: -1). */
  private static byte[] noiseWithText(int third) {
    byte[] b = new byte[600 << 10];
    new Random(11 + third).nextBytes(b);
    if (third >= 0) {
      byte[] text = "Berita acara evaluasi penawaran, Rp 1.250.000,00;\n".repeat(5_000)
          .getBytes(StandardCharsets.UTF_8);
      System.arraycopy(text, 0, b, third * b.length / 3, b.length / 3);
    }
    return b;
  }

  @Test
  void aLongChunkIsCompressedWhenASampleOfItCompressesAndStoredAsItIsWhenNoneDoes() throws Exception {
    byte[] out = new byte[(int) com.github.luben.zstd.Zstd.compressBound(600 << 10)];
    try (com.github.luben.zstd.ZstdCompressCtx ctx = new com.github.luben.zstd.ZstdCompressCtx().setLevel(3)) {
      for (int third = 0; third < 3; third++) {
        byte[] b = noiseWithText(third);
        assertThat(Repository.samplesCompress(ctx, out, b, 0, b.length))
            .as("text in third %d", third).isTrue();
      }
      byte[] noise = noiseWithText(-1);
      assertThat(Repository.samplesCompress(ctx, out, noise, 0, noise.length)).isFalse();
      // Samples are taken within the bounds given, not of the whole array.
      byte[] textFirst = noiseWithText(0);
      int from = textFirst.length / 3;
      assertThat(Repository.samplesCompress(ctx, out, textFirst, from, textFirst.length - from)).isFalse();
    }
    BlobId[] ids = new BlobId[4];
    try (Repository repo = init()) {
      for (int third = -1; third < 3; third++) {
        byte[] b = noiseWithText(third);
        ids[third + 1] = repo.saveBlob(BlobType.DATA, b, 0, b.length).id();
      }
      repo.flush();
      assertThat(repo.find(ids[0]).orElseThrow().length()).as("noise").isGreaterThanOrEqualTo(600 << 10);
      for (int i = 1; i < 4; i++) {
        assertThat(repo.find(ids[i]).orElseThrow().length()).as("a third of text").isLessThan(450 << 10);
        assertThat(repo.loadBlob(ids[i])).isEqualTo(noiseWithText(i - 1));
      }
    }
  }

  @Test
  void indexFilesAreCompressedAndBareJsonOnesStillRead() throws Exception {
    Random r = new Random(5);
    List<BlobId> ids = new java.util.ArrayList<>();
    BlobId old;
    try (Repository repo = init()) {
      for (int i = 0; i < 2000; i++) {
        byte[] b = new byte[200];
        r.nextBytes(b);
        ids.add(repo.saveBlob(BlobType.DATA, b, 0, b.length).id());
      }
      repo.flush();
      List<String> files = repo.backend().list(FileKind.INDEX);
      assertThat(files).hasSize(1);
      byte[] plain = repo.key().sealer().open(repo.backend().load(FileKind.INDEX, files.get(0)), "index");
      byte[] json = IndexFile.of(List.of(readAll(repo))).toJson();
      assertThat(plain[0]).as("compressed").isEqualTo((byte) 1);
      assertThat(plain.length).isLessThan(json.length * 2 / 3);
      // An index file as agents wrote it before compression: bare JSON.
      byte[] b = "written by an earlier agent".getBytes(StandardCharsets.UTF_8);
      PackBuilder pack = new PackBuilder(new byte[1 << 20]);
      old = repo.idOf(b, 0, b.length);
      pack.add(BlobType.DATA, old, b, 0, b.length, b.length);
      PackBuilder.Finished f = repo.uploadUnindexed(pack);
      byte[] sealed = repo.key().sealer().seal(IndexFile.of(List.of(f.blobs())).toJson(), "index");
      repo.backend().save(FileKind.INDEX, PackBuilder.sha256Hex(sealed), sealed);
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      for (BlobId id : ids) {
        assertThat(repo.find(id)).isPresent();
      }
      assertThat(repo.find(old)).isPresent();
    }
  }

  @Test
  void aRewrittenIndexIsSplitIntoFilesOfBoundedSize() throws Exception {
    Random r = new Random(6);
    List<BlobId> ids = new java.util.ArrayList<>();
    try (Repository repo = init()) {
      for (int i = 0; i < 3 * Repository.BLOBS_PER_INDEX / 2; i++) {
        byte[] b = new byte[400];
        r.nextBytes(b);
        ids.add(repo.saveBlob(BlobType.DATA, b, 0, b.length).id());
      }
      repo.flush();
      java.util.Map<String, List<PackedBlob>> byPack = new java.util.TreeMap<>();
      repo.forEachIndexEntry(b -> byPack.computeIfAbsent(b.pack(), k -> new java.util.ArrayList<>()).add(b));
      assertThat(byPack).hasSizeGreaterThanOrEqualTo(3);
      List<String> old = repo.backend().list(FileKind.INDEX);
      repo.rewriteIndex(new java.util.ArrayList<>(byPack.values()), old);
      List<String> now = repo.backend().list(FileKind.INDEX);
      assertThat(now).hasSizeGreaterThanOrEqualTo(2).doesNotContainAnyElementsOf(old);
      for (String f : now) {
        assertThat(repo.readIndexFile(f).blobs().size()).isLessThanOrEqualTo(Repository.BLOBS_PER_INDEX);
      }
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      assertThat(repo.indexSize()).isEqualTo(ids.size());
      for (BlobId id : ids) {
        assertThat(repo.find(id)).isPresent();
      }
    }
  }

  private static List<PackedBlob> readAll(Repository repo) {
    List<PackedBlob> all = new java.util.ArrayList<>();
    repo.forEachIndexEntry(all::add);
    return all.stream().filter(b -> all.get(0).pack().equals(b.pack())).toList();
  }

  @Test
  void packsAreCutAroundLargeBlobsAndTheirBuffersReused() throws Exception {
    // Sizes around the pack buffer (9 MiB): blobs that fit, one that would make the current pack's
    // buffer grow (the pack is cut before it), and one larger than any buffer (its own pack).
    int[] sizes = {3 << 20, 3 << 20, 2 << 20, 5 << 20, 12 << 20, 1 << 20, 4 << 20, 4 << 20, 4 << 20, 100};
    Random r = new Random(11);
    List<byte[]> blobs = new java.util.ArrayList<>();
    List<BlobId> ids = new java.util.ArrayList<>();
    try (Repository repo = init()) {
      for (int size : sizes) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        blobs.add(b);
        ids.add(repo.saveBlob(BlobType.DATA, b, 0, b.length).id());
      }
      repo.flush();
      assertThat(repo.stats().packs()).isGreaterThanOrEqualTo(4);
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      for (int i = 0; i < blobs.size(); i++) {
        assertThat(repo.loadBlob(ids.get(i))).as("blob " + i).isEqualTo(blobs.get(i));
      }
      for (String pack : repo.backend().list(FileKind.PACK)) {
        byte[] bytes = repo.loadPack(pack);
        int trailer = PackBuilder.trailerStart(bytes);
        assertThat(PackBuilder.sha256Hex(bytes, trailer, bytes.length - trailer)).isEqualTo(pack);
        assertThat(bytes.length).isLessThanOrEqualTo((12 << 20) + 4096);
      }
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
    }
  }

  @Test
  void aPackIsNamedByItsTrailerAndBytesOutsideItsBlobsAreReported() throws Exception {
    Random r = new Random(3);
    try (Repository repo = init()) {
      for (int i = 0; i < 3; i++) {
        byte[] b = new byte[100_000];
        r.nextBytes(b);
        repo.saveBlob(BlobType.DATA, b, 0, b.length);
      }
      repo.flush();
      String pack = repo.backend().list(FileKind.PACK).get(0);
      byte[] bytes = repo.loadPack(pack);
      int trailer = PackBuilder.trailerStart(bytes);
      assertThat(trailer).isEqualTo(3 * (100_000 + 1 + 28));
      assertThat(PackBuilder.sha256Hex(bytes, trailer, bytes.length - trailer)).isEqualTo(pack);
      assertThat(PackBuilder.sha256Hex(bytes)).isNotEqualTo(pack);
      assertThat(PackBuilder.hasName(bytes, pack)).isTrue();
      // A pack named by the hash of all its bytes (agents before 0.1 was released) is accepted too.
      assertThat(PackBuilder.hasName(bytes, PackBuilder.sha256Hex(bytes))).isTrue();
      assertThat(PackBuilder.hasName(bytes, "0".repeat(64))).isFalse();
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();

      // Bytes slipped in before the trailer: every blob and the name still check, but the bytes
      // belong to no blob and nothing authenticates them.
      byte[] padded = new byte[bytes.length + 100];
      System.arraycopy(bytes, 0, padded, 0, trailer);
      System.arraycopy(bytes, trailer, padded, trailer + 100, bytes.length - trailer);
      Path file = dir.resolve("data").resolve(pack.substring(0, 2)).resolve(pack);
      Files.delete(file);
      Files.write(file, padded);
      Checker.Result result = new Checker(repo).check(100, 1);
      assertThat(result.ok()).isFalse();
      assertThat(result.errors())
          .anyMatch(e -> e.contains(pack) && e.contains("bytes " + trailer + ".." + (trailer + 100) + " belong to no blob"));
      assertThat(result.damagedFiles()).isEmpty(); // every blob itself is whole
    }
  }

  /** A local backend that counts the pack reads: whole packs, and pieces of packs. */
  static final class CountingBackend implements id.penjaga.agent.backup.backend.Backend {
    final LocalBackend local;
    final java.util.concurrent.atomic.AtomicInteger wholePacks = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger pieces = new java.util.concurrent.atomic.AtomicInteger();

    CountingBackend(Path dir) {
      local = new LocalBackend(dir);
    }

    public String location() { return local.location(); }
    public void save(FileKind k, String n, byte[] c) throws java.io.IOException { local.save(k, n, c); }
    public byte[] load(FileKind k, String n) throws java.io.IOException {
      if (k == FileKind.PACK) { wholePacks.incrementAndGet(); }
      return local.load(k, n);
    }
    public byte[] load(FileKind k, String n, long o, int l) throws java.io.IOException {
      if (k == FileKind.PACK) { pieces.incrementAndGet(); }
      return local.load(k, n, o, l);
    }
    public void loadInto(FileKind k, String n, long o, int l, byte[] into) throws java.io.IOException {
      if (k == FileKind.PACK) { pieces.incrementAndGet(); }
      local.loadInto(k, n, o, l, into);
    }
    public List<String> list(FileKind k) throws java.io.IOException { return local.list(k); }
    public java.util.Optional<Long> stat(FileKind k, String n) throws java.io.IOException { return local.stat(k, n); }
    public void remove(FileKind k, String n) throws java.io.IOException { local.remove(k, n); }
    public void create() throws java.io.IOException { local.create(); }
    public void close() throws java.io.IOException { local.close(); }
  }

  @Test
  void listingsHavePacksOfTheirOwnReadWholeOnceAndDamageInThemIsStillNamed() throws Exception {
    Random r = new Random(9);
    List<BlobId> trees = new java.util.ArrayList<>();
    List<BlobId> data = new java.util.ArrayList<>();
    try (Repository repo = init()) {
      for (int i = 0; i < 300; i++) {
        byte[] b = new byte[20_000];
        r.nextBytes(b);
        BlobId chunk = repo.saveBlob(BlobType.DATA, b, 0, b.length).id();
        data.add(chunk);
        Node file = new Node("f" + i, Node.FILE, 0644, 0, 0, "root", "root", 1L, 1L, (long) i, 1L,
            (long) b.length, List.of(chunk.hex()), "00", null, null);
        trees.add(repo.saveTree(new Tree(List.of(file))));
      }
      repo.flush();
    }
    CountingBackend counting = new CountingBackend(dir);
    String treePack;
    try (Repository repo = Repository.open(counting, PASSWORD, Clock.systemUTC())) {
      // Every pack holds listings only or file content only.
      for (String pack : repo.backend().list(FileKind.PACK)) {
        List<PackBuilder.Entry> entries = PackBuilder.readHeader(counting.local.load(FileKind.PACK, pack), repo.key().sealer());
        assertThat(entries.stream().map(PackBuilder.Entry::type).distinct()).as("pack " + pack).hasSize(1);
      }
      treePack = repo.find(trees.get(0)).orElseThrow().pack();
      for (BlobId t : trees) {
        assertThat(repo.find(t).orElseThrow().pack()).isEqualTo(treePack);
        assertThat(repo.loadTree(t).nodes()).hasSize(1);
        assertThat(repo.loadParentTree(t)).as("a backup's reading of a parent listing").isEqualTo(repo.loadTree(t));
      }
      assertThat(counting.wholePacks.get()).as("the tree pack, read once").isEqualTo(1);
      assertThat(counting.pieces.get()).as("no listing read alone").isZero();
      assertThat(repo.loadBlob(data.get(0))).hasSize(20_000);
      assertThat(counting.pieces.get()).as("file content is read by the piece").isEqualTo(1);
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
    }

    // A byte flipped in a listing inside the tree pack: that listing is reported damaged, by id
    // and pack; the others still load.
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      PackedBlob at = repo.find(trees.get(5)).orElseThrow();
      Path file = dir.resolve("data").resolve(treePack.substring(0, 2)).resolve(treePack);
      byte[] bytes = Files.readAllBytes(file);
      bytes[at.offset() + at.length() / 2] ^= 0x20;
      Files.delete(file);
      Files.write(file, bytes);
      assertThatThrownBy(() -> repo.loadTree(trees.get(5)))
          .isInstanceOf(RepositoryException.class)
          .hasMessageContaining(trees.get(5).hex())
          .hasMessageContaining(treePack)
          .hasMessageContaining("damaged");
      assertThatThrownBy(() -> repo.loadParentTree(trees.get(5)))
          .as("without recomputing the id, damage is still refused (the id is the sealed data's binding)")
          .isInstanceOf(RepositoryException.class)
          .hasMessageContaining(trees.get(5).hex())
          .hasMessageContaining("damaged");
      assertThat(repo.loadTree(trees.get(6)).nodes()).hasSize(1);
    }
  }

  @Test
  void idsAreKeyedSoTheyDifferBetweenRepositories() throws Exception {
    byte[] data = "same content".getBytes(StandardCharsets.UTF_8);
    BlobId first;
    try (Repository repo = init()) {
      first = repo.idOf(data, 0, data.length);
    }
    Path other = dir.resolve("other");
    try (Repository repo2 = Repository.init(new LocalBackend(other), PASSWORD, FAST_SCRYPT, Clock.systemUTC())) {
      assertThat(repo2.idOf(data, 0, data.length)).isNotEqualTo(first);
    }
  }

  @Test
  void wrongPasswordMissingRepositoryAndSecondInitAreClearErrors() throws Exception {
    init().close();
    assertThatThrownBy(() -> Repository.open(new LocalBackend(dir), "wrong".toCharArray(), Clock.systemUTC()))
        .isInstanceOf(RepositoryException.class)
        .hasMessageContaining("wrong password");
    assertThatThrownBy(() -> Repository.open(new LocalBackend(dir.resolve("nothing")), PASSWORD, Clock.systemUTC()))
        .isInstanceOf(RepositoryException.class)
        .hasMessageContaining("no repository at")
        .hasMessageContaining("init");
    assertThatThrownBy(() -> init())
        .isInstanceOf(RepositoryException.class)
        .hasMessageContaining("already exists");
  }

  @Test
  void aDamagedIndexFileIsNamedAndAWrongPasswordStillComesFirst() throws Exception {
    // The index files are read while the key is derived: whichever fails, the error is the one
    // an administrator needs first, and the blobs read through reused buffers are the same.
    byte[] text = "Berita acara evaluasi ".repeat(5_000).getBytes(StandardCharsets.UTF_8);
    byte[] noise = new byte[200_000];
    new Random(9).nextBytes(noise);
    BlobId t;
    BlobId n;
    try (Repository repo = init()) {
      t = repo.saveBlob(BlobType.DATA, text, 0, text.length).id();
      n = repo.saveBlob(BlobType.DATA, noise, 0, noise.length).id();
      repo.flush();
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC())) {
      for (int round = 0; round < 2; round++) {
        Repository.Plain p = repo.readBlob(t, true);
        assertThat(Arrays.copyOfRange(p.bytes(), p.offset(), p.offset() + p.length())).isEqualTo(text);
        p = repo.readBlob(n, true);
        assertThat(Arrays.copyOfRange(p.bytes(), p.offset(), p.offset() + p.length())).isEqualTo(noise);
      }
    }
    LocalBackend backend = new LocalBackend(dir);
    String index = backend.list(FileKind.INDEX).get(0);
    byte[] bytes = backend.load(FileKind.INDEX, index);
    bytes[bytes.length / 2] ^= 1;
    Files.write(dir.resolve("index").resolve(index), bytes);
    assertThatThrownBy(() -> Repository.open(new LocalBackend(dir), PASSWORD, Clock.systemUTC()))
        .isInstanceOf(RepositoryException.class)
        .hasMessageContaining("index file " + index + " is damaged");
    assertThatThrownBy(() -> Repository.open(new LocalBackend(dir), "salah".toCharArray(), Clock.systemUTC()))
        .isInstanceOf(RepositoryException.class)
        .hasMessageContaining("wrong password");
  }

  @Test
  void nothingIsStoredInTheClear() throws Exception {
    String secret = "RAHASIA-PENAWARAN-HARGA-123456789";
    try (Repository repo = init()) {
      byte[] data = secret.repeat(50).getBytes(StandardCharsets.UTF_8);
      repo.saveBlob(BlobType.DATA, data, 0, data.length);
      repo.flush();
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).as(p.toString()).doesNotContain("RAHASIA");
      }
    }
  }

  @Test
  void locksKeepWritersApartAndStaleLocksGo() throws Exception {
    try (Repository repo = init()) {
      try (RepositoryLock l = RepositoryLock.acquire(repo.backend(), true, "backup", Clock.systemUTC())) {
        assertThatThrownBy(() -> RepositoryLock.acquire(repo.backend(), true, "backup", Clock.systemUTC()))
            .hasMessageContaining("locked exclusively by 'backup'");
        assertThatThrownBy(() -> RepositoryLock.acquire(repo.backend(), false, "restore", Clock.systemUTC()))
            .hasMessageContaining("locked");
      }
      try (RepositoryLock r1 = RepositoryLock.acquire(repo.backend(), false, "restore", Clock.systemUTC());
          RepositoryLock r2 = RepositoryLock.acquire(repo.backend(), false, "check", Clock.systemUTC())) {
        assertThat(repo.backend().list(FileKind.LOCK)).hasSize(2);
        assertThatThrownBy(() -> RepositoryLock.acquire(repo.backend(), true, "forget", Clock.systemUTC()))
            .hasMessageContaining("for reading");
      }
      // A lock left by a process that is gone (pid far beyond pid_max) is stale.
      repo.backend()
          .save(
              FileKind.LOCK,
              "00000000000000000000000000000000",
              ("{\"host\":\"" + RepositoryLock.hostName()
                      + "\",\"pid\":999999999,\"time\":\"" + java.time.Instant.now()
                      + "\",\"exclusive\":true,\"command\":\"backup\"}")
                  .getBytes(StandardCharsets.UTF_8));
      try (RepositoryLock l = RepositoryLock.acquire(repo.backend(), true, "backup", Clock.systemUTC())) {
        assertThat(repo.backend().list(FileKind.LOCK)).hasSize(1);
      }
      assertThat(repo.backend().list(FileKind.LOCK)).isEmpty();
    }
  }

  @Test
  void snapshotsRoundTripAndAreFoundByPrefix() throws Exception {
    try (Repository repo = init()) {
      BlobId tree = repo.saveTree(new Tree(List.of()));
      repo.flush();
      Snapshot s =
          repo.saveSnapshot(
              new Snapshot(null, "2026-11-24T01:30:00Z", "spse", "uploads", "/data", tree.hex(), null,
                  List.of("daily"), "change 42", "test",
                  new Snapshot.Summary(1, 2, 3, 4, 5, 6, 7, 8, 9, 0)));
      Snapshot loaded = repo.findSnapshot(s.id().substring(0, 8), null);
      assertThat(loaded).isEqualTo(s);
      assertThat(repo.findSnapshot("latest", "uploads").id()).isEqualTo(s.id());
      assertThatThrownBy(() -> repo.findSnapshot("latest", "db")).hasMessageContaining("no snapshot of source db");
    }
  }
}
