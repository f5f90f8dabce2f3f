package id.penjaga.collector.store;

import id.penjaga.collector.TestStores;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportStoreTest {
  @TempDir Path dir;
  final AtomicLong nowMs = new AtomicLong(Instant.parse("2026-11-24T10:00:00Z").toEpochMilli());
  final Clock clock =
      new Clock() {
        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return Instant.ofEpochMilli(nowMs.get());
        }
      };

  static ReportStore.IncomingReport heartbeat(String agent, long seq) {
    return new ReportStore.IncomingReport(
        agent, seq, "heartbeat", 1, "2026-11-24T10:00:00Z", "0.1.0", "{\"seq\":" + seq + "}");
  }


  @Test
  void storesEachReportOnceAndRemembersTheAgent() throws Exception {
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      assertThat(store.insert(heartbeat("a", 1))).isEqualTo(ReportStore.Outcome.STORED);
      assertThat(store.insert(heartbeat("a", 2))).isEqualTo(ReportStore.Outcome.STORED);
      nowMs.addAndGet(60_000);
      assertThat(store.insert(heartbeat("a", 1))).isEqualTo(ReportStore.Outcome.DUPLICATE);
      assertThat(store.insert(heartbeat("b", 1))).isEqualTo(ReportStore.Outcome.STORED);
      assertThat(store.countReports("a", null)).isEqualTo(2);
      assertThat(store.countReports("a", "heartbeat")).isEqualTo(2);
      var agents = store.agents();
      assertThat(agents).extracting(ReportStore.AgentSeen::id).containsExactly("a", "b");
      // A repeat still proves the agent alive: last seen moved on.
      assertThat(agents.get(0).lastSeen()).isEqualTo(Instant.parse("2026-11-24T10:01:00Z"));
      assertThat(agents.get(0).lastSeq()).isEqualTo(2);
    }
  }

  @Test
  void dataAndSchemaSurviveReopening() throws Exception {
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      store.insert(heartbeat("a", 7));
    }
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      assertThat(store.countReports("a", null)).isEqualTo(1);
      assertThat(store.insert(heartbeat("a", 7))).isEqualTo(ReportStore.Outcome.DUPLICATE);
    }
  }

  @Test
  void pruningKeepsEachAgentsNewestHeartbeat() throws Exception {
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      for (int i = 1; i <= 5; i++) {
        store.insert(heartbeat("a", i));
      }
      store.insert(heartbeat("b", 1));
      nowMs.addAndGet(Duration.ofDays(40).toMillis());
      store.insert(heartbeat("a", 6));
      int removed = store.pruneHeartbeats(clock.instant().minus(Duration.ofDays(30)));
      assertThat(removed).isEqualTo(5); // a/1..5 are old; b/1 is b's newest and stays
      assertThat(store.countReports("a", null)).isEqualTo(1);
      assertThat(store.countReports("b", null)).isEqualTo(1);
    }
  }
}
