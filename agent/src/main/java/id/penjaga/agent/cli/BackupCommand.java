package id.penjaga.agent.cli;

import id.penjaga.agent.backup.BackupJob;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.Spool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code penjaga-agent backup}: backs up every source (or those named) now. With {@code --reason}
 * it is a pre-change backup, the roll-back point of a change.
 */
@Command(name = "backup", description = "Back up the configured sources now.")
final class BackupCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;
  @Mixin RepoOption repoOption = new RepoOption();

  @Option(names = "--source", paramLabel = "NAME", description = "Back up only this source (repeatable).")
  List<String> sources = new ArrayList<>();

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why: marks a pre-change backup, e.g. \"change 2026-11-30: upgrade SPSE 4.5\".")
  String reason;

  @Option(names = "--tag", paramLabel = "TAG", description = "A tag for the snapshots (repeatable).")
  List<String> tags = new ArrayList<>();

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    Map<String, AgentConfig.Source> chosen = new LinkedHashMap<>();
    if (sources.isEmpty()) {
      chosen.putAll(ctx.config.sources());
    } else {
      for (String s : sources) {
        AgentConfig.Source src = ctx.config.sources().get(s);
        if (src == null) {
          throw new ParameterException(
              spec.commandLine(), "no source " + s + " in the configuration (known: "
                  + String.join(", ", ctx.config.sources().keySet()) + ")");
        }
        chosen.put(s, src);
      }
    }
    if (chosen.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no sources configured: add a 'sources' section");
    }
    if (reason != null && reason.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--reason must not be empty");
    }
    Spool spool = ctx.spool();
    List<String> targets =
        repoOption.name != null ? List.of(repoOption.name) : List.copyOf(ctx.config.targets().keySet());
    BackupJob.Trigger trigger = reason != null ? BackupJob.Trigger.PRE_CHANGE : BackupJob.Trigger.MANUAL;
    List<BackupJob.Outcome> outcomes = new ArrayList<>();
    // Every source to every target; one target failing (a disk not attached) does not stop the
    // others, and each run is recorded on its own.
    for (String t : targets) {
      BackupJob job =
          new BackupJob(
              ctx.repository(t), t, spool, ctx.clock, AgentMain.version(),
              Math.max(2, Runtime.getRuntime().availableProcessors()))
              .rotation(ctx.config.targets().get(t).rotation());
      for (Map.Entry<String, AgentConfig.Source> e : chosen.entrySet()) {
        outcomes.add(job.run(e.getKey(), e.getValue(), reason, tags, trigger));
      }
    }
    ctx.sendPending(spool);
    boolean failed = outcomes.stream().anyMatch(BackupJob.Outcome::failed);
    if (json) {
      List<Map<String, Object>> runs = new ArrayList<>();
      for (BackupJob.Outcome o : outcomes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", o.source());
        m.put("target", o.target());
        m.put("result", o.result());
        m.put("snapshot", o.snapshot().map(SnapshotsCommand::toMap).orElse(null));
        m.put("errors", o.errors());
        m.put("failure", o.failure());
        runs.add(m);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("result", failed ? "failure" : "success");
      out.put("runs", runs);
      CliContext.printJson(out);
    } else {
      for (BackupJob.Outcome o : outcomes) {
        if (o.failed()) {
          System.out.printf("%s to %s: FAILED: %s%n", o.source(), o.target(), o.failure());
          continue;
        }
        var s = o.snapshot().get();
        var sum = s.summary();
        System.out.printf(
            "%s to %s: snapshot %s saved%s%n  files: %d new, %d changed, %d unchanged; %d directories%n"
                + "  read %s, added %s (stored %s)%n",
            o.source(), o.target(), s.shortId(), s.reason() != null ? " (pre-change: " + s.reason() + ")" : "",
            sum.filesNew(), sum.filesChanged(), sum.filesUnchanged(), sum.dirs(),
            SnapshotsCommand.bytes(sum.bytesRead()), SnapshotsCommand.bytes(sum.bytesAdded()),
            SnapshotsCommand.bytes(sum.bytesStored()));
        for (String err : o.errors()) {
          System.out.println("  warning: " + err);
        }
      }
    }
    if (failed) {
      BackupJob.Outcome first = outcomes.stream().filter(BackupJob.Outcome::failed).findFirst().get();
      System.err.println(
          "penjaga-agent: error: backup of " + first.source() + " to " + first.target() + " failed: "
              + first.failure());
      return AgentMain.FAILED;
    }
    return AgentMain.OK;
  }
}
