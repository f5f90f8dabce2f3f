package id.penjaga.collector.report;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.MutableClock;
import id.penjaga.collector.cli.CollectorMain;
import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each report built from a seeded month (October 2026) of agent records; the figures are checked
 * against values the test works out itself from what it generated.
 */
class ReportsTest {
  static final ZoneId WIB = ZoneId.of("Asia/Jakarta");
  static final YearMonth OCT = YearMonth.of(2026, 10);
  static final Locale ID = Locale.forLanguageTag("id-ID");

  @TempDir Path dir;
  Path db;
  MutableClock clock;
  long seq;

  // what the test generated, worked out independently of the code under test
  final Map<String, int[]> runsOk = new HashMap<>(); // source -> {runs, ok}
  final Map<String, Set<LocalDate>> okDays = new HashMap<>();
  final Map<String, Long> addedOk = new HashMap<>();
  final List<Long> failedSeqs = new ArrayList<>();
  long errorsTotal;
  long fiveXxTotal;
  int findingsTotal;
  final Set<LocalDate> cpuOverDays = new HashSet<>();

  static final double SIZE = 100e9;
  static final double A0 = 80e9; // available on 3 Aug 00:00 WIB
  static final double RATE = 0.6e9; // bytes a day
  static final Instant T0 = LocalDate.of(2026, 8, 3).atStartOfDay(WIB).toInstant();

  @BeforeEach
  void seedAMonth() throws Exception {
    db = dir.resolve("c.db");
    clock = new MutableClock(Instant.parse("2026-11-01T03:00:00Z"));
    Random rnd = new Random(20261001);
    try (ReportStore store = TestStores.open(db, clock)) {
      EvidenceRegister reg = EvidenceRegister.attach(store, null);
      // daily backups of two sources at 02:00 WIB, about one in eight failing; a failed upload backup
      // is retried the same day and the retry succeeds half the time
      for (int day = 1; day <= 31; day++) {
        for (String source : new String[] {"uploads", "db"}) {
          Instant t = LocalDate.of(2026, 10, day).atTime(2, 0).atZone(WIB).toInstant();
          boolean fail = rnd.nextInt(8) == 0;
          backup(store, source, t, fail, rnd);
          if (fail && source.equals("uploads")) {
            backup(store, source, t.plus(Duration.ofHours(3)), rnd.nextBoolean(), rnd);
          }
        }
      }
      // a run in September and one in November do not count
      backup(store, "uploads", Instant.parse("2026-09-30T16:59:00Z"), true, rnd); // 23:59 WIB 30 Sep
      backup(store, "uploads", Instant.parse("2026-10-31T17:00:00Z"), true, rnd); // 00:00 WIB 1 Nov
      // a restore test on 15 October
      restoreTest(store, Instant.parse("2026-10-15T03:00:00Z"));
      // weekly log analyses
      for (int week = 0; week < 4; week++) {
        logAnalysis(store, LocalDate.of(2026, 10, 5 + 7 * week).atTime(6, 15).atZone(WIB).toInstant(), rnd);
      }
      // 90 days of capacity records, four a day
      for (Instant p = T0; p.isBefore(OCT.plusMonths(1).atDay(1).atStartOfDay(WIB).toInstant()); p = p.plus(Duration.ofHours(6))) {
        capacity(store, p, p.plus(Duration.ofHours(6)), rnd);
      }
      // the first failed backup gets a follow-up; the others do not
      long failedEvidence = reg.list(null, null, "backup-run", null).stream()
          .filter(r -> r.outcome().equals("failure") && r.occurredAt().startsWith("2026-10"))
          .findFirst().orElseThrow().seq();
      reg.followUp(failedEvidence, null, "Budi", "sambungan ke media backup diperbaiki", "Budi", "2026-10-20");
    }
  }

  private ReportStore.IncomingReport report(String type, Instant time, JsonObject body) {
    seq++;
    JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-a").put("seq", seq).put("type", type)
        .put("time", time.toString()).put("body", body);
    return new ReportStore.IncomingReport("lpse-a", seq, type, 1, time.toString(), "0.1", r.encode());
  }

