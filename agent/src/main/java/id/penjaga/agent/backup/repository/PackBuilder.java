package id.penjaga.agent.backup.repository;

import id.penjaga.agent.backup.crypto.Sealer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Collects sealed blobs into one pack file and writes its sealed header (REPOSITORY.md, "Pack files"). */
final class PackBuilder {
  private final ByteArrayOutputStream out;
  private final List<Entry> entries = new ArrayList<>();

  record Entry(BlobType type, BlobId id, int offset, int length, int rawLength) {}

  /** A finished pack: its id, bytes and what it holds. */
  record Finished(String id, byte[] bytes, List<PackedBlob> blobs) {}

  PackBuilder(int expectedSize) {
    this.out = new ByteArrayOutputStream(expectedSize);
  }

  void add(BlobType type, BlobId id, byte[] sealed, int rawLength) {
    entries.add(new Entry(type, id, out.size(), sealed.length, rawLength));
    out.writeBytes(sealed);
  }

  int size() {
    return out.size();
  }

  int count() {
    return entries.size();
  }

  Finished finish(Sealer sealer) {
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
    out.writeBytes(sealedHeader);
    out.writeBytes(ByteBuffer.allocate(4).putInt(sealedHeader.length).array());
    byte[] bytes = out.toByteArray();
    String id = sha256Hex(bytes);
    List<PackedBlob> blobs = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      blobs.add(new PackedBlob(e.type(), e.id(), id, e.offset(), e.length(), e.rawLength()));
    }
    return new Finished(id, bytes, blobs);
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
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
