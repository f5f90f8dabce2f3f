package id.penjaga.collector.cli;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code penjaga-collector}: the central daemon ({@code run}) and its administrative commands.
 * Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error.
 */
@Command(
    name = "penjaga-collector",
    mixinStandardHelpOptions = true,
    versionProvider = CollectorMain.Version.class,
    description = "Receives Penjaga agents' reports, raises alerts and keeps the SOP evidence.",
    subcommands = {RunCommand.class, ConfigCommand.class, SilenceCommand.class, EvidenceCommand.class, ReportCommand.class, HashPasswordCommand.class, CapacityCommand.class,
        CommandLine.HelpCommand.class})
public final class CollectorMain {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "Configuration file (default: ${DEFAULT-VALUE}).")
  Path configFile = CollectorConfig.DEFAULT_FILE;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code; the tests call this directly. */
  public static int execute(String... args) {
    CommandLine cmd = new CommandLine(new CollectorMain());
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (e instanceof ConfigException) {
            err.println(e.getMessage());
            err.flush();
            return USAGE;
          }
          String reason = e.getMessage() == null ? e.toString() : e.getMessage();
          err.println("penjaga-collector: error: " + reason);
          err.flush();
          return FAILED;
        });
    return cmd.execute(args);
  }

  CollectorConfig loadConfig() throws ConfigException {
    return CollectorConfig.load(configFile);
  }

  /** The version from the jar's manifest ("dev" when run from classes). */
  public static String version() {
    String v = CollectorMain.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"penjaga-collector " + version()};
    }
  }
}
