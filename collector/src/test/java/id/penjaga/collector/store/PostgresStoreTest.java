package id.penjaga.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.PostgresServer;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.ingest.IngestApi;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector on a PostgreSQL store, whatever store the rest of the suite uses: two collectors
 * sharing one database store each report once and keep one unbroken evidence chain; a database
 * restart costs the agents a retry, not a report; the evidence table refuses edits, deletions and
 * TRUNCATE.
 */
class PostgresStoreTest {
  static final Path SAMPLES = Path.of(System.getProperty("penjaga.root", "..")).resolve("config/schema/samples");
  static final String PASSWORD = "store-pass-8c1f";
  static PostgresServer pg;
  static int databases;

  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startServer() throws Exception {
    pg = PostgresServer.start();
    pg.sql("postgres", "CREATE ROLE penjaga LOGIN PASSWORD '" + PASSWORD + "'");
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  /** A new database owned by the collector's role; its JDBC URL (no password in it). */
  static String newDatabase() throws Exception {
    String db = "collector" + (++databases);
    pg.sql("postgres", "CREATE DATABASE " + db + " OWNER penjaga");
    return "jdbc:postgresql://127.0.0.1:" + pg.port + "/" + db + "?user=penjaga";
  }

  Path config(String url, String name) throws Exception {
    Path pass = dir.resolve("store.pass");
    if (!Files.exists(pass)) {
      Files.writeString(pass, PASSWORD + "\n");
      Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
      Path token = dir.resolve("token");
      Files.writeString(token, "token-demo\n");
      Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    }
    Path c = dir.resolve(name + ".yaml");
    Files.writeString(c, String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:0",
        "  store: " + url,
        "  store-password-file: " + pass,
        "  data-dir: " + dir.resolve(name),
        "  rate-limit: 1000",
        "agents:",
        "  lpse-demo:",
        "    token-file: " + dir.resolve("token"),
        ""));
    return c;
  }

  /** A backup-run report of the contract's sample, as sequence number {@code seq}. */
  static String backupRun(long seq) throws Exception {
    JsonObject r = new JsonObject(Files.readString(SAMPLES.resolve("valid/backup-run.json")));
    r.put("seq", seq);
    r.getJsonObject("body").put("files_new", seq);
    return r.encode();
  }

  int post(CollectorDaemon d, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.port() + IngestApi.PATH))
            .header("Content-Type", "application/json").header("Authorization", "Bearer token-demo")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  static long count(String url, String sql) throws Exception {
    return id.penjaga.collector.TestStores.count(url, PASSWORD, sql);
  }

  @Test
  void twoCollectorsOnOneDatabaseStoreEachReportOnceInOneChain() throws Exception {
    String url = newDatabase();
    try (CollectorDaemon a = new CollectorDaemon(CollectorConfig.load(config(url, "a")), "test", Clock.systemUTC());
        CollectorDaemon b = new CollectorDaemon(CollectorConfig.load(config(url, "b")), "test", Clock.systemUTC())) {
      a.start();
      b.start();
      // Both collectors get every report, at the same time: as an agent would after a lost reply,
      // through a balancer that sent the retry to the other instance.
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<Integer>> replies = new ArrayList<>();
      for (long seq = 1; seq <= 60; seq++) {
        String body = backupRun(seq);
        replies.add(pool.submit(() -> post(a, body)));
        replies.add(pool.submit(() -> post(b, body)));
      }
      for (Future<Integer> f : replies) {
        assertThat(f.get()).isEqualTo(200);
      }
      pool.shutdown();
    }
    assertThat(count(url, "SELECT count(*) FROM report")).isEqualTo(60);
    assertThat(count(url, "SELECT count(DISTINCT seq) FROM report")).isEqualTo(60);
    // One evidence record per stored backup run, numbered without gaps, one chain.
    long evidence = count(url, "SELECT count(*) FROM evidence WHERE activity = 'backup-run'");
    assertThat(evidence).isEqualTo(60);
    assertThat(count(url, "SELECT max(seq) FROM evidence")).isEqualTo(count(url, "SELECT count(*) FROM evidence"));
    try (ReportStore store = ReportStore.open(url, PASSWORD, Clock.systemUTC())) {
      assertThat(store.dialect()).isEqualTo(Dialect.POSTGRESQL);
      assertThat(new EvidenceRegister(store, dir.resolve("a").resolve("collector.evidence-head")).verify()).isEmpty();
      assertThat(new EvidenceRegister(store, dir.resolve("b").resolve("collector.evidence-head")).verify()).isEmpty();
    }
    // Each instance kept its evidence head in its own data directory.
    assertThat(dir.resolve("a").resolve("collector.evidence-head")).exists();
    assertThat(dir.resolve("b").resolve("collector.evidence-head")).exists();
  }

  @Test
  void aDatabaseRestartCostsARetryNotAReport() throws Exception {
    String url = newDatabase();
    try (CollectorDaemon c = new CollectorDaemon(CollectorConfig.load(config(url, "c")), "test", Clock.systemUTC())) {
      c.start();
      assertThat(post(c, backupRun(1))).isEqualTo(200);
      pg.stop();
      try {
        // The agent keeps its copy on anything but 2xx, and sends it again later.
        assertThat(post(c, backupRun(2))).isEqualTo(503);
        assertThat(post(c, backupRun(2))).isEqualTo(503);
      } finally {
        pg.startAgain();
      }
      assertThat(post(c, backupRun(2))).isEqualTo(200);
      assertThat(post(c, backupRun(3))).isEqualTo(200);
    }
    assertThat(count(url, "SELECT count(*) FROM report")).isEqualTo(3);
    assertThat(count(url, "SELECT count(*) FROM evidence WHERE activity = 'backup-run'")).isEqualTo(3);
  }

  @Test
  void theEvidenceTableRefusesEditsDeletionsAndTruncate() throws Exception {
    String url = newDatabase();
    try (ReportStore store = ReportStore.open(url, PASSWORD, Clock.systemUTC())) {
      store.insert(new ReportStore.IncomingReport("lpse-demo", 1, "backup-run", 1, "2026-11-24T01:42:10Z", "0.1.0",
          backupRun(1)));
      EvidenceRegister.attach(store, null);
      store.insert(new ReportStore.IncomingReport("lpse-demo", 2, "backup-run", 1, "2026-11-24T01:42:10Z", "0.1.0",
          backupRun(2)));
    }
    try (Connection c = DriverManager.getConnection(url, "penjaga", PASSWORD); Statement s = c.createStatement()) {
      assertThat(count(url, "SELECT count(*) FROM evidence")).isEqualTo(1);
      assertThatThrownBy(() -> s.execute("UPDATE evidence SET outcome = 'success'")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("DELETE FROM evidence")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("TRUNCATE evidence")).hasMessageContaining("append-only");
    }
    assertThat(count(url, "SELECT count(*) FROM evidence")).isEqualTo(1);
  }
}
