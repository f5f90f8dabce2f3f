package id.penjaga.agent.schedule;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.io.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.quartz.CronExpression;

/**
 * The start time of each task's last completed run, kept on disk so a run that was due while the
 * agent was down is noticed at the next start. A run that crashed half-way never reaches the ledger
 * and so is run again.
 */
public final class RunLedger {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final Map<String, Long> lastRuns;

  public RunLedger(Path file) throws IOException {
    this.file = file;
    this.lastRuns =
        Files.exists(file)
            ? new TreeMap<>(JSON.readValue(file.toFile(), new TypeReference<Map<String, Long>>() {}))
            : new TreeMap<>();
  }

  public synchronized Optional<Instant> lastRun(String task) {
    Long ms = lastRuns.get(task);
    return ms == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
  }

  public synchronized void recordRun(String task, Instant startedAt) throws IOException {
    lastRuns.put(task, startedAt.toEpochMilli());
    Files.createDirectories(file.getParent());
    AtomicFile.write(file, JSON.writeValueAsBytes(lastRuns));
  }

  /**
   * Whether a cron task missed a run: a time it was due lies after its last run and before now. A
   * task that has never run counts from {@code firstSeen} (its first registration), so a new
   * installation does not start with a burst of runs.
   */
  public static boolean missed(CronExpression cron, Instant lastRun, Instant now) {
    Date due = cron.getTimeAfter(Date.from(lastRun));
    return due != null && !due.toInstant().isAfter(now);
  }
}
