package id.penjaga.agent.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.PostgresServer;
import id.penjaga.agent.cli.CliRun;
import id.penjaga.agent.report.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL sources against a real server (the Debian package, started here as the postgres
 * user): dump, deduplication of a day's changes, restore into a new database with every table
 * compared, and the ways a dump fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresBackupTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] TABLES = {"public.paket", "public.peserta", "lelang.log_aktivitas"};

  PostgresServer pg;
  @TempDir Path dir;
  Path config;
  Path mount;

  @BeforeAll
  void startServer() throws Exception {
    pg = PostgresServer.start();
    pg.sql(
        "postgres",
        "CREATE DATABASE spse; CREATE ROLE penjaga LOGIN SUPERUSER PASSWORD 'benar';"
            + " CREATE ROLE pembaca LOGIN PASSWORD 'baca';");
    // An SPSE-like database: tenders, bids with document references, an activity log in a schema
    // of its own; about 450,000 rows.
    pg.sql(
        "spse",
        """
        CREATE TABLE paket (id bigint PRIMARY KEY, kode text, nama text, pagu numeric(18,2),
          status text, dibuat timestamptz);
        INSERT INTO paket SELECT g, 'PKT-' || g, 'Pengadaan ' || md5(g::text) || ' ' || md5((g * 7)::text),
          (g % 1000) * 1000000.5, 'aktif', timestamptz '2024-01-01 00:00+07' + g * interval '1 minute'
          FROM generate_series(1, 100000) g;
        CREATE TABLE peserta (id bigint PRIMARY KEY, paket_id bigint REFERENCES paket, npwp text,
          nama_perusahaan text, harga numeric(18,2), dokumen text);
        INSERT INTO peserta SELECT g, 1 + g % 100000, lpad((g * 31)::text, 15, '0'),
          'PT ' || md5((g * 3)::text), g * 1234.5, repeat(md5(g::text), 3)
          FROM generate_series(1, 200000) g;
        CREATE SCHEMA lelang;
        CREATE TABLE lelang.log_aktivitas (id bigserial PRIMARY KEY, waktu timestamptz,
          pengguna text, pesan text);
        INSERT INTO lelang.log_aktivitas (waktu, pengguna, pesan)
          SELECT timestamptz '2024-01-01 00:00+07' + g * interval '10 seconds', 'user' || (g % 500),
          'membuka dokumen ' || md5(g::text) || md5((g + 1)::text)
          FROM generate_series(1, 150000) g;
        CREATE TABLE rahasia (id int);
        REVOKE ALL ON rahasia FROM PUBLIC;
        GRANT SELECT ON paket, peserta TO pembaca;
        VACUUM ANALYZE;
        """);
  }

  @AfterAll
  void stopServer() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
      mount = null;
    }
  }

  CliRun cli(String... args) {
    return CliRun.with(config, args);
  }

  /** An agent.yaml with a files source and the postgresql source {@code db}. */
  void configure(Path repo, String... dbLines) throws IOException {
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    Files.createDirectories(dir.resolve("etc"));
    List<String> more = new ArrayList<>(List.of("  db:", "    type: postgresql"));
    for (String l : dbLines) {
      more.add("    " + l);
    }
    config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), repo, pass, dir.resolve("etc"),
            more.toArray(String[]::new));
  }

  String[] socket(String database) {
    return new String[] {
      "host: " + pg.socketDir, "port: " + pg.port, "user: postgres", "database: " + database
    };
  }

  static long size(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  String tableDigest(String database, String table) throws Exception {
    return pg.sql(database, "SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY t.id)) FROM " + table + " t");
  }

  @Test
  void aDumpDeduplicatesADaysChangesAndRestoresEveryRow() throws Exception {
    Path repo = dir.resolve("usb");
    configure(repo, socket("spse"));
    assertThat(cli("init").exit()).isZero();

    CliRun first = cli("backup", "--source", "db", "--json");
    assertThat(first.exit()).as(first.out() + first.err()).isZero();
    JsonNode run = JSON.readTree(first.out()).path("runs").get(0);
    assertThat(run.path("result").asText()).isEqualTo("success");
    long dumpBytes = run.path("snapshot").path("summary").path("bytes_read").asLong();
    long afterFirst = size(repo);

    // One day of changes to 1% of the rows, as SPSE makes them: new tenders and bids, updates
    // to recent ones, and old log lines removed.
    pg.sql(
        "spse",
        """
        INSERT INTO paket SELECT g, 'PKT-' || g, 'Pengadaan baru ' || md5(g::text), 5000000, 'aktif',
          now() FROM generate_series(100001, 100500) g;
        UPDATE paket SET status = 'selesai' WHERE id > 99700 AND id <= 100000;
        INSERT INTO peserta SELECT g, 100001 + g % 500, lpad(g::text, 15, '0'), 'PT baru ' || g,
          g * 1000, repeat(md5(g::text), 3) FROM generate_series(200001, 201500) g;
        UPDATE peserta SET harga = harga - 1 WHERE id > 199500 AND id <= 200000;
        INSERT INTO lelang.log_aktivitas (waktu, pengguna, pesan)
          SELECT now(), 'admin', 'perubahan ' || g FROM generate_series(1, 1200) g;
        DELETE FROM lelang.log_aktivitas WHERE id <= 500;
        """);
    CliRun second = cli("backup", "--source", "db", "--json");
    assertThat(second.exit()).as(second.out() + second.err()).isZero();
    long afterSecond = size(repo);
    double growth = (afterSecond - afterFirst) / (double) afterFirst;
    System.out.printf(
        "postgresql dedup: dump %d bytes, repository %d -> %d bytes (+%.2f%%) after 1%% of rows changed%n",
        dumpBytes, afterFirst, afterSecond, growth * 100);
    assertThat(dumpBytes).as("the dump of ~450,000 rows").isGreaterThan(50_000_000L);
    assertThat(growth).as("repository growth after 1% of rows changed").isLessThan(0.05);

    CliRun snapshots = cli("snapshots", "--json");
    assertThat(snapshots.out()).contains("\"source\" : \"db\"");

    CliRun restore = cli("restore-db", "latest", "--database", "spse_pulih", "--create", "--json");
    assertThat(restore.exit()).as(restore.out() + restore.err()).isZero();
    JsonNode r = JSON.readTree(restore.out());
    assertThat(r.path("rows_match").asBoolean()).isTrue();
    assertThat(r.path("tables")).hasSize(4);
    for (String table : TABLES) {
      assertThat(tableDigest("spse_pulih", table)).as(table).isEqualTo(tableDigest("spse", table));
    }
    assertThat(tableDigest("spse_pulih", "public.paket")).startsWith("100500:");

    // Restoring over a database that holds data is refused, and changes nothing.
    CliRun over = cli("restore-db", "latest", "--database", "spse_pulih");
    assertThat(over.exit()).isEqualTo(1);
    assertThat(over.err()).contains("database spse_pulih is not empty").contains("--clean");
    CliRun exists = cli("restore-db", "latest", "--database", "spse_pulih", "--create");
    assertThat(exists.exit()).isEqualTo(1);
    assertThat(exists.err()).contains("already exists");
    // --clean replaces it: the first snapshot brings back yesterday's rows.
    pg.sql("spse_pulih", "DELETE FROM lelang.log_aktivitas WHERE id < 1000");
    String firstId = JSON.readTree(first.out()).path("runs").get(0).path("snapshot").path("id").asText();
    CliRun clean = cli("restore-db", firstId, "--database", "spse_pulih", "--clean");
    assertThat(clean.exit()).as(clean.out() + clean.err()).isZero();
    assertThat(clean.out()).contains("every table has the rows recorded at backup time");
    assertThat(pg.sql("spse_pulih", "SELECT count(*) FROM paket")).isEqualTo("100000");
    assertThat(pg.sql("spse_pulih", "SELECT count(*) FROM lelang.log_aktivitas")).isEqualTo("150000");
  }

  @Test
  void theSnapshotRecordsWhatARestoreTestNeeds() throws Exception {
    Path repo = dir.resolve("usb");
    configure(repo, socket("all"));
    assertThat(cli("init").exit()).isZero();
    CliRun backup = cli("backup", "--source", "db", "--reason", "change 7: upgrade SPSE 4.5", "--json");
    assertThat(backup.exit()).as(backup.out() + backup.err()).isZero();

    CliRun snapshots = cli("snapshots", "--json");
    assertThat(snapshots.out())
        .contains("\"reason\" : \"change 7: upgrade SPSE 4.5\"")
        .contains("\"pre_change\" : true");
    CliRun files = cli("restore", "latest", "--source", "db", "--target", dir.resolve("out").toString());
    assertThat(files.exit()).as(files.err()).isZero();
    assertThat(dir.resolve("out/spse/data/public.paket.copy")).exists();
    assertThat(dir.resolve("out/spse/schema.sql")).content().contains("CREATE TABLE public.paket");
    assertThat(dir.resolve("out/spse/post-data.sql")).content().contains("PRIMARY KEY (id)");
    assertThat(dir.resolve("out/postgres/meta.json")).exists();
    assertThat(Files.readString(dir.resolve("out/globals.sql"))).contains("CREATE ROLE penjaga");
    JsonNode meta = JSON.readTree(dir.resolve("out/spse/meta.json").toFile());
    assertThat(meta.path("server_version").asText()).startsWith(pg.bin.getParent().getFileName().toString());
    assertThat(meta.path("size_bytes").asLong()).isGreaterThan(10_000_000L);
    assertThat(meta.path("pg_dump_exit_status").asInt()).isZero();
    assertThat(meta.path("pg_dump_version").asText()).contains("pg_dump (PostgreSQL)");
    // Rows are ordered by primary key, whatever their place on disk.
    List<String> lines = Files.readAllLines(dir.resolve("out/spse/data/public.paket.copy"));
    assertThat(lines).hasSize(Integer.parseInt(pg.sql("spse", "SELECT count(*) FROM paket")));
    assertThat(lines.get(0)).startsWith("1\tPKT-1\t");
    assertThat(lines.get(1)).startsWith("2\tPKT-2\t");
    List<String> counted = new ArrayList<>();
    for (JsonNode t : meta.path("tables")) {
      counted.add(t.path("schema").asText() + "." + t.path("table").asText() + "=" + t.path("rows").asLong());
    }
    assertThat(counted)
        .contains(
            "public.paket=" + pg.sql("spse", "SELECT count(*) FROM paket"),
            "public.peserta=" + pg.sql("spse", "SELECT count(*) FROM peserta"),
            "public.rahasia=0");

    // A snapshot of several databases needs --from.
    CliRun ambiguous = cli("restore-db", "latest", "--database", "x", "--create");
    assertThat(ambiguous.exit()).isEqualTo(1);
    assertThat(ambiguous.err()).contains("choose one with --from").contains("spse");
  }

  @Test
  void aWrongPasswordFailsTheRunWithTheReasonAndAFailureEvent() throws Exception {
    Path pass = AgentFixtures.secret(dir.resolve("pg.pass"), "salah");
    configure(
        dir.resolve("usb"),
        "host: 127.0.0.1", "port: " + pg.port, "user: penjaga", "database: spse", "password-file: " + pass);
    assertThat(cli("init").exit()).isZero();
    CliRun backup = cli("backup", "--source", "db");
    assertThat(backup.exit()).isEqualTo(1);
    assertThat(backup.err()).contains("password authentication failed for user \"penjaga\"");
    assertFailureRecorded("password authentication failed");
    assertThat(backup.err()).doesNotContain("salah");

    // The right password works, and is in no process argument (it goes through a 0600 pgpass file).
    AgentFixtures.secret(dir.resolve("pg.pass"), "ben:ar\\");
    pg.sql("postgres", "ALTER ROLE penjaga PASSWORD 'ben:ar\\'");
    CliRun ok = cli("backup", "--source", "db");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
  }

  @Test
  void aServerRestartedMidDumpFailsTheRunCleanlyAndTheNextSucceeds() throws Exception {
    configure(dir.resolve("usb"), socket("spse"));
    assertThat(cli("init").exit()).isZero();
    java.util.concurrent.CompletableFuture<CliRun> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> cli("backup", "--source", "db"));
    // As soon as the dump reads the database, the server restarts (an update, a crash).
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!"1".equals(pg.sql("postgres", "SELECT (count(*) > 0)::int FROM pg_stat_activity WHERE datname = 'spse'"
        + " AND state = 'active' AND pid <> pg_backend_pid()"))) {
      assertThat(run).as("the dump ended before the restart").isNotDone();
      assertThat(System.nanoTime()).as("the dump never started").isLessThan(deadline);
      Thread.sleep(20);
    }
    pg.stop();
    pg.startAgain();
    CliRun failed = run.get(120, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(failed.exit()).as(failed.out() + failed.err()).isEqualTo(1);
    assertThat(failed.err()).containsAnyOf("terminating connection", "server closed the connection", "connection");
    assertFailureRecorded("");
    // Nothing half-written counts: the repository checks, and the next run makes a whole dump.
    assertThat(cli("check").exit()).isZero();
    CliRun ok = cli("backup", "--source", "db");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    CliRun restore = cli("restore-db", "latest", "--database", "spse_setelah_restart", "--create");
    assertThat(restore.exit()).as(restore.out() + restore.err()).isZero();
    for (String table : List.of("paket", "peserta", "lelang.log_aktivitas")) {
      assertThat(tableDigest("spse_setelah_restart", table)).isEqualTo(tableDigest("spse", table));
    }
  }

  @Test
  void aServerThatIsDownFailsTheRun() throws Exception {
    int unused;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      unused = s.getLocalPort();
    }
    configure(dir.resolve("usb"), "host: 127.0.0.1", "port: " + unused, "user: postgres", "database: spse");
    assertThat(cli("init").exit()).isZero();
    CliRun backup = cli("backup", "--source", "db");
    assertThat(backup.exit()).isEqualTo(1);
    assertThat(backup.err()).contains("Connection refused");
    assertFailureRecorded("Connection refused");
  }

  @Test
  void aPgDumpThatFailsLeavesNoSnapshotAndRecordsItsMessages() throws Exception {
    // pembaca may read paket and peserta but not rahasia or the log: pg_dump stops with an error.
    Path pass = AgentFixtures.secret(dir.resolve("pg.pass"), "baca");
    configure(
        dir.resolve("usb"),
        "host: 127.0.0.1", "port: " + pg.port, "user: pembaca", "database: spse", "password-file: " + pass,
        "globals: false");
    assertThat(cli("init").exit()).isZero();
    CliRun backup = cli("backup", "--source", "db");
    assertThat(backup.exit()).isEqualTo(1);
    assertThat(backup.err()).contains("of database spse exited with status 1").contains("permission denied");
    assertFailureRecorded("permission denied");
  }

  @Test
  void aFullBackupDiskFailsTheDumpCleanly() throws Exception {
    Path m = Files.createDirectories(dir.resolve("usb-kecil"));
    boolean root = "root".equals(System.getProperty("user.name"));
    int rc = root ? new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", m.toString()).start().waitFor() : 1;
    if (System.getenv("CI") != null) {
      assertThat(rc).as("CI runs as root and can mount a tmpfs").isZero();
    }
    assumeTrue(rc == 0, "needs root to mount a small tmpfs");
    mount = m;
    configure(m.resolve("repo"), socket("spse"));
    assertThat(cli("init").exit()).isZero();
    CliRun backup = cli("backup", "--source", "db");
    assertThat(backup.exit()).isEqualTo(1);
    assertThat(backup.err()).contains("No space left on device");
    assertFailureRecorded("No space left on device");
    try (Stream<Path> files = Files.walk(m)) {
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()).isEmpty();
    }
    // Room is made (a bigger disk): the repository checks and the next run succeeds.
    assertThat(new ProcessBuilder("mount", "-o", "remount,size=256m", m.toString()).start().waitFor()).isZero();
    assertThat(cli("check").exit()).isZero();
    CliRun next = cli("backup", "--source", "db");
    assertThat(next.exit()).as(next.out() + next.err()).isZero();
    assertThat(cli("check", "--read-data").exit()).isZero();
  }

  /** The run is in the spool and the journal as a failed backup-run, with a failure event; no snapshot. */
  void assertFailureRecorded(String reason) throws Exception {
    assertThat(cli("snapshots", "--json").out()).doesNotContain("\"source\" : \"db\"");
    List<JsonNode> journal = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("state").resolve(Spool.JOURNAL))) {
      journal.add(JSON.readTree(line));
    }
    JsonNode runRecord =
        journal.stream().filter(j -> j.path("type").asText().equals("backup-run")).reduce((a, b) -> b).orElseThrow();
    assertThat(runRecord.path("body").path("result").asText()).isEqualTo("failure");
    assertThat(runRecord.path("body").path("source_type").asText()).isEqualTo("postgresql");
    assertThat(runRecord.path("body").path("failure").asText()).contains(reason);
    JsonNode failure =
        journal.stream().filter(j -> j.path("type").asText().equals("failure")).reduce((a, b) -> b).orElseThrow();
    assertThat(failure.path("body").path("kind").asText()).isEqualTo("backup");
    assertThat(failure.path("body").path("reason").asText()).contains(reason);
    try (Stream<Path> spooled = Files.list(dir.resolve("state/spool"))) {
      assertThat(spooled.filter(p -> p.toString().endsWith(".json")).count()).isGreaterThanOrEqualTo(2);
    }
  }
}
