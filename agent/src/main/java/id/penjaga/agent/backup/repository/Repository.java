package id.penjaga.agent.backup.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.backup.crypto.KeyCache;
import id.penjaga.agent.backup.crypto.KeySlot;
import id.penjaga.agent.backup.crypto.MasterKey;
import id.penjaga.agent.backup.crypto.NativeCrypto;
import id.penjaga.agent.backup.crypto.Sealer;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open repository (format in REPOSITORY.md): content-addressed, deduplicated, compressed and
 * encrypted blobs in pack files, with an index, trees and snapshots. Saving blobs is safe from
 * several threads; every method may block on the backend.
 */
public final class Repository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Repository.class);
  /** Packs are cut at about this size. */
  static final int PACK_TARGET = 8 << 20;
  /** An index file is written after this many new packs, and at every flush. */
  static final int PACKS_PER_INDEX = 64;
  /** ... or after this many new blobs (many small files), so what waits for an index stays small. */
  static final int BLOBS_PER_INDEX = 32_768;
  /** zstd's default level: its search (double fast) finds ~1.5% more than level 1's. */
  private static final int ZSTD_LEVEL = 3;
  /**
   * Level 3's tables sized for a chunk, not a stream: 64 Ki + 32 Ki entries (384 KiB, as zstd
   * itself takes for inputs up to 128 KiB) rather than 128 Ki + 64 Ki (768 KiB). The search is
   * bound by misses in the core's cache, which the smaller tables share with the chunk; in a full
   * backup of the benchmark's tree they cut zstd's CPU by a sixth (1.44 → 1.21 s for 383 MB of
   * text), for 0.6% more bytes on a corpus of real text (documentation, sources, HTML) and none on
   * the benchmark's.
   */
  private static final int ZSTD_HASH_LOG = 16;
  private static final int ZSTD_CHAIN_LOG = 15;
  /**
   * A chunk this long or longer is first tried in three samples ({@link #SAMPLE} bytes at its
   * start, middle and end) and compressed whole only when one of them compresses: scans and
   * archives (most of an upload tree) then cost three small tries, not a pass of zstd over every
   * byte (BorgBackup's "auto" compression decides the same way, with a quick lz4 pass).
   */
  static final int SAMPLED_FROM = 64 << 10;
  static final int SAMPLE = 8 << 10;

  private final Backend backend;
  private final MasterKey key;
  private final RepositoryConfig config;
  private final Clock clock;
  /** Every blob of the repository: off the heap once it is big (see {@link BlobIndex}). */
  private final BlobIndex index = new BlobIndex();
  /**
   * Blobs saved in this session but not yet in a written index: deduplication sees them too. An
   * index file is written at the latest every {@link #BLOBS_PER_INDEX} blobs, which bounds it.
   */
  private final Map<BlobId, Boolean> pending = new ConcurrentHashMap<>();
  private final ThreadLocal<Mac> hasher;
  private final ThreadLocal<MessageDigest> sha256 =
      ThreadLocal.withInitial(NativeCrypto::sha256);
  /** Each thread's compression output buffer, kept between blobs. */
  private final ThreadLocal<byte[]> compressBuffer = ThreadLocal.withInitial(() -> new byte[0]);
  /** zstd compressors, reused (each holds its tables): at most one per thread compressing at once. */
  private final java.util.concurrent.ConcurrentLinkedQueue<ZstdCompressCtx> compressors =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /**
   * zstd decompressors, reused likewise: a context made for each blob (the library's one-call
   * form) cost a no-change backup ~60 ms of its ~4,000 listings.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<ZstdDecompressCtx> decompressors =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /**
   * Pack buffers given back once their pack is written, for the next packs. Packs in memory are
   * bounded by {@link #packsInMemory}, so this holds a few buffers at most.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<byte[]> freePackBuffers =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** A pack buffer's size: a pack is cut at {@link #PACK_TARGET}; one more blob usually fits. */
  private static final int PACK_BUFFER = PACK_TARGET + (1 << 20);
  private final Object packLock = new Object();
  private PackBuilder currentPack;
  /**
   * Tree blobs go into packs of their own, so a later backup reads its parent's listings from a
   * few whole packs ({@link #treePack}) instead of one read per directory. A tree pack is small
   * (listings compress well) and takes no {@link #packsInMemory} permit: the one being filled
   * would otherwise hold one for the whole backup.
   */
  private PackBuilder currentTreePack;
  /** Where a tree pack's buffer starts; it grows as listings need, up to a pack's size. */
  private static final int TREE_PACK_START = 256 << 10;
  private final List<List<PackedBlob>> unindexedPacks = new ArrayList<>();
  private int unindexedBlobs;
  private final Stats stats = new Stats();
  /** The key slot this repository was opened (or created) with. */
  private String keySlotId;
  private final java.util.concurrent.ExecutorService uploader =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "pack-upload");
            t.setDaemon(true);
            return t;
          });
  /**
   * Packs in memory, from the first blob put in to the end of their writing: one being filled, one
   * being written. A pack is begun only with a permit, so no thread starts a third buffer while the
   * writer is behind (the pack memory of a backup is bounded at 2 x 9 MiB). A third permit changed
   * no time on the 1 GiB benchmark and cost 9 MiB of RSS.
   */
  private final java.util.concurrent.Semaphore packsInMemory = new java.util.concurrent.Semaphore(2);
  private volatile Exception uploadFailure;

  /** Counters of what this session added. */
  public static final class Stats {
    private long dataBlobs;
    private long treeBlobs;
    private long bytesAdded;
    private long bytesStored;
    private long packs;

    public synchronized long dataBlobs() {
      return dataBlobs;
    }

    public synchronized long treeBlobs() {
      return treeBlobs;
    }

    /** Plaintext bytes of new blobs. */
    public synchronized long bytesAdded() {
      return bytesAdded;
    }

    /** Bytes written to the backend for new blobs (compressed, sealed). */
    public synchronized long bytesStored() {
      return bytesStored;
    }

    public synchronized long packs() {
      return packs;
    }

    synchronized void blob(BlobType t, long raw, long stored) {
      if (t == BlobType.DATA) {
        dataBlobs++;
      } else {
        treeBlobs++;
      }
      bytesAdded += raw;
      bytesStored += stored;
    }

    synchronized void pack() {
      packs++;
    }
  }

  private Repository(Backend backend, MasterKey key, RepositoryConfig config, Clock clock) {
    this.backend = backend;
    this.key = key;
    this.config = config;
    this.clock = clock;
    this.hasher = ThreadLocal.withInitial(key::idHasher);
  }

  /** Creates a new repository with one key slot for {@code password}. */
  public static Repository init(Backend backend, char[] password, Clock clock) throws IOException {
    return init(backend, password, KeySlot.DEFAULT_N, clock);
  }

  /** As {@link #init(Backend, char[], Clock)} with a chosen scrypt cost (tests use a low one). */
  public static Repository init(Backend backend, char[] password, int scryptN, Clock clock)
      throws IOException {
    return init(backend, password, scryptN, clock, KeyCache.NONE);
  }

  /**
   * As {@link #init(Backend, char[], int, Clock)}, keeping the key derived for the new slot in
   * {@code keys}, so that the first backup need not derive it again.
   */
  public static Repository init(Backend backend, char[] password, int scryptN, Clock clock, KeyCache keys)
      throws IOException {
    if (backend.stat(FileKind.CONFIG, "config").isPresent()) {
      throw new RepositoryException("a repository already exists at " + backend.location());
    }
    if (password.length == 0) {
      throw new RepositoryException("the repository password is empty");
    }
    backend.create();
    MasterKey key = MasterKey.generate();
    byte[] id = new byte[16];
    SecureRandom random = new SecureRandom();
    random.nextBytes(id);
    RepositoryConfig config =
        new RepositoryConfig(
            RepositoryConfig.VERSION,
            HexFormat.of().formatHex(id),
            512 << 10,
            1 << 20,
            8 << 20,
            random.nextLong());
    KeySlot slot = KeySlot.create(key, password, scryptN, keys);
    byte[] slotId = new byte[16];
    random.nextBytes(slotId);
    backend.save(FileKind.KEY, HexFormat.of().formatHex(slotId), slot.toJson());
    // The config comes last: a repository is there only once its key is.
    backend.save(FileKind.CONFIG, "config", key.sealer().seal(config.toJson(), "config"));
    Repository repo = new Repository(backend, key, config, clock);
    repo.keySlotId = HexFormat.of().formatHex(slotId);
    return repo;
  }

  /** Opens a repository with a password and loads its index. */
  public static Repository open(Backend backend, char[] password, Clock clock) throws IOException {
    return open(backend, password, clock, KeyCache.NONE);
  }

  /**
   * Opens a repository with a password and loads its index; a key slot's key found in {@code
   * keys} is used rather than derived again, and a key derived is kept there.
   */
  public static Repository open(Backend backend, char[] password, Clock clock, KeyCache keys)
      throws IOException {
    byte[] sealedConfig;
    try {
      sealedConfig = backend.load(FileKind.CONFIG, "config");
    } catch (NoSuchFileException e) {
      throw new RepositoryException(
          "no repository at " + backend.location() + " (run 'penjaga-agent init' first)");
    }
    List<String> slots = backend.list(FileKind.KEY);
    // The key is derived (scrypt: a third of a second of one core, much of it spent touching its
    // 32 MiB) on a thread of its own, while this one reads the index files, which need no key
    // until they are opened.
    java.util.concurrent.FutureTask<Repository> unlocking =
        new java.util.concurrent.FutureTask<>(() -> unlock(backend, slots, password, keys, sealedConfig, clock));
    Thread t = new Thread(unlocking, "key-derivation");
    t.setDaemon(true);
    t.start();
    Map<String, byte[]> read = new java.util.LinkedHashMap<>();
    List<String> indexFiles = null;
    IOException indexError = null;
    try {
      indexFiles = backend.list(FileKind.INDEX);
      long budget = INDEX_READ_AHEAD;
      for (String name : indexFiles) {
        Optional<Long> size = backend.stat(FileKind.INDEX, name);
        if (size.isEmpty() || size.get() > budget) {
          break;
        }
        budget -= size.get();
        read.put(name, loadIndexFileBytes(backend, name));
      }
    } catch (IOException e) {
      indexError = e; // reported after the key's own error, if it has one (a wrong password first)
    } finally {
      awaitQuietly(unlocking); // no thread is left deriving when this method ends, even in error
    }
    Repository repo;
    try {
      repo = unlocking.get();
      if (indexError != null) {
        throw indexError;
      }
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while opening the repository");
    }
    repo.loadIndex(indexFiles, read);
    return repo;
  }

  /** Index files read before the key is known, at most this many bytes of them. */
  private static final long INDEX_READ_AHEAD = 16 << 20;

  private static void awaitQuietly(java.util.concurrent.Future<?> f) {
    boolean interrupted = false;
    while (!f.isDone()) {
      try {
        f.get();
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (java.util.concurrent.ExecutionException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Opens the master key with the first key slot whose key the cache holds, or else the first the
   * password opens, and the config with it.
   */
  private static Repository unlock(
      Backend backend, List<String> slots, char[] password, KeyCache keys, byte[] sealedConfig, Clock clock)
      throws IOException {
    Map<String, KeySlot> read = new java.util.LinkedHashMap<>();
    for (String slotName : slots) {
      try {
        KeySlot slot = KeySlot.fromJson(backend.load(FileKind.KEY, slotName));
        read.put(slotName, slot);
        MasterKey cached = slot.openCached(keys);
        if (cached != null) {
          return withConfig(backend, slotName, cached, sealedConfig, clock);
        }
      } catch (IOException e) {
        log.warn("key slot {} unreadable: {}", slotName, e.getMessage());
      }
    }
    for (Map.Entry<String, KeySlot> e : read.entrySet()) {
      MasterKey key;
      try {
        key = e.getValue().open(password, keys);
      } catch (Sealer.TamperedException wrong) {
        continue;
      }
      return withConfig(backend, e.getKey(), key, sealedConfig, clock);
    }
    throw new RepositoryException(
        "wrong password: none of the "
            + slots.size()
            + " key slot(s) of "
            + backend.location()
            + " opens with it");
  }

  private static Repository withConfig(
      Backend backend, String slotName, MasterKey key, byte[] sealedConfig, Clock clock) throws IOException {
    RepositoryConfig config;
    try {
      config = RepositoryConfig.fromJson(key.sealer().open(sealedConfig, "config"));
    } catch (Sealer.TamperedException e) {
      throw new RepositoryException("repository config at " + backend.location() + " is damaged");
    }
    if (config.version() != RepositoryConfig.VERSION) {
      throw new RepositoryException(
          "repository format version " + config.version() + " is not supported by this agent");
    }
    Repository repo = new Repository(backend, key, config, clock);
    repo.keySlotId = slotName;
    return repo;
  }

  public Backend backend() {
    return backend;
  }

  /** A key slot as listed: its id, when and where it was made, and whether it opened this session. */
  public record KeyInfo(String id, String created, String host, String user, boolean current) {}

  public List<KeyInfo> keySlots() throws IOException {
    List<KeyInfo> out = new ArrayList<>();
    for (String id : backend.list(FileKind.KEY)) {
      KeySlot slot = KeySlot.fromJson(backend.load(FileKind.KEY, id));
      out.add(new KeyInfo(id, slot.created(), slot.host(), slot.user(), id.equals(keySlotId)));
    }
    out.sort(java.util.Comparator.comparing(KeyInfo::created));
    return out;
  }

  /**
   * Adds a key slot for another password: the same master key wrapped anew, so no data is
   * re-uploaded. Returns the new slot's id.
   */
  public String addKeySlot(char[] password, int scryptN) throws IOException {
    if (password.length == 0) {
      throw new RepositoryException("the new password is empty");
    }
    byte[] slotId = new byte[16];
    new SecureRandom().nextBytes(slotId);
    String id = HexFormat.of().formatHex(slotId);
    backend.save(FileKind.KEY, id, KeySlot.create(key, password, scryptN).toJson());
    return id;
  }

  /**
   * Removes a key slot (an old password). The slot that opened this session and the last slot
   * are kept: a repository nobody can open is lost.
   */
  public void removeKeySlot(String id) throws IOException {
    List<String> slots = backend.list(FileKind.KEY);
    List<String> matches = slots.stream().filter(s -> s.startsWith(id)).toList();
    if (matches.isEmpty()) {
      throw new RepositoryException("no key slot " + id);
    }
    if (matches.size() > 1) {
      throw new RepositoryException("key slot id " + id + " is ambiguous: give more digits");
    }
    String full = matches.get(0);
    if (full.equals(keySlotId)) {
      throw new RepositoryException(
          "key slot " + full.substring(0, 8) + " is the one this password opens; open the repository with"
              + " another password to remove it");
    }
    if (slots.size() <= 1) {
      throw new RepositoryException("the last key slot cannot be removed");
    }
    backend.remove(FileKind.KEY, full);
  }

  public String id() {
    return config.id();
  }

  public int chunkMin() {
    return config.chunkerMin();
  }

  public int chunkAvg() {
    return config.chunkerAvg();
  }

  public int chunkMax() {
    return config.chunkerMax();
  }

  public long chunkerSeed() {
    return config.chunkerSeed();
  }

  public Stats stats() {
    return stats;
  }

  public Clock clock() {
    return clock;
  }

  /** Reads every index file into memory. */
  public void loadIndex() throws IOException {
    loadIndex(backend.list(FileKind.INDEX), Map.of());
  }

  /** Reads the index files {@code names} into memory, taking those in {@code read} as read. */
  private void loadIndex(List<String> names, Map<String, byte[]> read) throws IOException {
    index.clear();
    treePacks.clear();
    for (String name : names) {
      byte[] sealed = read.get(name);
      IndexFile file = sealed != null ? openIndexFile(name, sealed) : readIndexFile(name);
      for (IndexFile.Pack p : file.packs()) {
        if (!p.blobs().isEmpty()
            && p.blobs().stream().allMatch(e -> e.t() == BlobType.TREE.code())
            && p.blobs().stream().mapToLong(e -> (long) e.o() + e.l()).max().getAsLong() <= TREE_PACK_MAX) {
          treePacks.add(p.id());
        }
      }
      for (PackedBlob b : file.blobs()) {
        index.putIfAbsent(b);
      }
    }
  }

  /** Packs that hold tree blobs only (by the index): read whole, once, by {@link #treePack}. */
  private final java.util.Set<String> treePacks = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The tree packs read last, at most {@link #TREE_PACKS_KEPT} (each at most a pack's size). */
  private final Map<String, java.util.concurrent.CompletableFuture<byte[]>> treePackCache =
      new java.util.LinkedHashMap<>(4, 0.75f, true);
  private static final int TREE_PACKS_KEPT = 2;
  /** A tree pack larger than this (a directory of very many entries) is read blob by blob. */
  private static final long TREE_PACK_MAX = 16 << 20;

  /**
   * A tree pack's bytes, read whole on first use and kept among the last few: the walk of a
   * backup or a restore asks for thousands of listings, most of them in the same few packs. Threads
   * asking for a pack being read wait for that one read. Null when it cannot be read (the caller
   * reads its blob alone, and reports that read's error).
   */
  private byte[] treePack(String pack) {
    java.util.concurrent.CompletableFuture<byte[]> f;
    boolean mine = false;
    synchronized (treePackCache) {
      f = treePackCache.get(pack);
      if (f == null) {
        f = new java.util.concurrent.CompletableFuture<>();
        treePackCache.put(pack, f);
        mine = true;
        java.util.Iterator<String> eldest = treePackCache.keySet().iterator();
        while (treePackCache.size() > TREE_PACKS_KEPT) {
          eldest.next();
          eldest.remove();
        }
      }
    }
    if (mine) {
      try {
        f.complete(backend.load(FileKind.PACK, pack));
      } catch (IOException | RuntimeException e) {
        f.complete(null);
        synchronized (treePackCache) {
          treePackCache.remove(pack, f);
        }
      }
    }
    return f.join();
  }

  IndexFile readIndexFile(String name) throws IOException {
    return openIndexFile(name, loadIndexFileBytes(backend, name));
  }

  /** An index file's sealed bytes, checked against its name (no key needed). */
  private static byte[] loadIndexFileBytes(Backend backend, String name) throws IOException {
    byte[] sealed = backend.load(FileKind.INDEX, name);
    if (!PackBuilder.sha256Hex(sealed).equals(name)) {
      throw new RepositoryException("index file " + name + " is damaged (its hash does not match)");
    }
    return sealed;
  }

  private IndexFile openIndexFile(String name, byte[] sealed) throws IOException {
    byte[] plain;
    try {
      plain = key.sealer().open(sealed, "index");
    } catch (Sealer.TamperedException e) {
      throw new RepositoryException("index file " + name + " is damaged: " + e.getMessage());
    }
    if (plain.length > 0 && plain[0] == 1) { // zstd-compressed JSON (earlier agents wrote bare JSON)
      long size = Zstd.getFrameContentSize(plain, 1, plain.length - 1);
      plain = decompressAfterFlag(plain, plain.length, size, byte[]::new);
      if (plain == null) {
        throw new RepositoryException("index file " + name + " is damaged: it does not decompress");
      }
    }
    return IndexFile.fromJson(plain);
  }

  /**
   * {@code framed[1, n)} decompressed (the first byte is the format flag) into {@code into.apply(size)}
   * from 0, expected to be {@code size} bytes; null when it is not (damage, or a size that cannot
   * be). Index files and blobs both come this way.
   */
  private byte[] decompressAfterFlag(
      byte[] framed, int n, long size, java.util.function.IntFunction<byte[]> into) {
    if (size < 0 || size > Integer.MAX_VALUE - 16) {
      return null;
    }
    byte[] out = into.apply((int) size);
    ZstdDecompressCtx ctx = decompressors.poll();
    if (ctx == null) {
      ctx = new ZstdDecompressCtx();
    }
    try {
      return ctx.decompressByteArray(out, 0, (int) size, framed, 1, n - 1) == size ? out : null;
    } catch (RuntimeException e) { // zstd's error: damaged
      return null;
    } finally {
      decompressors.add(ctx);
    }
  }

  public Optional<PackedBlob> find(BlobId id) {
    return Optional.ofNullable(index.get(id));
  }

  /** Every blob in the index, one at a time. */
  public void forEachIndexEntry(java.util.function.Consumer<PackedBlob> action) {
    index.forEach(action);
  }

  /** How many blobs the index holds. */
  public long indexSize() {
    return index.size();
  }

  /** The blob id of some plaintext: HMAC-SHA-256 of its SHA-256 under the id key. */
  public BlobId idOf(byte[] data, int off, int len) {
    MessageDigest sha = sha256.get();
    sha.update(data, off, len);
    return idOfDigest(sha.digest());
  }

  /** The blob id of a plaintext whose SHA-256 is known (a one-chunk file's whole-file hash). */
  BlobId idOfDigest(byte[] sha256OfPlaintext) {
    return new BlobId(hasher.get().doFinal(sha256OfPlaintext));
  }

  /**
   * Saves a blob unless the repository (or this session) already has it; returns its id.
   *
   * @return the id, and whether it was new
   */
  public Saved saveBlob(BlobType type, byte[] data, int off, int len) throws IOException {
    return saveBlob(type, data, off, len, null);
  }

  /**
   * As {@link #saveBlob(BlobType, byte[], int, int)}, with the plaintext's SHA-256 when the caller
   * already has it, so the data is not hashed twice.
   */
  public Saved saveBlob(BlobType type, byte[] data, int off, int len, byte[] sha256OfPlaintext)
      throws IOException {
    BlobId id = sha256OfPlaintext != null ? idOfDigest(sha256OfPlaintext) : idOf(data, off, len);
    if (index.contains(id) || pending.putIfAbsent(id, Boolean.TRUE) != null) {
      return new Saved(id, false);
    }
    // Compressed here, on the caller's thread; sealed straight into the pack under the pack lock
    // (AES-GCM is the cheap step), so no thread keeps a buffer of sealed bytes of its own.
    int compressedLength = compress(data, off, len);
    boolean packed = compressedLength >= 0;
    byte[] payload = packed ? compressBuffer.get() : data;
    int payloadOff = packed ? 0 : off;
    int payloadLen = packed ? compressedLength : len;
    int sealedLength = Sealer.sealedLength(payloadLen);
    stats.blob(type, len, sealedLength);
    if (type == BlobType.TREE) {
      saveTreeBlob(id, payload, payloadOff, payloadLen, packed, sealedLength, len);
      return new Saved(id, true);
    }
    PackBuilder.Complete full = null;
    PackBuilder.Complete before = null;
    synchronized (packLock) {
      if (currentPack != null && currentPack.count() > 0 && !currentPack.fits(sealedLength)) {
        // Cut the pack before a blob that would make its buffer grow.
        before = currentPack.finish(key.sealer());
        currentPack = null;
      }
      if (currentPack == null) {
        beginPack();
        byte[] buffer = freePackBuffers.poll();
        currentPack = new PackBuilder(buffer != null ? buffer : new byte[PACK_BUFFER]);
      }
      sealInto(currentPack, type, id, payload, payloadOff, payloadLen, packed, sealedLength, len);
      if (currentPack.size() >= PACK_TARGET) {
        full = currentPack.finish(key.sealer());
        currentPack = null;
      }
    }
    if (before != null) {
      scheduleUpload(before);
    }
    if (full != null) {
      scheduleUpload(full);
    }
    return new Saved(id, true);
  }

  /** The outcome of {@link #saveBlob}. */
  public record Saved(BlobId id, boolean added) {}

  /** Seals a blob's payload (compressed or not, as {@code packed} says) straight into {@code pack}. */
  private void sealInto(
      PackBuilder pack, BlobType type, BlobId id, byte[] payload, int off, int len, boolean packed,
      int sealedLength, int rawLength) {
    byte flag = packed ? (byte) 1 : (byte) 0;
    pack.addSealing(
        type, id, sealedLength, rawLength,
        (buf, at) -> key.sealer().sealInto(flag, payload, off, len, id.raw(), buf, at));
  }

  /** Seals a tree blob into the current tree pack; a full tree pack is written without a permit. */
  private void saveTreeBlob(
      BlobId id, byte[] payload, int payloadOff, int payloadLen, boolean packed, int sealedLength, int len)
      throws IOException {
    PackBuilder.Complete full = null;
    synchronized (packLock) {
      if (currentTreePack == null) {
        currentTreePack = new PackBuilder(TREE_PACK_START);
      }
      sealInto(currentTreePack, BlobType.TREE, id, payload, payloadOff, payloadLen, packed, sealedLength, len);
      if (currentTreePack.size() >= PACK_TARGET) {
        full = currentTreePack.finish(key.sealer());
        currentTreePack = null;
      }
    }
    if (full != null) {
      scheduleUpload(full, false);
    }
  }

  /**
   * Compresses a blob into this thread's {@link #compressBuffer} with a compressor of the pool;
   * returns the compressed length, or -1 when compression does not save at least 1/32 (scans and
   * archives stay as they are).
   */
  private int compress(byte[] data, int off, int len) {
    byte[] out = compressBuffer.get();
    int bound = (int) Zstd.compressBound(len);
    if (out.length < bound) {
      out = new byte[bound];
      compressBuffer.set(out);
    }
    ZstdCompressCtx ctx = compressors.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx().setLevel(ZSTD_LEVEL).setHashLog(ZSTD_HASH_LOG).setChainLog(ZSTD_CHAIN_LOG);
    }
    int n;
    try {
      n = len >= SAMPLED_FROM && !samplesCompress(ctx, out, data, off, len)
          ? len
          : ctx.compressByteArray(out, 0, out.length, data, off, len);
    } catch (RuntimeException e) { // a zstd error: store the blob as it is
      n = len;
    } finally {
      compressors.add(ctx);
    }
    return pays(n, len) ? n : -1;
  }

  /** Compression pays when it saves at least 1/32. */
  private static boolean pays(int compressed, int len) {
    return compressed < len - (len >> 5);
  }

  /** Whether a sample of the chunk at its start, middle or end compresses ({@link #SAMPLED_FROM}). */
  static boolean samplesCompress(ZstdCompressCtx ctx, byte[] out, byte[] data, int off, int len) {
    int[] at = {off, off + len / 2 - SAMPLE / 2, off + len - SAMPLE};
    for (int a : at) {
      if (pays(ctx.compressByteArray(out, 0, out.length, data, a, SAMPLE), SAMPLE)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Hands a finished pack to the upload thread, so workers go on compressing while it is written
   * and synced. Its permit ({@link #packsInMemory}) is given back once it is written.
   */
  private void scheduleUpload(PackBuilder.Complete pack) throws IOException {
    scheduleUpload(pack, true);
  }

  /** As {@link #scheduleUpload(PackBuilder.Complete)}; {@code permit}: the pack holds one. */
  private void scheduleUpload(PackBuilder.Complete pack, boolean permit) throws IOException {
    try {
      rethrowUploadFailure();
    } catch (IOException e) {
      if (permit) {
        packsInMemory.release(); // this pack's: it will not be written
      }
      throw e;
    }
    uploader.execute(
        () -> {
          try {
            if (uploadFailure == null) {
              upload(pack);
            }
          } catch (IOException | RuntimeException e) {
            uploadFailure = e;
          } finally {
            if (permit) {
              packsInMemory.release();
            }
          }
        });
  }

  /** Takes a permit for a new pack, waiting while the writer is behind (called under the pack lock). */
  private void beginPack() throws IOException {
    rethrowUploadFailure();
    try {
      packsInMemory.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for a pack to be written");
    }
  }

  private void rethrowUploadFailure() throws IOException {
    Exception e = uploadFailure;
    if (e instanceof IOException io) {
      throw new IOException(io.getMessage(), io);
    }
    if (e != null) {
      throw new IOException("uploading a pack failed: " + e, e);
    }
  }

  /** Waits until every scheduled pack is written, and reports the first failure. */
  private void awaitUploads() throws IOException {
    try {
      uploader.submit(() -> {}).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for pack uploads");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(e.getCause());
    }
    rethrowUploadFailure();
  }

  private void upload(PackBuilder.Complete complete) throws IOException {
    PackBuilder.Finished pack = complete.name();
    backend.save(FileKind.PACK, pack.id(), pack.bytes(), pack.length());
    if (pack.bytes().length == PACK_BUFFER) {
      freePackBuffers.add(pack.bytes());
    }
    stats.pack();
    List<List<PackedBlob>> toIndex = null;
    synchronized (unindexedPacks) {
      unindexedPacks.add(pack.blobs());
      unindexedBlobs += pack.blobs().size();
      if (unindexedPacks.size() >= PACKS_PER_INDEX || unindexedBlobs >= BLOBS_PER_INDEX) {
        toIndex = new ArrayList<>(unindexedPacks);
        unindexedPacks.clear();
        unindexedBlobs = 0;
      }
    }
    if (toIndex != null) {
      writeIndex(toIndex);
    }
  }

  /**
   * Writes index files covering {@code packs}: at most {@link #BLOBS_PER_INDEX} blobs a file (or
   * one pack), so no index file, nor what it takes to write or read one, grows with the repository.
   */
  private void writeIndex(List<List<PackedBlob>> packs) throws IOException {
    List<List<PackedBlob>> group = new ArrayList<>();
    int blobs = 0;
    for (List<PackedBlob> p : packs) {
      if (!group.isEmpty() && blobs + p.size() > BLOBS_PER_INDEX) {
        writeIndexFile(group);
        group = new ArrayList<>();
        blobs = 0;
      }
      group.add(p);
      blobs += p.size();
    }
    if (!group.isEmpty()) {
      writeIndexFile(group);
    }
  }

  private void writeIndexFile(List<List<PackedBlob>> packs) throws IOException {
    byte[] json = IndexFile.of(packs).toJson();
    byte[] compressed = new byte[1 + (int) Zstd.compressBound(json.length)];
    compressed[0] = 1;
    long clen = Zstd.compressByteArray(compressed, 1, compressed.length - 1, json, 0, json.length, ZSTD_LEVEL);
    if (Zstd.isError(clen)) {
      throw new IllegalStateException("zstd: " + Zstd.getErrorName(clen));
    }
    byte[] sealed = key.sealer().seal(java.util.Arrays.copyOf(compressed, 1 + (int) clen), "index");
    backend.save(FileKind.INDEX, PackBuilder.sha256Hex(sealed), sealed);
    for (List<PackedBlob> p : packs) {
      for (PackedBlob b : p) {
        index.putIfAbsent(b);
        pending.remove(b.id());
      }
    }
  }

  /** Writes the last partial pack and an index of everything written; then all is durable. */
  public void flush() throws IOException {
    PackBuilder.Complete last = null;
    PackBuilder.Complete lastTrees = null;
    synchronized (packLock) {
      if (currentPack != null && currentPack.count() > 0) {
        last = currentPack.finish(key.sealer());
      }
      currentPack = null;
      if (currentTreePack != null && currentTreePack.count() > 0) {
        lastTrees = currentTreePack.finish(key.sealer());
      }
      currentTreePack = null;
    }
    if (last != null) {
      scheduleUpload(last);
    }
    if (lastTrees != null) {
      scheduleUpload(lastTrees, false);
    }
    awaitUploads();
    List<List<PackedBlob>> toIndex;
    synchronized (unindexedPacks) {
      toIndex = new ArrayList<>(unindexedPacks);
      unindexedPacks.clear();
      unindexedBlobs = 0;
    }
    writeIndex(toIndex);
  }

  /** Loads and verifies a blob's plaintext, in an array of its own. */
  public byte[] loadBlob(BlobId id) throws IOException {
    Plain p = readBlob(id, true); // in this thread's buffers: always copied out
    return java.util.Arrays.copyOfRange(p.bytes(), p.offset(), p.offset() + p.length());
  }

  /** Opens a sealed blob and checks that its content has the expected id. */
  byte[] openBlob(PackedBlob at, byte[] buf, int off, int len) throws RepositoryException {
    byte[] plain;
    try {
      plain = key.sealer().open(buf, off, len, at.id().raw());
    } catch (Sealer.TamperedException e) {
      throw damaged(at, e);
    }
    Plain p = unpack(at, plain, plain.length, byte[]::new, true); // fresh arrays: copied only if a part
    return p.offset() == 0 && p.length() == p.bytes().length
        ? p.bytes()
        : java.util.Arrays.copyOfRange(p.bytes(), p.offset(), p.offset() + p.length());
  }

  /** A blob's plaintext: {@code bytes[offset, offset + length)}. */
  public record Plain(byte[] bytes, int offset, int length) {}

  /** A thread's buffers for reading blobs one after another, each grown to the largest met. */
  private static final class ReadBuffers {
    byte[] sealed = new byte[0];
    byte[] plain = new byte[0];
    byte[] raw = new byte[0];

    /**
     * A buffer's size for {@code need} bytes: rounded up to whole 512 KiB, so that a restore's
     * buffers grow a few times, not at every chunk larger than all before (each left-behind array
     * outlived collections of the young generation and filled the old one).
     */
    static int size(int need) {
      long rounded = ((long) need + GRAIN - 1) / GRAIN * GRAIN;
      return (int) Math.min(rounded, Integer.MAX_VALUE - 8);
    }

    private static final int GRAIN = 512 << 10;
  }

  private final ThreadLocal<ReadBuffers> readBuffers = ThreadLocal.withInitial(ReadBuffers::new);

  /**
   * Loads a blob's plaintext into buffers of this thread's that its next call reuses: a restore
   * reads chunk after chunk without leaving three arrays of garbage behind each. {@code verifyId}
   * false skips recomputing the id from the content: authentication already binds the content to
   * its id (the id is the associated data), so a caller that checks the result another way
   * (restore checks every file's SHA-256) need not hash it twice.
   */
  public Plain readBlob(BlobId id, boolean verifyId) throws IOException {
    PackedBlob at = index.get(id);
    if (at == null) {
      throw new RepositoryException("blob " + id.hex() + " is not in the index");
    }
    ReadBuffers b = readBuffers.get();
    byte[] sealed = null;
    int sealedAt = 0;
    if (at.type() == BlobType.TREE && treePacks.contains(at.pack())) {
      sealed = treePack(at.pack());
      sealedAt = at.offset();
      if (sealed != null && (long) sealedAt + at.length() > sealed.length) {
        sealed = null; // shorter than the index says: read the blob alone, for its own error
      }
    }
    if (sealed == null) {
      if (b.sealed.length < at.length()) {
        b.sealed = new byte[ReadBuffers.size(at.length())];
      }
      backend.loadInto(FileKind.PACK, at.pack(), at.offset(), at.length(), b.sealed);
      sealed = b.sealed;
      sealedAt = 0;
    }
    if (b.plain.length < at.length()) {
      b.plain = new byte[ReadBuffers.size(at.length())];
    }
    int n;
    try {
      n = key.sealer().openInto(sealed, sealedAt, at.length(), at.id().raw(), b.plain);
    } catch (Sealer.TamperedException e) {
      throw damaged(at, e);
    }
    return unpack(
        at,
        b.plain,
        n,
        size -> {
          if (b.raw.length < size) {
            b.raw = new byte[ReadBuffers.size(size)];
          }
          return b.raw;
        },
        verifyId);
  }

  private static RepositoryException damaged(PackedBlob at, Sealer.TamperedException e) {
    return new RepositoryException(
        "blob " + at.id().hex() + " in pack " + at.pack() + " is damaged: " + e.getMessage());
  }

  /**
   * The content of an opened blob {@code plain[0, n)} (format flag first): as stored, or
   * decompressed into {@code raw.apply(size)}; checked against its id when asked.
   */
  private Plain unpack(
      PackedBlob at, byte[] plain, int n, java.util.function.IntFunction<byte[]> raw, boolean verifyId)
      throws RepositoryException {
    Plain p;
    if (n > 0 && plain[0] == 1) {
      byte[] out = decompressAfterFlag(plain, n, at.rawLength(), raw);
      if (out == null) {
        throw new RepositoryException("blob " + at.id().hex() + " does not decompress");
      }
      p = new Plain(out, 0, at.rawLength());
    } else if (n > 0 && plain[0] == 0) {
      p = new Plain(plain, 1, n - 1);
    } else {
      throw new RepositoryException("blob " + at.id().hex() + " has an unknown format flag");
    }
    if (verifyId && !idOf(p.bytes(), p.offset(), p.length()).equals(at.id())) {
      throw new RepositoryException("blob " + at.id().hex() + " has other content than its id says");
    }
    return p;
  }

  /** Saves a tree blob and returns its id. */
  public BlobId saveTree(Tree tree) throws IOException {
    byte[] json = tree.toJson();
    return saveBlob(BlobType.TREE, json, 0, json.length).id();
  }

  public Tree loadTree(BlobId id) throws IOException {
    return treeOf(readBlob(id, true));
  }

  /**
   * A listing of the parent snapshot, for a backup to compare with: as {@link #loadTree}, without
   * recomputing its id from its content (authentication binds the content to its id already; the
   * backup reads back thousands of listings, and {@code check} still recomputes every id).
   */
  public Tree loadParentTree(BlobId id) throws IOException {
    return treeOf(readBlob(id, false));
  }

  /** A listing parsed straight from this thread's read buffer (nothing of it is kept). */
  private static Tree treeOf(Plain p) throws IOException {
    return Tree.fromJson(p.bytes(), p.offset(), p.length());
  }

  /** Writes a snapshot file; call {@link #flush()} first so everything it names is durable. */
  public Snapshot saveSnapshot(Snapshot snapshot) throws IOException {
    byte[] sealed = key.sealer().seal(snapshot.toJson(), "snapshot");
    String id = PackBuilder.sha256Hex(sealed);
    backend.save(FileKind.SNAPSHOT, id, sealed);
    return snapshot.withId(id);
  }

  public Snapshot loadSnapshot(String id) throws IOException {
    byte[] sealed = backend.load(FileKind.SNAPSHOT, id);
    if (!PackBuilder.sha256Hex(sealed).equals(id)) {
      throw new RepositoryException("snapshot " + id + " is damaged (its hash does not match)");
    }
    try {
      return Snapshot.fromJson(id, key.sealer().open(sealed, "snapshot"));
    } catch (Sealer.TamperedException e) {
      throw new RepositoryException("snapshot " + id + " is damaged: " + e.getMessage());
    }
  }

  /** All snapshots, oldest first. */
  public List<Snapshot> snapshots() throws IOException {
    List<Snapshot> out = new ArrayList<>();
    for (String name : backend.list(FileKind.SNAPSHOT)) {
      out.add(loadSnapshot(name));
    }
    out.sort(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id));
    return out;
  }

  /**
   * Finds a snapshot by id or unique id prefix, or {@code latest} (optionally of one source).
   */
  public Snapshot findSnapshot(String ref, String source) throws IOException {
    List<Snapshot> all = snapshots();
    if (source != null) {
      all = all.stream().filter(s -> source.equals(s.source())).toList();
    }
    if (ref.equals("latest")) {
      if (all.isEmpty()) {
        throw new RepositoryException(
            "no snapshot" + (source != null ? " of source " + source : "") + " yet");
      }
      return all.get(all.size() - 1);
    }
    List<Snapshot> matches = all.stream().filter(s -> s.id().startsWith(ref)).toList();
    if (matches.isEmpty()) {
      throw new RepositoryException("no snapshot " + ref);
    }
    if (matches.size() > 1) {
      throw new RepositoryException("snapshot id " + ref + " is ambiguous: give more digits");
    }
    return matches.get(0);
  }

  public void removeSnapshot(String id) throws IOException {
    backend.remove(FileKind.SNAPSHOT, id);
  }

  /** Reads a whole pack: for check --read-data and prune. */
  public byte[] loadPack(String id) throws IOException {
    return backend.load(FileKind.PACK, id);
  }

  public MasterKey key() {
    return key;
  }

  /** Replaces the index with files covering the given packs, then removes the old files. */
  void rewriteIndex(List<List<PackedBlob>> packs, List<String> oldIndexFiles) throws IOException {
    writeIndex(packs);
    for (String old : oldIndexFiles) {
      backend.remove(FileKind.INDEX, old);
    }
  }

  /** Uploads a pack built outside a backup (prune) without indexing it; the caller indexes it. */
  PackBuilder.Finished uploadUnindexed(PackBuilder builder) throws IOException {
    PackBuilder.Finished f = builder.finish(key.sealer()).name();
    backend.save(FileKind.PACK, f.id(), f.bytes(), f.length());
    return f;
  }

  @Override
  public void close() throws IOException {
    uploader.shutdownNow();
    for (ZstdCompressCtx c; (c = compressors.poll()) != null; ) {
      c.close();
    }
    for (ZstdDecompressCtx c; (c = decompressors.poll()) != null; ) {
      c.close();
    }
    index.close();
    backend.close();
  }
}
