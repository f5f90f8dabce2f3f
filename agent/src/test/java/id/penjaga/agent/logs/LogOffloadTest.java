package id.penjaga.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.cli.CliRun;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log file system runs short (a 4 MiB tmpfs): old rotated logs move into the repository, are
 * deleted locally only after that, and come back byte for byte; with the repository away nothing
 * is deleted and the failure is reported.
 */
class LogOffloadTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  Path mount;
  Path config;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
    }
  }

  CliRun cli(String... args) {
    return CliRun.with(config, args);
  }

  @Test
  void oldLogsMoveToTheRepositoryWhenSpaceRunsShortAndComeBack() throws Exception {
    Path m = Files.createDirectories(dir.resolve("varlog"));
    boolean root = "root".equals(System.getProperty("user.name"));
    int rc = root ? new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", m.toString()).start().waitFor() : 1;
    if (System.getenv("CI") != null) {
      assertThat(rc).as("CI runs as root and can mount a tmpfs").isZero();
    }
    assumeTrue(rc == 0, "needs root to mount a small tmpfs");
    mount = m;
    Path logs = Files.createDirectories(m.resolve("spse"));
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    Files.createDirectories(dir.resolve("file"));
    config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass, dir.resolve("file"),
            "logs:",
            "  spse:",
            "    paths: [\"" + logs + "/*.log\"]",
            "    size: 1KiB",
            "    rotate: 30",
            "    compress: none",
            "    offload-min-free: 50%");
    assertThat(cli("init").exit()).isZero();

    Random r = new Random(11);
    Map<String, byte[]> written = new HashMap<>();
    FileStore store = Files.getFileStore(logs);
    int round = 0;
    JsonNode moved = null;
    while (moved == null && round < 12) {
      round++;
      byte[] b = new byte[400_000];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) ('a' + r.nextInt(26));
      }
      b[b.length - 1] = '\n';
      Files.write(logs.resolve("app.log"), b);
      written.put("round-" + round, b);
      CliRun pass1 = cli("rotate-logs", "--json");
      assertThat(pass1.exit()).as(pass1.out() + pass1.err()).isZero();
      JsonNode set = JSON.readTree(pass1.out()).path("sets").get(0);
      if (set.path("offloaded").size() > 0) {
        moved = set;
      }
    }
    assertThat(moved).as("space ran short within 12 rounds").isNotNull();
    assertThat(moved.path("offload_reason").asText()).contains("below 50%");
    assertThat(store.getUsableSpace()).isGreaterThanOrEqualTo(store.getTotalSpace() / 2);
    // The oldest went first, and they are gone from the log file system.
    String oldest = logs.resolve("app.log." + round).toString();
    assertThat(moved.path("offloaded").toString()).contains(oldest);
    for (JsonNode p : moved.path("offloaded")) {
      assertThat(Path.of(p.asText())).doesNotExist();
    }

    CliRun list = cli("logs", "list", "--json");
    assertThat(list.exit()).isZero();
    JsonNode listed = JSON.readTree(list.out()).path("logs");
    assertThat(listed.size()).isEqualTo(moved.path("offloaded").size());
    assertThat(listed.get(0).path("set").asText()).isEqualTo("spse");

    // app.log.N holds what round (round - N + 1) wrote.
    CliRun back = cli("logs", "restore", oldest, "--target", dir.resolve("kembali").toString());
    assertThat(back.exit()).as(back.err()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("kembali/app.log." + round))).isEqualTo(written.get("round-1"));

    // Retention never forgets offloaded logs.
    Files.writeString(config, Files.readString(config) + "retention:\n  keep-last: 1\n");
    assertThat(cli("forget", "--prune").exit()).isZero();
    assertThat(JSON.readTree(cli("logs", "list", "--json").out()).path("logs").size()).isEqualTo(listed.size());

    // The backup disk goes away: the next offload fails loudly and deletes nothing.
    Files.move(dir.resolve("usb"), dir.resolve("usb-lepas"));
    List<Path> before;
    CliRun failing = null;
    for (int i = 0; i < 6; i++) {
      byte[] b = new byte[400_000];
      java.util.Arrays.fill(b, (byte) 'x');
      Files.write(logs.resolve("app.log"), b);
      failing = cli("rotate-logs", "--json");
      if (failing.exit() != 0) {
        break;
      }
    }
    assertThat(failing.exit()).isEqualTo(1);
    assertThat(failing.out()).contains("the logs stay where they are");
    try (Stream<Path> s = Files.list(logs)) {
      before = s.toList();
    }
    assertThat(before.size()).isGreaterThan(3);
    assertThat(Files.readString(dir.resolve("state/records.jsonl"))).contains("\"kind\":\"log-rotation\"");
  }
}
