package id.penjaga.collector.alerts;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent that stopped reporting: its other alerts are recorded, their e-mails held back. */
class InhibitionTest {
  @TempDir Path dir;

  @Test
  void anAgentDownHoldsBackItsOtherAlertsMails() throws Exception {
    id.penjaga.collector.MutableClock clock = new id.penjaga.collector.MutableClock(Instant.parse("2026-11-25T01:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      AlertEngine engine =
          new AlertEngine(
              store,
              List.of(new CollectorConfig.Recipient("kepala@x.id", List.of("high"), "id", null, null)),
              new Messages(ZoneOffset.ofHours(7)));
      JsonObject hb = report(1, "heartbeat", new JsonObject().put("hostname", "h").put("started_at", "x").put("uptime_seconds", 1));
      store.insert(new ReportStore.IncomingReport("lpse-demo", 1, "heartbeat", 1, "t", "v", hb.encode()));
      clock.advance(Duration.ofMinutes(10));
      assertThat(engine.evaluateStaleness(Duration.ofMinutes(5), Duration.ofDays(100), Duration.ofDays(1000))).isEqualTo(1);
      // A failure that was on its way arrives late: recorded, not mailed.
      engine.onReports(List.of(report(2, "failure", new JsonObject().put("kind", "backup").put("source", "db")
          .put("target_name", "main").put("occurred_at", "2026-11-25T01:02:00Z").put("reason", "disk full"))));
      List<String> rows = new ArrayList<>();
      store.inTransaction(c -> {
        try (ResultSet rs = c.createStatement().executeQuery(
            "SELECT a.name, n.status, coalesce(n.suppressed, '') FROM notification n JOIN alert a ON a.id = n.alert_id ORDER BY n.id")) {
          while (rs.next()) {
            rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
          }
        }
        return null;
      });
      assertThat(rows).containsExactly(
          "AgenTidakMelapor pending ",
          "BackupGagal suppressed inhibited: agent lpse-demo is not reporting");
    }
  }

  @Test
  void anAgentThatAnalysesLogsAndStopsFiresLogAnalysisOverdue() throws Exception {
    id.penjaga.collector.MutableClock clock = new id.penjaga.collector.MutableClock(Instant.parse("2026-11-25T01:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      AlertEngine engine =
          new AlertEngine(store, List.of(new CollectorConfig.Recipient("k@x.id", List.of("medium"), "id", null, null)),
              new Messages(ZoneOffset.ofHours(7)));
      JsonObject la = report(1, "log-analysis", new JsonObject().put("started_at", "2026-11-25T00:59:00Z")
          .put("finished_at", "2026-11-25T01:00:00Z").put("mode", "since-last").put("sets", new io.vertx.core.json.JsonArray())
          .put("findings", new io.vertx.core.json.JsonArray()));
      store.insert(new ReportStore.IncomingReport("lpse-demo", 1, "log-analysis", 1, "t", "v", la.encode()));
      Duration never = Duration.ofDays(1000);
      assertThat(engine.evaluateStaleness(never, never, never, Duration.ofDays(8))).isZero();
      clock.advance(Duration.ofDays(9));
      assertThat(engine.evaluateStaleness(never, never, never, Duration.ofDays(8))).isEqualTo(1);
      assertThat(engine.evaluateStaleness(never, never, never, Duration.ofDays(8))).as("fires once").isZero();
      List<String> names = new ArrayList<>();
      store.inTransaction(c -> {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT name, subject, state FROM alert")) {
          while (rs.next()) {
            names.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
          }
        }
        return null;
      });
      assertThat(names).containsExactly("AnalisisLogTerlambat log-analysis firing");
    }
  }

  static JsonObject report(long seq, String type, JsonObject body) {
    return new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", seq).put("type", type)
        .put("time", "2026-11-25T01:00:00Z").put("body", body);
  }
}
