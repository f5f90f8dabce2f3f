package id.penjaga.collector.cli;

import id.penjaga.collector.config.CollectorConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-collector config check}: validates the configuration without starting anything. */
@Command(
    name = "config",
    description = "Work with the configuration file.",
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand {
  @ParentCommand CollectorMain main;

  @Command(name = "check", description = "Validate the configuration file; start nothing.")
  static final class Check implements Callable<Integer> {
    @ParentCommand ConfigCommand parent;

    @Override
    public Integer call() throws Exception {
      CollectorConfig config = parent.main.loadConfig();
      id.penjaga.collector.config.AlertRules rules =
          config.alerts().rulesFile() != null
              ? id.penjaga.collector.config.AlertRules.load(config.alerts().rulesFile())
              : id.penjaga.collector.config.AlertRules.defaults();
      if (config.alerts().rulesFile() != null) {
        System.out.printf("%s: OK (%d threshold rules)%n", config.alerts().rulesFile(), rules.thresholds().size());
      }
      System.out.printf(
          "%s: OK (listen %s, store %s, %d agents: %s)%n",
          parent.main.configFile,
          config.collector().listen(),
          config.collector().store(),
          config.agents().size(),
          String.join(", ", config.agents().keySet()));
      return CollectorMain.OK;
    }
  }
}
