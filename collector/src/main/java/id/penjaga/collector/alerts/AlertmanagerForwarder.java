package id.penjaga.collector.alerts;

import id.penjaga.collector.store.ReportStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the collector's alerts to Alertmanager as Prometheus does: every interval, all firing
 * alerts (ending a few intervals ahead, so they resolve by themselves if the collector stops) and
 * those resolved in the last quarter hour (ending when they resolved), to {@code /api/v2/alerts}.
 * Nothing is queued: each push carries the whole current state, so a push that fails is made good
 * by the next.
 */
public final class AlertmanagerForwarder {
  private static final Logger log = LoggerFactory.getLogger(AlertmanagerForwarder.class);
  private final ReportStore store;
  private final List<URI> alertmanagers;
  private final Duration interval;
  private final String lpse;
  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Counter ok;
  private final Counter failed;
  private volatile boolean lastFailed;

  public AlertmanagerForwarder(ReportStore store, List<URI> alertmanagers, Duration interval, String lpse, String baseUrl,
      MeterRegistry registry) {
    this.store = store;
    this.alertmanagers = alertmanagers;
    this.interval = interval;
    this.lpse = lpse;
    this.baseUrl = baseUrl;
    this.ok = Counter.builder("penjaga.alertmanager.pushes").tag("result", "ok")
        .description("Pushes of the alerts to Alertmanager").register(registry);
    this.failed = Counter.builder("penjaga.alertmanager.pushes").tag("result", "failed")
        .description("Pushes of the alerts to Alertmanager").register(registry);
  }

  /** The alerts as Alertmanager's API takes them. */
  JsonArray alerts() throws SQLException {
    long now = store.clock().millis();
    return store.inTransaction(c -> {
      JsonArray out = new JsonArray();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, agent, name, kind, subject, severity, state, summary, started_ms, resolved_ms FROM alert"
              + " WHERE state = 'firing' OR (state = 'resolved' AND resolved_ms > ?)")) {
        ps.setLong(1, now - Duration.ofMinutes(15).toMillis());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            JsonObject labels = new JsonObject().put("alertname", rs.getString(3)).put("agent", rs.getString(2))
                .put("severity", rs.getString(6)).put("kind", rs.getString(4)).put("lpse", lpse);
            if (rs.getString(5) != null) {
              labels.put("subject", rs.getString(5));
            }
            boolean firing = "firing".equals(rs.getString(7));
            long ends = firing ? now + interval.multipliedBy(4).toMillis() : rs.getLong(10);
            JsonObject a = new JsonObject().put("labels", labels)
                .put("annotations", new JsonObject().put("summary", rs.getString(8)).put("penjaga_alert_id", rs.getString(1)))
                .put("startsAt", Instant.ofEpochMilli(rs.getLong(9)).toString())
                .put("endsAt", Instant.ofEpochMilli(ends).toString());
            if (baseUrl != null) {
              a.put("generatorURL", baseUrl + "/ui/ack?alert=" + rs.getLong(1));
            }
            out.add(a);
          }
        }
      }
      return out;
    });
  }

  /** One push to every Alertmanager; returns how many took it. Blocking: call on a worker. */
  public int push() throws Exception {
    JsonArray alerts = alerts();
    if (alerts.isEmpty()) {
      return alertmanagers.size();
    }
    int took = 0;
    for (URI am : alertmanagers) {
      URI endpoint = URI.create(am.toString().replaceAll("/+$", "") + "/api/v2/alerts");
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(alerts.encode())).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 == 2) {
          took++;
          ok.increment();
          if (lastFailed) {
            log.info("Alertmanager {} takes alerts again", am);
          }
          lastFailed = false;
        } else {
          throw new java.io.IOException("HTTP " + r.statusCode() + ": " + r.body());
        }
      } catch (java.io.IOException e) {
        failed.increment();
        if (!lastFailed) {
          log.warn("Alertmanager {} did not take the alerts ({}); tried again every {}", am, e.getMessage(), interval);
        }
        lastFailed = true;
      }
    }
    return took;
  }
}
