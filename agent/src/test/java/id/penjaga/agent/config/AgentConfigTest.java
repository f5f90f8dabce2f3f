package id.penjaga.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path dir;
  Path token;

  @BeforeEach
  void token() throws IOException {
    token = dir.resolve("agent.token");
    Files.writeString(token, "secret-token\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
  }

  static Path projectRoot() {
    return Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath().normalize();
  }

  /** The shipped sample, with its secret file pointed at one this test made. */
  Path sample() throws IOException {
    String text = Files.readString(projectRoot().resolve("config/agent.yaml"));
    Path file = dir.resolve("agent.yaml");
    Files.writeString(
        file,
        text.replace("/etc/penjaga/agent.token", token.toString())
            .replace("/etc/penjaga/repo.pass", token.toString()));
    return file;
  }

  Path write(String yaml) throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, yaml.replace("TOKEN", token.toString()));
    return file;
  }

  static CliRun check(Path file) {
    return CliRun.of("-c", file.toString(), "config", "check");
  }

  @Test
  void acceptsTheShippedSample() throws Exception {
    AgentConfig c = AgentConfig.load(sample());
    assertThat(c.agent().id()).isEqualTo("lpse-demo");
    assertThat(c.collectorLink()).isPresent();
    assertThat(c.collectorLink().get().url().toString()).isEqualTo("http://127.0.0.1:8470");
    assertThat(c.collectorLink().get().tokenFile().read()).isEqualTo("secret-token");
    assertThat(c.metrics().listen()).isEqualTo(new HostPort("127.0.0.1", 9464));
    assertThat(c.heartbeat().interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.spool().maxSize().bytes()).isEqualTo(256L << 20);
    CliRun o = check(sample());
    assertThat(o.exit()).isZero();
    assertThat(o.out()).contains("OK").contains("lpse-demo");
  }

  @Test
  void minimalConfigRunsStandaloneWithDefaults() throws Exception {
    AgentConfig c = AgentConfig.load(write("agent:\n  id: lpse-kab-1\n"));
    assertThat(c.collectorLink()).isEmpty();
    assertThat(c.metrics().listen().port()).isEqualTo(9464);
    assertThat(c.metrics().enabled()).isTrue();
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/penjaga/agent"));
    assertThat(c.logging().format()).isEqualTo("text");
  }

  @Test
  void postgresqlSourcesAndSchedulesHaveDefaultsAndNamedErrors() throws Exception {
    AgentConfig c =
        AgentConfig.load(
            write("agent:\n  id: a\nsources:\n  db:\n    type: postgresql\n    database: spse\n"));
    AgentConfig.Source db = c.sources().get("db");
    assertThat(db.isPostgresql()).isTrue();
    assertThat(db.host()).isEqualTo("/var/run/postgresql");
    assertThat(db.port()).isEqualTo(5432);
    assertThat(db.user()).isEqualTo("postgres");
    assertThat(db.globals()).isTrue();
    assertThat(db.allDatabases()).isFalse();
    assertThat(c.schedule().backup()).isEqualTo("30 1 * * *");
    assertThat(AgentConfig.Schedules.quartz(c.schedule().backup())).contains("0 30 1 * * ?");
    assertThat(c.schedule().readDataSubset()).isEqualTo("5%");

    CliRun o = check(write("agent:\n  id: a\nsources:\n  db:\n    type: postgresql\n    database: spse\n    path: /var/lib\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":7:").contains("sources.db.path").contains("only to sources of type files");

    o = check(write("agent:\n  id: a\nsources:\n  db:\n    type: postgresql\n    port: 5432\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("sources.db.database").contains("'all'");

    o = check(write("agent:\n  id: a\nsources:\n  up:\n    type: files\n    path: /srv\n    database: x\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":7:").contains("sources.up.database").contains("only to sources of type postgresql");

    o = check(write("agent:\n  id: a\nsources:\n  x:\n    type: mysql\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("sources.x.type").contains("known: files, postgresql");

    o = check(write("agent:\n  id: a\nschedule:\n  backup: \"30 25 * * *\"\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":4:").contains("schedule.backup").contains("hour 25 is outside 0-23");

    o = check(write("agent:\n  id: a\nschedule:\n  check: \"off\"\n  read-data-subset: 150%\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("schedule.read-data-subset");
  }

  @Test
  void unknownKeyIsNamedWithLineAndSuggestion() throws IOException {
    Path f = write("agent:\n  id: a\ncollector:\n  url: http://h:1\n  tokn-file: TOKEN\n");
    CliRun o = check(f);
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err())
        .contains(f + ":5:")
        .contains("collector.tokn-file")
        .contains("unknown key")
        .contains("did you mean 'token-file'?");
  }

  @Test
  void unknownSectionIsNamed() throws IOException {
    CliRun o = check(write("agent:\n  id: a\nmetrcs:\n  listen: 127.0.0.1:1\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":3:").contains("metrcs").contains("did you mean 'metrics'?");
  }

  @Test
  void wrongTypeIsNamed() throws IOException {
    CliRun o = check(write("agent:\n  id: a\nmetrics:\n  enabled: maybe\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":4:").contains("metrics.enabled").contains("true or false");

    o = check(write("agent:\n  id: a\nheartbeat: [1, 2]\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":3:").contains("heartbeat").contains("section");
  }

  @Test
  void missingRequiredKeyIsNamed() throws IOException {
    CliRun o = check(write("agent:\n  state-dir: /tmp/x\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("bad.yaml:").contains("agent.id: required key is missing");

    o = check(write("agent:\n  id: a\ncollector:\n  url: http://h:1\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("collector.token-file: required key is missing");

    o = check(write("metrics:\n  enabled: false\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("agent: required key is missing");
  }

  @Test
  void invalidDurationAndSizeAreNamed() throws IOException {
    CliRun o = check(write("agent:\n  id: a\nheartbeat:\n  interval: 5 minutes\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err())
        .contains(":4:")
        .contains("heartbeat.interval")
        .contains("invalid duration \"5 minutes\"");

    o = check(write("agent:\n  id: a\nspool:\n  max-size: 20 gigs\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":4:").contains("spool.max-size").contains("invalid size");

    o = check(write("agent:\n  id: a\nheartbeat:\n  interval: 10ms\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("heartbeat.interval: must be at least 1s");
  }

  @Test
  void secretFileMustExistAndBeClosedToOthers() throws IOException {
    CliRun o =
        check(
            write(
                "agent:\n  id: a\ncollector:\n  url: http://h:1\n  token-file: "
                    + dir.resolve("nope")
                    + "\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":5:").contains("collector.token-file").contains("does not exist");

    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
    o = check(write("agent:\n  id: a\ncollector:\n  url: http://h:1\n  token-file: TOKEN\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err())
        .contains(":5:")
        .contains("collector.token-file")
        .contains("readable by group or others (mode 0644)")
        .contains("chmod 600");

    o = check(write("agent:\n  id: a\ncollector:\n  url: http://h:1\n  token-file: " + dir + "\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("is not a regular file");
  }

  @Test
  void secretsNeverAppearInMessages() throws IOException {
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r-----"));
    CliRun o = check(write("agent:\n  id: a\ncollector:\n  url: http://h:1\n  token-file: TOKEN\n"));
    assertThat(o.err()).doesNotContain("secret-token");
    assertThat(new SecretFile(token).toString()).doesNotContain("secret-token");
  }

  @Test
  void badValuesOfKnownKeysAreNamed() throws IOException {
    CliRun o = check(write("agent:\n  id: LPSE Demo\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("agent.id").contains("lower-case");

    o = check(write("agent:\n  id: a\ncollector:\n  url: ftp://h\n  token-file: TOKEN\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("collector.url").contains("http://");

    o = check(write("agent:\n  id: a\nmetrics:\n  listen: localhost\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":4:").contains("metrics.listen").contains("host:port");

    o = check(write("agent:\n  id: a\nlogging:\n  format: xml\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("logging.format").contains("text or json");
  }

  @Test
  void duplicateKeysAndBrokenYamlAreRefused() throws IOException {
    CliRun o = check(write("agent:\n  id: a\n  id: b\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":3:").contains("agent.id: key appears twice");

    o = check(write("agent:\n  id: a\n   bad: [x\n"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains(":3:").contains("invalid YAML");

    o = check(write(""));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("the file is empty");
  }

  @Test
  void missingFileIsAConfigurationError() {
    CliRun o = check(dir.resolve("absent.yaml"));
    assertThat(o.exit()).isEqualTo(2);
    assertThat(o.err()).contains("absent.yaml: configuration file not found");
  }

  @Test
  void loadThrowsConfigException() {
    assertThatThrownBy(() -> AgentConfig.load(write("agent:\n  idd: a\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.yaml:");
  }

  @Test
  void suggestionsPreferTheClosestKey() {
    assertThat(ConfigMapper.suggestion("intervall", java.util.List.of("interval", "enabled")))
        .isEqualTo(" (did you mean 'interval'?)");
    assertThat(ConfigMapper.suggestion("zzz", java.util.List.of("listen", "enabled")))
        .isEqualTo(" (known keys: enabled, listen)");
  }

  /**
   * The bad-input sweep: every key of the shipped sample, given a value of the wrong type, and (where
   * its kind is known) a wrong value of the right shape, is refused with the file, a line and the key.
   */
  @Test
  void everyKeyOfTheSampleRefusesWrongTypesAndValues() throws Exception {
    java.util.List<id.penjaga.agent.ConfigSweep.Case> cases = id.penjaga.agent.ConfigSweep.cases(Files.readString(sample()));
    assertThat(cases).hasSizeGreaterThan(60);
    java.util.List<String> accepted = new java.util.ArrayList<>();
    for (id.penjaga.agent.ConfigSweep.Case c : cases) {
      CliRun o = check(write(c.yaml()));
      if (o.exit() != 2 || !o.err().matches("(?s).*bad\\.yaml:\\d+:.*") || !o.err().contains(c.key())) {
        accepted.add(c.key() + " = " + c.how() + " -> exit " + o.exit() + ": " + o.err().strip());
      }
    }
    assertThat(accepted).as("%d cases", cases.size()).isEmpty();
    System.out.println("config sweep: " + cases.size() + " bad documents, each refused with file, line and key");
  }
}
