package id.penjaga.agent.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.schedule.ScheduledTask;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Spools a heartbeat: the collector's proof that this agent (and its server) is alive. */
public final class HeartbeatTask implements ScheduledTask {
  private final Spool spool;
  private final Clock clock;
  private final Instant startedAt;

  public HeartbeatTask(Spool spool, Clock clock) {
    this.spool = spool;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  @Override
  public String name() {
    return "heartbeat";
  }

  @Override
  public void run() throws IOException {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("hostname", hostname());
    body.put("started_at", startedAt.toString());
    body.put("uptime_seconds", Duration.between(startedAt, clock.instant()).toSeconds());
    body.put("spool_pending", spool.pendingCount());
    body.put("spool_dropped_samples", spool.droppedSamples());
    spool.append(ReportType.HEARTBEAT, body);
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
