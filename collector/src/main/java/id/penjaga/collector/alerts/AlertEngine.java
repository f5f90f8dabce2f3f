package id.penjaga.collector.alerts;

import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event rules over the reports as they arrive: every failure event an agent reports (a failed
 * backup, restore test, check or prune, a missed scheduled run, a log-keeping failure) and every
 * finding of medium or high severity in a log analysis fires an alert; a later successful backup
 * of the same source to the same target, or a passed restore test, resolves it. Each alert fired
 * or resolved queues an e-mail to every recipient of its severity (SOP 10 step 6: every backup
 * failure is reported to Kepala LPSE). Alerts and queued e-mails are kept in the store.
 */
public final class AlertEngine {
  private static final Logger log = LoggerFactory.getLogger(AlertEngine.class);

  private final ReportStore store;
  private final id.penjaga.collector.store.Dialect d;
  private final List<CollectorConfig.Recipient> recipients;
  private final Messages messages;
  private final List<AlertRules.Threshold> thresholds;
  private volatile int forecastDays = 14;

  /** Fire when a file system is predicted full within this many days (0: off). */
  private volatile id.penjaga.collector.web.DecisionLinks links;

  /** Puts a signed decision link into each alert e-mail. */
  public AlertEngine links(id.penjaga.collector.web.DecisionLinks links) {
    this.links = links;
    return this;
  }

  public AlertEngine forecastDays(int days) {
    this.forecastDays = days;
    return this;
  }

  public AlertEngine(ReportStore store, List<CollectorConfig.Recipient> recipients, Messages messages) {
    this(store, recipients, messages, new AlertRules(List.of()));
  }

  public AlertEngine(
      ReportStore store, List<CollectorConfig.Recipient> recipients, Messages messages, AlertRules rules) {
    this.store = store;
    this.d = store.dialect();
    this.recipients = recipients;
    this.messages = messages;
    this.thresholds = rules.thresholds();
  }

  /** Severity of a failure event by its kind (the LPSE risk scale). */
  static String severity(String kind) {
    return switch (kind) {
      case "backup", "restore-test", "missed-run", "check", "no-heartbeat", "no-backup", "no-restore-test" -> "high";
      case "no-log-analysis" -> "medium";
      default -> "medium";
    };
  }

  static String alertName(String kind) {
    return switch (kind) {
      case "backup" -> "BackupGagal";
      case "restore-test" -> "UjiRestoreGagal";
      case "missed-run" -> "JadwalTerlewat";
      case "media-rotation" -> "MediaTidakSesuaiUrutan";
      case "check" -> "PemeriksaanRepositoriGagal";
      case "prune" -> "PembersihanBackupGagal";
      case "log-rotation" -> "PengelolaanLogGagal";
      case "finding" -> "TemuanLog";
      case "no-heartbeat" -> "AgenTidakMelapor";
      case "no-backup" -> "BackupTidakBerjalan";
      case "no-restore-test" -> "UjiRestoreTerlambat";
      case "no-log-analysis" -> "AnalisisLogTerlambat";
      default -> "KegagalanAgen";
    };
  }

  /**
   * Staleness rules, evaluated now: an agent silent for longer than {@code noHeartbeat}, a source
   * of an agent without a successful backup for longer than {@code noBackup}, an agent without a
   * passed restore test for longer than {@code noRestoreTest} (counted from its first report when
   * it never passed one). Each fires once and resolves when the silence ends. Returns the e-mails
   * queued.
   */
  public int evaluateStaleness(
      java.time.Duration noHeartbeat, java.time.Duration noBackup, java.time.Duration noRestoreTest)
      throws SQLException {
    return evaluateStaleness(noHeartbeat, noBackup, noRestoreTest, null);
  }

