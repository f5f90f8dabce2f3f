package id.penjaga.collector.evidence;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.collector.MutableClock;
import id.penjaga.collector.cli.CollectorMain;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The register is hash-chained: edits, deletions and reorderings made straight in the store (past
 * its triggers) are each found and named by {@code evidence verify}.
 */
class EvidenceRegisterTest {
  @TempDir Path dir;
  Path db;
  Path config;

  @BeforeEach
  void fill() throws Exception {
    db = dir.resolve("collector.db");
    MutableClock clock = new MutableClock(Instant.parse("2026-10-01T01:00:00Z"));
    try (ReportStore store = TestStores.open(db, clock)) {
      EvidenceRegister reg = EvidenceRegister.attach(store, TestStores.beside(db, ".evidence-head"));
      for (int day = 0; day < 6; day++) {
        Instant t = Instant.parse("2026-10-01T01:30:00Z").plus(Duration.ofDays(day));
        store.insert(report(day * 2L + 1, "backup-run", new JsonObject().put("source", "uploads").put("target_name", "main")
            .put("started_at", t.toString()).put("finished_at", t.plusSeconds(60).toString())
            .put("result", day == 3 ? "failure" : "success").put("trigger", day == 2 ? "pre-change" : "schedule")
            .put("reason", day == 2 ? "upgrade SPSE 4.5" : null)
            .put("snapshot_id", day == 3 ? null : "ab" + day + "0".repeat(61)).put("errors", 0)
            .put("failure", day == 3 ? "disk full" : null).put("files_new", 3).put("bytes_added", 1_048_576L)));
        clock.advance(Duration.ofDays(1));
      }
      // a heartbeat is no activity of its own
      store.insert(report(99, "heartbeat", new JsonObject().put("hostname", "h")));
      reg.followUp(4L, null, "Budi (Admin Sistem)", "disk backup diganti", "Budi", "2026-10-10");
    }
    config = dir.resolve("collector.yaml");
    Files.writeString(config, "collector:\n  store: " + TestStores.yaml(db) + "\n");
  }

  static ReportStore.IncomingReport report(long seq, String type, JsonObject body) {
    JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-demo").put("seq", seq).put("type", type)
        .put("time", "2026-10-01T01:31:00Z").put("body", body);
    return new ReportStore.IncomingReport("lpse-demo", seq, type, 1, "2026-10-01T01:31:00Z", "0.1", r.encode());
  }

  private String verify(int expectedExit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = CollectorMain.execute("-c", config.toString(), "evidence", "verify");
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(rc).as(text).isEqualTo(expectedExit);
    return text;
  }

