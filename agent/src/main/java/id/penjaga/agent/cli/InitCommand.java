package id.penjaga.agent.cli;

import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.repository.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent init}: creates the configured repository. */
@Command(name = "init", description = "Create the backup repository named in the configuration.")
final class InitCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    ConfiguredRepository target = ctx.repository();
    char[] password = target.password();
    Backend backend = target.backend();
    try (Repository repo = Repository.init(backend, password, ctx.clock)) {
      System.out.printf("created repository %s at %s%n", repo.id(), target.location());
      System.out.println(
          "Keep the password file safe and a copy of it away from this server: without it the"
              + " backups cannot be read.");
    }
    return AgentMain.OK;
  }
}
