package id.penjaga.collector;

import id.penjaga.agent.PostgresServer;
import id.penjaga.collector.store.ReportStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The store a test uses: an SQLite file by default; with {@code -Dpenjaga.test.store=postgresql}
 * a database of its own on a real PostgreSQL server (one server for the test JVM, started on
 * first use and stopped when the JVM ends). A test names its store by the SQLite file it would
 * use; the same name gives the same database again.
 */
public final class TestStores {
  private static final String PASSWORD = "penjaga-test-store";
  private static final Map<Path, String> DATABASES = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static PostgresServer server;
  private static Path passwordFile;

  private TestStores() {}

  /** Whether this run keeps its stores on PostgreSQL. */
  public static boolean postgres() {
    return "postgresql".equals(System.getProperty("penjaga.test.store"));
  }

  /** The JDBC URL of the store named by {@code file}. */
  public static String url(Path file) {
    if (!postgres()) {
      return "jdbc:sqlite:" + file;
    }
    String db = DATABASES.computeIfAbsent(file.toAbsolutePath(), f -> create());
    return "jdbc:postgresql://127.0.0.1:" + server.port + "/" + db + "?user=postgres";
  }

  /** The password for {@link #url} (null for SQLite). */
  public static String password() {
    return postgres() ? PASSWORD : null;
  }

  /** Opens the store named by {@code file}. */
  public static ReportStore open(Path file, Clock clock) throws SQLException {
    return ReportStore.open(url(file), password(), clock);
  }

  /** A plain JDBC connection to the store named by {@code file} (auto-commit). */
  public static Connection connect(Path file) throws SQLException {
    return postgres() ? DriverManager.getConnection(url(file), "postgres", PASSWORD) : DriverManager.getConnection(url(file));
  }

  /** The number the query {@code sql} gives, asked as the PostgreSQL role {@code penjaga}. */
  public static long count(String url, String password, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "penjaga", password);
        Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * What follows {@code store: } in a test's collector.yaml: the SQLite file; or the PostgreSQL
   * URL followed by the {@code store-password-file} and {@code data-dir} lines (at the collector
   * section's two-space indent), the data directory being the SQLite file's.
   */
  public static String yaml(Path file) {
    if (!postgres()) {
      return file.toString();
    }
    String url = url(file);
    return url + "\n  store-password-file: " + passwordFile + "\n  data-dir: " + file.toAbsolutePath().getParent();
  }

  /** A file the collector keeps beside the store named by {@code file} (".evidence-head", ".link-key"). */
  public static Path beside(Path file, String suffix) {
    return postgres() ? file.toAbsolutePath().getParent().resolve("collector" + suffix)
        : file.resolveSibling(file.getFileName() + suffix);
  }

  /**
   * Makes an evidence row editable for a test that plays the tamperer: SQLite's triggers are
   * dropped; PostgreSQL's are disabled.
   */
  public static void allowTampering(Statement s) throws SQLException {
    if (postgres()) {
      s.execute("ALTER TABLE evidence DISABLE TRIGGER USER");
    } else {
      s.execute("DROP TRIGGER evidence_no_update");
      s.execute("DROP TRIGGER evidence_no_delete");
    }
  }

  private static synchronized String create() {
    try {
      if (server == null) {
        server = PostgresServer.start();
        server.sql("postgres", "ALTER USER postgres PASSWORD '" + PASSWORD + "'");
        passwordFile = Files.createTempFile("penjaga-store-", ".pass",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passwordFile, PASSWORD + "\n");
        PostgresServer started = server;
        Path pf = passwordFile;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
            Files.deleteIfExists(pf);
          } catch (IOException | InterruptedException e) {
            // the JVM is ending; the temporary directory goes with the machine
          }
        }));
      }
      String db = "t" + ProcessHandle.current().pid() + "_" + NEXT.incrementAndGet();
      try (Connection c = DriverManager.getConnection(
              "jdbc:postgresql://127.0.0.1:" + server.port + "/postgres", "postgres", PASSWORD);
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + db);
      }
      return db;
    } catch (IOException | InterruptedException | SQLException e) {
      throw new IllegalStateException("cannot make a PostgreSQL test store: " + e, e);
    }
  }
}
