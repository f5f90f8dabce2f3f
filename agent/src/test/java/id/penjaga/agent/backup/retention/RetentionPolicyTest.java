package id.penjaga.agent.backup.retention;

import static id.penjaga.agent.backup.retention.RetentionPolicy.UNLIMITED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.retention.RetentionPolicy.SnapshotInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.WeekFields;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
  static final ZoneId WIB = ZoneId.of("Asia/Jakarta");
  static final Instant JULY_2025 = wib("2025-07-01T00:00");
  static final RetentionPolicy NONE = RetentionPolicy.empty();

  static Instant wib(String localDateTime) {
    return LocalDateTime.parse(localDateTime).atZone(WIB).toInstant();
  }

  /** A regular backup of source "database" at a WIB wall-clock time. */
  static SnapshotInfo snap(String id, String wibTime) {
    return new SnapshotInfo(id, "database", wib(wibTime), null);
  }

  static SnapshotInfo snapAt(String id, String instant) {
    return new SnapshotInfo(id, "database", Instant.parse(instant), null);
  }

  static SnapshotInfo preChange(String id, String wibTime) {
    return new SnapshotInfo(id, "database", wib(wibTime), "upgrade SPSE");
  }

  static SnapshotInfo of(String source, String id, String wibTime, String reason) {
    return new SnapshotInfo(id, source, wib(wibTime), reason);
  }

  static List<String> keptIds(RetentionDecision d) {
    return d.keep().stream().map(k -> k.snapshot().id()).toList();
  }

  static List<String> forgottenIds(RetentionDecision d) {
    return d.forget().stream().map(SnapshotInfo::id).toList();
  }

  static void assertEveryReasonIs(RetentionDecision d, String reason) {
    assertThat(d.keep()).isNotEmpty();
    assertThat(d.keep()).allSatisfy(k -> assertThat(k.reasons()).containsExactly(reason));
  }

  static Map<String, List<String>> reasons(RetentionDecision d) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    d.keep().forEach(k -> m.put(k.snapshot().id(), k.reasons()));
    return m;
  }

  /** Five backups over four days, 1 to 4 March 2025 WIB, two of them on the 3rd. */
  static final List<SnapshotInfo> MARCH =
      List.of(
          snap("a", "2025-03-01T01:30"),
          snap("b", "2025-03-02T01:30"),
          snap("c", "2025-03-03T01:30"),
          snap("d", "2025-03-03T13:00"),
          snap("e", "2025-03-04T01:30"));

  // ---- keep-last, counted periods, the oldest snapshot ----

  @Test
  void keepLastKeepsTheNewestSnapshots() {
    RetentionDecision d = NONE.withKeepLast(3).apply(MARCH, WIB, JULY_2025);
    assertThat(keptIds(d)).containsExactly("e", "d", "c");
    assertThat(forgottenIds(d)).containsExactly("b", "a");
    assertEveryReasonIs(d, "last snapshot");
  }

  @Test
  void keepLastUnlimitedKeepsEverySnapshot() {
    RetentionDecision d = NONE.withKeepLast(UNLIMITED).apply(MARCH, WIB, JULY_2025);
    assertThat(keptIds(d)).containsExactly("e", "d", "c", "b", "a");
    assertThat(d.forget()).isEmpty();
  }

  @Test
  void keepDailyKeepsTheNewestSnapshotOfEachOfTheNewestDays() {
    RetentionDecision d = NONE.withKeepDaily(2).apply(MARCH, WIB, JULY_2025);
    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered("e", List.of("daily snapshot"), "d", List.of("daily snapshot")));
    assertThat(forgottenIds(d)).containsExactly("c", "b", "a");
  }

  @Test
  void keepDailyUnlimitedKeepsTheNewestOfEveryDayAndTheOldestSnapshot() {
    List<SnapshotInfo> list = new ArrayList<>(MARCH);
    list.add(snap("a0", "2025-03-01T00:30")); // the oldest, on a day that already has a newer one
    RetentionDecision d = NONE.withKeepDaily(UNLIMITED).apply(list, WIB, JULY_2025);
    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered(
                "e", List.of("daily snapshot"),
                "d", List.of("daily snapshot"),
                "b", List.of("daily snapshot"),
                "a", List.of("daily snapshot"),
                "a0", List.of("oldest daily snapshot")));
    assertThat(forgottenIds(d)).containsExactly("c");
  }

  @Test
  void theOldestSnapshotIsKeptTooWhileARuleHasPeriodsLeft() {
    // restic's forum example: four backups in one month, --keep-monthly 4
    List<SnapshotInfo> january =
        List.of(
            snap("8910a903", "2024-01-02T13:42"),
            snap("ab49e6f7", "2024-01-03T01:04"),
            snap("209e47d4", "2024-01-04T20:09"),
            snap("acdde683", "2024-01-04T20:20"));
    RetentionDecision four = NONE.withKeepMonthly(4).apply(january, WIB, JULY_2025);
    assertThat(reasons(four))
        .containsExactlyEntriesOf(
            ordered(
                "acdde683", List.of("monthly snapshot"),
                "8910a903", List.of("oldest monthly snapshot")));
    assertThat(forgottenIds(four)).containsExactly("209e47d4", "ab49e6f7");

    RetentionDecision one = NONE.withKeepMonthly(1).apply(january, WIB, JULY_2025);
    assertThat(keptIds(one)).containsExactly("acdde683");
    assertThat(forgottenIds(one)).containsExactly("209e47d4", "ab49e6f7", "8910a903");
  }

  // ---- a year of daily backups ----

  /**
   * 365 backups at 01:30 WIB through 2025 ("d2025-01-01"), plus three made at other times: a
   * second one on 30 December and on 30 November, and one at 23:30 UTC on 30 September, which is
   * 1 October 06:30 in WIB.
   */
  static List<SnapshotInfo> yearOfBackups() {
    List<SnapshotInfo> list = new ArrayList<>();
    for (LocalDate day = LocalDate.of(2025, 1, 1); day.getYear() == 2025; day = day.plusDays(1)) {
      list.add(snap("d" + day, day + "T01:30"));
    }
    list.add(snap("x2025-12-30T13:00", "2025-12-30T13:00"));
    list.add(snap("x2025-11-30T22:00", "2025-11-30T22:00"));
    list.add(snapAt("x2025-09-30T23:30Z", "2025-09-30T23:30:00Z"));
    Collections.shuffle(list, new Random(7)); // order of input must not matter
    return list;
  }

  static final Instant NEW_YEAR_2026 = wib("2026-01-01T09:00");

  @Test
  void aYearOfDailyBackupsKeepsSevenDailyFourWeeklyAndTwelveMonthly() {
    RetentionPolicy policy = NONE.withKeepDaily(7).withKeepWeekly(4).withKeepMonthly(12);
    RetentionDecision d = policy.apply(yearOfBackups(), WIB, NEW_YEAR_2026);

    assertThat(keptIds(d))
        .containsExactly(
            // seven days; the 30th's newest is the 13:00 one
            "d2025-12-31", "x2025-12-30T13:00", "d2025-12-29", "d2025-12-28",
            "d2025-12-27", "d2025-12-26", "d2025-12-25",
            // ISO weeks: 2026-W01 (29 Dec to 4 Jan, so the 31st), then the Sundays before
            "d2025-12-21", "d2025-12-14",
            // months, newest of each; the 23:30 UTC one belongs to October in WIB
            "x2025-11-30T22:00", "d2025-10-31", "d2025-09-30", "d2025-08-31",
            "d2025-07-31", "d2025-06-30", "d2025-05-31", "d2025-04-30",
            "d2025-03-31", "d2025-02-28", "d2025-01-31");
    assertThat(d.forget()).hasSize(368 - 20);
    assertThat(forgottenIds(d))
        .contains("d2025-12-30", "d2025-11-30", "x2025-09-30T23:30Z", "d2025-01-01");
    assertThat(forgottenIds(d).get(0)).isEqualTo("d2025-12-30"); // newest first
    assertThat(forgottenIds(d).get(forgottenIds(d).size() - 1)).isEqualTo("d2025-01-01");

    Map<String, List<String>> why = reasons(d);
    assertThat(why.get("d2025-12-31"))
        .containsExactly("daily snapshot", "weekly snapshot", "monthly snapshot");
    assertThat(why.get("d2025-12-28")).containsExactly("daily snapshot", "weekly snapshot");
    assertThat(why.get("d2025-12-21")).containsExactly("weekly snapshot");
    assertThat(why.get("x2025-11-30T22:00")).containsExactly("monthly snapshot");

    assertMatchesModel(policy, yearOfBackups(), WIB, NEW_YEAR_2026);
  }

  @Test
  void aYearOfDailyBackupsMatchesThePeriodByPeriodModelForOtherPolicies() {
    List<RetentionPolicy> policies =
        List.of(
            NONE.withKeepDaily(10).withKeepWeekly(8).withKeepMonthly(6).withKeepYearly(UNLIMITED),
            NONE.withKeepHourly(30),
            NONE.withKeepLast(3).withKeepMonthly(24),
            NONE.withKeepWithin(Duration.ofDays(45)).withKeepWeekly(2),
            NONE.withKeepWeekly(UNLIMITED),
            NONE.withKeepYearly(1));
    for (RetentionPolicy policy : policies) {
      assertMatchesModel(policy, yearOfBackups(), WIB, NEW_YEAR_2026);
      assertMatchesModel(policy, yearOfBackups(), ZoneOffset.UTC, NEW_YEAR_2026);
    }
  }

  @Test
  void aYearWithFewerMonthsThanAskedAlsoKeepsTheFirstBackup() {
    RetentionDecision d = NONE.withKeepMonthly(24).apply(yearOfBackups(), WIB, NEW_YEAR_2026);
    assertThat(keptIds(d)).hasSize(13).endsWith("d2025-02-28", "d2025-01-31", "d2025-01-01");
    assertThat(reasons(d).get("d2025-01-01")).containsExactly("oldest monthly snapshot");
  }

  // ---- keep-within ----

  @Test
  void keepWithinKeepsWhatIsNewerThanTheNewestSnapshotMinusTheDuration() {
    List<SnapshotInfo> list =
        List.of(
            snap("newest", "2025-06-30T01:30"),
            snap("29d", "2025-06-01T01:30"),
            snap("30d-1m", "2025-05-31T01:31"),
            snap("30d", "2025-05-31T01:30"),
            snap("31d", "2025-05-30T01:30"));
    // now is months later: keep-within counts from the newest snapshot, not from now
    RetentionDecision d =
        NONE.withKeepWithin(Duration.ofDays(30)).apply(list, WIB, wib("2025-12-01T00:00"));
    assertThat(keptIds(d)).containsExactly("newest", "29d", "30d-1m");
    assertEveryReasonIs(d, "within 30d");
    assertThat(forgottenIds(d)).containsExactly("30d", "31d");
  }

  @Test
  void keepWithinIgnoresSnapshotsDatedInTheFuture() {
    List<SnapshotInfo> list =
        List.of(
            snap("future", "2030-01-01T01:30"), // made while the server clock was wrong
            snap("newest", "2025-06-30T01:30"),
            snap("10d", "2025-06-20T01:30"),
            snap("20d", "2025-06-10T01:30"));
    RetentionDecision d = NONE.withKeepWithin(Duration.ofDays(15)).apply(list, WIB, JULY_2025);
    assertThat(keptIds(d)).containsExactly("future", "newest", "10d");
    assertThat(forgottenIds(d)).containsExactly("20d");
  }

  @Test
  void keepWithinKeepsEverythingWhenEverySnapshotIsInTheFuture() {
    RetentionDecision d =
        NONE.withKeepWithin(Duration.ofDays(1)).apply(MARCH, WIB, wib("2020-01-01T00:00"));
    assertThat(keptIds(d)).containsExactly("e", "d", "c", "b", "a");
  }

  @Test
  void keepWithinNamesItsDurationAsResticDoes() {
    RetentionDecision d = NONE.withKeepWithin(Duration.ofHours(36)).apply(MARCH, WIB, JULY_2025);
    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered(
                "e", List.of("within 1d12h"),
                "d", List.of("within 1d12h"),
                "c", List.of("within 1d12h"))); // 24 hours before e; b is 48
    assertThat(RetentionPolicy.format(Duration.ofDays(90))).isEqualTo("90d");
    assertThat(RetentionPolicy.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(RetentionPolicy.format(Duration.ofSeconds(3725))).isEqualTo("1h2m5s");
    assertThat(RetentionPolicy.format(Duration.ofDays(2).plusMinutes(5))).isEqualTo("2d5m");
  }

  // ---- periods in the given zone ----

  @Test
  void daysAreCountedInTheGivenZone() {
    List<SnapshotInfo> list =
        List.of(
            snapAt("B", "2025-03-01T23:30:00Z"), // 2 March 06:30 WIB
            snapAt("A", "2025-03-01T16:00:00Z"), // 1 March 23:00 WIB
            snapAt("C", "2025-03-01T10:00:00Z"), // 1 March 17:00 WIB
            snapAt("D", "2025-02-27T03:00:00Z"));
    RetentionPolicy daily2 = NONE.withKeepDaily(2);
    assertThat(keptIds(daily2.apply(list, WIB, JULY_2025))).containsExactly("B", "A");
    assertThat(keptIds(daily2.apply(list, ZoneOffset.UTC, JULY_2025))).containsExactly("B", "D");
  }

  @Test
  void hoursAreCountedInTheGivenZoneEvenWithHalfHourOffsets() {
    List<SnapshotInfo> list =
        List.of(
            snapAt("11:05", "2025-03-01T11:05:00Z"),
            snapAt("10:40", "2025-03-01T10:40:00Z"),
            snapAt("10:10", "2025-03-01T10:10:00Z"),
            snapAt("09:00", "2025-03-01T09:00:00Z"));
    RetentionPolicy hourly2 = NONE.withKeepHourly(2);
    RetentionDecision utc = hourly2.apply(list, ZoneOffset.UTC, JULY_2025);
    assertThat(keptIds(utc)).containsExactly("11:05", "10:40");
    assertEveryReasonIs(utc, "hourly snapshot");
    // India is UTC+5:30: 16:35, 16:10, 15:40, 14:30
    assertThat(keptIds(hourly2.apply(list, ZoneId.of("Asia/Kolkata"), JULY_2025)))
        .containsExactly("11:05", "10:10");
  }

  @Test
  void weeksAreIsoWeeksMondayToSundayAcrossTheNewYear() {
    List<SnapshotInfo> list =
        List.of(
            snap("sun-2026-01-04", "2026-01-04T01:30"),
            snap("mon-2025-12-29", "2025-12-29T01:30"), // ISO week 1 of 2026
            snap("sun-2025-12-28", "2025-12-28T01:30"),
            snap("mon-2025-12-22", "2025-12-22T01:30"),
            snap("mon-2025-12-15", "2025-12-15T01:30"));
    RetentionDecision d = NONE.withKeepWeekly(2).apply(list, WIB, wib("2026-01-05T00:00"));
    assertThat(keptIds(d)).containsExactly("sun-2026-01-04", "sun-2025-12-28");
    assertEveryReasonIs(d, "weekly snapshot");
    assertThat(forgottenIds(d))
        .containsExactly("mon-2025-12-29", "mon-2025-12-22", "mon-2025-12-15");
  }

  @Test
  void monthsAndYearsAreCountedInTheGivenZone() {
    List<SnapshotInfo> list =
        List.of(
            snap("2025-01", "2025-01-15T01:30"),
            snap("2024-05", "2024-05-01T01:30"),
            snapAt("new-year", "2023-12-31T20:00:00Z"), // 1 January 2024 03:00 WIB
            snap("2023-12", "2023-12-15T01:30"),
            snap("2023-06", "2023-06-01T01:30"));
    RetentionPolicy yearly3 = NONE.withKeepYearly(3);
    RetentionDecision wib = yearly3.apply(list, WIB, JULY_2025);
    assertThat(keptIds(wib)).containsExactly("2025-01", "2024-05", "2023-12");
    assertEveryReasonIs(wib, "yearly snapshot");
    assertThat(keptIds(yearly3.apply(list, ZoneOffset.UTC, JULY_2025)))
        .containsExactly("2025-01", "2024-05", "new-year");

    RetentionPolicy monthly4 = NONE.withKeepMonthly(4);
    RetentionDecision wibMonths = monthly4.apply(list, WIB, JULY_2025);
    assertThat(keptIds(wibMonths)).containsExactly("2025-01", "2024-05", "new-year", "2023-12");
    assertEveryReasonIs(wibMonths, "monthly snapshot");
    assertThat(keptIds(monthly4.apply(list, ZoneOffset.UTC, JULY_2025)))
        .containsExactly("2025-01", "2024-05", "new-year", "2023-06");
  }

  // ---- reasons ----

  @Test
  void reasonsListEveryRuleThatKeepsASnapshotInRuleOrder() {
    RetentionPolicy all =
        new RetentionPolicy(1, 1, 1, 1, 1, 1, Duration.ofDays(1), Duration.ofDays(90));
    List<SnapshotInfo> list =
        List.of(preChange("change", "2025-06-30T10:00"), snap("older", "2025-06-29T01:30"));
    RetentionDecision d = all.apply(list, WIB, JULY_2025);
    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered(
                "change",
                List.of(
                    "within 1d",
                    "last snapshot",
                    "hourly snapshot",
                    "daily snapshot",
                    "weekly snapshot",
                    "monthly snapshot",
                    "yearly snapshot",
                    "newest pre-change backup")));
    assertThat(forgottenIds(d)).containsExactly("older"); // 32.5 hours older, every count used
  }

  // ---- pre-change backups ----

  /** Backups at 01:30 WIB from 20 to 30 June 2025. */
  static List<SnapshotInfo> june(SnapshotInfo... extra) {
    List<SnapshotInfo> list = new ArrayList<>(List.of(extra));
    for (int day = 20; day <= 30; day++) {
      list.add(snap("d" + day, "2025-06-" + day + "T01:30"));
    }
    return list;
  }

  @Test
  void theNewestPreChangeBackupIsKeptWhileYoungerThanKeepPreChange() {
    RetentionDecision d =
        NONE.withKeepLast(2)
            .apply(june(preChange("change", "2025-06-25T14:00")), WIB, JULY_2025);
    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered(
                "d30", List.of("last snapshot"),
                "d29", List.of("last snapshot"),
                "change", List.of("newest pre-change backup")));
    assertThat(forgottenIds(d)).hasSize(9).doesNotContain("change");
  }

  @Test
  void onlyTheNewestPreChangeBackupIsProtected() {
    RetentionDecision d =
        NONE.withKeepLast(2)
            .apply(
                june(
                    preChange("earlier", "2025-06-22T14:00"),
                    preChange("later", "2025-06-25T14:00")),
                WIB,
                JULY_2025);
    assertThat(keptIds(d)).containsExactly("d30", "d29", "later");
    assertThat(forgottenIds(d)).contains("earlier");
  }

  @Test
  void theNewestPreChangeBackupIsForgottenOnceAsOldAsKeepPreChange() {
    Instant change = wib("2025-06-25T14:00");
    List<SnapshotInfo> list = june(preChange("change", "2025-06-25T14:00"));
    RetentionPolicy last2 = NONE.withKeepLast(2); // default: 90 days

    Instant stillYounger = change.plus(Duration.ofDays(90)).minusSeconds(1);
    assertThat(keptIds(last2.apply(list, WIB, stillYounger)))
        .containsExactly("d30", "d29", "change");
    Instant ninetyDays = change.plus(Duration.ofDays(90));
    assertThat(keptIds(last2.apply(list, WIB, ninetyDays))).containsExactly("d30", "d29");

    RetentionPolicy week = last2.withKeepPreChange(Duration.ofDays(7));
    assertThat(keptIds(week.apply(list, WIB, change.plus(Duration.ofDays(6)))))
        .containsExactly("d30", "d29", "change");
    assertThat(keptIds(week.apply(list, WIB, change.plus(Duration.ofDays(8)))))
        .containsExactly("d30", "d29");
  }

  @Test
  void anOlderPreChangeBackupIsNotProtectedWhenTheNewestHasExpired() {
    List<SnapshotInfo> list =
        june(preChange("earlier", "2025-06-22T14:00"), preChange("later", "2025-06-25T14:00"));
    RetentionPolicy policy = NONE.withKeepLast(1).withKeepPreChange(Duration.ofDays(7));
    assertThat(keptIds(policy.apply(list, WIB, wib("2025-07-03T00:00"))))
        .containsExactly("d30");
  }

  @Test
  void keepPreChangeNullOrZeroProtectsNothing() {
    List<SnapshotInfo> list = june(preChange("change", "2025-06-25T14:00"));
    for (Duration off : new Duration[] {null, Duration.ZERO}) {
      RetentionDecision d = NONE.withKeepLast(1).withKeepPreChange(off).apply(list, WIB, JULY_2025);
      assertThat(keptIds(d)).containsExactly("d30");
    }
  }

  @Test
  void preChangeBackupsFillPeriodsLikeAnyOtherSnapshot() {
    List<SnapshotInfo> list =
        List.of(
            preChange("change", "2025-06-30T10:00"),
            snap("d30", "2025-06-30T01:30"),
            snap("d29", "2025-06-29T01:30"),
            snap("d28", "2025-06-28T01:30"));
    RetentionDecision unprotected =
        NONE.withKeepDaily(2).withKeepPreChange(null).apply(list, WIB, JULY_2025);
    assertThat(reasons(unprotected))
        .containsExactlyEntriesOf(
            ordered("change", List.of("daily snapshot"), "d29", List.of("daily snapshot")));
    assertThat(forgottenIds(unprotected)).containsExactly("d30", "d28");

    RetentionDecision protectedToo = NONE.withKeepDaily(2).apply(list, WIB, JULY_2025);
    assertThat(reasons(protectedToo))
        .containsExactlyEntriesOf(
            ordered(
                "change", List.of("daily snapshot", "newest pre-change backup"),
                "d29", List.of("daily snapshot")));
  }

  // ---- sources ----

  @Test
  void eachSourceIsDecidedOnItsOwn() {
    List<SnapshotInfo> list = new ArrayList<>();
    for (int day = 1; day <= 30; day++) {
      String date = String.format("2025-06-%02dT01:30", day);
      list.add(of("database", "db" + day, date, null));
    }
    list.add(of("database", "db-change", "2025-06-28T09:00", "upgrade SPSE"));
    list.add(of("config", "cfg-change", "2025-06-10T09:00", "edit nginx.conf"));
    for (int day = 1; day <= 5; day++) {
      list.add(of("config", "cfg" + day, "2025-03-0" + day + "T02:00", null));
    }
    RetentionPolicy policy = NONE.withKeepLast(2).withKeepWithin(Duration.ofDays(2));
    RetentionDecision d = policy.apply(list, WIB, JULY_2025);

    assertThat(reasons(d))
        .containsExactlyEntriesOf(
            ordered(
                "db30", List.of("within 2d", "last snapshot"),
                "db29", List.of("within 2d", "last snapshot"),
                "db-change", List.of("within 2d", "newest pre-change backup"),
                "cfg-change", List.of("within 2d", "last snapshot", "newest pre-change backup"),
                "cfg5", List.of("last snapshot")));
    assertThat(d.forget()).hasSize(list.size() - 5);

    // The same as deciding each source alone.
    for (String source : List.of("database", "config")) {
      List<SnapshotInfo> alone = list.stream().filter(s -> s.source().equals(source)).toList();
      RetentionDecision separately = policy.apply(alone, WIB, JULY_2025);
      assertThat(d.keep()).filteredOn(k -> k.snapshot().source().equals(source))
          .containsExactlyElementsOf(separately.keep());
      assertThat(d.forget()).filteredOn(s -> s.source().equals(source))
          .containsExactlyElementsOf(separately.forget());
    }
  }

  // ---- order, empty policies, validation ----

  @Test
  void decisionsAreNewestFirstAndEqualTimesAreOrderedById() {
    List<SnapshotInfo> list =
        new ArrayList<>(
            List.of(
                snapAt("c", "2025-06-30T00:00:00Z"),
                snapAt("a", "2025-06-30T00:00:00Z"),
                snapAt("b", "2025-06-30T00:00:00Z"),
                snapAt("z", "2025-06-29T00:00:00Z"),
                new SnapshotInfo("m", "config", Instant.parse("2025-06-30T00:00:00Z"), null),
                new SnapshotInfo("k", "config", Instant.parse("2025-06-29T12:00:00Z"), null)));
    RetentionPolicy policy = NONE.withKeepLast(1);
    RetentionDecision first = policy.apply(list, WIB, JULY_2025);
    assertThat(keptIds(first)).containsExactly("a", "m");
    assertThat(forgottenIds(first)).containsExactly("b", "c", "k", "z");
    Random random = new Random(11);
    for (int i = 0; i < 20; i++) {
      Collections.shuffle(list, random);
      assertThat(policy.apply(list, WIB, JULY_2025)).isEqualTo(first);
    }
  }

  @Test
  void anEmptyPolicyKeepsEverything() {
    assertThat(NONE.isEmpty()).isTrue();
    List<SnapshotInfo> list = june(preChange("change", "2024-01-01T00:00"));
    RetentionDecision d = NONE.apply(list, WIB, JULY_2025);
    assertThat(d.forget()).isEmpty();
    assertThat(d.keep()).hasSize(12);
    assertEveryReasonIs(d, "policy is empty");
  }

  @Test
  void aPolicyIsEmptyOnlyWithoutAnyKeepRule() {
    assertThat(new RetentionPolicy(0, 0, 0, 0, 0, 0, null, null).isEmpty()).isTrue();
    assertThat(NONE.withKeepPreChange(Duration.ofDays(365)).isEmpty()).isTrue();
    assertThat(NONE.withKeepWithin(Duration.ZERO).isEmpty()).isTrue();
    assertThat(
            List.of(
                NONE.withKeepLast(1),
                NONE.withKeepHourly(1),
                NONE.withKeepDaily(1),
                NONE.withKeepWeekly(1),
                NONE.withKeepMonthly(1),
                NONE.withKeepYearly(1),
                NONE.withKeepYearly(UNLIMITED),
                NONE.withKeepLast(UNLIMITED),
                NONE.withKeepWithin(Duration.ofHours(1))))
        .noneMatch(RetentionPolicy::isEmpty);
  }

  @Test
  void theDefaultsAreNoRuleAndNinetyDaysForPreChangeBackups() {
    assertThat(RetentionPolicy.empty())
        .isEqualTo(new RetentionPolicy(0, 0, 0, 0, 0, 0, null, Duration.ofDays(90)));
    assertThat(RetentionPolicy.DEFAULT_KEEP_PRE_CHANGE).isEqualTo(Duration.ofDays(90));
    assertThat(UNLIMITED).isEqualTo(-1);
  }

  @Test
  void negativeCountsOtherThanUnlimitedAreRefusedNamingTheRule() {
    Map<String, IntFunction<RetentionPolicy>> rules = new LinkedHashMap<>();
    rules.put("keep-last", NONE::withKeepLast);
    rules.put("keep-hourly", NONE::withKeepHourly);
    rules.put("keep-daily", NONE::withKeepDaily);
    rules.put("keep-weekly", NONE::withKeepWeekly);
    rules.put("keep-monthly", NONE::withKeepMonthly);
    rules.put("keep-yearly", NONE::withKeepYearly);
    rules.forEach(
        (name, rule) -> {
          assertThatThrownBy(() -> rule.apply(-2))
              .isInstanceOf(IllegalArgumentException.class)
              .hasMessage(name + " must be 0 or more, or -1 for unlimited, not -2");
          assertThatThrownBy(() -> rule.apply(Integer.MIN_VALUE))
              .hasMessageStartingWith(name + " must be 0 or more");
          assertThat(rule.apply(UNLIMITED).isEmpty()).isFalse();
          assertThat(rule.apply(0).isEmpty()).isTrue();
        });
  }

  @Test
  void negativeDurationsAreRefused() {
    assertThatThrownBy(() -> NONE.withKeepWithin(Duration.ofHours(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keep-within must not be negative, not PT-1H");
    assertThatThrownBy(() -> NONE.withKeepPreChange(Duration.ofDays(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keep-pre-change must not be negative, not PT-24H");
  }

  @Test
  void aSnapshotListedTwiceIsRefused() {
    List<SnapshotInfo> list = List.of(snap("a", "2025-06-30T01:30"), snap("a", "2025-06-29T01:30"));
    assertThatThrownBy(() -> NONE.withKeepLast(1).apply(list, WIB, JULY_2025))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("snapshot a is listed twice");
  }

  @Test
  void noSnapshotsNoDecisions() {
    RetentionDecision d = NONE.withKeepDaily(7).apply(List.of(), WIB, JULY_2025);
    assertThat(d.keep()).isEmpty();
    assertThat(d.forget()).isEmpty();
  }

  @Test
  void snapshotInfoIsTakenFromARepositorySnapshot() {
    Snapshot snapshot =
        new Snapshot(
            "0123456789abcdef", "2025-06-30T18:30:00Z", "lpse-demo", "database",
            "/var/lib/postgresql", "tree", null, List.of(), "upgrade SPSE", "0.1.0", null);
    SnapshotInfo info = SnapshotInfo.of(snapshot);
    assertThat(info)
        .isEqualTo(
            new SnapshotInfo(
                "0123456789abcdef",
                "database",
                Instant.parse("2025-06-30T18:30:00Z"),
                "upgrade SPSE"));
    assertThat(info.isPreChange()).isTrue();
    assertThat(snap("x", "2025-06-30T01:30").isPreChange()).isFalse();
  }

  // ---- against a model worked out period by period ----

  @Test
  void matchesThePeriodByPeriodModelOnRandomHistories() {
    ZoneId[] zones = {
      WIB, ZoneOffset.UTC, ZoneId.of("Europe/Berlin"), ZoneId.of("Asia/Kolkata"),
      ZoneId.of("Australia/Adelaide"), ZoneId.of("Asia/Makassar")
    };
    int[] counts = {UNLIMITED, 0, 0, 0, 1, 2, 3, 5, 8};
    long[] spans = {
      Duration.ofDays(3).toSeconds(),
      Duration.ofDays(60).toSeconds(),
      Duration.ofDays(800).toSeconds()
    };
    Instant start = Instant.parse("2024-01-01T00:00:00Z");
    RandomGenerator random = new SplittableRandom(20250701);
    Set<String> reasonsSeen = new TreeSet<>();
    int kept = 0;
    int forgotten = 0;
    for (int round = 0; round < 400; round++) {
      ZoneId zone = zones[random.nextInt(zones.length)];
      long span = spans[random.nextInt(spans.length)];
      List<SnapshotInfo> list = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      int sources = 1 + random.nextInt(3);
      for (int source = 0; source < sources; source++) {
        int n = random.nextInt(40);
        Instant previous = start;
        for (int j = 0; j < n; j++) {
          Instant time =
              random.nextInt(10) == 0
                  ? previous // equal times happen: ordered by id
                  : start.plusSeconds(random.nextLong(span)).truncatedTo(ChronoUnit.MINUTES);
          String id;
          do {
            id = String.format("%08x", random.nextInt());
          } while (!ids.add(id));
          String reason = random.nextInt(7) == 0 ? "change " + j : null;
          list.add(new SnapshotInfo(id, "source" + source, time, reason));
          previous = time;
        }
      }
      Duration within =
          switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> Duration.ZERO;
            default -> Duration.ofHours(1 + random.nextLong(span / 3600));
          };
      Duration preChange = random.nextInt(4) == 0 ? null : Duration.ofDays(1 + random.nextInt(120));
      RetentionPolicy policy =
          new RetentionPolicy(
              counts[random.nextInt(counts.length)],
              counts[random.nextInt(counts.length)],
              counts[random.nextInt(counts.length)],
              counts[random.nextInt(counts.length)],
              counts[random.nextInt(counts.length)],
              counts[random.nextInt(counts.length)],
              within,
              preChange);
      // now is around the end of the span, sometimes before the newest snapshots
      Instant now = start.plusSeconds(span + random.nextLong(-span / 10, span / 10));

      RetentionDecision d = assertMatchesModel(policy, list, zone, now);
      d.keep().forEach(k -> reasonsSeen.addAll(k.reasons()));
      kept += d.keep().size();
      forgotten += d.forget().size();
    }
    // the rounds reached every rule, including the oldest-snapshot and pre-change ones
    assertThat(reasonsSeen)
        .contains(
            "last snapshot", "hourly snapshot", "daily snapshot",
            "weekly snapshot", "monthly snapshot", "yearly snapshot", "oldest hourly snapshot",
            "oldest daily snapshot", "oldest weekly snapshot", "oldest monthly snapshot",
            "oldest yearly snapshot", "newest pre-change backup");
    assertThat(reasonsSeen).anyMatch(r -> r.startsWith("within "));
    assertThat(kept).isGreaterThan(1000);
    assertThat(forgotten).isGreaterThan(1000);
  }

  /** Checks {@code policy} against {@link #model} and returns its decision. */
  static RetentionDecision assertMatchesModel(
      RetentionPolicy policy, List<SnapshotInfo> list, ZoneId zone, Instant now) {
    RetentionDecision d = policy.apply(list, zone, now);
    Map<String, List<String>> expected = model(policy, list, zone, now);
    assertThat(reasons(d))
        .as("%s in %s at %s", policy, zone, now)
        .containsExactlyEntriesOf(expected);
    List<String> rest =
        sortedNewestFirst(list).stream()
            .map(SnapshotInfo::id)
            .filter(id -> !expected.containsKey(id))
            .toList();
    assertThat(forgottenIds(d)).containsExactlyElementsOf(rest);
    return d;
  }

  static List<SnapshotInfo> sortedNewestFirst(List<SnapshotInfo> list) {
    List<SnapshotInfo> sorted = new ArrayList<>(list);
    sorted.sort(
        (x, y) ->
            !x.time().equals(y.time())
                ? y.time().compareTo(x.time())
                : x.id().compareTo(y.id()));
    return sorted;
  }

  /**
   * The expected reasons of the kept snapshots, newest first, worked out rule by rule: group the
   * source's snapshots by period, take the newest snapshot of the n newest periods, and the oldest
   * snapshot too if there are fewer than n periods.
   */
  static Map<String, List<String>> model(
      RetentionPolicy p, List<SnapshotInfo> list, ZoneId zone, Instant now) {
    Map<String, List<String>> why = new LinkedHashMap<>();
    List<SnapshotInfo> sorted = sortedNewestFirst(list);
    sorted.forEach(s -> why.put(s.id(), new ArrayList<>()));
    Map<String, List<SnapshotInfo>> bySource =
        sorted.stream()
            .collect(
                Collectors.groupingBy(
                    SnapshotInfo::source, LinkedHashMap::new, Collectors.toList()));
    for (List<SnapshotInfo> group : bySource.values()) {
      if (p.isEmpty()) {
        group.forEach(s -> why.get(s.id()).add("policy is empty"));
        continue;
      }
      if (p.keepWithin() != null && !p.keepWithin().isZero()) {
        Instant newest =
            group.stream()
                .map(SnapshotInfo::time)
                .filter(t -> t.compareTo(now) <= 0)
                .max(Instant::compareTo)
                .orElse(null);
        for (SnapshotInfo s : group) {
          if (newest == null || s.time().isAfter(newest.minus(p.keepWithin()))) {
            why.get(s.id()).add("within " + hoursAsDaysAndHours(p.keepWithin()));
          }
        }
      }
      List<String> positions = group.stream().map(SnapshotInfo::id).toList();
      List<PeriodRule> rules =
          List.of(
              new PeriodRule(p.keepLast(), "last snapshot", (s, z) -> positions.indexOf(s.id())),
              new PeriodRule(p.keepHourly(), "hourly snapshot",
                  (s, z) -> LocalDateTime.ofInstant(s.time(), z).truncatedTo(ChronoUnit.HOURS)),
              new PeriodRule(p.keepDaily(), "daily snapshot",
                  (s, z) -> LocalDate.ofInstant(s.time(), z)),
              new PeriodRule(p.keepWeekly(), "weekly snapshot", (s, z) -> {
                LocalDate date = LocalDate.ofInstant(s.time(), z);
                return date.get(WeekFields.ISO.weekBasedYear())
                    + "-W" + date.get(WeekFields.ISO.weekOfWeekBasedYear());
              }),
              new PeriodRule(p.keepMonthly(), "monthly snapshot",
                  (s, z) -> YearMonth.from(LocalDate.ofInstant(s.time(), z))),
              new PeriodRule(p.keepYearly(), "yearly snapshot",
                  (s, z) -> Year.from(LocalDate.ofInstant(s.time(), z))));
      for (PeriodRule rule : rules) {
        if (rule.count == 0) {
          continue;
        }
        Map<Object, SnapshotInfo> newestOfPeriod = new LinkedHashMap<>();
        group.forEach(s -> newestOfPeriod.putIfAbsent(rule.period.apply(s, zone), s));
        List<SnapshotInfo> periods = new ArrayList<>(newestOfPeriod.values());
        List<SnapshotInfo> chosen =
            rule.count == UNLIMITED
                ? periods
                : periods.subList(0, Math.min(rule.count, periods.size()));
        chosen.forEach(s -> why.get(s.id()).add(rule.reason));
        SnapshotInfo oldest = group.get(group.size() - 1);
        if ((rule.count == UNLIMITED || periods.size() < rule.count) && !chosen.contains(oldest)) {
          why.get(oldest.id()).add("oldest " + rule.reason);
        }
      }
      group.stream()
          .filter(s -> s.reason() != null)
          .findFirst()
          .filter(s -> p.keepPreChange() != null && !p.keepPreChange().isZero())
          .filter(s -> s.time().plus(p.keepPreChange()).isAfter(now))
          .ifPresent(s -> why.get(s.id()).add("newest pre-change backup"));
    }
    why.values().removeIf(List::isEmpty);
    return why;
  }

  record PeriodRule(int count, String reason, BiFunction<SnapshotInfo, ZoneId, Object> period) {}

  /** Whole hours written as restic does, e.g. 36 hours as "1d12h". */
  static String hoursAsDaysAndHours(Duration d) {
    long hours = d.toHours();
    assertThat(d).isEqualTo(Duration.ofHours(hours)); // the model only knows whole hours
    return (hours / 24 > 0 ? hours / 24 + "d" : "") + (hours % 24 > 0 ? hours % 24 + "h" : "");
  }

  static Map<String, List<String>> ordered(Object... idsAndReasons) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < idsAndReasons.length; i += 2) {
      @SuppressWarnings("unchecked")
      List<String> reasons = (List<String>) idsAndReasons[i + 1];
      m.put((String) idsAndReasons[i], reasons);
    }
    return m;
  }
}
