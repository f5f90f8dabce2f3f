package id.penjaga.agent.backup.retention;

import static java.util.Objects.requireNonNull;

import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.retention.RetentionDecision.Kept;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which snapshots {@code forget} keeps: the rules of restic's {@code forget --keep-*}, plus
 * Penjaga's protection of the newest pre-change backup.
 *
 * <p>Snapshots are grouped by {@link SnapshotInfo#source() source} and each group is decided on
 * its own. Within a group, snapshots are walked newest first (equal times ordered by id):
 *
 * <ul>
 *   <li>{@code keepLast}, {@code keepHourly}, {@code keepDaily}, {@code keepWeekly}, {@code
 *       keepMonthly}, {@code keepYearly}: 0 means the rule is not used, a positive n keeps the
 *       newest snapshot of each of the n newest hours, days, ISO weeks, months or years that have
 *       a snapshot (for {@code keepLast}: the n newest snapshots), {@link #UNLIMITED} keeps the
 *       newest snapshot of every such period. Periods are calendar periods in the zone given to
 *       {@link #apply}. As in restic since 0.17, if a rule still has periods left after the walk,
 *       the oldest snapshot of the group is kept too ("oldest daily snapshot"), so that history
 *       reaches as far back as it can.
 *   <li>{@code keepWithin}: keeps every snapshot newer than the group's newest snapshot minus this
 *       duration; the newest snapshot is the newest one not after {@code now}, so that a snapshot
 *       dated in the future by a wrong clock does not push the others out. {@code null} or zero:
 *       not used.
 *   <li>{@code keepPreChange}: the newest pre-change backup of the group (a snapshot with a
 *       reason) is kept while it is younger than this, counted from {@code now}, whatever the
 *       other rules say; it is the roll-back point of the last change. {@code null} or zero: not
 *       used. Pre-change backups otherwise fill periods like any other snapshot.
 * </ul>
 *
 * <p>A policy without any keep rule ({@link #isEmpty()}; {@code keepPreChange} does not count)
 * keeps everything. The CLI refuses to run {@code forget} with an empty policy, so that a missing
 * configuration never deletes a whole repository.
 */
public record RetentionPolicy(
    int keepLast,
    int keepHourly,
    int keepDaily,
    int keepWeekly,
    int keepMonthly,
    int keepYearly,
    Duration keepWithin,
    Duration keepPreChange) {

  /** A count that keeps one snapshot of every period (restic's {@code unlimited}). */
  public static final int UNLIMITED = -1;

  /** How long the newest pre-change backup of a source is protected unless configured. */
  public static final Duration DEFAULT_KEEP_PRE_CHANGE = Duration.ofDays(90);

  static final Comparator<SnapshotInfo> NEWEST_FIRST =
      Comparator.comparing(SnapshotInfo::time).reversed().thenComparing(SnapshotInfo::id);

  /** Refuses negative counts other than {@link #UNLIMITED} and negative durations. */
  public RetentionPolicy {
    for (Rule rule : Rule.values()) {
      int count = rule.count(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly);
      if (count < UNLIMITED) {
        throw new IllegalArgumentException(
            rule.option + " must be 0 or more, or -1 for unlimited, not " + count);
      }
    }
    if (keepWithin != null && keepWithin.isNegative()) {
      throw new IllegalArgumentException("keep-within must not be negative, not " + keepWithin);
    }
    if (keepPreChange != null && keepPreChange.isNegative()) {
      throw new IllegalArgumentException(
          "keep-pre-change must not be negative, not " + keepPreChange);
    }
  }

  /** No keep rule, and the default protection of the newest pre-change backup. */
  public static RetentionPolicy empty() {
    return new RetentionPolicy(0, 0, 0, 0, 0, 0, null, DEFAULT_KEEP_PRE_CHANGE);
  }

  public RetentionPolicy withKeepLast(int n) {
    return new RetentionPolicy(
        n, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepHourly(int n) {
    return new RetentionPolicy(
        keepLast, n, keepDaily, keepWeekly, keepMonthly, keepYearly,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepDaily(int n) {
    return new RetentionPolicy(
        keepLast, keepHourly, n, keepWeekly, keepMonthly, keepYearly,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepWeekly(int n) {
    return new RetentionPolicy(
        keepLast, keepHourly, keepDaily, n, keepMonthly, keepYearly,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepMonthly(int n) {
    return new RetentionPolicy(
        keepLast, keepHourly, keepDaily, keepWeekly, n, keepYearly,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepYearly(int n) {
    return new RetentionPolicy(
        keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, n,
        keepWithin, keepPreChange);
  }

  public RetentionPolicy withKeepWithin(Duration d) {
    return new RetentionPolicy(
        keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
        d, keepPreChange);
  }

  public RetentionPolicy withKeepPreChange(Duration d) {
    return new RetentionPolicy(
        keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
        keepWithin, d);
  }

  /**
   * Whether no keep rule is set. {@code keepPreChange} is not a keep rule: alone it would forget
   * all but one snapshot per source, which is exactly what the CLI's refusal guards against.
   */
  public boolean isEmpty() {
    for (Rule rule : Rule.values()) {
      if (count(rule) != 0) {
        return false;
      }
    }
    return !used(keepWithin);
  }

  /**
   * Decides every snapshot: each one is in exactly one of the decision's lists, both newest first.
   *
   * @param zone the zone of the calendar periods (an Indonesian server: {@code Asia/Jakarta})
   * @param now the current time, from the caller's clock: ages of pre-change backups are counted
   *     from it, and snapshots after it do not count as the newest for {@code keepWithin}
   * @throws IllegalArgumentException if two snapshots have the same id
   */
  public RetentionDecision apply(List<SnapshotInfo> snapshots, ZoneId zone, Instant now) {
    requireNonNull(zone, "zone");
    requireNonNull(now, "now");
    Set<String> ids = new HashSet<>();
    Map<String, List<SnapshotInfo>> bySource = new LinkedHashMap<>();
    for (SnapshotInfo s : snapshots) {
      if (!ids.add(s.id())) {
        // Deciding one id twice could keep and forget the same snapshot file.
        throw new IllegalArgumentException("snapshot " + s.id() + " is listed twice");
      }
      bySource.computeIfAbsent(s.source(), k -> new ArrayList<>()).add(s);
    }
    List<Kept> keep = new ArrayList<>();
    List<SnapshotInfo> forget = new ArrayList<>();
    for (List<SnapshotInfo> group : bySource.values()) {
      group.sort(NEWEST_FIRST);
      decideGroup(group, zone, now, keep, forget);
    }
    keep.sort(Comparator.comparing(Kept::snapshot, NEWEST_FIRST));
    forget.sort(NEWEST_FIRST);
    return new RetentionDecision(keep, forget);
  }

  /** {@code group} is sorted newest first. */
  private void decideGroup(
      List<SnapshotInfo> group,
      ZoneId zone,
      Instant now,
      List<Kept> keep,
      List<SnapshotInfo> forget) {
    if (isEmpty()) {
      group.forEach(s -> keep.add(new Kept(s, List.of("policy is empty"))));
      return;
    }
    // restic's reference for keep-within; if every snapshot is in the future, all are within.
    Instant newest =
        group.stream()
            .map(SnapshotInfo::time)
            .filter(t -> !t.isAfter(now))
            .findFirst()
            .orElse(null);
    SnapshotInfo preChange =
        group.stream().filter(SnapshotInfo::isPreChange).findFirst().orElse(null);
    boolean protectPreChange =
        preChange != null
            && used(keepPreChange)
            && Duration.between(preChange.time(), now).compareTo(keepPreChange) < 0;

    Rule[] rules = Rule.values();
    int[] left = new int[rules.length];
    long[] lastPeriod = new long[rules.length];
    for (Rule rule : rules) {
      left[rule.ordinal()] = count(rule);
      lastPeriod[rule.ordinal()] = -1;
    }
    for (int nr = 0; nr < group.size(); nr++) {
      SnapshotInfo s = group.get(nr);
      boolean oldest = nr == group.size() - 1;
      ZonedDateTime local = s.time().atZone(zone);
      List<String> reasons = new ArrayList<>();
      if (used(keepWithin)
          && (newest == null || Duration.between(s.time(), newest).compareTo(keepWithin) < 0)) {
        reasons.add("within " + format(keepWithin));
      }
      for (Rule rule : rules) {
        int i = rule.ordinal();
        if (left[i] == 0) {
          continue;
        }
        long period = rule.period(local, nr);
        // As restic: a rule with periods left keeps the oldest snapshot too, reaching further back.
        if (period != lastPeriod[i] || oldest) {
          reasons.add(period == lastPeriod[i] ? "oldest " + rule.reason : rule.reason);
          lastPeriod[i] = period;
          if (left[i] > 0) {
            left[i]--;
          }
        }
      }
      if (protectPreChange && s == preChange) {
        reasons.add("newest pre-change backup");
      }
      if (reasons.isEmpty()) {
        forget.add(s);
      } else {
        keep.add(new Kept(s, reasons));
      }
    }
  }

  private int count(Rule rule) {
    return rule.count(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly);
  }

  private static boolean used(Duration d) {
    return d != null && !d.isZero();
  }

  /** Restic's way of writing a duration: {@code 30d}, {@code 1d12h}, {@code 1h30m}. */
  static String format(Duration d) {
    StringBuilder s = new StringBuilder();
    append(s, d.toDays(), 'd');
    append(s, d.toHoursPart(), 'h');
    append(s, d.toMinutesPart(), 'm');
    append(s, d.toSecondsPart(), 's');
    return s.length() == 0 ? "0s" : s.toString();
  }

  private static void append(StringBuilder s, long amount, char unit) {
    if (amount != 0) {
      s.append(amount).append(unit);
    }
  }

  /** The counted rules, in the order their reasons are listed. */
  private enum Rule {
    LAST("keep-last", "last snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return nr; // every snapshot is a period of its own
      }
    },
    HOURLY("keep-hourly", "hourly snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return t.getYear() * 1_000_000L
            + t.getMonthValue() * 10_000L
            + t.getDayOfMonth() * 100L
            + t.getHour();
      }
    },
    DAILY("keep-daily", "daily snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
      }
    },
    WEEKLY("keep-weekly", "weekly snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return t.get(IsoFields.WEEK_BASED_YEAR) * 100L
            + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
      }
    },
    MONTHLY("keep-monthly", "monthly snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return t.getYear() * 100L + t.getMonthValue();
      }
    },
    YEARLY("keep-yearly", "yearly snapshot") {
      @Override
      long period(ZonedDateTime t, int nr) {
        return t.getYear();
      }
    };

    final String option;
    final String reason;

    Rule(String option, String reason) {
      this.option = option;
      this.reason = reason;
    }

    /** A number that is the same for two snapshots exactly when they fall in the same period. */
    abstract long period(ZonedDateTime t, int nr);

    int count(int last, int hourly, int daily, int weekly, int monthly, int yearly) {
      return switch (this) {
        case LAST -> last;
        case HOURLY -> hourly;
        case DAILY -> daily;
        case WEEKLY -> weekly;
        case MONTHLY -> monthly;
        case YEARLY -> yearly;
      };
    }
  }

  /**
   * What retention needs to know of a snapshot. {@code reason} is set for a pre-change backup
   * ({@code backup --reason}) and {@code null} otherwise.
   */
  public record SnapshotInfo(String id, String source, Instant time, String reason) {

    public SnapshotInfo {
      requireNonNull(id, "id");
      requireNonNull(source, "source");
      requireNonNull(time, "time");
    }

    public static SnapshotInfo of(Snapshot snapshot) {
      return new SnapshotInfo(
          snapshot.id(), snapshot.source(), snapshot.instant(), snapshot.reason());
    }

    public boolean isPreChange() {
      return reason != null;
    }
  }
}
