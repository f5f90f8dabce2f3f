package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.AgentFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup commands end to end in this JVM, with a main repository and a copy. */
class BackupCommandTest {
  @TempDir Path dir;
  Path config;

  CliRun cli(String... args) {
    return CliRun.with(config, args);
  }

  @BeforeEach
  void setUp() throws Exception {
    Path source = Files.createDirectories(dir.resolve("file/2026"));
    Files.writeString(source.resolve("penawaran.pdf"), "isi penawaran ".repeat(1000));
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass,
            dir.resolve("file"),
            "copies:",
            "  nas:",
            "    path: " + dir.resolve("nas"),
            "    password-file: " + pass,
            "retention:",
            "  keep-last: 1");
  }

  @Test
  void everyBackupGoesToEveryTargetAndIsRecordedPerTarget() throws Exception {
    CliRun init = cli("init");
    assertThat(init.exit()).as(init.err()).isZero();
    assertThat(init.out()).contains("main: created repository").contains("nas: created repository");

    CliRun backup = cli("backup", "--reason", "change 42: upgrade SPSE", "--json");
    assertThat(backup.exit()).as(backup.err()).isZero();
    assertThat(backup.out()).contains("\"target\" : \"main\"").contains("\"target\" : \"nas\"");

    CliRun main = cli("snapshots", "--json");
    CliRun nas = cli("snapshots", "--repo", "nas", "--json");
    assertThat(main.out()).contains("\"reason\" : \"change 42: upgrade SPSE\"").contains("\"pre_change\" : true");
    assertThat(nas.out()).contains("\"reason\" : \"change 42: upgrade SPSE\"");
    assertThat(cli("snapshots", "--repo", "tape").exit()).isEqualTo(2);

    // The NAS goes away: the main target still gets its backup, the failure is its own record.
    Files.move(dir.resolve("nas"), dir.resolve("nas-gone"));
    CliRun partial = cli("backup");
    assertThat(partial.exit()).isEqualTo(1);
    assertThat(partial.out()).contains("uploads to main: snapshot").contains("uploads to nas: FAILED");
    assertThat(partial.err()).contains("backup of uploads to nas failed").contains("no repository at");
    try (Stream<Path> s = Files.list(dir.resolve("state/spool"))) {
      long records =
          s.filter(p -> p.toString().endsWith(".json"))
              .filter(p -> read(p).contains("\"type\":\"backup-run\""))
              .count();
      assertThat(records).isEqualTo(4); // 2 targets x 2 runs, the failure included
    }
    CliRun check = cli("check", "--read-data");
    assertThat(check.exit()).as(check.out()).isZero();
    CliRun restore = cli("restore", "latest", "--target", dir.resolve("back").toString());
    assertThat(restore.exit()).as(restore.err()).isZero();
    assertThat(Files.readString(dir.resolve("back/2026/penawaran.pdf"))).startsWith("isi penawaran");

    // forget keeps the newest pre-change backup whatever keep-last says
    CliRun forget = cli("forget", "--prune", "--json");
    assertThat(forget.exit()).as(forget.err()).isZero();
    assertThat(forget.out()).contains("newest pre-change backup");
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
