package id.penjaga.collector.report;

import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.Dialect;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Reads what the reports are made of from the store: agents' records of a period, follow-ups. */
final class ReportData {
  private final ReportStore store;

  ReportData(ReportStore store) {
    this.store = store;
  }

  /** One stored agent report: its agent, number and body. */
  record Stored(String agent, long seq, JsonObject body) {}

  /**
   * Agents' reports of a type whose own time ({@code timeField} of the body) is in [from, to),
   * oldest first; {@code agent} null for every agent.
   */
  List<Stored> reports(String type, String timeField, Instant from, Instant to, String agent) throws SQLException {
    return reports(type, timeField, from, to, agent, false);
  }

  /**
   * As above; with {@code endInclusive} the range is (from, to] instead: for records that name the
   * end of the period they cover, so a period ending at midnight belongs to the day before.
   * Times are compared as instants, not as strings.
   */
  List<Stored> reports(String type, String timeField, Instant from, Instant to, String agent, boolean endInclusive)
      throws SQLException {
    Dialect d = store.dialect();
    String t = d.epoch(d.json("body", "body." + timeField));
    String sql = "SELECT agent, seq, " + d.json("body", "body") + " FROM report WHERE type = ?"
        + " AND " + t + (endInclusive ? " > ?" : " >= ?") + " AND " + t + (endInclusive ? " <= ?" : " < ?")
        + (agent != null ? " AND agent = ?" : "")
        + " ORDER BY " + t + ", agent, seq";
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, type);
        ps.setDouble(2, from.toEpochMilli() / 1000.0);
        ps.setDouble(3, to.toEpochMilli() / 1000.0);
        if (agent != null) {
          ps.setString(4, agent);
        }
        List<Stored> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Stored(rs.getString(1), rs.getLong(2), new JsonObject(rs.getString(3))));
          }
        }
        return out;
      }
    });
  }

  /** The newest report of a type before {@code before} (for "last restore test" and such). */
  Stored latest(String type, String timeField, Instant before, String agent) throws SQLException {
    List<Stored> all = reports(type, timeField, Instant.EPOCH, before, agent);
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** The agents that have reported, by id. */
  List<String> agents() throws SQLException {
    List<String> out = new ArrayList<>();
    for (ReportStore.AgentSeen a : store.agents()) {
      out.add(a.id());
    }
    return out;
  }

  /**
   * The follow-ups recorded for an agent report: follow-up records that name the evidence record of
   * that report, or an alert raised by it.
   */
  List<EvidenceRegister.Record> followUps(String agent, long seq) throws SQLException {
    Dialect d = store.dialect();
    return store.inTransaction(c -> {
      List<EvidenceRegister.Record> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT f.seq FROM evidence f WHERE f.activity = 'follow-up' AND ("
              + " " + d.jsonNumber("f.links", "evidence") + " IN (SELECT e.seq FROM evidence e WHERE "
              + d.json("e.links", "report") + " = ?)"
              + " OR " + d.jsonNumber("f.links", "alert") + " IN (SELECT a.id FROM alert a WHERE a.agent = ?"
              // a failed backup run is followed at once by its failure event, which raised the alert
              + " AND (a.report_seq = ? OR (a.report_seq = ? AND a.kind = 'backup'))))"
              + " ORDER BY f.seq")) {
        ps.setString(1, agent + "#" + seq);
        ps.setString(2, agent);
        ps.setLong(3, seq);
        ps.setLong(4, seq + 1);
        List<Long> seqs = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            seqs.add(rs.getLong(1));
          }
        }
        EvidenceRegister reg = new EvidenceRegister(store, null);
        for (long s : seqs) {
          out.add(reg.get(s));
        }
      }
      return out;
    });
  }

  /** The limits in force at {@code before} (the last snapshot recorded before it), or null. */
  JsonObject limitsAt(Instant before) throws SQLException {
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT content FROM limits_snapshot WHERE recorded_ms < ? ORDER BY id DESC LIMIT 1")) {
        ps.setLong(1, before.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? new JsonObject(rs.getString(1)) : null;
        }
      }
    });
  }

  /** Evidence records of some activities up to {@code before}, oldest first. */
  List<EvidenceRegister.Record> evidence(Instant before, String... activities) throws SQLException {
    List<EvidenceRegister.Record> out = new ArrayList<>();
    EvidenceRegister reg = new EvidenceRegister(store, null);
    for (String a : activities) {
      out.addAll(reg.list(null, before, a, null));
    }
    out.sort(java.util.Comparator.comparingLong(EvidenceRegister.Record::seq));
    return out;
  }

  /** The evidence record of an agent report, if any. */
  Long evidenceOf(String agent, long seq) throws SQLException {
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM evidence WHERE " + store.dialect().json("links", "report") + " = ?")) {
        ps.setString(1, agent + "#" + seq);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : null;
        }
      }
    });
  }
}