  private void backup(ReportStore store, String source, Instant finished, boolean fail, Random rnd) throws Exception {
    double secs = 30 + rnd.nextInt(600);
    long added = fail ? 0 : 1_000_000L + rnd.nextInt(50_000_000);
    JsonObject b = new JsonObject().put("source", source).put("target", "/srv/backup").put("target_name", "main")
        .put("started_at", finished.minusMillis((long) (secs * 1000)).toString()).put("finished_at", finished.toString())
        .put("result", fail ? "failure" : "success").put("trigger", "schedule").put("reason", null)
        .put("snapshot_id", fail ? null : Long.toHexString(rnd.nextLong()) + "0".repeat(48)).put("errors", 0)
        .put("files_new", fail ? 0 : rnd.nextInt(40)).put("bytes_read", 5_000_000_000L).put("bytes_added", added)
        .put("duration_seconds", secs).put("failure", fail ? "media backup tidak terhubung" : null);
    store.insert(report("backup-run", finished, b));
    LocalDate day = finished.atZone(WIB).toLocalDate();
    if (YearMonth.from(day).equals(OCT)) {
      int[] c = runsOk.computeIfAbsent(source, k -> new int[2]);
      c[0]++;
      if (!fail) {
        c[1]++;
        okDays.computeIfAbsent(source, k -> new HashSet<>()).add(day);
        addedOk.merge(source, added, Long::sum);
      } else {
        failedSeqs.add(seq);
      }
    }
  }

  private void restoreTest(ReportStore store, Instant t) throws Exception {
    JsonObject b = new JsonObject().put("started_at", t.minusSeconds(600).toString()).put("finished_at", t.toString())
        .put("duration_seconds", 600.0).put("seed", -4242424242L).put("sample_files", 2).put("within_days", 92)
        .put("trigger", "schedule").put("target", "/srv/backup").put("target_name", "main").put("result", "pass")
        .put("failures", new JsonArray())
        .put("sources", new JsonArray()
            .add(new JsonObject().put("source", "uploads").put("type", "files").put("result", "pass")
                .put("snapshot_id", "3f5a0c9e" + "0".repeat(56)).put("snapshot_time", "2026-10-09T19:00:00Z")
                .put("snapshots_to_choose_from", 14).put("files_in_snapshot", 1000).put("bytes_in_snapshot", 5_000_000_000L)
                .put("files", new JsonArray()
                    .add(new JsonObject().put("path", "/2026/lelang-5521/penawaran.pdf").put("size", 4812211).put("result", "ok")
                        .put("hash_verified", true).put("live_compared", true))
                    .add(new JsonObject().put("path", "/2026/lelang-77/kontrak.docx").put("size", 51200).put("result", "ok")
                        .put("hash_verified", true).put("live_compared", false)))
                .put("bytes_restored", 4863411).put("restore_seconds", 0.5).put("bytes_per_second", 9726822)
                .put("projected_full_restore_seconds", 514))
            .add(new JsonObject().put("source", "db").put("type", "postgresql").put("result", "pass")
                .put("snapshot_id", "9e8d7c6b" + "0".repeat(56)).put("snapshot_time", "2026-10-12T19:00:00Z")
                .put("databases", new JsonArray().add(new JsonObject().put("database", "spse").put("result", "pass")
                    .put("tables", new JsonArray().add(new JsonObject().put("schema", "public").put("table", "paket")
                        .put("rows_expected", 100500).put("rows_restored", 100500)))))));
    store.insert(report("restore-test", t, b));
  }

  private void logAnalysis(ReportStore store, Instant t, Random rnd) throws Exception {
    int errors = rnd.nextInt(30);
    int e5 = rnd.nextInt(12);
    errorsTotal += errors;
    fiveXxTotal += e5;
    JsonArray findings = new JsonArray();
    if (e5 > 5) {
      findings.add(new JsonObject().put("set", "nginx").put("kind", "http-5xx").put("severity", "medium").put("subject", "/eproc4")
          .put("count", e5).put("message", e5 + " HTTP 5xx"));
      findingsTotal++;
    }
    JsonObject b = new JsonObject().put("started_at", t.minusSeconds(4).toString()).put("finished_at", t.toString())
        .put("mode", "since-last").put("trigger", "schedule")
        .put("sets", new JsonArray()
            .add(new JsonObject().put("set", "spse").put("kind", "app").put("lines", 1000).put("errors", errors))
            .add(new JsonObject().put("set", "nginx").put("kind", "access").put("lines", 5000).put("requests", 5000)
                .put("status_classes", new JsonObject().put("2xx", 5000 - e5).put("5xx", e5))))
        .put("findings", findings);
    store.insert(report("log-analysis", t, b));
  }

