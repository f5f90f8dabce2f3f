package id.penjaga.agent.cli;

import id.penjaga.agent.backup.ConfiguredRepository;

import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.crypto.KeyCache;
import id.penjaga.agent.backup.crypto.KeySlot;
import id.penjaga.agent.backup.repository.Repository;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent init}: creates the configured repository. */
@Command(name = "init", description = "Create the backup repository named in the configuration.")
final class InitCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;

  @Mixin RepoOption repoOption = new RepoOption();

  @picocli.CommandLine.Option(names = "--medium-name", paramLabel = "NAME",
      description = "Name this backup medium for a rotation (e.g. A); on an existing repository, only the name is written.")
  String mediumName;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    List<String> names =
        repoOption.name != null ? List.of(repoOption.name) : List.copyOf(ctx.config.targets().keySet());
    String failure = null;
    for (String name : names) {
      ConfiguredRepository repository = ctx.repository(name);
      if (mediumName != null) {
        try (Backend backend = repository.backend()) {
          if (backend.stat(id.penjaga.agent.backup.backend.FileKind.CONFIG, "config").isPresent()) {
            try (Repository existing = Repository.open(backend, repository.password(), ctx.clock)) {
              id.penjaga.agent.backup.MediaRotation.label(backend, mediumName, ctx.clock.instant());
              System.out.printf("%s: repository %s at %s is medium %s%n", name, existing.id(), repository.location(), mediumName);
              continue;
            }
          }
        } catch (IOException e) {
          failure = name + ": " + e.getMessage();
          System.out.println(failure);
          continue;
        }
      }
      KeyCache keys = repository.keyCache(); // before the password is read
      try (Backend backend = repository.backend();
          Repository repo = Repository.init(backend, repository.password(), KeySlot.DEFAULT_N, ctx.clock, keys)) {
        if (mediumName != null) {
          id.penjaga.agent.backup.MediaRotation.label(backend, mediumName, ctx.clock.instant());
        }
        System.out.printf("%s: created repository %s at %s%s%n", name, repo.id(), repository.location(),
            mediumName == null ? "" : " (medium " + mediumName + ")");
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
