package db.migration.postgresql;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * The tables of Quartz's clustered JDBC job store, through which collectors sharing a PostgreSQL
 * store share one schedule: created from the script Quartz ships for PostgreSQL (in its jar), so
 * they match the Quartz version in use. (An SQLite store has one collector and keeps its schedule
 * in memory.)
 */
public class V10__quartz_job_store extends BaseJavaMigration {
  static final String SCRIPT = "org/quartz/impl/jdbcjobstore/tables_postgres.sql";

  @Override
  public void migrate(Context context) throws Exception {
    String script;
    try (InputStream in = org.quartz.Scheduler.class.getClassLoader().getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new IOException("Quartz's " + SCRIPT + " is not on the class path");
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    StringBuilder sql = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    try (Statement s = context.getConnection().createStatement()) {
      for (String statement : sql.toString().split(";")) {
        String st = statement.strip();
        // a new database has nothing to drop; Flyway commits the migration itself
        if (st.isEmpty() || st.toUpperCase().startsWith("DROP TABLE") || st.equalsIgnoreCase("COMMIT")) {
          continue;
        }
        s.execute(st);
      }
    }
  }
}
