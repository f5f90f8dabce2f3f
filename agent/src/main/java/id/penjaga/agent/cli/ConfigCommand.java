package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.HumanDuration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent config check}: validates the configuration without starting anything. */
@Command(
    name = "config",
    description = "Work with the configuration file.",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand {
  @ParentCommand AgentMain main;

  @Command(name = "check", description = "Validate the configuration file; start nothing.")
  static final class Check implements Callable<Integer> {
    @ParentCommand ConfigCommand parent;

    @Override
    public Integer call() throws Exception {
      AgentConfig config = parent.main.loadConfig();
      System.out.printf(
          "%s: OK (agent %s, %s, heartbeat every %s, metrics %s)%n",
          parent.main.configFile,
          config.agent().id(),
          config.collectorLink().map(c -> "collector " + c.url()).orElse("no collector"),
          HumanDuration.format(config.heartbeat().interval()),
          config.metrics().enabled() ? "on " + config.metrics().listen() : "off");
      return AgentMain.OK;
    }
  }
}
