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
    allowed =
        AuthorizedKeyEntry.parseAuthorizedKeyEntry(Files.readString(tmp.resolve("id_rsa.pub")).trim())
            .resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
    server = newServer(0);
    server.start();
    hostKey = keys.loadKeys(null).iterator().next().getPublic();
  }

  PublicKey allowed;
  SimpleGeneratorHostKeyProvider keys;
  /** What the server did to files, in order: "sync PATH" and "rename FROM TO" (paths as the client sees them). */
  final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
  final org.apache.sshd.sftp.server.SftpFileSystemAccessor recording =
      new org.apache.sshd.sftp.server.SftpFileSystemAccessor() {
        @Override
        public void syncFileData(org.apache.sshd.sftp.server.SftpSubsystemProxy subsystem,
            org.apache.sshd.sftp.server.FileHandle handle, Path file, String id, java.nio.channels.Channel channel)
            throws IOException {
          org.apache.sshd.sftp.server.SftpFileSystemAccessor.super.syncFileData(subsystem, handle, file, id, channel);
          events.add("sync " + file);
        }

        @Override
        public void renameFile(org.apache.sshd.sftp.server.SftpSubsystemProxy subsystem, Path from, Path to,
            java.util.Collection<java.nio.file.CopyOption> opts) throws IOException {
          org.apache.sshd.sftp.server.SftpFileSystemAccessor.super.renameFile(subsystem, from, to, opts);
          events.add("rename " + from + " " + to);
        }
      };

  /** The SFTP server on {@code port} (0: any), with the same host key every time. */
  SshServer newServer(int port) {
    SshServer s = SshServer.setUpDefaultServer();
    s.setHost("127.0.0.1");
    s.setPort(port);
    if (keys == null) {
      keys = new SimpleGeneratorHostKeyProvider(tmp.resolve("host.ser"));
      keys.setAlgorithm(KeyUtils.RSA_ALGORITHM);
    }
    s.setKeyPairProvider(keys);
    s.setPublickeyAuthenticator((user, key, session) -> "penjaga".equals(user) && KeyUtils.compareKeys(allowed, key));
    // Flushes only when the client asks (fsync@openssh.com), not at every close, and records them.
    org.apache.sshd.common.PropertyResolverUtils.updateProperty(
        s, org.apache.sshd.sftp.server.SftpFileSystemAccessor.PROP_AUTO_SYNC_FILE_ON_CLOSE, false);
    s.setSubsystemFactories(List.of(new SftpSubsystemFactory.Builder().withFileSystemAccessor(recording).build()));
    s.setFileSystemFactory(new VirtualFileSystemFactory(served));
    return s;
  }

  @Test
  void aConnectionCutMidUploadFailsTheRunCleanlyAndTheNextSucceeds() throws Exception {
    Path source = documents(24, 1_500_000, 9);
    Path pass = id.penjaga.agent.AgentFixtures.secret(tmp.resolve("repo.pass"), "sftp-putus");
    Path config = tmp.resolve("agent.yaml");
    Files.writeString(config, String.join("\n",
        "agent:", "  id: lpse-sftp", "  state-dir: " + tmp.resolve("state"),
        "metrics:", "  enabled: false",
        "repository:", "  path: " + uri(), "  password-file: " + pass, "  identity-file: " + clientKey,
        "  host-key: " + SftpBackend.sha256Fingerprint(hostKey), "  timeout: 5s",
        "sources:", "  uploads:", "    type: files", "    path: " + tmp.resolve("file"), ""));
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "init").exit()).isZero();
    int port = server.getPort();
    java.util.concurrent.CompletableFuture<id.penjaga.agent.cli.CliRun> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> id.penjaga.agent.cli.CliRun.with(config, "backup"));
    // Cut every connection once the first packs are on the server.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (packs() == 0) {
      assertThat(run).as("the backup ended before the cut").isNotDone();
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(5);
    }
    server.stop(true);
    id.penjaga.agent.cli.CliRun cut = run.get(120, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(cut.exit()).as(cut.out() + cut.err()).isEqualTo(1);
    assertThat(cut.err()).isNotBlank();
    String journal = Files.readString(tmp.resolve("state").resolve(id.penjaga.agent.report.Spool.JOURNAL));
    assertThat(journal).contains("\"type\":\"failure\"").contains("\"result\":\"failure\"");

    // The server comes back: the repository checks, the next backup completes and restores whole.
    server = newServer(port);
    server.start();
    id.penjaga.agent.cli.CliRun check = id.penjaga.agent.cli.CliRun.with(config, "check");
    assertThat(check.exit()).as(check.out() + check.err()).isZero();
    id.penjaga.agent.cli.CliRun ok = id.penjaga.agent.cli.CliRun.with(config, "backup");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "check", "--read-data").exit()).isZero();
    id.penjaga.agent.cli.CliRun restore =
        id.penjaga.agent.cli.CliRun.with(config, "restore", "latest", "--target", tmp.resolve("back").toString());
    assertThat(restore.exit()).as(restore.out() + restore.err()).isZero();
    for (int i = 0; i < 24; i++) {
      assertThat(Files.readAllBytes(tmp.resolve("back/paket/dok-" + i + ".pdf")))
          .isEqualTo(Files.readAllBytes(source.resolve("dok-" + i + ".pdf")));
    }
  }

  /** {@code count} documents of random bytes in file/paket, dok-0.pdf and on; returns the directory. */
  Path documents(int count, int size, long seed) throws IOException {
    Path source = Files.createDirectories(tmp.resolve("file/paket"));
    Random r = new Random(seed);
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      Files.write(source.resolve("dok-" + i + ".pdf"), b);
    }
    return source;
  }

  long packs() throws IOException {
    Path data = served.resolve("repo/data");
    if (!Files.isDirectory(data)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(data)) {
      return s.filter(Files::isRegularFile).count();
    }
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
  void everyFileIsOnTheServersDiskBeforeItIsRenamedIntoPlace() throws Exception {
    documents(12, 1_000_000, 3);
    char[] pw = "sftp-fsync".toCharArray();
    try (SftpBackend b = connect(SftpBackend.sha256Fingerprint(hostKey))) {
      assertThat(b.flushesToDisk()).as("the server offers fsync@openssh.com").isTrue();
      Repository.init(b, pw, 1 << 10, Clock.systemUTC()).close();
    }
    events.clear();
    long flushed;
    try (SftpBackend b = connect(SftpBackend.sha256Fingerprint(hostKey));
        Repository repo = Repository.open(b, pw, Clock.systemUTC());
        Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      a.backup(tmp.resolve("file"), "uploads", null, null, List.of(), "t");
      flushed = b.flushed();
    }
    List<String> renames = events.stream().filter(e -> e.startsWith("rename ")).toList();
    assertThat(renames).as("packs, an index and the snapshot").hasSizeGreaterThanOrEqualTo(3);
    assertThat(renames).anyMatch(e -> e.contains("snapshots/")).anyMatch(e -> e.contains("index/"))
        .anyMatch(e -> e.contains("data/"));
    for (String rename : renames) {
      String from = rename.split(" ")[1];
      int synced = events.indexOf("sync " + from);
      assertThat(synced).as("%s was flushed before its rename: %s", from, events).isNotNegative()
          .isLessThan(events.indexOf(rename));
    }
    assertThat(flushed).isEqualTo(events.stream().filter(e -> e.startsWith("sync ")).count());
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
      // The transport runs on the native AES-GCM, both ways (where the provider loads, as here).
      assertThat(id.penjaga.agent.backup.crypto.NativeCrypto.provider()).isNotNull();
      org.apache.sshd.common.session.Session session = server.getActiveSessions().get(0);
      assertThat(session.getNegotiatedKexParameter(org.apache.sshd.common.kex.KexProposalOption.C2SENC))
          .isEqualTo("aes256-gcm@openssh.com");
      assertThat(session.getNegotiatedKexParameter(org.apache.sshd.common.kex.KexProposalOption.S2CENC))
          .isEqualTo("aes256-gcm@openssh.com");
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
