package id.penjaga.agent.backup.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryException;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a database of a snapshot into a named database with {@code psql}, streamed from the
 * repository (no temporary file) in one transaction: the schema, each table's rows, sequences and
 * large objects, then indexes, constraints and triggers. A restore that fails leaves things as
 * they were: a database it created is dropped again, and with {@code --clean} the existing
 * database is replaced only once the restored one is complete. Then every table's rows are counted
 * and compared with the counts recorded at backup time.
 */
public final class PostgresRestore {
  private static final Logger log = LoggerFactory.getLogger(PostgresRestore.class);

  private final PgConnection conn;
  private final Repository repo;
  private final Clock clock;

  public PostgresRestore(PgConnection conn, Repository repo, Clock clock) {
    this.conn = conn;
    this.repo = repo;
    this.clock = clock;
  }

  /** How to restore. {@code from} picks the database of a snapshot of several (may be null). */
  public record Options(String from, String into, boolean create, boolean clean) {}

  /** One table's rows: recorded at backup time, and counted after the restore (-1: missing). */
  public record TableCount(String schema, String table, long expected, long actual) {
    public boolean matches() {
      return expected == actual;
    }
  }

  /** What a restore did. */
  public record Result(
      String snapshot,
      String fromDatabase,
      String database,
      boolean created,
      long bytes,
      Duration took,
      String serverVersionAtBackup,
      List<TableCount> tables) {
    public boolean rowsMatch() {
      return tables.stream().allMatch(TableCount::matches);
    }

    public List<TableCount> mismatches() {
      return tables.stream().filter(t -> !t.matches()).toList();
    }
  }

  /** One database's directory in a snapshot, with its metadata. */
  public record DatabaseDump(String name, Map<String, Node> entries, JsonNode meta) {}

  /** The databases a snapshot holds. */
  public List<DatabaseDump> databases(Snapshot snapshot) throws IOException {
    List<DatabaseDump> dbs = new ArrayList<>();
    for (Node n : repo.loadTree(BlobId.parse(snapshot.tree())).nodes()) {
      if (!n.isDir()) {
        continue;
      }
      Map<String, Node> entries = new LinkedHashMap<>();
      repo.loadTree(BlobId.parse(n.subtree())).nodes().forEach(e -> entries.put(e.name(), e));
      Node meta = entries.get(PostgresBackup.META);
      if (meta != null) {
        JsonNode m = PostgresBackup.readMeta(content(meta));
        dbs.add(new DatabaseDump(m.path("database").asText(n.name()), entries, m));
      }
    }
    return dbs;
  }

