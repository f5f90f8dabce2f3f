package id.penjaga.agent.backup.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SFTP backend against a real SFTP server (Apache MINA SSHD) on loopback. */
class SftpBackendTest {
  @TempDir Path tmp;
  SshServer server;
  Path served;
  Path clientKey;
  PublicKey hostKey;

  @BeforeEach
  void start() throws Exception {
    served = Files.createDirectories(tmp.resolve("served"));
    clientKey = tmp.resolve("id_rsa");
    Process keygen =
        new ProcessBuilder("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", clientKey.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(keygen.waitFor()).isZero();
    PublicKey allowed =
        AuthorizedKeyEntry.parseAuthorizedKeyEntry(Files.readString(tmp.resolve("id_rsa.pub")).trim())
            .resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(tmp.resolve("host.ser"));
    keys.setAlgorithm(KeyUtils.RSA_ALGORITHM);
    server.setKeyPairProvider(keys);
    server.setPublickeyAuthenticator((user, key, session) -> "penjaga".equals(user) && KeyUtils.compareKeys(allowed, key));
    server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
    server.setFileSystemFactory(new VirtualFileSystemFactory(served));
    server.start();
    KeyPair kp = keys.loadKeys(null).iterator().next();
    hostKey = kp.getPublic();
  }

  @AfterEach
  void stop() throws IOException {
    server.stop(true);
  }

  URI uri() {
    return URI.create("sftp://penjaga@127.0.0.1:" + server.getPort() + "/repo");
  }

  SftpBackend connect(String fingerprint) throws IOException {
    return SftpBackend.connect(uri(), clientKey, null, fingerprint, Duration.ofSeconds(10));
  }

  @Test
  void filesRoundTripWithTheSameSemanticsAsLocal() throws Exception {
    try (SftpBackend b = connect(SftpBackend.sha256Fingerprint(hostKey))) {
      b.create();
      byte[] data = new byte[700_000];
      new Random(1).nextBytes(data);
      String name = "ab" + "0".repeat(62);
      b.save(FileKind.PACK, name, data);
      assertThat(b.load(FileKind.PACK, name)).isEqualTo(data);
      assertThat(b.load(FileKind.PACK, name, 300_000, 1000))
          .isEqualTo(java.util.Arrays.copyOfRange(data, 300_000, 301_000));
      assertThat(b.list(FileKind.PACK)).containsExactly(name);
      assertThat(b.stat(FileKind.PACK, name)).contains(700_000L);
      assertThatThrownBy(() -> b.save(FileKind.PACK, name, data)).isInstanceOf(FileAlreadyExistsException.class);
      b.save(FileKind.LOCK, "l1", "a".getBytes(StandardCharsets.UTF_8));
      b.save(FileKind.LOCK, "l1", "b".getBytes(StandardCharsets.UTF_8));
      assertThat(b.load(FileKind.LOCK, "l1")).isEqualTo("b".getBytes(StandardCharsets.UTF_8));
      b.remove(FileKind.PACK, name);
      b.remove(FileKind.PACK, name);
      assertThat(b.list(FileKind.PACK)).isEmpty();
      assertThatThrownBy(() -> b.load(FileKind.SNAPSHOT, "nope")).isInstanceOf(NoSuchFileException.class);
      try (Stream<Path> s = Files.walk(served)) {
        assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()).isEmpty();
      }
    }
  }

  @Test
  void backupAndRestoreOverSftpAreByteIdentical() throws Exception {
    Path source = Files.createDirectories(tmp.resolve("file/paket"));
    Random r = new Random(2);
    for (int i = 0; i < 5; i++) {
      byte[] b = new byte[300_000 * (i + 1)];
      r.nextBytes(b);
      Files.write(source.resolve("dok-" + i + ".pdf"), b);
    }
    char[] pw = "sftp-pw".toCharArray();
    Repository.init(connect(SftpBackend.sha256Fingerprint(hostKey)), pw, 1 << 10, Clock.systemUTC()).close();
    Snapshot s;
    try (Repository repo = Repository.open(connect(SftpBackend.sha256Fingerprint(hostKey)), pw, Clock.systemUTC());
        Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      s = a.backup(tmp.resolve("file"), "uploads", null, null, List.of(), "t").snapshot();
    }
    try (Repository repo = Repository.open(connect(SftpBackend.sha256Fingerprint(hostKey)), pw, Clock.systemUTC())) {
      assertThat(new Checker(repo).check(100, 1).ok()).isTrue();
      new Restorer(repo).restore(s, tmp.resolve("back"), List.of());
    }
    for (int i = 0; i < 5; i++) {
      assertThat(Files.readAllBytes(tmp.resolve("back/paket/dok-" + i + ".pdf")))
          .isEqualTo(Files.readAllBytes(source.resolve("dok-" + i + ".pdf")));
    }
  }

  @Test
  void aKnownHostsFileAlsoPinsTheKey() throws Exception {
    Path knownHosts = tmp.resolve("known_hosts");
    Files.writeString(knownHosts, "[127.0.0.1]:" + server.getPort() + " " + PublicKeyEntry.toString(hostKey) + "\n");
    try (SftpBackend b = SftpBackend.connect(uri(), clientKey, knownHosts, null, Duration.ofSeconds(10))) {
      b.create();
      assertThat(b.list(FileKind.SNAPSHOT)).isEmpty();
    }
    Files.writeString(knownHosts, "[127.0.0.1]:1 " + PublicKeyEntry.toString(hostKey) + "\n");
    assertThatThrownBy(() -> SftpBackend.connect(uri(), clientKey, knownHosts, null, Duration.ofSeconds(10)))
        .hasMessageContaining("does not match the pinned key");
  }

  @Test
  void aWrongHostKeyIsRefusedAndNothingIsWritten() {
    assertThatThrownBy(() -> connect("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("host key of 127.0.0.1:" + server.getPort() + " does not match the pinned key")
        .hasMessageContaining(SftpBackend.sha256Fingerprint(hostKey))
        .hasMessageContaining("nothing was sent or written");
    assertThat(served.toFile().list()).isEmpty();
  }

  @Test
  void noPinnedKeyNoConnection() {
    assertThatThrownBy(() -> SftpBackend.connect(uri(), clientKey, null, null, Duration.ofSeconds(5)))
        .hasMessageContaining("without a pinned host key");
  }

  @Test
  void anUnreachableServerIsAClearError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI closed = URI.create("sftp://penjaga@127.0.0.1:" + port + "/repo");
    String fp = SftpBackend.sha256Fingerprint(hostKey);
    assertThatThrownBy(() -> SftpBackend.connect(closed, clientKey, null, fp, Duration.ofSeconds(5)))
        .hasMessageContaining("cannot reach sftp server 127.0.0.1:" + port);
    assertThatThrownBy(() -> SftpBackend.connect(uri(), clientKey, null, "SHA256:x", Duration.ofSeconds(5)))
        .hasMessageContaining("is not a fingerprint");
  }

  @Test
  void aWrongUserKeyCannotLogIn() throws Exception {
    Path other = tmp.resolve("other_rsa");
    assertThat(
            new ProcessBuilder("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", other.toString())
                .start()
                .waitFor())
        .isZero();
    assertThatThrownBy(
            () -> SftpBackend.connect(uri(), other, null, SftpBackend.sha256Fingerprint(hostKey), Duration.ofSeconds(5)))
        .hasMessageContaining("cannot log in to 127.0.0.1:" + server.getPort() + " as penjaga");
  }
}
