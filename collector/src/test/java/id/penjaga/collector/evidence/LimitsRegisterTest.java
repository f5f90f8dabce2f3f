package id.penjaga.collector.evidence;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.MutableClock;
import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.report.Reports;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The limits register: recorded once, a change recorded with each old and new value, and its report. */
class LimitsRegisterTest {
  @TempDir Path dir;

  @Test
  void limitsAreRecordedOnceAndEachChangeNamesOldAndNew() throws Exception {
    CollectorConfig.Alerts alerts = new CollectorConfig.Alerts(null, null, null, null, null, null, null, null);
    MutableClock clock = new MutableClock(Instant.parse("2026-10-01T01:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      LimitsRegister limits = new LimitsRegister(store, reg);
      EvidenceRegister.Record first = limits.record(LimitsRegister.flatten(AlertRules.defaults(), alerts), null);
      assertThat(first.activity()).isEqualTo("limits-recorded");
      assertThat(first.sopRef()).isEqualTo("SOP 6 langkah 1");
      assertThat(limits.record(LimitsRegister.flatten(AlertRules.defaults(), alerts), null)).as("unchanged").isNull();

      // an administrator raises the disk limit and shortens the restore-test limit
      String yaml;
      try (InputStream in = AlertRules.class.getResourceAsStream("/default-alerts.yaml")) {
        yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(yaml).contains("above: 0.85");
      Path file = dir.resolve("alerts.yaml");
      Files.writeString(file, yaml.replaceFirst("above: 0\\.85", "above: 0.90"));
      clock.advance(Duration.ofDays(10));
      CollectorConfig.Alerts shorter = new CollectorConfig.Alerts(null, null, Duration.ofDays(60), null, file, null, null, null);
      EvidenceRegister.Record change = limits.record(LimitsRegister.flatten(AlertRules.load(file), shorter), file);
      assertThat(change.activity()).isEqualTo("limits-changed");
      assertThat(change.summary()).contains("DiskHampirPenuh.above: 0.85 → 0.9").contains("alerts.no-restore-test: 92d → 60d")
          .contains("berkas " + file).contains("pemilik ");
      JsonArray changes = new JsonObject(change.details()).getJsonArray("changes");
      assertThat(changes).hasSize(2);

      String html = new ReportService(store, new CollectorConfig.Reports(null, null, null, dir, "LPSE"), AlertRules.defaults(), reg)
          .render(Reports.Kind.LIMITS, YearMonth.of(2026, 10), "id").html();
      assertThat(html).contains("Batas Kelayakan Komponen Layanan").contains("<td class=\"n\">&gt; 0.9</td>")
          .contains("Tanpa uji restore yang lulus").contains("60d").contains("Batas kelayakan diubah");
      // the register as it was in September: nothing yet
      assertThat(new ReportService(store, new CollectorConfig.Reports(null, null, null, dir, "LPSE"), AlertRules.defaults(), reg)
          .render(Reports.Kind.LIMITS, YearMonth.of(2026, 9), "id").html()).contains("Tidak ada data pada periode ini.");
      assertThat(reg.verify()).isEmpty();
    }
  }
}
