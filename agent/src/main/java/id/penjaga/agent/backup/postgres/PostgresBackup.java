package id.penjaga.agent.backup.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.chunker.ChunkerParams;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Tree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs up a PostgreSQL source: each database streamed straight into the repository (nothing
 * written to the server's disk), and the server's roles and tablespaces with {@code pg_dumpall
 * --globals-only}.
 *
 * <p>A database {@code D} becomes a directory {@code D/} of the snapshot: {@code schema.sql} and
 * {@code post-data.sql} ({@code pg_dump --section=pre-data} and {@code post-data}, plain SQL), one
 * file {@code data/SCHEMA.TABLE.copy} a table (its rows in COPY text format, <b>ordered by primary
 * key</b>), {@code rest.sql} (sequence values and large objects), {@code restore.sql} (a psql
 * script that loads it all, for a restore by hand) and {@code meta.json}. Every part is read in
 * one exported snapshot, so together they are one consistent dump. Ordering rows by key is what
 * makes daily dumps deduplicate: pg_dump writes rows in their physical order, and PostgreSQL puts
 * new and updated rows into free space anywhere in a table, so a day's few changes would touch
 * every chunk of a pg_dump file; ordered, they touch the table's end and the few places changed.
 *
 * <p>{@code meta.json} holds what a restore test needs: server version, database size, encoding
 * and, per table, the exact row count (the number of rows in its COPY file, so taken in the same
 * snapshot), plus pg_dump's version, exit status and messages.
 */
public final class PostgresBackup {
  private static final Logger log = LoggerFactory.getLogger(PostgresBackup.class);

  /**
   * Chunk sizes for dumps: a day's changes to a database (new rows at a table's end, updates to
   * recent rows) touch small places, so chunks are smaller than for a document tree.
   */
  public static final ChunkerParams DUMP_CHUNKS = new ChunkerParams(64 << 10, 256 << 10, 2 << 20);

  public static final String SCHEMA = "schema.sql";
  public static final String DATA = "data";
  public static final String REST = "rest.sql";
  public static final String POST_DATA = "post-data.sql";
  public static final String RESTORE_SCRIPT = "restore.sql";
  public static final String META = "meta.json";
  public static final String GLOBALS = "globals.sql";
  static final String FORMAT = "penjaga-pg-v1: pg_dump pre-data/post-data, COPY per table ordered by primary key";

  static final ObjectMapper JSON = JsonMapper.builder().build();
  static final ProcessBuilder.Redirect NO_INPUT =
      ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

  /**
   * The database, and every table whose rows are dumped, with the columns to copy (generated
   * columns are computed again on restore) and the primary key to order by. Tables of extensions
   * and of system schemas are left out, as pg_dump leaves them.
   */
  static final String TABLES_SQL =
      """
      SELECT json_build_object(
        'server_version', current_setting('server_version'),
        'server_version_num', current_setting('server_version_num')::int,
        'database', current_database(),
        'encoding', pg_encoding_to_char(d.encoding),
        'lc_collate', d.datcollate,
        'lc_ctype', d.datctype,
        'size_bytes', pg_database_size(d.oid),
        'snapshot_time', now(),
        'tables', COALESCE((
          SELECT json_agg(json_build_object(
                   'schema', n.nspname,
                   'table', c.relname,
                   'columns', (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                                 AND a.attgenerated = ''),
                   'order_by', (SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))
                                FROM pg_index i JOIN pg_attribute a
                                  ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
                                WHERE i.indrelid = c.oid AND i.indisprimary))
                 ORDER BY n.nspname, c.relname)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND c.relpersistence <> 't'
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            AND NOT EXISTS (SELECT 1 FROM pg_depend dep
                            WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                              AND dep.deptype = 'e')), '[]'::json))
      FROM pg_database d WHERE d.datname = current_database()""";

  /** The same tables' row counts, to compare a restored database with its dump. */
  static final String COUNT_SQL =
      """
      SELECT COALESCE(json_agg(json_build_object(
               'schema', n.nspname, 'table', c.relname,
               'rows', (xpath('/row/c/text()', query_to_xml(
                   format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
                   false, true, '')))[1]::text::bigint)), '[]'::json)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND c.relpersistence <> 't'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'""";

  private final PgConnection conn;
  private final Archiver archiver;
  private final Clock clock;

  public PostgresBackup(PgConnection conn, Archiver archiver, Clock clock) {
    this.conn = conn;
    this.archiver = archiver;
    this.clock = clock;
  }

  /**
   * Dumps the source's database (or every one) and returns the entries of the snapshot to come.
   * Any database whose dump fails fails the whole run: no snapshot is then saved.
   */
  public List<Node> dump(Tree parentTree, Archiver.Counters counters) throws IOException {
    Path bin = conn.binDir();
    List<String> databases =
        conn.source().allDatabases() ? listDatabases(bin) : List.of(conn.source().database());
    List<Node> nodes = new ArrayList<>();
    for (String db : databases) {
      nodes.add(dumpDatabase(bin, db, counters));
    }
    if (conn.source().globals()) {
      Node g = dumpGlobals(bin, counters);
      if (g != null) {
        nodes.add(g);
      }
    }
    return nodes;
  }

  private List<String> listDatabases(Path bin) throws IOException {
    try (PsqlSession s = new PsqlSession(conn, bin, "postgres")) {
      String json =
          s.query(
              "SELECT COALESCE(json_agg(datname ORDER BY datname), '[]') FROM pg_database"
                  + " WHERE datallowconn AND NOT datistemplate");
      List<String> names = new ArrayList<>();
      JSON.readTree(json).forEach(n -> names.add(n.asText()));
      if (names.isEmpty()) {
        throw new IOException("the server at " + conn.describe() + " has no database to dump");
      }
      return names;
    }
  }

  /**
   * A database, schema or table name as a file name: '%XX' for anything but [A-Za-z0-9_-], so
   * that names never collide and never leave their directory.
   */
  public static String fileName(String name) {
    StringBuilder sb = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '-')) {
        sb.append(c);
      } else {
        sb.append(String.format("%%%02X", b & 0xff));
      }
    }
    return sb.toString();
  }

  /** The file of a table's rows in {@code data/}. */
  public static String tableFile(String schema, String table) {
    return fileName(schema) + "." + fileName(table) + ".copy";
  }

  private Node dumpDatabase(Path bin, String db, Archiver.Counters counters) throws IOException {
    Instant started = clock.instant();
    try (PsqlSession session = new PsqlSession(conn, bin, db)) {
      // This transaction's snapshot is the dump's: every part below imports it, and it holds
      // until the session ends.
      session.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      String snapshot = session.query("SELECT pg_export_snapshot()").strip();
      ObjectNode meta = (ObjectNode) JSON.readTree(session.query(TABLES_SQL));
      List<Node> entries = new ArrayList<>();
      StringBuilder messages = new StringBuilder();

      entries.add(pgDump(bin, db, snapshot, "pre-data", SCHEMA, started, counters, messages));
      List<Node> data = new ArrayList<>();
      StringBuilder script = new StringBuilder();
      script.append("-- Restores database ").append(db).append(" by hand, from this directory:\n")
          .append("--   createdb NEW && psql -d NEW --single-transaction -f restore.sql\n")
          .append("\\set ON_ERROR_STOP on\n\\ir ").append(SCHEMA).append('\n');
      for (JsonNode t : meta.withArray("tables")) {
        String schema = t.path("schema").asText();
        String table = t.path("table").asText();
        String columns = columnList(t.path("columns"));
        String file = tableFile(schema, table);
        String order = t.path("order_by").isArray() && t.path("order_by").size() > 0
            ? " ORDER BY " + columnList(t.path("order_by"))
            : "";
        String copy =
            "COPY (SELECT " + columns + " FROM " + PsqlSession.identifier(schema) + "."
                + PsqlSession.identifier(table) + order + ") TO STDOUT";
        long[] rows = new long[1];
        data.add(copyTable(bin, db, snapshot, copy, file, started, rows, counters));
        ((ObjectNode) t).put("rows", rows[0]);
        ((ObjectNode) t).put("file", DATA + "/" + file);
        script.append("\\copy ").append(PsqlSession.identifier(schema)).append('.')
            .append(PsqlSession.identifier(table)).append(" (").append(columns).append(") FROM '")
            .append(DATA).append('/').append(file).append("'\n");
      }
      entries.add(archiver.saveDirectory(DATA, data, started, counters));
      entries.add(pgDump(bin, db, snapshot, "data", REST, started, counters, messages));
      entries.add(pgDump(bin, db, snapshot, "post-data", POST_DATA, started, counters, messages));
      script.append("\\ir ").append(REST).append("\n\\ir ").append(POST_DATA).append('\n');
      entries.add(
          archiver.saveStream(
              RESTORE_SCRIPT, new ByteArrayInputStream(script.toString().getBytes(StandardCharsets.UTF_8)),
              started, null, counters));
      session.query("COMMIT");

      meta.put("format", FORMAT);
      meta.put("pg_dump_version", conn.versionOf("pg_dump"));
      meta.put("pg_dump_exit_status", 0);
      meta.put("pg_dump_stderr", messages.toString().strip());
      meta.put("started_at", started.toString());
      meta.put("finished_at", clock.instant().toString());
      byte[] metaBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta);
      entries.add(archiver.saveStream(META, new ByteArrayInputStream(metaBytes), started, null, counters));
      log.info(
          "database {} dumped: {} tables, {} rows, server {}",
          db, meta.path("tables").size(),
          java.util.stream.StreamSupport.stream(meta.path("tables").spliterator(), false)
              .mapToLong(t -> t.path("rows").asLong()).sum(),
          meta.path("server_version").asText());
      return archiver.saveDirectory(fileName(db), entries, started, counters);
    }
  }

  static String columnList(JsonNode names) {
    List<String> quoted = new ArrayList<>();
    names.forEach(n -> quoted.add(PsqlSession.identifier(n.asText())));
    return String.join(", ", quoted);
  }

  /** One section of {@code pg_dump} (plain SQL) in the dump's snapshot, streamed into a file. */
  private Node pgDump(
      Path bin, String db, String snapshot, String section, String file, Instant started,
      Archiver.Counters counters, StringBuilder messages)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                bin.resolve("pg_dump").toString(),
                "--format=plain",
                "--section=" + section,
                "--no-password",
                "--snapshot=" + snapshot));
    if (section.equals("data")) {
      // Table rows come ordered from copyTable; this part keeps sequences and large objects.
      cmd.add("--exclude-table-data=*.*");
    }
    return run("pg_dump (" + section + ") of database " + db, conn.process(db, cmd), file, started, null, counters, messages);
  }

  /** A table's rows in COPY text format, counted on the way (one line a row). */
  private Node copyTable(
      Path bin, String db, String snapshot, String copy, String file, Instant started, long[] rows,
      Archiver.Counters counters)
      throws IOException {
    List<String> cmd =
        List.of(
            bin.resolve("psql").toString(),
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--set=ON_ERROR_STOP=1",
            "--command=BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "--command=SET TRANSACTION SNAPSHOT " + PsqlSession.literal(snapshot),
            "--command=SET row_security = off",
            "--command=" + copy,
            "--command=COMMIT");
    return run("copy of " + file + " from database " + db, conn.process(db, cmd), file, started, rows, counters, null);
  }

  /** Runs a program and saves its standard output as {@code file}; its failure is the run's. */
  private Node run(
      String what, ProcessBuilder pb, String file, Instant started, long[] lines, Archiver.Counters counters,
      StringBuilder messages)
      throws IOException {
    Process p = pb.redirectInput(NO_INPUT).start();
    try {
      StderrTail stderr = StderrTail.drain(p.getErrorStream(), "pg-stderr");
      Node node;
      try (InputStream in = lines == null ? p.getInputStream() : new LineCounter(p.getInputStream(), lines)) {
        node = archiver.saveStream(file, in, started, null, counters);
      }
      int status = p.waitFor();
      String err = stderr.text();
      if (status != 0) {
        throw new IOException(what + " exited with status " + status + (err.isEmpty() ? "" : ": " + err));
      }
      if (messages != null && !err.isEmpty()) {
        messages.append(err).append('\n');
      }
      return node;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(what + " interrupted");
    } finally {
      if (p.isAlive()) {
        // The repository failed (a full disk, a lost connection): the program must not stay blocked.
        p.destroyForcibly();
      }
    }
  }

  /** Counts the newlines that pass: rows of COPY text format, where a newline in a value is "\n". */
  static final class LineCounter extends java.io.FilterInputStream {
    private final long[] count;

    LineCounter(InputStream in, long[] count) {
      super(in);
      this.count = count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b == '\n') {
        count[0]++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      for (int i = off; i < off + n; i++) {
        if (b[i] == '\n') {
          count[0]++;
        }
      }
      return n;
    }
  }

  /**
   * Roles and tablespaces. Reading role passwords needs a superuser; for any other user the dump is
   * made again without them. A globals dump that fails is a warning, not a failed run: the
   * databases themselves are saved.
   */
  private Node dumpGlobals(Path bin, Archiver.Counters counters) throws IOException {
    String maintenance = conn.source().allDatabases() ? "postgres" : conn.source().database();
    String err = "";
    for (boolean withoutPasswords : new boolean[] {false, true}) {
      List<String> cmd = new ArrayList<>(
          List.of(
              bin.resolve("pg_dumpall").toString(),
              "--globals-only",
              "--no-password",
              "--database=" + conninfo(maintenance)));
      if (withoutPasswords) {
        cmd.add("--no-role-passwords");
      }
      Instant started = clock.instant();
      Process p = conn.process(maintenance, cmd).redirectInput(NO_INPUT).start();
      StderrTail stderr = StderrTail.drain(p.getErrorStream(), "pg_dumpall-stderr");
      byte[] sql;
      try (InputStream in = p.getInputStream()) {
        sql = in.readAllBytes();
      }
      int status;
      try {
        status = p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new java.io.InterruptedIOException("globals dump interrupted");
      }
      err = stderr.text();
      if (status == 0) {
        if (withoutPasswords) {
          counters.warn("globals.sql saved without role passwords (user " + conn.source().user() + " is not a superuser)");
        }
        return archiver.saveStream(GLOBALS, new ByteArrayInputStream(sql), started, null, counters);
      }
      if (!err.contains("permission denied")) {
        break;
      }
    }
    counters.warn("roles and tablespaces (pg_dumpall --globals-only) not saved: " + err);
    return null;
  }

  /** The metadata of a dump, as saved beside it. */
  public static JsonNode readMeta(byte[] json) throws IOException {
    return JSON.readTree(json);
  }

  /** A database name as a libpq connection string, so that no name is taken for one. */
  static String conninfo(String database) {
    return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
