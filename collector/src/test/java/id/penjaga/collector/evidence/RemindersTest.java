package id.penjaga.collector.evidence;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.MutableClock;
import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.report.Reports;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decisions past their target date are reminded once a day until a later follow-up closes them, and reports show them. */
class RemindersTest {
  @TempDir Path dir;
  static final ZoneId WIB = ZoneId.of("Asia/Jakarta");

  @Test
  void anOverdueDecisionIsRemindedDailyUntilClosedAndShownInTheReport() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-10-05T01:00:00Z"));
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), clock)) {
      EvidenceRegister reg = EvidenceRegister.attach(store, null);
      String t = "2026-10-04T19:00:00Z";
      JsonObject body = new JsonObject().put("source", "db").put("target_name", "main").put("started_at", t)
          .put("finished_at", t).put("result", "failure").put("trigger", "schedule").put("failure", "disk penuh");
      JsonObject r = new JsonObject().put("schema_version", 1).put("agent", "lpse-a").put("seq", 1).put("type", "backup-run")
          .put("time", t).put("body", body);
      store.insert(new ReportStore.IncomingReport("lpse-a", 1, "backup-run", 1, t, "0.1", r.encode()));
      long failure = reg.list(null, null, "backup-run", null).get(0).seq();
      reg.followUp(failure, null, "kepala (Kepala LPSE)", "ganti disk backup", "Budi", "2026-10-10");

      Reminders reminders = new Reminders(store, reg, WIB);
      List<String> mails = new ArrayList<>();
      Reminders.MailQueue queue = (c, to, subject, text) -> mails.add(to + "|" + subject + "|" + text);
      assertThat(reminders.remind(LocalDate.of(2026, 10, 10), queue, List.of("kepala@x.id"))).isNull(); // due today: not late
      clock.advance(Duration.ofDays(6)); // 11 October
      assertThat(reminders.remind(LocalDate.of(2026, 10, 11), queue, List.of("kepala@x.id"))).contains("ganti disk backup")
          .contains("target 2026-10-10").contains("Budi");
      assertThat(mails).hasSize(1);
      assertThat(mails.get(0)).startsWith("kepala@x.id|[Penjaga] Pengingat: 1 tindak lanjut melewati target|");
      assertThat(reminders.remind(LocalDate.of(2026, 10, 11), queue, List.of("kepala@x.id"))).as("once a day").isNull();
      assertThat(reg.list(null, null, "reminder", null)).hasSize(1);

      // the report marks it, and counts it in the conclusion
      String html = new ReportService(store, new CollectorConfig.Reports(null, null, null, dir, "LPSE"), AlertRules.defaults(),
          reg).render(Reports.Kind.BACKUP_EFFECTIVENESS, YearMonth.of(2026, 10), "id").html();
      assertThat(html).contains("MELEWATI TARGET").contains("1 tindak lanjut melewati target dan belum selesai");

      clock.advance(Duration.ofDays(1));
      assertThat(reminders.remind(LocalDate.of(2026, 10, 12), queue, List.of("kepala@x.id"))).as("the next day again").isNotNull();
      // a later follow-up without a new date closes it
      reg.followUp(failure, null, "budi (Budi Santoso, Administrator Sistem)", "disk diganti, backup diulang: berhasil", null, null);
      assertThat(reminders.overdue(LocalDate.of(2026, 10, 13))).isEmpty();
      assertThat(reminders.remind(LocalDate.of(2026, 10, 13), queue, List.of("kepala@x.id"))).isNull();
      assertThat(mails).hasSize(2);
      assertThat(reg.verify()).isEmpty();
    }
  }
}