  private void tamper(String... sql) throws SQLException {
    try (Connection c = TestStores.connect(db); Statement s = c.createStatement()) {
      TestStores.allowTampering(s);
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  @Test
  void anUntouchedRegisterVerifiesAndEveryActivityIsThere() throws Exception {
    assertThat(verify(0)).contains("intact: 7 records");
    try (ReportStore store = TestStores.open(db, java.time.Clock.systemUTC())) {
      List<EvidenceRegister.Record> all = new EvidenceRegister(store, null).list(null, null, null, null);
      assertThat(all).extracting(EvidenceRegister.Record::sopRef).containsExactly(
          "SOP 10 langkah 4", "SOP 10 langkah 4", "SOP 10 langkah 3", "SOP 10 langkah 4", "SOP 10 langkah 4",
          "SOP 10 langkah 4", "SOP 10 langkah 4");
      assertThat(all.get(2).activity()).isEqualTo("pre-change-backup");
      assertThat(all.get(2).summary()).contains("Backup sebelum perubahan uploads ke main: berhasil").contains("upgrade SPSE 4.5");
      assertThat(all.get(3).outcome()).isEqualTo("failure");
      assertThat(all.get(3).summary()).contains("gagal").contains("disk full");
      EvidenceRegister.Record fu = all.get(6);
      assertThat(fu.activity()).isEqualTo("follow-up");
      assertThat(fu.actor()).isEqualTo("Budi (Admin Sistem)");
      assertThat(new JsonObject(fu.links()).getLong("evidence")).isEqualTo(4L);
      // every record points at the one before it
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i).prevHash()).isEqualTo(all.get(i - 1).hash());
      }
    }
  }

  @Test
  void theStoreRefusesEditsThroughSql() throws Exception {
    try (Connection c = TestStores.connect(db); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("UPDATE evidence SET outcome = 'success' WHERE seq = 4"))
          .hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("DELETE FROM evidence WHERE seq = 4")).hasMessageContaining("append-only");
    }
    verify(0);
  }

  @Test
  void anEditedRecordIsNamed() throws Exception {
    tamper("UPDATE evidence SET outcome = 'success', summary = 'Backup uploads ke main: berhasil' WHERE seq = 4");
    String out = verify(1);
    assertThat(out).contains("TAMPERED: record 4 was altered").doesNotContain("record 3 ").doesNotContain("record 5 ");
  }

  @Test
  void anEditThatAlsoRecomputesTheHashBreaksTheNextLink() throws Exception {
    // The editor recomputes record 4's hash; record 5 still names the old one.
    try (ReportStore store = TestStores.open(db, java.time.Clock.systemUTC())) {
      EvidenceRegister.Record r = new EvidenceRegister(store, null).get(4);
      EvidenceRegister.Record forged = new EvidenceRegister.Record(r.seq(), r.recordedMs(), r.occurredAt(), r.sopRef(),
          r.activity(), r.agent(), r.actor(), "success", r.summary(), r.details(), r.links(), r.prevHash(), null);
      tamper("UPDATE evidence SET outcome = 'success', hash = '" + forged.computeHash() + "' WHERE seq = 4");
    }
    assertThat(verify(1)).contains("record 5 does not follow record 4");
  }

  @Test
  void aDeletedRecordIsNamed() throws Exception {
    tamper("DELETE FROM evidence WHERE seq = 4");
    assertThat(verify(1)).contains("TAMPERED: record 4 missing (deleted)");
  }

  @Test
  void reorderedRecordsAreNamed() throws Exception {
    // swap records 2 and 3 (their contents change places, the numbers stay)
    tamper("UPDATE evidence SET seq = -2 WHERE seq = 2", "UPDATE evidence SET seq = 2 WHERE seq = 3",
        "UPDATE evidence SET seq = 3 WHERE seq = -2");
    String out = verify(1);
    assertThat(out).contains("record 2 is out of order: it was written after record 3");
    assertThat(out).contains("record 3 is out of order");
  }

  @Test
  void recordsCutOffTheEndAreNamedThroughTheHeadFile() throws Exception {
    tamper("DELETE FROM evidence WHERE seq >= 6");
    assertThat(verify(1)).contains("records 6-7 missing from the end");
  }

  @Test
  void exportGivesAPeriodAsCsvAndJson() throws Exception {
    Path csv = dir.resolve("e.csv");
    Path json = dir.resolve("e.json");
    // 2026-10-02 and 2026-10-03 in Jakarta time: the runs of the 2nd and 3rd day
    assertThat(CollectorMain.execute("-c", config.toString(), "evidence", "export", "--from", "2026-10-02", "--to",
        "2026-10-03", "-o", csv.toString())).isZero();
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("\uFEFFseq,waktu,");
    assertThat(lines.get(1)).startsWith("2,2026-10-02 08:31:00,2026-10-02T01:31:00Z,SOP 10 langkah 4,backup-run,lpse-demo,");
    assertThat(lines.get(2)).contains("pre-change-backup");
    assertThat(CollectorMain.execute("-c", config.toString(), "evidence", "export", "--format", "json", "--activity",
        "follow-up", "-o", json.toString())).isZero();
    JsonArray a = new JsonArray(Files.readString(json));
    assertThat(a).hasSize(1);
    assertThat(a.getJsonObject(0).getJsonObject("details").getString("action")).isEqualTo("disk backup diganti");
  }

  @Test
  void periodsCompareAsInstantsNotAsText() throws Exception {
    try (ReportStore store = TestStores.open(db, java.time.Clock.systemUTC())) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      // half a second after midnight of 2 October in Jakarta; as text it sorts before "…17:00:00Z"
      reg.append(new EvidenceRegister.Entry(Instant.parse("2026-10-01T17:00:00.500Z"), "SOP 10 langkah 6", "follow-up",
          "lpse-demo", "Budi", "recorded", "tepat setelah tengah malam", null, new JsonObject().put("evidence", 1)));
      List<EvidenceRegister.Record> day = reg.list(Instant.parse("2026-10-01T17:00:00Z"), Instant.parse("2026-10-02T17:00:00Z"),
          null, null);
      assertThat(day).extracting(EvidenceRegister.Record::summary).first().isEqualTo("tepat setelah tengah malam");
      assertThat(reg.list(null, Instant.parse("2026-10-01T17:00:00Z"), "follow-up", null)).isEmpty();
    }
  }

  @Test
  void followUpFromTheCliIsANewRecordAndRefusesNonsense() throws Exception {
    assertThat(CollectorMain.execute("-c", config.toString(), "evidence", "follow-up", "--record", "4", "--action",
        "disk diganti, backup diulang", "--by", "Kepala LPSE")).isZero();
    assertThat(CollectorMain.execute("-c", config.toString(), "evidence", "follow-up", "--record", "404", "--action",
        "x")).isEqualTo(2);
    assertThat(CollectorMain.execute("-c", config.toString(), "evidence", "follow-up", "--action", "x")).isEqualTo(2);
    assertThat(verify(0)).contains("intact: 8 records");
  }
}
