package id.penjaga.agent.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failure event: something the agent was to do and did not, with the reason, for Kepala LPSE.
 * {@code kind} says what failed: {@code backup}, {@code check}, {@code prune}, {@code missed-run}
 * (a scheduled run that did not happen on time).
 */
public record FailureEvent(
    String kind, String task, String source, String targetName, String target, Instant occurredAt, String reason) {
  private static final Logger log = LoggerFactory.getLogger(FailureEvent.class);

  public ObjectNode toJson() {
    ObjectNode b = JsonNodeFactory.instance.objectNode();
    b.put("kind", kind);
    b.put("task", task);
    b.put("source", source);
    b.put("target_name", targetName);
    b.put("target", target);
    b.put("occurred_at", occurredAt.toString());
    b.put("reason", reason);
    return b;
  }

  /** Spools the event (and so journals it); a spool that cannot take it is logged loudly. */
  public void report(Spool spool) {
    try {
      spool.append(ReportType.FAILURE, toJson());
    } catch (IOException e) {
      log.error("cannot spool the failure event ({} {}): {}", kind, reason, e.getMessage());
    }
  }
}
