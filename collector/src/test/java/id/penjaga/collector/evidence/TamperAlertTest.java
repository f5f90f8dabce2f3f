package id.penjaga.collector.evidence;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A register changed behind the collector's back is noticed when it starts (and daily): an e-mail and a metric. */
class TamperAlertTest {
  @TempDir Path dir;

  @Test
  void aChangedRecordIsMailedToKepalaLpseAndShownInTheMetrics() throws Exception {
    Path db = dir.resolve("c.db");
    try (ReportStore store = TestStores.open(db, Clock.systemUTC())) {
      EvidenceRegister reg = EvidenceRegister.attach(store, TestStores.beside(db, ".evidence-head"));
      for (int i = 1; i <= 3; i++) {
        reg.append(new EvidenceRegister.Entry(Instant.now(), "SOP 10 langkah 4", "backup-run", "lpse-a", "system", "failure",
            "Backup db ke main: gagal " + i, null, new JsonObject()));
      }
    }
    try (Connection c = TestStores.connect(db); Statement s = c.createStatement()) {
      TestStores.allowTampering(s);
      s.execute("UPDATE evidence SET outcome = 'success', summary = 'Backup db ke main: berhasil' WHERE seq = 2");
    }
    int smtpPort;
    int port;
    try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
      smtpPort = a.getLocalPort();
      port = b.getLocalPort();
    }
    GreenMail smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
    smtp.start();
    try {
      Files.writeString(dir.resolve("c.yaml"), String.join("\n",
          "collector:", "  listen: 127.0.0.1:" + port, "  store: " + TestStores.yaml(db),
          "smtp:", "  host: 127.0.0.1", "  port: " + smtpPort, "  from: penjaga@lpse.example.go.id",
          "recipients:", "  - address: kepala.lpse@example.go.id", "    severities: [high]", ""));
      try (CollectorDaemon d = new CollectorDaemon(CollectorConfig.load(dir.resolve("c.yaml")), "test", Clock.systemUTC())) {
        d.start();
        assertThat(smtp.waitForIncomingEmail(20_000, 1)).isTrue();
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("penjaga_evidence_chain_intact 0.0");
      }
      var mail = smtp.getReceivedMessages()[0];
      assertThat(mail.getSubject()).contains("Register bukti diubah di luar Penjaga");
      assertThat(GreenMailUtil.getBody(mail).replace("=\r\n", "")).contains("record 2 was altered");
      // started again: the same break is not mailed twice
      try (CollectorDaemon d = new CollectorDaemon(CollectorConfig.load(dir.resolve("c.yaml")), "test", Clock.systemUTC())) {
        d.start();
        Thread.sleep(1500);
      }
      assertThat(smtp.getReceivedMessages()).hasSize(1);
    } finally {
      smtp.stop();
    }
  }
}
