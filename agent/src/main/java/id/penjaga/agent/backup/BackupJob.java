package id.penjaga.agent.backup;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.postgres.PgConnection;
import id.penjaga.agent.backup.postgres.PostgresBackup;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Tree;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.FailureEvent;
import id.penjaga.agent.report.ReportType;
import id.penjaga.agent.report.Spool;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup of one source (a file tree or a PostgreSQL server), from lock to record: the snapshot when it succeeds, and in every
 * case a backup-run record in the spool (the SOP's "log pelaksanaan backup"), failures included.
 */
public final class BackupJob {
  private static final Logger log = LoggerFactory.getLogger(BackupJob.class);

  private final RepositoryOpener opener;
  private final String targetName;
  private final Spool spool;
  private final Clock clock;
  private final String agentVersion;
  private final int threads;

  private AgentConfig.Rotation rotation;
  private boolean rotationChecked;
  /** The medium the current run reached (its name in the repository), or null. */
  private String medium;

  /** Checks that the target's media are used in their order (once per job: per backup of all sources). */
  public BackupJob rotation(AgentConfig.Rotation rotation) {
    this.rotation = rotation;
    return this;
  }

  public BackupJob(
      RepositoryOpener opener, String targetName, Spool spool, Clock clock, String agentVersion, int threads) {
    this.opener = opener;
    this.targetName = targetName;
    this.spool = spool;
    this.clock = clock;
    this.agentVersion = agentVersion;
    this.threads = threads;
  }

  /** How a run was started. */
  public enum Trigger {
    SCHEDULE("schedule"),
    MANUAL("manual"),
    PRE_CHANGE("pre-change");

    final String wire;

    Trigger(String wire) {
      this.wire = wire;
    }
  }

  /** What one run did; {@code snapshot} is empty when it failed, and {@code failure} says why. */
  public record Outcome(
      String source,
      String target,
      Optional<Snapshot> snapshot,
      List<String> errors,
      String failure,
      Instant started,
      Instant finished) {
    public boolean failed() {
      return snapshot.isEmpty();
    }

    public String result() {
      return failed() ? "failure" : errors.isEmpty() ? "success" : "warning";
    }
  }

  public Outcome run(String name, AgentConfig.Source source, String reason, List<String> tags, Trigger trigger) {
    Instant started = clock.instant();
    Outcome outcome;
    try (Repository repo = opener.open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), true, "backup " + name, clock)) {
      medium = MediaRotation.name(repo.backend()).orElse(null);
      Snapshot parent = latest(repo, name);
      Archiver.Result r = source.isPostgresql()
          ? backupDatabase(repo, name, source, parent, reason, tags, started)
          : backupFiles(repo, name, source, parent, reason, tags);
      outcome =
          new Outcome(name, targetName, Optional.of(r.snapshot()), r.errors(), null, started, clock.instant());
      log.info(
          "backup of {} done: snapshot {} ({} new, {} changed, {} unchanged files, {} bytes added)",
          name,
          r.snapshot().shortId(),
          r.snapshot().summary().filesNew(),
          r.snapshot().summary().filesChanged(),
          r.snapshot().summary().filesUnchanged(),
          r.snapshot().summary().bytesAdded());
    } catch (IOException | RuntimeException e) {
      String why = e.getMessage() != null ? e.getMessage() : e.toString();
      log.error("backup of {} to {} failed: {}", name, targetName, why);
      outcome = new Outcome(name, targetName, Optional.empty(), List.of(), why, started, clock.instant());
    }
    record(outcome, source.type(), reason, trigger);
    if (rotation != null && !outcome.failed() && !rotationChecked) {
      rotationChecked = true;
      try {
        for (String problem : MediaRotation.check(spool.directory().getParent(), targetName, rotation, medium, clock.instant())) {
          log.warn("{}", problem);
          new FailureEvent("media-rotation", "media rotation " + targetName, null, targetName, opener.location(),
              clock.instant(), problem).report(spool);
        }
      } catch (IOException e) {
        log.error("cannot check the media rotation of {}: {}", targetName, e.getMessage());
      }
    }
    return outcome;
  }

  private Archiver.Result backupFiles(
      Repository repo, String name, AgentConfig.Source source, Snapshot parent, String reason, List<String> tags)
      throws IOException {
    try (Archiver archiver =
        new Archiver(repo, new ArchiveOptions(source.exclude(), source.oneFileSystem()), threads)) {
      return archiver.backup(source.path(), name, parent, reason, tags, agentVersion);
    }
  }

  private Archiver.Result backupDatabase(
      Repository repo,
      String name,
      AgentConfig.Source source,
      Snapshot parent,
      String reason,
      List<String> tags,
      Instant started)
      throws IOException {
    try (Archiver archiver =
            new Archiver(repo, new ArchiveOptions(List.of(), false), threads, PostgresBackup.DUMP_CHUNKS);
        PgConnection conn = new PgConnection(source)) {
      Tree parentTree = parent != null ? repo.loadTree(BlobId.parse(parent.tree())) : null;
      Archiver.Counters counters = Archiver.counters();
      List<Node> nodes = new PostgresBackup(conn, archiver, clock).dump(parentTree, counters);
      String path = "postgresql://" + source.host() + ":" + source.port() + "/" + source.database();
      return archiver.snapshotOf(nodes, started, name, path, parent, reason, tags, agentVersion, counters);
    }
  }

  private static Snapshot latest(Repository repo, String source) throws IOException {
    List<Snapshot> all = repo.snapshots();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (source.equals(all.get(i).source())) {
        return all.get(i);
      }
    }
    return null;
  }

  private void record(Outcome o, String sourceType, String reason, Trigger trigger) {
    ObjectNode b = JsonNodeFactory.instance.objectNode();
    b.put("source", o.source());
    b.put("source_type", sourceType);
    b.put("target", opener.location());
    b.put("target_name", o.target());
    b.put("started_at", o.started().toString());
    b.put("finished_at", o.finished().toString());
    b.put("result", o.result());
    b.put("trigger", trigger.wire);
    b.put("reason", reason);
    b.put("duration_seconds", Duration.between(o.started(), o.finished()).toMillis() / 1000.0);
    if (medium != null) {
      b.put("medium", medium);
    }
    if (o.snapshot().isPresent()) {
      Snapshot s = o.snapshot().get();
      b.put("snapshot_id", s.id());
      b.put("parent_id", s.parent());
      b.put("files_new", s.summary().filesNew());
      b.put("files_changed", s.summary().filesChanged());
      b.put("files_unchanged", s.summary().filesUnchanged());
      b.put("dirs", s.summary().dirs());
      b.put("bytes_read", s.summary().bytesRead());
      b.put("bytes_added", s.summary().bytesAdded());
      b.put("bytes_stored", s.summary().bytesStored());
      b.put("errors", s.summary().errors());
    } else {
      b.putNull("snapshot_id");
      b.put("errors", 0);
      b.put("failure", clip(o.failure()));
    }
    ArrayNode messages = b.putArray("error_messages");
    o.errors().stream().limit(100).map(BackupJob::clip).forEach(messages::add);
    try {
      spool.append(ReportType.BACKUP_RUN, b);
    } catch (IOException e) {
      // The run is still in the agent's own log above; say loudly that the record is not spooled.
      log.error("cannot spool the backup-run record of {}: {}", o.source(), e.getMessage());
    }
    if (o.failed()) {
      new FailureEvent(
              "backup", "backup " + o.source(), o.source(), o.target(), opener.location(), o.finished(),
              clip(o.failure()))
          .report(spool);
    }
  }

  /** The contract takes messages of up to 2000 characters: keep the start and the end. */
  static String clip(String s) {
    if (s == null || s.length() <= 2000) {
      return s;
    }
    return s.substring(0, 1200) + " [...] " + s.substring(s.length() - 780);
  }
}
