package id.penjaga.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.collector.cli.CollectorMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorConfigTest {
  @TempDir Path dir;
  Path token;

  @BeforeEach
  void token() throws IOException {
    token = dir.resolve("lpse-demo");
    Files.writeString(token, "tok\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
  }

  static Path projectRoot() {
    return Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath().normalize();
  }

  Path sample() throws IOException {
    String text = Files.readString(projectRoot().resolve("config/collector.yaml"));
    Path file = dir.resolve("collector.yaml");
    Files.writeString(file, text.replace("/etc/penjaga/tokens/lpse-demo", token.toString()));
    return file;
  }

  Path write(String yaml) throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, yaml.replace("TOKEN", token.toString()));
    return file;
  }

  record Outcome(int exit, String out, String err) {}

  static Outcome check(Path file) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = CollectorMain.execute("-c", file.toString(), "config", "check");
      return new Outcome(
          exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void acceptsTheShippedSample() throws Exception {
    CollectorConfig c = CollectorConfig.load(sample());
    assertThat(c.collector().listen()).isEqualTo(new HostPort("127.0.0.1", 8470));
    assertThat(c.collector().store()).isEqualTo("/var/lib/penjaga/collector/collector.db");
    assertThat(c.collector().jdbcUrl()).isEqualTo("jdbc:sqlite:/var/lib/penjaga/collector/collector.db");
    assertThat(c.collector().keepHeartbeats()).isEqualTo(Duration.ofDays(30));
    assertThat(c.collector().housekeeping().quartz()).isEqualTo("0 15 3 * * ?");
    assertThat(c.agents()).containsOnlyKeys("lpse-demo");
    assertThat(c.agents().get("lpse-demo").tokenFile().read()).isEqualTo("tok");
    assertThat(c.smtpServer()).isPresent();
    assertThat(c.smtpServer().get().port()).isEqualTo(25);
    assertThat(c.smtpServer().get().timezone()).isEqualTo("Asia/Jakarta");
    assertThat(c.recipients()).extracting(CollectorConfig.Recipient::address).contains("kepala.lpse@example.go.id");
    assertThat(c.recipients().get(0).language()).isEqualTo("id");
    Outcome o = check(sample());
    assertThat(o.exit()).isZero();
    assertThat(o.out()).contains("OK").contains("lpse-demo");
  }

  @Test
  void theShippedAlertRulesAreTheDefaultsAndBadRulesAreNamed() throws Exception {
    Path root = Path.of(System.getProperty("penjaga.root", ".."));
    assertThat(Files.readString(root.resolve("config/alerts.yaml")))
        .isEqualTo(Files.readString(root.resolve("collector/src/main/resources/default-alerts.yaml")));
    AlertRules shipped = AlertRules.load(root.resolve("config/alerts.yaml"));
    assertThat(shipped.thresholds()).extracting(AlertRules.Threshold::name)
        .contains("DiskHampirPenuh", "MemoriHampirHabis", "SitusSpseTidakDapatDiakses", "ProsesTidakBerjalan");
    assertThat(AlertRules.defaults()).isEqualTo(shipped);
    AlertRules.Threshold disk = shipped.thresholds().get(0);
    assertThat(disk.breached(0.86)).isTrue();
    assertThat(disk.cleared(0.83)).isFalse();
    assertThat(disk.cleared(0.80)).isTrue();

    Path bad = write("thresholds:\n  - name: DiskPenuh\n    metric: penjaga_filesystem_used_ratio\n"
        + "    above: 0.9\n    clear: 0.95\n    summary: x\n");
    assertThatThrownBy(() -> AlertRules.load(bad)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(":5:").hasMessageContaining("thresholds[0].clear").hasMessageContaining("hysteresis");
    Path bad2 = write("thresholds:\n  - name: DiskPenuh\n    metric: penjaga_filesystem_used_ratio\n    above: 0.9\n    summary: x\n    fro: 10m\n");
    assertThatThrownBy(() -> AlertRules.load(bad2)).isInstanceOf(ConfigException.class)
        .hasMessageContaining(":6:").hasMessageContaining("did you mean 'for'?");
  }

  @Test
  void eachKindOfBadInputNamesFileLineAndKey() throws IOException {
    String[][] cases = {
      // yaml, expected line, expected key, expected words
      {"collector:\n  listen: 127.0.0.1:1\n  stor: /x\n", ":3:", "collector.stor", "did you mean 'store'?"},
      {"collector:\n  listen: 1\n", ":2:", "collector.listen", "host:port"},
      {"collector:\n  max-report-size: big\n", ":2:", "collector.max-report-size", "invalid size"},
      {"collector:\n  keep-heartbeats: forever\n", ":2:", "collector.keep-heartbeats", "invalid duration"},
      {"collector:\n  housekeeping: \"daily\"\n", ":2:", "collector.housekeeping", "five crontab fields"},
      {"collector:\n  housekeeping: \"99 3 * * *\"\n", ":2:", "collector.housekeeping", "invalid cron"},
      {"collector: {}\nagents:\n  lpse-demo:\n    tokenfile: TOKEN\n", ":4:", "agents.lpse-demo.tokenfile", "did you mean 'token-file'?"},
      {"collector: {}\nagents:\n  lpse-demo: {}\n", ":3:", "agents.lpse-demo.token-file", "required key is missing"},
      {"agents: {}\n", ":1:", "collector", "required key is missing"},
      {"collector: {}\nagents:\n  lpse-demo:\n    token-file: /nonexistent/tok\n", ":4:", "agents.lpse-demo.token-file", "does not exist"},
      {"collector: {}\nagents: [a, b]\n", ":2:", "agents", "section"},
      {"collector: {}\nagents:\n  LPSE Demo:\n    token-file: TOKEN\n", ":3:", "agents.LPSE Demo", "lower-case"},
      {"collector:\n  store: jdbc:mysql://x/y\n", ":2:", "collector.store", "SQLite"},
      {"collector:\n  store: jdbc:postgresql://db:5432/penjaga?user=penjaga&password=s3cret\n", ":2:", "collector.store",
          "store-password-file"},
      {"collector:\n  store: /x/c.db\n  store-password-file: TOKEN\n", ":3:", "collector.store-password-file",
          "only a PostgreSQL store"},
      {"collector: {}\nsmtp:\n  host: h\n  from: p@x.id\n  security: ssl\n", ":5:", "smtp.security", "none, starttls or tls"},
      {"collector: {}\nsmtp:\n  host: h\n  from: penjaga\n", ":4:", "smtp.from", "e-mail address"},
      {"collector: {}\nsmtp:\n  host: h\n  from: p@x.id\n  timezone: WIB\n", ":5:", "smtp.timezone", "Asia/Jakarta"},
      {"collector: {}\nsmtp:\n  host: h\n  from: p@x.id\nrecipients:\n  - address: k@x.id\n    severities: [urgent]\n", ":7:", "recipients[0].severities", "low, medium or high"},
      {"collector: {}\nrecipients:\n  - address: k@x.id\n", ":2:", "recipients", "smtp"},
    };
    for (String[] c : cases) {
      Outcome o = check(write(c[0]));
      assertThat(o.exit()).as(c[0]).isEqualTo(2);
      assertThat(o.err()).as(c[0]).contains("bad.yaml" + c[1]).contains(c[2]).contains(c[3]);
    }
  }

  @Test
  void tokenFileOpenToOthersIsRefused() throws IOException {
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-rw-r--"));
    Outcome o = check(write("collector: {}\nagents:\n  lpse-demo:\n    token-file: TOKEN\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err())
        .contains("bad.yaml:4:")
        .contains("agents.lpse-demo.token-file")
        .contains("mode 0664")
        .doesNotContain("tok\n");
  }

  /**
   * The bad-input sweep: every key of the shipped sample, given a value of the wrong type, and (where
   * its kind is known) a wrong value of the right shape, is refused with the file, a line and the key.
   */
  @Test
  void everyKeyOfTheSampleRefusesWrongTypesAndValues() throws Exception {
    sweep(Files.readString(sample()), 30);
  }

  /** The same sweep over a configuration that sets every section the sample leaves commented out. */
  @Test
  void everyKeyOfAFullConfigurationRefusesWrongTypesAndValues() throws Exception {
    String hash = id.penjaga.collector.web.PasswordHash.hash("kata-sandi-uji".toCharArray());
    sweep(String.join("\n",
        "collector:", "  listen: 127.0.0.1:8470", "  store: " + dir.resolve("c.db"), "  max-report-size: 1MiB",
        "  keep-heartbeats: 30d", "  keep-capacity: 400d", "  housekeeping: \"15 3 * * *\"", "  rate-limit: 20",
        "  tls-reload-every: 1m",
        "agents:", "  lpse-demo:", "    token-file: " + token, "    next-token-file: " + token,
        "smtp:", "  host: 127.0.0.1", "  port: 25", "  security: starttls", "  from: penjaga@lpse.example.go.id",
        "  timezone: Asia/Jakarta",
        "recipients:", "  - address: kepala@lpse.example.go.id", "    severities: [medium, high]", "    language: id",
        "    name: Kepala LPSE", "    reports: true",
        "alerts:", "  no-heartbeat: 5m", "  no-successful-backup: 26h", "  no-restore-test: 92d", "  no-log-analysis: 8d",
        "  evaluate-every: 30s", "  forecast-days: 14", "  alertmanagers: [\"http://127.0.0.1:9093\"]",
        "reports:", "  timezone: Asia/Jakarta", "  language: id", "  schedule: \"0 7 1 * *\"", "  lpse-name: LPSE Contoh",
        "web:", "  base-url: http://127.0.0.1:8470", "  link-validity: 7d", "  session-timeout: 30m", "  secure-cookie: false",
        "  users:", "    kepala:", "      name: Kepala LPSE", "      role: kepala-lpse", "      password-hash: \"" + hash + "\"",
        "logging:", "  format: text", "  level: info", ""), 45);
  }

  void sweep(String valid, int minCases) throws Exception {
    Outcome ok = check(write(valid));
    assertThat(ok.exit()).as(ok.err()).isZero();
    java.util.List<id.penjaga.agent.ConfigSweep.Case> cases = id.penjaga.agent.ConfigSweep.cases(valid);
    assertThat(cases).hasSizeGreaterThan(minCases);
    java.util.List<String> accepted = new java.util.ArrayList<>();
    for (id.penjaga.agent.ConfigSweep.Case c : cases) {
      Outcome o = check(write(c.yaml()));
      if (o.exit() != 2 || !o.err().matches("(?s).*bad\\.yaml:\\d+:.*") || !o.err().contains(c.key())) {
        accepted.add(c.key() + " = " + c.how() + " -> exit " + o.exit() + ": " + o.err().strip());
      }
    }
    assertThat(accepted).as("%d cases", cases.size()).isEmpty();
    System.out.println("config sweep: " + cases.size() + " bad documents, each refused with file, line and key");
  }
}
