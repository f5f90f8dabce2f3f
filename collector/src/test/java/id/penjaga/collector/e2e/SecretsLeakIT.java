package id.penjaga.collector.e2e;

import id.penjaga.collector.TestStores;
import static id.penjaga.collector.e2e.AgentCollectorIT.AGENT_JAR;
import static id.penjaga.collector.e2e.AgentCollectorIT.COLLECTOR_JAR;
import static id.penjaga.collector.e2e.AgentCollectorIT.freePort;
import static id.penjaga.collector.e2e.AgentCollectorIT.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.collector.web.PasswordHash;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both daemons and their CLIs at work with every kind of secret (agent token, repository password,
 * database password, SMTP password, web password and a wrong guess, TLS private key): then every
 * file they wrote (logs, spool, records, store, reports, repository), their metrics, web pages,
 * e-mails, command outputs and the command lines of running processes are searched for each secret.
 * None may be there.
 */
class SecretsLeakIT {
  static final String TOKEN = "leak-token-7f3a9c1e";
  static final String REPO_PASS = "leak-repo-pass-91b2d4";
  static final String DB_PASS = "leak-db-pass-3a7e55";
  static final String SMTP_PASS = "leak-smtp-pass-4c1d08";
  static final String WEB_PASS = "leak-web-pass-5e8f2b";
  static final String WRONG_GUESS = "leak-wrong-guess-0d2e71";

