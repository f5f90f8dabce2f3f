package id.penjaga.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.backup.restoretest.RestoreTester;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.Spool;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-agent restore-test [--source NAME] [--seed N] [--json]}: the restore test of SOP
 * 10 step 5 now. Exit 0 when it passes, 1 when it fails; either way a restore-test record.
 */
@Command(
    name = "restore-test",
    description = "Restore a random sample of the backups into scratch space and verify it (SOP: uji restore).")
final class RestoreTestCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;
  @Mixin RepoOption repoOption = new RepoOption();

  @Option(names = "--source", paramLabel = "NAME", description = "Test only this source (default: all).")
  String source;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the random draws, to replay a test (default: random; recorded).")
  Long seed;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    Map<String, AgentConfig.Source> sources = new LinkedHashMap<>(ctx.config.sources());
    if (source != null) {
      AgentConfig.Source s = sources.get(source);
      if (s == null) {
        throw new ParameterException(spec.commandLine(), "no source " + source + " in the configuration");
      }
      sources = Map.of(source, s);
    }
    if (sources.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no sources configured");
    }
    long s = seed != null ? seed : new SecureRandom().nextLong();
    String target = repoOption.name != null ? repoOption.name : AgentConfig.MAIN_TARGET;
    ctx.repository(target); // a clear error for an unknown --repo
    Spool spool = ctx.spool();
    ObjectNode record = RestoreTester.runAndRecord(ctx.config, target, sources, s, "manual", spool, ctx.clock);
    boolean passed = record.path("result").asText().equals("pass");
    ctx.sendPending(spool);
    if (json) {
      CliContext.printJson(record);
    } else {
      System.out.printf("restore test (seed %d): %s%n", s, passed ? "PASSED" : "FAILED");
      for (JsonNode r : record.path("sources")) {
        System.out.printf(
            "  %s: snapshot %s (%s), %s%n", r.path("source").asText(), r.path("snapshot_id").asText("-"),
            r.path("snapshot_time").asText("-"), r.path("result").asText());
        for (JsonNode f : r.path("files")) {
          System.out.printf("    %-6s %s (%d bytes)%s%n", f.path("result").asText(), f.path("path").asText(),
              f.path("size").asLong(), f.has("error") ? ": " + f.path("error").asText() : "");
        }
        for (JsonNode d : r.path("databases")) {
          System.out.printf("    database %s: %s, %d tables compared%n", d.path("database").asText(),
              d.path("result").asText(), d.path("tables").size());
        }
        if (r.has("bytes_per_second")) {
          System.out.printf("    restored %s at %s/s; whole snapshot in about %d s%n",
              SnapshotsCommand.bytes(r.path("bytes_restored").asLong()),
              SnapshotsCommand.bytes(r.path("bytes_per_second").asLong()),
              r.path("projected_full_restore_seconds").asLong());
        }
      }
      record.path("failures").forEach(f -> System.out.println("  failure: " + f.asText()));
    }
    if (!passed) {
      System.err.println("penjaga-agent: error: the restore test failed (seed " + s + ")");
      return AgentMain.FAILED;
    }
    return AgentMain.OK;
  }
}
