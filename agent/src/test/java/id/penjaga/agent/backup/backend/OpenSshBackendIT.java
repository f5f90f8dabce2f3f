package id.penjaga.agent.backup.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup and restore through a real OpenSSH sshd on loopback, host key pinned by known_hosts. */
class OpenSshBackendIT {
  static final Path SSHD = Path.of("/usr/sbin/sshd");
  @TempDir Path tmp;
  Process sshd;

  @AfterEach
  void stop() throws InterruptedException {
    if (sshd != null) {
      sshd.destroy();
      sshd.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
  }

  @Test
  void backupAndRestoreThroughOpenSsh() throws Exception {
    if (!Files.isExecutable(SSHD)) {
      assertThat(System.getenv("CI")).as("CI installs openssh-server").isNull();
      assumeTrue(false, "OpenSSH server not installed");
    }
    assumeTrue("root".equals(System.getProperty("user.name")), "sshd needs root to log users in");
    Path dir = Files.createDirectories(tmp.resolve("ssh"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_key").toString());
    run("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", dir.resolve("id_rsa").toString());
    Files.copy(dir.resolve("id_rsa.pub"), dir.resolve("authorized_keys"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(
        dir.resolve("sshd_config"),
        String.join(
            "\n",
            "Port " + port,
            "ListenAddress 127.0.0.1",
            "HostKey " + dir.resolve("host_key"),
            "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "UsePAM no",
            "PidFile " + dir.resolve("sshd.pid"),
            "Subsystem sftp internal-sftp",
            ""));
    Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
    sshd =
        new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sshd.log").toFile())
            .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!listening(port)) {
      assertThat(sshd.isAlive()).as(Files.readString(dir.resolve("sshd.log"))).isTrue();
      assertThat(System.nanoTime()).as("sshd did not start").isLessThan(deadline);
      Thread.sleep(100);
    }
    String hostPub = Files.readString(dir.resolve("host_key.pub")).trim();
    Path knownHosts = dir.resolve("known_hosts");
    Files.writeString(knownHosts, "[127.0.0.1]:" + port + " " + hostPub + "\n");

    Path source = Files.createDirectories(tmp.resolve("file/2026"));
    Random r = new Random(3);
    for (int i = 0; i < 4; i++) {
      byte[] b = new byte[900_000 + i * 500_000];
      r.nextBytes(b);
      Files.write(source.resolve("penawaran-" + i + ".pdf"), b);
    }
    Path repoDir = tmp.resolve("remote-repo");
    URI uri = URI.create("sftp://root@127.0.0.1:" + port + repoDir);
    char[] pw = "openssh".toCharArray();
    Repository.init(connect(uri, dir, knownHosts), pw, 1 << 10, Clock.systemUTC()).close();
    Snapshot s;
    try (Repository repo = Repository.open(connect(uri, dir, knownHosts), pw, Clock.systemUTC());
        Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      s = a.backup(tmp.resolve("file"), "uploads", null, null, List.of(), "t").snapshot();
    }
    assertThat(Files.exists(repoDir.resolve("config"))).isTrue();
    try (Repository repo = Repository.open(connect(uri, dir, knownHosts), pw, Clock.systemUTC())) {
      assertThat(new Checker(repo).check(100, 7).ok()).isTrue();
      new Restorer(repo).restore(s, tmp.resolve("back"), List.of());
    }
    for (int i = 0; i < 4; i++) {
      assertThat(Files.readAllBytes(tmp.resolve("back/2026/penawaran-" + i + ".pdf")))
          .isEqualTo(Files.readAllBytes(source.resolve("penawaran-" + i + ".pdf")));
    }
  }

  static SftpBackend connect(URI uri, Path dir, Path knownHosts) throws IOException {
    return SftpBackend.connect(uri, dir.resolve("id_rsa"), knownHosts, null, Duration.ofSeconds(15));
  }

  static boolean listening(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
