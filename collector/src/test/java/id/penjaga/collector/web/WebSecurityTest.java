package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web page's protections, over HTTP: login, throttling, CSRF, cookies, headers, no way around the login. */
class WebSecurityTest {
  @TempDir Path dir;
  WebFixture collector;
  CookieManager cookies;
  HttpClient http;

  @BeforeEach
  void start() throws Exception {
    collector = new WebFixture(dir);
    cookies = new CookieManager();
    http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(collector.base() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String form) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(collector.base() + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
  }

  String csrf() throws Exception {
    HttpResponse<String> r = get("/ui/login");
    assertThat(r.statusCode()).isEqualTo(200);
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(r.body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  HttpResponse<String> login(String user, String password, String csrf) throws Exception {
    return post("/ui/login", "username=" + enc(user) + "&password=" + enc(password) + "&csrf=" + enc(csrf));
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  String sessionId() {
    return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("penjaga_session"))
        .map(HttpCookie::getValue).findFirst().orElse(null);
  }

  @Test
  void nothingBehindTheLoginIsReachableWithoutIt() throws Exception {
    for (String p : new String[] {"/ui/", "/ui/evidence", "/ui/evidence/export?format=csv", "/ui/reports",
        "/ui/reports/backup-log/2026-10.csv", "/ui/reports/backup-log/2026-10.html"}) {
      HttpResponse<String> r = get(p);
      assertThat(r.statusCode()).as(p).isEqualTo(303);
      assertThat(r.headers().firstValue("Location")).as(p).hasValue("/ui/login");
      assertThat(r.body()).as(p).doesNotContain("lpse-demo");
    }
  }

  @Test
  void loginRenewsTheSessionAndSetsSafeCookieAndHeaders() throws Exception {
    String token = csrf();
    String before = sessionId();
    HttpResponse<String> login = get("/ui/login");
    assertThat(login.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'none'")
        .doesNotContain("script-src");
    assertThat(login.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    String setCookie = login.headers().allValues("Set-Cookie").stream().findFirst()
        .orElseGet(() -> "");
    HttpResponse<String> r = login("kepala", WebFixture.PASSWORD, token);
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/");
    String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("penjaga_session=")).findFirst()
        .orElse(setCookie);
    assertThat(cookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict");
    assertThat(sessionId()).isNotNull().isNotEqualTo(before);
    HttpResponse<String> home = get("/ui/");
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.body()).contains("lpse-demo").contains("BackupGagal");
    HttpResponse<String> csv = get("/ui/reports/backup-log/2026-10.csv");
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Disposition").orElse("")).contains("backup-log-2026-10.csv");
    assertThat(get("/ui/reports/nonsense/2026-10.html").statusCode()).isEqualTo(404);
    // logging out needs the session's token too
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(home.body());
    assertThat(m.find()).isTrue();
    assertThat(post("/ui/logout", "csrf=wrong").statusCode()).isEqualTo(403);
    assertThat(get("/ui/").statusCode()).isEqualTo(200);
    assertThat(post("/ui/logout", "csrf=" + enc(m.group(1))).statusCode()).isEqualTo(303);
    assertThat(get("/ui/").statusCode()).isEqualTo(303);
  }

  @Test
  void aLoginWithoutTheFormsTokenOrFromAnotherSiteIsRefused() throws Exception {
    csrf();
    assertThat(login("kepala", WebFixture.PASSWORD, "forged").statusCode()).isEqualTo(403);
    String token = csrf();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(collector.base() + "/ui/login"))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("username=kepala&password=" + enc(WebFixture.PASSWORD) + "&csrf=" + enc(token)))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(get("/ui/").statusCode()).isEqualTo(303);
  }

  @Test
  void repeatedWrongPasswordsLockTheAccountEvenForTheRightOneAndAreRecorded() throws Exception {
    String token = csrf();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = login("kepala", "salah-" + i, token);
      assertThat(r.headers().firstValue("Location")).hasValue("/ui/login?error=1");
    }
    HttpResponse<String> r = login("kepala", WebFixture.PASSWORD, token);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/login?error=2");
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(get("/ui/").statusCode()).isEqualTo(303);
    assertThat(get("/ui/login?error=2").body()).contains("Terlalu banyak percobaan gagal");
    // an unknown user name is refused the same way, and recorded
    assertThat(login("nobody", "x", token).headers().firstValue("Location")).hasValue("/ui/login?error=2");
    Thread.sleep(300);
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      assertThat(reg.list(null, null, "login-failed", null)).hasSize(5);
      assertThat(reg.list(null, null, "login-throttled", null)).hasSizeGreaterThanOrEqualTo(1);
      assertThat(reg.list(null, null, "login", null)).isEmpty();
      for (EvidenceRegister.Record rec : reg.list(null, null, null, null)) {
        assertThat(rec.summary() + rec.details()).doesNotContain(WebFixture.PASSWORD).doesNotContain("salah-");
      }
    }
  }

