package id.penjaga.collector.cli;

import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.report.Reports;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-collector report KIND --month YYYY-MM}: makes an SOP report (HTML for print and
 * CSV beside it) and records that it was made. KIND {@code all} makes the monthly set.
 */
@Command(name = "report", description = "Make an SOP report of a month: HTML for print and CSV, recorded as evidence.")
final class ReportCommand implements Callable<Integer> {
  @ParentCommand CollectorMain main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KIND",
      description = "backup-log, backup-effectiveness, restore-test, capacity-form, capacity-report, log-analysis, or all.")
  String kind;

  @Option(names = "--month", paramLabel = "YYYY-MM", description = "The month (default: the previous month).")
  String month;

  @Option(names = "--lang", paramLabel = "id|en", description = "Language (default: reports.language, id).")
  String lang;

  @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR",
      description = "Where the files go (default: reports.output-dir/YYYY-MM).")
  Path dir;

  @Option(names = "--by", paramLabel = "NAME", description = "Who asks for it (default: the user running this).")
  String by = System.getProperty("user.name");

  @Override
  public Integer call() throws Exception {
    if (lang != null && !lang.matches("id|en")) {
      throw new ParameterException(spec.commandLine(), "--lang must be id or en");
    }
    List<Reports.Kind> kinds;
    try {
      kinds = kind.equals("all") ? List.of(Reports.Kind.values()) : List.of(Reports.Kind.of(kind));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage() + ", all");
    }
    try (EvidenceCommand.Opened o = EvidenceCommand.open(main)) {
      CollectorConfig config = o.config();
      YearMonth m;
      try {
        m = month != null ? YearMonth.parse(month)
            : YearMonth.now(ZoneId.of(config.reports().timezone())).minusMonths(1);
      } catch (DateTimeParseException e) {
        throw new ParameterException(spec.commandLine(), "--month: not a month (YYYY-MM): " + month);
      }
      AlertRules rules = config.alerts().rulesFile() != null ? AlertRules.load(config.alerts().rulesFile()) : AlertRules.defaults();
      ReportService service = new ReportService(o.store(), config.reports(), rules, o.register());
      for (Reports.Kind k : kinds) {
        ReportService.Made made = service.make(k, m, lang != null ? lang : config.reports().language(), dir, by);
        System.out.printf("%s %s: %s, %s (evidence record %d)%n", k.id, m, made.html(), made.csv(), made.evidenceSeq());
      }
      return CollectorMain.OK;
    }
  }
}
