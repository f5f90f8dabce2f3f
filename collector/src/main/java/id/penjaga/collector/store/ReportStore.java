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
  private final String jdbcUrl;
  private final String password;
  private final Dialect dialect;
  private Connection connection;
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

  private ReportStore(String jdbcUrl, String password, Dialect dialect, Connection connection, Clock clock) {
    this.jdbcUrl = jdbcUrl;
    this.password = password;
    this.dialect = dialect;
    this.connection = connection;
    this.clock = clock;
  }

  /** Opens (creating if needed) the store and brings its schema to the newest version. */
  public static ReportStore open(String jdbcUrl, Clock clock) throws SQLException {
    return open(jdbcUrl, null, clock);
  }

  /**
   * Opens the store at {@code jdbcUrl} (an SQLite file, or a PostgreSQL database shared by one or
   * more collectors), with the database password when it needs one, and brings its schema to the
   * newest version: the same migrations, written for each database.
   */
  public static ReportStore open(String jdbcUrl, String password, Clock clock) throws SQLException {
    Dialect dialect = Dialect.ofUrl(jdbcUrl);
    MigrateResult migrated =
        Flyway.configure()
            .dataSource(jdbcUrl, null, password)
            .locations("classpath:db/migration/" + dialect.name().toLowerCase(java.util.Locale.ROOT))
            .load()
            .migrate();
    if (migrated.migrationsExecuted > 0) {
      log.info(
          "store schema migrated from version {} to {}",
          migrated.initialSchemaVersion == null ? "none" : migrated.initialSchemaVersion,
          migrated.targetSchemaVersion);
    }
    return new ReportStore(jdbcUrl, password, dialect, connect(jdbcUrl, password, dialect), clock);
  }

  private static Connection connect(String jdbcUrl, String password, Dialect dialect) throws SQLException {
    java.util.Properties p = new java.util.Properties();
    if (password != null) {
      p.setProperty("password", password);
    }
    if (dialect == Dialect.POSTGRESQL) {
      p.setProperty("ApplicationName", "penjaga-collector");
      p.setProperty("connectTimeout", "10");
      p.setProperty("socketTimeout", "300");
      p.setProperty("tcpKeepAlive", "true");
    }
    Connection c = DriverManager.getConnection(jdbcUrl, p);
    try (Statement s = c.createStatement()) {
      if (dialect == Dialect.SQLITE) {
        s.execute("PRAGMA journal_mode=WAL");
        // An acknowledged report must survive a power cut: the agent deletes its copy on our 2xx.
        s.execute("PRAGMA synchronous=FULL");
        // A command run beside the daemon (reports, evidence) waits for the daemon's write to end
        // rather than fail: under load a write with synchronous=FULL took longer than 5 s.
        s.execute("PRAGMA busy_timeout=30000");
        s.execute("PRAGMA foreign_keys=ON");
      } else {
        // The same promise on PostgreSQL: a commit returns once it is on disk.
        s.execute("SET synchronous_commit = on");
      }
    }
    c.setAutoCommit(false);
    return c;
  }

  /** A new connection to the store, of the caller's own (for Quartz's job store), not auto-committing. */
  public Connection openConnection() throws SQLException {
    return connect(jdbcUrl, password, dialect);
  }

  /** The store's SQL dialect. */
  public Dialect dialect() {
    return dialect;
  }

  /**
   * The connection, opened again when the last one was lost (a PostgreSQL server restarted or a
   * network cut): the failed call's caller saw the error; the next call works again.
   */
  private Connection conn() throws SQLException {
    if (connection == null) {
      connection = connect(jdbcUrl, password, dialect);
      log.info("store connection opened again");
    }
    return connection;
  }

  /** Rolls back after a failure; a connection that is gone is dropped, to be opened again. */
  private void failed(SQLException cause) {
    Connection c = connection;
    if (c == null) {
      return;
    }
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
    boolean lost = cause.getSQLState() != null && cause.getSQLState().startsWith("08");
    try {
      lost = lost || c.isClosed() || !c.isValid(2);
    } catch (SQLException e) {
      lost = true;
    }
    if (lost) {
      log.warn("store connection lost ({}); it is opened again on the next use", cause.getMessage());
      try {
        c.close();
      } catch (SQLException ignored) {
        // already gone
      }
      connection = null;
    }
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
    Connection connection = conn();
    try (PreparedStatement report =
            connection.prepareStatement(
                "INSERT INTO report"
                    + " (agent, seq, type, schema_version, agent_time, received_ms, body)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
        PreparedStatement agent =
            connection.prepareStatement(
                "INSERT INTO agent (id, first_seen_ms, last_seen_ms, last_seq, agent_version)"
                    + " VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,"
                    + " last_seq = " + dialect.greatest("agent.last_seq", "excluded.last_seq") + ","
                    + " agent_version = coalesce(excluded.agent_version, agent.agent_version)")) {
      beginWriting(connection);
      // Stored reports get evidence records: take the chain's lock before any row lock, so two
      // collectors sharing a PostgreSQL store never wait on each other in opposite orders.
      dialect.lockEvidenceChain(connection);
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
    } catch (SQLException e) {
      failed(e);
      throw e;
    } catch (RuntimeException e) {
      failed(new SQLException(e));
      throw e;
    }
  }

  /**
   * On SQLite, makes the transaction about to run a writing one from its start (BEGIN IMMEDIATE,
   * waiting for another process's write to end): a transaction that reads first and writes later
   * fails with SQLITE_BUSY_SNAPSHOT when another connection (the daemon, beside a command such
   * as {@code report}) committed in between, and no waiting helps then. Whatever this connection
   * began since its last commit (a read) is ended first. PostgreSQL needs nothing of the kind.
   */
  private void beginWriting(Connection c) throws SQLException {
    if (dialect == Dialect.SQLITE) {
      try (Statement s = c.createStatement()) {
        s.execute("ROLLBACK");
        s.execute("BEGIN IMMEDIATE");
      }
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
   * On SQLite it holds the write lock from its start, so work that reads and then writes never
   * meets a write of another process in between.
   */
  public synchronized <T> T inTransaction(SqlWork<T> work) throws SQLException {
    Connection connection = conn();
    try {
      beginWriting(connection);
      T result = work.run(connection);
      connection.commit();
      afterCommit.forEach(Runnable::run);
      return result;
    } catch (SQLException e) {
      failed(e);
      throw e;
    } catch (RuntimeException e) {
      failed(new SQLException(e));
      throw e;
    }
  }

  /**
   * One transaction, like {@link #inTransaction}, without the after-commit work (which follows new
   * evidence): for the frequent reads of metrics and alert evaluation, and the thinning of reports.
   */
  private synchronized <T> T plainTransaction(SqlWork<T> work) throws SQLException {
    Connection connection = conn();
    try {
      T result = work.run(connection);
      connection.commit();
      return result;
    } catch (SQLException e) {
      failed(e);
      throw e;
    }
  }

  public Clock clock() {
    return clock;
  }

  private final java.util.Map<String, java.util.concurrent.Semaphore> leases = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The right to do the work named {@code name} alone: no other thread of this collector, and on a
   * PostgreSQL store no other collector sharing it, holds the same name until {@link Lease#close()}.
   * (An advisory lock of the database session: released by the server too when the session ends.)
   * Any thread may close it.
   */
  public final class Lease implements AutoCloseable {
    private final String name;
    private final java.util.concurrent.Semaphore local;
    private final Connection session;
    private boolean closed;

    private Lease(String name, java.util.concurrent.Semaphore local, Connection session) {
      this.name = name;
      this.local = local;
      this.session = session;
    }

    @Override
    public void close() {
      synchronized (ReportStore.this) {
        if (closed) {
          return;
        }
        closed = true;
        try {
          if (session != null && session == connection) {
            try (PreparedStatement ps = session.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
              ps.setInt(1, Dialect.LEASE_CLASS);
              ps.setInt(2, name.hashCode());
              ps.executeQuery().close();
              session.commit();
            }
          }
        } catch (SQLException e) {
          failed(e);
          log.warn("lease {} not released cleanly ({}); the database drops it with the session", name, e.getMessage());
        } finally {
          local.release();
        }
      }
    }
  }

  /** {@link #lease}, without waiting: null when someone else holds it now. */
  public Lease tryLease(String name) throws SQLException {
    try {
      return acquire(name, false);
    } catch (InterruptedException e) { // not waiting, so not interrupted in a wait
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The right to do the work named {@code name} alone, waiting for it (see {@link Lease}). */
  public Lease lease(String name) throws SQLException, InterruptedException {
    return acquire(name, true);
  }

  private Lease acquire(String name, boolean wait) throws SQLException, InterruptedException {
    java.util.concurrent.Semaphore local = leases.computeIfAbsent(name, k -> new java.util.concurrent.Semaphore(1));
    if (wait) {
      local.acquire();
    } else if (!local.tryAcquire()) {
      return null;
    }
    Lease l = null;
    try {
      while ((l = databaseLease(name, local)) == null && wait) {
        Thread.sleep(25); // another collector holds it: wait outside the store's monitor
      }
      return l;
    } finally {
      if (l == null) {
        local.release();
      }
    }
  }

  private synchronized Lease databaseLease(String name, java.util.concurrent.Semaphore local) throws SQLException {
    if (dialect != Dialect.POSTGRESQL) {
      return new Lease(name, local, null); // one collector on an SQLite file: this JVM's threads are all
    }
    Connection c = conn();
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
      ps.setInt(1, Dialect.LEASE_CLASS);
      ps.setInt(2, name.hashCode());
      boolean got;
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        got = rs.getBoolean(1);
      }
      c.commit();
      return got ? new Lease(name, local, c) : null;
    } catch (SQLException e) {
      failed(e);
      throw e;
    }
  }

  /** An agent as the store knows it. */
  public record AgentSeen(String id, Instant firstSeen, Instant lastSeen, long lastSeq, String version) {}

  public synchronized List<AgentSeen> agents() throws SQLException {
    return plainTransaction(connection -> {
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
      return out;
    });
  }

  /** Counts stored reports of an agent, by type when {@code type} is not null. */
  public synchronized long countReports(String agent, String type) throws SQLException {
    return plainTransaction(connection -> {
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT count(*) FROM report WHERE agent = ? AND (? IS NULL OR type = ?)")) {
        ps.setString(1, agent);
        ps.setString(2, type);
        ps.setString(3, type);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  /**
   * Deletes heartbeats received before {@code cutoff}, keeping each agent's newest one. Heartbeats
   * only prove life; the agent table keeps when each agent was last seen.
   */
  public synchronized int pruneHeartbeats(Instant cutoff) throws SQLException {
    return deleteBefore(
        "DELETE FROM report WHERE type = 'heartbeat' AND received_ms < ?"
            + " AND seq < (SELECT max(seq) FROM report r2"
            + " WHERE r2.agent = report.agent AND r2.type = 'heartbeat')",
        cutoff);
  }

  /**
   * Deletes raw capacity records received before {@code cutoff}; their daily summaries stay in the
   * evidence register (capacity recaps), which is never thinned.
   */
  public synchronized int pruneCapacity(Instant cutoff) throws SQLException {
    return deleteBefore("DELETE FROM report WHERE type = 'capacity' AND received_ms < ?", cutoff);
  }

  private int deleteBefore(String sql, Instant cutoff) throws SQLException {
    return plainTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setLong(1, cutoff.toEpochMilli());
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public synchronized void close() throws SQLException {
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }
}
