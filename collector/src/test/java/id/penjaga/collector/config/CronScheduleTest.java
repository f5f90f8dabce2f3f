package id.penjaga.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Date;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.quartz.CronExpression;

class CronScheduleTest {
  static Date next(CronSchedule c, String afterUtc) throws Exception {
    CronExpression e = new CronExpression(c.quartz());
    e.setTimeZone(TimeZone.getTimeZone("UTC"));
    return e.getTimeAfter(Date.from(java.time.Instant.parse(afterUtc)));
  }

  @Test
  void crontabFieldsBecomeQuartz() throws Exception {
    assertThat(CronSchedule.parse("15 3 * * *").quartz()).isEqualTo("0 15 3 * * ?");
    assertThat(CronSchedule.parse("0 1 1 */3 *").quartz()).isEqualTo("0 0 1 1 */3 ?");
    assertThat(CronSchedule.parse("30 2 * * 1-5").quartz()).isEqualTo("0 30 2 ? * MON-FRI");
    assertThat(CronSchedule.parse("0 6 * * 0").quartz()).isEqualTo("0 0 6 ? * SUN");
    assertThat(CronSchedule.parse("0 6 * * 7").quartz()).isEqualTo("0 0 6 ? * SUN");
    // Monday 2026-11-23 is a Monday; "0" (Sunday) in crontab must fire on Sunday the 29th.
    assertThat(next(CronSchedule.parse("0 6 * * 0"), "2026-11-24T00:00:00Z"))
        .isEqualTo(Date.from(java.time.Instant.parse("2026-11-29T06:00:00Z")));
    assertThat(next(CronSchedule.parse("15 3 * * *"), "2026-11-24T03:15:00Z"))
        .isEqualTo(Date.from(java.time.Instant.parse("2026-11-25T03:15:00Z")));
  }

  @Test
  void quartzFormPassesThrough() {
    assertThat(CronSchedule.parse("0 15 3 * * ?").quartz()).isEqualTo("0 15 3 * * ?");
  }

  @Test
  void badSchedulesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> CronSchedule.parse("every day"))
        .hasMessageContaining("five crontab fields");
    assertThatThrownBy(() -> CronSchedule.parse("61 3 * * *")).hasMessageContaining("invalid cron");
    assertThatThrownBy(() -> CronSchedule.parse("0 3 1 * 1"))
        .hasMessageContaining("not both");
  }
}
