package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fault drill: the collector killed (-9) and away while the agent goes on making reports (a
 * heartbeat and a capacity record every second): they wait in the agent's spool, and when the
 * collector is back every one of them arrives, once, with no gap in the agent's numbering. 30 s
 * away by default (about 60 reports; the suite's time is kept under 15 minutes), 5 minutes with
 * {@code -Dpenjaga.drills=long} (about 600).
 */
class CollectorOutageDrillIT extends DaemonTest {
  static final boolean LONG = "long".equals(System.getProperty("penjaga.drills"));


  @Test
  void everyReportMadeWhileTheCollectorWasAwayArrivesOnce() throws Exception {
    Duration away = LONG ? Duration.ofMinutes(5) : Duration.ofSeconds(30);
    int port = freePort();
    Path token = dir.resolve("token");
    Files.writeString(token, "outage-token-31c\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("collector.yaml"), String.join("\n",
        "collector:", "  listen: 127.0.0.1:" + port, "  store: " + TestStores.yaml(dir.resolve("collector.db")),
        "  rate-limit: 200",
        "agents:", "  lpse-outage:", "    token-file: " + token, ""));
    Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
        "agent:", "  id: lpse-outage", "  state-dir: " + dir.resolve("state"),
        "collector:", "  url: http://127.0.0.1:" + port, "  token-file: " + token, "  timeout: 2s",
        "capacity:", "  interval: 1s", "  period: 1s", "  samplers: [cpu, memory, filesystems]",
        "metrics:", "  enabled: false",
        "heartbeat:", "  interval: 1s", ""));
    Process collector = start(COLLECTOR_JAR, "collector.yaml", "collector.log");
    start(AGENT_JAR, "agent.yaml", "agent.log");
    waitFor(Duration.ofSeconds(60), () -> stored()[2] >= 3);

    collector.destroyForcibly();
    collector.waitFor(10, TimeUnit.SECONDS);
    long before = stored()[2];
    Thread.sleep(away.toMillis());
    long waiting = spooled();
    assertThat(waiting).as("reports waiting in the spool after %s away", away).isGreaterThanOrEqualTo(LONG ? 500 : 50);

    long t0 = System.nanoTime();
    start(COLLECTOR_JAR, "collector.yaml", "collector.log");
    waitFor(Duration.ofSeconds(180), () -> stored()[2] >= before + waiting);
    double seconds = (System.nanoTime() - t0) / 1e9;
    long[] s = stored();
    // min, max, count: numbered from 1 without a gap, each once.
    assertThat(s[0]).isEqualTo(1);
    assertThat(s[2]).as("no gap, none twice").isEqualTo(s[1]);
    assertThat(s[3]).as("capacity records among them").isGreaterThanOrEqualTo(waiting / 3);
    System.out.printf("collector outage drill: %s away, %d reports spooled, all %d delivered once in %.1f s after it came back%n",
        away, waiting, s[2], seconds);
  }

  /** min(seq), max(seq), count(*), capacity records of the agent at the collector. */
  long[] stored() {
    try (Connection c = TestStores.connect(dir.resolve("collector.db"));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0), count(*),"
            + " sum(CASE WHEN type = 'capacity' THEN 1 ELSE 0 END) FROM report WHERE agent = 'lpse-outage'")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
    } catch (Exception e) {
      return new long[] {0, 0, 0, 0};
    }
  }

  long spooled() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("state/spool"))) {
      return s.filter(p -> p.toString().endsWith(".json")).count();
    }
  }

}
