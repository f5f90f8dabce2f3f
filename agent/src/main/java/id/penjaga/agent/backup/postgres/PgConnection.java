package id.penjaga.agent.backup.postgres;

import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How to reach one PostgreSQL server with its own client programs ({@code psql}, {@code pg_dump},
 * {@code pg_restore}). Connection settings go to the programs through libpq's environment
 * ({@code PGHOST}, {@code PGPORT}, {@code PGUSER}, {@code PGDATABASE}), and a password through a
 * private pgpass file (mode 0600, removed on {@link #close()}): never on a command line, where
 * {@code ps} would show it.
 */
public final class PgConnection implements AutoCloseable {
  /** Where Debian's postgresql-client-N packages put their programs. */
  static final Path DEBIAN_LIB = Path.of("/usr/lib/postgresql");

  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

  private final AgentConfig.Source source;
  private final Path libRoot;
  private Path passFile;
  private Path binDir;
  private int serverMajor;

  public PgConnection(AgentConfig.Source source) {
    this(source, DEBIAN_LIB);
  }

  PgConnection(AgentConfig.Source source, Path libRoot) {
    this.source = source;
    this.libRoot = libRoot;
  }

  public AgentConfig.Source source() {
    return source;
  }

  /** A process of one of the client programs, connected to {@code database}. */
  ProcessBuilder process(String database, List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PG"));
    env.put("PGHOST", source.host());
    env.put("PGPORT", Integer.toString(source.port()));
    env.put("PGUSER", source.user());
    env.put("PGDATABASE", database);
    env.put("PGCONNECT_TIMEOUT", "30");
    env.put("PGAPPNAME", "penjaga-agent");
    env.put("PGCLIENTENCODING", "UTF8");
    env.put("LC_ALL", "C.UTF-8");
    env.put("PGPASSFILE", passFile().toString());
    return pb;
  }

  /**
   * The pgpass file the programs read: the configured password for this server, or an empty file
   * (peer or trust authentication) so that no other pgpass file of the user applies.
   */
  private synchronized Path passFile() throws IOException {
    if (passFile == null) {
      Path f =
          Files.createTempFile(
              "penjaga-pgpass-",
              "",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      String line = "";
      if (source.passwordFile() != null) {
        line = "*:*:*:*:" + escape(source.passwordFile().read()) + "\n";
      }
      Files.writeString(f, line, StandardCharsets.UTF_8);
      passFile = f;
    }
    return passFile;
  }

  /** pgpass fields escape ':' and '\' with a backslash. */
  static String escape(String s) {
    return s.replace("\\", "\\\\").replace(":", "\\:");
  }

  /**
   * The directory of the client programs to use: {@code bin-dir} when configured; otherwise those
   * of the server's own major version, else the newest installed that is newer (pg_dump can
   * dump older servers, not newer ones).
   */
  public synchronized Path binDir() throws IOException {
    if (binDir != null) {
      return binDir;
    }
    if (source.binDir() != null) {
      Path d = source.binDir();
      if (!Files.isExecutable(d.resolve("pg_dump"))) {
        throw new IOException("bin-dir " + d + " has no pg_dump program");
      }
      binDir = d;
      return d;
    }
    List<Path> candidates = installed();
    if (candidates.isEmpty()) {
      throw new IOException(
          "no PostgreSQL client programs found (pg_dump in " + libRoot + "/N/bin or on PATH);"
              + " install postgresql-client or set bin-dir");
    }
    int major = serverMajor(candidates.get(0));
    Optional<Path> best =
        candidates.stream()
            .filter(d -> majorOf(d) >= major)
            .min(Comparator.comparingInt(PgConnection::majorOf));
    if (best.isEmpty()) {
      throw new IOException(
          "the server runs PostgreSQL " + major + " but the newest pg_dump here is "
              + majorOf(candidates.get(0)) + ", which cannot dump it; install postgresql-client-"
              + major + " or set bin-dir");
    }
    binDir = best.get();
    return binDir;
  }

  /** The server's major version, known once {@link #binDir()} has asked it. */
  public int serverMajor() {
    return serverMajor;
  }

  /** Directories holding pg_dump, newest version first. */
  private List<Path> installed() throws IOException {
    List<Path> dirs = new ArrayList<>();
    if (Files.isDirectory(libRoot)) {
      try (Stream<Path> s = Files.list(libRoot)) {
        s.map(p -> p.resolve("bin"))
            .filter(p -> Files.isExecutable(p.resolve("pg_dump")))
            .forEach(dirs::add);
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(":")) {
        Path d = Path.of(p.isEmpty() ? "." : p);
        if (Files.isExecutable(d.resolve("pg_dump")) && dirs.stream().noneMatch(x -> same(x, d))) {
          dirs.add(d);
        }
      }
    }
    dirs.removeIf(d -> majorOf(d) < 0);
    dirs.sort(Comparator.comparingInt(PgConnection::majorOf).reversed());
    return dirs;
  }

  private static boolean same(Path a, Path b) {
    try {
      return Files.isSameFile(a.resolve("pg_dump"), b.resolve("pg_dump"));
    } catch (IOException e) {
      return false;
    }
  }

  /** The major version of the pg_dump in {@code dir}, or -1 when it does not say. */
  static int majorOf(Path dir) {
    try {
      Process p = new ProcessBuilder(dir.resolve("pg_dump").toString(), "--version").start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      Matcher m = VERSION.matcher(out);
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The version line of a program, e.g. "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)". */
  String versionOf(String program) throws IOException {
    Process p = new ProcessBuilder(binDir().resolve(program).toString(), "--version").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  private int serverMajor(Path anyBin) throws IOException {
    String maintenance = source.allDatabases() ? "postgres" : source.database();
    try (PsqlSession s = new PsqlSession(this, anyBin, maintenance)) {
      int num = Integer.parseInt(s.query("SHOW server_version_num").strip());
      serverMajor = num / 10000;
      return serverMajor;
    }
  }

  /** Where the server is, for messages: "/var/run/postgresql:5432 as postgres". */
  public String describe() {
    return source.host() + ":" + source.port() + " as " + source.user();
  }

  @Override
  public synchronized void close() {
    if (passFile != null) {
      try {
        Files.deleteIfExists(passFile);
      } catch (IOException e) {
        // the temp file is private (0600); nothing more to do
      }
      passFile = null;
    }
  }
}
