package id.penjaga.agent.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class SealerTest {
  static final byte[] KEY = new byte[32];

  static {
    new Random(1).nextBytes(KEY);
  }

  final Sealer sealer = new Sealer(KEY);
  final byte[] aad = "blob-id".getBytes(StandardCharsets.US_ASCII);

  @Test
  void roundTripsAllSizesAcrossSliceBoundaries() throws Exception {
    Random r = new Random(2);
    for (int size : new int[] {0, 1, 15, 16, 17, 4095, 4096, 4097, 8191, 100_000, 1 << 20}) {
      byte[] plain = new byte[size];
      r.nextBytes(plain);
      byte[] sealed = sealer.seal(plain, aad);
      assertThat(sealed).hasSize(size + Sealer.OVERHEAD);
      assertThat(sealer.open(sealed, aad)).as("size " + size).isEqualTo(plain);
    }
  }

  @Test
  void isStandardGcmBothWays() throws Exception {
    byte[] plain = new byte[10_007];
    new Random(3).nextBytes(plain);
    // Ours, opened by the JDK's own GCM decryption.
    byte[] sealed = sealer.seal(plain, aad);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
    c.updateAAD(aad);
    assertThat(c.doFinal(sealed, 12, sealed.length - 12)).isEqualTo(plain);
    // The JDK's, opened by ours.
    byte[] nonce = new byte[12];
    new Random(4).nextBytes(nonce);
    Cipher e = Cipher.getInstance("AES/GCM/NoPadding");
    e.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, nonce));
    e.updateAAD(aad);
    byte[] ct = e.doFinal(plain);
    byte[] jdk = new byte[12 + ct.length];
    System.arraycopy(nonce, 0, jdk, 0, 12);
    System.arraycopy(ct, 0, jdk, 12, ct.length);
    assertThat(sealer.open(jdk, aad)).isEqualTo(plain);
  }

  @Test
  void anyChangedByteOrOtherBindingIsRefused() {
    byte[] plain = "penawaran harga".repeat(1000).getBytes(StandardCharsets.UTF_8);
    byte[] sealed = sealer.seal(plain, aad);
    for (int pos : new int[] {0, 5, 11, 12, 100, 5000, sealed.length - 17, sealed.length - 1}) {
      byte[] bad = sealed.clone();
      bad[pos] ^= 0x01;
      assertThatThrownBy(() -> sealer.open(bad, aad)).as("byte " + pos).isInstanceOf(Sealer.TamperedException.class);
    }
    assertThatThrownBy(() -> sealer.open(sealed, "other".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(Sealer.TamperedException.class);
    byte[] otherKey = KEY.clone();
    otherKey[0] ^= 1;
    assertThatThrownBy(() -> new Sealer(otherKey).open(sealed, aad)).isInstanceOf(Sealer.TamperedException.class);
    assertThatThrownBy(() -> sealer.open(new byte[27], aad)).isInstanceOf(Sealer.TamperedException.class);
  }
}
