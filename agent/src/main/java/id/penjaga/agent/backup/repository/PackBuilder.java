package id.penjaga.agent.backup.repository;

import id.penjaga.agent.backup.crypto.NativeCrypto;
import id.penjaga.agent.backup.crypto.Sealer;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Collects sealed blobs into one pack file and writes its sealed header (REPOSITORY.md, "Pack
 * files"). The pack is built in one buffer, which the caller may give back for the next pack once
 * the finished one is written: a backup then allocates no new pack memory after its first packs.
 */
final class PackBuilder {
  private byte[] buf;
  private int size;
  private final List<Entry> entries = new ArrayList<>();

  record Entry(BlobType type, BlobId id, int offset, int length, int rawLength) {}

  /** A finished pack: its id, its bytes ({@code bytes[0, length)}) and what it holds. */
  record Finished(String id, byte[] bytes, int length, List<PackedBlob> blobs) {}

  /**
   * A pack whose bytes are complete ({@code bytes[0, length)}) but not yet named: whoever writes
   * it names it ({@link #name}). The name is the hash of the pack's trailer (sealed header and its
   * length, from {@code trailer} on), not of every byte: each blob authenticates itself (AES-GCM,
   * bound to its id) and the header, which the name checks, says where every blob lies.
   */
  record Complete(byte[] bytes, int length, int trailer, List<Entry> entries) {
    Finished name() {
      String id = sha256Hex(bytes, trailer, length - trailer);
      List<PackedBlob> blobs = new ArrayList<>(entries.size());
      for (Entry e : entries) {
        blobs.add(new PackedBlob(e.type(), e.id(), id, e.offset(), e.length(), e.rawLength()));
      }
      return new Finished(id, bytes, length, blobs);
    }
  }

  /** Writes a sealed blob of exactly {@code length} bytes into {@code buffer} at {@code at}. */
  interface SealInto {
    int seal(byte[] buffer, int at);
  }

  PackBuilder(int expectedSize) {
    this(new byte[expectedSize]);
  }

  /** A builder writing into {@code buffer} (grown if a blob does not fit). */
  PackBuilder(byte[] buffer) {
    this.buf = buffer;
  }

  /** Whether {@code length} more bytes fit in the buffer as it is. */
  boolean fits(int length) {
    return size + length <= buf.length;
  }

  void add(BlobType type, BlobId id, byte[] sealed, int rawLength) {
    add(type, id, sealed, 0, sealed.length, rawLength);
  }

  /** Adds the sealed blob {@code sealed[off, off + len)}. */
  void add(BlobType type, BlobId id, byte[] sealed, int off, int len, int rawLength) {
    entries.add(new Entry(type, id, size, len, rawLength));
    append(sealed, off, len);
  }

  /**
   * Adds a blob of {@code length} sealed bytes that {@code sealer} writes straight into the pack
   * (no copy of the sealed blob is made anywhere else).
   */
  void addSealing(BlobType type, BlobId id, int length, int rawLength, SealInto sealer) {
    reserve(length);
    int n = sealer.seal(buf, size);
    if (n != length) {
      throw new IllegalStateException("sealed " + n + " bytes, expected " + length);
    }
    entries.add(new Entry(type, id, size, length, rawLength));
    size += length;
  }

  /** Appends {@code bytes[off, off + len)}, growing the buffer if they do not fit. */
  private void append(byte[] bytes, int off, int len) {
    reserve(len);
    System.arraycopy(bytes, off, buf, size, len);
    size += len;
  }

  private void reserve(int len) {
    if (size + len > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(size + len, buf.length + (buf.length >> 1)));
    }
  }

  int size() {
    return size;
  }

  int count() {
    return entries.size();
  }

  Complete finish(Sealer sealer) {
    ByteBuffer header = ByteBuffer.allocate(4 + entries.size() * (1 + 32 + 12));
    header.putInt(entries.size());
    for (Entry e : entries) {
      header.put(e.type().code());
      header.put(e.id().raw());
      header.putInt(e.offset());
      header.putInt(e.length());
      header.putInt(e.rawLength());
    }
    byte[] sealedHeader = sealer.seal(header.array(), "pack-header");
    int trailer = size;
    append(sealedHeader, 0, sealedHeader.length);
    append(ByteBuffer.allocate(4).putInt(sealedHeader.length).array(), 0, 4);
    return new Complete(buf, size, trailer, List.copyOf(entries));
  }

  /**
   * Where a whole pack file's trailer (sealed header and its length) starts, or -1 when the
   * length it ends with is impossible.
   */
  static int trailerStart(byte[] pack) {
    if (pack.length < 4 + Sealer.OVERHEAD) {
      return -1;
    }
    int headerLength = ByteBuffer.wrap(pack, pack.length - 4, 4).getInt();
    if (headerLength < Sealer.OVERHEAD || headerLength > pack.length - 4) {
      return -1;
    }
    return pack.length - 4 - headerLength;
  }

  /**
   * Whether {@code name} names this whole pack file: the hash of its trailer, or, for packs
   * written by agents before 0.1 was released, the hash of the whole file.
   */
  static boolean hasName(byte[] pack, String name) {
    int trailer = trailerStart(pack);
    if (trailer >= 0 && sha256Hex(pack, trailer, pack.length - trailer).equals(name)) {
      return true;
    }
    return sha256Hex(pack).equals(name);
  }

  /**
   * What in a pack's data part no blob of its header covers (gaps, overlaps, a blob past the
   * header's start), described for a report; null when the blobs fill it exactly. The name checks
   * only the trailer, so nothing else may lie in a pack unauthenticated.
   */
  static String uncovered(List<Entry> entries, int dataLength) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(java.util.Comparator.comparingInt(Entry::offset));
    long at = 0;
    for (Entry e : sorted) {
      if (e.offset() != at) {
        return "bytes " + Math.min(at, e.offset()) + ".." + Math.max(at, e.offset())
            + (e.offset() > at ? " belong to no blob" : " belong to two blobs");
      }
      at = (long) e.offset() + e.length();
    }
    return at == dataLength ? null : at < dataLength
        ? "bytes " + at + ".." + dataLength + " belong to no blob"
        : "a blob ends at " + at + ", past the header at " + dataLength;
  }

  /** Reads the header of a whole pack file, checking it authenticates. */
  static List<Entry> readHeader(byte[] pack, Sealer sealer) throws Sealer.TamperedException {
    if (pack.length < 4 + Sealer.OVERHEAD) {
      throw new Sealer.TamperedException("pack too short");
    }
    int headerLength = ByteBuffer.wrap(pack, pack.length - 4, 4).getInt();
    if (headerLength < Sealer.OVERHEAD || headerLength > pack.length - 4) {
      throw new Sealer.TamperedException("pack header length " + headerLength + " is impossible");
    }
    byte[] plain =
        sealer.open(
            pack,
            pack.length - 4 - headerLength,
            headerLength,
            "pack-header".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    ByteBuffer b = ByteBuffer.wrap(plain);
    int n = b.getInt();
    List<Entry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      BlobType type = BlobType.of(b.get());
      byte[] id = new byte[32];
      b.get(id);
      out.add(new Entry(type, new BlobId(id), b.getInt(), b.getInt(), b.getInt()));
    }
    return out;
  }

  static String sha256Hex(byte[] bytes) {
    return sha256Hex(bytes, 0, bytes.length);
  }

  static String sha256Hex(byte[] bytes, int off, int len) {
    MessageDigest sha = NativeCrypto.sha256();
    sha.update(bytes, off, len);
    return HexFormat.of().formatHex(sha.digest());
  }
}
