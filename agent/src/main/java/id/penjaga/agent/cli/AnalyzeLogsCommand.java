package id.penjaga.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.logs.LogKeeper;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code penjaga-agent analyze-logs [--set NAME] [--since-last] [--json]}: the log analysis now. */
@Command(name = "analyze-logs", description = "Analyse the configured logs now (errors, HTTP 5xx, SSH logins, patterns).")
final class AnalyzeLogsCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;

  @Option(names = "--set", paramLabel = "NAME", description = "Only this log set.")
  String set;

  @Option(names = "--since-last", description = "Only what was written since the previous analysis (as the daily run).")
  boolean sinceLast;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    Map<String, AgentConfig.LogSet> sets = ctx.logSets(set, spec);
    var spool = ctx.spool();
    ObjectNode record = new LogKeeper(ctx.config, null, spool, ctx.clock, AgentMain.version()).analyze(sets, sinceLast, "manual");
    ctx.sendPending(spool);
    if (json) {
      CliContext.printJson(record);
      return AgentMain.OK;
    }
    for (JsonNode s : record.path("sets")) {
      System.out.printf("%s (%s): %d lines in %d files%n", s.path("set").asText(), s.path("kind").asText(),
          s.path("lines").asLong(), s.path("files").size());
      switch (s.path("kind").asText()) {
        case "access" -> System.out.printf("  requests %d, by status %s%n", s.path("requests").asLong(), s.path("status_classes"));
        case "auth" -> System.out.printf("  SSH logins: %d failed, %d accepted%n", s.path("ssh_failed").asLong(),
            s.path("ssh_accepted").asLong());
        default -> System.out.printf("  %d errors, %d warnings, %d exceptions%n", s.path("errors").asLong(),
            s.path("warnings").asLong(), s.path("exceptions").asLong());
      }
    }
    for (JsonNode f : record.path("findings")) {
      System.out.printf("finding (%s): %s%n", f.path("severity").asText(), f.path("message").asText());
    }
    return AgentMain.OK;
  }
}
