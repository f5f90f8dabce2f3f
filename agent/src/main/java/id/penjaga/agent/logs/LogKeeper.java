package id.penjaga.agent.logs;

import id.penjaga.agent.backup.RepositoryOpener;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.FailureEvent;
import id.penjaga.agent.report.Spool;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One pass of the log keeper over its log sets: rotation, then the offload of old logs where space
 * runs short. Errors are reported as failure events; one set failing does not stop the others.
 */
public final class LogKeeper {
  private final AgentConfig config;
  private final RepositoryOpener repository;
  private final Spool spool;
  private final Clock clock;
  private final String version;

  /** {@code repository} may be null: no offload then (an error when one is needed). */
  public LogKeeper(AgentConfig config, RepositoryOpener repository, Spool spool, Clock clock, String version) {
    this.config = config;
    this.repository = repository;
    this.spool = spool;
    this.clock = clock;
    this.version = version;
  }

  /** What a pass did to one set. */
  public record SetResult(
      String set,
      List<String> rotated,
      List<String> removed,
      List<String> offloaded,
      String snapshotId,
      String offloadReason,
      List<String> errors) {}

  public List<SetResult> pass(Map<String, AgentConfig.LogSet> sets, boolean force, boolean forceOffload)
      throws IOException {
    LogRotator rotator = new LogRotator(config.stateDir().resolve("logrotate.json"), clock);
    List<SetResult> results = new ArrayList<>();
    for (Map.Entry<String, AgentConfig.LogSet> e : sets.entrySet()) {
      String name = e.getKey();
      AgentConfig.LogSet set = e.getValue();
      List<String> errors = new ArrayList<>();
      LogRotator.Result r;
      try {
        r = rotator.rotate(name, set, force);
        errors.addAll(r.errors());
      } catch (IOException | RuntimeException ex) {
        r = new LogRotator.Result(List.of(), List.of(), List.of());
        errors.add(ex.getMessage());
      }
      LogOffloader.Result o = new LogOffloader.Result(List.of(), 0, null, null);
      boolean wanted = forceOffload || set.offloadMinFree() != null || set.quota() != null;
      if (wanted) {
        try {
          if (repository == null) {
            throw new IOException("no repository configured to move old logs to");
          }
          o = new LogOffloader(repository, clock, version).offload(name, set, forceOffload);
        } catch (IOException | RuntimeException ex) {
          errors.add("offload: " + ex.getMessage() + " (the logs stay where they are)");
        }
      }
      if (!errors.isEmpty()) {
        new FailureEvent(
                "log-rotation", "rotate-logs " + name, null, null, null, clock.instant(),
                clip("log set " + name + ": " + String.join("; ", errors)))
            .report(spool);
      }
      results.add(
          new SetResult(
              name, strings(r.rotated()), strings(r.removed()), strings(o.moved()), o.snapshotId(), o.why(),
              errors));
    }
    return results;
  }

  /**
   * Analyses the sets' logs and spools the log-analysis record; {@code sinceLast} reads only what
   * was written since the previous analysis (the daemon's daily run).
   */
  public com.fasterxml.jackson.databind.node.ObjectNode analyze(
      Map<String, AgentConfig.LogSet> sets, boolean sinceLast, String trigger) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode record =
        new LogAnalyzer(config.stateDir().resolve("loganalysis.json"), clock)
            .analyze(sets, config.logAnalysis(), sinceLast);
    record.put("trigger", trigger);
    spool.append(id.penjaga.agent.report.ReportType.LOG_ANALYSIS, record);
    return record;
  }

  private static List<String> strings(List<Path> paths) {
    return paths.stream().map(Path::toString).toList();
  }

  private static String clip(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 1990) + " [...]";
  }
}
