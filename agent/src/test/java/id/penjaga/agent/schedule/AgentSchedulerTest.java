package id.penjaga.agent.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.TimeZone;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.CronExpression;

class AgentSchedulerTest {
  @TempDir Path dir;

  static final class CountingTask implements ScheduledTask {
    final String name;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final Duration work;
    final CountDownLatch firstRun = new CountDownLatch(1);

    CountingTask(String name, Duration work) {
      this.name = name;
      this.work = work;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void run() throws InterruptedException {
      int now = running.incrementAndGet();
      maxRunning.accumulateAndGet(now, Math::max);
      Thread.sleep(work.toMillis());
      running.decrementAndGet();
      runs.incrementAndGet();
      firstRun.countDown();
    }
  }

  static CronExpression cron(String expr) throws Exception {
    CronExpression c = new CronExpression(expr);
    c.setTimeZone(TimeZone.getTimeZone("UTC"));
    return c;
  }

  @Test
  void missedRunIsComputedFromTheLedger() throws Exception {
    CronExpression daily = cron("0 30 1 * * ?");
    Instant lastRun = Instant.parse("2026-11-20T01:30:05Z");
    assertThat(RunLedger.missed(daily, lastRun, Instant.parse("2026-11-21T01:29:59Z"))).isFalse();
    assertThat(RunLedger.missed(daily, lastRun, Instant.parse("2026-11-21T01:30:00Z"))).isTrue();
    assertThat(RunLedger.missed(daily, lastRun, Instant.parse("2026-11-24T09:00:00Z"))).isTrue();
  }

  @Test
  void ledgerSurvivesReopening() throws Exception {
    Path file = dir.resolve("schedule.json");
    RunLedger ledger = new RunLedger(file);
    assertThat(ledger.lastRun("backup")).isEmpty();
    ledger.recordRun("backup", Instant.parse("2026-11-24T01:30:00Z"));
    assertThat(new RunLedger(file).lastRun("backup")).contains(Instant.parse("2026-11-24T01:30:00Z"));
  }

  @Test
  void aCronTaskMissedWhileDownRunsOnceAtStart() throws Exception {
    Path file = dir.resolve("schedule.json");
    Clock clock = Clock.systemUTC();
    // The agent was down for three days: three daily runs were missed.
    new RunLedger(file).recordRun("daily", clock.instant().minus(Duration.ofDays(3)));
    CountingTask task = new CountingTask("daily", Duration.ofMillis(10));
    // Daily, an hour ago by the local clock: due three times since the last run, next due in 23h.
    java.time.LocalTime due = java.time.LocalTime.now().minusHours(1);
    String daily = "0 " + due.getMinute() + " " + due.getHour() + " * * ?";
    try (AgentScheduler s = new AgentScheduler(new RunLedger(file), clock, 2)) {
      s.register(task, new Schedule.Cron(daily));
      s.start();
      assertThat(task.firstRun.await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(1000);
    }
    assertThat(task.runs).hasValue(1);
    // The completed run is in the ledger: the next start owes nothing.
    Instant recorded = new RunLedger(file).lastRun("daily").orElseThrow();
    assertThat(recorded).isAfter(clock.instant().minus(Duration.ofMinutes(1)));
  }

  @Test
  void aNewCronTaskDoesNotRunAtStartButIsRecordedAsBaseline() throws Exception {
    Path file = dir.resolve("schedule.json");
    CountingTask task = new CountingTask("fresh", Duration.ofMillis(1));
    try (AgentScheduler s = new AgentScheduler(new RunLedger(file), Clock.systemUTC(), 2)) {
      s.register(task, new Schedule.Cron("0 30 1 1 1 ? 2099"));
      s.start();
      Thread.sleep(1500);
    }
    assertThat(task.runs).hasValue(0);
    assertThat(new RunLedger(file).lastRun("fresh")).isPresent();
  }

  @Test
  void twoRunsOfOneTaskNeverOverlap() throws Exception {
    CountingTask task = new CountingTask("slow", Duration.ofMillis(300));
    try (AgentScheduler s =
        new AgentScheduler(new RunLedger(dir.resolve("l.json")), Clock.systemUTC(), 4)) {
      s.register(task, new Schedule.Every(Duration.ofMillis(50)));
      s.start();
      s.runNow("slow");
      s.runNow("slow");
      Thread.sleep(1500);
    }
    assertThat(task.runs.get()).isGreaterThanOrEqualTo(2);
    assertThat(task.maxRunning).hasValue(1);
  }

  @Test
  void intervalTasksRunRepeatedly() throws Exception {
    CountingTask task = new CountingTask("beat", Duration.ZERO);
    try (AgentScheduler s =
        new AgentScheduler(new RunLedger(dir.resolve("l.json")), Clock.systemUTC(), 2)) {
      s.register(task, new Schedule.Every(Duration.ofMillis(100)));
      s.start();
      Thread.sleep(1000);
    }
    assertThat(task.runs.get()).isBetween(5, 12);
  }

  @Test
  void invalidCronIsRefused() {
    assertThatThrownBy(() -> new Schedule.Cron("61 * * * * ?"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid cron");
  }
}
