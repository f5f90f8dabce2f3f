package id.penjaga.collector.ingest;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.store.ReportStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingest API over real HTTP against a collector running in this JVM. */
class IngestApiTest {
  static final Path SAMPLES =
      Path.of(System.getProperty("penjaga.root", "..")).resolve("config/schema/samples");

  @TempDir Path dir;
  CollectorDaemon daemon;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    writeToken("lpse-demo", "token-demo");
    writeToken("lpse-other", "token-other");
    writeToken("lpse-demo-next", "token-demo-next");
    Path config = dir.resolve("collector.yaml");
    Files.writeString(
        config,
        "collector:\n"
            + "  listen: 127.0.0.1:0\n"
            + "  store: " + TestStores.yaml(dir.resolve("c.db")) + "\n"
            + "  max-report-size: 4KiB\n"
            + "agents:\n"
            + "  lpse-demo:\n"
            + "    token-file: " + dir.resolve("lpse-demo") + "\n"
            + "    next-token-file: " + dir.resolve("lpse-demo-next") + "\n"
            + "  lpse-other:\n"
            + "    token-file: " + dir.resolve("lpse-other") + "\n");
    daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC());
    daemon.start();
  }

  void writeToken(String agent, String token) throws Exception {
    Path f = dir.resolve(agent);
    Files.writeString(f, token + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  @AfterEach
  void stop() {
    daemon.close();
  }

  HttpResponse<String> post(String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + IngestApi.PATH))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  String get(String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  long stored(String agent) throws Exception {
    try (ReportStore s = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      return s.countReports(agent, null);
    }
  }

  static String sample(String name) throws Exception {
    return Files.readString(SAMPLES.resolve(name));
  }

  @Test
  void validReportIsStoredOnceAndShownInMetrics() throws Exception {
    String hb = sample("valid/heartbeat.json");
    HttpResponse<String> r = post("token-demo", hb);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"status\":\"stored\"");
    HttpResponse<String> again = post("token-demo", hb);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("\"status\":\"duplicate\"");
    assertThat(stored("lpse-demo")).isEqualTo(1);

    String metrics = get("/metrics");
    assertThat(metrics)
        .containsPattern("penjaga_agent_last_seen_timestamp_seconds\\{agent=\"lpse-demo\"} 1\\.[0-9]+E9")
        .contains("penjaga_ingest_reports_total{result=\"stored\"} 1.0")
        .contains("penjaga_ingest_reports_total{result=\"duplicate\"} 1.0");
  }

  @Test
  void missingOrWrongTokenGets401AndNothingIsStored() throws Exception {
    String hb = sample("valid/heartbeat.json");
    HttpResponse<String> none = post(null, hb);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(post("token-wrong", hb).statusCode()).isEqualTo(401);
    assertThat(post("token-demo-but-longer", hb).statusCode()).isEqualTo(401);
    assertThat(stored("lpse-demo")).isZero();
    assertThat(get("/metrics")).doesNotContain("penjaga_agent_last_seen_timestamp_seconds{");
  }

  @Test
  void aTokenCannotReportForAnotherAgent() throws Exception {
    HttpResponse<String> r = post("token-other", sample("valid/heartbeat.json"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(stored("lpse-demo")).isZero();
    assertThat(stored("lpse-other")).isZero();
  }

  @Test
  void malformedReportsGet400WithTheReason() throws Exception {
    HttpResponse<String> notJson = post("token-demo", "{not json");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("not a JSON object");

    HttpResponse<String> array = post("token-demo", "[1,2]");
    assertThat(array.statusCode()).isEqualTo(400);

    HttpResponse<String> noHost = post("token-demo", sample("invalid/heartbeat-without-hostname.json"));
    assertThat(noHost.statusCode()).isEqualTo(400);
    assertThat(noHost.body()).contains("does not follow the contract").contains("hostname");

    HttpResponse<String> seq = post("token-demo", sample("invalid/seq-zero.json"));
    assertThat(seq.statusCode()).isEqualTo(400);
    assertThat(seq.body()).contains("/seq");
    assertThat(stored("lpse-demo")).isZero();
  }

  HttpResponse<String> postBatch(String token, String json) throws Exception {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(buf)) {
      gz.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + IngestApi.BATCH_PATH))
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(buf.toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aGzipBatchIsStoredInOneGoWithEachReportsFate() throws Exception {
    String hb = sample("valid/heartbeat.json");
    String run = sample("valid/backup-run.json");
    String bad = sample("invalid/heartbeat-without-hostname.json");
    HttpResponse<String> r = postBatch("token-demo", "[" + hb + "," + run + "," + bad + "]");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    io.vertx.core.json.JsonObject answer = new io.vertx.core.json.JsonObject(r.body());
    assertThat(java.time.Instant.parse(answer.getString("time"))).isBetween(
        java.time.Instant.now().minusSeconds(60), java.time.Instant.now().plusSeconds(1));
    io.vertx.core.json.JsonArray results = answer.getJsonArray("results");
    assertThat(results.getJsonObject(0).getString("status")).isEqualTo("stored");
    assertThat(results.getJsonObject(1).getString("status")).isEqualTo("stored");
    assertThat(results.getJsonObject(2).getString("status")).isEqualTo("invalid");
    assertThat(results.getJsonObject(2).getString("error")).contains("hostname");
    assertThat(stored("lpse-demo")).isEqualTo(2);

    // Sent again (the agent died before it saw our answer): duplicates, nothing stored twice.
    HttpResponse<String> again = postBatch("token-demo", "[" + hb + "," + run + "]");
    assertThat(again.body()).contains("\"status\":\"duplicate\"").doesNotContain("\"stored\"");
    assertThat(stored("lpse-demo")).isEqualTo(2);

    // Another agent's token: the whole batch is refused.
    assertThat(postBatch("token-other", "[" + hb + "]").statusCode()).isEqualTo(403);
    assertThat(postBatch("token-demo", "{\"not\": \"an array\"}").statusCode()).isEqualTo(400);
    assertThat(stored("lpse-demo")).isEqualTo(2);
  }

  @Test
  void duringATokenRolloverBothTokensOfTheAgentAreAccepted() throws Exception {
    io.vertx.core.json.JsonObject hb = new io.vertx.core.json.JsonObject(sample("valid/heartbeat.json"));
    assertThat(post("token-demo", hb.copy().put("seq", 501).encode()).statusCode()).isEqualTo(200);
    assertThat(post("token-demo-next", hb.copy().put("seq", 502).encode()).statusCode()).isEqualTo(200);
    assertThat(stored("lpse-demo")).isEqualTo(2);
    // The next token of one agent is still no token of another.
    assertThat(post("token-demo-next", hb.copy().put("agent", "lpse-other").put("seq", 1).encode()).statusCode())
        .isEqualTo(403);
  }

  @Test
  void aFloodingAgentIsSlowedDownWithoutHarmingTheOthers() throws Exception {
    String hb = sample("valid/heartbeat.json");
    io.vertx.core.json.JsonObject base = new io.vertx.core.json.JsonObject(hb);
    int ok = 0;
    int limited = 0;
    for (int i = 1; i <= 150; i++) {
      HttpResponse<String> r = post("token-demo", base.copy().put("seq", 1000 + i).encode());
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        limited++;
      }
    }
    assertThat(limited).as("a flood of 150 requests meets the limit").isPositive();
    assertThat(ok).as("the burst goes through").isGreaterThanOrEqualTo(40);
    // Another agent is not affected.
    HttpResponse<String> other =
        post("token-other", base.copy().put("agent", "lpse-other").put("seq", 1).encode());
    assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
    assertThat(stored("lpse-demo")).isEqualTo(ok);
    assertThat(get("/metrics")).containsPattern("penjaga_ingest_reports_total\\{result=\"rate_limited\"} [1-9]");
  }

  @Test
  void oversizedReportGets413() throws Exception {
    String big =
        sample("valid/heartbeat.json")
            .replace("\"spool_pending\": 0", "\"spool_pending\": 0, \"pad\": \"" + "x".repeat(8000) + "\"");
    HttpResponse<String> r = post("token-demo", big);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(stored("lpse-demo")).isZero();
  }
}
