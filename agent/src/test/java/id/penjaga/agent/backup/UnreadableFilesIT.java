package id.penjaga.agent.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import id.penjaga.agent.AgentFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent as an unprivileged user (as under systemd, User=penjaga) meets a file and a directory
 * it may not read: both are reported by path and counted, the backup still makes its snapshot, and
 * the run is a warning, not a failure. Needs root to switch to the user {@code nobody}.
 */
class UnreadableFilesIT {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath();
  static final Path JAR = ROOT.resolve("agent/target/penjaga-agent.jar");

  static String run(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", "java", "-jar", JAR.toString(), "-c", dir.resolve("agent.yaml").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return p.exitValue() + "\n" + out;
  }

  @Test
  void unreadableFilesAreReportedAndCountedNotFatal() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run the agent as nobody");
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "penjaga-unreadable");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path source = Files.createDirectories(dir.resolve("file/paket"));
    Files.writeString(source.resolve("boleh.pdf"), "dibaca");
    Path secret = source.resolve("rahasia.pdf");
    Files.writeString(secret, "tidak boleh");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    Path closed = Files.createDirectories(dir.resolve("file/tertutup"));
    Files.writeString(closed.resolve("dalam.pdf"), "x");
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    for (Path p : List.of(dir.resolve("file"), source)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(source.resolve("boleh.pdf"), PosixFilePermissions.fromString("rw-r--r--"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Path pass = AgentFixtures.secret(work.resolve("repo.pass"), "sandi");
    AgentFixtures.backupConfig(
        dir.resolve("agent.yaml"), "lpse-nobody", work.resolve("state"), work.resolve("repo"), pass,
        dir.resolve("file"));
    Process chown = new ProcessBuilder("chown", "-R", "nobody:nogroup", work.toString()).start();
    assertThat(chown.waitFor()).isZero();
    try {
      String init = run(dir, "init");
      assertThat(init).as(init).startsWith("0\n");
      String backup = run(dir, "backup", "--json");
      assertThat(backup).as(backup).startsWith("0\n");
      assertThat(backup)
          .contains("\"result\" : \"warning\"")
          .contains(secret + ": permission denied")
          .contains(closed + ": cannot list directory: permission denied")
          .contains("\"errors\" : 2");
      String restore = run(dir, "restore", "latest", "--target", work.resolve("back").toString());
      assertThat(restore).as(restore).startsWith("0\n");
      assertThat(Files.readString(work.resolve("back/paket/boleh.pdf"))).isEqualTo("dibaca");
      // The spooled backup-run record says the same, for the collector.
      try (var s = Files.list(work.resolve("state/spool"))) {
        String record = Files.readString(s.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow());
        assertThat(record).contains("\"result\":\"warning\"").contains("rahasia.pdf: permission denied");
      }
    } finally {
      new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }
  }
}
