package id.penjaga.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.cli.CliRun;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.Spool;
import id.penjaga.agent.schedule.RunLedger;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's scheduled backup work, driven through {@code penjaga-agent run}'s own wiring with
 * an injected clock: the daily backup made up at start after a missed run (and reported as a
 * failure), runs on schedule that never overlap, forget and prune after each, metrics per source.
 */
class ScheduledBackupTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  Path configure(String... schedule) throws IOException {
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    List<String> more = new ArrayList<>(List.of("metrics:", "  listen: 127.0.0.1:0", "schedule:"));
    for (String s : schedule) {
      more.add("  " + s);
    }
    more.addAll(List.of("retention:", "  keep-last: 2"));
    Path config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass,
            dir.resolve("file"), more.toArray(String[]::new));
    // backupConfig turns metrics off first; the later section wins only if we drop that one.
    String text = Files.readString(config).replace("metrics:\n  enabled: false\n", "");
    Files.writeString(config, text);
    assertThat(CliRun.of("-c", config.toString(), "init").exit()).isZero();
    return config;
  }

  void writeFiles(int count, int size) throws IOException {
    Path src = Files.createDirectories(dir.resolve("file/2026"));
    Random r = new Random(7);
    byte[] buf = new byte[size];
    for (int i = 0; i < count; i++) {
      r.nextBytes(buf);
      try (OutputStream out = Files.newOutputStream(src.resolve("dokumen-" + i + ".pdf"))) {
        out.write(buf);
      }
    }
  }

  List<JsonNode> journal(String type) throws IOException {
    Path j = dir.resolve("state").resolve(Spool.JOURNAL);
    List<JsonNode> out = new ArrayList<>();
    if (Files.exists(j)) {
      for (String line : Files.readAllLines(j)) {
        JsonNode n = JSON.readTree(line);
        if (n.path("type").asText().equals(type)) {
          out.add(n);
        }
      }
    }
    return out;
  }

  static void await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(100);
    }
  }

  BooleanSupplier records(String type, int n) {
    return () -> {
      try {
        return journal(type).size() >= n;
      } catch (IOException e) {
        return false;
      }
    };
  }

  @Test
  void aDailyBackupMissedWhileDownRunsAtStartAndIsReported() throws Exception {
    writeFiles(3, 100_000);
    // Daily at a time twelve hours away, so it cannot fire by itself during the test.
    LocalTime at = LocalTime.now().plusHours(12);
    Path config = configure("backup: \"" + at.getMinute() + " " + at.getHour() + " * * *\"", "check: \"off\"", "check-read-data: \"off\"");
    // The injected clock says it is 09:00 on 26 November; the last run was on the 24th.
    Instant now = Instant.parse("2026-11-26T02:00:00Z");
    Clock clock = Clock.fixed(now, ZoneId.of("Asia/Jakarta"));
    new RunLedger(dir.resolve("state/schedule.json")).recordRun(BackupTasks.DAILY_BACKUP, now.minus(Duration.ofDays(2)));

    try (AgentDaemon daemon = new AgentDaemon(AgentConfig.load(config), "test", clock)) {
      daemon.start();
      await(records("backup-run", 1), Duration.ofSeconds(30));
      JsonNode run = journal("backup-run").get(0).path("body");
      assertThat(run.path("trigger").asText()).isEqualTo("schedule");
      assertThat(run.path("result").asText()).isEqualTo("success");
      assertThat(run.path("source").asText()).isEqualTo("uploads");

      JsonNode missed = journal("failure").get(0).path("body");
      assertThat(missed.path("kind").asText()).isEqualTo("missed-run");
      assertThat(missed.path("task").asText()).isEqualTo(BackupTasks.DAILY_BACKUP);
      assertThat(missed.path("reason").asText()).contains("did not happen");

      String metrics = metrics(daemon);
      String labels = "{agent=\"lpse-uji\",source=\"uploads\",target=\"main\"}";
      assertThat(value(metrics, "penjaga_backup_last_success_timestamp_seconds" + labels)).isEqualTo(now.getEpochSecond());
      assertThat(value(metrics, "penjaga_backup_last_result" + labels)).isEqualTo(0.0);
      assertThat(value(metrics, "penjaga_backup_last_files" + labels)).isEqualTo(3.0);
      assertThat(value(metrics, "penjaga_failures_total{agent=\"lpse-uji\",kind=\"missed-run\"}")).isEqualTo(1.0);
    }
    await(
        () -> new RunLedgerView(dir).lastRun().filter(now::equals).isPresent(),
        Duration.ofSeconds(5));
  }

  static String metrics(AgentDaemon daemon) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of one series in the Prometheus text format. */
  static double value(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no series " + series + " in:\n" + metrics);
  }

  /** Reads the ledger fresh each time. */
  record RunLedgerView(Path dir) {
    java.util.Optional<Instant> lastRun() {
      try {
        return new RunLedger(dir.resolve("state/schedule.json")).lastRun(BackupTasks.DAILY_BACKUP);
      } catch (IOException e) {
        return java.util.Optional.empty();
      }
    }
  }

  @Test
  void scheduledRunsNeverOverlapAndRetentionFollowsEach() throws Exception {
    // 1 GiB of new data: the first run outlasts the one-second schedule. 256 MiB did until scans
    // and archives were no longer passed through zstd; 768 MiB took ~1.4 s once packs were written
    // with direct I/O, too close to a second on a quicker machine.
    writeFiles(64, 16 << 20);
    Path config = configure("backup: \"0/1 * * * * ?\"", "check: \"off\"", "check-read-data: \"off\"");
    try (AgentDaemon daemon = new AgentDaemon(AgentConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      await(records("backup-run", 4), Duration.ofSeconds(60));
    }
    List<JsonNode> runs = journal("backup-run");
    assertThat(runs).allSatisfy(r -> assertThat(r.path("body").path("result").asText()).isEqualTo("success"));
    JsonNode first = runs.get(0).path("body");
    Instant firstStart = Instant.parse(first.path("started_at").asText());
    Instant firstEnd = Instant.parse(first.path("finished_at").asText());
    assertThat(firstEnd.getEpochSecond())
        .as("a scheduled time (each whole second) passed while the first run was busy (%s to %s)", firstStart, firstEnd)
        .isGreaterThan(firstStart.getEpochSecond());
    for (int i = 1; i < runs.size(); i++) {
      Instant previousEnd = Instant.parse(runs.get(i - 1).path("body").path("finished_at").asText());
      Instant start = Instant.parse(runs.get(i).path("body").path("started_at").asText());
      assertThat(start).as("run %d starts after run %d ended", i, i - 1).isAfterOrEqualTo(previousEnd);
    }
    // keep-last 2: forget and prune ran after the runs.
    CliRun snapshots = CliRun.of("-c", config.toString(), "snapshots", "--json");
    assertThat(JSON.readTree(snapshots.out()).path("snapshots").size()).isEqualTo(2);
    assertThat(journal("failure")).isEmpty();
  }

  @Test
  void aScheduledCheckThatFindsDamageIsAFailureEvent() throws Exception {
    writeFiles(2, 300_000);
    Path config = configure("backup: \"off\"", "check: \"0/1 * * * * ?\"", "check-read-data: \"off\"");
    assertThat(CliRun.of("-c", config.toString(), "backup").exit()).isZero();
    // A pack goes missing from the backup disk.
    try (var packs = Files.walk(dir.resolve("usb/data"))) {
      Files.delete(packs.filter(Files::isRegularFile).findFirst().orElseThrow());
    }
    try (AgentDaemon daemon = new AgentDaemon(AgentConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      await(records("failure", 1), Duration.ofSeconds(30));
    }
    JsonNode f = journal("failure").get(0).path("body");
    assertThat(f.path("kind").asText()).isEqualTo("check");
    assertThat(f.path("target_name").asText()).isEqualTo("main");
    assertThat(f.path("reason").asText()).contains("error(s) in the repository");
  }

  @Test
  void theScheduledRestoreTestIsRecordedAndShownInMetrics() throws Exception {
    writeFiles(5, 200_000);
    Path config = configure("backup: \"off\"", "check: \"off\"", "check-read-data: \"off\"");
    Files.writeString(config, Files.readString(config) + "restore-test:\n  schedule: \"0/1 * * * * ?\"\n");
    assertThat(CliRun.of("-c", config.toString(), "backup").exit()).isZero();
    try (AgentDaemon daemon = new AgentDaemon(AgentConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      await(records("restore-test", 1), Duration.ofSeconds(30));
      JsonNode t = journal("restore-test").get(0).path("body");
      assertThat(t.path("trigger").asText()).isEqualTo("schedule");
      assertThat(t.path("result").asText()).isEqualTo("pass");
      String metrics = metrics(daemon);
      assertThat(value(metrics, "penjaga_restore_test_last_result{agent=\"lpse-uji\"}")).isEqualTo(0.0);
      assertThat(value(metrics, "penjaga_restore_test_last_timestamp_seconds{agent=\"lpse-uji\"}")).isPositive();
    }
  }
}
