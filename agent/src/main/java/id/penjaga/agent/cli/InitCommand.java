package id.penjaga.agent.cli;

import id.penjaga.agent.backup.ConfiguredRepository;

import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.repository.Repository;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent init}: creates the configured repository. */
@Command(name = "init", description = "Create the backup repository named in the configuration.")
final class InitCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;

  @Mixin RepoOption repoOption = new RepoOption();

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    List<String> names =
        repoOption.name != null ? List.of(repoOption.name) : List.copyOf(ctx.config.targets().keySet());
    String failure = null;
    for (String name : names) {
      ConfiguredRepository repository = ctx.repository(name);
      try (Backend backend = repository.backend();
          Repository repo = Repository.init(backend, repository.password(), ctx.clock)) {
        System.out.printf("%s: created repository %s at %s%n", name, repo.id(), repository.location());
      } catch (IOException e) {
        failure = name + ": " + e.getMessage();
        System.out.println(failure);
      }
    }
    System.out.println(
        "Keep the password file safe and a copy of it away from this server: without it the"
            + " backups cannot be read.");
    if (failure != null) {
      System.err.println("penjaga-agent: error: " + failure);
      return AgentMain.FAILED;
    }
    return AgentMain.OK;
  }
}
