package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server packages installed for real on this machine (it must be one that may be changed: a CI
 * machine, as root; skipped where Penjaga is already installed, and with
 * {@code -Dpenjaga.skipInstallTest=true}): the .deb installs the users, directories with their
 * modes, secrets, sample configurations, commands and units; installing it again (an upgrade)
 * changes no secret and no edited configuration; removing and purging it keep the data; the
 * tarball's install.sh does the same for servers without dpkg. What the test made is removed at
 * the end.
 */
class PackagingIT {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath();
  static final List<Path> DATA = List.of(Path.of("/etc/penjaga"), Path.of("/var/lib/penjaga"), Path.of("/var/backups/penjaga"));

  @TempDir Path dir;

  @Test
  void debAndTarballInstallUpgradeAndUninstallKeepingTheData() throws Exception {
    assumeTrue(!Boolean.getBoolean("penjaga.skipInstallTest"), "skipped by -Dpenjaga.skipInstallTest");
    assumeTrue("root".equals(System.getProperty("user.name")), "installing needs root");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "not a Debian machine");
    assumeTrue(DATA.stream().noneMatch(Files::exists) && sh("getent passwd penjaga").exit() != 0
        && sh("dpkg -s penjaga").exit() != 0, "Penjaga is installed on this machine: not touching it");
    try {
      Run build = sh("bash " + ROOT.resolve("packaging/build.sh"));
      assertThat(build.exit()).as(build.out()).isZero();
      Path deb;
      Path tgz;
      try (Stream<Path> s = Files.list(ROOT.resolve("packaging/target"))) {
        List<Path> built = s.toList();
        deb = built.stream().filter(p -> p.toString().endsWith(".deb")).findFirst().orElseThrow();
        tgz = built.stream().filter(p -> p.toString().endsWith(".tar.gz")).findFirst().orElseThrow();
      }

      // Install.
      ok("dpkg -i " + deb);
      installed();
      String repoPass = Files.readString(Path.of("/etc/penjaga/repo.pass"));
      assertThat(repoPass.strip()).hasSizeGreaterThan(40);
      assertThat(Files.readString(Path.of("/etc/penjaga/tokens/lpse-demo"))).isEqualTo(Files.readString(Path.of("/etc/penjaga/agent.token")));
      // The service users can read what they need, and the collector's sample configuration is valid.
      Run check = sh("runuser -u penjaga-collector -- penjaga-collector -c /etc/penjaga/collector.yaml config check");
      assertThat(check.exit()).as(check.out()).isZero();
      assertThat(sh("runuser -u penjaga -- cat /etc/penjaga/repo.pass").exit()).isZero();
      assertThat(sh("runuser -u penjaga -- cat /etc/penjaga/tokens/lpse-demo").exit()).isNotZero();
      assertThat(sh("runuser -u penjaga-collector -- cat /etc/penjaga/repo.pass").exit()).isNotZero();
      Run units = sh("systemd-analyze verify /lib/systemd/system/penjaga-agent.service /lib/systemd/system/penjaga-collector.service");
      assertThat(units.exit()).as(units.out()).isZero();

      // Data made while it ran, and an edited configuration.
      Files.writeString(Path.of("/var/backups/penjaga/config"), "a repository\n");
      Files.writeString(Path.of("/var/lib/penjaga/collector/collector.db"), "a store\n");
      Files.writeString(Path.of("/etc/penjaga/agent.yaml"), "\n# edited by the administrator\n",
          java.nio.file.StandardOpenOption.APPEND);
      String agentYaml = Files.readString(Path.of("/etc/penjaga/agent.yaml"));

      // Upgrade (the package installed again): secrets, edits and data stay.
      ok("dpkg -i --force-confold " + deb);
      installed();
      assertThat(Files.readString(Path.of("/etc/penjaga/repo.pass"))).isEqualTo(repoPass);
      assertThat(Files.readString(Path.of("/etc/penjaga/agent.yaml"))).isEqualTo(agentYaml);

      // Remove, then purge: the programs go, the data stays.
      ok("dpkg -r penjaga");
      assertThat(Path.of("/usr/share/penjaga")).doesNotExist();
      assertThat(Path.of("/usr/bin/penjaga-collector")).doesNotExist();
      assertThat(Path.of("/lib/systemd/system/penjaga-agent.service")).doesNotExist();
      dataKept(repoPass);
      assertThat(Files.readString(Path.of("/etc/penjaga/agent.yaml"))).isEqualTo(agentYaml);
      ok("dpkg -P penjaga");
      dataKept(repoPass);

      // The tarball, for servers without dpkg.
      ok("tar -C " + dir + " -xzf " + tgz);
      Path unpacked;
      try (Stream<Path> s = Files.list(dir)) {
        unpacked = s.filter(Files::isDirectory).findFirst().orElseThrow();
      }
      ok(unpacked.resolve("install.sh").toString());
      installed();
      assertThat(Files.readString(Path.of("/etc/penjaga/repo.pass"))).isEqualTo(repoPass);
      ok(unpacked.resolve("install.sh") + " --uninstall");
      assertThat(Path.of("/usr/share/penjaga")).doesNotExist();
      assertThat(Path.of("/etc/systemd/system/penjaga-agent.service")).doesNotExist();
      dataKept(repoPass);
    } finally {
      sh("dpkg -P penjaga");
      for (Path p : DATA) {
        delete(p);
      }
      sh("userdel penjaga");
      sh("userdel penjaga-collector");
      sh("groupdel penjaga");
      sh("groupdel penjaga-collector");
      for (String f : List.of("/usr/share/penjaga", "/usr/bin/penjaga-agent", "/usr/bin/penjaga-collector",
          "/etc/systemd/system/penjaga-agent.service", "/etc/systemd/system/penjaga-collector.service", "/usr/share/doc/penjaga")) {
        delete(Path.of(f));
      }
    }
  }

  /** What an installation leaves, with owners and modes. */
  static void installed() throws Exception {
    assertThat(sh("getent passwd penjaga").out()).contains("/usr/sbin/nologin");
    assertThat(sh("getent passwd penjaga-collector").out()).contains("/usr/sbin/nologin");
    mode("/var/lib/penjaga/agent", "penjaga", "rwx------");
    mode("/var/lib/penjaga/collector", "penjaga-collector", "rwx------");
    mode("/var/backups/penjaga", "penjaga", "rwx------");
    mode("/etc/penjaga/repo.pass", "penjaga", "rw-------");
    mode("/etc/penjaga/agent.token", "penjaga", "rw-------");
    mode("/etc/penjaga/tokens/lpse-demo", "penjaga-collector", "rw-------");
    mode("/etc/penjaga/agent.yaml", "root", "rw-r-----");
    mode("/etc/penjaga/collector.yaml", "root", "rw-r-----");
    assertThat(Files.readAttributes(Path.of("/etc/penjaga/agent.yaml"), PosixFileAttributes.class).group().getName())
        .isEqualTo("penjaga");
    assertThat(Path.of("/usr/share/penjaga/penjaga-agent.jar")).isRegularFile();
    assertThat(Path.of("/usr/share/penjaga/penjaga-collector.jar")).isRegularFile();
    Run version = sh("penjaga-agent --version");
    assertThat(version.exit()).as(version.out()).isZero();
    // The class-data archive made at install is valid for this Java and this jar (-Xshare:on
    // refuses to start otherwise).
    assertThat(Path.of("/usr/share/penjaga/penjaga-agent.jsa")).isRegularFile();
    Run shared = sh("java -XX:SharedArchiveFile=/usr/share/penjaga/penjaga-agent.jsa -Xshare:on"
        + " -jar /usr/share/penjaga/penjaga-agent.jar --version");
    assertThat(shared.exit()).as(shared.out()).isZero();
    // The native libraries unpacked at install for this jar, and used by the commands from there.
    assertThat(Path.of("/usr/share/penjaga/native/jar")).isRegularFile();
    Run natives = sh("java -Djava.library.path=/usr/share/penjaga/native -Dpenjaga.native.dir=/usr/share/penjaga/native"
        + " -cp /usr/share/penjaga/penjaga-agent.jar id.penjaga.agent.cli.NativeLibraries check");
    assertThat(natives.out()).contains("the unpacked ones, AES native");
    assertThat(natives.exit()).as(natives.out()).isZero();
    assertThat(sh("penjaga-collector --version").exit()).isZero();
  }

  static void dataKept(String repoPass) throws IOException {
    assertThat(Files.readString(Path.of("/etc/penjaga/repo.pass"))).isEqualTo(repoPass);
    assertThat(Path.of("/etc/penjaga/agent.token")).isRegularFile();
    assertThat(Files.readString(Path.of("/var/backups/penjaga/config"))).isEqualTo("a repository\n");
    assertThat(Files.readString(Path.of("/var/lib/penjaga/collector/collector.db"))).isEqualTo("a store\n");
    assertThat(sh("getent passwd penjaga").exit()).isZero();
  }

  static void mode(String path, String owner, String perms) throws IOException {
    PosixFileAttributes a = Files.readAttributes(Path.of(path), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertThat(a.owner().getName()).as(path).isEqualTo(owner);
    assertThat(PosixFilePermissions.toString(a.permissions())).as(path).isEqualTo(perms);
  }

  record Run(int exit, String out) {}

  static Run sh(String command) {
    try {
      List<String> cmd = new ArrayList<>(List.of("sh", "-c", command));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Run(-1, out);
      }
      return new Run(p.exitValue(), out);
    } catch (IOException | InterruptedException e) {
      return new Run(-1, e.toString());
    }
  }

  static void ok(String command) {
    Run r = sh(command);
    assertThat(r.exit()).as(command + "\n" + r.out()).isZero();
  }

  static void delete(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
