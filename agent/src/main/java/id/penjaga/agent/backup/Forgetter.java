package id.penjaga.agent.backup;

import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.retention.RetentionDecision;
import id.penjaga.agent.backup.retention.RetentionPolicy;
import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/** Applies the retention rules of agent.yaml to a repository: for {@code forget} and the daily job. */
public final class Forgetter {
  /**
   * Snapshots with this tag are never forgotten: offloaded logs, each snapshot holding logs no
   * other has.
   */
  public static final String KEEP_ALWAYS_TAG = "log-offload";

  private Forgetter() {}

  public static RetentionPolicy policy(AgentConfig.Retention r) {
    return new RetentionPolicy(
        r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(), r.keepMonthly(), r.keepYearly(),
        r.keepWithin(), r.keepPreChange());
  }

  /**
   * Decides, per source, which snapshots stay; unless {@code dryRun}, removes the others. The
   * caller holds the repository's exclusive lock.
   */
  public static RetentionDecision apply(Repository repo, RetentionPolicy policy, Instant now, boolean dryRun)
      throws IOException {
    List<RetentionPolicy.SnapshotInfo> infos = new ArrayList<>();
    for (Snapshot s : repo.snapshots()) {
      if (s.tags() == null || !s.tags().contains(KEEP_ALWAYS_TAG)) {
        infos.add(RetentionPolicy.SnapshotInfo.of(s));
      }
    }
    RetentionDecision d = policy.apply(infos, ZoneId.systemDefault(), now);
    if (!dryRun) {
      for (RetentionPolicy.SnapshotInfo f : d.forget()) {
        repo.removeSnapshot(f.id());
      }
    }
    return d;
  }
}
