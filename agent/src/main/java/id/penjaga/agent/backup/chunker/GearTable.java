package id.penjaga.agent.backup.chunker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The gear hash's 256 random values, derived from a repository's secret seed by SHA-256 in counter
 * mode: entries {@code 4k .. 4k+3} are the big-endian longs of {@code SHA-256(LABEL ‖ seed ‖ k)},
 * seed as 8 bytes and k as 4, both big-endian.
 * The derivation is part of the repository format (it fixes where files are cut), so it is spelled
 * out here rather than left to a JDK random generator whose algorithm could change.
 */
final class GearTable {
  static final int SIZE = 256;
  private static final byte[] LABEL = "penjaga chunker gear v1".getBytes(StandardCharsets.US_ASCII);

  private GearTable() {}

  static long[] derive(long seed) {
    MessageDigest sha = sha256();
    long[] table = new long[SIZE];
    ByteBuffer input = ByteBuffer.allocate(LABEL.length + Long.BYTES + Integer.BYTES);
    for (int block = 0; block < SIZE / 4; block++) {
      input.clear();
      input.put(LABEL).putLong(seed).putInt(block);
      ByteBuffer digest = ByteBuffer.wrap(sha.digest(input.array()));
      for (int k = 0; k < 4; k++) {
        table[block * 4 + k] = digest.getLong();
      }
    }
    return table;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime must provide SHA-256", e);
    }
  }
}
