package id.penjaga.agent.logs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdOutputStream;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.io.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates log sets as logrotate does, so an operator who knows logrotate finds the same files:
 * {@code name.log.1}, {@code name.log.2.gz}, ... (or {@code name.log-20261124.gz} with {@code
 * date-ext}), {@code rotate} of them kept, compression delayed by one rotation on request, the log
 * renamed and created anew (same mode and owner, or {@code create-mode}) or copied and truncated.
 *
 * <p>Create-new loses no line: the writer keeps writing to the renamed file (the same inode) until
 * it reopens its log, which {@code post-rotate} tells it to do. Copy-truncate can lose what is
 * written between the copy and the truncation (logrotate has the same window); prefer create-new
 * when the application can reopen its log.
 *
 * <p>The time of each log's last rotation is kept in {@code logrotate.json} in the state
 * directory; as logrotate, a log first seen by a time-based set is not rotated but remembered.
 */
public final class LogRotator {
  private static final Logger log = LoggerFactory.getLogger(LogRotator.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path stateFile;
  private final Clock clock;
  private final ZoneId zone;
  private final Map<String, Long> state;

  public LogRotator(Path stateFile, Clock clock) throws IOException {
    this.stateFile = stateFile;
    this.clock = clock;
    this.zone = clock.getZone();
    this.state =
        Files.exists(stateFile)
            ? new TreeMap<>(JSON.readValue(stateFile.toFile(), new TypeReference<Map<String, Long>>() {}))
            : new TreeMap<>();
  }

  /** What a pass over a log set did. */
  public record Result(List<Path> rotated, List<Path> removed, List<String> errors) {}

  /** The log files a set names now: each glob expanded, sorted. */
  public static List<Path> expand(AgentConfig.LogSet set) throws IOException {
    List<Path> files = new ArrayList<>();
    for (String glob : set.paths()) {
      Path p = Path.of(glob);
      Path dir = p.getParent();
      String name = p.getFileName().toString();
      if (!name.contains("*") && !name.contains("?") && !name.contains("[")) {
        files.add(p);
        continue;
      }
      if (!Files.isDirectory(dir)) {
        continue;
      }
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + name);
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path f : ds) {
          if (m.matches(f.getFileName()) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            files.add(f);
          }
        }
      }
    }
    files.sort(null);
    return files;
  }

  /** One pass over a set: each due log rotated, then the post-rotate command once. */
  public Result rotate(String name, AgentConfig.LogSet set, boolean force) throws IOException {
    List<Path> rotated = new ArrayList<>();
    List<Path> removed = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    Instant now = clock.instant();
    for (Path file : expand(set)) {
      try {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          if (!set.missingOk()) {
            errors.add(file + ": log does not exist");
          }
          continue;
        }
        if (!due(set, file, now, force)) {
          continue;
        }
        rotateOne(set, file, now, removed);
        rotated.add(file);
        state.put(file.toString(), now.toEpochMilli());
      } catch (IOException | RuntimeException e) {
        errors.add(file + ": " + e.getMessage());
        log.error("rotation of {} failed: {}", file, e.getMessage());
      }
    }
    saveState();
    if (!rotated.isEmpty() && set.postRotate() != null) {
      String err = runPostRotate(set.postRotate());
      if (err != null) {
        errors.add("post-rotate of " + name + ": " + err);
      }
    }
    if (!rotated.isEmpty()) {
      log.info("log set {}: {} rotated, {} old removed", name, rotated.size(), removed.size());
    }
    return new Result(rotated, removed, errors);
  }

  private boolean due(AgentConfig.LogSet set, Path file, Instant now, boolean force) throws IOException {
    long size = Files.size(file);
    if (size == 0 && set.notIfEmpty()) {
      return false;
    }
    if (force) {
      return true;
    }
    if (set.size() == null && set.schedule() == null) {
      return false; // analysed only: the system's logrotate rotates these
    }
    boolean bySize = set.size() != null && size > set.size().bytes();
    boolean byTime = false;
    if (set.schedule() != null) {
      Long last = state.get(file.toString());
      if (last == null) {
        // First sight: remembered, not rotated (logrotate does the same).
        state.put(file.toString(), now.toEpochMilli());
      } else {
        byTime = periodPassed(set.schedule(), Instant.ofEpochMilli(last), now);
      }
    }
    return bySize || byTime;
  }

  private boolean periodPassed(String schedule, Instant last, Instant now) {
    LocalDateTime l = LocalDateTime.ofInstant(last, zone);
    LocalDateTime n = LocalDateTime.ofInstant(now, zone);
    return switch (schedule) {
      case "daily" -> !n.toLocalDate().equals(l.toLocalDate()) && n.isAfter(l);
      case "weekly" ->
          ChronoUnit.DAYS.between(l.toLocalDate(), n.toLocalDate()) >= 7
              || n.isAfter(l)
                  && (n.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR) != l.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)
                      || n.getYear() != l.getYear());
      case "monthly" -> n.isAfter(l) && (n.getMonthValue() != l.getMonthValue() || n.getYear() != l.getYear());
      default -> false;
    };
  }

  private void rotateOne(AgentConfig.LogSet set, Path file, Instant now, List<Path> removed) throws IOException {
    Path dir = file.getParent();
    String base = file.getFileName().toString();
    String z = set.compressSuffix();
    PosixFileAttributes attrs = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Path target;
    if (set.dateExt()) {
      target = dir.resolve(base + dateSuffix(set.dateFormat(), now));
      if (Files.exists(target) || Files.exists(Path.of(target + z))) {
        throw new IOException("destination " + target + " already exists, skipping rotation");
      }
    } else {
      // Shift name.N -> name.N+1 from the oldest; what falls beyond rotate is removed.
      for (int i = Math.max(set.rotate(), 1); i >= 1; i--) {
        for (String ext : set.compressed() ? new String[] {z, ""} : new String[] {""}) {
          Path from = dir.resolve(base + "." + i + ext);
          if (!Files.exists(from)) {
            continue;
          }
          if (i + 1 > set.rotate()) {
            Files.delete(from);
            removed.add(from);
          } else {
            Files.move(from, dir.resolve(base + "." + (i + 1) + ext), StandardCopyOption.ATOMIC_MOVE);
          }
        }
      }
      target = dir.resolve(base + ".1");
    }
    if (set.rotate() == 0) {
      Files.delete(file);
      removed.add(file);
      recreate(set, file, attrs);
      return;
    }
    if (set.copyTruncate()) {
      Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
    } else {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
      recreate(set, file, attrs);
    }
    if (set.compressed()) {
      if (!set.delayCompress()) {
        compress(set, target);
      } else if (!set.dateExt()) {
        Path previous = dir.resolve(base + ".2");
        if (Files.exists(previous)) {
          compress(set, previous);
        }
      } else {
        for (Path p : rotatedDated(set, file)) {
          if (!p.equals(target) && !p.toString().endsWith(z)) {
            compress(set, p);
          }
        }
      }
    }
    if (set.dateExt()) {
      List<Path> all = rotatedDated(set, file);
      for (int i = 0; i < all.size() - set.rotate(); i++) {
        Files.delete(all.get(i));
        removed.add(all.get(i));
      }
    }
    if (set.maxAge() != null) {
      Instant cutoff = now.minus(set.maxAge());
      for (Path p : rotated(set, file)) {
        if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
          Files.delete(p);
          removed.add(p);
        }
      }
    }
  }

  /** The new, empty log: the old one's owner and mode, or {@code create-mode}. */
  private static void recreate(AgentConfig.LogSet set, Path file, PosixFileAttributes attrs) throws IOException {
    if (set.copyTruncate()) {
      return;
    }
    Set<PosixFilePermission> perms =
        set.createMode() != null ? fromOctal(set.createMode()) : attrs.permissions();
    Files.createFile(file, PosixFilePermissions.asFileAttribute(perms));
    Files.setPosixFilePermissions(file, perms); // the umask does not apply
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    var lookup = file.getFileSystem().getUserPrincipalLookupService();
    if (set.createOwner() != null) {
      String[] ug = set.createOwner().split(":", 2);
      view.setOwner(lookup.lookupPrincipalByName(ug[0]));
      if (ug.length > 1) {
        view.setGroup(lookup.lookupPrincipalByGroupName(ug[1]));
      }
      return;
    }
    try {
      view.setOwner(attrs.owner());
      view.setGroup(attrs.group());
    } catch (IOException e) {
      // not root: the file stays ours, as logrotate's would
    }
  }

  static Set<PosixFilePermission> fromOctal(String mode) {
    int m = Integer.parseInt(mode, 8);
    StringBuilder sb = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((m & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(sb.toString());
  }

  /** Compresses a rotated file beside itself (keeping its time and mode), then removes it. */
  static void compress(AgentConfig.LogSet set, Path file) throws IOException {
    Path out = Path.of(file + set.compressSuffix());
    Path tmp = Path.of(out + ".tmp");
    try (InputStream in = Files.newInputStream(file);
        OutputStream os =
            set.compress().equals("zstd")
                ? new ZstdOutputStream(Files.newOutputStream(tmp), 3)
                : new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      in.transferTo(os);
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
    Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(file));
    Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    Files.delete(file);
  }

  /** The rotated files of a log, oldest first: numbered ones by number, dated ones by name. */
  public static List<Path> rotated(AgentConfig.LogSet set, Path file) throws IOException {
    if (set.dateExt()) {
      return rotatedDated(set, file);
    }
    TreeMap<Integer, Path> byNumber = new TreeMap<>();
    Pattern p = Pattern.compile(Pattern.quote(file.getFileName().toString()) + "\\.(\\d+)(\\.gz|\\.zst)?");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(file.getParent())) {
      for (Path f : ds) {
        var m = p.matcher(f.getFileName().toString());
        if (m.matches()) {
          byNumber.put(Integer.parseInt(m.group(1)), f);
        }
      }
    }
    return new ArrayList<>(byNumber.descendingMap().values());
  }

  private static List<Path> rotatedDated(AgentConfig.LogSet set, Path file) throws IOException {
    Pattern p =
        Pattern.compile(
            Pattern.quote(file.getFileName().toString()) + datePattern(set.dateFormat()) + "(\\.gz|\\.zst)?");
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(file.getParent())) {
      for (Path f : ds) {
        if (p.matcher(f.getFileName().toString()).matches()) {
          out.add(f);
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** A date format's specifiers as a regular expression: %Y four digits, %s many, others two. */
  static String datePattern(String format) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c == '%' && i + 1 < format.length()) {
        char s = format.charAt(++i);
        sb.append(switch (s) {
          case 'Y' -> "\\d{4}";
          case 's' -> "\\d+";
          default -> "\\d{2}";
        });
      } else {
        sb.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return sb.toString();
  }

  String dateSuffix(String format, Instant now) {
    LocalDateTime t = LocalDateTime.ofInstant(now, zone);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c == '%' && i + 1 < format.length()) {
        char s = format.charAt(++i);
        sb.append(switch (s) {
          case 'Y' -> String.format("%04d", t.getYear());
          case 'm' -> String.format("%02d", t.getMonthValue());
          case 'd' -> String.format("%02d", t.getDayOfMonth());
          case 'H' -> String.format("%02d", t.getHour());
          case 'M' -> String.format("%02d", t.getMinute());
          case 'S' -> String.format("%02d", t.getSecond());
          case 's' -> Long.toString(now.getEpochSecond());
          default -> "%" + s;
        });
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String runPostRotate(String command) {
    try {
      Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "did not finish in 120 s";
      }
      return p.exitValue() == 0 ? null : "exited with status " + p.exitValue() + (out.isEmpty() ? "" : ": " + out);
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private void saveState() throws IOException {
    Files.createDirectories(stateFile.getParent());
    AtomicFile.write(stateFile, JSON.writeValueAsBytes(state));
  }

  /** For tests: when a log was last rotated. */
  Instant lastRotation(Path file) {
    Long ms = state.get(file.toString());
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
