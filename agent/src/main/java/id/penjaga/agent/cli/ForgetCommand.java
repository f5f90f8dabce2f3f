package id.penjaga.agent.cli;

import id.penjaga.agent.backup.Forgetter;

import id.penjaga.agent.backup.repository.Pruner;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.retention.RetentionDecision;
import id.penjaga.agent.backup.retention.RetentionPolicy;
import id.penjaga.agent.config.AgentConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code penjaga-agent forget [--dry-run] [--prune]}: applies the retention policy of agent.yaml
 * per source, showing what is kept and why; {@code --prune} then removes data no snapshot needs.
 */
@Command(name = "forget", description = "Forget snapshots the retention policy does not keep; --prune frees their space.")
final class ForgetCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Mixin RepoOption repoOption = new RepoOption();

  @Option(names = "--dry-run", description = "Show what would be forgotten; change nothing.")
  boolean dryRun;

  @Option(names = "--prune", description = "Then remove data that no remaining snapshot needs.")
  boolean prune;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    AgentConfig.Retention r = ctx.config.retention();
    RetentionPolicy policy = Forgetter.policy(r);
    if (policy.isEmpty()) {
      System.err.println(
          "penjaga-agent: error: no retention rule in the configuration (retention: keep-daily, ...);"
              + " refusing to forget every snapshot");
      return AgentMain.USAGE;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    try (Repository repo = ctx.repository(repoOption.name).open();
        RepositoryLock lock =
            RepositoryLock.acquire(repo.backend(), !dryRun, dryRun ? "forget --dry-run" : "forget", ctx.clock)) {
      RetentionDecision d = Forgetter.apply(repo, policy, ctx.clock.instant(), dryRun);
      List<Map<String, Object>> kept = new ArrayList<>();
      for (RetentionDecision.Kept k : d.keep()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.snapshot().id());
        m.put("source", k.snapshot().source());
        m.put("time", k.snapshot().time().toString());
        m.put("reasons", k.reasons());
        kept.add(m);
        if (!json) {
          System.out.printf("keep   %s  %-12s %s  (%s)%n", k.snapshot().id().substring(0, 8),
              k.snapshot().source(), k.snapshot().time(), String.join(", ", k.reasons()));
        }
      }
      List<Map<String, Object>> forgotten = new ArrayList<>();
      for (RetentionPolicy.SnapshotInfo f : d.forget()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("source", f.source());
        m.put("time", f.time().toString());
        forgotten.add(m);
        if (!json) {
          System.out.printf("%s %s  %-12s %s%n", dryRun ? "would forget" : "forget", f.id().substring(0, 8),
              f.source(), f.time());
        }
      }
      out.put("dry_run", dryRun);
      out.put("keep", kept);
      out.put("forget", forgotten);
      if (prune && !dryRun) {
        Pruner.Result p = new Pruner(repo).prune();
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("packs_removed", p.packsRemoved());
        pm.put("packs_repacked", p.packsRepacked());
        pm.put("bytes_freed", p.bytesFreed());
        out.put("prune", pm);
        if (!json) {
          System.out.printf("prune: %d packs removed, %d repacked, %s freed%n",
              p.packsRemoved(), p.packsRepacked(), SnapshotsCommand.bytes(p.bytesFreed()));
        }
      }
    }
    if (json) {
      CliContext.printJson(out);
    }
    return AgentMain.OK;
  }
}
