package id.penjaga.collector.report;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.collector.MutableClock;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monthly set: made for the month before, e-mailed with its files to the recipients who take
 * reports, each in their language, recorded as evidence; made once, also when the collector was
 * down on the 1st.
 */
class MonthlyReportsTest {
  @TempDir Path dir;
  GreenMail smtp;
  Path config;

  @BeforeEach
  void setUp() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    smtp = new GreenMail(new ServerSetup(port, "127.0.0.1", "smtp"));
    smtp.start();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-10T01:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      EvidenceRegister.attach(store, null);
      for (int i = 1; i <= 3; i++) {
        String t = "2026-11-1" + i + "T19:00:00Z";
        JsonObject body = new JsonObject().put("source", "uploads").put("target", "/srv").put("target_name", "main")
            .put("started_at", t).put("finished_at", t).put("result", i == 2 ? "failure" : "success").put("trigger", "schedule")
            .put("snapshot_id", i == 2 ? null : "cd".repeat(32)).put("failure", i == 2 ? "disk penuh" : null)
            .put("bytes_added", 1000L * i).put("duration_seconds", 10.0);
        JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-a").put("seq", i).put("type", "backup-run")
            .put("time", t).put("body", body);
        store.insert(new ReportStore.IncomingReport("lpse-a", i, "backup-run", 1, t, "0.1", r.encode()));
      }
    }
    config = dir.resolve("collector.yaml");
    Files.writeString(config, String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:0",
        "  store: " + TestStores.yaml(dir.resolve("c.db")),
        "smtp:",
        "  host: 127.0.0.1",
        "  port: " + port,
        "  from: penjaga@lpse.example.go.id",
        "recipients:",
        "  - address: kepala.lpse@example.go.id",
        "    name: Kepala LPSE",
        "  - address: operator@example.go.id",
        "    language: en",
        "  - address: helpdesk@example.go.id",
        "    reports: false",
        "reports:",
        "  lpse-name: LPSE Kabupaten Contoh",
        ""));
  }

  @AfterEach
  void tearDown() {
    smtp.stop();
  }

  @Test
  void aCollectorStartedAfterTheFirstMakesAndMailsTheMonthOnce() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-01T05:00:00Z"));
    try (CollectorDaemon d = new CollectorDaemon(CollectorConfig.load(config), "test", clock)) {
      d.start();
      assertThat(smtp.waitForIncomingEmail(30_000, 2)).isTrue();
    }
    MimeMessage[] got = smtp.getReceivedMessages();
    assertThat(got).hasSize(2);
    List<String> subjects = new ArrayList<>();
    for (MimeMessage m : got) {
      subjects.add(m.getSubject());
      Multipart mp = (Multipart) m.getContent();
      assertThat(mp.getCount()).isEqualTo(1 + 2 * Reports.Kind.values().length); // the text and each report as HTML and CSV
      List<String> names = new ArrayList<>();
      for (int i = 1; i < mp.getCount(); i++) {
        names.add(mp.getBodyPart(i).getFileName());
      }
      assertThat(names).anyMatch(n -> n.startsWith("backup-effectiveness-2026-11") && n.endsWith(".html"));
    }
    assertThat(subjects).containsExactlyInAnyOrder(
        "[Penjaga] Laporan bulanan November 2026 — LPSE Kabupaten Contoh",
        "[Penjaga] Monthly reports November 2026 — LPSE Kabupaten Contoh");
    assertThat(got[0].getAllRecipients()[0].toString()).isNotEqualTo("helpdesk@example.go.id");
    Path month = dir.resolve("reports/2026-11");
    assertThat(month.resolve("backup-effectiveness-2026-11.html")).isRegularFile();
    assertThat(month.resolve("backup-effectiveness-2026-11.en.html")).isRegularFile();
    assertThat(Files.readString(month.resolve("backup-effectiveness-2026-11.html")))
        .contains("Analisa Efektifitas Backup").contains("66,7%").contains("disk penuh");

    // started again the same month: nothing made or sent twice
    try (CollectorDaemon d = new CollectorDaemon(CollectorConfig.load(config), "test", clock)) {
      d.start();
      Thread.sleep(1500);
    }
    assertThat(smtp.getReceivedMessages()).hasSize(2);
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      assertThat(reg.list(null, null, "report", null)).hasSize(2 * Reports.Kind.values().length);
      assertThat(reg.list(null, null, "reports-sent", null)).hasSize(2);
      assertThat(reg.verify()).isEmpty();
    }
  }
}
