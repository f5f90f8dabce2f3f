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

  private final java.util.function.Supplier<Double> clockOffset;

  public HeartbeatTask(Spool spool, Clock clock) {
    this(spool, clock, () -> null);
  }

  /** {@code clockOffset}: the collector's clock minus the agent's, in seconds, or null if unknown. */
  public HeartbeatTask(Spool spool, Clock clock, java.util.function.Supplier<Double> clockOffset) {
    this.spool = spool;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.clockOffset = clockOffset;
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
    Double offset = clockOffset.get();
    if (offset != null) {
      body.put("clock_offset_seconds", offset);
    }
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
