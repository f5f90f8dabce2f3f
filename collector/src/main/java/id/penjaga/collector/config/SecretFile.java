package id.penjaga.collector.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * A file holding a secret (a token, a password). Only its path is kept in configuration; the secret
 * itself is read when needed and never printed: {@link #toString()} shows the path alone.
 */
public record SecretFile(Path path) {
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  /**
   * Checks that the file exists, is a readable regular file, and is closed to group and others.
   *
   * @throws IllegalArgumentException with the reason and the fix
   */
  public SecretFile validated() {
    if (!Files.exists(path)) {
      throw new IllegalArgumentException("secret file " + path + " does not exist");
    }
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("secret file " + path + " is not a regular file");
    }
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException("secret file " + path + " is not readable by this user");
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IOException e) {
      perms = Set.of();
    }
    if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
      throw new IllegalArgumentException(
          "secret file "
              + path
              + " is readable by group or others (mode "
              + mode(perms)
              + "); run: chmod 600 "
              + path);
    }
    return this;
  }

  /** The secret, with surrounding white space (a trailing newline) removed. */
  public String read() throws IOException {
    String s = Files.readString(path, StandardCharsets.UTF_8).strip();
    if (s.isEmpty()) {
      throw new IOException("secret file " + path + " is empty");
    }
    return s;
  }

  private static String mode(Set<PosixFilePermission> perms) {
    int bits = 0;
    for (PosixFilePermission p : perms) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("%04o", bits);
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
