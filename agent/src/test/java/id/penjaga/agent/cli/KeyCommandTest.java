package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.AgentFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotating the repository password: a new key slot, the old one removed, no data sent again. */
class KeyCommandTest {
  @TempDir Path dir;

  @Test
  void thePasswordIsRotatedWithoutUploadingDataAgain() throws Exception {
    Files.createDirectories(dir.resolve("file"));
    Files.writeString(dir.resolve("file/penawaran.pdf"), "isi ".repeat(50_000));
    Path oldPass = AgentFixtures.secret(dir.resolve("lama.pass"), "sandi-lama");
    Path config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), oldPass, dir.resolve("file"));
    assertThat(CliRun.with(config, "init").exit()).isZero();
    assertThat(CliRun.with(config, "backup").exit()).isZero();
    String oldSlot = current(CliRun.with(config, "key", "list").out());

    // The new password must sit in a private file, never on the command line.
    Path newPass = dir.resolve("baru.pass");
    Files.writeString(newPass, "sandi-baru\n");
    Files.setPosixFilePermissions(newPass, PosixFilePermissions.fromString("rw-r--r--"));
    CliRun open = CliRun.with(config, "key", "add", "--new-password-file", newPass.toString());
    assertThat(open.exit()).isEqualTo(2);
    assertThat(open.err()).contains("chmod 600");
    Files.setPosixFilePermissions(newPass, PosixFilePermissions.fromString("rw-------"));
    CliRun add = CliRun.with(config, "key", "add", "--new-password-file", newPass.toString());
    assertThat(add.exit()).as(add.err()).isZero();

    // Removing the slot in use is refused.
    CliRun self = CliRun.with(config, "key", "remove", oldSlot);
    assertThat(self.exit()).isEqualTo(1);
    assertThat(self.err()).contains("is the one this password opens");

    long packs;
    try (var s = Files.walk(dir.resolve("usb/data"))) {
      packs = s.filter(Files::isRegularFile).count();
    }
    Files.writeString(config, Files.readString(config).replace(oldPass.toString(), newPass.toString()));
    CliRun remove = CliRun.with(config, "key", "remove", oldSlot);
    assertThat(remove.exit()).as(remove.err()).isZero();
    CliRun list = CliRun.with(config, "key", "list");
    assertThat(list.out().strip().lines()).hasSize(1);
    assertThat(current(list.out())).isNotEqualTo(oldSlot);

    // The new password opens everything; the old one nothing; no pack was written again.
    CliRun restore = CliRun.with(config, "restore", "latest", "--target", dir.resolve("pulih").toString());
    assertThat(restore.exit()).as(restore.err()).isZero();
    assertThat(Files.readString(dir.resolve("pulih/penawaran.pdf"))).isEqualTo("isi ".repeat(50_000));
    try (var s = Files.walk(dir.resolve("usb/data"))) {
      assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(packs);
    }
    Files.writeString(config, Files.readString(config).replace(newPass.toString(), oldPass.toString()));
    CliRun old = CliRun.with(config, "snapshots");
    assertThat(old.exit()).isEqualTo(1);
    assertThat(old.err()).contains("wrong password");
    // The last slot stays.
    Files.writeString(config, Files.readString(config).replace(oldPass.toString(), newPass.toString()));
    CliRun last = CliRun.with(config, "key", "remove", current(CliRun.with(config, "key", "list").out()));
    assertThat(last.exit()).isEqualTo(1);
  }

  static String current(String list) {
    Matcher m = Pattern.compile("^\\* ([0-9a-f]{8})", Pattern.MULTILINE).matcher(list);
    assertThat(m.find()).as(list).isTrue();
    return m.group(1);
  }
}
