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
   * With the JDK's AES, data goes through the cipher in slices: the JIT compiles the AES and GHASH intrinsics only
   * into methods called often, and one call per multi-megabyte chunk would leave them in plain
   * Java at a tenth of the speed. JDK 17's GCM decryption holds all data until the end, so opening
   * decrypts with AES-CTR and checks the tag by sealing again (see {@link #open}). Native AES
   * takes each piece in one call.
   */
  private static final int SLICE = 4096;

  /** Nonces are drawn from the system's generator this many at a time: one read, not one per blob. */
  private static final int NONCE_BATCH = 256;

  private final SecretKeySpec key;
  /**
   * Each thread's ciphers, made and keyed once: looking a cipher up and expanding the AES key for
   * every blob cost more than sealing a small blob, and kept the JIT compiler busy.
   */
  private final ThreadLocal<Ciphers> ciphers;
  /** Native AES, or null for the JDK's ({@link NativeCrypto}). */
  private final java.security.Provider provider;

  /** One thread's ciphers and its unused random nonces. */
  private static final class Ciphers {
    private final java.security.Provider provider;
    final Cipher gcm;
    final Cipher ctr;
    final Cipher verify;
    /** The nonce {@link #verify} was last used with: GCM refuses to encrypt twice under one. */
    byte[] verifyNonce;
    final byte[] nonces = new byte[NONCE * NONCE_BATCH];
    int next = NONCE_BATCH;
    final byte[] counter = new byte[16];
    final byte[] scratch = new byte[SLICE + TAG];

    Ciphers(java.security.Provider provider) {
      this.provider = provider;
      try {
        gcm = cipher("AES/GCM/NoPadding");
        ctr = provider != null ? null : cipher("AES/CTR/NoPadding");
        verify = cipher("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES unavailable", e);
      }
    }

    private Cipher cipher(String transformation) throws GeneralSecurityException {
      return provider != null
          ? Cipher.getInstance(transformation, provider)
          : Cipher.getInstance(transformation);
    }

    /** A fresh random nonce, written to {@code out[at, at + NONCE)}. */
    void nonce(byte[] out, int at) {
      if (next == NONCE_BATCH) {
        RANDOM.nextBytes(nonces);
        next = 0;
      }
      System.arraycopy(nonces, next * NONCE, out, at, NONCE);
      // Each nonce is used once: wipe it from the batch.
      Arrays.fill(nonces, next * NONCE, (next + 1) * NONCE, (byte) 0);
      next++;
    }
  }

  public Sealer(byte[] key32) {
    this(key32, NativeCrypto.provider());
  }

  /** A sealer using {@code provider}'s AES, or the JDK's when it is null (tests use both). */
  Sealer(byte[] key32, java.security.Provider provider) {
    if (key32.length != 32) {
      throw new IllegalArgumentException("AES-256 needs a 32-byte key");
    }
    this.key = new SecretKeySpec(key32, "AES");
    this.provider = provider;
    this.ciphers = ThreadLocal.withInitial(() -> new Ciphers(provider));
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
    sealInto(prefix, plain, off, len, aad, out, 0);
    return out;
  }

  /** The length of {@code len} bytes and a one-byte prefix, sealed. */
  public static int sealedLength(int len) {
    return NONCE + 1 + len + TAG;
  }

  /**
   * Seals {@code prefix ‖ plain[off, off+len)} into {@code out} at {@code at} (room for {@link
   * #sealedLength} bytes), so a caller can reuse one buffer for every blob. Returns the length.
   */
  public int sealInto(byte prefix, byte[] plain, int off, int len, byte[] aad, byte[] out, int at) {
    return sealInto(new byte[] {prefix}, plain, off, len, aad, out, at);
  }

  private int sealInto(byte[] prefix, byte[] plain, int off, int len, byte[] aad, byte[] out, int at) {
    int p = prefix == null ? 0 : prefix.length;
    Ciphers cs = ciphers.get();
    cs.nonce(out, at);
    try {
      Cipher c = cs.gcm;
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, out, at, NONCE));
      c.updateAAD(aad);
      int o = at + NONCE + (p > 0 ? c.update(prefix, 0, p, out, at + NONCE) : 0);
      if (provider != null) {
        o += c.doFinal(plain, off, len, out, o);
        return o - at;
      }
      for (int i = 0; i < len; i += SLICE) {
        o += c.update(plain, off + i, Math.min(SLICE, len - i), out, o);
      }
      o += c.doFinal(out, o);
      return o - at;
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
    Ciphers cs = ciphers.get();
    if (provider != null) {
      byte[] plain = new byte[n];
      openNative(cs.verify, sealed, off, len, aad, plain);
      return plain;
    }
    try {
      // The plaintext, by AES-CTR from GCM's first data counter (nonce ‖ 2)...
      byte[] counter = cs.counter;
      System.arraycopy(sealed, off, counter, 0, NONCE);
      counter[12] = 0;
      counter[13] = 0;
      counter[14] = 0;
      counter[15] = 2;
      Cipher ctr = cs.ctr;
      ctr.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(counter));
      byte[] plain = new byte[n];
      int o = 0;
      for (int i = 0; i < n; i += SLICE) {
        o += ctr.update(sealed, off + NONCE + i, Math.min(SLICE, n - i), plain, o);
      }
      ctr.doFinal(plain, o);
      // ...authenticated by sealing it again with the same nonce: the same ciphertext comes out,
      // so the tags are equal exactly when GCM decryption would accept it.
      byte[] nonce = Arrays.copyOfRange(sealed, off, off + NONCE);
      Cipher gcm = cs.verify;
      if (Arrays.equals(nonce, cs.verifyNonce)) {
        // The same piece opened twice in a row: GCM encryption refuses a nonce it just used.
        gcm = Cipher.getInstance("AES/GCM/NoPadding");
      } else {
        cs.verifyNonce = nonce;
      }
      gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
      gcm.updateAAD(aad);
      byte[] scratch = cs.scratch;
      for (int i = 0; i < n; i += SLICE) {
        gcm.update(plain, i, Math.min(SLICE, n - i), scratch, 0);
      }
      int last = gcm.doFinal(scratch, 0);
      byte[] tag = Arrays.copyOfRange(scratch, last - TAG, last);
      byte[] expected = Arrays.copyOfRange(sealed, off + len - TAG, off + len);
      if (!MessageDigest.isEqual(tag, expected)) {
        throw new TamperedException("authentication failed: data damaged or not ours");
      }
      return plain;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES unavailable", e);
    }
  }

  /** Native GCM decryption checks the tag before it gives any plaintext back, in one call. */
  private int openNative(Cipher gcm, byte[] sealed, int off, int len, byte[] aad, byte[] out)
      throws TamperedException {
    try {
      gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
      gcm.updateAAD(aad);
      return gcm.doFinal(sealed, off + NONCE, len - NONCE, out, 0);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new TamperedException("authentication failed: data damaged or not ours");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES unavailable", e);
    }
  }

  /**
   * As {@link #open(byte[], int, int, byte[])}, into {@code out} from 0 (room for {@code len -
   * OVERHEAD} bytes): a caller opening many pieces (a restore) reuses one buffer. Returns the
   * plaintext's length.
   */
  public int openInto(byte[] sealed, int off, int len, byte[] aad, byte[] out) throws TamperedException {
    if (len < OVERHEAD) {
      throw new TamperedException("sealed data too short (" + len + " bytes)");
    }
    if (provider == null) {
      byte[] plain = open(sealed, off, len, aad);
      System.arraycopy(plain, 0, out, 0, plain.length);
      return plain.length;
    }
    return openNative(ciphers.get().verify, sealed, off, len, aad, out);
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