  private void capacity(ReportStore store, Instant start, Instant end, Random rnd) throws Exception {
    Instant mid = start.plus(Duration.ofHours(3));
    double availMid = avail(mid);
    double availEnd = avail(end);
    LocalDate day = start.atZone(WIB).toLocalDate();
    boolean spike = YearMonth.from(day).equals(OCT) && day.getDayOfMonth() % 10 == 7 && start.atZone(WIB).getHour() == 12;
    if (spike) {
      cpuOverDays.add(day);
    }
    JsonArray samples = new JsonArray()
        .add(sample("penjaga_cpu_utilisation_ratio", new JsonObject(), 0.10, 0.20, spike ? 0.97 : 0.40, 0.2))
        .add(sample("penjaga_memory_used_ratio", new JsonObject(), 0.50, 0.60, 0.70, 0.6))
        .add(sample("penjaga_filesystem_avail_bytes", new JsonObject().put("mount", "/home"), availEnd, availMid, avail(start), availEnd))
        .add(sample("penjaga_filesystem_used_ratio", new JsonObject().put("mount", "/home"), 1 - avail(start) / SIZE,
            1 - availMid / SIZE, 1 - availEnd / SIZE, 1 - availEnd / SIZE))
        .add(sample("penjaga_http_probe_up", new JsonObject().put("probe", "spse"), 1, 1, 1, 1));
    store.insert(report("capacity", end, new JsonObject().put("period_start", start.toString())
        .put("period_end", end.toString()).put("interval_seconds", 60).put("samples", samples)));
  }

  static double avail(Instant t) {
    return A0 - RATE * Duration.between(T0, t).getSeconds() / 86400.0;
  }

  static JsonObject sample(String metric, JsonObject labels, double min, double avg, double max, double last) {
    return new JsonObject().put("metric", metric).put("labels", labels).put("min", min).put("avg", avg).put("max", max)
        .put("last", last).put("count", 360);
  }

  private ReportService service(ReportStore store) throws Exception {
    return new ReportService(store, new CollectorConfig.Reports(null, null, null, dir.resolve("out"), "LPSE Kabupaten Contoh"),
        AlertRules.defaults(), new EvidenceRegister(store, null));
  }

  static String pct(double p) {
    return String.format(ID, "%.1f%%", p);
  }

