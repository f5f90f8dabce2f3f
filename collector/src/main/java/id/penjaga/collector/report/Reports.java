package id.penjaga.collector.report;

import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.evidence.Activities;
import id.penjaga.collector.evidence.Bytes;
import id.penjaga.collector.evidence.EvidenceExport;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.text.NumberFormat;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SOP reports of a month, as data for the templates ({@link ReportRenderer}) and as CSV rows:
 * the backup log, the backup-effectiveness analysis, the restore-test minutes, the capacity form
 * and report, the log-analysis report. All figures come from the agents' stored records.
 */
public final class Reports {
  /** The reports, by the names the CLI and the web page use. */
  public enum Kind {
    BACKUP_LOG("backup-log"),
    BACKUP_EFFECTIVENESS("backup-effectiveness"),
    RESTORE_TEST("restore-test"),
    CAPACITY_FORM("capacity-form"),
    CAPACITY_REPORT("capacity-report"),
    LOG_ANALYSIS("log-analysis"),
    LIMITS("limits");

    public final String id;

    Kind(String id) {
      this.id = id;
    }

    public static Kind of(String id) {
      for (Kind k : values()) {
        if (k.id.equals(id)) {
          return k;
        }
      }
      throw new IllegalArgumentException("no report \"" + id + "\"; the reports are: " + names());
    }

    public static String names() {
      StringBuilder sb = new StringBuilder();
      for (Kind k : values()) {
        sb.append(sb.length() > 0 ? ", " : "").append(k.id);
      }
      return sb.toString();
    }
  }

  /** A built report: the template's data and the CSV's rows (first row: the header). */
  public record Built(Kind kind, YearMonth month, Map<String, Object> model, List<String[]> csv) {}

  private final ReportData data;
  private final id.penjaga.collector.evidence.ManualCapacity manual;
  private final ZoneId zone;
  private final AlertRules rules;
  private final Clock clock;

  public Reports(ReportStore store, ZoneId zone, AlertRules rules) {
    this.data = new ReportData(store);
    this.manual = new id.penjaga.collector.evidence.ManualCapacity(store);
    this.zone = zone;
    this.rules = rules;
    this.clock = store.clock();
  }

  public Built build(Kind kind, YearMonth month, String lang) throws SQLException {
    return switch (kind) {
      case BACKUP_LOG -> backupLog(month, lang);
      case BACKUP_EFFECTIVENESS -> backupEffectiveness(month, lang);
      case RESTORE_TEST -> restoreTests(month, lang);
      case CAPACITY_FORM -> capacityForm(month, lang);
      case CAPACITY_REPORT -> capacityReport(month, lang);
      case LOG_ANALYSIS -> logAnalysis(month, lang);
      case LIMITS -> limits(month, lang);
    };
  }

  Instant start(YearMonth m) {
    return m.atDay(1).atStartOfDay(zone).toInstant();
  }

  Instant end(YearMonth m) {
    return m.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant();
  }

  // ---------------------------------------------------------------- backup log (SOP 10 langkah 4)

