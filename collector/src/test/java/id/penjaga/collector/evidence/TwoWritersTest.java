package id.penjaga.collector.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import id.penjaga.collector.TestStores;
import id.penjaga.collector.store.ReportStore;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes writing one SQLite store (the daemon, and a command such as {@code report} or
 * {@code evidence} run beside it): a transaction that reads and then writes must not fail because
 * the other committed in between (SQLITE_BUSY_SNAPSHOT, seen in the end-to-end test); the other
 * waits for it instead, and the evidence chain stays whole.
 */
class TwoWritersTest {
  @TempDir Path dir;

  static EvidenceRegister.Entry entry(String summary) {
    return new EvidenceRegister.Entry(Instant.parse("2026-12-02T01:00:00Z"), "SOP 5", "note", null, "uji", "recorded",
        summary, null, null);
  }

  @Test
  void aWriteOfTheOtherProcessBetweenAReadAndAWriteWaitsInsteadOfFailingEither() throws Exception {
    assumeFalse(TestStores.postgres(), "an SQLite matter: PostgreSQL has row locks and the chain's advisory lock");
    Path db = dir.resolve("collector.db");
    try (ReportStore command = TestStores.open(db, Clock.systemUTC());
        ReportStore daemon = TestStores.open(db, Clock.systemUTC())) {
      EvidenceRegister byCommand = new EvidenceRegister(command, null);
      EvidenceRegister byDaemon = new EvidenceRegister(daemon, null);
      byDaemon.append(entry("before"));

      CompletableFuture<EvidenceRegister.Record> daemonWrite = new CompletableFuture<>();
      EvidenceRegister.Record mine =
          command.inTransaction(c -> {
            long count; // read first, as report and evidence commands do
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM evidence");
                ResultSet rs = ps.executeQuery()) {
              rs.next();
              count = rs.getLong(1);
            }
            assertThat(count).isEqualTo(1);
            // The daemon writes meanwhile, from its own connection.
            CompletableFuture.runAsync(() -> {
              try {
                daemonWrite.complete(byDaemon.append(entry("meanwhile")));
              } catch (Exception e) {
                daemonWrite.completeExceptionally(e);
              }
            });
            try {
              Thread.sleep(500); // time enough for it to commit, were it not held back
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            assertThat(daemonWrite).as("the daemon's write waits for this transaction").isNotDone();
            return EvidenceRegister.append(c, entry("mine"), 0L);
          });
      EvidenceRegister.Record theirs = daemonWrite.get(30, TimeUnit.SECONDS);

      assertThat(mine.seq()).isEqualTo(2);
      assertThat(theirs.seq()).isEqualTo(3);
      assertThat(byCommand.verify()).isEmpty();
      // And neither connection keeps the lock once its transaction is over.
      byCommand.append(entry("after, by the command"));
      byDaemon.append(entry("after, by the daemon"));
      assertThat(byDaemon.verify()).isEmpty();
    }
  }
}
