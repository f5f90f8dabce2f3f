package id.penjaga.agent.cli;

import id.penjaga.agent.backup.postgres.PgConnection;
import id.penjaga.agent.backup.postgres.PostgresRestore;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.config.AgentConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-agent restore-db latest|ID --database NAME [--create] [--clean]}: restores a
 * database dump into a named database of the source's server, then compares every table's rows
 * with the counts recorded at backup time.
 */
@Command(
    name = "restore-db",
    description =
        "Restore a database from a snapshot of a postgresql source into a named database, then"
            + " compare every table's row count with the backup's.")
final class RestoreDbCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;
  @Mixin RepoOption repoOption = new RepoOption();

  @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "latest, or a snapshot id (a unique prefix is enough).")
  String snapshot;

  @Option(names = "--database", required = true, paramLabel = "NAME", description = "The database to restore into.")
  String database;

  @Option(names = "--create", description = "Create the database (it must not exist yet).")
  boolean create;

  @Option(
      names = "--clean",
      description = "Restore into an existing database that is not empty, replacing the objects the backup holds.")
  boolean clean;

  @Option(names = "--source", paramLabel = "NAME", description = "The postgresql source (needed when there are several).")
  String source;

  @Option(names = "--from", paramLabel = "DB", description = "Which database of the snapshot, when it holds several (database: all).")
  String from;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    if (create && clean) {
      throw new ParameterException(spec.commandLine(), "--create and --clean do not go together");
    }
    if (database.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--database must not be empty");
    }
    String name = pickSource(ctx.config);
    AgentConfig.Source src = ctx.config.sources().get(name);
    try (Repository repo = ctx.repository(repoOption.name).open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "restore-db", ctx.clock);
        PgConnection conn = new PgConnection(src)) {
      Snapshot snap = repo.findSnapshot(snapshot, name);
      if (!name.equals(snap.source())) {
        throw new ParameterException(
            spec.commandLine(), "snapshot " + snap.shortId() + " is of source " + snap.source() + ", not " + name);
      }
      PostgresRestore.Result r =
          new PostgresRestore(conn, repo, ctx.clock)
              .restore(snap, new PostgresRestore.Options(from, database, create, clean));
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("snapshot", r.snapshot());
        out.put("from_database", r.fromDatabase());
        out.put("database", r.database());
        out.put("created", r.created());
        out.put("bytes", r.bytes());
        out.put("seconds", r.took().toMillis() / 1000.0);
        out.put("server_version_at_backup", r.serverVersionAtBackup());
        out.put("rows_match", r.rowsMatch());
        List<Map<String, Object>> tables = new ArrayList<>();
        for (PostgresRestore.TableCount t : r.tables()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("schema", t.schema());
          m.put("table", t.table());
          m.put("rows_expected", t.expected());
          m.put("rows_restored", t.actual());
          tables.add(m);
        }
        out.put("tables", tables);
        CliContext.printJson(out);
      } else {
        System.out.printf(
            "restored database %s of snapshot %s (%s) into %s: %s in %.1f s%n",
            r.fromDatabase(), snap.shortId(), snap.time(), r.database(), SnapshotsCommand.bytes(r.bytes()),
            r.took().toMillis() / 1000.0);
        for (PostgresRestore.TableCount t : r.tables()) {
          System.out.printf(
              "  %-50s %12d rows%s%n",
              t.schema() + "." + t.table(), t.actual(),
              t.matches() ? "" : "   MISMATCH: backup recorded " + t.expected());
        }
        System.out.println(
            r.rowsMatch()
                ? "every table has the rows recorded at backup time (" + r.tables().size() + " tables)"
                : r.mismatches().size() + " table(s) differ from the backup's row counts");
      }
      if (!r.rowsMatch()) {
        System.err.println(
            "penjaga-agent: error: restored database " + database + " differs from the backup in "
                + r.mismatches().size() + " table(s)");
        return AgentMain.FAILED;
      }
    }
    return AgentMain.OK;
  }

  private String pickSource(AgentConfig config) {
    if (source != null) {
      AgentConfig.Source s = config.sources().get(source);
      if (s == null || !s.isPostgresql()) {
        throw new ParameterException(spec.commandLine(), "no postgresql source " + source + " in the configuration");
      }
      return source;
    }
    List<String> pg =
        config.sources().entrySet().stream().filter(e -> e.getValue().isPostgresql()).map(Map.Entry::getKey).toList();
    if (pg.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no postgresql source in the configuration");
    }
    if (pg.size() > 1) {
      throw new ParameterException(
          spec.commandLine(), "several postgresql sources (" + String.join(", ", pg) + "); choose one with --source");
    }
    return pg.get(0);
  }
}
