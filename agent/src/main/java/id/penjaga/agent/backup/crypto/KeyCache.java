package id.penjaga.agent.backup.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's memory of its key derivations, in its state directory ({@code key-cache/}): for a
 * key slot (its salt and scrypt cost) and the password file it was opened with, the key scrypt
 * derived. A command that finds it opens the slot without running scrypt again; what scrypt
 * protects — a stolen backup medium's key slot against password guessing — is unchanged, since
 * nothing of this cache leaves the server.
 *
 * <p>An entry holds what the password file holds already (it opens the repository with the slot)
 * and is kept as the password file is: mode 0600 in a directory of mode 0700. It is bound to the
 * password file as it stood when read — device, inode, size, modification and change time — so
 * any write to that file, or its replacement, makes the entry unusable and the next opening
 * derives again, refusing a wrong password as before. An entry that does not open its slot
 * (damaged, or made by hand) is removed and the key derived. No entry holds the password or any
 * quick check of it.
 */
public final class KeyCache {
  private static final Logger log = LoggerFactory.getLogger(KeyCache.class);
  private static final String MAGIC = "penjaga-key-cache 1";
  private static final String IDENTITY = "unix:dev,ino,size,lastModifiedTime,ctime";
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  /** The agent's key cache: {@code key-cache/} in its state directory. */
  public static Path dirIn(Path stateDir) {
    return stateDir.resolve("key-cache");
  }

  /** No cache: every opening derives its key. */
  public static final KeyCache NONE = new KeyCache(null, null, null);

  private final Path dir;
  private final Path passwordFile;
  private final String identity;

  private KeyCache(Path dir, Path passwordFile, String identity) {
    this.dir = dir;
    this.passwordFile = passwordFile;
    this.identity = identity;
  }

  /**
   * The cache in {@code dir} for keys derived from the password in {@code passwordFile}, bound to
   * that file as it stands now: call this before reading the password. {@link #NONE} when the file
   * cannot be examined.
   */
  public static KeyCache of(Path dir, Path passwordFile) {
    Path file = passwordFile.toAbsolutePath();
    String id = identityOf(file);
    return id == null ? NONE : new KeyCache(dir, file, id);
  }

  /** The key derived for a slot of this salt and cost, or null when none is kept (or usable). */
  public byte[] find(byte[] salt, int n, int r, int p) {
    if (dir == null) {
      return null;
    }
    Path entry = entry(salt, n, r, p);
    try {
      if (!OWNER_ONLY.equals(Files.getPosixFilePermissions(entry, LinkOption.NOFOLLOW_LINKS))) {
        log.warn("key cache entry {} is open to others (not mode 0600): not used", entry);
        return null;
      }
      List<String> lines = Files.readAllLines(entry, StandardCharsets.US_ASCII);
      if (lines.size() != 3 || !lines.get(0).equals(MAGIC) || !lines.get(1).equals("password-file " + identity)
          || !lines.get(2).startsWith("kek ")) {
        return null; // another password file, or this one since changed
      }
      byte[] kek = Base64.getDecoder().decode(lines.get(2).substring(4));
      return kek.length == 32 ? kek : null;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      log.debug("key cache entry {} unreadable: {}", entry, e.toString());
      return null;
    }
  }

  /**
   * Keeps the key derived for a slot, when the password file has not changed since this cache was
   * made (the password read then is the one the key was derived from). Failing to keep it is no
   * error: the next opening derives again.
   */
  public void remember(byte[] salt, int n, int r, int p, byte[] kek) {
    if (dir == null || !identity.equals(identityOf(passwordFile))) {
      return;
    }
    Path tmp = null;
    try {
      // Owned as the state directory is: an entry made by an administrator's command (root) is
      // then the daemon's too, as the password file is.
      Files.createDirectories(dir);
      UserPrincipal owner = dir.getParent() == null ? null : Files.getOwner(dir.getParent());
      Files.setPosixFilePermissions(dir, OWNER_DIR);
      ownedBy(dir, owner);
      tmp = Files.createTempFile(dir, ".entry-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      String text = MAGIC + "\npassword-file " + identity + "\nkek " + Base64.getEncoder().encodeToString(kek) + "\n";
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      ownedBy(tmp, owner);
      Path entry = entry(salt, n, r, p);
      try {
        Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("key cache {} not written: {}", dir, e.toString());
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // nothing more to do
        }
      }
    }
  }

  /** Gives {@code file} to {@code owner} where this process may (as root); else leaves it as it is. */
  private static void ownedBy(Path file, UserPrincipal owner) {
    try {
      if (owner != null && !owner.equals(Files.getOwner(file, LinkOption.NOFOLLOW_LINKS))) {
        Files.setOwner(file, owner);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not root: the entry stays this user's
    }
  }

  /** Removes the entry of a slot: it did not open the slot. */
  public void forget(byte[] salt, int n, int r, int p) {
    if (dir == null) {
      return;
    }
    try {
      Files.deleteIfExists(entry(salt, n, r, p));
    } catch (IOException e) {
      log.debug("key cache entry not removed: {}", e.toString());
    }
  }

  /** The entry's file: named by a hash of the password file's path and the slot's salt and cost. */
  Path entry(byte[] salt, int n, int r, int p) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(passwordFile.toString().getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(salt);
      d.update((n + "," + r + "," + p).getBytes(StandardCharsets.US_ASCII));
      return dir.resolve(HexFormat.of().formatHex(Arrays.copyOf(d.digest(), 16)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The password file as it stands (device, inode, size, times in ns); null when unknown. */
  private static String identityOf(Path file) {
    try {
      Map<String, Object> a = Files.readAttributes(file, IDENTITY);
      return a.get("dev") + " " + a.get("ino") + " " + a.get("size") + " "
          + ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS) + " "
          + ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
