package id.penjaga.agent.backup;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.cli.CliRun;
import id.penjaga.agent.config.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup disks used in turn at one mount point: each run records which disk it reached (by the
 * name written into the repository, not the path); a disk out of turn, one kept too long, and one
 * not used for a whole round are reported as failures.
 */
class MediaRotationTest {
  @TempDir Path dir;

  Path config() throws Exception {
    Path pass = dir.resolve("repo.pass");
    Files.writeString(pass, "kata-sandi-repositori\n");
    Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/penawaran.txt"), "dokumen\n");
    Path config = dir.resolve("agent.yaml");
    Files.writeString(config, String.join("\n",
        "agent:",
        "  id: lpse-demo",
        "  state-dir: " + dir.resolve("state"),
        "repository:",
        "  path: " + dir.resolve("mnt"),
        "  password-file: " + pass,
        "  rotation:",
        "    media: [A, B, C]",
        "    every: 7d",
        "sources:",
        "  uploads:",
        "    type: files",
        "    path: " + dir.resolve("data"),
        ""));
    return config;
  }

  void attach(String disk) throws Exception {
    Files.move(dir.resolve("disk-" + disk), dir.resolve("mnt"));
  }

  void detach(String disk) throws Exception {
    Files.move(dir.resolve("mnt"), dir.resolve("disk-" + disk));
  }

  @Test
  void aDiskOutOfTurnIsReportedAndEachRunNamesItsDisk() throws Exception {
    Path config = config();
    for (String d : List.of("A", "B", "C")) {
      CliRun init = CliRun.with(config, "init", "--medium-name", d);
      assertThat(init.exit()).as(init.out() + init.err()).isZero();
      assertThat(init.out()).contains("(medium " + d + ")");
      detach(d);
    }
    attach("A");
    assertThat(CliRun.with(config, "backup").exit()).isZero();
    detach("A");
    attach("C"); // B's turn, but C is attached
    assertThat(CliRun.with(config, "backup").exit()).isZero();
    detach("C");
    String journal = Files.readString(dir.resolve("state/records.jsonl"));
    assertThat(journal).contains("\"medium\":\"A\"").contains("\"medium\":\"C\"");
    assertThat(journal).contains("\"kind\":\"media-rotation\"")
        .contains("medium C of main was used out of turn: after A comes B (skipped: B)");
    assertThat(journal.split("\"kind\":\"media-rotation\"", -1)).hasSize(2); // one event
    // renaming an existing disk keeps its backups
    attach("B");
    assertThat(CliRun.with(config, "init", "--medium-name", "B").out()).contains("is medium B");
    assertThat(CliRun.with(config, "snapshots").exit()).isZero();
  }

  @Test
  void aDiskKeptTooLongAndOneUnusedForARoundAreReported() throws Exception {
    AgentConfig.Rotation r = new AgentConfig.Rotation(List.of("A", "B"), Duration.ofDays(7));
    Path state = Files.createDirectories(dir.resolve("state"));
    Instant t0 = Instant.parse("2026-10-01T01:30:00Z");
    assertThat(MediaRotation.check(state, "usb", r, "A", t0)).isEmpty();
    assertThat(MediaRotation.check(state, "usb", r, "A", t0.plus(Duration.ofDays(7)))).isEmpty();
    assertThat(MediaRotation.check(state, "usb", r, "A", t0.plus(Duration.ofDays(9))))
        .containsExactly("medium A of usb has been in use for 9 days; its turn is 7 days: attach B");
    assertThat(MediaRotation.check(state, "usb", r, "A", t0.plus(Duration.ofDays(16))))
        .anyMatch(p -> p.equals("medium B of usb is overdue: not used for 16 days (each medium's turn comes every 14 days)"));
    assertThat(MediaRotation.check(state, "usb", r, "B", t0.plus(Duration.ofDays(17)))).isEmpty();
    assertThat(MediaRotation.check(state, "usb", r, null, t0.plus(Duration.ofDays(18))))
        .singleElement().asString().contains("has no name").contains("--medium-name");
    assertThat(MediaRotation.check(state, "usb", r, "Z", t0.plus(Duration.ofDays(18))))
        .singleElement().asString().contains("not in the rotation");
  }
}
