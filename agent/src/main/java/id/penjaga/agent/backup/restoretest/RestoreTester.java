package id.penjaga.agent.backup.restoretest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.backup.ConfiguredRepository;
import id.penjaga.agent.backup.postgres.PgConnection;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.report.FailureEvent;
import id.penjaga.agent.report.ReportType;
import id.penjaga.agent.report.Spool;
import id.penjaga.agent.backup.postgres.PostgresRestore;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.repository.Tree;
import id.penjaga.agent.backup.restorer.Restorer;
import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore test of SOP 10 step 5: for each source, a snapshot drawn at random among the recent
 * ones, and for a files source a random sample of its files, stratified by size (small and large
 * files both), with at least one file of the newest day; each restored into a scratch directory,
 * verified against its whole-file SHA-256 and, where the live file is unchanged (same size and
 * time), compared byte for byte with it. A database source's dump is restored into a scratch
 * database, its row counts compared with those recorded at backup and the configured sanity
 * queries run, and the scratch database dropped, pass or fail. Every draw comes from one seeded
 * generator, recorded, so a test can be replayed exactly. Time to restore is measured.
 */
public final class RestoreTester {
  private static final Logger log = LoggerFactory.getLogger(RestoreTester.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);

  private final Repository repo;
  private final AgentConfig.RestoreTest settings;
  private final Path scratch;
  private final Clock clock;

  public RestoreTester(Repository repo, AgentConfig.RestoreTest settings, Path scratch, Clock clock) {
    this.repo = repo;
    this.settings = settings;
    this.scratch = scratch;
    this.clock = clock;
  }

