package id.penjaga.agent.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class MasterKeyTest {
  @Test
  void blobIdsAreHmacSha256UnderTheIdKeyWhicheverProviderComputesThem() throws Exception {
    byte[] bytes = new byte[64];
    new Random(3).nextBytes(bytes);
    MasterKey key = MasterKey.of(bytes);
    Mac ids = key.idHasher();
    // native on this machine (SealerTest checks that the provider loads here)
    assertThat(ids.getProvider()).isSameAs(NativeCrypto.provider());
    Mac jdk = Mac.getInstance("HmacSHA256", "SunJCE");
    jdk.init(new SecretKeySpec(Arrays.copyOfRange(bytes, 32, 64), "HmacSHA256"));
    Random r = new Random(4);
    for (int size : new int[] {0, 1, 32, 64, 65, 4096}) {
      byte[] data = new byte[size];
      r.nextBytes(data);
      // twice in a row: a hasher is reused for every blob of its thread
      assertThat(ids.doFinal(data)).isEqualTo(jdk.doFinal(data)).isEqualTo(ids.doFinal(data));
    }
  }
}
