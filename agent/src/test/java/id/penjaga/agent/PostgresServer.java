package id.penjaga.agent;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server of the Debian packages, for one test class: initdb and pg_ctl in a
 * temporary directory on a free port, as the {@code postgres} user when the tests run as root
 * (PostgreSQL refuses root). Local (socket) connections trust; TCP connections on 127.0.0.1 need
 * a password (scram-sha-256). Stopped and removed by {@link #close()}.
 */
public final class PostgresServer implements AutoCloseable {
  public final Path dir;
  public final Path socketDir;
  public final Path bin;
  public final int port;
  private final boolean asRoot;

  private PostgresServer(Path dir, Path bin, int port, boolean asRoot) {
    this.dir = dir;
    this.socketDir = dir;
    this.bin = bin;
    this.port = port;
    this.asRoot = asRoot;
  }

  /** The newest installed server's bin directory, or null when none is installed. */
  public static Path installedBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.map(p -> p.resolve("bin"))
          .filter(p -> Files.isExecutable(p.resolve("initdb")))
          .max(Comparator.comparing(p -> Integer.parseInt(p.getParent().getFileName().toString())))
          .orElse(null);
    }
  }

  public static PostgresServer start() throws IOException, InterruptedException {
    Path bin = installedBin();
    if (bin == null) {
      throw new IllegalStateException("PostgreSQL server not installed (apt-get install postgresql)");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("penjaga-pg-");
    if (root) {
      run(List.of("chown", "postgres:postgres", dir.toString()), false);
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PostgresServer pg = new PostgresServer(dir, bin, port, root);
    pg.as(
        List.of(
            bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"));
    pg.startAgain();
    return pg;
  }

  /** Starts the server (again, after {@link #stop()}) on the same port and files. */
  public void startAgain() throws IOException, InterruptedException {
    as(
        List.of(
            bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
            "-l", dir.resolve("server.log").toString(),
            "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c full_page_writes=off -c shared_buffers=64MB",
            "start"));
  }

  private void as(List<String> command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asRoot) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    run(cmd, true);
  }

  private static String run(List<String> cmd, boolean check) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(cmd.get(0) + " did not finish: " + out);
    }
    if (check && p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    }
    return out;
  }

  /** Runs SQL in {@code database} as postgres over the socket; returns psql's unaligned output. */
  public String sql(String database, String sql) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            bin.resolve("psql").toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", socketDir.toString(), "-p", Integer.toString(port), "-U", "postgres", "-d", database);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    p.getOutputStream().write(sql.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(300, TimeUnit.SECONDS);
    if (p.exitValue() != 0) {
      throw new IOException("psql failed: " + out);
    }
    return out.strip();
  }

  /** Stops the server and removes its files. */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      as(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Stops the server (to test a server that is down), keeping its files. */
  public void stop() throws IOException, InterruptedException {
    as(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"));
  }
}
