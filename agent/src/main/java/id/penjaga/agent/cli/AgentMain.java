package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
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
    description = "Backs up, watches and proves an SPSE server for its LPSE.")
public final class AgentMain {
  /** The subcommands, in the order the usage help lists them. */
  private static final List<Class<?>> COMMANDS =
      List.of(
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
          CommandLine.HelpCommand.class);

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
    List<Class<?>> commands = commandsFor(args);
    if (commands.size() == 1) {
      Prestart.begin(commands.get(0), args);
    }
    System.exit(execute(args));
  }

  /** Runs a command line and returns its exit code; the tests call this directly. */
  public static int execute(String... args) {
    CommandLine cmd = new CommandLine(new AgentMain());
    for (Class<?> c : commandsFor(args)) {
      cmd.addSubcommand(c);
    }
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

  /**
   * The subcommands to build for {@code args}: only the one named, when it is one of ours (picocli
   * builds each command's model by reflection, ~0.1 s for all of them, paid by every backup);
   * all of them for help, for no command, and for a name that is none of ours, so that usage and
   * error messages list every command.
   */
  static List<Class<?>> commandsFor(String... args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-c") || a.equals("--config")) {
        i++; // its value
      } else if (!a.startsWith("-")) {
        for (Class<?> c : COMMANDS) {
          if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(a)) {
            return List.of(c);
          }
        }
        return COMMANDS;
      }
    }
    return COMMANDS;
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
