package id.penjaga.collector.alerts;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.ingest.IngestApi;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failure reports become e-mails to Kepala LPSE through a real SMTP server (GreenMail): in Bahasa
 * Indonesia, with the facts to act on, to the recipients of the severity; resolved when the next
 * backup succeeds; kept and delivered when the mail server comes back.
 */
class NotificationTest {
  @TempDir Path dir;
  GreenMail smtp;
  int smtpPort;
  CollectorDaemon daemon;
  final HttpClient http = HttpClient.newHttpClient();
  long seq;

  @BeforeEach
  void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      smtpPort = s.getLocalPort();
    }
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
    smtp.start();
    Path token = dir.resolve("token");
    Files.writeString(token, "token-demo\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "collector:",
            "  listen: 127.0.0.1:0",
            "  store: " + TestStores.yaml(dir.resolve("c.db")),
            "agents:",
            "  lpse-demo:",
            "    token-file: " + token,
            "smtp:",
            "  host: 127.0.0.1",
            "  port: " + smtpPort,
            "  security: none",
            "  from: penjaga@lpse.example.go.id",
            "recipients:",
            "  - address: kepala.lpse@example.go.id",
            "    severities: [high]",
            "  - address: operator@example.go.id",
            "    severities: [medium, high]",
            "    language: en",
            ""));
    daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC());
    daemon.start();
  }

  @AfterEach
  void stop() {
    daemon.close();
    smtp.stop();
  }

  void post(String type, JsonObject body) throws Exception {
    JsonObject report =
        new JsonObject()
            .put("schema_version", 1)
            .put("agent", "lpse-demo")
            .put("seq", ++seq)
            .put("type", type)
            .put("time", Instant.now().toString())
            .put("body", body);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + IngestApi.PATH))
                .header("Authorization", "Bearer token-demo")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(report.encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  static JsonObject backupRun(String result, String finishedAt) {
    return new JsonObject()
        .put("source", "db").put("target", "/var/backups/penjaga").put("target_name", "main")
        .put("started_at", finishedAt).put("finished_at", finishedAt).put("result", result)
        .put("trigger", "schedule")
        .put("snapshot_id", result.equals("failure") ? null : "ab".repeat(32))
        .put("failure", result.equals("failure") ? "pg_dump of database spse exited with status 1" : null);
  }

  static JsonObject failure(String kind, String reason) {
    return new JsonObject()
        .put("kind", kind).put("task", "backup db").put("source", "db").put("target_name", "main")
        .put("target", "/var/backups/penjaga").put("occurred_at", "2026-11-25T01:30:05Z").put("reason", reason);
  }

  List<MimeMessage> to(String address) {
    return Arrays.stream(smtp.getReceivedMessages())
        .filter(m -> {
          try {
            return m.getAllRecipients()[0].toString().equals(address);
          } catch (Exception e) {
            return false;
          }
        })
        .toList();
  }

  static void await(Duration max, BooleanSupplier ok) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (!ok.getAsBoolean()) {
      assertThat(System.nanoTime()).as("within " + max).isLessThan(end);
      Thread.sleep(100);
    }
  }

  @Test
  void alertsOfOneAgentAndNameWaitingTogetherGoOutAsOneEmail() throws Exception {
    JsonObject la = new JsonObject().put("started_at", "2026-11-25T06:15:00Z").put("finished_at", "2026-11-25T06:15:04Z")
        .put("mode", "since-last").put("trigger", "schedule").put("sets", new io.vertx.core.json.JsonArray());
    io.vertx.core.json.JsonArray findings = new io.vertx.core.json.JsonArray();
    for (String ip : new String[] {"203.0.113.9", "203.0.113.10", "203.0.113.11"}) {
      findings.add(new JsonObject().put("set", "auth").put("kind", "failed-logins").put("severity", "medium").put("subject", ip)
          .put("count", 50).put("message", "50 failed SSH logins from " + ip));
    }
    post("log-analysis", la.put("findings", findings));
    await(Duration.ofSeconds(15), () -> {
      String all = to("operator@example.go.id").stream().map(m -> {
        try {
          return text(m);
        } catch (Exception e) {
          return "";
        }
      }).reduce("", String::concat);
      return all.contains("203.0.113.9") && all.contains("203.0.113.10") && all.contains("203.0.113.11");
    });
    List<MimeMessage> mails = to("operator@example.go.id");
    assertThat(mails).as("three alerts of one name, grouped").hasSizeLessThan(3);
    if (mails.size() == 1) {
      assertThat(mails.get(0).getSubject()).endsWith("(3)");
    }
  }

  @Test
  void aBackupMediumOutOfTurnIsMailedAndRecordedUnderSop10Step2() throws Exception {
    post("failure", new JsonObject().put("kind", "media-rotation").put("task", "media rotation main").put("target_name", "main")
        .put("target", "/media/backup").put("occurred_at", "2026-11-25T01:30:05Z")
        .put("reason", "medium C of main was used out of turn: after A comes B (skipped: B)"));
    await(Duration.ofSeconds(15), () -> to("operator@example.go.id").size() == 1);
    MimeMessage m = to("operator@example.go.id").get(0);
    assertThat(m.getSubject()).contains("Backup media not used in their order");
    assertThat(text(m)).contains("skipped: B").contains("SOP Backup, step 2");
    try (id.penjaga.collector.store.ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      var failures = new id.penjaga.collector.evidence.EvidenceRegister(store, null).list(null, null, "failure", null);
      assertThat(failures).singleElement().satisfies(r -> assertThat(r.sopRef()).isEqualTo("SOP 10 langkah 2"));
    }
  }

  @Test
  void aBackupFailureIsMailedInIndonesianToKepalaLpseAndResolvedByTheNextBackup() throws Exception {
    post("backup-run", backupRun("success", "2026-11-24T01:31:00Z"));
    post("backup-run", backupRun("failure", "2026-11-25T01:30:05Z"));
    long t0 = System.nanoTime();
    post("failure", failure("backup", "pg_dump of database spse exited with status 1: password authentication failed"));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 1 && to("operator@example.go.id").size() == 1);
    System.out.printf("failure report to e-mail delivered: %d ms%n", (System.nanoTime() - t0) / 1_000_000);

    MimeMessage kepala = to("kepala.lpse@example.go.id").get(0);
    assertThat(kepala.getSubject()).isEqualTo("[Penjaga] GAGAL: Backup gagal - lpse-demo");
    String body = text(kepala);
    assertThat(body)
        .contains("Yth. Kepala LPSE,")
        .contains("Kejadian       : Backup gagal")
        .contains("Objek          : db → main")
        .contains("Waktu          : 25 November 2026 08.30 WIB")
        .contains("Tingkat risiko : Tinggi")
        .contains("password authentication failed")
        .contains("Backup terakhir yang berhasil untuk objek ini: 24 November 2026 08.31 WIB")
        .contains("penjaga-agent backup --source db")
        .contains("langkah 6: setiap kegagalan backup dilaporkan kepada Kepala LPSE");
    assertThat(kepala.getFrom()[0].toString()).isEqualTo("penjaga@lpse.example.go.id");
    MimeMessage operator = to("operator@example.go.id").get(0);
    assertThat(operator.getSubject()).isEqualTo("[Penjaga] FAILED: Backup failed - lpse-demo");
    assertThat(text(operator)).contains("Dear Head of the LPSE,").contains("Risk level     : High");

    // A medium failure (pruning) goes to those who asked for medium only.
    post("failure", failure("prune", "forget --prune failed: Permission denied").put("source", (String) null));
    await(Duration.ofSeconds(15), () -> to("operator@example.go.id").size() == 2);
    Thread.sleep(500);
    assertThat(to("kepala.lpse@example.go.id")).hasSize(1);

    // The next backup of db to main succeeds: the alert is resolved, and they are told.
    post("backup-run", backupRun("success", "2026-11-25T02:10:00Z"));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 2);
    MimeMessage resolved = to("kepala.lpse@example.go.id").get(1);
    assertThat(resolved.getSubject()).isEqualTo("[Penjaga] PULIH: Backup gagal - lpse-demo");
    assertThat(text(resolved))
        .contains("telah pulih pada 25 November 2026 09.10 WIB")
        .contains("snapshot abababab");
  }

  @Test
  void mailQueuedWhileTheMailServerIsDownIsDeliveredWhenItIsBack() throws Exception {
    smtp.stop();
    post("failure", failure("missed-run", "the scheduled run of daily-backup due at 2026-11-26T01:30:00Z did not happen"));
    await(Duration.ofSeconds(15), () -> metrics().contains("penjaga_notifications_pending 2.0"));
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
    smtp.start();
    await(Duration.ofSeconds(40), () -> smtp.getReceivedMessages().length == 2);
    assertThat(to("kepala.lpse@example.go.id").get(0).getSubject()).isEqualTo("[Penjaga] GAGAL: Jadwal Penjaga terlewat - lpse-demo");
    await(Duration.ofSeconds(10), () -> metrics().contains("penjaga_notifications_pending 0.0"));
  }

  @Test
  void theCollectorsMetricsFromTheStorePassPromtool() throws Exception {
    post("backup-run", backupRun("success", "2026-11-24T01:31:00Z"));
    post("backup-run", backupRun("failure", "2026-11-25T01:30:05Z"));
    post("failure", failure("backup", "disk full"));
    String m = metrics();
    assertThat(m)
        .contains("penjaga_backup_runs_total{agent=\"lpse-demo\",result=\"success\",source=\"db\"} 1.0")
        .contains("penjaga_backup_runs_total{agent=\"lpse-demo\",result=\"failure\",source=\"db\"} 1.0")
        .contains("penjaga_alert_firing{agent=\"lpse-demo\",alertname=\"BackupGagal\",severity=\"high\"} 1.0")
        .containsPattern("penjaga_backup_last_success_timestamp_seconds\\{agent=\"lpse-demo\",source=\"db\"} 1\\.7");
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(m.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }

  @Test
  void silenceIsNoticedAndMailedThenResolved() throws Exception {
    // A collector whose clock the test moves: the agent reported, then went quiet.
    daemon.close();
    id.penjaga.collector.MutableClock clock = new id.penjaga.collector.MutableClock(Instant.parse("2026-11-25T01:00:00Z"));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, Files.readString(config) + "alerts:\n  evaluate-every: 1s\n");
    daemon = new CollectorDaemon(CollectorConfig.load(config), "test", clock);
    daemon.start();
    post("backup-run", backupRun("success", "2026-11-25T00:30:00Z"));
    post("restore-test", new JsonObject().put("started_at", "2026-11-25T00:40:00Z").put("finished_at", "2026-11-25T00:45:00Z")
        .put("seed", 1).put("result", "pass").put("sources", new io.vertx.core.json.JsonArray()));
    Thread.sleep(2500);
    assertThat(smtp.getReceivedMessages()).isEmpty();

    clock.advance(Duration.ofMinutes(6));   // no heartbeat for 6 minutes
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 1);
    MimeMessage silent = to("kepala.lpse@example.go.id").get(0);
    assertThat(silent.getSubject()).isEqualTo("[Penjaga] GAGAL: Agen Penjaga tidak melapor - lpse-demo");
    assertThat(text(silent)).contains("systemctl status penjaga-agent");

    post("heartbeat", new JsonObject().put("hostname", "lpse").put("started_at", "2026-11-25T01:05:00Z").put("uptime_seconds", 1));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 2);
    assertThat(to("kepala.lpse@example.go.id").get(1).getSubject()).isEqualTo("[Penjaga] PULIH: Agen Penjaga tidak melapor - lpse-demo");

    clock.advance(Duration.ofHours(27));    // a day and more without a good backup (the agent still reports)
    post("heartbeat", new JsonObject().put("hostname", "lpse").put("started_at", "2026-11-25T01:05:00Z").put("uptime_seconds", 2));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").stream().anyMatch(m -> subject(m).contains("Tidak ada backup yang berhasil")));
    clock.advance(Duration.ofDays(92));     // and a quarter without a restore test
    post("heartbeat", new JsonObject().put("hostname", "lpse").put("started_at", "2026-11-25T01:05:00Z").put("uptime_seconds", 3));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").stream().anyMatch(m -> subject(m).contains("Uji restore terlambat")));
    // Each fired once, not at every evaluation.
    Thread.sleep(2500);
    assertThat(to("kepala.lpse@example.go.id").stream().filter(m -> subject(m).contains("Tidak ada backup")).count()).isEqualTo(1);
  }

  @Test
  void aSilenceHoldsBackTheMailsItCoversAndEndsWhenExpired() throws Exception {
    Path config = dir.resolve("collector.yaml");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(out, true));
    int rc;
    try {
      rc = id.penjaga.collector.cli.CollectorMain.execute("-c", config.toString(), "silence", "add", "--agent", "lpse-demo",
          "--alert", "BackupGagal", "--for", "2h", "--comment", "disk USB sedang diganti", "--by", "admin");
    } finally {
      System.setOut(old);
    }
    assertThat(rc).as(out.toString()).isZero();
    assertThat(out.toString()).startsWith("silence 1: agent lpse-demo, alert BackupGagal");

    post("failure", failure("backup", "No space left on device"));
    post("failure", failure("restore-test", "restore test failed: /2026/a.pdf differs"));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 1);
    Thread.sleep(1500);
    assertThat(to("kepala.lpse@example.go.id")).hasSize(1);
    assertThat(to("kepala.lpse@example.go.id").get(0).getSubject()).contains("Uji restore gagal");

    assertThat(id.penjaga.collector.cli.CollectorMain.execute("-c", config.toString(), "silence", "expire", "1")).isZero();
    post("failure", failure("backup", "No space left on device"));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 2);
    assertThat(to("kepala.lpse@example.go.id").get(1).getSubject()).contains("Backup gagal");
    // Silencing everything at once is refused.
    assertThat(id.penjaga.collector.cli.CollectorMain.execute("-c", config.toString(), "silence", "add", "--for", "1h",
        "--comment", "x")).isEqualTo(2);
  }

  @Test
  void aDiskForecastToFillWithinTwoWeeksFires() throws Exception {
    Instant t = Instant.parse("2026-11-20T00:00:00Z");
    double avail = 100.0 * (1L << 30);
    for (int i = 0; i < 13; i++) {   // every 6 hours for 3 days, 10 GiB a day less
      Instant end = t.plus(Duration.ofHours(6L * i));
      double a = avail - 10.0 * (1L << 30) * i / 4;
      post("capacity", new JsonObject()
          .put("period_start", end.minus(Duration.ofMinutes(15)).toString()).put("period_end", end.toString())
          .put("interval_seconds", 60)
          .put("samples", new io.vertx.core.json.JsonArray().add(new JsonObject()
              .put("metric", "penjaga_filesystem_avail_bytes").put("labels", new JsonObject().put("mount", "/data").put("fstype", "ext4"))
              .put("min", a).put("avg", a).put("max", a).put("last", a).put("count", 15))));
    }
    await(Duration.ofSeconds(15), () -> to("operator@example.go.id").size() == 1);
    // After a day of points: 90 GiB left, 10 GiB a day: full in 9 days; medium, so to those who
    // asked for medium.
    assertThat(to("operator@example.go.id").get(0).getSubject())
        .isEqualTo("[Penjaga] WARNING: Disk /data diperkirakan penuh dalam 9 hari - lpse-demo");
    Thread.sleep(1000);
    assertThat(to("operator@example.go.id")).hasSize(1);
    assertThat(to("kepala.lpse@example.go.id")).isEmpty();
  }

  static JsonObject capacity(String start, String end, double usedMax) {
    return new JsonObject()
        .put("period_start", start).put("period_end", end).put("interval_seconds", 60)
        .put("samples", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("metric", "penjaga_filesystem_used_ratio")
                .put("labels", new JsonObject().put("mount", "/home").put("fstype", "ext4"))
                .put("min", usedMax - 0.01).put("avg", usedMax - 0.005).put("max", usedMax).put("last", usedMax).put("count", 15)));
  }

  @Test
  void aDiskOverItsLimitForItsDurationFiresOnceRepeatsAndResolvesWithHysteresis() throws Exception {
    daemon.close();
    id.penjaga.collector.MutableClock clock = new id.penjaga.collector.MutableClock(Instant.parse("2026-11-25T01:30:00Z"));
    Path rules = dir.resolve("alerts.yaml");
    Files.writeString(rules, String.join("\n",
        "thresholds:",
        "  - name: DiskHampirPenuh",
        "    metric: penjaga_filesystem_used_ratio",
        "    above: 0.85",
        "    clear: 0.80",
        "    for: 30m",
        "    repeat: 1h",
        "    severity: high",
        "    summary: \"Disk {{mount}} terisi {{value}} (batas {{limit}})\"",
        ""));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, Files.readString(config)
        + "alerts:\n  evaluate-every: 1s\n  no-heartbeat: 1000d\n  no-restore-test: 1000d\n  rules-file: " + rules + "\n");
    daemon = new CollectorDaemon(CollectorConfig.load(config), "test", clock);
    daemon.start();

    post("capacity", capacity("2026-11-25T01:00:00Z", "2026-11-25T01:15:00Z", 0.91));
    Thread.sleep(1500);
    assertThat(smtp.getReceivedMessages()).as("over the limit for 15 of 30 minutes: not yet").isEmpty();
    post("capacity", capacity("2026-11-25T01:15:00Z", "2026-11-25T01:30:00Z", 0.93));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 1);
    MimeMessage fired = to("kepala.lpse@example.go.id").get(0);
    assertThat(fired.getSubject()).isEqualTo("[Penjaga] GAGAL: Disk /home terisi 93% (batas 85%) - lpse-demo");
    assertThat(text(fired)).contains("Objek          : fstype=ext4, mount=/home").contains("SOP Pengelolaan Kapasitas");

    // 83%: below the limit but above the clearing level (hysteresis): still firing, no mail.
    post("capacity", capacity("2026-11-25T01:30:00Z", "2026-11-25T01:45:00Z", 0.83));
    Thread.sleep(1500);
    assertThat(to("kepala.lpse@example.go.id")).hasSize(1);

    clock.advance(Duration.ofMinutes(61));     // the repeat interval passes
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 2);
    assertThat(to("kepala.lpse@example.go.id").get(1).getSubject()).isEqualTo(fired.getSubject());

    post("capacity", capacity("2026-11-25T02:30:00Z", "2026-11-25T02:45:00Z", 0.78));
    await(Duration.ofSeconds(15), () -> to("kepala.lpse@example.go.id").size() == 3);
    MimeMessage resolved = to("kepala.lpse@example.go.id").get(2);
    assertThat(resolved.getSubject()).isEqualTo("[Penjaga] PULIH: Disk /home terisi 93% (batas 85%) - lpse-demo");
    assertThat(text(resolved)).contains("kembali di dalam batas (78%)");
    Thread.sleep(1500);
    assertThat(to("kepala.lpse@example.go.id")).hasSize(3);
  }

  static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (Exception e) {
      return "";
    }
  }

  /** The decoded text of a message (the body travels quoted-printable). */
  static String text(MimeMessage m) {
    try {
      return m.getContent().toString().replace("\r\n", "\n");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  String metrics() {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }
}
