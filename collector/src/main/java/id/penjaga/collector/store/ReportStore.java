package id.penjaga.collector.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's store: an SQLite file by default, reached through JDBC, its schema kept by
 * versioned migrations. Calls block: callers run them on worker threads, never on an event loop.
 */
public final class ReportStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReportStore.class);
  private final Connection connection;
  private final Clock clock;
  private final List<StoredHook> storedHooks = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Runnable> afterCommit = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Work done for each newly stored report inside the same transaction (the evidence register
   * records it there, so a report is never stored without its evidence record, nor the reverse).
   */
  @FunctionalInterface
  public interface StoredHook {
    void stored(Connection c, IncomingReport r, long nowMs) throws SQLException;
  }

  /** Adds work to do for each newly stored report, inside the storing transaction. */
  public void onStored(StoredHook hook) {
    storedHooks.add(hook);
  }

  /** Adds work to do after each committed batch of reports. */
  public void afterCommit(Runnable r) {
    afterCommit.add(r);
  }

  private ReportStore(Connection connection, Clock clock) {
    this.connection = connection;
    this.clock = clock;
  }

  /** Opens (creating if needed) the store and brings its schema to the newest version. */
  public static ReportStore open(String jdbcUrl, Clock clock) throws SQLException {
    MigrateResult migrated =
        Flyway.configure()
            .dataSource(jdbcUrl, null, null)
            .locations("classpath:db/migration")
            .load()
            .migrate();
    if (migrated.migrationsExecuted > 0) {
      log.info(
          "store schema migrated from version {} to {}",
          migrated.initialSchemaVersion == null ? "none" : migrated.initialSchemaVersion,
          migrated.targetSchemaVersion);
    }
    Connection c = DriverManager.getConnection(jdbcUrl);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      // An acknowledged report must survive a power cut: the agent deletes its copy on our 2xx.
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=5000");
      s.execute("PRAGMA foreign_keys=ON");
    }
    c.setAutoCommit(false);
    return new ReportStore(c, clock);
  }

  /** What became of a report handed to {@link #insert}. */
  public enum Outcome {
    STORED,
    DUPLICATE
  }

  /** One report as the ingest API accepted it. */
  public record IncomingReport(
      String agent, long seq, String type, int schemaVersion, String agentTime, String agentVersion,
      String json) {}

  /**
   * Stores a report once. A repeat of (agent, seq) is not stored again, but still counts as a sign
   * of life.
   */
  public synchronized Outcome insert(IncomingReport r) throws SQLException {
    return insertAll(List.of(r)).get(0);
  }

  /**
   * Stores a batch of reports in one transaction (one durable commit for all): each once, a
   * repeat of (agent, seq) not again. Outcomes in the order given.
   */
  public synchronized List<Outcome> insertAll(List<IncomingReport> reports) throws SQLException {
    long now = clock.millis();
    List<Outcome> outcomes = new ArrayList<>(reports.size());
    try (PreparedStatement report =
            connection.prepareStatement(
                "INSERT OR IGNORE INTO report"
                    + " (agent, seq, type, schema_version, agent_time, received_ms, body)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement agent =
            connection.prepareStatement(
                "INSERT INTO agent (id, first_seen_ms, last_seen_ms, last_seq, agent_version)"
                    + " VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,"
                    + " last_seq = max(agent.last_seq, excluded.last_seq),"
                    + " agent_version = coalesce(excluded.agent_version, agent.agent_version)")) {
      for (IncomingReport r : reports) {
        report.setString(1, r.agent());
        report.setLong(2, r.seq());
        report.setString(3, r.type());
        report.setInt(4, r.schemaVersion());
        report.setString(5, r.agentTime());
        report.setLong(6, now);
        report.setString(7, r.json());
        boolean stored = report.executeUpdate() == 1;
        outcomes.add(stored ? Outcome.STORED : Outcome.DUPLICATE);
        if (stored) {
          for (StoredHook h : storedHooks) {
            h.stored(connection, r, now);
          }
        }
        agent.setString(1, r.agent());
        agent.setLong(2, now);
        agent.setLong(3, now);
        agent.setLong(4, r.seq());
        agent.setString(5, r.agentVersion());
        agent.executeUpdate();
      }
      connection.commit();
      afterCommit.forEach(Runnable::run);
      return outcomes;
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    }
  }

  /** Work on the store's connection, as one transaction. */
  @FunctionalInterface
  public interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction on the store's connection (committed when it returns,
   * rolled back when it throws): for the parts of the collector that keep tables of their own.
   */
  public synchronized <T> T inTransaction(SqlWork<T> work) throws SQLException {
    try {
      T result = work.run(connection);
      connection.commit();
      afterCommit.forEach(Runnable::run);
      return result;
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    }
  }

  public Clock clock() {
    return clock;
  }

  /** An agent as the store knows it. */
  public record AgentSeen(String id, Instant firstSeen, Instant lastSeen, long lastSeq, String version) {}

  public synchronized List<AgentSeen> agents() throws SQLException {
    List<AgentSeen> out = new ArrayList<>();
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT id, first_seen_ms, last_seen_ms, last_seq, agent_version FROM agent"
                    + " ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new AgentSeen(
                rs.getString(1),
                Instant.ofEpochMilli(rs.getLong(2)),
                Instant.ofEpochMilli(rs.getLong(3)),
                rs.getLong(4),
                rs.getString(5)));
      }
    }
    connection.commit();
    return out;
  }

  /** Counts stored reports of an agent, by type when {@code type} is not null. */
  public synchronized long countReports(String agent, String type) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT count(*) FROM report WHERE agent = ? AND (? IS NULL OR type = ?)")) {
      ps.setString(1, agent);
      ps.setString(2, type);
      ps.setString(3, type);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long n = rs.getLong(1);
        connection.commit();
        return n;
      }
    }
  }

  /**
   * Deletes heartbeats received before {@code cutoff}, keeping each agent's newest one. Heartbeats
   * only prove life; the agent table keeps when each agent was last seen.
   */
  public synchronized int pruneHeartbeats(Instant cutoff) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "DELETE FROM report WHERE type = 'heartbeat' AND received_ms < ?"
                + " AND seq < (SELECT max(seq) FROM report r2"
                + " WHERE r2.agent = report.agent AND r2.type = 'heartbeat')")) {
      ps.setLong(1, cutoff.toEpochMilli());
      int n = ps.executeUpdate();
      connection.commit();
      return n;
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    }
  }

  /**
   * Deletes raw capacity records received before {@code cutoff}; their daily summaries stay in the
   * evidence register (capacity recaps), which is never thinned.
   */
  public synchronized int pruneCapacity(Instant cutoff) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("DELETE FROM report WHERE type = 'capacity' AND received_ms < ?")) {
      ps.setLong(1, cutoff.toEpochMilli());
      int n = ps.executeUpdate();
      connection.commit();
      return n;
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    }
  }

  @Override
  public synchronized void close() throws SQLException {
    connection.close();
  }
}
