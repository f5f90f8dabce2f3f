package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.TestStores;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fault drill: the agent killed (-9) at random moments of a backup, of a prune and of the daemon
 * sending its spool, in a loop bounded in time (12 kills, or 50 with {@code -Dpenjaga.drills=long}).
 * After every kill the repository passes {@code check}; at the end the daemon delivers what is
 * left, and every record of the agent's journal is at the collector, none twice.
 */
class AgentKillDrillIT extends DaemonTest {
  static final boolean LONG = "long".equals(System.getProperty("penjaga.drills"));


  @Test
  void killedBackupsPrunesAndSendsLoseNothingAndRepeatNothing() throws Exception {
    int kills = LONG ? 50 : 12;
    long budget = System.nanoTime() + (LONG ? Duration.ofMinutes(25) : Duration.ofMinutes(5)).toNanos();
    Random r = new Random(1042);
    Path source = Files.createDirectories(dir.resolve("file"));
    for (int i = 0; i < 24; i++) {
      write(source.resolve("paket-" + (i % 5)).resolve("dok-" + i + ".pdf"), 200_000 + r.nextInt(800_000), r);
    }
    int port = freePort();
    secret("token", "drill-token-77aa");
    secret("repo.pass", "drill-repository-pass");
    Files.writeString(dir.resolve("collector.yaml"), String.join("\n",
        "collector:", "  listen: 127.0.0.1:" + port, "  store: " + TestStores.yaml(dir.resolve("collector.db")),
        "agents:", "  lpse-drill:", "    token-file: " + dir.resolve("token"), ""));
    Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
        "agent:", "  id: lpse-drill", "  state-dir: " + dir.resolve("state"),
        "collector:", "  url: http://127.0.0.1:" + port, "  token-file: " + dir.resolve("token"), "  timeout: 2s",
        "repository:", "  path: " + dir.resolve("repo"), "  password-file: " + dir.resolve("repo.pass"),
        "sources:", "  uploads:", "    type: files", "    path: " + source,
        "retention:", "  keep-last: 3",
        "schedule:", "  backup: \"off\"",
        "capacity:", "  enabled: false",
        "metrics:", "  enabled: false",
        "heartbeat:", "  interval: 1s", ""));
    collector = startCollector();
    assertThat(agent("init").exit()).isZero();
    assertThat(agent("backup").exit()).isZero();
    // How long an incremental backup and a prune take here, whole processes: the kills land inside.
    for (int j = 0; j < 3; j++) {
      write(source.resolve("paket-" + j).resolve("awal-" + j + ".pdf"), 600_000, r);
    }
    long t0 = System.nanoTime();
    assertThat(agent("backup").exit()).isZero();
    long backupMs = (System.nanoTime() - t0) / 1_000_000;
    t0 = System.nanoTime();
    assertThat(agent("forget", "--prune").exit()).isZero();
    long forgetMs = (System.nanoTime() - t0) / 1_000_000;

    Map<String, Integer> killed = new HashMap<>();
    Map<String, Integer> finished = new HashMap<>();
    int done = 0;
    for (int i = 0; i < kills && System.nanoTime() < budget; i++) {
      String op = List.of("backup", "forget", "send").get(i % 3);
      List<String> args = switch (op) {
        case "backup" -> {
          for (int j = 0; j < 3; j++) {
            write(source.resolve("paket-" + j).resolve("baru-" + i + "-" + j + ".pdf"), 300_000 + r.nextInt(700_000), r);
          }
          yield List.of("backup");
        }
        case "forget" -> List.of("forget", "--prune");
        default -> {
          // A backup that finishes while the collector is away: its record waits in the spool for
          // the daemon, which is killed while sending.
          collector.destroyForcibly();
          collector.waitFor(10, TimeUnit.SECONDS);
          write(source.resolve("paket-4").resolve("lagi-" + i + ".pdf"), 200_000, r);
          Outcome full = agent("backup");
          assertThat(full.exit()).as(full.out()).isZero();
          collector = startCollector();
          yield List.of("run"); // the daemon: heartbeats, and the spool sent to the collector
        }
      };
      List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", AGENT_JAR.toString(), "-c",
          dir.resolve("agent.yaml").toString()));
      cmd.addAll(args);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("killed-" + i + ".log").toFile()).start();
      // Within a run's measured length (JVM start included), so most are cut somewhere inside; the
      // daemon is cut while it starts, sends the spool or waits.
      long window = switch (op) {
        case "backup" -> backupMs * 9 / 10;
        case "forget" -> forgetMs * 9 / 10;
        default -> 3000;
      };
      Thread.sleep(200 + r.nextInt((int) Math.max(100, window)));
      boolean ran = !p.isAlive();
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      (ran ? finished : killed).merge(op, 1, Integer::sum);
      Outcome check = agent("check");
      assertThat(check.exit()).as("check after killing " + op + " (" + i + "):\n" + check.out()).isZero();
      done++;
      if (i % 4 == 3) { // the collector restarts too now and then, mid-stream
        collector.destroyForcibly();
        collector.waitFor(10, TimeUnit.SECONDS);
        collector = startCollector();
      }
    }
    assertThat(done).as("kills within the time budget").isGreaterThanOrEqualTo(LONG ? 30 : 9);
    assertThat(killed.values().stream().mapToInt(Integer::intValue).sum())
        .as("runs cut short (killed %s, finished %s)", killed, finished).isGreaterThanOrEqualTo(done / 3);
    assertThat(killed.getOrDefault("backup", 0)).as("backups cut short (of %d)", (kills + 2) / 3)
        .isGreaterThanOrEqualTo(done / 6);

    // The daemon delivers what is left in the spool.
    Process daemon = new ProcessBuilder("java", "-Xmx128m", "-jar", AGENT_JAR.toString(), "-c", dir.resolve("agent.yaml").toString(),
        "run").redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
    processes.add(daemon);
    waitFor(Duration.ofSeconds(90), () -> spooled() == 0 && journalAtCollector());
    daemon.destroy();
    daemon.waitFor(30, TimeUnit.SECONDS);

    // Every record the agent made (its journal) is at the collector, once.
    List<JsonObject> journal = journal();
    assertThat(journal).as("records made by the runs that finished").hasSizeGreaterThanOrEqualTo(done / 3);
    Map<Long, String> stored = collectorRecords();
    for (JsonObject rec : journal) {
      assertThat(stored).as("record %d (%s) at the collector", rec.getLong("seq"), rec.getString("type"))
          .containsKey(rec.getLong("seq"));
    }
    Set<String> bodies = new HashSet<>();
    for (String body : stored.values()) {
      assertThat(bodies.add(body)).as("stored twice: " + body).isTrue();
    }
    assertThat(spooled()).isZero();
    assertThat(dir.resolve("state/spool/rejected")).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
    Outcome data = agent("check", "--read-data");
    assertThat(data.exit()).as(data.out()).isZero();
    System.out.printf("agent kill drill: %d kills (%s cut short, %s finished first), %d records, all delivered once%n",
        done, killed, finished, journal.size());
  }

  Process collector;

  Process startCollector() throws IOException {
    return start(COLLECTOR_JAR, "collector.yaml", "collector.log");
  }

  boolean journalAtCollector() {
    try {
      Map<Long, String> stored = collectorRecords();
      return journal().stream().allMatch(j -> stored.containsKey(j.getLong("seq")));
    } catch (Exception e) {
      return false;
    }
  }

  List<JsonObject> journal() throws IOException {
    Path j = dir.resolve("state/records.jsonl");
    if (!Files.exists(j)) {
      return List.of();
    }
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(j)) {
      if (!line.isBlank()) {
        out.add(new JsonObject(line));
      }
    }
    return out;
  }

  /** The collector's records of the agent other than heartbeats: seq → body without seq and time. */
  Map<Long, String> collectorRecords() throws Exception {
    Map<Long, String> out = new HashMap<>();
    try (Connection c = TestStores.connect(dir.resolve("collector.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT seq, body FROM report WHERE agent = 'lpse-drill' AND type <> 'heartbeat'")) {
      while (rs.next()) {
        JsonObject body = new JsonObject(rs.getString(2));
        out.put(rs.getLong(1), body.getString("type") + " " + body.getJsonObject("body").encode());
      }
    }
    return out;
  }

  long spooled() {
    try (Stream<Path> s = Files.list(dir.resolve("state/spool"))) {
      return s.filter(p -> p.toString().endsWith(".json")).count();
    } catch (IOException e) {
      return -1;
    }
  }

  record Outcome(int exit, String out) {}

  Outcome agent(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", AGENT_JAR.toString(), "-c",
        dir.resolve("agent.yaml").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    return new Outcome(p.exitValue(), out);
  }

  static void write(Path f, int size, Random r) throws IOException {
    Files.createDirectories(f.getParent());
    byte[] b = new byte[size];
    r.nextBytes(b);
    Files.write(f, b);
  }
}
