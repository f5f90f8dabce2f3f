package id.penjaga.collector.report;

import id.penjaga.collector.alerts.Notifier;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monthly set (on the 1st by default): every report of the month before, written and recorded,
 * then e-mailed with the files attached to each recipient who takes reports, in their language.
 * A month missed while the collector was down is made when it starts.
 */
public final class MonthlyReports {
  private static final Logger log = LoggerFactory.getLogger(MonthlyReports.class);
  private final ReportStore store;
  private final ReportService service;
  private final CollectorConfig.Reports config;
  private final List<CollectorConfig.Recipient> recipients;
  private final Runnable wakeMailer;

  public MonthlyReports(ReportStore store, ReportService service, CollectorConfig.Reports config,
      List<CollectorConfig.Recipient> recipients, Runnable wakeMailer) {
    this.store = store;
    this.service = service;
    this.config = config;
    this.recipients = recipients;
    this.wakeMailer = wakeMailer;
  }

  /** The month before now, in the LPSE's time zone. */
  public YearMonth previousMonth() {
    return YearMonth.now(store.clock().withZone(ZoneId.of(config.timezone()))).minusMonths(1);
  }

  /** Makes the set of the previous month unless it was made (for the start-up catch-up). */
  public boolean catchUp() throws Exception {
    YearMonth m = previousMonth();
    if (service.made(m) || !hasRecordsBefore(m.plusMonths(1))) {
      return false;
    }
    log.info("the reports of {} were not made yet (the collector was not running on the day): making them now", m);
    run(m);
    return true;
  }

  private boolean hasRecordsBefore(YearMonth m) throws Exception {
    long cutoff = m.atDay(1).atStartOfDay(ZoneId.of(config.timezone())).toInstant().toEpochMilli();
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM report WHERE type <> 'heartbeat' AND received_ms < ? LIMIT 1")) {
        ps.setLong(1, cutoff);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Makes and e-mails the set of a month. */
  public void run(YearMonth month) throws Exception {
    Set<String> languages = new LinkedHashSet<>();
    languages.add(config.language());
    for (CollectorConfig.Recipient r : recipients) {
      if (r.reports()) {
        languages.add(r.language());
      }
    }
    Map<String, List<ReportService.Made>> made = new java.util.HashMap<>();
    for (String lang : languages) {
      made.put(lang, service.makeAll(month, lang, null, "system"));
    }
    long now = store.clock().millis();
    List<CollectorConfig.Recipient> to = recipients.stream().filter(CollectorConfig.Recipient::reports).toList();
    if (to.isEmpty()) {
      return;
    }
    store.inTransaction(c -> {
      for (CollectorConfig.Recipient r : to) {
        List<Path> files = new ArrayList<>();
        for (ReportService.Made m : made.get(r.language())) {
          files.add(m.html());
          files.add(m.csv());
        }
        Locale locale = r.language().equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
        String period = DateTimeFormatter.ofPattern("MMMM yyyy", locale).format(month);
        boolean id = r.language().equals("id");
        String subject = (id ? "[Penjaga] Laporan bulanan " : "[Penjaga] Monthly reports ") + period + " — " + config.lpseName();
        StringBuilder body = new StringBuilder();
        body.append(id ? "Yth. " : "Dear ").append(r.name() != null ? r.name() : r.address()).append(",\n\n");
        body.append(id
            ? "Terlampir laporan bulanan " + period + " sesuai SOP (cetak berkas HTML; berkas CSV untuk pengolahan data):\n"
            : "Attached are the monthly reports for " + period + " (print the HTML files; the CSV files hold the data):\n");
        for (ReportService.Made m : made.get(r.language())) {
          body.append("- ").append(ReportWords.of(r.language()).get("title." + m.kind().id.replace('-', '_'))).append("\n");
        }
        body.append(id
            ? "\nAnalisa efektifitas backup siap dibahas dalam rapat dan dilampirkan pada notulen.\n\n-- \nPenjaga\n"
            : "\nThe backup effectiveness analysis is ready to be discussed in the meeting and attached to the minutes.\n\n-- \nPenjaga\n");
        Notifier.queueReportMail(c, r.address(), subject, body.toString(), files, now);
      }
      return null;
    });
    log.info("reports of {} queued for {} recipient(s)", month, to.size());
    if (wakeMailer != null) {
      wakeMailer.run();
    }
  }
}
