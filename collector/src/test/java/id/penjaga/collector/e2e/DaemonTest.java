package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests that run the daemons as real processes share: the jars, a directory, the
 * processes started (killed at the end, then the database and mail servers), secret files of mode
 * 0600, free ports, waiting.
 */
abstract class DaemonTest {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath();
  static final Path AGENT_JAR = ROOT.resolve("agent/target/penjaga-agent.jar");
  static final Path COLLECTOR_JAR = ROOT.resolve("collector/target/penjaga-collector.jar");

  @TempDir Path dir;
  final List<Process> processes = new ArrayList<>();
  /** A PostgreSQL server and a mail server, for the tests that start them. */
  id.penjaga.agent.PostgresServer pg;
  com.icegreen.greenmail.util.GreenMail smtp;

  /** The processes first, then the servers they use. */
  @AfterEach
  void stopAll() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (smtp != null) {
      smtp.stop();
    }
    if (pg != null) {
      pg.close();
    }
  }

  /** {@code java -jar JAR -c DIR/CONFIG run}, its output appended to DIR/LOG. */
  Process start(Path jar, String config, String log) throws IOException {
    Process p = new ProcessBuilder("java", "-Xmx128m", "-jar", jar.toString(), "-c", dir.resolve(config).toString(), "run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(log).toFile())).start();
    processes.add(p);
    return p;
  }

  /** A secret file of mode 0600 in the test's directory. */
  Path secret(String name, String value) throws IOException {
    Path f = dir.resolve(name);
    Files.createDirectories(f.getParent());
    Files.writeString(f, value + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void waitFor(Duration max, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within " + max).isLessThan(deadline);
      Thread.sleep(200);
    }
  }
}
