package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.net.CookieManager;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision link in an alert e-mail: Kepala LPSE records a decision without logging in; the
 * link works once, is bound to its alert, and expires.
 */
class DecisionLinkTest {
  @TempDir Path dir;
  GreenMail smtp;
  CollectorDaemon daemon;
  String base;

  @BeforeEach
  void start() throws Exception {
    int smtpPort;
    int port;
    try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
      smtpPort = a.getLocalPort();
      port = b.getLocalPort();
    }
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
    smtp.start();
    Path token = dir.resolve("token");
    Files.writeString(token, "tok-link\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    base = "http://127.0.0.1:" + port;
    Files.writeString(dir.resolve("c.yaml"), String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:" + port,
        "  store: " + TestStores.yaml(dir.resolve("c.db")),
        "agents:",
        "  lpse-demo:",
        "    token-file: " + token,
        "smtp:",
        "  host: 127.0.0.1",
        "  port: " + smtpPort,
        "  from: penjaga@lpse.example.go.id",
        "recipients:",
        "  - address: kepala.lpse@example.go.id",
        "    name: Kepala LPSE",
        "    severities: [high]",
        "web:",
        "  base-url: " + base,
        "  users:",
        "    kepala:",
        "      password-hash: \"" + PasswordHash.hash("Rahasia-Kepala-2026".toCharArray()) + "\"",
        "      role: kepala-lpse",
        ""));
    daemon = new CollectorDaemon(CollectorConfig.load(dir.resolve("c.yaml")), "test", Clock.systemUTC());
    daemon.start();
  }

  @AfterEach
  void stop() {
    daemon.close();
    smtp.stop();
  }

  String linkFromTheMail() throws Exception {
    JsonObject failure = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", 1).put("type", "failure")
        .put("time", Instant.now().toString()).put("body", new JsonObject().put("kind", "backup").put("task", "backup db")
            .put("source", "db").put("target_name", "main").put("target", "/srv").put("occurred_at", Instant.now().toString())
            .put("reason", "pg_dump exited with status 1"));
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/v1/reports"))
        .header("Authorization", "Bearer tok-link").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(failure.encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(smtp.waitForIncomingEmail(20_000, 1)).isTrue();
    String body = GreenMailUtil.getBody(smtp.getReceivedMessages()[0]).replace("=\r\n", "");
    Matcher m = Pattern.compile(Pattern.quote(base) + "/ui/link/([A-Za-z0-9_\\-.]+)").matcher(body);
    assertThat(m.find()).as(body).isTrue();
    return m.group(1);
  }

  record Browser(HttpClient http) {
    HttpResponse<String> get(String url) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> decide(String base, String token, String decision) throws Exception {
      String page = get(base + "/ui/link/" + token).body();
      Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
      String csrf = m.find() ? m.group(1) : get(base + "/ui/login").body().replaceAll("(?s).*name=\"csrf\" value=\"([^\"]+)\".*", "$1");
      return http.send(HttpRequest.newBuilder(URI.create(base + "/ui/link"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8) + "&token="
              + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&decision=" + URLEncoder.encode(decision, StandardCharsets.UTF_8)
              + "&due=2026-12-31"))
          .build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  static Browser browser() {
    return new Browser(HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NEVER).build());
  }

  @Test
  void theLinkRecordsOneDecisionOnItsAlertWithoutALogin() throws Exception {
    String token = linkFromTheMail();
    Browser b = browser();
    HttpResponse<String> form = b.get(base + "/ui/link/" + token);
    assertThat(form.statusCode()).isEqualTo(200);
    assertThat(form.body()).contains("BackupGagal").contains("kepala.lpse@example.go.id");
    HttpResponse<String> done = b.decide(base, token, "Ulangi backup setelah kata sandi diperbaiki");
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).contains("Keputusan tercatat");
    // once only
    HttpResponse<String> again = browser().decide(base, token, "keputusan kedua");
    assertThat(again.statusCode()).isEqualTo(410);
    assertThat(again.body()).contains("sudah dipakai");
    // bound to its alert: the same signature on another alert is forged
    String[] parts = token.split("\\.");
    String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8).replace("a|1|", "a|2|");
    String moved = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
        + "." + parts[1];
    assertThat(browser().get(base + "/ui/link/" + moved).statusCode()).isEqualTo(403);
    assertThat(browser().decide(base, moved, "x").statusCode()).isEqualTo(403);
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      List<EvidenceRegister.Record> fus = new EvidenceRegister(store, null).list(null, null, "follow-up", null);
      assertThat(fus).hasSize(1);
      assertThat(fus.get(0).actor()).isEqualTo("kepala.lpse@example.go.id (tautan e-mail)");
      assertThat(fus.get(0).summary()).contains("Ulangi backup setelah kata sandi diperbaiki").contains("target 2026-12-31");
      assertThat(new JsonObject(fus.get(0).links()).getLong("alert")).isEqualTo(1L);
      // an expired link, signed with the same key
      DecisionLinks links = new DecisionLinks(store, TestStores.beside(dir.resolve("c.db"), ".link-key"), base, Duration.ofDays(7));
      String expired = links.token(1, "kepala.lpse@example.go.id", Instant.now().minusSeconds(60));
      assertThat(browser().get(base + "/ui/link/" + expired).body()).contains("kedaluwarsa");
      String fresh = links.token(1, "kepala.lpse@example.go.id", Instant.now().plusSeconds(600));
      assertThat(browser().get(base + "/ui/link/" + fresh).statusCode()).isEqualTo(200);
    }
    assertThat(Files.getPosixFilePermissions(TestStores.beside(dir.resolve("c.db"), ".link-key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }
}
