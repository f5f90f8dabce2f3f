package id.penjaga.agent.capacity;

import id.penjaga.agent.backup.postgres.PgConnection;
import id.penjaga.agent.backup.postgres.PgStats;
import id.penjaga.agent.config.AgentConfig;
import java.util.List;
import java.util.Map;

/**
 * The growth of the SPSE database (the SOP watches the user table and the data files grow): each
 * database's size and its ten largest tables, sizes and row estimates, through the postgresql
 * sources named in {@code capacity.databases}.
 */
public final class DatabaseSampler implements Sampler {
  private final Map<String, AgentConfig.Source> sources;

  public DatabaseSampler(Map<String, AgentConfig.Source> sources) {
    this.sources = sources;
  }

  @Override
  public String name() {
    return "databases";
  }

  @Override
  public void sample(List<Sample> out) throws Exception {
    for (Map.Entry<String, AgentConfig.Source> e : sources.entrySet()) {
      try (PgConnection conn = new PgConnection(e.getValue())) {
        for (PgStats.Database db : PgStats.measure(conn, 10)) {
          out.add(Sample.of("penjaga_database_size_bytes", db.bytes(), "source", e.getKey(), "database", db.name()));
          for (PgStats.Table t : db.largest()) {
            String[] l = {"source", e.getKey(), "database", db.name(), "table", t.name()};
            out.add(Sample.of("penjaga_table_size_bytes", t.bytes(), l));
            out.add(Sample.of("penjaga_table_rows_estimate", t.rowsEstimate(), l));
          }
        }
      }
    }
  }
}
