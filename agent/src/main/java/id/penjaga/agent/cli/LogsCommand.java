package id.penjaga.agent.cli;

import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import id.penjaga.agent.logs.LogOffloader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent logs list|restore}: the logs moved to the repository, and getting them back. */
@Command(
    name = "logs",
    description = "Logs moved to the repository by rotate-logs: list them, restore one.",
    subcommands = {LogsCommand.ListLogs.class, LogsCommand.RestoreLog.class})
final class LogsCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "say what: logs list, or logs restore NAME");
  }

  /** One offloaded log in a snapshot. */
  record Stored(String path, Node node, Snapshot snapshot) {}

  static List<Stored> stored(Repository repo, String set) throws IOException {
    List<Stored> out = new ArrayList<>();
    for (Snapshot s : repo.snapshots()) {
      if (LogOffloader.isOffload(s) && (set == null || s.source().equals(LogOffloader.sourceName(set)))) {
        walk(repo, BlobId.parse(s.tree()), "", s, out);
      }
    }
    return out;
  }

  private static void walk(Repository repo, BlobId tree, String prefix, Snapshot s, List<Stored> out) throws IOException {
    for (Node n : repo.loadTree(tree).nodes()) {
      if (!Node.isSafeName(n.name())) {
        continue;
      }
      String path = prefix + "/" + n.name();
      if (n.isDir()) {
        walk(repo, BlobId.parse(n.subtree()), path, s, out);
      } else if (n.isFile()) {
        out.add(new Stored(path, n, s));
      }
    }
  }

  @Command(name = "list", description = "List the logs moved to the repository.")
  static final class ListLogs implements Callable<Integer> {
    @ParentCommand LogsCommand logs;
    @Mixin RepoOption repoOption = new RepoOption();

    @Option(names = "--set", paramLabel = "NAME", description = "Only this log set.")
    String set;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      CliContext ctx = new CliContext(logs.main);
      List<Stored> all;
      try (Repository repo = ctx.repository(repoOption.name).open();
          RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "logs list", ctx.clock)) {
        all = stored(repo, set);
      }
      if (json) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Stored s : all) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("path", s.path());
          m.put("size", s.node().size());
          m.put("mtime", instant(s.node().mtime()).toString());
          m.put("set", s.snapshot().source().substring("logs-".length()));
          m.put("snapshot", s.snapshot().id());
          m.put("moved_at", s.snapshot().time());
          list.add(m);
        }
        CliContext.printJson(Map.of("logs", list));
      } else {
        for (Stored s : all) {
          System.out.printf("%-10s  %s  %10s  %s%n", s.snapshot().shortId(), instant(s.node().mtime()),
              SnapshotsCommand.bytes(s.node().size()), s.path());
        }
        System.out.printf("%d log file(s) in the repository%n", all.size());
      }
      return AgentMain.OK;
    }
  }

  @Command(name = "restore", description = "Restore a log moved to the repository (by its file name or full path).")
  static final class RestoreLog implements Callable<Integer> {
    @ParentCommand LogsCommand logs;
    @Mixin RepoOption repoOption = new RepoOption();

    @Parameters(index = "0", paramLabel = "NAME", description = "The log's file name (spse.log.3.gz) or full path.")
    String name;

    @Option(names = "--target", paramLabel = "DIR", description = "Where to put it (default: the current directory).")
    Path target = Path.of(".");

    @Override
    public Integer call() throws Exception {
      CliContext ctx = new CliContext(logs.main);
      try (Repository repo = ctx.repository(repoOption.name).open();
          RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "logs restore", ctx.clock)) {
        List<Stored> matches =
            stored(repo, null).stream()
                .filter(s -> s.path().equals(name) || s.node().name().equals(name))
                .toList();
        if (matches.isEmpty()) {
          System.err.println("penjaga-agent: error: no log " + name + " in the repository (see: penjaga-agent logs list)");
          return AgentMain.FAILED;
        }
        if (matches.stream().map(Stored::path).distinct().count() > 1) {
          System.err.println("penjaga-agent: error: several logs are named " + name + "; give the full path: "
              + String.join(", ", matches.stream().map(Stored::path).distinct().toList()));
          return AgentMain.FAILED;
        }
        Stored s = matches.get(matches.size() - 1);
        Files.createDirectories(target);
        Path out = target.resolve(s.node().name());
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
          System.err.println("penjaga-agent: error: " + out + " exists; refusing to overwrite it");
          return AgentMain.FAILED;
        }
        try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW)) {
          new Restorer(repo).copyContent(s.node(), os);
        }
        Files.setLastModifiedTime(out, FileTime.from(instant(s.node().mtime())));
        System.out.printf("restored %s (%s, moved %s) to %s; verified%n", s.path(),
            SnapshotsCommand.bytes(s.node().size()), s.snapshot().time(), out);
      }
      return AgentMain.OK;
    }
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }
}
