package id.penjaga.agent.backup.chunker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChunkerGearTableTest {
  @Test
  void theSameSeedGivesTheSameTable() {
    assertThat(GearTable.derive(7)).hasSize(256).isEqualTo(GearTable.derive(7));
  }

  @Test
  void otherSeedsGiveUnrelatedTables() {
    long[] a = GearTable.derive(7);
    for (long seed : new long[] {8, -7, 7L << 32}) {
      long[] b = GearTable.derive(seed);
      long equal = 0;
      for (int i = 0; i < a.length; i++) {
        equal += a[i] == b[i] ? 1 : 0;
      }
      assertThat(equal).as("entries equal for seeds 7 and %d", seed).isZero();
    }
  }

  @Test
  void entriesAreDistinctAndUseAllBits() {
    long[] t = GearTable.derive(0);
    assertThat(Arrays.stream(t).distinct().count()).isEqualTo(256);
    long or = 0;
    long and = -1;
    for (long v : t) {
      or |= v;
      and &= v;
    }
    assertThat(or).isEqualTo(-1L);
    assertThat(and).isZero();
  }

  /** The derivation is part of the repository format; these values were checked with Python. */
  @Test
  void theDerivationIsPinned() {
    long[] t = GearTable.derive(42);
    assertThat(new long[] {t[0], t[1], t[255]}).containsExactly(GOLDEN);
  }

  static final long[] GOLDEN = {
    9018473998294199090L, -3580327736206254400L, -5804406629056556004L
  };
}
