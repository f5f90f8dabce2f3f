package id.penjaga.collector.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashes for the web page's users: Argon2id (memory-hard; OWASP's minimum of 19 MiB,
 * 2 passes) in the PHC string format {@code $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH}. Only the
 * hash is kept in the configuration; checking one is deliberately slow, so it runs on a worker.
 */
public final class PasswordHash {
  private static final int MEMORY_KIB = 19456;
  private static final int ITERATIONS = 2;
  private static final int LANES = 1;
  private static final int HASH_BYTES = 32;
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();

  private PasswordHash() {}

  /** A new hash of {@code password} with a fresh random salt. */
  public static String hash(char[] password) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    byte[] h = argon2(password, salt, MEMORY_KIB, ITERATIONS, LANES, HASH_BYTES);
    return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + LANES + "$" + B64.encodeToString(salt) + "$"
        + B64.encodeToString(h);
  }

  /** Whether {@code password} matches {@code phc}; compared in constant time. False for a malformed hash. */
  public static boolean verify(char[] password, String phc) {
    String[] p = phc.split("\\$");
    // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
    if (p.length != 6 || !p[1].equals("argon2id") || !p[2].equals("v=19")) {
      return false;
    }
    int m = 0;
    int t = 0;
    int lanes = 0;
    try {
      for (String kv : p[3].split(",")) {
        int v = Integer.parseInt(kv.substring(2));
        switch (kv.charAt(0)) {
          case 'm' -> m = v;
          case 't' -> t = v;
          case 'p' -> lanes = v;
          default -> {
            return false;
          }
        }
      }
      byte[] salt = B64D.decode(p[4]);
      byte[] want = B64D.decode(p[5]);
      if (m < 8 || m > 1 << 21 || t < 1 || t > 20 || lanes < 1 || lanes > 16 || want.length < 16) {
        return false;
      }
      return MessageDigest.isEqual(argon2(password, salt, m, t, lanes, want.length), want);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] argon2(char[] password, byte[] salt, int m, int t, int p, int len) {
    Argon2BytesGenerator g = new Argon2BytesGenerator();
    g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(m).withIterations(t).withParallelism(p).withSalt(salt).build());
    byte[] out = new byte[len];
    byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
    try {
      g.generateBytes(pw, out);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
    return out;
  }
}
