package id.penjaga.agent.cli;

import id.penjaga.agent.backup.ConfiguredRepository;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.logs.LogKeeper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-agent rotate-logs [--set NAME] [--force]}: one rotation pass now, as logrotate
 * would make it, then the offload of old logs to the repository where space runs short.
 */
@Command(name = "rotate-logs", description = "Rotate the configured logs now; move old ones to the repository when space runs short.")
final class RotateLogsCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;

  @Option(names = "--set", paramLabel = "NAME", description = "Only this log set.")
  String set;

  @Option(names = "--force", description = "Rotate every log now, due or not (logrotate -f).")
  boolean force;

  @Option(names = "--offload", description = "Also move every rotated log to the repository now.")
  boolean offload;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    Map<String, AgentConfig.LogSet> sets = ctx.logSets(set, spec);
    ConfiguredRepository repo =
        ctx.config.repositoryTarget().map(t -> new ConfiguredRepository(t, ctx.clock, ConfiguredRepository.keyCacheOf(ctx.config))).orElse(null);
    LogKeeper keeper = new LogKeeper(ctx.config, repo, ctx.spool(), ctx.clock, AgentMain.version());
    List<LogKeeper.SetResult> results = keeper.pass(sets, force, offload);
    ctx.sendPending(ctx.spool());
    boolean failed = results.stream().anyMatch(r -> !r.errors().isEmpty());
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("sets", results);
      out.put("result", failed ? "failure" : "success");
      CliContext.printJson(out);
    } else {
      for (LogKeeper.SetResult r : results) {
        System.out.printf("%s: %d rotated, %d removed%s%n", r.set(), r.rotated().size(), r.removed().size(),
            r.offloaded().isEmpty() ? "" : ", " + r.offloaded().size() + " moved to snapshot "
                + r.snapshotId().substring(0, 8) + " (" + r.offloadReason() + ")");
        r.errors().forEach(e -> System.out.println("  error: " + e));
      }
    }
    if (failed) {
      System.err.println("penjaga-agent: error: log rotation had errors");
      return AgentMain.FAILED;
    }
    return AgentMain.OK;
  }
}