  /** As above, and an agent that analyses logs but has not for longer than {@code noLogAnalysis}. */
  public int evaluateStaleness(
      java.time.Duration noHeartbeat, java.time.Duration noBackup, java.time.Duration noRestoreTest,
      java.time.Duration noLogAnalysis)
      throws SQLException {
    return alone(() -> staleness(noHeartbeat, noBackup, noRestoreTest, noLogAnalysis));
  }

  /**
   * Runs alert work while no other thread, and no other collector on a shared PostgreSQL store,
   * does: two collectors seeing the same condition raise one alert, not two.
   */
  private int alone(java.util.concurrent.Callable<Integer> work) throws SQLException {
    try (ReportStore.Lease lease = store.lease("alerts")) {
      return work.call();
    } catch (SQLException | RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting to evaluate alerts", e);
    } catch (Exception e) {
      throw new SQLException(e);
    }
  }

  private int staleness(
      java.time.Duration noHeartbeat, java.time.Duration noBackup, java.time.Duration noRestoreTest,
      java.time.Duration noLogAnalysis)
      throws SQLException {
    long now = store.clock().millis();
    int queued = 0;
    List<String[]> agents =
        query("SELECT id, CAST(last_seen_ms AS TEXT), CAST(first_seen_ms AS TEXT) FROM agent ORDER BY id");
    for (String[] a : agents) {
      String agent = a[0];
      long lastSeen = Long.parseLong(a[1]);
      long firstSeen = Long.parseLong(a[2]);
      queued += stale(agent, "no-heartbeat", "heartbeat", now - lastSeen > noHeartbeat.toMillis(),
          "no report from the agent since " + Instant.ofEpochMilli(lastSeen), Instant.ofEpochMilli(now),
          new JsonObject().put("last_seen", Instant.ofEpochMilli(lastSeen).toString()));
      for (String[] b :
          query(
              "SELECT " + d.json("body", "body.source") + ", max(CASE WHEN " + d.json("body", "body.result") + " <> 'failure'"
                  + " THEN " + d.json("body", "body.finished_at") + " END) FROM report WHERE agent = ? AND type = 'backup-run'"
                  + " GROUP BY 1",
              agent)) {
        String source = b[0];
        long last = b[1] == null ? firstSeen : Instant.parse(b[1]).toEpochMilli();
        queued += stale(agent, "no-backup", source, now - last > noBackup.toMillis(),
            b[1] == null ? "no successful backup of " + source + " recorded yet"
                : "no successful backup of " + source + " since " + b[1],
            Instant.ofEpochMilli(now), new JsonObject().put("source", source).put("last_success", b[1]));
      }
      List<String[]> tests =
          query(
              "SELECT max(" + d.json("body", "body.finished_at") + ") FROM report WHERE agent = ? AND type = 'restore-test'"
                  + " AND " + d.json("body", "body.result") + " = 'pass'",
              agent);
      String lastPass = tests.isEmpty() ? null : tests.get(0)[0];
      long since = lastPass == null ? firstSeen : Instant.parse(lastPass).toEpochMilli();
      queued += stale(agent, "no-restore-test", "restore-test", now - since > noRestoreTest.toMillis(),
          lastPass == null ? "no passed restore test recorded since the agent first reported"
              : "no passed restore test since " + lastPass,
          Instant.ofEpochMilli(now), new JsonObject().put("last_pass", lastPass));
      if (noLogAnalysis != null) {
        // Only agents that keep logs send analyses: the first one makes the rule apply.
        List<String[]> la =
            query("SELECT max(" + d.json("body", "body.finished_at") + ") FROM report WHERE agent = ? AND type = 'log-analysis'", agent);
        String last = la.isEmpty() ? null : la.get(0)[0];
        if (last != null) {
          queued += stale(agent, "no-log-analysis", "log-analysis",
              now - Instant.parse(last).toEpochMilli() > noLogAnalysis.toMillis(),
              "no log analysis since " + last, Instant.ofEpochMilli(now), new JsonObject().put("last_analysis", last));
        }
      }
    }
    return queued;
  }

