package id.penjaga.agent.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SealerTest {
  static final byte[] KEY = new byte[32];

  static {
    new Random(1).nextBytes(KEY);
  }

  final byte[] aad = "blob-id".getBytes(StandardCharsets.US_ASCII);

  /** Native AES (where it loads here) and the JDK's: the same format, every test on both. */
  static Stream<Arguments> sealers() {
    Stream.Builder<Arguments> b = Stream.builder();
    b.add(Arguments.of("jdk", new Sealer(KEY, null)));
    if (NativeCrypto.provider() != null) {
      b.add(Arguments.of("native", new Sealer(KEY, NativeCrypto.provider())));
    }
    return b.build();
  }

  @Test
  void nativeAesLoadsOnThisMachine() {
    // The build machine is x86-64 Linux, where the native provider must load; elsewhere the JDK's
    // AES is used and this would say so.
    assertThat(System.getProperty("os.arch")).isEqualTo("amd64");
    assertThat(NativeCrypto.provider()).isNotNull();
  }

  @Test
  void nativeAndJdkOpenEachOthersPieces() throws Exception {
    Sealer jdk = new Sealer(KEY, null);
    Sealer fast = new Sealer(KEY, NativeCrypto.provider());
    Random r = new Random(7);
    for (int size : new int[] {0, 1, 4097, 1 << 20}) {
      byte[] plain = new byte[size];
      r.nextBytes(plain);
      assertThat(jdk.open(fast.seal(plain, aad), aad)).isEqualTo(plain);
      assertThat(fast.open(jdk.seal(plain, aad), aad)).isEqualTo(plain);
      byte[] out = new byte[Sealer.sealedLength(size) + 5];
      int n = fast.sealInto((byte) 1, plain, 0, size, aad, out, 5);
      byte[] sealed = java.util.Arrays.copyOfRange(out, 5, 5 + n);
      byte[] opened = jdk.open(sealed, aad);
      assertThat(opened[0]).isEqualTo((byte) 1);
      assertThat(java.util.Arrays.copyOfRange(opened, 1, opened.length)).isEqualTo(plain);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void opensTheSamePieceTwiceInARow(String name, Sealer sealer) throws Exception {
    // A file restored twice, or two equal files, open one chunk twice in a row on one thread.
    byte[] plain = "dokumen penawaran".repeat(500).getBytes(StandardCharsets.UTF_8);
    byte[] sealed = sealer.seal(plain, aad);
    assertThat(sealer.open(sealed, aad)).isEqualTo(plain);
    assertThat(sealer.open(sealed, aad)).isEqualTo(plain);
    byte[] bad = sealed.clone();
    bad[40] ^= 1;
    assertThatThrownBy(() -> sealer.open(bad, aad)).isInstanceOf(Sealer.TamperedException.class);
    assertThat(sealer.open(sealed, aad)).isEqualTo(plain);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void noncesDoNotRepeat(String name, Sealer sealer) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 2000; i++) {
      byte[] sealed = sealer.seal(new byte[1], aad);
      assertThat(seen.add(java.util.HexFormat.of().formatHex(sealed, 0, Sealer.NONCE))).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void roundTripsAllSizesAcrossSliceBoundaries(String name, Sealer sealer) throws Exception {
    Random r = new Random(2);
    for (int size : new int[] {0, 1, 15, 16, 17, 4095, 4096, 4097, 8191, 100_000, 1 << 20}) {
      byte[] plain = new byte[size];
      r.nextBytes(plain);
      byte[] sealed = sealer.seal(plain, aad);
      assertThat(sealed).hasSize(size + Sealer.OVERHEAD);
      assertThat(sealer.open(sealed, aad)).as("size " + size).isEqualTo(plain);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void isStandardGcmBothWays(String name, Sealer sealer) throws Exception {
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

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void opensIntoAReusedBufferAtAnOffset(String name, Sealer sealer) throws Exception {
    // A restore opens chunk after chunk into one buffer; pieces sit at offsets inside a pack.
    byte[] out = new byte[(1 << 20) + 10];
    Random r = new Random(3);
    for (int size : new int[] {1 << 20, 17, 0, 70_000}) {
      byte[] plain = new byte[size];
      r.nextBytes(plain);
      byte[] sealed = sealer.seal(plain, aad);
      byte[] pack = new byte[sealed.length + 300];
      System.arraycopy(sealed, 0, pack, 123, sealed.length);
      int n = sealer.openInto(pack, 123, sealed.length, aad, out);
      assertThat(n).isEqualTo(size);
      assertThat(java.util.Arrays.copyOf(out, n)).as("size " + size).isEqualTo(plain);
      pack[123 + sealed.length / 2] ^= 1;
      assertThatThrownBy(() -> sealer.openInto(pack, 123, sealed.length, aad, out))
          .isInstanceOf(Sealer.TamperedException.class);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sealers")
  void anyChangedByteOrOtherBindingIsRefused(String name, Sealer sealer) {
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
    assertThatThrownBy(() -> new Sealer(otherKey, null).open(sealed, aad)).isInstanceOf(Sealer.TamperedException.class);
    assertThatThrownBy(() -> sealer.open(new byte[27], aad)).isInstanceOf(Sealer.TamperedException.class);
  }
}
