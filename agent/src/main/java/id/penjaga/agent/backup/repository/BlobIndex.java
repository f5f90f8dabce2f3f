package id.penjaga.agent.backup.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * The repository's index in memory: blob id to where the blob is stored, for every blob of the
 * repository. It grows with the repository (ten million files make at least ten million blobs),
 * so entries are not Java objects but 48-byte slots of open-addressing hash tables: the id, its
 * pack's number, offset and lengths. A small index stays on the heap; a table that outgrows
 * {@code heapSegmentBytes} moves to a memory-mapped scratch file (deleted at once, so nothing is
 * left behind), where its pages are the operating system's to keep in RAM or write out. The heap
 * then holds only the pack ids (32 bytes a pack), whatever the number of blobs.
 *
 * <p>Blob ids are HMAC outputs, so their first bytes are already uniform: they choose the segment
 * and the slot. Thread-safe; each of the 16 segments has its own lock.
 */
final class BlobIndex implements AutoCloseable {
  /** Bytes of one slot: id (32), pack reference (4), offset (4), sealed length (4), plain length (4). */
  static final int SLOT = 48;
  private static final int SEGMENTS = 16;
  private static final int FIRST_SLOTS = 1 << 8;
  /** A table of more slots than this would pass 2 GiB, the most one buffer can hold. */
  private static final int MAX_SLOTS = 1 << 25;
  /** Tables grow when more than 7/10 of their slots are taken. */
  private static final int LOAD_NUM = 7;
  private static final int LOAD_DEN = 10;
  private static final int TREE_BIT = 1 << 31;
  private static final HexFormat HEX = HexFormat.of();

  private final Path scratch;
  private final int heapSegmentBytes;
  private final Segment[] segments = new Segment[SEGMENTS];

  private final Object packLock = new Object();
  private byte[] packIds = new byte[32 * 64];
  private int packCount;
  private String lastPack;
  private int lastPackNumber;

  /**
   * @param scratch where tables too big for the heap are mapped
   * @param heapSegmentBytes the largest table (of 16) kept on the heap
   */
  BlobIndex(Path scratch, int heapSegmentBytes) {
    this.scratch = scratch;
    this.heapSegmentBytes = heapSegmentBytes;
    for (int i = 0; i < SEGMENTS; i++) {
      segments[i] = new Segment();
    }
  }

  /** An index that maps its tables under {@code java.io.tmpdir} once each passes 1 MiB. */
  BlobIndex() {
    this(Path.of(System.getProperty("java.io.tmpdir")), 1 << 20);
  }

  /**
   * Adds a blob unless its id is there already; returns whether it was added.
   *
   * @throws IOException if a table that outgrew the heap cannot be mapped in the scratch directory
   */
  boolean putIfAbsent(PackedBlob b) throws IOException {
    byte[] id = b.id().raw();
    Segment s = segment(id);
    synchronized (s) { // then the pack lock, as in forEach: always in this order
      if (s.find(id) >= 0) {
        return false;
      }
      int ref = (packNumber(b.pack()) + 1) | (b.type() == BlobType.TREE ? TREE_BIT : 0);
      s.insert(id, ref, b.offset(), b.length(), b.rawLength());
      return true;
    }
  }

  boolean contains(BlobId id) {
    Segment s = segment(id.raw());
    synchronized (s) {
      return s.find(id.raw()) >= 0;
    }
  }

  /** Where a blob is, or null. */
  PackedBlob get(BlobId id) {
    Segment s = segment(id.raw());
    int ref;
    int offset;
    int length;
    int raw;
    synchronized (s) {
      int pos = s.find(id.raw());
      if (pos < 0) {
        return null;
      }
      ref = s.buf.getInt(pos + 32);
      offset = s.buf.getInt(pos + 36);
      length = s.buf.getInt(pos + 40);
      raw = s.buf.getInt(pos + 44);
    }
    return new PackedBlob(type(ref), id, packName(ref), offset, length, raw);
  }

  long size() {
    long n = 0;
    for (Segment s : segments) {
      synchronized (s) {
        n += s.count;
      }
    }
    return n;
  }

  /** Every entry, one at a time (none is kept). */
  void forEach(Consumer<PackedBlob> action) {
    byte[] id = new byte[32];
    for (Segment s : segments) {
      synchronized (s) {
        for (int slot = 0; slot < s.slots; slot++) {
          int pos = slot * SLOT;
          int ref = s.buf.getInt(pos + 32);
          if (ref != 0) {
            s.buf.get(pos, id);
            action.accept(new PackedBlob(type(ref), new BlobId(id.clone()), packName(ref),
                s.buf.getInt(pos + 36), s.buf.getInt(pos + 40), s.buf.getInt(pos + 44)));
          }
        }
      }
    }
  }

  void clear() {
    for (int i = 0; i < SEGMENTS; i++) {
      synchronized (segments[i]) {
        segments[i].reset();
      }
    }
    synchronized (packLock) {
      packIds = new byte[32 * 64];
      packCount = 0;
      lastPack = null;
    }
  }