  /** Fires a staleness alert once while {@code stale}, resolves it when no longer. */
  private int stale(String agent, String kind, String subject, boolean stale, String reason, Instant at, JsonObject details)
      throws SQLException {
    boolean firing =
        !query("SELECT 1 FROM alert WHERE agent = ? AND kind = ? AND subject = ? AND state = 'firing'", agent, kind, subject)
            .isEmpty();
    if (stale && !firing) {
      return fire(agent, 0, kind, subject, severity(kind), reason, at, details);
    }
    if (!stale && firing) {
      return resolve(agent, kind, subject, at, Map.of());
    }
    return 0;
  }

  private List<String[]> query(String sql, Object... params) throws SQLException {
    return store.inTransaction(
        c -> {
          List<String[]> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
              ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
              int n = rs.getMetaData().getColumnCount();
              while (rs.next()) {
                String[] row = new String[n];
                for (int i = 0; i < n; i++) {
                  row[i] = rs.getString(i + 1);
                }
                out.add(row);
              }
            }
          }
          return out;
        });
  }

  /** Handles reports just stored (not repeats); returns how many e-mails were queued. */
  public int onReports(List<JsonObject> reports) throws SQLException {
    return alone(() -> handle(reports));
  }

  private int handle(List<JsonObject> reports) throws SQLException {
    int queued = 0;
    for (JsonObject r : reports) {
      String type = r.getString("type");
      JsonObject body = r.getJsonObject("body", new JsonObject());
      String agent = r.getString("agent");
      long seq = r.getLong("seq");
      switch (type) {
        case "failure" -> {
          String kind = body.getString("kind", "other");
          String subject = subjectOf(body);
          queued += fire(agent, seq, kind, subject, severity(kind), body.getString("reason", ""),
              time(body.getString("occurred_at"), r), body);
        }
        case "log-analysis" -> {
          for (Object f : body.getJsonArray("findings", new JsonArray())) {
            if (f instanceof JsonObject finding && !"low".equals(finding.getString("severity"))) {
              queued += fire(agent, seq, "finding", finding.getString("set", "") + ": " + finding.getString("subject", ""),
                  finding.getString("severity", "medium"), finding.getString("message", ""),
                  time(body.getString("finished_at"), r), finding);
            }
          }
        }
        case "backup-run" -> {
          if (!"failure".equals(body.getString("result"))) {
            queued += resolve(agent, "backup", body.getString("source") + " → " + body.getString("target_name", "main"),
                time(body.getString("finished_at"), r), Map.of("snapshot", shortId(body.getString("snapshot_id"))));
          }
        }
        case "capacity" -> {
          queued += onCapacity(agent, seq, body);
          queued += forecast(agent, seq, body);
        }
        case "restore-test" -> {
          if ("pass".equals(body.getString("result"))) {
            queued += resolve(agent, "restore-test", null, time(body.getString("finished_at"), r), Map.of());
          }
        }
        default -> {
          // samples and other records raise no event alert
        }
      }
    }
    return queued;
  }

  private static String shortId(String id) {
    return id == null ? "" : id.substring(0, Math.min(8, id.length()));
  }

  private static Instant time(String text, JsonObject report) {
    try {
      return Instant.parse(text != null ? text : report.getString("time"));
    } catch (RuntimeException e) {
      return Instant.now();
    }
  }

  /** What a failure is about: "db → main" for a backup, else the source or the task. */
  static String subjectOf(JsonObject body) {
    String source = body.getString("source");
    String target = body.getString("target_name");
    if (source != null && target != null) {
      return source + " → " + target;
    }
    if (source != null) {
      return source;
    }
    String task = body.getString("task");
    return task != null ? task : body.getString("kind", "");
  }

  private int fire(
      String agent, long seq, String kind, String subject, String severity, String reason, Instant at, JsonObject details)
      throws SQLException {
    return fire(agent, seq, kind, alertName(kind), null, subject, severity, reason, at, details);
  }

  private int fire(
      String agent,
      long seq,
      String kind,
      String name,
      String title,
      String subject,
      String severity,
      String reason,
      Instant at,
      JsonObject details)
      throws SQLException {
    long alertId =
        store.inTransaction(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO alert (agent, name, kind, subject, severity, state, summary, details, report_seq,"
                          + " started_ms, last_notified_ms) VALUES (?, ?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?)",
                      Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, agent);
                ps.setString(2, name);
                ps.setString(3, kind);
                ps.setString(4, subject);
                ps.setString(5, severity);
                ps.setString(6, reason);
                ps.setString(7, details.encode());
                ps.setLong(8, seq);
                ps.setLong(9, at.toEpochMilli());
                ps.setLong(10, store.clock().millis());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                  keys.next();
                  return keys.getLong(1);
                }
              }
            });
    String lastGood = kind.equals("backup") ? lastGoodBackup(agent, details) : null;
    log.warn("alert {} {} on {} ({}): {}", alertId, name, agent, subject, reason);
    return notifyFiring(alertId, agent, kind, title, subject, severity, reason, at, details, lastGood);
  }

  /** Queues the firing e-mails of an alert (again, for a repeat). */
  private int notifyFiring(
      long alertId, String agent, String kind, String title, String subject, String severity, String reason,
      Instant at, JsonObject details, String lastGood)
      throws SQLException {
    int n = 0;
    for (CollectorConfig.Recipient to : recipients) {
      if (!to.severities().contains(severity)) {
        continue;
      }
      String lang = to.language();
      Map<String, Object> v = new HashMap<>();
      v.put("source", details.getString("source", ""));
      v.put("agent", agent);
      v.put("alertId", alertId);
      v.put("subject", subject);
      v.put("reason", reason);
      v.put("time", messages.time(lang, at));
      v.put("title", title != null ? title : messages.word(lang, "title." + kind, v));
      v.put("severityName", messages.word(lang, "severity." + severity, v));
      v.put("severityUpper", messages.word(lang, "severityUpper." + severity, v));
      v.put("advice", messages.word(lang, "advice." + kind, v));
      v.put("sop", messages.word(lang, kind.equals("finding") ? "sop.log" : "sop." + kind, v));
      v.put("recipientName", to.name() != null ? to.name() : messages.word(lang, "recipient", v));
      v.put("backup", kind.equals("backup"));
      v.put("lastGood", lastGood == null ? null : messages.time(lang, Instant.parse(lastGood)));
      if (links != null) {
        v.put("ackLink", links.link(alertId, to.address()));
      }
      queue(alertId, "firing", to.address(), messages.render(lang, "alert-firing", v));
      n++;
    }
    return n;
  }

  /**
   * Threshold rules over a capacity record: per series, beyond the limit for the rule's {@code
   * for} fires once; back past {@code clear} resolves. For rules with {@code above} the period's
   * maximum counts, for {@code below} its minimum.
   */
  private int onCapacity(String agent, long seq, JsonObject body) throws SQLException {
    if (thresholds.isEmpty()) {
      return 0;
    }
    Instant start = Instant.parse(body.getString("period_start"));
    Instant end = Instant.parse(body.getString("period_end"));
    int queued = 0;
    for (Object o : body.getJsonArray("samples", new JsonArray())) {
      if (!(o instanceof JsonObject sample)) {
        continue;
      }
      JsonObject labels = sample.getJsonObject("labels", new JsonObject());
      for (AlertRules.Threshold rule : thresholds) {
        if (!rule.metric().equals(sample.getString("metric")) || !matches(rule.labels(), labels)) {
          continue;
        }
        double value = rule.above() != null ? sample.getDouble("max") : sample.getDouble("min");
        String series = series(labels);
        boolean firing =
            !query("SELECT 1 FROM alert WHERE agent = ? AND name = ? AND subject = ? AND state = 'firing'",
                    agent, rule.name(), series)
                .isEmpty();
        if (rule.breached(value)) {
          if (firing) {
            continue;
          }
          long since = pendingSince(agent, rule.name(), series, start.toEpochMilli());
          if (end.toEpochMilli() - since >= rule.forDuration().toMillis()) {
            clearPending(agent, rule.name(), series);
            Map<String, Object> v = new HashMap<>();
            labels.forEach(e -> v.put(e.getKey(), String.valueOf(e.getValue())));
            v.put("value", format(rule.metric(), value));
            v.put("limit", format(rule.metric(), rule.limit()));
            String title = com.samskivert.mustache.Mustache.compiler().defaultValue("").escapeHTML(false)
                .compile(rule.summary()).execute(v);
            queued += fire(agent, seq, "threshold", rule.name(), title, series, rule.severity(),
                title, end, new JsonObject().put("rule", rule.name()).put("value", value).put("labels", labels));
          }
        } else {
          clearPending(agent, rule.name(), series);
          if (firing && rule.cleared(value)) {
            queued += resolve(agent, "threshold", series, end, Map.of("value", format(rule.metric(), value)), rule.name());
          }
        }
      }
    }
    return queued;
  }

  /**
   * Forecast: for each file system in the record, a straight line through its available bytes over
   * the last 7 days and over the last 30 (least squares on the capacity records, at least a day of
   * them); when either
   * reaches zero within {@code forecastDays}, a DiskPenuhDiperkirakan alert fires; it resolves when
   * both lines give more than that again.
   */
  private int forecast(String agent, long seq, JsonObject body) throws SQLException {
    if (forecastDays <= 0) {
      return 0;
    }
    Instant end = Instant.parse(body.getString("period_end"));
    // A 7- and 30-day line moves little in an hour: each agent's disks are forecast at most hourly
    // (by the records' own times), and again at once when the horizon changes.
    Forecasted last = lastForecast.get(agent);
    if (last != null && last.days() == forecastDays && end.isBefore(last.end().plus(FORECAST_EVERY))) {
      return 0;
    }
    lastForecast.put(agent, new Forecasted(end, forecastDays));
    Map<String, List<double[]>> points = availablePoints(agent, end);
    int queued = 0;
    for (Object o : body.getJsonArray("samples", new JsonArray())) {
      if (!(o instanceof JsonObject sample) || !"penjaga_filesystem_avail_bytes".equals(sample.getString("metric"))) {
        continue;
      }
      JsonObject labels = sample.getJsonObject("labels", new JsonObject());
      String mount = labels.getString("mount", "");
      List<double[]> mine = points.getOrDefault(mount, List.of());
      double endDay = end.toEpochMilli() / 86_400_000.0;
      double days = Math.min(daysToFull(mine, endDay, 7), daysToFull(mine, endDay, 30));
      String subject = series(labels);
      boolean firing =
          !query("SELECT 1 FROM alert WHERE agent = ? AND name = 'DiskPenuhDiperkirakan' AND subject = ? AND state = 'firing'",
                  agent, subject)
              .isEmpty();
      if (days <= forecastDays && !firing) {
        String title = "Disk " + mount + " diperkirakan penuh dalam " + (int) Math.ceil(days) + " hari";
        queued += fire(agent, seq, "threshold", "DiskPenuhDiperkirakan", title, subject, "medium", title, end,
            new JsonObject().put("mount", mount).put("days_to_full", days).put("avail_bytes", sample.getDouble("last")));
      } else if (days > forecastDays && firing) {
        queued += resolve(agent, "threshold", subject, end,
            Map.of("value", Double.isInfinite(days) ? "tidak berkurang" : (int) days + " hari"), "DiskPenuhDiperkirakan");
      }
    }
    return queued;
  }

  private static final java.time.Duration FORECAST_EVERY = java.time.Duration.ofHours(1);

  /** When an agent's disks were last forecast (the record's end), and with which horizon. */
  private record Forecasted(Instant end, int days) {}

  private final Map<String, Forecasted> lastForecast = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The available bytes of each file system of an agent over the 30 days up to {@code end}, as
   * (day, bytes) points, in one query for all file systems.
   */
  private Map<String, List<double[]>> availablePoints(String agent, Instant end) throws SQLException {
    Instant from = end.minus(java.time.Duration.ofDays(30));
    List<String[]> rows =
        query(
            "SELECT " + d.json("r.body", "body.period_end") + ", " + d.json("s.value", "labels.mount") + ", "
                + d.json("s.value", "last")
                + " FROM report r, " + d.jsonElements(d.json("r.body", "body.samples"), "s")
                + " WHERE r.type = 'capacity' AND r.received_ms >= ? AND r.agent = ?"
                + " AND " + d.json("s.value", "metric") + " = 'penjaga_filesystem_avail_bytes'"
                + " AND " + d.epoch(d.json("r.body", "body.period_end")) + " BETWEEN ? AND ?",
            // a record arrives after the period it covers (a day's slack for clocks that disagree):
            // the receipt time narrows the scan by the index
            from.minus(java.time.Duration.ofDays(1)).toEpochMilli(), agent, from.toEpochMilli() / 1000.0, end.toEpochMilli() / 1000.0);
    Map<String, List<double[]>> out = new java.util.HashMap<>();
    for (String[] r : rows) {
      if (r[1] == null || r[2] == null) {
        continue;
      }
      out.computeIfAbsent(r[1], k -> new ArrayList<>())
          .add(new double[] {Instant.parse(r[0]).toEpochMilli() / 86_400_000.0, Double.parseDouble(r[2])});
    }
    return out;
  }

  /**
   * Days until the least-squares line through the points of the last {@code window} days (up to
   * {@code endDay}) reaches zero; infinite with less than a day of points or no shrinking.
   */
  static double daysToFull(List<double[]> points, double endDay, int window) {
    List<double[]> in = points.stream().filter(p -> p[0] >= endDay - window && p[0] <= endDay).toList();
    int n = in.size();
    if (n < 2) {
      return Double.POSITIVE_INFINITY;
    }
    double mt = in.stream().mapToDouble(p -> p[0]).average().orElse(0);
    double my = in.stream().mapToDouble(p -> p[1]).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    for (double[] p : in) {
      sxy += (p[0] - mt) * (p[1] - my);
      sxx += (p[0] - mt) * (p[0] - mt);
    }
    double span = in.stream().mapToDouble(p -> p[0]).max().orElse(0) - in.stream().mapToDouble(p -> p[0]).min().orElse(0);
    if (span < 1.0 || sxy >= 0) {
      return Double.POSITIVE_INFINITY; // less than a day of points, or not shrinking
    }
    double slope = sxy / sxx; // bytes per day, negative
    double availNow = my + slope * (endDay - mt);
    return Math.max(0, availNow / -slope);
  }

  private static boolean matches(Map<String, String> want, JsonObject labels) {
    return want.entrySet().stream().allMatch(e -> e.getValue().equals(labels.getString(e.getKey())));
  }

  /** A series' labels as the alert's subject: "mount=/home, fstype=ext4" in a stable order. */
  static String series(JsonObject labels) {
    return labels.fieldNames().stream().sorted().map(k -> k + "=" + labels.getValue(k))
        .reduce((a, b) -> a + ", " + b).orElse("");
  }

  /** A value as people read it: ratios in percent, bytes in GiB/MiB. */
  static String format(String metric, double v) {
    if (metric.endsWith("_ratio")) {
      return String.format(java.util.Locale.ROOT, "%.0f%%", v * 100);
    }
    if (metric.endsWith("_bytes")) {
      return v >= 1 << 30
          ? String.format(java.util.Locale.ROOT, "%.1f GiB", v / (1 << 30))
          : String.format(java.util.Locale.ROOT, "%.0f MiB", v / (1 << 20));
    }
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.2f", v);
  }

  private long pendingSince(String agent, String rule, String series, long start) throws SQLException {
    update(
        "INSERT INTO threshold_state (agent, rule, series, pending_since_ms) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (agent, rule, series) DO NOTHING",
        agent, rule, series, start);
    return Long.parseLong(
        query("SELECT CAST(pending_since_ms AS TEXT) FROM threshold_state WHERE agent = ? AND rule = ? AND series = ?",
                agent, rule, series)
            .get(0)[0]);
  }

  private void clearPending(String agent, String rule, String series) throws SQLException {
    update("DELETE FROM threshold_state WHERE agent = ? AND rule = ? AND series = ?", agent, rule, series);
  }

  /** One statement that changes the store, in its own transaction. */
  private int update(String sql, Object... params) throws SQLException {
    return store.inTransaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
              ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
          }
        });
  }

  /**
   * E-mails again the threshold alerts still firing whose rule's {@code repeat} has passed since
   * they were last sent. Returns the e-mails queued.
   */
  /**
   * The evidence register checked against its chain: a break fires {@code BuktiDiubah} (high) for
   * the collector itself, once; an intact register resolves it. Returns the e-mails queued.
   */
  public int evidenceChecked(List<String> problems) throws SQLException {
    return alone(() -> evidence(problems));
  }

  private int evidence(List<String> problems) throws SQLException {
    boolean firing = !query("SELECT 1 FROM alert WHERE agent = 'collector' AND name = 'BuktiDiubah' AND state = 'firing'").isEmpty();
    Instant now = store.clock().instant();
    if (!problems.isEmpty() && !firing) {
      String reason = String.join("; ", problems.subList(0, Math.min(5, problems.size())))
          + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : "");
      return fire("collector", 0, "evidence", "BuktiDiubah", null, "register", "high", reason, now,
          new JsonObject().put("problems", new JsonArray(problems)));
    }
    if (problems.isEmpty() && firing) {
      return resolve("collector", "evidence", "register", now, Map.of(), "BuktiDiubah");
    }
    return 0;
  }

  public int repeatFiring() throws SQLException {
    return alone(this::repeat);
  }

  private int repeat() throws SQLException {
    long now = store.clock().millis();
    int queued = 0;
    for (AlertRules.Threshold rule : thresholds) {
      for (String[] a :
          query(
              "SELECT CAST(id AS TEXT), agent, subject, severity, summary, CAST(started_ms AS TEXT), details"
                  + " FROM alert WHERE name = ? AND state = 'firing' AND kind = 'threshold'"
                  + " AND coalesce(last_notified_ms, started_ms) <= ?",
              rule.name(), now - rule.repeat().toMillis())) {
        long id = Long.parseLong(a[0]);
        update("UPDATE alert SET last_notified_ms = ? WHERE id = ?", now, id);
        queued += notifyFiring(id, a[1], "threshold", a[4], a[2], a[3], a[4],
            Instant.ofEpochMilli(Long.parseLong(a[5])), new JsonObject(a[6]), null);
      }
    }
    return queued;
  }

  /** When the same source last went to the same target successfully, by the backup log. */
  private String lastGoodBackup(String agent, JsonObject failure) throws SQLException {
    String source = failure.getString("source");
    String target = failure.getString("target_name", "main");
    return store.inTransaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + d.json("body", "body.finished_at") + " FROM report WHERE agent = ? AND type = 'backup-run'"
                      + " AND " + d.json("body", "body.source") + " = ?"
                      + " AND coalesce(" + d.json("body", "body.target_name") + ", 'main') = ?"
                      + " AND " + d.json("body", "body.result") + " <> 'failure' ORDER BY seq DESC LIMIT 1")) {
            ps.setString(1, agent);
            ps.setString(2, source);
            ps.setString(3, target);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getString(1) : null;
            }
          }
        });
  }

  private int resolve(String agent, String kind, String subject, Instant at, Map<String, String> extra) throws SQLException {
    return resolve(agent, kind, subject, at, extra, null);
  }

  private int resolve(String agent, String kind, String subject, Instant at, Map<String, String> extra, String name)
      throws SQLException {
    List<Object[]> open =
        store.inTransaction(
            c -> {
              List<Object[]> out = new ArrayList<>();
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id, subject, severity, started_ms, summary FROM alert WHERE agent = ? AND kind = ?"
                          + " AND state = 'firing' AND (? IS NULL OR subject = ?) AND (? IS NULL OR name = ?)")) {
                ps.setString(1, agent);
                ps.setString(2, kind);
                ps.setString(3, subject);
                ps.setString(4, subject);
                ps.setString(5, name);
                ps.setString(6, name);
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)});
                  }
                }
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE alert SET state = 'resolved', resolved_ms = ? WHERE agent = ? AND kind = ?"
                          + " AND state = 'firing' AND (? IS NULL OR subject = ?) AND (? IS NULL OR name = ?)")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setString(2, agent);
                ps.setString(3, kind);
                ps.setString(4, subject);
                ps.setString(5, subject);
                ps.setString(6, name);
                ps.setString(7, name);
                ps.executeUpdate();
              }
              return out;
            });
    int n = 0;
    for (Object[] a : open) {
      String severity = (String) a[2];
      for (CollectorConfig.Recipient to : recipients) {
        if (!to.severities().contains(severity)) {
          continue;
        }
        String lang = to.language();
        Map<String, Object> v = new HashMap<>(extra);
        v.put("agent", agent);
        v.put("alertId", a[0]);
        v.put("subject", a[1]);
        v.put("time", messages.time(lang, at));
        v.put("started", messages.time(lang, Instant.ofEpochMilli((Long) a[3])));
        v.put("title", kind.equals("threshold") ? a[4] : messages.word(lang, "title." + kind, v));
        v.put("resolution", messages.word(lang, "resolution." + kind, v));
        v.put("sop", messages.word(lang, "sop." + kind, v));
        v.put("recipientName", to.name() != null ? to.name() : messages.word(lang, "recipient", v));
        queue((Long) a[0], "resolved", to.address(), messages.render(lang, "alert-resolved", v));
        n++;
      }
      log.info("alert {} ({} on {}) resolved", a[0], kind, agent);
    }
    return n;
  }

  /**
   * Why an alert's e-mail is held back, or null: an active silence covering it, or (inhibition)
   * its agent has stopped reporting, when that alert already says all there is to say.
   */
  private String suppression(long alertId) throws SQLException {
    List<String[]> a = query("SELECT agent, name FROM alert WHERE id = ?", alertId);
    if (a.isEmpty()) {
      return null;
    }
    String agent = a.get(0)[0];
    String name = a.get(0)[1];
    Silences.Silence s = new Silences(store).covering(agent, name);
    if (s != null) {
      return "silence " + s.id() + " by " + s.createdBy() + ": " + s.comment();
    }
    if (!name.equals("AgenTidakMelapor")
        && !query("SELECT 1 FROM alert WHERE agent = ? AND name = 'AgenTidakMelapor' AND state = 'firing'", agent).isEmpty()) {
      return "inhibited: agent " + agent + " is not reporting";
    }
    return null;
  }

  private void queue(long alertId, String event, String to, Messages.Mail mail) throws SQLException {
    long now = store.clock().millis();
    String suppressed = suppression(alertId);
    // A silenced e-mail is kept as written, marked, and not sent.
    update(
        "INSERT INTO notification (alert_id, event, recipient, subject, body, status, created_ms,"
            + " next_attempt_ms, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        alertId, event, to, mail.subject(), mail.body(), suppressed == null ? "pending" : "suppressed", now, now,
        suppressed);
  }
}
