package id.penjaga.agent.backup;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.AgentFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills {@code penjaga-agent backup} (SIGKILL) at random moments, many times, and shows that the
 * repository still passes {@code check} after every kill, and that the next backup completes and
 * restores byte for byte. {@code -Dpenjaga.drills=long} runs 40 kills instead of 8.
 */
class BackupCrashIT {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath();
  static final Path JAR = ROOT.resolve("agent/target/penjaga-agent.jar");

  @TempDir Path dir;

  record Run(int exit, String output) {}

  Run cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", JAR.toString(), "-c", dir.resolve("agent.yaml").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void killedBackupsLeaveARepositoryThatChecksAndCompletes() throws Exception {
    Path source = Files.createDirectories(dir.resolve("file"));
    Random r = new Random(2026);
    for (int i = 0; i < 60; i++) {
      byte[] b = new byte[200_000 + r.nextInt(2_000_000)];
      if (i % 3 == 0) {
        java.util.Arrays.fill(b, (byte) ('a' + i % 26));
      } else {
        r.nextBytes(b);
      }
      Path f = source.resolve("paket-" + (i % 7)).resolve("dok-" + i + ".pdf");
      Files.createDirectories(f.getParent());
      Files.write(f, b);
    }
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "rahasia-uji");
    AgentFixtures.backupConfig(
        dir.resolve("agent.yaml"), "lpse-crash", dir.resolve("state"), dir.resolve("repo"), pass, source);
    Run init = cli("init");
    assertThat(init.exit()).as(init.output()).isZero();

    long t0 = System.nanoTime();
    Run full = cli("backup");
    assertThat(full.exit()).as(full.output()).isZero();

    // One incremental run measures how long a backup with a little new data takes: the kills
    // land inside that window.
    for (int j = 0; j < 5; j++) {
      byte[] b = new byte[1_000_000];
      r.nextBytes(b);
      Files.write(source.resolve("paket-" + j).resolve("awal-" + j + ".pdf"), b);
    }
    t0 = System.nanoTime();
    assertThat(cli("backup").exit()).isZero();
    long incrementalMs = (System.nanoTime() - t0) / 1_000_000;

    int kills = "long".equals(System.getProperty("penjaga.drills")) ? 40 : 8;
    int checked = 0;
    for (int i = 0; i < kills; i++) {
      // New data each round, so every backup has work to be killed in.
      for (int j = 0; j < 5; j++) {
        byte[] b = new byte[500_000 + r.nextInt(1_500_000)];
        r.nextBytes(b);
        Files.write(source.resolve("paket-" + j).resolve("baru-" + i + "-" + j + ".pdf"), b);
      }
      Process p =
          new ProcessBuilder("java", "-Xmx256m", "-jar", JAR.toString(), "-c", dir.resolve("agent.yaml").toString(), "backup")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("killed-" + i + ".log").toFile())
              .start();
      // Within the first 70% of a run's measured length, so that (on a busy machine too) most
      // kills cut a backup short somewhere between start and snapshot.
      Thread.sleep(50 + r.nextInt((int) Math.max(100, incrementalMs * 7 / 10)));
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      Run check = cli("check");
      assertThat(check.exit()).as("check after kill " + i + ":\n" + check.output()).isZero();
      checked++;
    }
    assertThat(checked).isEqualTo(kills);
    // Most kills must have cut a backup short, or the test proves nothing.
    Run list = cli("snapshots", "--json");
    int snapshots = list.output().split("\"short_id\"", -1).length - 1;
    assertThat(snapshots).as("snapshots after %d kills", kills).isLessThan(2 + kills / 2);

    Run after = cli("backup", "--json");
    assertThat(after.exit()).as(after.output()).isZero();
    Run data = cli("check", "--read-data");
    assertThat(data.exit()).as(data.output()).isZero();
    Run restore = cli("restore", "latest", "--target", dir.resolve("restored").toString());
    assertThat(restore.exit()).as(restore.output()).isZero();
    assertThat(tree(dir.resolve("restored"))).isEqualTo(tree(source));
  }

  static List<String> tree(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted().toList()) {
        String rel = root.relativize(p).toString();
        out.add(Files.isRegularFile(p) ? rel + " " + java.util.Arrays.hashCode(Files.readAllBytes(p)) : rel);
      }
    }
    return out;
  }
}