  private byte[] content(Node node) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Restorer(repo).copyContent(node, out);
    return out.toByteArray();
  }

  public Result restore(Snapshot snapshot, Options o) throws IOException {
    Instant start = clock.instant();
    DatabaseDump dump = pick(snapshot, o.from());
    Path bin = conn.binDir();
    String target = prepare(bin, o, dump.meta());
    long bytes;
    try {
      bytes = runPsql(bin, dump, target, o);
      if (!target.equals(o.into())) {
        replace(bin, target, o.into());
      }
    } catch (IOException | RuntimeException e) {
      if (o.create() || !target.equals(o.into())) {
        dropQuietly(bin, target);
      }
      throw e;
    }
    List<TableCount> counts = compare(bin, o.into(), dump.meta());
    Result r =
        new Result(
            snapshot.id(),
            dump.name(),
            o.into(),
            o.create(),
            bytes,
            Duration.between(start, clock.instant()),
            dump.meta().path("server_version").asText(null),
            counts);
    log.info(
        "database {} restored into {} from snapshot {}: {} bytes, {} tables, {} mismatched",
        r.fromDatabase(), o.into(), snapshot.shortId(), bytes, counts.size(), r.mismatches().size());
    return r;
  }

  private DatabaseDump pick(Snapshot snapshot, String from) throws IOException {
    List<DatabaseDump> dbs = databases(snapshot);
    if (dbs.isEmpty()) {
      throw new RepositoryException("snapshot " + snapshot.shortId() + " holds no database dump");
    }
    List<String> names = dbs.stream().map(DatabaseDump::name).toList();
    if (from == null) {
      if (dbs.size() > 1) {
        throw new RepositoryException(
            "snapshot " + snapshot.shortId() + " holds " + dbs.size() + " databases ("
                + String.join(", ", names) + "); choose one with --from");
      }
      return dbs.get(0);
    }
    return dbs.stream()
        .filter(d -> d.name().equals(from))
        .findFirst()
        .orElseThrow(
            () -> new RepositoryException(
                "snapshot " + snapshot.shortId() + " has no dump of database " + from + " (it has: "
                    + String.join(", ", names) + ")"));
  }

  /**
   * Checks the target database as the options demand and creates what the restore goes into: the
   * database itself, or with {@code --clean} a new one that replaces it once complete.
   */
  private String prepare(Path bin, Options o, JsonNode meta) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, bin, "postgres")) {
      boolean exists = exists(s, o.into());
      if (exists && o.create()) {
        throw new RepositoryException(
            "database " + o.into() + " already exists; leave out --create to restore into it"
                + " (it must be empty, or give --clean to replace what it holds)");
      }
      if (!exists && !o.create()) {
        throw new RepositoryException(
            "database " + o.into() + " does not exist; add --create to create it");
      }
      String target = o.into();
      if (o.clean()) {
        target = o.into() + "_penjaga_restore";
        s.query("DROP DATABASE IF EXISTS " + PsqlSession.identifier(target));
      } else if (!o.create()) {
        int relations = userRelations(bin, o.into());
        if (relations > 0) {
          throw new RepositoryException(
              "database " + o.into() + " is not empty (" + relations + " tables, indexes or"
                  + " sequences); refusing to overwrite it. Give --clean to replace it with the"
                  + " backup, or restore into a new database with --create");
        }
        return target;
      }
      String encoding = meta.path("encoding").asText("UTF8");
      s.query(
          "CREATE DATABASE " + PsqlSession.identifier(target) + " TEMPLATE template0 ENCODING "
              + PsqlSession.literal(encoding));
      return target;
    }
  }

  private static boolean exists(PsqlSession s, String database) throws IOException {
    return !s.query("SELECT 1 FROM pg_database WHERE datname = " + PsqlSession.literal(database)).isBlank();
  }

  private int userRelations(Path bin, String database) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, bin, database)) {
      return Integer.parseInt(
          s.query(
                  "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      + " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                      + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'")
              .strip());
    }
  }

  /** The old database goes only now that the new one is complete. */
  private void replace(Path bin, String restored, String into) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, bin, "postgres")) {
      s.query("DROP DATABASE " + PsqlSession.identifier(into) + " WITH (FORCE)");
      s.query("ALTER DATABASE " + PsqlSession.identifier(restored) + " RENAME TO " + PsqlSession.identifier(into));
    }
  }

  /** Feeds the dump to one psql in one transaction: schema, rows, sequences, then the rest. */
  private long runPsql(Path bin, DatabaseDump dump, String database, Options o) throws IOException {
    List<String> cmd =
        List.of(
            bin.resolve("psql").toString(),
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            "--file=-");
    Map<String, Node> data = new LinkedHashMap<>();
    Node dataDir = dump.entries().get(PostgresBackup.DATA);
    if (dataDir != null) {
      repo.loadTree(BlobId.parse(dataDir.subtree())).nodes().forEach(n -> data.put(n.name(), n));
    }
    Process p = conn.process(database, cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    StderrTail stderr = StderrTail.drain(p.getErrorStream(), "psql-stderr");
    Restorer restorer = new Restorer(repo);
    long bytes = 0;
    try (OutputStream in = new java.io.BufferedOutputStream(p.getOutputStream(), 1 << 16)) {
      bytes += restorer.copyContent(entry(dump, PostgresBackup.SCHEMA), in);
      for (JsonNode t : dump.meta().path("tables")) {
        String schema = t.path("schema").asText();
        String table = t.path("table").asText();
        Node rows = data.get(PostgresBackup.tableFile(schema, table));
        if (rows == null) {
          throw new RepositoryException("the dump has no rows file for table " + schema + "." + table);
        }
        in.write(
            ("COPY " + PsqlSession.identifier(schema) + "." + PsqlSession.identifier(table) + " ("
                    + PostgresBackup.columnList(t.path("columns")) + ") FROM stdin;\n")
                .getBytes(StandardCharsets.UTF_8));
        bytes += restorer.copyContent(rows, in);
        in.write("\\.\n".getBytes(StandardCharsets.UTF_8));
      }
      bytes += restorer.copyContent(entry(dump, PostgresBackup.REST), in);
      bytes += restorer.copyContent(entry(dump, PostgresBackup.POST_DATA), in);
    } catch (IOException e) {
      // Killed before its input ends, psql's transaction is rolled back: nothing half-done.
      p.destroyForcibly();
      String err = stderr.text();
      if (err.isEmpty()) {
        throw e;
      }
      throw new IOException("psql failed while restoring: " + err, e);
    }
    int status;
    try {
      status = p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new java.io.InterruptedIOException("restore interrupted");
    }
    if (status != 0) {
      throw new IOException("psql exited with status " + status + " while restoring: " + stderr.text());
    }
    return bytes;
  }

  private static Node entry(DatabaseDump dump, String name) throws RepositoryException {
    Node n = dump.entries().get(name);
    if (n == null) {
      throw new RepositoryException("the dump of database " + dump.name() + " has no " + name);
    }
    return n;
  }

  private List<TableCount> compare(Path bin, String database, JsonNode meta) throws IOException {
    Map<String, Long> actual = new LinkedHashMap<>();
    try (PsqlSession s = new PsqlSession(conn, bin, database)) {
      for (JsonNode t : PostgresBackup.readMeta(s.query(PostgresBackup.COUNT_SQL).getBytes(StandardCharsets.UTF_8))) {
        actual.put(t.path("schema").asText() + "\u0000" + t.path("table").asText(), t.path("rows").asLong());
      }
    }
    List<TableCount> counts = new ArrayList<>();
    for (JsonNode t : meta.path("tables")) {
      String key = t.path("schema").asText() + "\u0000" + t.path("table").asText();
      counts.add(
          new TableCount(
              t.path("schema").asText(), t.path("table").asText(), t.path("rows").asLong(),
              actual.getOrDefault(key, -1L)));
    }
    return counts;
  }

  /**
   * Runs each query in {@code database}; a query passes when it runs and returns at least one row
   * whose first value is not false, 0 or empty. Returns one line per query: "ok" or why not.
   */
  public List<String> sanity(String database, List<String> queries) throws IOException {
    List<String> results = new ArrayList<>();
    Path bin = conn.binDir();
    for (String q : queries) {
      try (PsqlSession s = new PsqlSession(conn, bin, database)) {
        String out = s.query(q.strip().replaceAll(";+$", "")).strip();
        String first = out.isEmpty() ? "" : out.split("\n", 2)[0].split("\\|", 2)[0];
        results.add(
            first.isEmpty() || first.equals("f") || first.equals("0")
                ? "failed: returned " + (out.isEmpty() ? "no row" : "\"" + first + "\"")
                : "ok");
      } catch (IOException e) {
        results.add("failed: " + e.getMessage());
      }
    }
    return results;
  }

  /** Drops a database (a restore test's scratch database), ending its connections. */
  public void drop(String database) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, conn.binDir(), "postgres")) {
      s.query("DROP DATABASE IF EXISTS " + PsqlSession.identifier(database) + " WITH (FORCE)");
    }
  }

  /** Whether a database exists. */
  public boolean exists(String database) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, conn.binDir(), "postgres")) {
      return exists(s, database);
    }
  }

  private void dropQuietly(Path bin, String database) {
    try (PsqlSession s = new PsqlSession(conn, bin, "postgres")) {
      s.query("DROP DATABASE IF EXISTS " + PsqlSession.identifier(database) + " WITH (FORCE)");
    } catch (IOException e) {
      log.warn("could not drop the database {} made for the failed restore: {}", database, e.getMessage());
    }
  }
}