  Built backupLog(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    List<Map<String, Object>> rows = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"mulai", "selesai", "agen", "sumber", "tujuan", "pemicu", "alasan", "hasil", "berkas_baru",
        "berkas_berubah", "data_dibaca_byte", "data_baru_byte", "durasi_detik", "snapshot", "galat"});
    for (ReportData.Stored s : data.reports("backup-run", "finished_at", start(month), end(month), null)) {
      JsonObject b = s.body();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("started", f.time(b.getString("started_at")));
      r.put("finished", f.time(b.getString("finished_at")));
      r.put("agent", s.agent());
      r.put("source", b.getString("source"));
      r.put("target", b.getString("target_name", "main") + (b.getString("medium") == null ? "" : " (" + b.getString("medium") + ")"));
      r.put("trigger", f.word("trigger." + b.getString("trigger", "schedule")));
      r.put("reason", b.getString("reason", ""));
      r.put("result", f.word("result." + b.getString("result")));
      r.put("failed", "failure".equals(b.getString("result")));
      r.put("files_new", b.getLong("files_new", 0L));
      r.put("bytes_added", Bytes.human(b.getLong("bytes_added", 0L)));
      r.put("duration", f.duration(duration(b)));
      r.put("snapshot", Activities.shortId(b.getString("snapshot_id")));
      r.put("error", b.getString("failure", String.join("; ", strings(b.getJsonArray("error_messages")))));
      rows.add(r);
      csv.add(new String[] {b.getString("started_at"), b.getString("finished_at"), s.agent(), b.getString("source"),
          b.getString("target_name", "main"), b.getString("trigger", "schedule"), b.getString("reason", ""),
          b.getString("result"), String.valueOf(b.getLong("files_new", 0L)), String.valueOf(b.getLong("files_changed", 0L)),
          String.valueOf(b.getLong("bytes_read", 0L)), String.valueOf(b.getLong("bytes_added", 0L)),
          f.plain(duration(b)), b.getString("snapshot_id", ""), (String) r.get("error")});
    }
    Map<String, Object> m = f.base("backup_log", month);
    m.put("rows", rows);
    m.put("count", rows.size());
    m.put("none", rows.isEmpty());
    return new Built(Kind.BACKUP_LOG, month, m, csv);
  }

  // ------------------------------------------------------ backup effectiveness (SOP 10 langkah 7)

  /** One source and target's figures for the month. */
  record Group(String agent, String source, String target, int runs, int ok, int failed, double successRate,
      double avgSeconds, double maxSeconds, long bytesAdded, long firstSize, long lastSize, int missedDays) {}

  /** Figures per agent, source and target; exposed for the tests and the web page. */
  public List<Group> effectiveness(YearMonth month) throws SQLException {
    Map<String, List<JsonObject>> byGroup = new TreeMap<>();
    Map<String, String> agentOf = new LinkedHashMap<>();
    for (ReportData.Stored s : data.reports("backup-run", "finished_at", start(month), end(month), null)) {
      String key = s.agent() + "\u0000" + s.body().getString("source") + "\u0000" + s.body().getString("target_name", "main");
      byGroup.computeIfAbsent(key, k -> new ArrayList<>()).add(s.body());
      agentOf.put(key, s.agent());
    }
    LocalDate today = LocalDate.now(clock.withZone(zone));
    List<Group> out = new ArrayList<>();
    for (Map.Entry<String, List<JsonObject>> e : byGroup.entrySet()) {
      String[] k = e.getKey().split("\u0000");
      List<JsonObject> runs = e.getValue();
      int ok = 0;
      double sum = 0;
      double max = 0;
      long added = 0;
      long first = -1;
      long last = -1;
      java.util.Set<LocalDate> okDays = new java.util.HashSet<>();
      LocalDate firstDay = null;
      for (JsonObject b : runs) {
        LocalDate d = Instant.parse(b.getString("finished_at")).atZone(zone).toLocalDate();
        firstDay = firstDay == null || d.isBefore(firstDay) ? d : firstDay;
        double secs = duration(b);
        sum += secs;
        max = Math.max(max, secs);
        if (!"failure".equals(b.getString("result"))) {
          ok++;
          okDays.add(d);
          added += b.getLong("bytes_added", 0L);
          long size = b.getLong("bytes_read", 0L) + 0;
          if (first < 0) {
            first = size;
          }
          last = size;
        }
      }
      LocalDate lastDay = month.atEndOfMonth().isBefore(today) ? month.atEndOfMonth() : today.minusDays(1);
      int missed = 0;
      for (LocalDate d = firstDay; d != null && !d.isAfter(lastDay); d = d.plusDays(1)) {
        if (!okDays.contains(d)) {
          missed++;
        }
      }
      out.add(new Group(k[0], k[1], k[2], runs.size(), ok, runs.size() - ok, 100.0 * ok / runs.size(),
          sum / runs.size(), max, added, Math.max(first, 0), Math.max(last, 0), missed));
    }
    return out;
  }

  Built backupEffectiveness(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("backup_effectiveness", month);
    List<Group> groups = effectiveness(month);
    int days = month.lengthOfMonth();
    List<Map<String, Object>> rows = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"agen", "sumber", "tujuan", "jumlah_backup", "berhasil", "gagal", "tingkat_keberhasilan_persen",
        "durasi_rata2_detik", "durasi_maks_detik", "data_baru_byte", "data_baru_per_hari_byte", "ukuran_awal_byte",
        "ukuran_akhir_byte", "hari_tanpa_backup_berhasil"});
    int totalRuns = 0;
    int totalOk = 0;
    int missedTotal = 0;
    for (Group g : groups) {
      totalRuns += g.runs();
      totalOk += g.ok();
      missedTotal += g.missedDays();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("agent", g.agent());
      r.put("source", g.source());
      r.put("target", g.target());
      r.put("runs", g.runs());
      r.put("ok", g.ok());
      r.put("failed", g.failed());
      r.put("rate", f.percent(g.successRate()));
      r.put("low", g.successRate() < 95.0);
      r.put("avg", f.duration(g.avgSeconds()));
      r.put("max", f.duration(g.maxSeconds()));
      r.put("added", Bytes.human(g.bytesAdded()));
      r.put("per_day", Bytes.human(g.bytesAdded() / days));
      r.put("size", Bytes.human(g.lastSize()));
      r.put("growth", Bytes.human(g.lastSize() - g.firstSize()));
      r.put("missed", g.missedDays());
      rows.add(r);
      csv.add(new String[] {g.agent(), g.source(), g.target(), String.valueOf(g.runs()), String.valueOf(g.ok()),
          String.valueOf(g.failed()), String.format(Locale.ROOT, "%.1f", g.successRate()), f.plain(g.avgSeconds()),
          f.plain(g.maxSeconds()), String.valueOf(g.bytesAdded()), String.valueOf(g.bytesAdded() / days),
          String.valueOf(g.firstSize()), String.valueOf(g.lastSize()), String.valueOf(g.missedDays())});
    }
    m.put("groups", rows);
    m.put("no_runs", rows.isEmpty());
    double rate = totalRuns == 0 ? 0 : 100.0 * totalOk / totalRuns;
    m.put("total_runs", totalRuns);
    m.put("total_rate", f.percent(rate));
    m.put("total_text", f.word("text.total", String.valueOf(totalRuns), f.percent(rate)));

    // failures of the month and their follow-ups
    List<Map<String, Object>> failures = new ArrayList<>();
    for (ReportData.Stored s : data.reports("backup-run", "finished_at", start(month), end(month), null)) {
      if ("failure".equals(s.body().getString("result"))) {
        failures.add(failure(f, s, f.time(s.body().getString("finished_at")),
            s.body().getString("source") + " → " + s.body().getString("target_name", "main"), s.body().getString("failure", "")));
      }
    }
    for (ReportData.Stored s : data.reports("failure", "occurred_at", start(month), end(month), null)) {
      if (!"backup".equals(s.body().getString("kind"))) { // a failed backup is already listed by its run
        failures.add(failure(f, s, f.time(s.body().getString("occurred_at")), s.body().getString("task", s.body().getString("kind")),
            s.body().getString("reason", "")));
      }
    }
    long open = failures.stream().filter(x -> !(Boolean) x.get("followed")).count();
    m.put("failures", failures);
    m.put("no_failures", failures.isEmpty());

    // restore tests: of the month, and the newest one up to its end
    List<Map<String, Object>> tests = new ArrayList<>();
    for (ReportData.Stored s : data.reports("restore-test", "finished_at", start(month), end(month), null)) {
      tests.add(Map.of("time", f.time(s.body().getString("finished_at")), "agent", s.agent(),
          "result", f.word("result." + s.body().getString("result")), "seed", String.valueOf(s.body().getValue("seed"))));
    }
    m.put("tests", tests);
    m.put("has_tests", !tests.isEmpty());
    ReportData.Stored lastTest = data.latest("restore-test", "finished_at", end(month), null);
    long daysSinceTest = lastTest == null ? -1
        : Duration.between(Instant.parse(lastTest.body().getString("finished_at")), end(month)).toDays();
    boolean testOk = lastTest != null && daysSinceTest <= 92 && "pass".equals(lastTest.body().getString("result"));
    m.put("last_test", lastTest == null ? f.word("none") : f.time(lastTest.body().getString("finished_at")) + " ("
        + f.word("result." + lastTest.body().getString("result")) + ")");
    m.put("days_since_test", daysSinceTest < 0 ? "-" : String.valueOf(daysSinceTest));

    // conclusion
    List<String> issues = new ArrayList<>();
    for (Group g : groups) {
      if (g.successRate() < 95.0) {
        issues.add(f.word("issue.rate", g.source() + " → " + g.target() + " (" + g.agent() + ")", f.percent(g.successRate())));
      }
      if (g.missedDays() > 0) {
        issues.add(f.word("issue.missed", g.source() + " → " + g.target() + " (" + g.agent() + ")", String.valueOf(g.missedDays())));
      }
    }
    if (groups.isEmpty()) {
      issues.add(f.word("issue.no_runs"));
    }
    if (!testOk) {
      issues.add(lastTest == null ? f.word("issue.no_test") : f.word("issue.old_test", String.valueOf(daysSinceTest)));
    }
    if (open > 0) {
      issues.add(f.word("issue.open_failures", String.valueOf(open)));
    }
    long overdue = failures.stream().filter(x -> (Boolean) x.get("overdue")).count();
    if (overdue > 0) {
      issues.add(f.word("issue.overdue", String.valueOf(overdue)));
    }
    List<String> discussed = new ArrayList<>();
    for (EvidenceRegister.Record r : data.evidence(Instant.parse("9999-12-31T00:00:00Z"), "meeting-minutes")) {
      JsonObject d = new JsonObject(r.details());
      if (month.toString().equals(d.getString("month"))) {
        discussed.add(f.word("text.discussed", d.getString("meeting_date"), d.getString("file_name"),
            d.getString("sha256", "").substring(0, Math.min(16, d.getString("sha256", "").length())) + "…"));
      }
    }
    m.put("discussed", discussed);
    m.put("effective", issues.isEmpty());
    m.put("conclusion", issues.isEmpty()
        ? f.word("conclusion.effective", f.percent(rate))
        : f.word("conclusion.not_effective", f.percent(rate)));
    m.put("issues", issues);
    m.put("missed_total", missedTotal);
    return new Built(Kind.BACKUP_EFFECTIVENESS, month, m, csv);
  }

  private Map<String, Object> failure(Fmt f, ReportData.Stored s, String time, String what, String reason)
      throws SQLException {
    List<EvidenceRegister.Record> fu = data.followUps(s.agent(), s.seq());
    List<Map<String, Object>> follow = new ArrayList<>();
    LocalDate today = LocalDate.now(clock.withZone(zone));
    for (int i = 0; i < fu.size(); i++) {
      EvidenceRegister.Record r = fu.get(i);
      JsonObject d = new JsonObject(r.details());
      String due = d.getString("due");
      boolean overdue = i == fu.size() - 1 && due != null && LocalDate.parse(due).isBefore(today);
      follow.add(Map.of("time", f.time(r.occurredAt()), "by", r.actor(), "action", d.getString("action", r.summary()),
          "pic", d.getString("person_in_charge", "") == null ? "" : d.getString("person_in_charge", ""),
          "due", due == null ? "" : due, "overdue", overdue));
    }
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("time", time);
    x.put("agent", s.agent());
    x.put("what", what);
    x.put("reason", reason);
    x.put("follow_ups", follow);
    x.put("followed", !follow.isEmpty());
    x.put("overdue", follow.stream().anyMatch(o -> (Boolean) o.get("overdue")));
    Long ev = data.evidenceOf(s.agent(), s.seq());
    x.put("evidence", ev == null ? "" : String.valueOf(ev));
    return x;
  }

  // ---------------------------------------------------------- restore tests (SOP 10 langkah 5)

  Built restoreTests(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("restore_test", month);
    List<Map<String, Object>> tests = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"uji", "agen", "selesai", "seed", "sumber", "snapshot", "waktu_snapshot", "berkas", "ukuran_byte",
        "hasil_berkas", "hash_cocok", "dibanding_berkas_asli", "basis_data", "tabel", "baris_dicatat", "baris_dipulihkan",
        "hasil"});
    for (ReportData.Stored s : data.reports("restore-test", "finished_at", start(month), end(month), null)) {
      JsonObject b = s.body();
      Map<String, Object> t = new LinkedHashMap<>();
      String id = s.agent() + "#" + s.seq();
      t.put("id", id);
      t.put("agent", s.agent());
      t.put("started", f.time(b.getString("started_at")));
      t.put("finished", f.time(b.getString("finished_at")));
      t.put("duration", f.duration(b.getDouble("duration_seconds", 0.0)));
      t.put("seed", String.valueOf(b.getValue("seed")));
      t.put("trigger", f.word("trigger." + b.getString("trigger", "schedule")));
      t.put("target", b.getString("target_name", "main"));
      t.put("pass", "pass".equals(b.getString("result")));
      t.put("result", f.word("result." + b.getString("result")));
      t.put("failures", strings(b.getJsonArray("failures")));
      t.put("has_failures", !strings(b.getJsonArray("failures")).isEmpty());
      List<Map<String, Object>> sources = new ArrayList<>();
      for (Object o : b.getJsonArray("sources", new JsonArray())) {
        JsonObject src = (JsonObject) o;
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("source", src.getString("source"));
        sm.put("type", src.getString("type"));
        sm.put("result", f.word("result." + src.getString("result")));
        sm.put("snapshot", Activities.shortId(src.getString("snapshot_id")));
        sm.put("snapshot_time", f.time(src.getString("snapshot_time")));
        sm.put("choice_text", f.word("rt.snapshot_choice", String.valueOf(src.getValue("snapshots_to_choose_from", "-"))));
        List<Map<String, Object>> files = new ArrayList<>();
        for (Object fo : src.getJsonArray("files", new JsonArray())) {
          JsonObject fi = (JsonObject) fo;
          files.add(Map.of("path", fi.getString("path"), "size", Bytes.human(fi.getLong("size", 0L)),
              "result", fi.getString("result"), "hash", f.yesNo(fi.getBoolean("hash_verified", false)),
              "live", f.yesNo(fi.getBoolean("live_compared", false))));
          csv.add(new String[] {id, s.agent(), b.getString("finished_at"), String.valueOf(b.getValue("seed")),
              src.getString("source"), src.getString("snapshot_id"), src.getString("snapshot_time"), fi.getString("path"),
              String.valueOf(fi.getLong("size", 0L)), fi.getString("result"), String.valueOf(fi.getBoolean("hash_verified", false)),
              String.valueOf(fi.getBoolean("live_compared", false)), "", "", "", "", src.getString("result")});
        }
        sm.put("files", files);
        sm.put("has_files", !files.isEmpty());
        if (src.getValue("bytes_per_second") != null) {
          sm.put("speed", Bytes.human(src.getLong("bytes_per_second")) + "/s");
          sm.put("projected", f.duration(src.getDouble("projected_full_restore_seconds", 0.0)));
          sm.put("snapshot_size", Bytes.human(src.getLong("bytes_in_snapshot", 0L)));
        }
        List<Map<String, Object>> tables = new ArrayList<>();
        for (Object dbo : src.getJsonArray("databases", new JsonArray())) {
          JsonObject db = (JsonObject) dbo;
          for (Object to : db.getJsonArray("tables", new JsonArray())) {
            JsonObject tb = (JsonObject) to;
            boolean same = tb.getLong("rows_expected", -1L).equals(tb.getLong("rows_restored", -2L));
            tables.add(Map.of("database", db.getString("database"), "table", tb.getString("schema", "public") + "." + tb.getString("table"),
                "expected", tb.getLong("rows_expected", 0L), "restored", tb.getLong("rows_restored", 0L), "same", same));
            csv.add(new String[] {id, s.agent(), b.getString("finished_at"), String.valueOf(b.getValue("seed")),
                src.getString("source"), src.getString("snapshot_id"), src.getString("snapshot_time"), "", "", "", "", "",
                db.getString("database"), tb.getString("table"), String.valueOf(tb.getLong("rows_expected", 0L)),
                String.valueOf(tb.getLong("rows_restored", 0L)), db.getString("result")});
          }
        }
        sm.put("tables", tables);
        sm.put("has_tables", !tables.isEmpty());
        sources.add(sm);
      }
      t.put("sources", sources);
      tests.add(t);
    }
    m.put("tests", tests);
    m.put("none", tests.isEmpty());
    return new Built(Kind.RESTORE_TEST, month, m, csv);
  }

  // -------------------------------------------------------------- capacity (SOP 6 langkah 2-11)

  /** A capacity component: a metric and its labels, with its acceptable limit when one is set. */
  record Component(String agent, String metric, String labelKey, String label, Double limit) {}

  /** Daily figures of a component: mean of the period averages, max of the period maxima, last value. */
  record Day(LocalDate date, double avg, double max, double last) {}

  private static final List<String> COMPONENT_METRICS = List.of("penjaga_cpu_utilisation_ratio", "penjaga_memory_used_ratio",
      "penjaga_filesystem_used_ratio", "penjaga_filesystem_avail_bytes", "penjaga_database_size_bytes",
      "penjaga_http_probe_up", "penjaga_http_probe_duration_seconds");

  /** Per agent, per component, per local day, over [from, to). */
  Map<String, Map<Component, TreeMap<LocalDate, Day>>> daily(Instant from, Instant to) throws SQLException {
    Map<String, Map<Component, TreeMap<LocalDate, double[]>>> acc = new TreeMap<>();
    Map<String, Component> components = new LinkedHashMap<>();
    for (ReportData.Stored s : data.reports("capacity", "period_end", from, to, null, true)) {
      LocalDate d = Instant.parse(s.body().getString("period_end")).minusSeconds(1).atZone(zone).toLocalDate();
      for (Object o : s.body().getJsonArray("samples", new JsonArray())) {
        JsonObject x = (JsonObject) o;
        String metric = x.getString("metric");
        if (!COMPONENT_METRICS.contains(metric)) {
          continue;
        }
        JsonObject labels = x.getJsonObject("labels", new JsonObject());
        String label = labels.getString("mount", labels.getString("database", labels.getString("probe", "")));
        String key = s.agent() + "|" + metric + "|" + label;
        Component c = components.computeIfAbsent(key, k -> new Component(s.agent(), metric, label, label, limit(metric)));
        double[] a = acc.computeIfAbsent(s.agent(), k -> new LinkedHashMap<>())
            .computeIfAbsent(c, k -> new TreeMap<>())
            .computeIfAbsent(d, k -> new double[] {0, 0, Double.NEGATIVE_INFINITY, 0});
        double n = x.getDouble("count", 1.0);
        a[0] += x.getDouble("avg", 0.0) * n;
        a[1] += n;
        a[2] = Math.max(a[2], x.getDouble("max", 0.0));
        a[3] = x.getDouble("last", x.getDouble("avg", 0.0));
      }
    }
    Map<String, Map<Component, TreeMap<LocalDate, Day>>> out = new TreeMap<>();
    acc.forEach((agent, comps) -> {
      Map<Component, TreeMap<LocalDate, Day>> cm = new LinkedHashMap<>();
      comps.forEach((c, days) -> {
        TreeMap<LocalDate, Day> dm = new TreeMap<>();
        days.forEach((d, a) -> dm.put(d, new Day(d, a[1] == 0 ? 0 : a[0] / a[1], a[2], a[3])));
        cm.put(c, dm);
      });
      out.put(agent, cm);
    });
    return out;
  }

  private Double limit(String metric) {
    for (AlertRules.Threshold t : rules.thresholds()) {
      if (t.metric().equals(metric) && t.above() != null && (t.labels() == null || t.labels().isEmpty())) {
        return t.above();
      }
    }
    return null;
  }

  Built capacityForm(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("capacity_form", month);
    List<Map<String, Object>> agents = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"agen", "tanggal", "komponen", "label", "rata2", "maks", "batas", "status"});
    for (Map.Entry<String, Map<Component, TreeMap<LocalDate, Day>>> a : daily(start(month), end(month)).entrySet()) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Map.Entry<Component, TreeMap<LocalDate, Day>> c : a.getValue().entrySet()) {
        Component comp = c.getKey();
        if (!comp.metric().endsWith("_ratio")) {
          continue;
        }
        for (Day d : c.getValue().values()) {
          boolean over = comp.limit() != null && d.max() > comp.limit();
          rows.add(Map.of("date", f.date(d.date()), "component", f.word("component." + comp.metric()), "label", comp.label(),
              "avg", f.percent(d.avg() * 100), "max", f.percent(d.max() * 100),
              "limit", comp.limit() == null ? "-" : f.percent(comp.limit() * 100), "over", over,
              "status", f.word(over ? "status.over" : "status.within")));
          csv.add(new String[] {a.getKey(), d.date().toString(), comp.metric(), comp.label(),
              String.format(Locale.ROOT, "%.4f", d.avg()), String.format(Locale.ROOT, "%.4f", d.max()),
              comp.limit() == null ? "" : String.valueOf(comp.limit()), over ? "melampaui" : "dalam_batas"});
        }
      }
      rows.sort((x, y) -> ((String) x.get("date")).compareTo((String) y.get("date")));
      agents.add(Map.of("agent", a.getKey(), "rows", rows));
    }
    m.put("agents", agents);
    List<Map<String, Object>> manualRows = new ArrayList<>();
    for (id.penjaga.collector.evidence.ManualCapacity.Entry e : manual.month(month)) {
      manualRows.add(manualRow(f, e));
      csv.add(new String[] {"-", month.toString(), e.component(), e.unit(), String.valueOf(e.value()), String.valueOf(e.value()),
          e.limit() == null ? "" : String.valueOf(e.limit()), e.over() ? "melampaui" : "dalam_batas"});
    }
    m.put("manual", manualRows);
    m.put("has_manual", !manualRows.isEmpty());
    m.put("none", agents.isEmpty() && manualRows.isEmpty());
    return new Built(Kind.CAPACITY_FORM, month, m, csv);
  }

  private static Map<String, Object> manualRow(Fmt f, id.penjaga.collector.evidence.ManualCapacity.Entry e) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("component", e.component());
    r.put("value", f.number2(e.value()) + " " + e.unit());
    r.put("limit", e.limit() == null ? "-" : f.number2(e.limit()) + " " + e.unit());
    r.put("over", e.over());
    r.put("status", f.word(e.over() ? "status.over" : "status.within"));
    r.put("note", e.note() == null ? "" : e.note());
    r.put("by", e.by());
    return r;
  }

  /** A component's trend at a month's end: averages over 7, 30 and 90 days and forecasts. */
  public record Trend(Component component, double now, double short7, double medium30, double long90, double slopePerDay,
      LocalDate limitDate, LocalDate fullDate) {}

  /** Trends of every component of every agent at the end of {@code month}. */
  public List<Trend> trends(YearMonth month) throws SQLException {
    return trends(month, daily(end(month).minus(Duration.ofDays(90)), end(month)));
  }

  /** As above, from the daily figures of the 90 days up to the month's end. */
  private List<Trend> trends(YearMonth month, Map<String, Map<Component, TreeMap<LocalDate, Day>>> all) {
    LocalDate lastDay = month.atEndOfMonth();
    List<Trend> out = new ArrayList<>();
    for (Map<Component, TreeMap<LocalDate, Day>> comps : all.values()) {
      for (Map.Entry<Component, TreeMap<LocalDate, Day>> e : comps.entrySet()) {
        Component c = e.getKey();
        TreeMap<LocalDate, Day> days = e.getValue();
        if (days.isEmpty() || c.metric().equals("penjaga_filesystem_avail_bytes")) {
          continue;
        }
        double[] fit = fit(days.tailMap(lastDay.minusDays(29), true), lastDay, false);
        LocalDate limitDate = null;
        if (c.limit() != null && fit[1] > 0) {
          double daysTo = (c.limit() - fit[0]) / fit[1];
          limitDate = daysTo <= 0 ? lastDay : daysTo < 3650 ? lastDay.plusDays((long) Math.ceil(daysTo)) : null;
        }
        LocalDate fullDate = null;
        if (c.metric().equals("penjaga_filesystem_used_ratio")) {
          TreeMap<LocalDate, Day> avail = comps.entrySet().stream()
              .filter(x -> x.getKey().metric().equals("penjaga_filesystem_avail_bytes") && x.getKey().label().equals(c.label()))
              .map(Map.Entry::getValue).findFirst().orElse(new TreeMap<>());
          double[] af = fit(avail.tailMap(lastDay.minusDays(29), true), lastDay, true);
          if (af[1] < 0) {
            double daysTo = af[0] / -af[1];
            fullDate = daysTo < 3650 ? lastDay.plusDays((long) Math.floor(Math.max(0, daysTo))) : null;
          }
        }
        out.add(new Trend(c, days.lastEntry().getValue().avg(), mean(days, lastDay, 7), mean(days, lastDay, 30),
            mean(days, lastDay, 90), fit[1], limitDate, fullDate));
      }
    }
    return out;
  }

  private static double mean(TreeMap<LocalDate, Day> days, LocalDate last, int n) {
    return days.tailMap(last.minusDays(n - 1), true).values().stream().mapToDouble(Day::avg).average().orElse(Double.NaN);
  }

  /**
   * Least squares through the daily values (the last value of the day when {@code useLast}, else
   * the average), x in days: {value at the end of {@code at}, slope per day}.
   */
  static double[] fit(Map<LocalDate, Day> days, LocalDate at, boolean useLast) {
    int n = days.size();
    if (n < 2) {
      double v = n == 1 ? (useLast ? days.values().iterator().next().last() : days.values().iterator().next().avg()) : 0;
      return new double[] {v, 0};
    }
    double sx = 0;
    double sy = 0;
    for (Map.Entry<LocalDate, Day> e : days.entrySet()) {
      sx += e.getKey().toEpochDay();
      sy += useLast ? e.getValue().last() : e.getValue().avg();
    }
    double mx = sx / n;
    double my = sy / n;
    double sxy = 0;
    double sxx = 0;
    for (Map.Entry<LocalDate, Day> e : days.entrySet()) {
      double dx = e.getKey().toEpochDay() - mx;
      sxy += dx * ((useLast ? e.getValue().last() : e.getValue().avg()) - my);
      sxx += dx * dx;
    }
    double slope = sxy / sxx;
    return new double[] {my + slope * (at.toEpochDay() - mx), slope};
  }

  Built capacityReport(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("capacity_report", month);
    Map<String, Map<Component, TreeMap<LocalDate, Day>>> days90 = daily(end(month).minus(Duration.ofDays(90)), end(month));
    List<Trend> trends = trends(month, days90);
    List<Map<String, Object>> comps = new ArrayList<>();
    List<Map<String, Object>> services = new ArrayList<>();
    List<String> options = new ArrayList<>();
    List<String> recommendations = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"agen", "komponen", "label", "sekarang", "rata2_7_hari", "rata2_30_hari", "rata2_90_hari",
        "kecenderungan_per_30_hari", "batas", "batas_tercapai_pada", "penuh_pada"});
    int over = 0;
    LocalDate horizon = month.atEndOfMonth().plusDays(90);
    for (Trend t : trends) {
      Component c = t.component();
      boolean ratio = c.metric().endsWith("_ratio");
      String name = f.word("component." + c.metric());
      csv.add(new String[] {c.agent(), c.metric(), c.label(), num(t.now()), num(t.short7()), num(t.medium30()),
          num(t.long90()), num(t.slopePerDay() * 30), c.limit() == null ? "" : String.valueOf(c.limit()),
          t.limitDate() == null ? "" : t.limitDate().toString(), t.fullDate() == null ? "" : t.fullDate().toString()});
      if (c.metric().startsWith("penjaga_http_probe")) {
        services.add(Map.of("agent", c.agent(), "name", name, "label", c.label(),
            "value", c.metric().endsWith("_up") ? f.percent(t.medium30() * 100) : f.number(t.medium30() * 1000) + " ms"));
        continue;
      }
      boolean isOver = c.limit() != null && t.now() > c.limit();
      over += isOver ? 1 : 0;
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("agent", c.agent());
      r.put("name", name);
      r.put("label", c.label());
      r.put("now", ratio ? f.percent(t.now() * 100) : Bytes.human((long) t.now()));
      r.put("short", ratio ? f.percent(t.short7() * 100) : Bytes.human((long) t.short7()));
      r.put("medium", ratio ? f.percent(t.medium30() * 100) : Bytes.human((long) t.medium30()));
      r.put("long", ratio ? f.percent(t.long90() * 100) : Bytes.human((long) t.long90()));
      r.put("trend", ratio ? f.signedPercent(t.slopePerDay() * 30 * 100) : (t.slopePerDay() >= 0 ? "+" : "−")
          + Bytes.human((long) Math.abs(t.slopePerDay() * 30)));
      r.put("limit", c.limit() == null ? "-" : f.percent(c.limit() * 100));
      r.put("limit_date", t.limitDate() == null ? "-" : f.date(t.limitDate()));
      r.put("full_date", t.fullDate() == null ? "-" : f.date(t.fullDate()));
      r.put("over", isOver);
      r.put("chart", Svg.chart(days90.getOrDefault(c.agent(), Map.of()).getOrDefault(c, new TreeMap<>()),
          ratio ? 1.0 : Double.NaN, c.limit()));
      comps.add(r);
      boolean soon = (t.limitDate() != null && !t.limitDate().isAfter(horizon)) || (t.fullDate() != null && !t.fullDate().isAfter(horizon));
      if (isOver || soon) {
        String when = t.fullDate() != null ? f.date(t.fullDate()) : t.limitDate() != null ? f.date(t.limitDate()) : "";
        options.add(f.word("option." + c.metric(), c.agent(), c.label()));
        recommendations.add(f.word(isOver ? "recommend.over" : "recommend.soon", name + (c.label().isEmpty() ? "" : " " + c.label())
            + " (" + c.agent() + ")", when));
      }
    }
    List<Map<String, Object>> manualRows = new ArrayList<>();
    for (id.penjaga.collector.evidence.ManualCapacity.Entry e : manual.month(month)) {
      Map<String, Object> r = manualRow(f, e);
      StringBuilder before = new StringBuilder();
      for (int i = 2; i >= 1; i--) {
        YearMonth pm = month.minusMonths(i);
        for (id.penjaga.collector.evidence.ManualCapacity.Entry p : manual.month(pm)) {
          if (p.component().equals(e.component())) {
            before.append(before.length() > 0 ? "; " : "").append(pm).append(": ").append(f.number2(p.value()));
          }
        }
      }
      r.put("before", before.length() == 0 ? "-" : before.toString());
      manualRows.add(r);
      csv.add(new String[] {"-", "manual", e.component(), num(e.value()), "", "", "", "", e.limit() == null ? "" : String.valueOf(e.limit()), "", ""});
      if (e.over()) {
        over++;
        options.add(f.word("option.manual", e.component()));
        recommendations.add(0, f.word("recommend.over", e.component(), ""));
      }
    }
    if (recommendations.isEmpty()) {
      recommendations.add(f.word("recommend.none"));
    }
    m.put("manual", manualRows);
    m.put("has_manual", !manualRows.isEmpty());
    Long tenders = manual.tenders(month);
    Long lastYear = manual.tenders(month.minusYears(1));
    m.put("has_tenders", tenders != null);
    if (tenders != null) {
      m.put("tenders", tenders);
      m.put("tenders_last_year", lastYear == null ? "-" : String.valueOf(lastYear));
      m.put("tenders_change", lastYear == null || lastYear == 0 ? "-" : f.signedPercent(100.0 * (tenders - lastYear) / lastYear)
          .replace(lang.equals("id") ? " poin" : " pt", "%"));
      List<Map<String, Object>> year = new ArrayList<>();
      for (int i = 11; i >= 0; i--) {
        Long t = manual.tenders(month.minusMonths(i));
        if (t != null) {
          year.add(Map.of("month", month.minusMonths(i).toString(), "packages", t));
        }
      }
      m.put("tender_year", year);
    }
    m.put("components", comps);
    m.put("services", services);
    m.put("has_services", !services.isEmpty());
    m.put("options", options);
    m.put("no_options", options.isEmpty());
    m.put("recommendations", recommendations);
    m.put("status", f.word(over == 0 ? "capacity.status.ok" : "capacity.status.over", String.valueOf(comps.size() + manualRows.size()),
        String.valueOf(over)));
    m.put("scope", String.join(", ", days90.keySet()));
    m.put("none", comps.isEmpty() && services.isEmpty() && manualRows.isEmpty());
    return new Built(Kind.CAPACITY_REPORT, month, m, csv);
  }

  // ---------------------------------------------------------------- log analysis (SOP 11 langkah 4)

  Built logAnalysis(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("log_analysis", month);
    List<Map<String, Object>> runs = new ArrayList<>();
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"agen", "selesai", "kelompok", "jenis", "baris", "error", "peringatan", "http_5xx", "ssh_gagal",
        "ssh_berhasil", "akun_dibuat", "temuan"});
    long errors = 0;
    long fiveXx = 0;
    long sshFailed = 0;
    int findingsTotal = 0;
    for (ReportData.Stored s : data.reports("log-analysis", "finished_at", start(month), end(month), null)) {
      JsonObject b = s.body();
      List<Map<String, Object>> sets = new ArrayList<>();
      for (Object o : b.getJsonArray("sets", new JsonArray())) {
        JsonObject set = (JsonObject) o;
        long e5 = set.getJsonObject("status_classes", new JsonObject()).getLong("5xx", 0L);
        errors += set.getLong("errors", 0L);
        fiveXx += e5;
        sshFailed += set.getLong("ssh_failed", 0L);
        List<String> created = strings(set.getJsonArray("accounts_created"));
        sets.add(Map.of("set", set.getString("set"), "kind", set.getString("kind", ""), "lines", set.getLong("lines", 0L),
            "errors", set.getLong("errors", 0L), "http5xx", e5, "ssh_failed", set.getLong("ssh_failed", 0L),
            "ssh_accepted", set.getLong("ssh_accepted", 0L), "accounts", String.join(", ", created)));
        csv.add(new String[] {s.agent(), b.getString("finished_at"), set.getString("set"), set.getString("kind", ""),
            String.valueOf(set.getLong("lines", 0L)), String.valueOf(set.getLong("errors", 0L)),
            String.valueOf(set.getLong("warnings", 0L)), String.valueOf(e5), String.valueOf(set.getLong("ssh_failed", 0L)),
            String.valueOf(set.getLong("ssh_accepted", 0L)), String.join(" ", created), ""});
      }
      List<Map<String, Object>> findings = new ArrayList<>();
      for (Object o : b.getJsonArray("findings", new JsonArray())) {
        JsonObject x = (JsonObject) o;
        findings.add(Map.of("severity", f.word("severity." + x.getString("severity", "medium")), "message", x.getString("message", "")));
        csv.add(new String[] {s.agent(), b.getString("finished_at"), x.getString("set", ""), x.getString("kind", ""), "", "", "",
            "", "", "", "", x.getString("message", "")});
      }
      findingsTotal += findings.size();
      List<Map<String, Object>> follow = new ArrayList<>();
      for (EvidenceRegister.Record r : data.followUps(s.agent(), s.seq())) {
        follow.add(Map.of("time", f.time(r.occurredAt()), "by", r.actor(),
            "action", new JsonObject(r.details()).getString("action", r.summary())));
      }
      runs.add(Map.of("agent", s.agent(), "time", f.time(b.getString("finished_at")), "sets", sets, "findings", findings,
          "has_findings", !findings.isEmpty(), "follow_ups", follow, "has_follow_ups", !follow.isEmpty()));
    }
    m.put("runs", runs);
    m.put("none", runs.isEmpty());
    m.put("count", runs.size());
    m.put("summary_text", f.word("log.summary", String.valueOf(runs.size())));
    m.put("errors", errors);
    m.put("http5xx", fiveXx);
    m.put("ssh_failed", sshFailed);
    m.put("findings", findingsTotal);
    return new Built(Kind.LOG_ANALYSIS, month, m, csv);
  }

  // ---------------------------------------------------------------- limits (SOP 6 langkah 1)

  Built limits(YearMonth month, String lang) throws SQLException {
    Fmt f = new Fmt(lang, zone);
    Map<String, Object> m = f.base("limits", month);
    JsonObject limits = data.limitsAt(end(month));
    List<String[]> csv = new ArrayList<>();
    csv.add(new String[] {"aturan", "kunci", "nilai"});
    Map<String, Map<String, String>> rulesByName = new TreeMap<>();
    List<Map<String, Object>> staleness = new ArrayList<>();
    if (limits != null) {
      for (String k : new java.util.TreeSet<>(limits.fieldNames())) {
        String v = limits.getString(k);
        int dot = k.indexOf('.');
        csv.add(new String[] {k.substring(0, dot), k.substring(dot + 1), v});
        if (k.startsWith("alerts.")) {
          staleness.add(Map.of("key", k.substring(dot + 1), "what", f.word("lim." + k.substring(dot + 1)), "value", v));
        } else {
          rulesByName.computeIfAbsent(k.substring(0, dot), x -> new TreeMap<>()).put(k.substring(dot + 1), v);
        }
      }
    }
    List<Map<String, Object>> rules = new ArrayList<>();
    rulesByName.forEach((name, kv) -> rules.add(Map.of("name", name, "metric", kv.getOrDefault("metric", ""),
        "limit", kv.containsKey("above") ? "> " + kv.get("above") : "< " + kv.getOrDefault("below", ""),
        "clear", kv.getOrDefault("clear", ""), "for", kv.getOrDefault("for", ""), "repeat", kv.getOrDefault("repeat", ""),
        "severity", f.word("severity." + kv.getOrDefault("severity", "medium")))));
    m.put("rules", rules);
    m.put("staleness", staleness);
    m.put("none", limits == null);
    List<Map<String, Object>> history = new ArrayList<>();
    for (EvidenceRegister.Record r : data.evidence(end(month), "limits-recorded", "limits-changed")) {
      history.add(Map.of("time", f.time(r.occurredAt()), "summary", r.summary(), "seq", r.seq()));
    }
    m.put("history", history);
    m.put("has_history", !history.isEmpty());
    return new Built(Kind.LIMITS, month, m, csv);
  }

  // ---------------------------------------------------------------- helpers

  static double duration(JsonObject b) {
    Double d = b.getDouble("duration_seconds");
    if (d != null) {
      return d;
    }
    try {
      return Duration.between(Instant.parse(b.getString("started_at")), Instant.parse(b.getString("finished_at"))).toMillis() / 1000.0;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      for (Object o : a) {
        out.add(String.valueOf(o));
      }
    }
    return out;
  }

  static String num(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** Formats for the report's language and time zone, and its words. */
  static final class Fmt {
    final String lang;
    final ZoneId zone;
    final Locale locale;
    final ReportWords words;

    Fmt(String lang, ZoneId zone) {
      this.lang = lang;
      this.zone = zone;
      this.locale = lang.equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
      this.words = ReportWords.of(lang);
    }

    Map<String, Object> base(String titleKey, YearMonth month) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("title", word("title." + titleKey));
      m.put("sop", word("sop." + titleKey));
      m.put("period", DateTimeFormatter.ofPattern("MMMM yyyy", locale).format(month));
      m.put("month", month.toString());
      return m;
    }

    String word(String key, String... args) {
      return words.get(key, args);
    }

    String time(String iso) {
      if (iso == null) {
        return "-";
      }
      return DateTimeFormatter.ofPattern(lang.equals("id") ? "d MMM yyyy HH.mm" : "d MMM yyyy HH:mm", locale)
          .withZone(zone).format(Instant.parse(iso));
    }

    String date(LocalDate d) {
      return DateTimeFormatter.ofPattern("d MMM yyyy", locale).format(d);
    }

    String percent(double p) {
      NumberFormat nf = NumberFormat.getNumberInstance(locale);
      nf.setMaximumFractionDigits(1);
      nf.setMinimumFractionDigits(1);
      return nf.format(p) + "%";
    }

    String signedPercent(double p) {
      return (p >= 0 ? "+" : "−") + percent(Math.abs(p)).replace("%", "") + (lang.equals("id") ? " poin" : " pt");
    }

    String number2(double v) {
      NumberFormat nf = NumberFormat.getNumberInstance(locale);
      nf.setMaximumFractionDigits(2);
      return nf.format(v);
    }

    String number(double v) {
      NumberFormat nf = NumberFormat.getNumberInstance(locale);
      nf.setMaximumFractionDigits(0);
      return nf.format(v);
    }

    String plain(double seconds) {
      return String.format(Locale.ROOT, "%.1f", seconds);
    }

    String duration(double seconds) {
      long s = Math.round(seconds);
      if (s < 60) {
        return s + (lang.equals("id") ? " detik" : " s");
      }
      if (s < 3600) {
        return (s / 60) + (lang.equals("id") ? " menit " : " min ") + (s % 60) + (lang.equals("id") ? " detik" : " s");
      }
      return (s / 3600) + (lang.equals("id") ? " jam " : " h ") + ((s % 3600) / 60) + (lang.equals("id") ? " menit" : " min");
    }

    String yesNo(boolean b) {
      return word(b ? "yes" : "no");
    }
  }

  /** CSV text of a built report (UTF-8 with BOM, CRLF, as spreadsheets read it). */
  public static byte[] csv(Built b) {
    StringBuilder sb = new StringBuilder("\uFEFF");
    for (String[] row : b.csv()) {
      EvidenceExport.row(sb, row);
    }
    return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
