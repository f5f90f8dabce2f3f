package id.penjaga.agent.backup.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM sealing (NIST SP 800-38D): {@code nonce (12) ‖ ciphertext ‖ tag (16)}. The associated data binds a
 * sealed piece to its place (a blob id, "index", "snapshot"…), so pieces cannot be swapped.
 */
public final class Sealer {
  public static final int NONCE = 12;
  public static final int TAG = 16;
  public static final int OVERHEAD = NONCE + TAG;
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * Data goes through the cipher in slices: the JIT compiles the AES and GHASH intrinsics only
   * into methods called often, and one call per multi-megabyte chunk would leave them in plain
   * Java at a tenth of the speed. JDK 17's GCM decryption holds all data until the end, so opening
   * decrypts with AES-CTR and checks the tag by sealing again (see {@link #open}).
   */
  private static final int SLICE = 4096;

  private final SecretKeySpec key;

  public Sealer(byte[] key32) {
    if (key32.length != 32) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key");
    }
    this.key = new SecretKeySpec(key32, "AES");
  }

  public byte[] seal(byte[] plain, int off, int len, byte[] aad) {
    return seal(null, plain, off, len, aad);
  }

  /** Seals {@code prefix ‖ plain[off, off+len)} without first copying them together. */
  public byte[] seal(byte prefix, byte[] plain, int off, int len, byte[] aad) {
    return seal(new byte[] {prefix}, plain, off, len, aad);
  }

  private byte[] seal(byte[] prefix, byte[] plain, int off, int len, byte[] aad) {
    int p = prefix == null ? 0 : prefix.length;
    byte[] out = new byte[NONCE + p + len + TAG];
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 0, NONCE);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
      c.updateAAD(aad);
      int o = NONCE + (p > 0 ? c.update(prefix, 0, p, out, NONCE) : 0);
      for (int i = 0; i < len; i += SLICE) {
        o += c.update(plain, off + i, Math.min(SLICE, len - i), out, o);
      }
      c.doFinal(out, o);
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
    int n = len - OVERHEAD;
    try {
      // The plaintext, by AES-CTR from GCM's first data counter (nonce ‖ 2)...
      byte[] counter = new byte[16];
      System.arraycopy(sealed, off, counter, 0, NONCE);
      counter[15] = 2;
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(counter));
      byte[] plain = new byte[n];
      int o = 0;
      for (int i = 0; i < n; i += SLICE) {
        o += ctr.update(sealed, off + NONCE + i, Math.min(SLICE, n - i), plain, o);
      }
      ctr.doFinal(plain, o);
      // ...authenticated by sealing it again with the same nonce: the same ciphertext comes out,
      // so the tags are equal exactly when GCM decryption would accept it.
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
      gcm.updateAAD(aad);
      byte[] scratch = new byte[SLICE + TAG];
      for (int i = 0; i < n; i += SLICE) {
        gcm.update(plain, i, Math.min(SLICE, n - i), scratch, 0);
      }
      byte[] last = gcm.doFinal();
      byte[] tag = Arrays.copyOfRange(last, last.length - TAG, last.length);
      byte[] expected = Arrays.copyOfRange(sealed, off + len - TAG, off + len);
      if (!MessageDigest.isEqual(tag, expected)) {
        throw new TamperedException("authentication failed: data damaged or not ours");
      }
      return plain;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES unavailable", e);
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