  /**
   * A whole restore test as the command and the schedule run it: the test on one target, its
   * restore-test record spooled (and journaled), and a failure event when it fails.
   */
  public static ObjectNode runAndRecord(
      AgentConfig config,
      String targetName,
      Map<String, AgentConfig.Source> sources,
      long seed,
      String trigger,
      Spool spool,
      Clock clock)
      throws IOException {
    AgentConfig.RestoreTest settings = config.restoreTest();
    Path scratch =
        settings.scratchDir() != null ? settings.scratchDir() : config.stateDir().resolve("restore-test");
    AgentConfig.RepositoryTarget target = config.targets().get(targetName);
    ObjectNode record;
    try (Repository repo = new ConfiguredRepository(target, clock, ConfiguredRepository.keyCacheOf(config)).open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, "restore-test", clock)) {
      record = new RestoreTester(repo, settings, scratch, clock).run(sources, seed);
    }
    record.put("target_name", targetName);
    record.put("target", target.path());
    record.put("trigger", trigger);
    spool.append(ReportType.RESTORE_TEST, record);
    if (!record.path("result").asText().equals("pass")) {
      StringBuilder why = new StringBuilder("restore test failed (seed " + seed + "):");
      record.path("failures").forEach(f -> why.append(' ').append(f.asText()).append(';'));
      String reason = why.length() <= 2000 ? why.toString() : why.substring(0, 1990) + " [...]";
      new FailureEvent(
              "restore-test", "restore-test", sources.size() == 1 ? sources.keySet().iterator().next() : null,
              targetName, target.path(), clock.instant(), reason)
          .report(spool);
    }
    log.info("restore test of {} (seed {}): {}", targetName, seed, record.path("result").asText());
    return record;
  }

  /** A file of a snapshot, by its path from the snapshot's root. */
  public record Entry(String path, Node node) {}

  /**
   * Runs the test over {@code sources} (name to configuration) and returns the record: {@code
   * result} is {@code pass} or {@code fail}, {@code failures} says why.
   */
  public ObjectNode run(Map<String, AgentConfig.Source> sources, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    Instant started = clock.instant();
    ObjectNode record = F.objectNode();
    record.put("started_at", started.toString());
    record.put("seed", seed);
    record.put("sample_files", settings.files());
    record.put("sample_percent", settings.filesPercent());
    record.put("within_days", settings.within().toDays());
    ArrayNode results = record.putArray("sources");
    ArrayNode failures = F.arrayNode();
    List<Snapshot> all = repo.snapshots();
    for (Map.Entry<String, AgentConfig.Source> src : sources.entrySet()) {
      String name = src.getKey();
      List<Snapshot> recent =
          all.stream()
              .filter(s -> name.equals(s.source()))
              .filter(s -> !s.instant().isBefore(started.minus(settings.within())))
              .toList();
      ObjectNode r = results.addObject();
      r.put("source", name);
      r.put("type", src.getValue().type());
      if (recent.isEmpty()) {
        r.put("result", "fail");
        failures.add(name + ": no snapshot in the last " + settings.within().toDays() + " days");
        continue;
      }
      Snapshot snap = recent.get(random.nextInt(recent.size()));
      r.put("snapshot_id", snap.id());
      r.put("snapshot_time", snap.time());
      r.put("snapshots_to_choose_from", recent.size());
      try {
        List<String> why =
            src.getValue().isPostgresql()
                ? testDatabase(src.getValue(), snap, r)
                : testFiles(src.getValue(), snap, random, r);
        why.forEach(w -> failures.add(name + ": " + w));
        r.put("result", why.isEmpty() ? "pass" : "fail");
      } catch (IOException | RuntimeException e) {
        r.put("result", "fail");
        failures.add(name + ": " + e.getMessage());
      }
    }
    record.put("finished_at", clock.instant().toString());
    record.put("duration_seconds", Duration.between(started, clock.instant()).toMillis() / 1000.0);
    record.put("result", failures.isEmpty() ? "pass" : "fail");
    record.set("failures", failures);
    return record;
  }

  private List<String> testFiles(
      AgentConfig.Source source, Snapshot snap, SplittableRandom random, ObjectNode r) throws IOException {
    List<Entry> files = new ArrayList<>();
    walk(BlobId.parse(snap.tree()), "", files);
    long totalBytes = files.stream().mapToLong(e -> e.node().size()).sum();
    r.put("files_in_snapshot", files.size());
    r.put("bytes_in_snapshot", totalBytes);
    int n = (int) Math.max(settings.files(), Math.ceil(files.size() * settings.filesPercent() / 100));
    List<Entry> sample = sample(files, n, random);
    long sampleBytes = sample.stream().mapToLong(e -> e.node().size()).sum();
    Files.createDirectories(scratch);
    long usable = Files.getFileStore(scratch).getUsableSpace();
    if (usable < sampleBytes + (sampleBytes >> 3) + (16 << 20)) {
      return List.of(
          "not enough room in " + scratch + " to restore the sample (" + sampleBytes + " bytes needed, "
              + usable + " free)");
    }
    Path dir = Files.createTempDirectory(scratch, "files-");
    List<String> why = new ArrayList<>();
    ArrayNode out = r.putArray("files");
    Restorer restorer = new Restorer(repo);
    long restored = 0;
    long t0 = System.nanoTime();
    try {
      int i = 0;
      for (Entry e : sample) {
        ObjectNode f = out.addObject();
        f.put("path", "/" + e.path());
        f.put("size", e.node().size());
        Path target = dir.resolve(Integer.toString(i++));
        try {
          try (OutputStream os = Files.newOutputStream(target)) {
            restored += restorer.copyContent(e.node(), os);
          }
          f.put("hash_verified", true);
          Path live = source.path().resolve(e.path());
          boolean unchanged =
              Files.isRegularFile(live, LinkOption.NOFOLLOW_LINKS)
                  && Files.size(live) == e.node().size()
                  && nanos(Files.getLastModifiedTime(live, LinkOption.NOFOLLOW_LINKS)) == e.node().mtime();
          f.put("live_compared", unchanged);
          if (unchanged && Files.mismatch(live, target) != -1) {
            throw new IOException("differs from the live file, which has the same size and time");
          }
          f.put("result", "ok");
        } catch (IOException | RuntimeException ex) {
          f.put("result", "failed");
          f.put("error", ex.getMessage());
          why.add("/" + e.path() + ": " + ex.getMessage());
        } finally {
          Files.deleteIfExists(target);
        }
      }
    } finally {
      deleteTree(dir);
    }
    throughput(r, restored, System.nanoTime() - t0, totalBytes);
    return why;
  }

  private static void throughput(ObjectNode r, long bytes, long nanos, long total) {
    double seconds = Math.max(nanos / 1e9, 1e-6);
    double rate = bytes / seconds;
    r.put("bytes_restored", bytes);
    r.put("restore_seconds", Math.round(seconds * 1000) / 1000.0);
    r.put("bytes_per_second", Math.round(rate));
    r.put("projected_full_restore_seconds", rate > 0 ? Math.round(total / rate) : 0);
  }

  /**
   * {@code n} files drawn without replacement from four size strata (files sorted by size, cut into
   * quarters), so small and large files are both tested; at least one from the newest day.
   */
  public static List<Entry> sample(List<Entry> files, int n, SplittableRandom random) {
    List<Entry> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparingLong((Entry e) -> e.node().size()).thenComparing(Entry::path));
    if (sorted.size() <= n) {
      return sorted;
    }
    int strata = Math.min(4, n);
    List<Entry> picked = new ArrayList<>();
    for (int s = 0; s < strata; s++) {
      int from = (int) ((long) sorted.size() * s / strata);
      int to = (int) ((long) sorted.size() * (s + 1) / strata);
      int want = n / strata + (s < n % strata ? 1 : 0);
      List<Entry> stratum = new ArrayList<>(sorted.subList(from, to));
      for (int k = 0; k < want && !stratum.isEmpty(); k++) {
        picked.add(stratum.remove(random.nextInt(stratum.size())));
      }
    }
    long newest = sorted.stream().mapToLong(e -> e.node().mtime()).max().orElse(0);
    long dayAgo = newest - Duration.ofDays(1).toNanos();
    if (picked.stream().noneMatch(e -> e.node().mtime() >= dayAgo)) {
      List<Entry> recent = sorted.stream().filter(e -> e.node().mtime() >= dayAgo).toList();
      picked.set(picked.size() - 1, recent.get(random.nextInt(recent.size())));
    }
    return picked;
  }

  private void walk(BlobId treeId, String prefix, List<Entry> out) throws IOException {
    Tree tree = repo.loadTree(treeId);
    for (Node n : tree.nodes()) {
      if (!Node.isSafeName(n.name())) {
        continue;
      }
      String path = prefix.isEmpty() ? n.name() : prefix + "/" + n.name();
      if (n.isDir()) {
        walk(BlobId.parse(n.subtree()), path, out);
      } else if (n.isFile()) {
        out.add(new Entry(path, n));
      }
    }
  }

  private List<String> testDatabase(AgentConfig.Source source, Snapshot snap, ObjectNode r) throws IOException {
    List<String> why = new ArrayList<>();
    ArrayNode dbs = r.putArray("databases");
    try (PgConnection conn = new PgConnection(source)) {
      PostgresRestore restore = new PostgresRestore(conn, repo, clock);
      long t0 = System.nanoTime();
      long bytes = 0;
      for (PostgresRestore.DatabaseDump dump : restore.databases(snap)) {
        String scratchDb = "penjaga_restore_test_" + STAMP.format(clock.instant());
        ObjectNode d = dbs.addObject();
        d.put("database", dump.name());
        d.put("scratch_database", scratchDb);
        try {
          PostgresRestore.Result res =
              restore.restore(snap, new PostgresRestore.Options(dump.name(), scratchDb, true, false));
          bytes += res.bytes();
          ArrayNode tables = d.putArray("tables");
          for (PostgresRestore.TableCount t : res.tables()) {
            ObjectNode o = tables.addObject();
            o.put("schema", t.schema());
            o.put("table", t.table());
            o.put("rows_expected", t.expected());
            o.put("rows_restored", t.actual());
          }
          for (PostgresRestore.TableCount t : res.mismatches()) {
            why.add(
                "database " + dump.name() + ": table " + t.schema() + "." + t.table() + " has "
                    + t.actual() + " rows restored, " + t.expected() + " recorded at backup");
          }
          ArrayNode sanity = d.putArray("sanity_queries");
          List<String> answers = restore.sanity(scratchDb, settings.sanityQueries());
          for (int i = 0; i < answers.size(); i++) {
            ObjectNode q = sanity.addObject();
            q.put("query", settings.sanityQueries().get(i));
            q.put("result", answers.get(i));
            if (!answers.get(i).equals("ok")) {
              why.add("database " + dump.name() + ": sanity query " + settings.sanityQueries().get(i) + " " + answers.get(i));
            }
          }
          d.put("result", res.rowsMatch() && answers.stream().allMatch("ok"::equals) ? "pass" : "fail");
        } catch (IOException | RuntimeException e) {
          d.put("result", "fail");
          d.put("error", e.getMessage());
          why.add("database " + dump.name() + ": " + e.getMessage());
        } finally {
          try {
            restore.drop(scratchDb);
            d.put("scratch_dropped", !restore.exists(scratchDb));
          } catch (IOException e) {
            d.put("scratch_dropped", false);
            why.add("scratch database " + scratchDb + " could not be dropped: " + e.getMessage());
          }
        }
      }
      if (dbs.isEmpty()) {
        why.add("snapshot " + snap.shortId() + " holds no database dump");
      }
      throughput(r, bytes, System.nanoTime() - t0, bytes);
    }
    return why;
  }

  private static long nanos(FileTime t) {
    Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("could not clean {}: {}", dir, e.getMessage());
    }
  }
}
