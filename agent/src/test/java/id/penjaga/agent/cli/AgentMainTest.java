package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMainTest {
  @TempDir Path dir;

  @Test
  void onlyTheNamedCommandIsBuiltAndEveryOtherLineBuildsThemAll() {
    assertThat(AgentMain.commandsFor("backup")).containsExactly(BackupCommand.class);
    assertThat(AgentMain.commandsFor("-c", "agent.yaml", "restore-test", "--json"))
        .containsExactly(RestoreTestCommand.class);
    // A configuration file named like a command is the option's value, not the command.
    assertThat(AgentMain.commandsFor("--config", "backup", "restore", "latest"))
        .containsExactly(RestoreCommand.class);
    assertThat(AgentMain.commandsFor("--config=x.yaml", "key", "list")).containsExactly(KeyCommand.class);
    assertThat(AgentMain.commandsFor("help", "backup")).hasSize(16);
    assertThat(AgentMain.commandsFor("bakcup")).hasSize(16);
    assertThat(AgentMain.commandsFor("--help")).hasSize(16);
    assertThat(AgentMain.commandsFor()).hasSize(16);
  }

  @Test
  void theTableOfCommandNamesIsTheCommandsOwnAnnotations() {
    java.util.Map<String, Class<?>> annotated = new java.util.HashMap<>();
    for (Class<?> c : AgentMain.commandsFor()) {
      if (c != picocli.CommandLine.HelpCommand.class) {
        annotated.put(c.getAnnotation(picocli.CommandLine.Command.class).name(), c);
      }
    }
    assertThat(annotated).hasSize(15);
    assertThat(AgentMain.BY_NAME).isEqualTo(annotated);
  }

  @Test
  void usageAndMistakesStillListEveryCommand() throws Exception {
    CliRun help = CliRun.of("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("backup", "restore-test", "rotate-logs", "analyze-logs", "forget", "key");

    CliRun typo = CliRun.of("bakcup");
    assertThat(typo.exit()).isEqualTo(AgentMain.USAGE);
    assertThat(typo.err()).contains("bakcup").contains("Did you mean: penjaga-agent backup");

    CliRun helpFor = CliRun.of("help", "restore");
    assertThat(helpFor.exit()).isZero();
    assertThat(helpFor.out()).contains("--target");

    // A command given alone still parses its own options and those it inherits.
    Path config = dir.resolve("missing.yaml");
    CliRun backup = CliRun.of("-c", config.toString(), "backup", "--source", "uploads");
    assertThat(backup.exit()).isEqualTo(AgentMain.USAGE);
    assertThat(backup.err()).contains(config.toString());
    assertThat(Files.exists(config)).isFalse();

    CliRun bad = CliRun.of("backup", "--no-such-option");
    assertThat(bad.exit()).isEqualTo(AgentMain.USAGE);
    assertThat(bad.err()).contains("--no-such-option");
  }
}
