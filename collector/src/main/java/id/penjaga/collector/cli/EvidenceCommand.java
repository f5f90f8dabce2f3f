package id.penjaga.collector.cli;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.evidence.EvidenceExport;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-collector evidence verify|export|follow-up}: the evidence register (append-only,
 * hash-chained records of every SOP activity). Works on the store while the collector runs.
 */
@Command(
    name = "evidence",
    description = "The evidence register: verify the chain, export a period, record a follow-up.",
    subcommands = {EvidenceCommand.Verify.class, EvidenceCommand.Export.class, EvidenceCommand.FollowUp.class})
final class EvidenceCommand implements Callable<Integer> {
  @ParentCommand CollectorMain main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "say what: evidence verify, evidence export or evidence follow-up");
  }

  record Opened(ReportStore store, EvidenceRegister register, CollectorConfig config) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      store.close();
    }
  }

  static Opened open(CollectorMain main) throws Exception {
    CollectorConfig config = main.loadConfig();
    ReportStore store = ReportStore.open(config.collector().jdbcUrl(), config.collector().storePassword(), Clock.systemUTC());
    return new Opened(store, EvidenceRegister.attach(store, config.collector().besideStore(".evidence-head")), config);
  }

  @Command(name = "verify", description = "Check every record against the chain; name each edited, deleted or reordered one.")
  static final class Verify implements Callable<Integer> {
    @ParentCommand EvidenceCommand parent;

    @Override
    public Integer call() throws Exception {
      try (Opened o = open(parent.main)) {
        List<EvidenceRegister.Problem> problems = o.register().verify();
        long count = o.register().count();
        if (problems.isEmpty()) {
          System.out.printf("evidence register intact: %d records, head %s%n", count, o.register().head().getValue());
          return CollectorMain.OK;
        }
        for (EvidenceRegister.Problem p : problems) {
          System.out.println("TAMPERED: " + p.what());
        }
        System.out.printf("evidence register NOT intact: %d problem(s) in %d records%n", problems.size(), count);
        return CollectorMain.FAILED;
      }
    }
  }

  @Command(name = "export", description = "Write the records of a period as CSV or JSON.")
  static final class Export implements Callable<Integer> {
    @ParentCommand EvidenceCommand parent;
    @Spec CommandSpec spec;

    @Option(names = "--from", paramLabel = "DATE", description = "First day (YYYY-MM-DD, LPSE local time).")
    String from;

    @Option(names = "--to", paramLabel = "DATE", description = "Last day, included (YYYY-MM-DD).")
    String to;

    @Option(names = "--format", paramLabel = "csv|json", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format = "csv";

    @Option(names = "--activity", paramLabel = "NAME", description = "Only this activity, e.g. backup-run.")
    String activity;

    @Option(names = "--agent", paramLabel = "ID", description = "Only this agent's records.")
    String agent;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here (default: standard output).")
    Path output;

    @Override
    public Integer call() throws Exception {
      if (!format.equals("csv") && !format.equals("json")) {
        throw new ParameterException(spec.commandLine(), "--format must be csv or json");
      }
      try (Opened o = open(parent.main)) {
        ZoneId zone = ZoneId.of(o.config().reports().timezone());
        java.time.Instant f = from == null ? null : day(from, "--from").atStartOfDay(zone).toInstant();
        java.time.Instant t = to == null ? null : day(to, "--to").plusDays(1).atStartOfDay(zone).toInstant();
        List<EvidenceRegister.Record> records = o.register().list(f, t, activity, agent);
        byte[] out = format.equals("csv") ? EvidenceExport.csv(records, zone) : EvidenceExport.json(records);
        if (output != null) {
          Files.write(output, out);
          System.err.printf("%d records written to %s%n", records.size(), output);
        } else {
          OutputStream s = new PrintStream(System.out, true, StandardCharsets.UTF_8);
          s.write(out);
          s.flush();
        }
        return CollectorMain.OK;
      }
    }

    private LocalDate day(String s, String option) {
      try {
        return LocalDate.parse(s);
      } catch (DateTimeParseException e) {
        throw new ParameterException(spec.commandLine(), option + ": not a date (YYYY-MM-DD): " + s);
      }
    }
  }

  @Command(name = "follow-up", description = "Record the follow-up of a failure, alert or finding (a new record, never an edit).")
  static final class FollowUp implements Callable<Integer> {
    @ParentCommand EvidenceCommand parent;
    @Spec CommandSpec spec;

    @Option(names = "--record", paramLabel = "SEQ", description = "The evidence record followed up.")
    Long record;

    @Option(names = "--alert", paramLabel = "ID", description = "The alert followed up.")
    Long alert;

    @Option(names = "--action", required = true, paramLabel = "TEXT", description = "What was done or decided.")
    String action;

    @Option(names = "--by", paramLabel = "NAME", description = "Who (default: the user running this).")
    String by = System.getProperty("user.name");

    @Option(names = "--pic", paramLabel = "NAME", description = "Person in charge of the follow-up.")
    String pic;

    @Option(names = "--due", paramLabel = "DATE", description = "Target date (YYYY-MM-DD).")
    String due;

    @Override
    public Integer call() throws Exception {
      if ((record == null) == (alert == null)) {
        throw new ParameterException(spec.commandLine(), "give exactly one of --record SEQ or --alert ID");
      }
      if (due != null) {
        try {
          LocalDate.parse(due);
        } catch (DateTimeParseException e) {
          throw new ParameterException(spec.commandLine(), "--due: not a date (YYYY-MM-DD): " + due);
        }
      }
      try (Opened o = open(parent.main)) {
        EvidenceRegister.Record r;
        try {
          r = o.register().followUp(record, alert, by, action, pic, due);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        System.out.printf("evidence record %d: %s%n", r.seq(), r.summary());
        return CollectorMain.OK;
      }
    }
  }
}
