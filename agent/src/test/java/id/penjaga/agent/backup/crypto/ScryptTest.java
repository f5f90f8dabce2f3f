package id.penjaga.agent.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.generators.SCrypt;
import org.junit.jupiter.api.Test;

class ScryptTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givesRfc7914sTestVectors() {
    assertThat(HexFormat.of().formatHex(Scrypt.derive(bytes(""), bytes(""), 16, 1, 1, 64)))
        .isEqualTo("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
    assertThat(HexFormat.of().formatHex(Scrypt.derive(bytes("password"), bytes("NaCl"), 1024, 8, 16, 64)))
        .isEqualTo("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  }

  @Test
  void agreesWithBouncyCastlesScryptSoExistingKeySlotsStillOpen() {
    Random random = new Random(3);
    int[][] costs = {{2, 1, 1}, {1 << 10, 8, 1}, {1 << 12, 8, 2}, {1 << 15, 8, 1}, {64, 3, 5}};
    for (int[] c : costs) {
      byte[] password = new byte[1 + random.nextInt(40)];
      byte[] salt = new byte[32];
      random.nextBytes(password);
      random.nextBytes(salt);
      assertThat(Scrypt.derive(password, salt, c[0], c[1], c[2], 32))
          .as("n=%d r=%d p=%d", c[0], c[1], c[2])
          .isEqualTo(SCrypt.generate(password, salt, c[0], c[1], c[2], 32));
    }
  }

  @Test
  void refusesCostsOutOfRangeBeforeTakingMemory() {
    for (int[] c : new int[][] {{0, 8, 1}, {1, 8, 1}, {3000, 8, 1}, {1 << 15, 0, 1}, {1 << 15, 8, 0},
        {1 << 30, 8, 1}, {1 << 2, 1 << 30, 1}}) {
      assertThatThrownBy(() -> Scrypt.derive(bytes("pw"), bytes("salt"), c[0], c[1], c[2], 32))
          .as("n=%d r=%d p=%d", c[0], c[1], c[2])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("out of range");
    }
  }

  @Test
  void aKeySlotAskingForTooMuchMemoryIsNotOpenedAndSaysWhy() throws Exception {
    MasterKey key = MasterKey.generate();
    KeySlot slot = KeySlot.create(key, "pw".toCharArray(), 1 << 10);
    KeySlot greedy = new KeySlot(slot.version(), slot.kdf(), 1 << 30, slot.r(), slot.p(), slot.salt(),
        slot.data(), slot.created(), slot.host(), slot.user());
    assertThat(slot.open("pw".toCharArray()).bytes()).isEqualTo(key.bytes());
    assertThatThrownBy(() -> greedy.open("pw".toCharArray()))
        .isInstanceOf(Sealer.TamperedException.class)
        .hasMessageContaining("unsupported key slot")
        .hasMessageContaining("n=1073741824");
  }
}