  @Test
  void backupEffectivenessFiguresMatchTheGeneratedMonth() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      ReportService s = service(store);
      List<Reports.Group> groups = s.reports().effectiveness(OCT);
      assertThat(groups).extracting(Reports.Group::source).containsExactlyInAnyOrder("uploads", "db");
      for (Reports.Group g : groups) {
        int[] c = runsOk.get(g.source());
        assertThat(g.runs()).as(g.source()).isEqualTo(c[0]);
        assertThat(g.ok()).isEqualTo(c[1]);
        assertThat(g.successRate()).isCloseTo(100.0 * c[1] / c[0], org.assertj.core.data.Offset.offset(1e-9));
        assertThat(g.missedDays()).isEqualTo(31 - okDays.get(g.source()).size());
        assertThat(g.bytesAdded()).isEqualTo(addedOk.get(g.source()));
      }
      int runs = runsOk.values().stream().mapToInt(c -> c[0]).sum();
      int ok = runsOk.values().stream().mapToInt(c -> c[1]).sum();
      String html = s.render(Reports.Kind.BACKUP_EFFECTIVENESS, OCT, "id").html();
      assertThat(html).contains("Analisa Efektifitas Backup").contains("Oktober 2026").contains("LPSE Kabupaten Contoh");
      assertThat(html).contains("Jumlah backup bulan ini: " + runs + "; tingkat keberhasilan keseluruhan: " + pct(100.0 * ok / runs));
      for (String src : runsOk.keySet()) {
        assertThat(html).contains(pct(100.0 * runsOk.get(src)[1] / runsOk.get(src)[0]));
      }
      // failures: every failed run listed, one followed up, the rest open; so not effective
      assertThat(failedSeqs).isNotEmpty();
      assertThat(html).contains("sambungan ke media backup diperbaiki (Budi");
      assertThat(html).contains("BELUM EFEKTIF");
      assertThat(html).contains((failedSeqs.size() - 1) + " kegagalan belum ditindaklanjuti");
      assertThat(html).contains("15 Okt 2026");
      assertThat(html.split("belum ada tindak lanjut", -1)).hasSize(failedSeqs.size()); // n-1 open ones
      // the English version
      assertThat(s.render(Reports.Kind.BACKUP_EFFECTIVENESS, OCT, "en").html())
          .contains("Backup Effectiveness Analysis").contains("October 2026").contains("NOT YET EFFECTIVE");
      // CSV: one row per source and target
      String csv = new String(s.render(Reports.Kind.BACKUP_EFFECTIVENESS, OCT, "id").csv(), StandardCharsets.UTF_8);
      assertThat(csv.split("\r\n")).hasSize(3);
    }
  }

  @Test
  void backupLogListsEveryRunOfTheMonthAndNoOther() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      ReportService.Rendered r = service(store).render(Reports.Kind.BACKUP_LOG, OCT, "id");
      int runs = runsOk.values().stream().mapToInt(c -> c[0]).sum();
      assertThat(new String(r.csv(), StandardCharsets.UTF_8).split("\r\n")).hasSize(runs + 1);
      assertThat(r.html().split("<tr><td>", -1)).hasSize(runs + 1);
      assertThat(r.html()).contains("Log Pelaksanaan Backup").contains("media backup tidak terhubung").contains("terjadwal");
    }
  }

  @Test
  void capacityReportForecastsWhenTheDiskFills() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      ReportService s = service(store);
      // independently: available bytes at the end of 31 October, and the days left at 0.6 GB a day
      Instant endOfMonth = LocalDate.of(2026, 11, 1).atStartOfDay(WIB).toInstant();
      double left = avail(endOfMonth) / RATE; // 43.33 days
      LocalDate expectedFull = LocalDate.of(2026, 10, 31).plusDays((long) Math.floor(left));
      // the limit (85% used): daily averages are the midday values of a straight line
      double usedMidday = 1 - avail(endOfMonth.minus(Duration.ofHours(12))) / SIZE;
      LocalDate expectedLimit = LocalDate.of(2026, 10, 31).plusDays((long) Math.ceil((0.85 - usedMidday) / (RATE / SIZE)));
      Reports.Trend disk = s.reports().trends(OCT).stream()
          .filter(t -> t.component().metric().equals("penjaga_filesystem_used_ratio")).findFirst().orElseThrow();
      assertThat(disk.fullDate()).isEqualTo(expectedFull);
      assertThat(disk.limitDate()).isEqualTo(expectedLimit);
      assertThat(disk.slopePerDay()).isCloseTo(RATE / SIZE, org.assertj.core.data.Offset.offset(1e-9));
      Reports.Trend mem = s.reports().trends(OCT).stream()
          .filter(t -> t.component().metric().equals("penjaga_memory_used_ratio")).findFirst().orElseThrow();
      assertThat(mem.medium30()).isCloseTo(0.60, org.assertj.core.data.Offset.offset(1e-9));

      String html = s.render(Reports.Kind.CAPACITY_REPORT, OCT, "id").html();
      DateTimeFormatter f = DateTimeFormatter.ofPattern("d MMM yyyy", ID);
      assertThat(html).contains("<td data-full>" + f.format(expectedFull) + "</td>");
      assertThat(html).contains("1. Pendahuluan").contains("2. Ringkasan layanan").contains("3. Ringkasan komponen")
          .contains("4. Opsi penambahan kapasitas").contains("5. Prakiraan biaya").contains("6. Rekomendasi");
      assertThat(html).contains("diperkirakan mencapai batas pada " + f.format(expectedFull));
      assertThat(html).contains("<svg class=\"chart\"").contains("<polyline class=\"max\"");
      assertThat(html).doesNotContain("<script");
    }
  }

  @Test
  void capacityFormMarksTheDaysOverTheLimit() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      ReportService.Rendered r = service(store).render(Reports.Kind.CAPACITY_FORM, OCT, "id");
      String csv = new String(r.csv(), StandardCharsets.UTF_8);
      Set<String> over = new HashSet<>();
      int cpuRows = 0;
      for (String line : csv.split("\r\n")) {
        String[] c = line.split(",");
        if (c.length > 7 && c[2].equals("penjaga_cpu_utilisation_ratio")) {
          cpuRows++;
          if (c[7].equals("melampaui")) {
            over.add(c[1]);
          }
        }
      }
      assertThat(cpuRows).isEqualTo(31);
      assertThat(over).containsExactlyInAnyOrderElementsOf(cpuOverDays.stream().map(LocalDate::toString).toList());
      assertThat(r.html()).contains("Formulir Pencatatan Kapasitas").contains("Melampaui batas").contains("97,0%");
    }
  }

  @Test
  void restoreTestMinutesAndLogAnalysis() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      ReportService s = service(store);
      String rt = s.render(Reports.Kind.RESTORE_TEST, OCT, "id").html();
      assertThat(rt).contains("Berita Acara Uji Restore").contains("-4242424242").contains("/2026/lelang-5521/penawaran.pdf")
          .contains("dipilih secara acak dari 14 snapshot").contains("100500").contains("Kepala LPSE").contains("lulus");
      String la = s.render(Reports.Kind.LOG_ANALYSIS, OCT, "id").html();
      assertThat(la).contains("Analisa log dilakukan 4 kali");
      assertThat(la).contains("<th>Jumlah error aplikasi</th><td class=\"n\">" + errorsTotal + "</td>");
      assertThat(la).contains("<th>HTTP 5xx</th><td class=\"n\">" + fiveXxTotal + "</td>");
      assertThat(la).contains("<th>Temuan</th><td class=\"n\">" + findingsTotal + "</td>");
    }
  }

  @Test
  void theDailyCapacityRecapRecordsEachDayOnceWithItsBreaches() throws Exception {
    try (ReportStore store = TestStores.open(db, clock)) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      CapacityRecap recap = new CapacityRecap(store, service(store).reports(), reg, WIB);
      assertThat(recap.run(40)).isEqualTo(40); // 22 September to 31 October
      assertThat(recap.run(40)).isZero();
      List<EvidenceRegister.Record> days = reg.list(null, null, "capacity-recap", null);
      assertThat(days).hasSize(40).allMatch(r -> r.sopRef().equals("SOP 6 langkah 3"));
      Set<String> over = new HashSet<>();
      for (EvidenceRegister.Record r : days) {
        if (r.outcome().equals("over")) {
          over.add(new JsonObject(r.details()).getString("day"));
        }
      }
      assertThat(over).containsExactlyInAnyOrderElementsOf(cpuOverDays.stream().map(LocalDate::toString).toList());
      assertThat(days.get(days.size() - 1).summary()).startsWith("Pencatatan kapasitas 2026-10-31: ")
          .contains("Disk /home rata-rata");
      assertThat(reg.verify()).isEmpty();
      // raw records past their keeping time go; the recaps stay
      long before = store.countReports("lpse-a", "capacity");
      int pruned = store.pruneCapacity(Instant.parse("2026-11-01T03:00:01Z")); // all were received at 03:00
      assertThat(pruned).isEqualTo(before);
      assertThat(store.countReports("lpse-a", "capacity")).isZero();
      assertThat(store.countReports("lpse-a", "backup-run")).isPositive();
      assertThat(reg.list(null, null, "capacity-recap", null)).hasSize(40);
    }
  }

  @Test
  void theCliMakesTheMonthlySetAndRecordsIt() throws Exception {
    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, "collector:\n  store: " + TestStores.yaml(db) + "\nreports:\n  output-dir: " + dir.resolve("reports")
        + "\n  lpse-name: LPSE Kabupaten Contoh\n");
    assertThat(CollectorMain.execute("-c", config.toString(), "report", "all", "--month", "2026-10", "--by", "Budi")).isZero();
    Path m = dir.resolve("reports/2026-10");
    for (Reports.Kind k : Reports.Kind.values()) {
      assertThat(m.resolve(k.id + "-2026-10.html")).isRegularFile();
      assertThat(m.resolve(k.id + "-2026-10.csv")).isRegularFile();
    }
    assertThat(CollectorMain.execute("-c", config.toString(), "report", "nonsense", "--month", "2026-10")).isEqualTo(2);
    assertThat(CollectorMain.execute("-c", config.toString(), "report", "backup-log", "--month", "Oktober")).isEqualTo(2);
    try (ReportStore store = TestStores.open(db, clock)) {
      List<EvidenceRegister.Record> made = new EvidenceRegister(store, null).list(null, null, "report", null);
      assertThat(made).hasSize(Reports.Kind.values().length);
      assertThat(made).extracting(EvidenceRegister.Record::actor).containsOnly("Budi");
      assertThat(made.get(1).sopRef()).isEqualTo("SOP 10 langkah 7");
      String sha = new JsonObject(made.get(1).details()).getString("html_sha256");
      assertThat(sha).isEqualTo(ReportService.sha256(Files.readAllBytes(m.resolve("backup-effectiveness-2026-10.html"))));
      assertThat(new EvidenceRegister(store, null).verify()).isEmpty();
    }
  }
}
