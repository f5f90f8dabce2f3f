package id.penjaga.agent.cli;

import id.penjaga.agent.backup.crypto.KeySlot;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.config.SecretFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-agent key list|add|remove}: the repository's key slots. Rotating the password: add
 * a slot for the new password (from a 0600 file, never an argument), point {@code password-file}
 * at it, then remove the old slot. No data is uploaded again: the slots wrap the same master key.
 */
@Command(
    name = "key",
    description = "The repository's passwords (key slots): list, add, remove.",
    subcommands = {KeyCommand.ListKeys.class, KeyCommand.Add.class, KeyCommand.Remove.class})
final class KeyCommand implements Callable<Integer>, OpensRepository {
  @ParentCommand AgentMain main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "say what: key list, key add --new-password-file F, key remove ID");
  }

  @Command(name = "list", description = "List the key slots; * marks the one the configured password opens.")
  static final class ListKeys implements Callable<Integer> {
    @ParentCommand KeyCommand parent;
    @Mixin RepoOption repoOption = new RepoOption();

    @Override
    public Integer call() throws Exception {
      CliContext ctx = new CliContext(parent.main);
      try (Repository repo = ctx.repository(repoOption.name).open();
          RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "key list", ctx.clock)) {
        for (Repository.KeyInfo k : repo.keySlots()) {
          System.out.printf("%s %s  %s  %s@%s%n", k.current() ? "*" : " ", k.id().substring(0, 8), k.created(), k.user(), k.host());
        }
      }
      return AgentMain.OK;
    }
  }

  @Command(name = "add", description = "Add a key slot for a new password, read from a 0600 file.")
  static final class Add implements Callable<Integer> {
    @ParentCommand KeyCommand parent;
    @Spec CommandSpec spec;
    @Mixin RepoOption repoOption = new RepoOption();

    @Option(names = "--new-password-file", required = true, paramLabel = "FILE", description = "The new password (mode 0600).")
    Path newPasswordFile;

    @Override
    public Integer call() throws Exception {
      CliContext ctx = new CliContext(parent.main);
      char[] password;
      try {
        password = new SecretFile(newPasswordFile).validated().read().toCharArray();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--new-password-file: " + e.getMessage());
      }
      try (Repository repo = ctx.repository(repoOption.name).open();
          RepositoryLock lock = RepositoryLock.acquire(repo.backend(), true, "key add", ctx.clock)) {
        String id = repo.addKeySlot(password, KeySlot.DEFAULT_N);
        System.out.printf("key slot %s added; point password-file at %s, then remove the old slot%n",
            id.substring(0, 8), newPasswordFile);
      }
      return AgentMain.OK;
    }
  }

  @Command(name = "remove", description = "Remove a key slot (an old password).")
  static final class Remove implements Callable<Integer> {
    @ParentCommand KeyCommand parent;
    @Mixin RepoOption repoOption = new RepoOption();

    @Parameters(index = "0", paramLabel = "ID", description = "The slot's id (a unique prefix is enough).")
    String id;

    @Override
    public Integer call() throws Exception {
      CliContext ctx = new CliContext(parent.main);
      try (Repository repo = ctx.repository(repoOption.name).open();
          RepositoryLock lock = RepositoryLock.acquire(repo.backend(), true, "key remove", ctx.clock)) {
        repo.removeKeySlot(id);
        System.out.printf("key slot %s removed: its password no longer opens the repository%n", id);
      }
      return AgentMain.OK;
    }
  }
}
