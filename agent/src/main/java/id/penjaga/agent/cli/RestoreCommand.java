package id.penjaga.agent.cli;

import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.nio.file.Path;
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

/** {@code penjaga-agent restore latest|ID --target DIR [--path P]}. */
@Command(name = "restore", description = "Restore a snapshot, whole or in part, into a directory.")
final class RestoreCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Mixin RepoOption repoOption = new RepoOption();

  @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "latest, or a snapshot id (a unique prefix is enough).")
  String snapshot;

  @Option(names = "--target", required = true, paramLabel = "DIR", description = "Where to restore (created if missing).")
  Path target;

  @Option(names = "--path", paramLabel = "P", description = "Restore only this path of the snapshot (repeatable).")
  List<String> paths = new ArrayList<>();

  @Option(names = "--source", paramLabel = "NAME", description = "With latest: the latest snapshot of this source.")
  String source;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    try (Repository repo = ctx.repository(repoOption.name).open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "restore", ctx.clock)) {
      Snapshot snap = repo.findSnapshot(snapshot, source);
      Restorer.Result r = new Restorer(repo).restore(snap, target, paths);
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("snapshot", snap.id());
        out.put("target", target.toAbsolutePath().toString());
        out.put("files", r.files());
        out.put("dirs", r.dirs());
        out.put("symlinks", r.symlinks());
        out.put("bytes", r.bytes());
        CliContext.printJson(out);
      } else {
        System.out.printf(
            "restored snapshot %s (%s, %s) to %s: %d files, %d directories, %d links, %s; every file verified%n",
            snap.shortId(), snap.source(), snap.time(), target.toAbsolutePath(), r.files(), r.dirs(),
            r.symlinks(), SnapshotsCommand.bytes(r.bytes()));
      }
    }
    return AgentMain.OK;
  }
}
