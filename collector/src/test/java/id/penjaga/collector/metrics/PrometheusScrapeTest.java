package id.penjaga.collector.metrics;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.ingest.IngestApi;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (the Debian package) scrapes the collector; the shipped scrape
 * configuration and alerting rules pass promtool.
 */
class PrometheusScrapeTest {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", ".."));
  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void theShippedScrapeConfigAndRulesAreValid() throws Exception {
    assertThat(run("promtool", "check", "config", ROOT.resolve("config/prometheus.yml").toString())).contains("SUCCESS");
    assertThat(run("promtool", "check", "rules", ROOT.resolve("config/penjaga-rules.yml").toString()))
        .contains("SUCCESS: 7 rules found");
  }

  @Test
  void aRealPrometheusScrapesTheCollector() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "token-demo\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(
        config,
        "collector:\n  listen: 127.0.0.1:0\n  store: " + TestStores.yaml(dir.resolve("c.db"))
            + "\nagents:\n  lpse-demo:\n    token-file: " + token + "\n");
    try (CollectorDaemon daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      JsonObject report =
          new JsonObject()
              .put("schema_version", 1)
              .put("agent", "lpse-demo")
              .put("seq", 1)
              .put("type", "backup-run")
              .put("time", Instant.now().toString())
              .put(
                  "body",
                  new JsonObject()
                      .put("source", "db")
                      .put("target", "/var/backups/penjaga")
                      .put("target_name", "main")
                      .put("started_at", "2026-11-25T01:30:00Z")
                      .put("finished_at", "2026-11-25T01:31:00Z")
                      .put("result", "success")
                      .put("trigger", "schedule")
                      .put("snapshot_id", "ab".repeat(32)));
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + IngestApi.PATH))
                  .header("Authorization", "Bearer token-demo")
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(report.encode()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);

      int promPort = freePort();
      Path prom = dir.resolve("prometheus.yml");
      Files.writeString(
          prom,
          "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: penjaga-collector\n"
              + "    static_configs:\n      - targets: [\"127.0.0.1:" + daemon.port() + "\"]\n");
      Process p =
          new ProcessBuilder(
                  "prometheus",
                  "--config.file=" + prom,
                  "--storage.tsdb.path=" + dir.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + promPort)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      try {
        String result = "";
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
          result = query(promPort, "penjaga_backup_runs_total");
          if (result.contains("lpse-demo")) {
            break;
          }
          Thread.sleep(500);
        }
        assertThat(result)
            .as(Files.readString(dir.resolve("prometheus.log")))
            .contains("\"agent\":\"lpse-demo\"")
            .contains("\"result\":\"success\"")
            .contains("\"source\":\"db\"");
        assertThat(query(promPort, "up{job=\"penjaga-collector\"}")).contains("\"1\"]");
        // Every expression of the shipped Grafana dashboard is valid PromQL to this Prometheus.
        io.vertx.core.json.JsonObject dashboard =
            new io.vertx.core.json.JsonObject(Files.readString(ROOT.resolve("config/grafana-dashboard.json")));
        int checked = 0;
        for (Object panel : dashboard.getJsonArray("panels")) {
          for (Object t : ((io.vertx.core.json.JsonObject) panel).getJsonArray("targets")) {
            String expr = ((io.vertx.core.json.JsonObject) t).getString("expr");
            assertThat(query(promPort, expr)).as(expr).contains("\"status\":\"success\"");
            checked++;
          }
        }
        assertThat(checked).isEqualTo(10);
      } finally {
        p.destroy();
        p.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  String query(int port, String q) {
    try {
      return http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + port + "/api/v1/query?query="
                              + URLEncoder.encode(q, StandardCharsets.UTF_8)))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }
}
