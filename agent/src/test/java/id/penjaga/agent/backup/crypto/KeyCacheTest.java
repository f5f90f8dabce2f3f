package id.penjaga.agent.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key derivations kept in the state directory: used only while they are the password file's. */
class KeyCacheTest {
  private static final int FAST_SCRYPT = 1 << 10;

  @TempDir Path dir;
  Path repository;
  Path passwordFile;
  Path cacheDir;

  @BeforeEach
  void setUp() throws Exception {
    repository = dir.resolve("usb");
    passwordFile = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi-lpse");
    cacheDir = KeyCache.dirIn(dir.resolve("state"));
    Repository.init(new LocalBackend(repository), password(), FAST_SCRYPT, Clock.systemUTC()).close();
  }

  private char[] password() throws Exception {
    return Files.readString(passwordFile).strip().toCharArray();
  }

  /** Opens the repository as a configured one is opened: the cache bound first, then the password read. */
  private String open() throws Exception {
    KeyCache keys = KeyCache.of(cacheDir, passwordFile);
    try (Repository repo = Repository.open(new LocalBackend(repository), password(), Clock.systemUTC(), keys)) {
      return repo.id();
    }
  }

  private List<Path> entries() throws Exception {
    try (Stream<Path> s = Files.list(cacheDir)) {
      return s.toList();
    }
  }

  /** Rewrites the password file; the wait lets its times move on even on a coarse clock. */
  private void rewritePasswordFile(String password) throws Exception {
    Thread.sleep(20);
    AgentFixtures.secret(passwordFile, password);
  }

  @Test
  void aKeyKeptOpensTheRepositoryWithoutScryptAndIsKeptAsThePasswordFileIs() throws Exception {
    int before = KeySlot.derivations();
    String id = open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 1);
    assertThat(open()).isEqualTo(id);
    assertThat(open()).isEqualTo(id);
    assertThat(KeySlot.derivations()).as("opened twice more from the key kept").isEqualTo(before + 1);

    assertThat(Files.getPosixFilePermissions(cacheDir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(entries()).hasSize(1);
    Path entry = entries().get(0);
    assertThat(Files.getPosixFilePermissions(entry)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    String text = Files.readString(entry, StandardCharsets.US_ASCII);
    assertThat(text).doesNotContain("kata-sandi-lpse").startsWith("penjaga-key-cache 1\n");
    assertThat(entry.getFileName().toString()).doesNotContain("repo.pass");
  }

  @Test
  void aRepositoryMadeWithTheCacheOpensWithoutDerivingAgain() throws Exception {
    Path other = dir.resolve("nas");
    KeyCache keys = KeyCache.of(cacheDir, passwordFile);
    String id;
    try (Repository repo = Repository.init(new LocalBackend(other), password(), FAST_SCRYPT, Clock.systemUTC(), keys)) {
      id = repo.id();
    }
    int before = KeySlot.derivations();
    try (Repository repo = Repository.open(
        new LocalBackend(other), password(), Clock.systemUTC(), KeyCache.of(cacheDir, passwordFile))) {
      assertThat(repo.id()).isEqualTo(id);
    }
    assertThat(KeySlot.derivations()).isEqualTo(before);
  }

  @Test
  void aChangedPasswordFileIsNeverOpenedByTheKeyKept() throws Exception {
    open();
    rewritePasswordFile("bukan-sandinya");
    int before = KeySlot.derivations();
    assertThatThrownBy(this::open).isInstanceOf(RepositoryException.class).hasMessageContaining("wrong password");
    assertThat(KeySlot.derivations()).as("the wrong password was tried by scrypt").isEqualTo(before + 1);

    // the right password again, in a file written anew: derived once more, then kept again
    rewritePasswordFile("kata-sandi-lpse");
    open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 2);
    open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 2);

    // a password file replaced by another (a new inode) with the same password: derived again
    Path replacement = AgentFixtures.secret(dir.resolve("new.pass"), "kata-sandi-lpse");
    Files.move(replacement, passwordFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 3);
  }

  @Test
  void aDamagedEntryIsReplacedByTheKeyDerivedAgain() throws Exception {
    open();
    Path entry = entries().get(0);
    byte[] other = new byte[32];
    new SecureRandom().nextBytes(other);
    List<String> lines = Files.readAllLines(entry);
    Files.writeString(entry, lines.get(0) + "\n" + lines.get(1) + "\nkek " + Base64.getEncoder().encodeToString(other) + "\n");
    for (String garbage : new String[] {"kek !!!not base64!!!", "kek AAAA", ""}) {
      int before = KeySlot.derivations();
      open();
      assertThat(KeySlot.derivations()).as("damaged entry: derived").isEqualTo(before + 1);
      open();
      assertThat(KeySlot.derivations()).as("the derived key kept in its place").isEqualTo(before + 1);
      Files.writeString(entry, lines.get(0) + "\n" + lines.get(1) + "\n" + garbage);
    }
  }

  @Test
  void anEntryOpenToOthersIsNotUsedAndIsRewrittenClosed() throws Exception {
    open();
    Path entry = entries().get(0);
    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rw-r--r--"));
    int before = KeySlot.derivations();
    open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 1);
    assertThat(Files.getPosixFilePermissions(entry)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void entriesBelongToTheStateDirectorysOwner() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root can give files away");
    Path state = cacheDir.getParent();
    Files.createDirectories(state);
    java.nio.file.attribute.UserPrincipal nobody =
        state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(state, nobody);
    open();
    assertThat(Files.getOwner(cacheDir)).isEqualTo(nobody);
    assertThat(Files.getOwner(entries().get(0))).isEqualTo(nobody);
    int before = KeySlot.derivations();
    open();
    assertThat(KeySlot.derivations()).as("root still reads it").isEqualTo(before);
  }

  @Test
  void aCacheThatCannotBeWrittenCostsOnlyTheDerivation() throws Exception {
    Files.createDirectories(cacheDir.getParent());
    Files.writeString(cacheDir, "not a directory");
    int before = KeySlot.derivations();
    open();
    open();
    assertThat(KeySlot.derivations()).isEqualTo(before + 2);
    assertThat(Files.readString(cacheDir)).isEqualTo("not a directory");
  }

  @Test
  void withoutACacheEveryOpeningDerives() throws Exception {
    int before = KeySlot.derivations();
    for (int i = 0; i < 2; i++) {
      try (Repository repo = Repository.open(new LocalBackend(repository), password(), Clock.systemUTC())) {
        assertThat(repo.id()).isNotEmpty();
      }
    }
    assertThat(KeySlot.derivations()).isEqualTo(before + 2);
    assertThat(cacheDir).doesNotExist();
    assertThat(KeyCache.NONE.find(new byte[32], FAST_SCRYPT, 8, 1)).isNull();
  }
}
