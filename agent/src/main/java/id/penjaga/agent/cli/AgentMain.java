package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

  /**
   * The commands of {@link #COMMANDS} by the name their {@code @Command} gives (help aside), so
   * that finding the command named costs no reading of annotations (~25 ms at every start, before
   * the key derivation ahead can begin); a test checks it against the annotations.
   */
  static final Map<String, Class<?>> BY_NAME =
      Map.ofEntries(
          Map.entry("run", RunCommand.class),
          Map.entry("config", ConfigCommand.class),
          Map.entry("init", InitCommand.class),
          Map.entry("backup", BackupCommand.class),
          Map.entry("snapshots", SnapshotsCommand.class),
          Map.entry("restore", RestoreCommand.class),
          Map.entry("restore-db", RestoreDbCommand.class),
          Map.entry("restore-test", RestoreTestCommand.class),
          Map.entry("rotate-logs", RotateLogsCommand.class),
          Map.entry("logs", LogsCommand.class),
          Map.entry("analyze-logs", AnalyzeLogsCommand.class),
          Map.entry("sample", SampleCommand.class),
          Map.entry("key", KeyCommand.class),
          Map.entry("check", CheckCommand.class),
          Map.entry("forget", ForgetCommand.class));

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
        Class<?> c = BY_NAME.get(a);
        return c != null ? List.of(c) : COMMANDS;
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
