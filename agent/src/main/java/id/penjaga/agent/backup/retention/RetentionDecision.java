package id.penjaga.agent.backup.retention;

import static java.util.Objects.requireNonNull;

import id.penjaga.agent.backup.retention.RetentionPolicy.SnapshotInfo;
import java.util.List;

/**
 * What a {@link RetentionPolicy} decided: every snapshot it was given is in exactly one of the
 * lists, each ordered newest first (equal times by id).
 */
public record RetentionDecision(List<Kept> keep, List<SnapshotInfo> forget) {

  public RetentionDecision {
    keep = List.copyOf(keep);
    forget = List.copyOf(forget);
  }

  /**
   * A kept snapshot and every rule that keeps it, in rule order: {@code "within 30d"}, {@code
   * "last snapshot"}, {@code "hourly snapshot"} … {@code "yearly snapshot"} (prefixed {@code
   * "oldest "} when kept only for being the oldest), {@code "newest pre-change backup"}; or just
   * {@code "policy is empty"}.
   */
  public record Kept(SnapshotInfo snapshot, List<String> reasons) {

    public Kept {
      requireNonNull(snapshot, "snapshot");
      reasons = List.copyOf(reasons);
    }
  }
}