  HttpResponse<String> ack(String form) throws Exception {
    String page = get("/ui/").body();
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
    assertThat(m.find()).isTrue();
    return post("/ui/ack", form + "&csrf=" + enc(m.group(1)));
  }

  void loginAs(String user) throws Exception {
    cookies = new CookieManager();
    http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
    assertThat(login(user, WebFixture.PASSWORD, csrf()).headers().firstValue("Location")).hasValue("/ui/");
  }

  @Test
  void eachRoleDecidesOnlyWhatTheSopGivesIt() throws Exception {
    long capacitySeq;
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      capacitySeq = new EvidenceRegister(store, null).append(new EvidenceRegister.Entry(java.time.Instant.now(),
          "SOP 6 langkah 3", "capacity-recap", "lpse-demo", "system", "over", "Pencatatan kapasitas: disk 91%", null, null)).seq();
    }
    // the assessor reads, and may not decide
    loginAs("penilai");
    assertThat(get("/ui/ack?alert=1").body()).contains("Peran Anda (Penilai) tidak berwenang").doesNotContain("id=\"save\"");
    assertThat(ack("alert=1&decision=" + enc("diabaikan")).statusCode()).isEqualTo(403);
    // the system administrator follows up a backup failure, not a capacity item
    loginAs("budi");
    assertThat(ack("record=" + capacitySeq + "&decision=" + enc("tambah disk")).statusCode()).isEqualTo(403);
    assertThat(ack("alert=1&decision=" + enc("kata sandi pg diperbaiki") + "&due=2026-13-40").statusCode()).isEqualTo(400);
    assertThat(ack("alert=1&decision=" + enc("kata sandi pg diperbaiki")).statusCode()).isEqualTo(303);
    // Kepala LPSE decides on both
    loginAs("kepala");
    assertThat(ack("record=" + capacitySeq + "&decision=" + enc("anggarkan disk 2 TB") + "&pic=" + enc("Pengelola Kapasitas")
        + "&due=2026-12-31").statusCode()).isEqualTo(303);
    assertThat(get("/ui/ack?record=" + capacitySeq).body()).contains("anggarkan disk 2 TB").contains("2026-12-31");
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      List<EvidenceRegister.Record> fus = new EvidenceRegister(store, null).list(null, null, "follow-up", null);
      assertThat(fus).extracting(EvidenceRegister.Record::actor)
          .containsExactly("budi (Budi Santoso, Administrator Sistem)", "kepala (Kepala LPSE)");
      assertThat(fus.get(0).sopRef()).isEqualTo("SOP 10 langkah 6");
      assertThat(fus.get(1).sopRef()).isEqualTo("SOP 6 langkah 3");
      assertThat(new io.vertx.core.json.JsonObject(fus.get(1).details()).getString("due")).isEqualTo("2026-12-31");
    }
  }

  @Test
  void theAssessorMayReadMinutesButNotAttachThem() throws Exception {
    loginAs("penilai");
    assertThat(get("/ui/minutes?month=2026-10").body()).contains("Belum ada notulen").doesNotContain("id=\"upload\"");
    String page = get("/ui/").body();
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
    assertThat(m.find()).isTrue();
    assertThat(post("/ui/minutes", "csrf=" + enc(m.group(1)) + "&month=2026-10&meeting=2026-11-03").statusCode()).isEqualTo(403);
  }
}