  @TempDir Path dir;
  final List<Process> processes = new ArrayList<>();
  final Map<String, String> seen = new LinkedHashMap<>(); // what the test read from the daemons, by where
  GreenMail smtp;

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (smtp != null) {
      smtp.stop();
    }
  }

  void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }

  void secret(String name, String value) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, value + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
  }

  Process start(Path jar, String config, String log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xmx160m", "-jar", jar.toString(), "-c", dir.resolve(config).toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    processes.add(p);
    return p;
  }

  String run(Path jar, String config, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "-c", dir.resolve(config).toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(120, TimeUnit.SECONDS);
    seen.put(String.join(" ", args) + " output", out);
    return out;
  }

  HttpClient https() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).cookieHandler(new CookieManager())
        .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
  }

  String get(HttpClient c, String url) {
    try {
      String body = c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      seen.put("GET " + url, body);
      return body;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  String postForm(HttpClient c, String url, String form) throws Exception {
    HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
        "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
        HttpResponse.BodyHandlers.ofString());
    seen.put("POST " + url + " " + r.statusCode(), r.body() + r.headers());
    return r.headers().firstValue("Location").orElse("");
  }

  @Test
  void noSecretAppearsInAnythingTheDaemonsWriteOrSay() throws Exception {
    assertThat(AGENT_JAR).as("build the agent first (mvn package)").exists();
    int collectorPort = freePort();
    int agentMetrics = freePort();
    int smtpPort = freePort();
    int noDatabase = freePort(); // nothing listens: the database backup fails, with its error reported
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=leak-test-ca");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "2", "-extfile", "ext.cnf");
    Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
    List<String> keyLines = Files.readAllLines(dir.resolve("server.key"));
    String tlsKeyLine = keyLines.get(1); // a line of the private key's base64
    secret("token", TOKEN);
    secret("repo.pass", REPO_PASS);
    secret("db.pass", DB_PASS);
    secret("smtp.pass", SMTP_PASS);

    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", "smtp"));
    smtp.setUser("penjaga@lpse.example.go.id", "penjaga@lpse.example.go.id", SMTP_PASS);
    smtp.start();

    Files.writeString(dir.resolve("collector.yaml"), String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:" + collectorPort,
        "  store: " + TestStores.yaml(dir.resolve("collector.db")),
        "  tls-cert-file: " + dir.resolve("server.pem"),
        "  tls-key-file: " + dir.resolve("server.key"),
        "agents:",
        "  lpse-demo:",
        "    token-file: " + dir.resolve("token"),
        "smtp:",
        "  host: 127.0.0.1",
        "  port: " + smtpPort,
        "  from: penjaga@lpse.example.go.id",
        "  password-file: " + dir.resolve("smtp.pass"),
        "recipients:",
        "  - address: kepala.lpse@example.go.id",
        "    severities: [medium, high]",
        "reports:",
        "  lpse-name: LPSE Uji Rahasia",
        "  output-dir: " + dir.resolve("reports"),
        "web:",
        "  users:",
        "    kepala:",
        "      password-hash: \"" + PasswordHash.hash(WEB_PASS.toCharArray()) + "\"",
        "      role: kepala-lpse",
        ""));
    Path uploads = Files.createDirectories(dir.resolve("uploads/2026/lelang-1"));
    Files.writeString(uploads.resolve("penawaran.txt"), "dokumen penawaran\n");
    Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
        "agent:",
        "  id: lpse-demo",
        "  state-dir: " + dir.resolve("state"),
        "collector:",
        "  url: https://127.0.0.1:" + collectorPort,
        "  token-file: " + dir.resolve("token"),
        "  ca-file: " + dir.resolve("ca.pem"),
        "  timeout: 5s",
        "metrics:",
        "  listen: 127.0.0.1:" + agentMetrics,
        "heartbeat:",
        "  interval: 1s",
        "repository:",
        "  path: " + dir.resolve("repo"),
        "  password-file: " + dir.resolve("repo.pass"),
        "sources:",
        "  uploads:",
        "    type: files",
        "    path: " + dir.resolve("uploads"),
        "  db:",
        "    type: postgresql",
        "    host: 127.0.0.1",
        "    port: " + noDatabase,
        "    user: penjaga",
        "    database: spse",
        "    password-file: " + dir.resolve("db.pass"),
        "    globals: false",
        ""));

    start(COLLECTOR_JAR, "collector.yaml", "collector.log", "run");
    HttpClient web = https();
    String base = "https://127.0.0.1:" + collectorPort;
    waitFor(Duration.ofSeconds(40), () -> get(web, base + "/metrics").contains("penjaga_collector_info"));

    run(AGENT_JAR, "agent.yaml", "init");
    String backup = run(AGENT_JAR, "agent.yaml", "backup");
    assertThat(backup).as("the database backup fails (nothing listens)").containsIgnoringCase("db");
    run(AGENT_JAR, "agent.yaml", "snapshots");
    run(AGENT_JAR, "agent.yaml", "check");
    Process agent = start(AGENT_JAR, "agent.yaml", "agent.log", "run");
    assertThat(smtp.waitForIncomingEmail(60_000, 1)).as("the failure is e-mailed").isTrue();
    waitFor(Duration.ofSeconds(30), () -> get(web, "http://127.0.0.1:" + agentMetrics + "/metrics").contains("penjaga_"));
    seen.put("agent metrics", get(HttpClient.newHttpClient(), "http://127.0.0.1:" + agentMetrics + "/metrics"));
    seen.put("collector metrics", get(web, base + "/metrics"));

    // the processes' command lines while they run
    StringBuilder commandLines = new StringBuilder();
    ProcessHandle.allProcesses().forEach(ph -> ph.info().commandLine().ifPresent(c -> commandLines.append(c).append('\n')));
    seen.put("command lines", commandLines.toString());

    // the web page: a wrong guess, then the right password, pages, a report and an export
    String login = get(web, base + "/ui/login");
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(login);
    assertThat(m.find()).isTrue();
    String csrf = URLEncoder.encode(m.group(1), StandardCharsets.UTF_8);
    assertThat(postForm(web, base + "/ui/login", "username=kepala&password=" + WRONG_GUESS + "&csrf=" + csrf))
        .endsWith("error=1");
    assertThat(postForm(web, base + "/ui/login", "username=kepala&password=" + WEB_PASS + "&csrf=" + csrf)).endsWith("/ui/");
    assertThat(get(web, base + "/ui/")).contains("lpse-demo");
    String month = YearMonth.now(ZoneId.of("Asia/Jakarta")).toString();
    assertThat(get(web, base + "/ui/reports/backup-effectiveness/" + month + ".html")).contains("LPSE Uji Rahasia");
    get(web, base + "/ui/reports/backup-log/" + month + ".csv");
    get(web, base + "/ui/evidence");
    get(web, base + "/ui/evidence/export?format=json");

    run(COLLECTOR_JAR, "collector.yaml", "report", "all", "--month", month);
    run(COLLECTOR_JAR, "collector.yaml", "evidence", "export", "--format", "json");
    run(COLLECTOR_JAR, "collector.yaml", "evidence", "verify");
    run(COLLECTOR_JAR, "collector.yaml", "config", "check");
    run(AGENT_JAR, "agent.yaml", "config", "check");

    AgentCollectorIT.stop(agent);
    for (Process p : processes) {
      if (p.isAlive()) {
        AgentCollectorIT.stop(p);
      }
    }
    for (MimeMessage mail : smtp.getReceivedMessages()) {
      seen.put("mail " + mail.getSubject(), GreenMailUtil.getWholeMessage(mail));
    }

    // everything on disk the daemons and commands wrote (the secret files themselves aside)
    Set<String> secretFiles = Set.of("token", "repo.pass", "db.pass", "smtp.pass", "server.key", "ca.key");
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).filter(p -> !secretFiles.contains(p.getFileName().toString())).toList();
    }
    assertThat(files).as("the run left logs, a store, reports and a repository")
        .anyMatch(p -> p.toString().endsWith("collector.log"))
        .anyMatch(p -> p.toString().endsWith("collector.db"))
        .anyMatch(p -> p.toString().endsWith(".html"))
        .anyMatch(p -> p.toString().contains("/repo/"));
    Map<String, String> secrets = Map.of("agent token", TOKEN, "repository password", REPO_PASS, "database password",
        DB_PASS, "SMTP password", SMTP_PASS, "web password", WEB_PASS, "wrong password guess", WRONG_GUESS,
        "TLS private key", tlsKeyLine);
    List<String> leaks = new ArrayList<>();
    for (Path f : files) {
      String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      secrets.forEach((what, value) -> {
        if (content.contains(value)) {
          leaks.add(what + " in " + dir.relativize(f));
        }
      });
    }
    seen.forEach((where, content) -> secrets.forEach((what, value) -> {
      if (content.contains(value)) {
        leaks.add(what + " in " + where);
      }
    }));
    assertThat(leaks).isEmpty();
    // and the search itself can find things: the failure reached the mail, the log and the store
    assertThat(seen.keySet()).anyMatch(k -> k.startsWith("mail "));
    assertThat(Files.readString(dir.resolve("collector.log"))).contains("BackupGagal");
  }
}
