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
   * A pack whose bytes are complete ({@code bytes[0, length)}) but not yet hashed: whoever writes
   * it names it ({@link #name}), so the hashing is not done by the threads filling packs.
   */
  record Complete(byte[] bytes, int length, List<Entry> entries) {
    Finished name() {
      String id = sha256Hex(bytes, 0, length);
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
    append(sealedHeader, 0, sealedHeader.length);
    append(ByteBuffer.allocate(4).putInt(sealedHeader.length).array(), 0, 4);
    return new Complete(buf, size, List.copyOf(entries));
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
