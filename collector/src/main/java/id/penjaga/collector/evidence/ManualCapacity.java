package id.penjaga.collector.evidence;

import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Capacity entered by people for what no sampler measures (helpdesk staff, trainers, verifiers,
 * contracted bandwidth), and the tender load per month. The newest entry for a component and month
 * is the one in force; every entry is an evidence record (SOP 6 langkah 3).
 */
public final class ManualCapacity {
  private final ReportStore store;

  public ManualCapacity(ReportStore store) {
    this.store = store;
  }

  /** A component's value for a month, with its limit (the most it may be) when one is set. */
  public record Entry(String component, YearMonth month, double value, Double limit, String unit, String note, String by) {
    public boolean over() {
      return limit != null && value > limit;
    }
  }

  public void add(Entry e) throws SQLException {
    if (e.component() == null || e.component().isBlank() || e.component().length() > 100) {
      throw new IllegalArgumentException("name the component (up to 100 characters)");
    }
    long now = store.clock().millis();
    store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO manual_capacity (component, month, value, limit_value, unit,"
          + " note, entered_by, entered_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, e.component().strip());
        ps.setString(2, e.month().toString());
        ps.setDouble(3, e.value());
        if (e.limit() == null) {
          ps.setNull(4, java.sql.Types.REAL);
        } else {
          ps.setDouble(4, e.limit());
        }
        ps.setString(5, e.unit());
        ps.setString(6, e.note());
        ps.setString(7, e.by());
        ps.setLong(8, now);
        ps.executeUpdate();
      }
      EvidenceRegister.append(c, new EvidenceRegister.Entry(store.clock().instant(), "SOP 6 langkah 3", "capacity-manual", null,
          e.by(), e.over() ? "over" : "within",
          "Pencatatan kapasitas " + e.component() + " " + e.month() + ": " + num(e.value()) + " " + e.unit()
              + (e.limit() == null ? "" : " (batas " + num(e.limit()) + " " + e.unit() + (e.over() ? ", MELAMPAUI" : "") + ")"),
          new JsonObject().put("component", e.component()).put("month", e.month().toString()).put("value", e.value())
              .put("limit", e.limit()).put("unit", e.unit()).put("note", e.note()), null), now);
      return null;
    });
  }

  static String num(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  /** The entries in force for a month, by component. */
  public List<Entry> month(YearMonth m) throws SQLException {
    return store.inTransaction(c -> {
      Map<String, Entry> latest = new LinkedHashMap<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT component, value, limit_value, unit, note, entered_by FROM manual_capacity WHERE month = ? ORDER BY component, id")) {
        ps.setString(1, m.toString());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            double lim = rs.getDouble(3);
            Double limit = rs.wasNull() ? null : lim;
            latest.put(rs.getString(1), new Entry(rs.getString(1), m, rs.getDouble(2), limit, rs.getString(4), rs.getString(5),
                rs.getString(6)));
          }
        }
      }
      return new ArrayList<>(latest.values());
    });
  }

  /** Sets the tender load (procurement packages) of a month. */
  public void tenders(YearMonth m, long packages, String by) throws SQLException {
    if (packages < 0) {
      throw new IllegalArgumentException("a number of packages is 0 or more");
    }
    long now = store.clock().millis();
    store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO tender_load (month, packages, entered_by, entered_ms) VALUES (?, ?, ?, ?)")) {
        ps.setString(1, m.toString());
        ps.setLong(2, packages);
        ps.setString(3, by);
        ps.setLong(4, now);
        ps.executeUpdate();
      }
      EvidenceRegister.append(c, new EvidenceRegister.Entry(store.clock().instant(), "SOP 6 langkah 3", "tender-load", null, by,
          "recorded", "Beban tender " + m + ": " + packages + " paket",
          new JsonObject().put("month", m.toString()).put("packages", packages), null), now);
      return null;
    });
  }

  /** The tender load of a month, or null when none was entered. */
  public Long tenders(YearMonth m) throws SQLException {
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT packages FROM tender_load WHERE month = ? ORDER BY id DESC LIMIT 1")) {
        ps.setString(1, m.toString());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : null;
        }
      }
    });
  }
}
