package id.penjaga.collector.alerts;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Alertmanager (Debian's prometheus-alertmanager) receives the collector's alerts, and their resolution. */
class AlertmanagerTest {
  @TempDir Path dir;
  Process alertmanager;
  final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() throws InterruptedException {
    if (alertmanager != null) {
      alertmanager.destroy();
      alertmanager.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static void waitFor(Duration max, BooleanSupplier ok) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (!ok.getAsBoolean()) {
      assertThat(System.nanoTime()).as("not within " + max).isLessThan(end);
      Thread.sleep(250);
    }
  }

  void post(int port, long seq, String type, JsonObject body) throws Exception {
    JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", seq).put("type", type)
        .put("time", Instant.now().toString()).put("body", body);
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/reports"))
        .header("Authorization", "Bearer tok-am").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(r.encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
  }

  JsonArray active(int amPort) {
    String body = get("http://127.0.0.1:" + amPort + "/api/v2/alerts");
    return body.startsWith("[") ? new JsonArray(body) : new JsonArray();
  }

  @Test
  void alertsAndTheirResolutionReachARealAlertmanager() throws Exception {
    Path binary = Path.of("/usr/bin/prometheus-alertmanager");
    assertThat(binary).as("Debian's prometheus-alertmanager (installed by .ci/test)").exists();
    int amPort = freePort();
    Files.writeString(dir.resolve("am.yml"), "route:\n  receiver: catat\nreceivers:\n  - name: catat\n");
    alertmanager = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("am.yml"),
        "--storage.path=" + dir.resolve("am-data"), "--web.listen-address=127.0.0.1:" + amPort, "--cluster.listen-address=")
        .redirectErrorStream(true).redirectOutput(dir.resolve("am.log").toFile()).start();
    waitFor(Duration.ofSeconds(30), () -> get("http://127.0.0.1:" + amPort + "/-/ready").contains("OK"));

    int port = freePort();
    Path token = dir.resolve("token");
    Files.writeString(token, "tok-am\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("c.yaml"), String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:" + port,
        "  store: " + TestStores.yaml(dir.resolve("c.db")),
        "agents:",
        "  lpse-demo:",
        "    token-file: " + token,
        "alerts:",
        "  evaluate-every: 1s",
        "  alertmanagers: [\"http://127.0.0.1:" + amPort + "\"]",
        "reports:",
        "  lpse-name: LPSE Kabupaten Contoh",
        ""));
    try (CollectorDaemon d = new CollectorDaemon(CollectorConfig.load(dir.resolve("c.yaml")), "test", Clock.systemUTC())) {
      d.start();
      String now = Instant.now().toString();
      post(port, 1, "failure", new JsonObject().put("kind", "backup").put("task", "backup db").put("source", "db")
          .put("target_name", "main").put("target", "/srv").put("occurred_at", now).put("reason", "pg_dump exited with status 1"));
      waitFor(Duration.ofSeconds(30), () -> active(amPort).size() == 1);
      JsonObject a = active(amPort).getJsonObject(0);
      assertThat(a.getJsonObject("labels").getMap()).containsEntry("alertname", "BackupGagal").containsEntry("agent", "lpse-demo")
          .containsEntry("severity", "high").containsEntry("lpse", "LPSE Kabupaten Contoh").containsEntry("subject", "db → main");
      assertThat(a.getJsonObject("annotations").getString("summary")).contains("pg_dump exited with status 1");
      assertThat(a.getJsonObject("status").getString("state")).isEqualTo("active");

      // the next good backup resolves it, in the collector and then in Alertmanager
      post(port, 2, "backup-run", new JsonObject().put("source", "db").put("target", "/srv").put("target_name", "main")
          .put("started_at", now).put("finished_at", Instant.now().toString()).put("result", "success")
          .put("trigger", "schedule").put("snapshot_id", "ab".repeat(32)));
      waitFor(Duration.ofSeconds(30), () -> active(amPort).isEmpty());
      assertThat(get("http://127.0.0.1:" + port + "/metrics"))
          .containsPattern("penjaga_alertmanager_pushes_total\\{result=\"ok\"} [1-9]");
    }
  }
}
