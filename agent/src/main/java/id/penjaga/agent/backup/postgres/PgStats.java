package id.penjaga.agent.backup.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Sizes a capacity sampler watches: each database's size and its largest tables. */
public final class PgStats {
  private PgStats() {}

  /** A table's size on disk (with indexes and TOAST) and the planner's row estimate. */
  public record Table(String database, String name, long bytes, long rowsEstimate) {}

  /** A database's size and its {@code top} largest tables. */
  public record Database(String name, long bytes, List<Table> largest) {}

  public static List<Database> measure(PgConnection conn, int top) throws IOException {
    List<String> names = new ArrayList<>();
    var bin = conn.binDir();
    if (conn.source().allDatabases()) {
      try (PsqlSession s = new PsqlSession(conn, bin, "postgres")) {
        PostgresBackup.JSON.readTree(s.query(
                "SELECT COALESCE(json_agg(datname ORDER BY datname), '[]') FROM pg_database"
                    + " WHERE datallowconn AND NOT datistemplate"))
            .forEach(n -> names.add(n.asText()));
      }
    } else {
      names.add(conn.source().database());
    }
    List<Database> out = new ArrayList<>();
    for (String db : names) {
      try (PsqlSession s = new PsqlSession(conn, bin, db)) {
        JsonNode r =
            PostgresBackup.JSON.readTree(
                s.query(
                    "SELECT json_build_object('size', pg_database_size(current_database()), 'tables',"
                        + " COALESCE((SELECT json_agg(t) FROM (SELECT n.nspname || '.' || c.relname AS name,"
                        + " pg_total_relation_size(c.oid) AS bytes, GREATEST(c.reltuples, 0)::bigint AS rows"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind IN ('r', 'p', 'm')"
                        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                        + " ORDER BY pg_total_relation_size(c.oid) DESC LIMIT " + top + ") t), '[]'))"));
        List<Table> tables = new ArrayList<>();
        for (JsonNode t : r.path("tables")) {
          tables.add(new Table(db, t.path("name").asText(), t.path("bytes").asLong(), t.path("rows").asLong()));
        }
        out.add(new Database(db, r.path("size").asLong(), tables));
      }
    }
    return out;
  }
}
