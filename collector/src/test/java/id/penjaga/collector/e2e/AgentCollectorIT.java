package id.penjaga.collector.e2e;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both daemons as real processes from their jars: an agent whose heartbeats wait in its spool
 * until the collector comes up, an agent with a wrong token, clean stops on SIGTERM, and figures
 * that survive a restart of the collector.
 */
class AgentCollectorIT extends DaemonTest {

  final HttpClient http = HttpClient.newHttpClient();
  int collectorPort;
  int agentMetricsPort;

  @BeforeEach
  void configure() throws IOException {
    assertThat(AGENT_JAR).as("build the agent first (mvn package)").exists();
    assertThat(COLLECTOR_JAR).exists();
    collectorPort = freePort();
    agentMetricsPort = freePort();
    secret("tokens/lpse-demo", "e2e-token-demo");
    secret("tokens/lpse-other", "e2e-token-other");
    secret("wrong.token", "not-the-token");
    Files.writeString(
        dir.resolve("collector.yaml"),
        String.join(
            "\n",
            "collector:",
            "  listen: 127.0.0.1:" + collectorPort,
            "  store: " + TestStores.yaml(dir.resolve("collector.db")),
            "agents:",
            "  lpse-demo:",
            "    token-file: " + dir.resolve("tokens/lpse-demo"),
            "  lpse-other:",
            "    token-file: " + dir.resolve("tokens/lpse-other"),
            ""));
    Files.writeString(
        dir.resolve("agent.yaml"),
        agentConfig("lpse-demo", dir.resolve("tokens/lpse-demo"), "127.0.0.1:" + agentMetricsPort));
    Files.writeString(
        dir.resolve("agent-other.yaml"),
        agentConfig("lpse-other", dir.resolve("wrong.token"), null));
  }

  String agentConfig(String id, Path token, String metrics) {
    return String.join(
        "\n",
        "agent:",
        "  id: " + id,
        "  state-dir: " + dir.resolve("state-" + id),
        "collector:",
        "  url: http://127.0.0.1:" + collectorPort,
        "  token-file: " + token,
        "  timeout: 2s",
        "metrics:",
        metrics == null ? "  enabled: false" : "  listen: " + metrics,
        "heartbeat:",
        "  interval: 1s",
        "");
  }

