package id.penjaga.agent.backup.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The repository's master key: 32 bytes for AES-256-GCM and 32 for blob ids (HMAC-SHA-256), so
 * equal content gets equal ids within the repository and ids reveal nothing without the key.
 */
public final class MasterKey {
  private final byte[] bytes;
  private final Sealer sealer;
  private final SecretKeySpec idKey;

  private MasterKey(byte[] bytes) {
    if (bytes.length != 64) {
      throw new IllegalArgumentException("a master key has 64 bytes");
    }
    this.bytes = bytes.clone();
    this.sealer = new Sealer(Arrays.copyOfRange(bytes, 0, 32));
    this.idKey = new SecretKeySpec(Arrays.copyOfRange(bytes, 32, 64), "HmacSHA256");
  }

  public static MasterKey generate() {
    byte[] b = new byte[64];
    new SecureRandom().nextBytes(b);
    return new MasterKey(b);
  }

  static MasterKey of(byte[] bytes) {
    return new MasterKey(bytes);
  }

  byte[] bytes() {
    return bytes.clone();
  }

  public Sealer sealer() {
    return sealer;
  }

  /**
   * A new id hasher; not thread-safe, so one per thread. Native where {@link NativeCrypto} loads:
   * a tree read back is checked against its id, and the JDK's HMAC runs as interpreted Java for
   * the thousands of listings of a short backup.
   */
  public Mac idHasher() {
    try {
      java.security.Provider p = NativeCrypto.provider();
      Mac mac = p != null ? Mac.getInstance("HmacSHA256", p) : Mac.getInstance("HmacSHA256");
      mac.init(idKey);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }
}
