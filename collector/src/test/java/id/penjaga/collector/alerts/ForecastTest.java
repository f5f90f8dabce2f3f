package id.penjaga.collector.alerts;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.MutableClock;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
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

/** A file system whose free space falls steadily fires DiskPenuhDiperkirakan once it is due to fill within the horizon. */
class ForecastTest {
  @TempDir Path dir;

  @Test
  void aDiskDueToFillWithinTheHorizonFiresOnce() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-20T00:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      AlertEngine engine = new AlertEngine(store, List.of(new CollectorConfig.Recipient("k@x.id", List.of("medium"), "id", null, null)),
          new Messages(ZoneOffset.ofHours(7))).forecastDays(14);
      // 100 GB free, 5 GB less a day, a record every 6 hours, some with a fractional end second
      Instant t0 = Instant.parse("2026-11-20T00:00:00Z");
      for (int i = 1; i <= 16; i++) { // 4 days
        Instant end = t0.plus(Duration.ofHours(6L * i)).plusMillis(i % 2 == 0 ? 500 : 0);
        double avail = 100e9 - 5e9 * Duration.between(t0, end).toMillis() / 86_400_000.0;
        JsonObject body = new JsonObject().put("period_start", end.minus(Duration.ofHours(6)).toString()).put("period_end", end.toString())
            .put("interval_seconds", 60).put("samples", new JsonArray().add(new JsonObject().put("metric", "penjaga_filesystem_avail_bytes")
                .put("labels", new JsonObject().put("mount", "/home").put("fstype", "ext4"))
                .put("min", avail).put("avg", avail).put("max", avail).put("last", avail).put("count", 360)));
        JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", i).put("type", "capacity")
            .put("time", end.toString()).put("body", body);
        store.insert(new ReportStore.IncomingReport("lpse-demo", i, "capacity", 1, end.toString(), "v", r.encode()));
        clock.advance(Duration.between(clock.instant(), end));
        engine.onReports(List.of(r));
      }
      // 80 GB left at 5 GB a day: full in 16 days, beyond 14; the horizon at 20 days brings it in
      assertThat(firing(store)).isEmpty();
      engine.forecastDays(20);
      JsonObject last = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", 16).put("type", "capacity")
          .put("body", new JsonObject().put("period_end", t0.plus(Duration.ofDays(4)).plusMillis(500).toString())
              .put("samples", new JsonArray().add(new JsonObject().put("metric", "penjaga_filesystem_avail_bytes")
                  .put("labels", new JsonObject().put("mount", "/home").put("fstype", "ext4")).put("last", 80e9))));
      engine.onReports(List.of(last));
      engine.onReports(List.of(last));
      assertThat(firing(store)).containsExactly("DiskPenuhDiperkirakan Disk /home diperkirakan penuh dalam 16 hari");
    }
  }

  static List<String> firing(ReportStore store) throws Exception {
    List<String> out = new ArrayList<>();
    store.inTransaction(c -> {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT name, summary FROM alert WHERE state = 'firing'")) {
        while (rs.next()) {
          out.add(rs.getString(1) + " " + rs.getString(2));
        }
      }
      return null;
    });
    return out;
  }
}
