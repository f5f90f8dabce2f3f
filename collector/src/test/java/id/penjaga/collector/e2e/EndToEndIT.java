package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.agent.PostgresServer;
import id.penjaga.collector.TestStores;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The whole main job with real peers, as an LPSE runs it: an SPSE-like PostgreSQL database and
 * upload tree, the repository on a real OpenSSH server (SFTP, host key pinned), the agent and the
 * collector as processes from their jars, a real SMTP server for Kepala LPSE's mail and a real
 * Prometheus scraping both daemons. The cycle: daily backup, changed data, incremental backup,
 * restore test, the backup host down (failure e-mailed), back up (resolved e-mailed), the month's
 * reports, and the evidence register verified.
 */
class EndToEndIT extends DaemonTest {
  static final Path SSHD = Path.of("/usr/sbin/sshd");

  final HttpClient http = HttpClient.newHttpClient();
  Process sshd;
  int sshPort;

  @Test
  void dailyBackupChangeRestoreTestFailureRecoveryReportEvidence() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "sshd needs root to log users in");
    assertThat(SSHD).as("CI installs openssh-server").isExecutable();
    assertThat(AGENT_JAR).as("build the jars first (mvn package)").exists();

    // An SPSE-like database and upload tree.
    pg = PostgresServer.start();
    pg.sql("postgres", "CREATE DATABASE spse");
    pg.sql("spse", String.join("\n",
        "CREATE TABLE paket (pkt_id bigint PRIMARY KEY, pkt_nama text NOT NULL, pkt_pagu numeric(18,2), pkt_status int);",
        "CREATE TABLE peserta (psr_id bigint PRIMARY KEY, pkt_id bigint REFERENCES paket, rkn_nama text, psr_harga numeric(18,2));",
        "INSERT INTO paket SELECT i, 'Paket pekerjaan ' || i, 1000000 + i * 250, 1 FROM generate_series(1, 400) i;",
        "INSERT INTO peserta SELECT i, 1 + i % 400, 'CV Rekanan ' || i, 950000 + i * 10 FROM generate_series(1, 4000) i;"));
    Path upload = Files.createDirectories(dir.resolve("file/2026"));
    Random r = new Random(7);
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[150_000 + i * 40_000];
      r.nextBytes(b);
      Files.write(upload.resolve("penawaran-" + i + ".pdf"), b);
      Files.writeString(upload.resolve("rab-" + i + ".csv"), "Item;harga\n" + "Semen;Rp 75.000\n".repeat(500 + i));
    }

    // The backup host: OpenSSH on loopback, its host key pinned in known_hosts.
    Path ssh = Files.createDirectories(dir.resolve("ssh"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("host_key").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("id_agent").toString());
    Files.copy(ssh.resolve("id_agent.pub"), ssh.resolve("authorized_keys"));
    sshPort = freePort();
    Files.writeString(ssh.resolve("sshd_config"), String.join("\n",
        "Port " + sshPort, "ListenAddress 127.0.0.1", "HostKey " + ssh.resolve("host_key"),
        "AuthorizedKeysFile " + ssh.resolve("authorized_keys"), "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
        "StrictModes no", "UsePAM no", "PidFile " + ssh.resolve("sshd.pid"), "Subsystem sftp internal-sftp", ""));
    Files.writeString(ssh.resolve("known_hosts"),
        "[127.0.0.1]:" + sshPort + " " + Files.readString(ssh.resolve("host_key.pub")).trim() + "\n");
    startSshd();

    // Kepala LPSE's mail server, the collector, the agent.
    smtp = new GreenMail(new ServerSetup(freePort(), "127.0.0.1", "smtp"));
    smtp.start();
    int collectorPort = freePort();
    int agentMetrics = freePort();
    secret("agent.token", "e2e-agent-token-5d1c");
    secret("repo.pass", "e2e-repository-password");
    Files.writeString(dir.resolve("collector.yaml"), String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:" + collectorPort,
        "  store: " + TestStores.yaml(dir.resolve("collector.db")),
        "agents:",
        "  lpse-demo:",
        "    token-file: " + dir.resolve("agent.token"),
        "smtp:",
        "  host: 127.0.0.1",
        "  port: " + smtp.getSmtp().getPort(),
        "  from: penjaga@lpse.example.go.id",
        "recipients:",
        "  - address: kepala.lpse@example.go.id",
        "reports:",
        "  lpse-name: LPSE Kabupaten Contoh",
        ""));
    Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
        "agent:",
        "  id: lpse-demo",
        "  state-dir: " + dir.resolve("agent-state"),
        "collector:",
        "  url: http://127.0.0.1:" + collectorPort,
        "  token-file: " + dir.resolve("agent.token"),
        "  timeout: 5s",
        "repository:",
        "  path: sftp://root@127.0.0.1:" + sshPort + dir.resolve("backup-host/penjaga"),
        "  password-file: " + dir.resolve("repo.pass"),
        "  identity-file: " + ssh.resolve("id_agent"),
        "  known-hosts: " + ssh.resolve("known_hosts"),
        "sources:",
        "  uploads:",
        "    type: files",
        "    path: " + dir.resolve("file"),
        "  db:",
        "    type: postgresql",
        "    host: " + pg.socketDir,
        "    port: " + pg.port,
        "    user: postgres",
        "    database: spse",
        "retention:",
        "  keep-daily: 7",
        "restore-test:",
        "  files: 6",
        "  sanity-queries: [\"SELECT count(*) = 400 FROM paket\"]",
        "capacity:",
        "  interval: 1s",
        "  period: 3s",
        "metrics:",
        "  listen: 127.0.0.1:" + agentMetrics,
        "heartbeat:",
        "  interval: 1s",
        ""));
    Files.createDirectories(dir.resolve("backup-host"));
    start(COLLECTOR_JAR, "collector.yaml", "collector.log");
    start(AGENT_JAR, "agent.yaml", "agent.log");

    // Prometheus scrapes both daemons.
    int promPort = freePort();
    Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
        "global:", "  scrape_interval: 1s", "scrape_configs:",
        "  - job_name: penjaga-collector", "    static_configs:", "      - targets: [\"127.0.0.1:" + collectorPort + "\"]",
        "  - job_name: penjaga-agent", "    static_configs:", "      - targets: [\"127.0.0.1:" + agentMetrics + "\"]", ""));
    Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    processes.add(prometheus);

    // Day 1: the daily backup of both sources to the backup host.
    assertThat(agent("init").exit()).isZero();
    JsonObject day1 = new JsonObject(agent("backup", "--json").expectExit(0).out());
    assertThat(day1.getJsonArray("runs")).hasSize(2)
        .allSatisfy(o -> assertThat(((JsonObject) o).getString("result")).isEqualTo("success"));

    // Day 2: a bid document changed, one added, rows changed; the backup is incremental.
    byte[] changed = Files.readAllBytes(upload.resolve("penawaran-3.pdf"));
    changed[1000] ^= 1;
    Files.write(upload.resolve("penawaran-3.pdf"), changed);
    Files.writeString(upload.resolve("berita-acara.txt"), "Berita acara evaluasi penawaran\n");
    pg.sql("spse", "UPDATE peserta SET psr_harga = psr_harga + 1 WHERE psr_id % 100 = 0");
    JsonObject day2 = new JsonObject(agent("backup", "--json").expectExit(0).out());
    JsonObject uploads = run(day2, "uploads").getJsonObject("snapshot").getJsonObject("summary");
    assertThat(uploads.getLong("files_new")).as(uploads.encode()).isEqualTo(1);
    assertThat(uploads.getLong("files_changed")).isEqualTo(1);
    assertThat(uploads.getLong("files_unchanged")).as("24 files at first, one of them changed").isEqualTo(23);

    // The restore test by random sampling passes, database included.
    JsonObject test = new JsonObject(agent("restore-test", "--json").expectExit(0).out());
    assertThat(test.getString("result")).isEqualTo("pass");

    // The backup host goes down: the backup fails, and Kepala LPSE is told.
    sshd.destroy();
    sshd.waitFor(10, TimeUnit.SECONDS);
    processes.remove(sshd);
    Outcome failed = agent("backup", "--source", "uploads");
    assertThat(failed.exit()).as(failed.out() + failed.err()).isEqualTo(1);
    waitFor(Duration.ofSeconds(60), () -> subjects().stream().anyMatch(s -> s.contains("Backup gagal")));
    MimeMessage failureMail = Arrays.stream(smtp.getReceivedMessages())
        .filter(m -> subject(m).contains("Backup gagal")).findFirst().orElseThrow();
    assertThat(failureMail.getAllRecipients()[0].toString()).isEqualTo("kepala.lpse@example.go.id");
    assertThat(subject(failureMail)).contains("lpse-demo");

    // Back up: the next backup succeeds and the alert resolves, by e-mail too.
    startSshd();
    agent("backup", "--source", "uploads").expectExit(0);
    waitFor(Duration.ofSeconds(60), () -> subjects().stream().anyMatch(s -> s.startsWith("[Penjaga] PULIH")));
    assertThat(subjects().stream().filter(s -> s.contains("Backup gagal") && !s.contains("PULIH")).count()).isEqualTo(1);

    // Prometheus has the backup series from the collector and the capacity series from the agent.
    waitFor(Duration.ofSeconds(60), () ->
        query(promPort, "penjaga_backup_runs_total{agent=\"lpse-demo\",source=\"uploads\",result=\"success\"}").contains("lpse-demo")
            && query(promPort, "penjaga_backup_runs_total{agent=\"lpse-demo\",result=\"failure\"}").contains("lpse-demo")
            && query(promPort, "count({__name__=~\"penjaga_filesystem_.*\",job=\"penjaga-agent\"})").contains("\"value\"")
            && query(promPort, "penjaga_restore_test_last_timestamp_seconds{agent=\"lpse-demo\",result=\"pass\"}").contains("lpse-demo"));

    // The month's SOP reports, and the evidence register intact.
    String month = YearMonth.now(ZoneId.of("Asia/Jakarta")).toString();
    collector("report", "all", "--month", month, "--by", "e2e").expectExit(0);
    try (Stream<Path> files = Files.list(dir.resolve("reports").resolve(month))) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertThat(names).contains("backup-log-" + month + ".html", "restore-test-" + month + ".html");
    }
    String log = Files.readString(dir.resolve("reports").resolve(month).resolve("backup-log-" + month + ".csv"));
    assertThat(log).contains("uploads").contains("db");
    Outcome verify = collector("evidence", "verify").expectExit(0);
    assertThat(verify.out()).contains("intact");
  }

  void startSshd() throws Exception {
    Files.createDirectories(Path.of("/run/sshd"));
    sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("ssh/sshd_config").toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("ssh/sshd.log").toFile()))
        .start();
    processes.add(sshd);
    waitFor(Duration.ofSeconds(15), () -> {
      try (Socket s = new Socket("127.0.0.1", sshPort)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  static JsonObject run(JsonObject backup, String source) {
    for (Object o : backup.getJsonArray("runs", new JsonArray())) {
      if (source.equals(((JsonObject) o).getString("source"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no run of " + source + " in " + backup.encode());
  }

  List<String> subjects() {
    return Arrays.stream(smtp.getReceivedMessages()).map(EndToEndIT::subject).toList();
  }

  static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (jakarta.mail.MessagingException e) {
      return "";
    }
  }

  String query(int port, String promql) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
              + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException | InterruptedException e) {
      return "";
    }
  }

  record Outcome(int exit, String out, String err) {
    Outcome expectExit(int code) {
      assertThat(exit).as(out + err).isEqualTo(code);
      return this;
    }
  }

  Outcome agent(String... args) throws Exception {
    return cli(AGENT_JAR, "agent.yaml", args);
  }

  Outcome collector(String... args) throws Exception {
    return cli(COLLECTOR_JAR, "collector.yaml", args);
  }

  Outcome cli(Path jar, String config, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "-c", dir.resolve(config).toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(String.join(" ", args)).isTrue();
    return new Outcome(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
