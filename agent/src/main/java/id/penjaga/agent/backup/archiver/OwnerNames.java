package id.penjaga.agent.backup.archiver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * User and group names by number, asked of the system (NSS) once per number. An upload tree of a
 * million files has a handful of owners; resolving the names with every file was most of a
 * no-change backup's work.
 */
final class OwnerNames {
  private final Map<Integer, String> users = new HashMap<>();
  private final Map<Integer, String> groups = new HashMap<>();

  /** The owner's name of {@code file}, whose numeric owner is {@code uid}. */
  synchronized String user(int uid, Path file) {
    String n = users.get(uid);
    if (n == null && !users.containsKey(uid)) {
      n = lookup(file, true);
      users.put(uid, n);
    }
    return n;
  }

  /** The group's name of {@code file}, whose numeric group is {@code gid}. */
  synchronized String group(int gid, Path file) {
    String n = groups.get(gid);
    if (n == null && !groups.containsKey(gid)) {
      n = lookup(file, false);
      groups.put(gid, n);
    }
    return n;
  }

  private static String lookup(Path file, boolean user) {
    try {
      PosixFileAttributes a =
          Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return user ? a.owner().getName() : a.group().getName();
    } catch (IOException e) {
      return null;
    }
  }
}
