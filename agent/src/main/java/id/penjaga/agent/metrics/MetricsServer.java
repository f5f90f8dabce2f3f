package id.penjaga.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import id.penjaga.agent.config.HostPort;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agent's {@code /metrics} endpoint for Prometheus. The JDK's own HTTP server keeps the agent a
 * light guest on the SPSE server: no event loop, one thread.
 */
public final class MetricsServer implements AutoCloseable {
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private final HttpServer server;
  private final ExecutorService executor;

  public MetricsServer(HostPort listen, PrometheusMeterRegistry registry) throws IOException {
    this(listen, registry, () -> {});
  }

  /** {@code beforeScrape} brings figures up to date (from the records journal) before each scrape. */
  public MetricsServer(HostPort listen, PrometheusMeterRegistry registry, Runnable beforeScrape)
      throws IOException {
    this.server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 16);
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        exchange -> {
          try {
            beforeScrape.run();
            respond(exchange, 200, CONTENT_TYPE, registry.scrape());
          } catch (RuntimeException | Error e) {
            // An answer in every case: a scrape must never hang.
            respond(exchange, 500, "text/plain; charset=utf-8", "metrics unavailable: " + e + "\n");
          }
        });
    server.createContext(
        "/",
        exchange ->
            respond(
                exchange,
                exchange.getRequestURI().getPath().equals("/") ? 200 : 404,
                "text/plain; charset=utf-8",
                "penjaga-agent: metrics at /metrics\n"));
  }

  public void start() {
    server.start();
  }

  /** The port actually bound (useful when configured as 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
