package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;

/** A collector with the web page on, two users, and an agent that has reported a little. */
final class WebFixture implements AutoCloseable {
  static final String PASSWORD = "Rahasia-Kepala-2026";
  static final String TOKEN = "token-web-test-8f1e2a";
  final CollectorDaemon daemon;
  final Path config;
  private long seq;
  private final HttpClient http = HttpClient.newHttpClient();

  WebFixture(Path dir) throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, TOKEN + "\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    String hash = PasswordHash.hash(PASSWORD.toCharArray());
    config = dir.resolve("collector.yaml");
    Files.writeString(config, String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:0",
        "  store: " + TestStores.yaml(dir.resolve("c.db")),
        "agents:",
        "  lpse-demo:",
        "    token-file: " + token,
        "reports:",
        "  lpse-name: LPSE Kabupaten Contoh",
        "web:",
        "  users:",
        "    kepala:",
        "      password-hash: \"" + hash + "\"",
        "      name: Kepala LPSE",
        "      role: kepala-lpse",
        "    penilai:",
        "      password-hash: \"" + hash + "\"",
        "      role: penilai",
        "    budi:",
        "      password-hash: \"" + hash + "\"",
        "      name: Budi Santoso",
        "      role: admin-sistem",
        ""));
    daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC());
    daemon.start();
    Instant now = Instant.now();
    post("backup-run", new JsonObject().put("source", "uploads").put("target", "/srv").put("target_name", "main")
        .put("started_at", now.minusSeconds(60).toString()).put("finished_at", now.toString()).put("result", "success")
        .put("trigger", "schedule").put("snapshot_id", "5c2f0f6a" + "0".repeat(56)).put("bytes_added", 1048576)
        .put("duration_seconds", 60.0));
    post("backup-run", new JsonObject().put("source", "db").put("target", "/srv").put("target_name", "main")
        .put("started_at", now.minusSeconds(30).toString()).put("finished_at", now.toString()).put("result", "failure")
        .put("trigger", "schedule").put("snapshot_id", null).put("failure", "pg_dump exited with status 1"));
    post("failure", new JsonObject().put("kind", "backup").put("task", "backup db").put("source", "db")
        .put("target_name", "main").put("target", "/srv").put("occurred_at", now.toString())
        .put("reason", "pg_dump exited with status 1"));
  }

  int port() {
    return daemon.port();
  }

  String base() {
    return "http://127.0.0.1:" + port();
  }

  void post(String type, JsonObject body) throws Exception {
    JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", ++seq).put("type", type)
        .put("time", Instant.now().toString()).put("body", body);
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/reports"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(r.encode())).build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IllegalStateException(resp.statusCode() + " " + resp.body());
    }
  }

  @Override
  public void close() {
    daemon.close();
  }
}
