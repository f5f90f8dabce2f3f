package id.penjaga.agent.logs;

import id.penjaga.agent.backup.RepositoryOpener;
import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a log set's oldest rotated logs into the backup repository when space runs short (SOP 11:
 * "if storage is not enough, the logs may be moved to other backup media"): when the log file
 * system has less than {@code offload-min-free} free, or the set's rotated logs exceed {@code
 * quota}. The logs become a snapshot of source {@code logs-NAME} (tag {@value #TAG}, under their
 * full paths) and are deleted locally only once that snapshot is durable. Retention never forgets
 * these snapshots: each holds logs no other snapshot has.
 */
public final class LogOffloader {
  private static final Logger log = LoggerFactory.getLogger(LogOffloader.class);
  public static final String TAG = id.penjaga.agent.backup.Forgetter.KEEP_ALWAYS_TAG;

  private final RepositoryOpener opener;
  private final Clock clock;
  private final String agentVersion;

  public LogOffloader(RepositoryOpener opener, Clock clock, String agentVersion) {
    this.opener = opener;
    this.clock = clock;
    this.agentVersion = agentVersion;
  }

  /** What an offload did: nothing ({@code moved} empty), or the logs moved and their snapshot. */
  public record Result(List<Path> moved, long bytes, String snapshotId, String why) {}

  public static String sourceName(String set) {
    return "logs-" + set;
  }

  /** Offloads when the set needs it (or {@code force}: every rotated log). */
  public Result offload(String name, AgentConfig.LogSet set, boolean force) throws IOException {
    List<Path> rotated = new ArrayList<>();
    for (Path file : LogRotator.expand(set)) {
      rotated.addAll(LogRotator.rotated(set, file));
    }
    // Logs rotated away whose live file is gone meanwhile are not seen; a later pass sees them
    // again once the application writes its log.
    rotated.sort(Comparator.comparing((Path p) -> mtime(p)).thenComparing(Comparator.naturalOrder()));
    if (rotated.isEmpty()) {
      return new Result(List.of(), 0, null, null);
    }
    long total = 0;
    for (Path p : rotated) {
      total += Files.size(p);
    }
    FileStore store = Files.getFileStore(rotated.get(0));
    long capacity = store.getTotalSpace();
    long free = store.getUsableSpace();
    long wantFree =
        set.offloadMinFree() == null
            ? 0
            : capacity * Integer.parseInt(set.offloadMinFree().replace("%", "")) / 100;
    long quota = set.quota() == null ? Long.MAX_VALUE : set.quota().bytes();
    String why;
    if (force) {
      why = "asked for";
    } else if (free < wantFree) {
      why = "free space " + free + " of " + capacity + " bytes is below " + set.offloadMinFree();
    } else if (total > quota) {
      why = "rotated logs take " + total + " bytes, above the quota of " + quota;
    } else {
      return new Result(List.of(), 0, null, null);
    }
    List<Path> chosen = new ArrayList<>();
    long chosenBytes = 0;
    for (Path p : rotated) {
      if (!force && free + chosenBytes >= wantFree && total - chosenBytes <= quota) {
        break;
      }
      chosen.add(p);
      chosenBytes += Files.size(p);
    }
    String snapshotId = store(name, chosen);
    // Only now, with the snapshot durable, do the logs leave this disk.
    for (Path p : chosen) {
      Files.deleteIfExists(p);
    }
    log.info("log set {}: {} rotated logs ({} bytes) moved to snapshot {} because {}", name, chosen.size(),
        chosenBytes, snapshotId.substring(0, 8), why);
    return new Result(List.copyOf(chosen), chosenBytes, snapshotId, why);
  }

  private String store(String name, List<Path> files) throws IOException {
    Instant now = clock.instant();
    try (Repository repo = opener.open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "log offload " + name, clock);
        Archiver archiver = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      Archiver.Counters counters = Archiver.counters();
      Dir root = new Dir();
      for (Path f : files) {
        Dir d = root;
        for (Path part : f.getParent()) {
          d = d.dirs.computeIfAbsent(part.toString(), k -> new Dir());
        }
        try (InputStream in = Files.newInputStream(f)) {
          d.files.add(
              archiver.saveStream(
                  f.getFileName().toString(), in, Files.getLastModifiedTime(f).toInstant(), null, counters));
        }
      }
      List<Node> top = save(root, archiver, now, counters);
      Archiver.Result r =
          archiver.snapshotOf(
              top, now, sourceName(name), "logs:" + name, null, null, List.of(TAG), agentVersion, counters);
      return r.snapshot().id();
    }
  }

  /** A directory of the snapshot to come. */
  private static final class Dir {
    final Map<String, Dir> dirs = new TreeMap<>();
    final List<Node> files = new ArrayList<>();
  }

  private static List<Node> save(Dir dir, Archiver archiver, Instant now, Archiver.Counters counters)
      throws IOException {
    List<Node> nodes = new ArrayList<>(dir.files);
    for (Map.Entry<String, Dir> e : dir.dirs.entrySet()) {
      nodes.add(archiver.saveDirectory(e.getKey(), save(e.getValue(), archiver, now, counters), now, counters));
    }
    return nodes;
  }

  private static Instant mtime(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }

  /** Whether a snapshot holds offloaded logs (retention leaves these alone). */
  public static boolean isOffload(Snapshot s) {
    return s.tags() != null && s.tags().contains(TAG);
  }
}
