package id.penjaga.agent.backup.repository;

import java.util.Arrays;
import java.util.HexFormat;

/** A blob's id: HMAC-SHA-256 of its plaintext under the repository's id key. */
public final class BlobId implements Comparable<BlobId> {
  private static final HexFormat HEX = HexFormat.of();
  private final byte[] bytes;
  private final int hash;

  public BlobId(byte[] bytes) {
    if (bytes.length != 32) {
      throw new IllegalArgumentException("a blob id has 32 bytes");
    }
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  public static BlobId parse(String hex) {
    return new BlobId(HEX.parseHex(hex));
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  byte[] raw() {
    return bytes;
  }

  public String hex() {
    return HEX.formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlobId b && Arrays.equals(bytes, b.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(BlobId o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return hex().substring(0, 8);
  }
}