  /** Whether any table has moved to a mapped file (for tests). */
  boolean mapped() {
    for (Segment s : segments) {
      synchronized (s) {
        if (s.buf.isDirect()) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void close() {
    clear();
  }

  private Segment segment(byte[] id) {
    return segments[(id[0] & 0xff) >>> 4];
  }

  private static BlobType type(int ref) {
    return (ref & TREE_BIT) != 0 ? BlobType.TREE : BlobType.DATA;
  }

  private int packNumber(String pack) {
    synchronized (packLock) {
      if (pack.equals(lastPack)) {
        return lastPackNumber;
      }
      if (pack.length() != 64) {
        throw new IllegalArgumentException("pack id " + pack + " is not 64 hex digits");
      }
      if ((packCount + 1) * 32 > packIds.length) {
        packIds = Arrays.copyOf(packIds, packIds.length * 2);
      }
      byte[] raw = HEX.parseHex(pack);
      System.arraycopy(raw, 0, packIds, packCount * 32, 32);
      lastPack = pack;
      lastPackNumber = packCount++;
      return lastPackNumber;
    }
  }

  private String packName(int ref) {
    int n = (ref & ~TREE_BIT) - 1;
    synchronized (packLock) {
      return HEX.formatHex(packIds, n * 32, n * 32 + 32);
    }
  }

  /** One open-addressing table with linear probing. Callers hold its lock. */
  private final class Segment {
    ByteBuffer buf;
    int slots;
    int count;

    Segment() {
      reset();
    }

    void reset() {
      slots = FIRST_SLOTS;
      buf = ByteBuffer.allocate(slots * SLOT);
      count = 0;
    }

    /** The slot's byte position holding {@code id}, or -1. */
    int find(byte[] id) {
      long a = longAt(id, 0);
      long b = longAt(id, 8);
      long c = longAt(id, 16);
      long d = longAt(id, 24);
      int mask = slots - 1;
      for (int slot = start(a, mask); ; slot = (slot + 1) & mask) {
        int pos = slot * SLOT;
        if (buf.getInt(pos + 32) == 0) {
          return -1;
        }
        if (buf.getLong(pos) == a && buf.getLong(pos + 8) == b && buf.getLong(pos + 16) == c
            && buf.getLong(pos + 24) == d) {
          return pos;
        }
      }
    }

    void insert(byte[] id, int ref, int offset, int length, int raw) throws IOException {
      if ((long) (count + 1) * LOAD_DEN > (long) slots * LOAD_NUM) {
        grow();
      }
      put(buf, slots, id, ref, offset, length, raw);
      count++;
    }

    private void grow() throws IOException {
      if (slots >= MAX_SLOTS) {
        throw new IllegalStateException("the index has more blobs than this agent can hold ("
            + (long) SEGMENTS * MAX_SLOTS * LOAD_NUM / LOAD_DEN + ")");
      }
      int bigger = slots * 2;
      ByteBuffer next = allocate(bigger);
      byte[] id = new byte[32];
      for (int slot = 0; slot < slots; slot++) {
        int pos = slot * SLOT;
        int ref = buf.getInt(pos + 32);
        if (ref != 0) {
          buf.get(pos, id);
          put(next, bigger, id, ref, buf.getInt(pos + 36), buf.getInt(pos + 40), buf.getInt(pos + 44));
        }
      }
      buf = next;
      slots = bigger;
    }

    private ByteBuffer allocate(int n) throws IOException {
      long bytes = (long) n * SLOT;
      if (bytes <= heapSegmentBytes) {
        return ByteBuffer.allocate((int) bytes);
      }
      try {
        Files.createDirectories(scratch);
        Path file = Files.createTempFile(scratch, "penjaga-index-", ".tmp");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          // A sparse file: untouched slots read as zeros (empty) and take no disk.
          return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
        } finally {
          Files.delete(file); // the mapping keeps the pages; the name goes at once
        }
      } catch (IOException e) {
        throw new IOException("cannot make a scratch file for the index in " + scratch
            + " (" + e.getMessage() + "); it needs about " + (bytes >> 20) + " MiB there", e);
      }
    }
  }

  private static void put(ByteBuffer buf, int slots, byte[] id, int ref, int offset, int length, int raw) {
    int mask = slots - 1;
    int slot = start(longAt(id, 0), mask);
    while (buf.getInt(slot * SLOT + 32) != 0) {
      slot = (slot + 1) & mask;
    }
    int pos = slot * SLOT;
    buf.put(pos, id);
    buf.putInt(pos + 32, ref);
    buf.putInt(pos + 36, offset);
    buf.putInt(pos + 40, length);
    buf.putInt(pos + 44, raw);
  }

  /** The first slot to probe: low bits of the id's first eight bytes (the top 4 chose the segment). */
  private static int start(long first, int mask) {
    return (int) (first ^ (first >>> 32)) & mask;
  }

  private static long longAt(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xff);
    }
    return v;
  }
}
