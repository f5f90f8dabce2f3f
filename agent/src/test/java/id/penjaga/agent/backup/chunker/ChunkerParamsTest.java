package id.penjaga.agent.backup.chunker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChunkerParamsTest {
  @Test
  void defaultsAreHalfOneAndEightMebibytes() {
    assertThat(ChunkerParams.DEFAULT).isEqualTo(new ChunkerParams(512 << 10, 1 << 20, 8 << 20));
  }

  @Test
  void minimumAndMaximumNeedNotBePowersOfTwo() {
    ChunkerParams p = new ChunkerParams(300_000, 1 << 20, 5_000_000);
    assertThat(p.min()).isEqualTo(300_000);
    assertThat(p.max()).isEqualTo(5_000_000);
  }

  @Test
  void theAverageMustBeAPowerOfTwo() {
    assertThatThrownBy(() -> new ChunkerParams(1000, 1_000_000, 8_000_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("power of two");
    assertThatThrownBy(() -> new ChunkerParams(1, 0, 8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ChunkerParams(1, Integer.MIN_VALUE, 8))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sizesMustBeStrictlyOrdered() {
    int avg = 1 << 20;
    for (int[] bad :
        new int[][] {
          {0, avg, 2 * avg}, {-1, avg, 2 * avg}, {avg, avg, 2 * avg}, {avg + 1, avg, 2 * avg},
          {1, avg, avg}, {1, avg, avg - 1}, {1, avg, ChunkerParams.MAX_LIMIT + 1}
        }) {
      assertThatThrownBy(() -> new ChunkerParams(bad[0], bad[1], bad[2]))
          .as("min %d avg %d max %d", bad[0], bad[1], bad[2])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("min < avg < max");
    }
  }
}
