package id.penjaga.collector.alerts;

import id.penjaga.collector.evidence.EvidenceRegister;
import io.vertx.core.json.JsonObject;
import id.penjaga.collector.store.ReportStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Silences, as in Alertmanager: for a time, alerts of an agent and/or of a name are still recorded
 * but not e-mailed (planned maintenance, a disk already being replaced). Each has who and why, and
 * stays in the store as evidence after it ends.
 */
public final class Silences {
  private final ReportStore store;

  public Silences(ReportStore store) {
    this.store = store;
  }

  /** A silence; {@code agent} or {@code alertname} null means any. */
  public record Silence(
      long id, String agent, String alertname, Instant starts, Instant ends, String createdBy, String comment) {
    public boolean active(Instant now) {
      return !now.isBefore(starts) && now.isBefore(ends);
    }

    public boolean matches(String a, String name) {
      return (agent == null || agent.equals(a)) && (alertname == null || alertname.equals(name));
    }
  }

  public Silence add(String agent, String alertname, Duration length, String createdBy, String comment)
      throws SQLException {
    if (length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("a silence must last some time");
    }
    if (comment == null || comment.isBlank()) {
      throw new IllegalArgumentException("say why (--comment): the silence is evidence");
    }
    Instant now = store.clock().instant();
    Instant ends = now.plus(length);
    long id =
        store.inTransaction(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO silence (agent, alertname, starts_ms, ends_ms, created_by, comment) VALUES (?, ?, ?, ?, ?, ?)",
                      Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, agent);
                ps.setString(2, alertname);
                ps.setLong(3, now.toEpochMilli());
                ps.setLong(4, ends.toEpochMilli());
                ps.setString(5, createdBy);
                ps.setString(6, comment);
                ps.executeUpdate();
                long sid;
                try (ResultSet keys = ps.getGeneratedKeys()) {
                  keys.next();
                  sid = keys.getLong(1);
                }
                EvidenceRegister.append(c,
                    new EvidenceRegister.Entry(now, "Penanganan peringatan", "silence",
                        agent, createdBy, "created",
                        "Peringatan ditahan " + (agent == null ? "untuk semua agen" : "untuk agen " + agent)
                            + (alertname == null ? "" : ", peringatan " + alertname) + " sampai " + ends + ": " + comment,
                        new JsonObject().put("alertname", alertname).put("ends", ends.toString())
                            .put("comment", comment),
                        new JsonObject().put("silence", sid)),
                    now.toEpochMilli());
                return sid;
              }
            });
    return new Silence(id, agent, alertname, now, ends, createdBy, comment);
  }

  /** Ends a silence now; false when there is no such silence still running. */
  public boolean expire(long id) throws SQLException {
    return expire(id, System.getProperty("user.name"));
  }

  /** Ends a silence now, by whom (recorded as evidence). */
  public boolean expire(long id, String by) throws SQLException {
    long now = store.clock().millis();
    return store.inTransaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("UPDATE silence SET ends_ms = ? WHERE id = ? AND ends_ms > ?")) {
            ps.setLong(1, now);
            ps.setLong(2, id);
            ps.setLong(3, now);
            boolean ended = ps.executeUpdate() == 1;
            if (ended) {
              EvidenceRegister.append(c,
                  new EvidenceRegister.Entry(Instant.ofEpochMilli(now), "Penanganan peringatan",
                      "silence", null, by, "expired", "Penahanan peringatan " + id + " diakhiri",
                      null, new JsonObject().put("silence", id)),
                  now);
            }
            return ended;
          }
        });
  }

  public List<Silence> all() throws SQLException {
    return store.inTransaction(
        c -> {
          List<Silence> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id, agent, alertname, starts_ms, ends_ms, created_by, comment FROM silence ORDER BY id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new Silence(
                      rs.getLong(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                      Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6), rs.getString(7)));
            }
          }
          return out;
        });
  }

  /** The active silence that covers an alert, if any. */
  public Silence covering(String agent, String alertname) throws SQLException {
    Instant now = store.clock().instant();
    for (Silence s : all()) {
      if (s.active(now) && s.matches(agent, alertname)) {
        return s;
      }
    }
    return null;
  }
}
