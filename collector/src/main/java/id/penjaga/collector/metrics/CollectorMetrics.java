package id.penjaga.collector.metrics;

import id.penjaga.collector.store.ReportStore;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code /metrics} for Prometheus. Per-agent figures are read from the store at each scrape, so
 * they survive restarts of the collector.
 */
public final class CollectorMetrics {
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private final Vertx vertx;
  private final ReportStore store;
  private final PrometheusMeterRegistry registry;
  private final MultiGauge lastSeen;
  private final MultiGauge alertFiring;
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicLong> backupRuns =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final MultiGauge lastBackup;
  private final MultiGauge lastRestoreTest;

  public CollectorMetrics(Vertx vertx, ReportStore store, PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.registry = registry;
    this.lastSeen =
        MultiGauge.builder("penjaga.agent.last.seen.timestamp.seconds")
            .description("When the collector last received a report from the agent (Unix time)")
            .register(registry);
    this.alertFiring =
        MultiGauge.builder("penjaga.alert.firing")
            .description("Alerts firing now (1 per agent, alert name and severity with any firing)")
            .register(registry);
    this.lastBackup =
        MultiGauge.builder("penjaga.backup.last.success.timestamp.seconds")
            .description("When the agent's last successful backup of the source ended (Unix time)")
            .register(registry);
    this.lastRestoreTest =
        MultiGauge.builder("penjaga.restore.test.last.timestamp.seconds")
            .description("When the agent's last restore test ended, by its result (Unix time)")
            .register(registry);
  }

  public void mount(Router router) {
    router
        .get("/metrics")
        .handler(
            ctx ->
                vertx
                    .executeBlocking(this::scrape, false)
                    .onSuccess(
                        text ->
                            ctx.response()
                                .putHeader("Content-Type", CONTENT_TYPE)
                                .end(text))
                    .onFailure(ctx::fail));
  }

  private List<MultiGauge.Row<?>> rows(String sql, java.util.function.Function<String[], MultiGauge.Row<?>> row)
      throws SQLException {
    return store.inTransaction(
        c -> {
          List<MultiGauge.Row<?>> out = new java.util.ArrayList<>();
          try (var ps = c.prepareStatement(sql);
              var rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
              String[] v = new String[n];
              for (int i = 0; i < n; i++) {
                v[i] = rs.getString(i + 1) == null ? "" : rs.getString(i + 1);
              }
              out.add(row.apply(v));
            }
          }
          return out;
        });
  }

  private static double seconds(String time) {
    try {
      return java.time.Instant.parse(time).toEpochMilli() / 1000.0;
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Refreshes the store-backed gauges and renders the text format. Blocking. */
  String scrape() throws SQLException {
    id.penjaga.collector.store.Dialect d = store.dialect();
    lastSeen.register(
        store.agents().stream()
            .map(
                a ->
                    MultiGauge.Row.of(
                        Tags.of("agent", a.id()), a.lastSeen().toEpochMilli() / 1000.0))
            .collect(Collectors.toList()),
        true);
    alertFiring.register(
        rows(
            "SELECT agent, name, severity, count(*) FROM alert WHERE state = 'firing' GROUP BY agent, name, severity",
            r -> MultiGauge.Row.of(Tags.of("agent", r[0], "alertname", r[1], "severity", r[2]), 1.0)),
        true);
    // Backup runs in the store (never pruned), by agent, source and result: a counter.
    store.inTransaction(
        c -> {
          try (var ps =
                  c.prepareStatement(
                      "SELECT agent, " + d.json("body", "body.source") + ", " + d.json("body", "body.result") + ", count(*)"
                          + " FROM report WHERE type = 'backup-run' GROUP BY 1, 2, 3");
              var rs = ps.executeQuery()) {
            while (rs.next()) {
              Tags tags = Tags.of("agent", rs.getString(1), "source", String.valueOf(rs.getString(2)), "result", String.valueOf(rs.getString(3)));
              backupRuns
                  .computeIfAbsent(
                      tags.toString(),
                      k -> {
                        var n = new java.util.concurrent.atomic.AtomicLong();
                        io.micrometer.core.instrument.FunctionCounter.builder("penjaga.backup.runs", n, java.util.concurrent.atomic.AtomicLong::doubleValue)
                            .description("Backup runs recorded in the store, by agent, source and result")
                            .tags(tags)
                            .register(registry);
                        return n;
                      })
                  .set(rs.getLong(4));
            }
          }
          return null;
        });
    lastBackup.register(
        rows(
            "SELECT agent, " + d.json("body", "body.source") + ", max(" + d.json("body", "body.finished_at") + ")"
                + " FROM report WHERE type = 'backup-run' AND " + d.json("body", "body.result") + " <> 'failure' GROUP BY 1, 2",
            r -> MultiGauge.Row.of(Tags.of("agent", r[0], "source", r[1]), seconds(r[2]))),
        true);
    lastRestoreTest.register(
        rows(
            "SELECT agent, " + d.json("body", "body.result") + ", max(" + d.json("body", "body.finished_at") + ")"
                + " FROM report WHERE type = 'restore-test' GROUP BY 1, 2",
            r -> MultiGauge.Row.of(Tags.of("agent", r[0], "result", r[1]), seconds(r[2]))),
        true);
    return registry.scrape();
  }
}
