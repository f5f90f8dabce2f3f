package id.penjaga.agent.backup.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * scrypt (RFC 7914) with its large memory in one array. Its parts are Bouncy Castle's
 * (PBKDF2-HMAC-SHA256 and the Salsa20/8 core); only ROMix's loop is here. Bouncy Castle's own
 * {@code SCrypt} splits the 32 MiB of the default cost into 256 arrays of 128 KiB, which the
 * JVM's young generation then copies, a few megabytes at a time, into the old one: ~80 ms of
 * collections on every command's way to its key. One array larger than the young generation
 * is made in the old one at once and never copied. Same output (tested against Bouncy Castle's
 * and the RFC's vectors).
 */
final class Scrypt {
  /** The most memory a key slot may ask for (n · r · 128 bytes): 1 GiB. */
  static final long MAX_MEMORY = 1L << 30;

  private Scrypt() {}

  /**
   * The derived key.
   *
   * @throws IllegalArgumentException when n is not a power of two above 1, r or p below 1, or the
   *     memory above {@link #MAX_MEMORY}
   */
  static byte[] derive(byte[] password, byte[] salt, int n, int r, int p, int length) {
    if (n < 2 || (n & (n - 1)) != 0 || r < 1 || p < 1 || (long) n * r * 128 > MAX_MEMORY
        || (long) p * r * 128 > MAX_MEMORY) {
      throw new IllegalArgumentException("scrypt parameters out of range: n=" + n + ", r=" + r + ", p=" + p);
    }
    int words = 32 * r; // one block of 128·r bytes in 32-bit words
    byte[] b = pbkdf2(password, salt, p * 128 * r);
    int[] x = new int[words];
    int[] y = new int[words];
    int[] v = new int[n * words];
    int[] t = new int[16];
    int[] u = new int[16];
    try {
      for (int k = 0; k < p; k++) {
        int at = k * 128 * r;
        for (int i = 0; i < words; i++) {
          int o = at + i * 4;
          x[i] = (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | b[o + 3] << 24;
        }
        for (int i = 0; i < n; i++) {
          System.arraycopy(x, 0, v, i * words, words);
          blockMix(x, y, t, u, r);
        }
        for (int i = 0; i < n; i++) {
          int j = x[words - 16] & (n - 1); // Integerify: the last 64 bytes' first word
          int from = j * words;
          for (int w = 0; w < words; w++) {
            x[w] ^= v[from + w];
          }
          blockMix(x, y, t, u, r);
        }
        for (int i = 0; i < words; i++) {
          int o = at + i * 4;
          b[o] = (byte) x[i];
          b[o + 1] = (byte) (x[i] >>> 8);
          b[o + 2] = (byte) (x[i] >>> 16);
          b[o + 3] = (byte) (x[i] >>> 24);
        }
      }
      return pbkdf2(password, b, length);
    } finally {
      java.util.Arrays.fill(v, 0);
      java.util.Arrays.fill(x, 0);
      java.util.Arrays.fill(y, 0);
      java.util.Arrays.fill(t, 0);
      java.util.Arrays.fill(u, 0);
      java.util.Arrays.fill(b, (byte) 0);
    }
  }

  /** scryptBlockMix: each 64-byte piece through Salsa20/8, even results first, then odd. */
  private static void blockMix(int[] b, int[] y, int[] t, int[] u, int r) {
    System.arraycopy(b, (2 * r - 1) * 16, t, 0, 16);
    for (int i = 0; i < 2 * r; i++) {
      for (int w = 0; w < 16; w++) {
        t[w] ^= b[i * 16 + w];
      }
      Salsa20Engine.salsaCore(8, t, u);
      System.arraycopy(u, 0, t, 0, 16);
      System.arraycopy(u, 0, y, ((i & 1) == 0 ? i / 2 : r + i / 2) * 16, 16);
    }
    System.arraycopy(y, 0, b, 0, 32 * r);
  }

  private static byte[] pbkdf2(byte[] password, byte[] salt, int length) {
    PKCS5S2ParametersGenerator g = new PKCS5S2ParametersGenerator(new SHA256Digest());
    g.init(password, salt, 1);
    return ((KeyParameter) g.generateDerivedMacParameters(length * 8)).getKey();
  }
}
