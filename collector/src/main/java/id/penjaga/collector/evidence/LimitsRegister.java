package id.penjaga.collector.evidence;

import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The register of acceptable limits (SOP 6 langkah 1, "batas kelayakan komponen layanan"): the
 * threshold rules and staleness limits in force, recorded when the collector starts; a change
 * since the last start is an evidence record naming each key with its old and new value, and the
 * file, its owner and modification time.
 */
public final class LimitsRegister {
  private final ReportStore store;
  private final EvidenceRegister evidence;

  public LimitsRegister(ReportStore store, EvidenceRegister evidence) {
    this.store = store;
    this.evidence = evidence;
  }

  /** The limits as flat keys (e.g. {@code DiskHampirPenuh.above}) and values, in a stable order. */
  public static Map<String, String> flatten(AlertRules rules, CollectorConfig.Alerts alerts) {
    Map<String, String> m = new TreeMap<>();
    for (AlertRules.Threshold t : rules.thresholds()) {
      String k = t.name() + ".";
      m.put(k + "metric", t.metric() + (t.labels().isEmpty() ? "" : t.labels().toString()));
      if (t.above() != null) {
        m.put(k + "above", num(t.above()));
      }
      if (t.below() != null) {
        m.put(k + "below", num(t.below()));
      }
      m.put(k + "clear", num(t.clear()));
      m.put(k + "for", human(t.forDuration()));
      m.put(k + "repeat", human(t.repeat()));
      m.put(k + "severity", t.severity());
    }
    m.put("alerts.no-heartbeat", human(alerts.noHeartbeat()));
    m.put("alerts.no-successful-backup", human(alerts.noSuccessfulBackup()));
    m.put("alerts.no-restore-test", human(alerts.noRestoreTest()));
    m.put("alerts.no-log-analysis", human(alerts.noLogAnalysis()));
    m.put("alerts.forecast-days", String.valueOf(alerts.forecastDays()));
    return m;
  }

  static String num(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  static String human(Duration d) {
    long s = d.getSeconds();
    if (s % 86400 == 0 && s > 0) {
      return s / 86400 + "d";
    }
    if (s % 3600 == 0 && s > 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  /**
   * Records the limits in force when they differ from the last recorded; returns the evidence
   * record made, or null when nothing changed.
   */
  public EvidenceRegister.Record record(Map<String, String> limits, Path source) throws SQLException {
    JsonObject now = new JsonObject();
    limits.forEach(now::put);
    JsonObject before = store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT content FROM limits_snapshot ORDER BY id DESC LIMIT 1");
          ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new JsonObject(rs.getString(1)) : null;
      }
    });
    if (now.equals(before)) {
      return null;
    }
    String sourceText = source == null ? "aturan bawaan Penjaga" : describe(source);
    JsonArray changes = new JsonArray();
    List<String> parts = new ArrayList<>();
    if (before != null) {
      java.util.Set<String> keys = new java.util.TreeSet<>(before.fieldNames());
      keys.addAll(now.fieldNames());
      for (String k : keys) {
        String o = before.getString(k);
        String n = now.getString(k);
        if (o == null ? n != null : !o.equals(n)) {
          changes.add(new JsonObject().put("key", k).put("old", o).put("new", n));
          parts.add(k + ": " + (o == null ? "(tidak ada)" : o) + " → " + (n == null ? "(dihapus)" : n));
        }
      }
    }
    long ms = store.clock().millis();
    EvidenceRegister.Entry e = before == null
        ? new EvidenceRegister.Entry(store.clock().instant(), "SOP 6 langkah 1", "limits-recorded", null, "system",
            "recorded", "Batas kelayakan komponen layanan dicatat: " + limits.size() + " nilai, dari " + sourceText,
            new JsonObject().put("limits", now).put("source", sourceText), null)
        : new EvidenceRegister.Entry(store.clock().instant(), "SOP 6 langkah 1", "limits-changed", null, "system",
            "changed", "Batas kelayakan diubah (" + sourceText + "): " + String.join("; ", parts),
            new JsonObject().put("changes", changes).put("limits", now).put("source", sourceText), null);
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO limits_snapshot (recorded_ms, source, content) VALUES (?, ?, ?)")) {
        ps.setLong(1, ms);
        ps.setString(2, sourceText);
        ps.setString(3, now.encode());
        ps.executeUpdate();
      }
      return EvidenceRegister.append(c, e, ms);
    });
  }

  private static String describe(Path file) {
    try {
      return "berkas " + file + ", pemilik " + Files.getOwner(file).getName() + ", diubah "
          + Files.getLastModifiedTime(file).toInstant();
    } catch (IOException e) {
      return "berkas " + file;
    }
  }
}
