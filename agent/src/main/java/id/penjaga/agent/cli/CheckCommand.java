package id.penjaga.agent.cli;

import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code penjaga-agent check [--read-data[=PERCENT]]}. */
@Command(name = "check", description = "Check the repository's structure, and with --read-data its content.")
final class CheckCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Mixin RepoOption repoOption = new RepoOption();
  @Spec CommandSpec spec;

  @Option(
      names = "--read-data",
      arity = "0..1",
      fallbackValue = "100%",
      paramLabel = "PERCENT",
      description = "Also read and verify the data: all of it, or a random sample (e.g. 5%).")
  String readData;

  @Option(names = "--seed", description = "Seed of the --read-data sample (default: random; printed).")
  Long seed;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    double percent = 0;
    if (readData != null) {
      try {
        percent = Double.parseDouble(readData.replace("%", "").trim());
      } catch (NumberFormatException e) {
        throw new ParameterException(spec.commandLine(), "--read-data takes a percentage such as 5%");
      }
      if (percent <= 0 || percent > 100) {
        throw new ParameterException(spec.commandLine(), "--read-data must be between 0% and 100%");
      }
    }
    long s = seed != null ? seed : new java.security.SecureRandom().nextLong();
    CliContext ctx = new CliContext(main);
    Checker.Result r;
    try (Repository repo = ctx.repository(repoOption.name).open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "check", ctx.clock)) {
      r = new Checker(repo).check(percent, s);
    }
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("ok", r.ok());
      out.put("snapshots", r.snapshots());
      out.put("packs", r.packs());
      out.put("packs_read", r.packsRead());
      out.put("blobs", r.blobs());
      out.put("read_data_percent", percent);
      out.put("seed", s);
      out.put("errors", r.errors());
      out.put("warnings", r.warnings());
      out.put("damaged_files", r.damagedFiles());
      CliContext.printJson(out);
    } else {
      System.out.printf(
          "%d snapshots, %d packs, %d blobs checked%s%n",
          r.snapshots(), r.packs(), r.blobs(),
          percent > 0 ? String.format("; data of %d packs read (%.0f%%, seed %d)", r.packsRead(), percent, s) : "");
      r.warnings().forEach(w -> System.out.println("warning: " + w));
      r.errors().forEach(e -> System.out.println("error: " + e));
      System.out.println(r.ok() ? "no errors found" : r.errors().size() + " error(s) found");
    }
    if (!r.ok()) {
      System.err.println("penjaga-agent: error: the repository has " + r.errors().size() + " error(s)");
      return AgentMain.FAILED;
    }
    return AgentMain.OK;
  }
}
