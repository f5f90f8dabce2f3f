package id.penjaga.collector.evidence;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.cli.CollectorMain;
import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.report.Reports;
import id.penjaga.collector.store.ReportStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.YearMonth;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What no sampler measures, entered by hand, and the tender load, in the capacity form and report. */
class ManualCapacityTest {
  @TempDir Path dir;

  @Test
  void manualEntriesAndTenderLoadAppearInTheCapacityFormAndReport() throws Exception {
    Path config = dir.resolve("c.yaml");
    Files.writeString(config, "collector:\n  store: " + TestStores.yaml(dir.resolve("c.db")) + "\n");
    String c = config.toString();
    assertThat(CollectorMain.execute("-c", c, "capacity", "add", "Petugas helpdesk", "--month", "2026-08", "--value", "3",
        "--limit", "4", "--unit", "orang", "--by", "Sari")).isZero();
    assertThat(CollectorMain.execute("-c", c, "capacity", "add", "Petugas helpdesk", "--month", "2026-09", "--value", "3",
        "--limit", "4", "--unit", "orang", "--by", "Sari")).isZero();
    assertThat(CollectorMain.execute("-c", c, "capacity", "add", "Petugas helpdesk", "--month", "2026-10", "--value", "5",
        "--limit", "4", "--unit", "orang", "--by", "Sari", "--note", "masa tender akhir tahun")).isZero();
    assertThat(CollectorMain.execute("-c", c, "capacity", "add", "Bandwidth kontrak", "--month", "2026-10", "--value", "80",
        "--limit", "100", "--unit", "Mbps", "--by", "Sari")).isZero();
    assertThat(CollectorMain.execute("-c", c, "capacity", "tenders", "--month", "2026-10", "--packages", "132")).isZero();
    Path csv = dir.resolve("tender.csv");
    Files.writeString(csv, "month,packages\n2025-10,110\n2026-09,120\n");
    assertThat(CollectorMain.execute("-c", c, "capacity", "import-tenders", csv.toString())).isZero();
    Files.writeString(csv, "month,packages\n2025-11,banyak\n");
    assertThat(CollectorMain.execute("-c", c, "capacity", "import-tenders", csv.toString())).isEqualTo(2);
    assertThat(CollectorMain.execute("-c", c, "capacity", "add", "X", "--month", "Oktober", "--value", "1")).isEqualTo(2);

    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      ReportService s = new ReportService(store, new CollectorConfig.Reports(null, null, null, dir, "LPSE"), AlertRules.defaults(), reg);
      String form = s.render(Reports.Kind.CAPACITY_FORM, YearMonth.of(2026, 10), "id").html();
      assertThat(form).contains("Petugas helpdesk").contains("5 orang").contains("4 orang").contains("Melampaui batas")
          .contains("Bandwidth kontrak").contains("80 Mbps").contains("masa tender akhir tahun");
      String report = s.render(Reports.Kind.CAPACITY_REPORT, YearMonth.of(2026, 10), "id").html();
      assertThat(report).contains("2026-08: 3; 2026-09: 3").contains("Tambah kapasitas Petugas helpdesk");
      String change = String.format(Locale.forLanguageTag("id-ID"), "+%.1f%%", 100.0 * (132 - 110) / 110);
      assertThat(report).contains("<b>132</b> paket").contains("bulan yang sama tahun lalu: 110").contains("<b>" + change + "</b>");
      assertThat(report).contains("2 komponen dipantau; 1 melampaui batas kelayakan.");
      assertThat(reg.list(null, null, "capacity-manual", null)).hasSize(4);
      assertThat(reg.list(null, null, "tender-load", null)).hasSize(3);
      assertThat(reg.list(null, null, "capacity-manual", null).get(2).outcome()).isEqualTo("over");
      assertThat(reg.verify()).isEmpty();
    }
  }
}