  @Test
  void heartbeatsReachTheCollectorAndWrongTokensDoNot() throws Exception {
    Process agent = start(AGENT_JAR, "agent.yaml", "agent.log");
    Process other = start(AGENT_JAR, "agent-other.yaml", "agent-other.log");
    // The collector is not there yet: heartbeats wait in the spool.
    waitFor(Duration.ofSeconds(30), () -> spooled("lpse-demo") >= 3);

    Process collector = start(COLLECTOR_JAR, "collector.yaml", "collector.log");
    waitFor(Duration.ofSeconds(40), () -> metrics(collectorPort).contains("agent=\"lpse-demo\""));
    waitFor(Duration.ofSeconds(30), () -> log("agent-other.log").contains("HTTP 401"));

    // Every heartbeat spooled while the collector was down arrived, from seq 1, once.
    long[] seqs = seqRange("lpse-demo");
    assertThat(seqs[0]).isEqualTo(1);
    assertThat(seqs[2]).isEqualTo(seqs[1] - seqs[0] + 1); // no gaps
    assertThat(seqs[2]).isGreaterThanOrEqualTo(3);
    assertThat(rows("SELECT count(*) FROM report WHERE agent = 'lpse-other'")).isZero();
    assertThat(metrics(collectorPort))
        .containsPattern("penjaga_agent_last_seen_timestamp_seconds\\{agent=\"lpse-demo\"} [0-9.E]+")
        .doesNotContain("agent=\"lpse-other\"")
        .containsPattern("penjaga_ingest_reports_total\\{result=\"unauthorized\"} [1-9]");
    assertThat(metrics(agentMetricsPort))
        .containsPattern("penjaga_reports_sent_total\\{agent=\"lpse-demo\"} [1-9]");

    // SIGTERM: both daemons stop cleanly and say so.
    assertThat(stop(agent)).isIn(0, 143);
    assertThat(log("agent.log")).contains("penjaga-agent stopped");
    assertThat(stop(other)).isIn(0, 143);
    assertThat(stop(collector)).isIn(0, 143);
    assertThat(log("collector.log")).contains("penjaga-collector stopped");
    assertThat(log("agent.log") + log("collector.log") + log("agent-other.log"))
        .doesNotContain("e2e-token-demo")
        .doesNotContain("e2e-token-other")
        .doesNotContain("not-the-token");

    // The collector's figures come from its store: they survive a restart.
    long before = rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo'");
    start(COLLECTOR_JAR, "collector.yaml", "collector2.log");
    waitFor(Duration.ofSeconds(40), () -> metrics(collectorPort).contains("agent=\"lpse-demo\""));
    assertThat(rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo'")).isEqualTo(before);
  }

  @Test
  void anAgentKilledMidSendLosesNoSpooledReportAndDuplicatesNone() throws Exception {
    // Heartbeats and capacity summaries every second pile up while the collector is away.
    Files.writeString(
        dir.resolve("agent.yaml"),
        Files.readString(dir.resolve("agent.yaml")).replace("  timeout: 2s\n", "  timeout: 2s\n  batch-size: 2\n")
            + "capacity:\n  interval: 1s\n  period: 1s\n  samplers: [memory, filesystems]\n");
    Process agent = start(AGENT_JAR, "agent.yaml", "agent.log");
    waitFor(Duration.ofSeconds(60), () -> spooled("lpse-demo") >= 20);
    start(COLLECTOR_JAR, "collector.yaml", "collector.log");
    // Kill -9 the agent while it is sending: some reports stored, others still spooled.
    waitFor(Duration.ofSeconds(40), () -> {
      try {
        return rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo'") > 0;
      } catch (Exception e) {
        return false;
      }
    });
    agent.destroyForcibly();
    assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
    java.util.Set<Long> durable = new java.util.TreeSet<>();
    try (var files = Files.list(dir.resolve("state-lpse-demo/spool"))) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .forEach(n -> durable.add(Long.parseLong(n.substring(0, 20))));
    }
    long storedBefore = rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo'");
    assertThat(durable).as("reports still waiting when the agent died").isNotEmpty();

    Process again = start(AGENT_JAR, "agent.yaml", "agent2.log");
    waitFor(Duration.ofSeconds(60), () -> {
      try {
        return rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo' AND seq = " + ((java.util.TreeSet<Long>) durable).last()) == 1;
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(stop(again)).isIn(0, 143);
    waitFor(Duration.ofSeconds(30), () -> spooled("lpse-demo") == 0 || log("agent2.log").contains("stopped"));
    for (long seq : durable) {
      assertThat(rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo' AND seq = " + seq))
          .as("report %d, spooled when the agent was killed, stored once", seq)
          .isEqualTo(1);
    }
    assertThat(rows("SELECT count(*) FROM (SELECT seq FROM report WHERE agent = 'lpse-demo' GROUP BY seq HAVING count(*) > 1)"))
        .isZero();
    assertThat(rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo'")).isGreaterThan(storedBefore);
    assertThat(rows("SELECT count(*) FROM report WHERE agent = 'lpse-demo' AND type = 'capacity'")).isPositive();
  }

  @Test
  void configCheckFromTheJarsNamesTheLineAndExitsTwo() throws Exception {
    Files.writeString(dir.resolve("bad.yaml"), "agent:\n  id: lpse-demo\nheartbeat:\n  intervl: 1m\n");
    ProcessBuilder pb =
        new ProcessBuilder("java", "-jar", AGENT_JAR.toString(), "-c", dir.resolve("bad.yaml").toString(), "config", "check")
            .redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).isEqualTo(2);
    assertThat(out).contains("bad.yaml:4:").contains("heartbeat.intervl").contains("did you mean 'interval'?");

    Process ok =
        new ProcessBuilder("java", "-jar", COLLECTOR_JAR.toString(), "-c", dir.resolve("collector.yaml").toString(), "config", "check")
            .redirectErrorStream(true)
            .start();
    String okOut = new String(ok.getInputStream().readAllBytes());
    assertThat(ok.waitFor()).as(okOut).isZero();
    assertThat(okOut).contains("OK");
  }

  static int stop(Process p) throws InterruptedException {
    p.destroy(); // SIGTERM
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s of SIGTERM").isTrue();
    return p.exitValue();
  }

  String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return "";
    }
  }

  long spooled(String agent) {
    try (var s = Files.list(dir.resolve("state-" + agent).resolve("spool"))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  String metrics(int port) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  long rows(String sql) throws Exception {
    try (Connection c = TestStores.connect(dir.resolve("collector.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** min(seq), max(seq), count(*) of an agent's stored reports. */
  long[] seqRange(String agent) throws Exception {
    try (Connection c = TestStores.connect(dir.resolve("collector.db"));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT min(seq), max(seq), count(*) FROM report WHERE agent = '" + agent + "'")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
    }
  }

}
