package id.penjaga.agent.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup figures per source and target for {@code /metrics}, read from the records journal
 * ({@code records.jsonl}): runs of the daemon and of the administrator's commands alike, and the
 * last success survives a restart. Lines are read once; {@link #refresh()} reads what was added.
 *
 * <p>{@code penjaga_backup_last_result} is 0 for success, 1 for warning (snapshot made, some files
 * unreadable), 2 for failure.
 */
public final class BackupMetrics {
  private static final Logger log = LoggerFactory.getLogger(BackupMetrics.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path journal;
  private final MeterRegistry registry;
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private long offset;
  private volatile double restoreTestTime = Double.NaN;
  private volatile double restoreTestResult = Double.NaN;
  private boolean restoreTestRegistered;

  /** The last run of one source to one target. */
  static final class State {
    volatile double lastRun = Double.NaN;
    volatile double lastSuccess = Double.NaN;
    volatile double duration = Double.NaN;
    volatile double bytesAdded = Double.NaN;
    volatile double files = Double.NaN;
    volatile double result = Double.NaN;
  }

  public BackupMetrics(Path journal, MeterRegistry registry) {
    this.journal = journal;
    this.registry = registry;
  }

  /** Reads the journal's new complete lines. */
  public synchronized void refresh() {
    if (!Files.exists(journal)) {
      return;
    }
    try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "r")) {
      long length = f.length();
      if (length < offset) {
        offset = 0; // replaced by a shorter file: read again
      }
      if (length == offset) {
        return;
      }
      byte[] buf = new byte[(int) Math.min(length - offset, 64L << 20)];
      f.seek(offset);
      f.readFully(buf);
      int start = 0;
      for (int i = 0; i < buf.length; i++) {
        if (buf[i] == '\n') {
          apply(new String(buf, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      offset += start; // a line still being written is read next time
    } catch (IOException e) {
      log.warn("cannot read {} for metrics: {}", journal, e.getMessage());
    }
  }

  private void apply(String line) {
    JsonNode r;
    try {
      r = JSON.readTree(line);
    } catch (IOException e) {
      return; // a line cut by a crash; the spool has the record
    }
    JsonNode b = r.path("body");
    switch (r.path("type").asText()) {
      case "backup-run" -> {
        String source = b.path("source").asText();
        String target = b.path("target_name").asText("main");
        State s = states.computeIfAbsent(source + "\u0000" + target, k -> register(source, target));
        double finished = seconds(b.path("finished_at").asText(null));
        String result = b.path("result").asText();
        s.lastRun = finished;
        s.duration = b.path("duration_seconds").asDouble(Double.NaN);
        s.result = result.equals("success") ? 0 : result.equals("warning") ? 1 : 2;
        if (!result.equals("failure")) {
          s.lastSuccess = finished;
          s.bytesAdded = b.path("bytes_added").asDouble(Double.NaN);
          s.files =
              b.path("files_new").asDouble(0) + b.path("files_changed").asDouble(0)
                  + b.path("files_unchanged").asDouble(0);
        }
      }
      case "failure" -> {
        String kind = b.path("kind").asText("unknown");
        failures
            .computeIfAbsent(
                kind,
                k -> {
                  AtomicLong n = new AtomicLong();
                  FunctionCounter.builder("penjaga.failures", n, AtomicLong::doubleValue)
                      .description("Failure events recorded (failed backups, checks, prunes, missed runs)")
                      .tag("kind", k)
                      .register(registry);
                  return n;
                })
            .incrementAndGet();
      }
      case "restore-test" -> {
        restoreTestTime = seconds(b.path("finished_at").asText(null));
        restoreTestResult = b.path("result").asText().equals("pass") ? 0 : 1;
        if (!restoreTestRegistered) {
          restoreTestRegistered = true;
          Gauge.builder("penjaga.restore.test.last.timestamp.seconds", this, m -> m.restoreTestTime)
              .description("When the last restore test ended (Unix time); SOP: at least every three months")
              .register(registry);
          Gauge.builder("penjaga.restore.test.last.result", this, m -> m.restoreTestResult)
              .description("Result of the last restore test: 0 pass, 1 fail")
              .register(registry);
        }
      }
      default -> {
        // other records have metrics of their own
      }
    }
  }

  private State register(String source, String target) {
    State s = new State();
    Tags tags = Tags.of("source", source, "target", target);
    Gauge.builder("penjaga.backup.last.run.timestamp.seconds", s, x -> x.lastRun)
        .description("When the last backup run of the source to the target ended (Unix time)")
        .tags(tags)
        .register(registry);
    Gauge.builder("penjaga.backup.last.success.timestamp.seconds", s, x -> x.lastSuccess)
        .description("When the last successful backup of the source to the target ended (Unix time)")
        .tags(tags)
        .register(registry);
    Gauge.builder("penjaga.backup.last.duration.seconds", s, x -> x.duration)
        .description("How long the last backup run took")
        .tags(tags)
        .register(registry);
    Gauge.builder("penjaga.backup.last.added.bytes", s, x -> x.bytesAdded)
        .description("Bytes the last successful backup added to the repository (after dedup and compression)")
        .tags(tags)
        .register(registry);
    Gauge.builder("penjaga.backup.last.files", s, x -> x.files)
        .description("Files in the last successful backup")
        .tags(tags)
        .register(registry);
    Gauge.builder("penjaga.backup.last.result", s, x -> x.result)
        .description("Result of the last backup run: 0 success, 1 warning, 2 failure")
        .tags(tags)
        .register(registry);
    return s;
  }

  private static double seconds(String time) {
    if (time == null) {
      return Double.NaN;
    }
    try {
      Instant i = Instant.parse(time);
      return i.getEpochSecond() + i.getNano() / 1e9;
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }
}
