package id.penjaga.agent.cli;

import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent snapshots}: lists the snapshots in the repository. */
@Command(name = "snapshots", description = "List the snapshots in the repository.")
final class SnapshotsCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Mixin RepoOption repoOption = new RepoOption();

  @Option(names = "--source", paramLabel = "NAME", description = "Only this source's snapshots.")
  String source;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    List<Snapshot> snapshots;
    try (Repository repo = ctx.repository(repoOption.name).open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "snapshots", ctx.clock)) {
      snapshots = new ArrayList<>(repo.snapshots());
    }
    if (source != null) {
      snapshots.removeIf(s -> !source.equals(s.source()));
    }
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      snapshots.forEach(s -> list.add(toMap(s)));
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("snapshots", list);
      CliContext.printJson(out);
      return AgentMain.OK;
    }
    System.out.printf("%-8s  %-20s  %-12s  %-10s  %s%n", "ID", "Time (UTC)", "Source", "Added", "Pre-change reason");
    for (Snapshot s : snapshots) {
      System.out.printf(
          "%-8s  %-20s  %-12s  %-10s  %s%n",
          s.shortId(),
          s.time().replaceFirst("\\.\\d+Z$", "Z"),
          s.source(),
          bytes(s.summary() != null ? s.summary().bytesAdded() : 0),
          s.reason() != null ? s.reason() : "");
    }
    System.out.printf("%d snapshot(s)%n", snapshots.size());
    return AgentMain.OK;
  }

  static Map<String, Object> toMap(Snapshot s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("short_id", s.shortId());
    m.put("time", s.time());
    m.put("host", s.host());
    m.put("source", s.source());
    m.put("path", s.path());
    m.put("tree", s.tree());
    m.put("parent", s.parent());
    m.put("tags", s.tags());
    m.put("reason", s.reason());
    m.put("pre_change", s.reason() != null);
    m.put("agent_version", s.agentVersion());
    m.put("summary", s.summary());
    return m;
  }

  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return i == 0 ? n + " B" : String.format("%.1f %s", v, units[i]);
  }
}
