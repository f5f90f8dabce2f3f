package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.backup.crypto.KeyCache;
import id.penjaga.agent.backup.crypto.KeySlot;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key derived while a command starts: used when it is the command's, never when it is not. */
class PrestartTest {
  @TempDir Path dir;
  Path config;

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(dir.resolve("file"));
    Files.writeString(dir.resolve("file/ba.txt"), "berita acara");
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    config = AgentFixtures.backupConfig(
        dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass,
        dir.resolve("file"));
    assertThat(CliRun.with(config, "init").exit()).isZero();
    // init keeps the key it derived; these tests are about the derivation ahead, without it
    deleteKeyCache();
  }

  /** The configuration with another password file. */
  private String withPasswordFile(Path file) throws java.io.IOException {
    return Files.readString(config).replace(dir.resolve("repo.pass").toString(), file.toString());
  }

  @Test
  void theKeyDerivedAheadOpensTheRepositoryWithoutAnotherScrypt() throws Exception {
    KeySlot.expectAhead();
    int before = KeySlot.derivations();
    Prestart.deriveKeyAhead("-c", config.toString(), "snapshots");
    assertThat(KeySlot.derivations()).isEqualTo(before + 1);
    CliRun run = CliRun.with(config, "backup");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(KeySlot.derivations()).as("the opening took the key derived ahead").isEqualTo(before + 1);
    // Once taken, it is gone: without the key cache the next command derives its own.
    deleteKeyCache();
    assertThat(CliRun.with(config, "snapshots").exit()).isZero();
    assertThat(KeySlot.derivations()).isEqualTo(before + 2);
  }

  private void deleteKeyCache() throws java.io.IOException {
    Path cache = KeyCache.dirIn(dir.resolve("state"));
    try (var entries = Files.list(cache)) {
      for (Path e : entries.toList()) {
        Files.delete(e);
      }
    }
  }

  @Test
  void aKeyKeptInTheCacheSparesTheDerivationAheadAndTheOpeningBoth() throws Exception {
    assertThat(CliRun.with(config, "snapshots").exit()).isZero(); // derives once, and keeps the key
    assertThat(KeyCache.dirIn(dir.resolve("state"))).isDirectory();
    KeySlot.expectAhead();
    int before = KeySlot.derivations();
    Prestart.deriveKeyAhead("-c", config.toString(), "backup");
    CliRun run = CliRun.with(config, "backup");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(KeySlot.derivations()).as("neither ahead nor at the opening").isEqualTo(before);
    // a wrong password file of its own is not opened by the key kept for the right one
    Path wrong = AgentFixtures.secret(dir.resolve("other.pass"), "bukan-sandinya");
    Path other = dir.resolve("other.yaml");
    Files.writeString(other, withPasswordFile(wrong));
    CliRun refused = CliRun.with(other, "snapshots");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("password");
    assertThat(KeySlot.derivations()).isEqualTo(before + 1);
  }

  @Test
  void aSlotReadAsYamlHasWhatJacksonReadsOfItAndAnythingElseIsNoSlot() throws Exception {
    Path keys = dir.resolve("usb/keys");
    byte[] json;
    try (var files = Files.list(keys)) {
      json = Files.readAllBytes(files.findFirst().orElseThrow());
    }
    org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(
        new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions()));
    KeySlot read = Prestart.slotOf(yaml.load(new String(json, java.nio.charset.StandardCharsets.UTF_8)));
    KeySlot full = KeySlot.fromJson(json);
    assertThat(read).isNotNull();
    assertThat(read.salt()).isEqualTo(full.salt());
    assertThat(read.data()).isEqualTo(full.data());
    assertThat(new int[] {read.version(), read.n(), read.r(), read.p()})
        .containsExactly(full.version(), full.n(), full.r(), full.p());
    assertThat(read.kdf()).isEqualTo("scrypt");
    assertThat(Prestart.slotOf(yaml.load("{\"version\": 1, \"kdf\": \"scrypt\", \"n\": \"32768\"}"))).isNull();
    assertThat(Prestart.slotOf(yaml.load("- 1\n- 2\n"))).isNull();
    assertThat(Prestart.slotOf(null)).isNull();
  }

  @Test
  void aKeyDerivedFromAnotherPasswordIsNotUsed() throws Exception {
    Path wrong = AgentFixtures.secret(dir.resolve("other.pass"), "bukan-sandinya");
    Path other = dir.resolve("other.yaml");
    Files.writeString(other, withPasswordFile(wrong));
    KeySlot.expectAhead();
    int before = KeySlot.derivations();
    Prestart.deriveKeyAhead("-c", other.toString(), "snapshots");
    assertThat(KeySlot.derivations()).isEqualTo(before + 1);
    CliRun run = CliRun.with(config, "snapshots");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(KeySlot.derivations()).as("derived again with the right password").isEqualTo(before + 2);
    // and the other way round: the right password ahead does not open for a wrong one
    KeySlot.expectAhead();
    Prestart.deriveKeyAhead("-c", config.toString(), "snapshots");
    CliRun refused = CliRun.with(other, "snapshots");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("password");
  }

  @Test
  void nothingToDeriveLeavesNoOneWaiting() throws Exception {
    Path unreadable = dir.resolve("loose.pass");
    Files.writeString(unreadable, "kata-sandi\n"); // mode 0644: never read ahead
    Path loose = dir.resolve("loose.yaml");
    Files.writeString(loose, withPasswordFile(unreadable));
    for (String[] args : new String[][] {
        {"-c", dir.resolve("missing.yaml").toString(), "snapshots"},
        {"-c", loose.toString(), "snapshots"},
        {"-c", config.toString(), "snapshots", "--repo", "nas"}}) {
      KeySlot.expectAhead();
      int before = KeySlot.derivations();
      Prestart.deriveKeyAhead(args);
      assertThat(KeySlot.derivations()).as(String.join(" ", args)).isEqualTo(before);
      CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> CliRun.with(config, "snapshots"));
      assertThat(run.exit()).as(run.err()).isZero();
    }
  }

  @Test
  void theDaemonAndCommandsWithoutARepositoryBeginNothing() {
    for (Class<?> c : java.util.List.of(BackupCommand.class, RestoreCommand.class, SnapshotsCommand.class,
        CheckCommand.class, ForgetCommand.class, RestoreTestCommand.class)) {
      assertThat(OpensRepository.class.isAssignableFrom(c)).as(c.getSimpleName()).isTrue();
    }
    for (Class<?> c : java.util.List.of(RunCommand.class, ConfigCommand.class, SampleCommand.class,
        AnalyzeLogsCommand.class)) {
      assertThat(OpensRepository.class.isAssignableFrom(c)).as(c.getSimpleName()).isFalse();
    }
  }

  @Test
  void theConfigurationReadAheadIsTheOneTheCommandUsesOnce() throws Exception {
    AgentConfig ahead = Prestart.readConfigAhead(config).get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(ahead.agent().id()).isEqualTo("lpse-uji");
    // Changed after it was read ahead: the command has what was read ahead, a later reading the file.
    Files.writeString(config, Files.readString(config).replace("lpse-uji", "lpse-baru"));
    assertThat(Prestart.config(config)).isSameAs(ahead);
    assertThat(Prestart.config(config).agent().id()).isEqualTo("lpse-baru");
    // Another file than the one read ahead is read itself.
    Path other = dir.resolve("other.yaml");
    Files.writeString(other, Files.readString(config).replace("lpse-baru", "lpse-lain"));
    Prestart.readConfigAhead(config).get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(Prestart.config(other).agent().id()).isEqualTo("lpse-lain");
  }

  @Test
  void aConfigurationErrorReadAheadIsReportedAsItWouldBeOtherwise() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, Files.readString(config).replace("  id: lpse-uji", "  id: lpse-uji\n  colour: blue"));
    String direct = null;
    try {
      AgentConfig.load(bad);
    } catch (ConfigException e) {
      direct = e.getMessage();
    }
    assertThat(direct).contains("bad.yaml:").contains("agent.colour: unknown key");
    Prestart.readConfigAhead(bad).exceptionally(e -> null).get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThatThrownBy(() -> Prestart.config(bad)).isInstanceOf(ConfigException.class).hasMessage(direct);
    Path missing = dir.resolve("missing.yaml");
    Prestart.readConfigAhead(missing).exceptionally(e -> null).get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThatThrownBy(() -> Prestart.config(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": configuration file not found");
  }

  @Test
  void theConfigurationFileIsFoundAsTheCommandLineNamesIt() {
    assertThat(Prestart.configFile("backup")).isEqualTo(AgentConfig.DEFAULT_FILE);
    assertThat(Prestart.configFile("-c", "/etc/a.yaml", "backup")).isEqualTo(Path.of("/etc/a.yaml"));
    assertThat(Prestart.configFile("--config", "/etc/b.yaml", "backup")).isEqualTo(Path.of("/etc/b.yaml"));
    assertThat(Prestart.configFile("--config=/etc/c.yaml", "backup")).isEqualTo(Path.of("/etc/c.yaml"));
    assertThat(Prestart.configFile("-c/etc/d.yaml", "backup")).isEqualTo(Path.of("/etc/d.yaml"));
    assertThat(Prestart.configFile("-c", "/etc/a.yaml", "snapshots", "--repo", "nas")).isNull();
    assertThat(Prestart.configFile("-c", "/etc/a.yaml", "snapshots", "--repo=nas")).isNull();
  }
}
