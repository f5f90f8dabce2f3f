package id.penjaga.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HumanFormsTest {
  @Test
  void durations() {
    assertThat(HumanDuration.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(HumanDuration.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(HumanDuration.parse("26h")).isEqualTo(Duration.ofHours(26));
    assertThat(HumanDuration.parse("92d")).isEqualTo(Duration.ofDays(92));
    assertThat(HumanDuration.parse("2w")).isEqualTo(Duration.ofDays(14));
    assertThat(HumanDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(HumanDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    for (String bad : new String[] {"", "30", "s", "1.5h", "-3m", "3 m", "3y", "m3"}) {
      assertThatThrownBy(() -> HumanDuration.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid duration");
    }
    assertThat(HumanDuration.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(HumanDuration.format(Duration.ofDays(92))).isEqualTo("92d");
  }

  @Test
  void sizes() {
    assertThat(DataSize.parse("500MiB").bytes()).isEqualTo(500L << 20);
    assertThat(DataSize.parse("20GiB").bytes()).isEqualTo(20L << 30);
    assertThat(DataSize.parse("4096").bytes()).isEqualTo(4096);
    assertThat(DataSize.parse("1.5KiB").bytes()).isEqualTo(1536);
    assertThat(DataSize.parse("10MB").bytes()).isEqualTo(10_000_000);
    assertThat(DataSize.parse("2 GiB").bytes()).isEqualTo(2L << 30);
    for (String bad : new String[] {"", "lots", "-1MiB", "5XB", "MiB"}) {
      assertThatThrownBy(() -> DataSize.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("size");
    }
    assertThat(DataSize.parse("256MiB").toString()).isEqualTo("256MiB");
  }

  @Test
  void addresses() {
    assertThat(HostPort.parse("127.0.0.1:9464")).isEqualTo(new HostPort("127.0.0.1", 9464));
    assertThat(HostPort.parse("[::1]:8470")).isEqualTo(new HostPort("::1", 8470));
    assertThat(HostPort.parse("[::1]:8470").toString()).isEqualTo("[::1]:8470");
    for (String bad : new String[] {"localhost", ":80", "h:", "h:70000", "h:x"}) {
      assertThatThrownBy(() -> HostPort.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
