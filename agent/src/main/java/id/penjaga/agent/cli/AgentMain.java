package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code penjaga-agent}: the daemon ({@code run}) and the administrator's commands. Exit codes: 0
 * success, 1 the operation failed (the reason is the last line on standard error), 2 usage or
 * configuration error.
 */
@Command(
    name = "penjaga-agent",
    mixinStandardHelpOptions = true,
    versionProvider = AgentMain.Version.class,
    description = "Backs up, watches and proves an SPSE server for its LPSE.",
    subcommands = {
      RunCommand.class,
      ConfigCommand.class,
      InitCommand.class,
      BackupCommand.class,
      SnapshotsCommand.class,
      RestoreCommand.class,
      RestoreDbCommand.class,
      RestoreTestCommand.class,
      RotateLogsCommand.class,
      LogsCommand.class,
      AnalyzeLogsCommand.class,
      SampleCommand.class,
      KeyCommand.class,
      CheckCommand.class,
      ForgetCommand.class,
      CommandLine.HelpCommand.class
    })
public final class AgentMain {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "Configuration file (default: ${DEFAULT-VALUE}).")
  Path configFile = AgentConfig.DEFAULT_FILE;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code; the tests call this directly. */
  public static int execute(String... args) {
    CommandLine cmd = new CommandLine(new AgentMain());
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (e instanceof ConfigException) {
            err.println(e.getMessage());
            err.flush();
            return USAGE;
          }
          String reason = e.getMessage() == null ? e.toString() : e.getMessage();
          err.println("penjaga-agent: error: " + reason);
          err.flush();
          return FAILED;
        });
    return cmd.execute(args);
  }

  AgentConfig loadConfig() throws ConfigException {
    return AgentConfig.load(configFile);
  }

  /** The version from the jar's manifest ("dev" when run from classes). */
  public static String version() {
    String v = AgentMain.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"penjaga-agent " + version()};
    }
  }
}
