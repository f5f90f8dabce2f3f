package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The silences API: web users with Basic authentication; who may list, add and expire. */
class SilencesApiTest {
  @TempDir Path dir;
  WebFixture collector;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    collector = new WebFixture(dir);
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  HttpResponse<String> call(String method, String path, String user, String password, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(collector.base() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (user != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void listingIsForAllRolesChangesForTheResponsibleOnes() throws Exception {
    String pw = WebFixture.PASSWORD;
    HttpResponse<String> none = call("GET", "/api/v1/silences", null, null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
    assertThat(call("GET", "/api/v1/silences", "penilai", pw, null).body()).isEqualTo("[]");
    String silence = new JsonObject().put("agent", "lpse-demo").put("alertname", "BackupGagal").put("for", "2h")
        .put("comment", "pemeliharaan server basis data").encode();
    assertThat(call("POST", "/api/v1/silences", "penilai", pw, silence).statusCode()).isEqualTo(403);
    HttpResponse<String> made = call("POST", "/api/v1/silences", "budi", pw, silence);
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    long id = new JsonObject(made.body()).getLong("id");
    JsonArray list = new JsonArray(call("GET", "/api/v1/silences", "penilai", pw, null).body());
    assertThat(list).hasSize(1);
    assertThat(list.getJsonObject(0).getBoolean("active")).isTrue();
    assertThat(list.getJsonObject(0).getString("created_by")).isEqualTo("budi");
    assertThat(call("POST", "/api/v1/silences", "budi", pw, "{\"agent\":\"lpse-demo\",\"for\":\"lama\",\"comment\":\"x\"}")
        .statusCode()).isEqualTo(400);
    assertThat(call("POST", "/api/v1/silences", "budi", pw, "{\"for\":\"1h\",\"comment\":\"x\"}").body())
        .contains("silencing everything is not allowed");
    assertThat(call("POST", "/api/v1/silences", "budi", pw, "[1]").statusCode()).isEqualTo(400);
    assertThat(call("DELETE", "/api/v1/silences/" + id, "penilai", pw, null).statusCode()).isEqualTo(403);
    assertThat(call("DELETE", "/api/v1/silences/" + id, "kepala", pw, null).statusCode()).isEqualTo(204);
    assertThat(call("DELETE", "/api/v1/silences/" + id, "kepala", pw, null).statusCode()).isEqualTo(404);
    // password guessing is throttled
    for (int i = 0; i < 5; i++) {
      assertThat(call("GET", "/api/v1/silences", "kepala", "salah-" + i, null).statusCode()).isEqualTo(401);
    }
    assertThat(call("GET", "/api/v1/silences", "kepala", pw, null).statusCode()).isEqualTo(429);
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      List<EvidenceRegister.Record> recs = new EvidenceRegister(store, null).list(null, null, "silence", null);
      assertThat(recs).extracting(EvidenceRegister.Record::actor).containsExactly("budi", "kepala");
    }
  }
}
