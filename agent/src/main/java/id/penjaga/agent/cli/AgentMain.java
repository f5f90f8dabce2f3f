package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
  /**
   * The subcommands by the name their {@code @Command} gives, in the order the usage help lists
   * them, so that finding the command named costs no reading of annotations (~25 ms at every
   * start, before the key derivation ahead can begin); a test checks it against the annotations.
   */
  static final Map<String, Class<?>> BY_NAME = byName();

  private static Map<String, Class<?>> byName() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("run", RunCommand.class);
    m.put("config", ConfigCommand.class);
    m.put("init", InitCommand.class);
    m.put("backup", BackupCommand.class);
    m.put("snapshots", SnapshotsCommand.class);
    m.put("restore", RestoreCommand.class);
    m.put("restore-db", RestoreDbCommand.class);
    m.put("restore-test", RestoreTestCommand.class);
    m.put("rotate-logs", RotateLogsCommand.class);
    m.put("logs", LogsCommand.class);
    m.put("analyze-logs", AnalyzeLogsCommand.class);
    m.put("sample", SampleCommand.class);
    m.put("key", KeyCommand.class);
    m.put("check", CheckCommand.class);
    m.put("forget", ForgetCommand.class);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Every subcommand, help last. */
  private static final List<Class<?>> COMMANDS = everyCommand();

  private static List<Class<?>> everyCommand() {
    List<Class<?>> all = new ArrayList<>(BY_NAME.values());
    all.add(CommandLine.HelpCommand.class);
    return List.copyOf(all);
  }

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
    NativeLibraries.useUnpacked();
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
    return Prestart.config(configFile);
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
