package id.penjaga.agent.backup.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM sealing: {@code nonce (12) ‖ ciphertext ‖ tag (16)}. The associated data binds a
 * sealed piece to its place (a blob id, "index", "snapshot"…), so pieces cannot be swapped.
 */
public final class Sealer {
  public static final int NONCE = 12;
  public static final int TAG = 16;
  public static final int OVERHEAD = NONCE + TAG;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  public Sealer(byte[] key32) {
    if (key32.length != 32) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key");
    }
    this.key = new SecretKeySpec(key32, "AES");
  }

  public byte[] seal(byte[] plain, int off, int len, byte[] aad) {
    byte[] out = new byte[NONCE + len + TAG];
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 0, NONCE);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
      c.updateAAD(aad);
      c.doFinal(plain, off, len, out, NONCE);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public byte[] seal(byte[] plain, byte[] aad) {
    return seal(plain, 0, plain.length, aad);
  }

  public byte[] seal(byte[] plain, String aad) {
    return seal(plain, aad.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Opens a sealed piece.
   *
   * @throws TamperedException when the piece is damaged, tampered with, sealed with another key,
   *     or bound to other associated data
   */
  public byte[] open(byte[] sealed, int off, int len, byte[] aad) throws TamperedException {
    if (len < OVERHEAD) {
      throw new TamperedException("sealed data too short (" + len + " bytes)");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
      c.updateAAD(aad);
      return c.doFinal(sealed, off + NONCE, len - NONCE);
    } catch (AEADBadTagException e) {
      throw new TamperedException("authentication failed: data damaged or not ours");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public byte[] open(byte[] sealed, byte[] aad) throws TamperedException {
    return open(sealed, 0, sealed.length, aad);
  }

  public byte[] open(byte[] sealed, String aad) throws TamperedException {
    return open(sealed, aad.getBytes(StandardCharsets.US_ASCII));
  }

  /** Sealed data that does not authenticate. */
  public static final class TamperedException extends Exception {
    private static final long serialVersionUID = 1L;

    public TamperedException(String message) {
      super(message);
    }
  }
}
