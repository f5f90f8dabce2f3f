package id.penjaga.collector.metrics;

import id.penjaga.collector.store.ReportStore;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.sql.SQLException;
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

  public CollectorMetrics(Vertx vertx, ReportStore store, PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.registry = registry;
    this.lastSeen =
        MultiGauge.builder("penjaga.agent.last.seen.timestamp.seconds")
            .description("When the collector last received a report from the agent (Unix time)")
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

  /** Refreshes the store-backed gauges and renders the text format. Blocking. */
  String scrape() throws SQLException {
    lastSeen.register(
        store.agents().stream()
            .map(
                a ->
                    MultiGauge.Row.of(
                        Tags.of("agent", a.id()), a.lastSeen().toEpochMilli() / 1000.0))
            .collect(Collectors.toList()),
        true);
    return registry.scrape();
  }
}
