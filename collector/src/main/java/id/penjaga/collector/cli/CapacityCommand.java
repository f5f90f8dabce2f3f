package id.penjaga.collector.cli;

import id.penjaga.collector.evidence.ManualCapacity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-collector capacity add|tenders|import-tenders}: capacity that no sampler measures
 * (staff, contracted bandwidth), and the tender load per month, entered by the Pengelola Kapasitas.
 */
@Command(name = "capacity", description = "Record capacity no sampler measures, and the tender load per month.",
    subcommands = {CapacityCommand.Add.class, CapacityCommand.Tenders.class, CapacityCommand.ImportTenders.class})
final class CapacityCommand implements Callable<Integer> {
  @ParentCommand CollectorMain main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "say what: capacity add, capacity tenders or capacity import-tenders");
  }

  static YearMonth month(CommandSpec spec, String s) {
    try {
      return YearMonth.parse(s);
    } catch (DateTimeParseException e) {
      throw new ParameterException(spec.commandLine(), "--month: not a month (YYYY-MM): " + s);
    }
  }

  @Command(name = "add", description = "Record a component's value for a month, e.g. helpdesk staff.")
  static final class Add implements Callable<Integer> {
    @ParentCommand CapacityCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "COMPONENT", description = "e.g. \"Petugas helpdesk\", \"Bandwidth kontrak\".")
    String component;

    @Option(names = "--month", required = true, paramLabel = "YYYY-MM") String month;
    @Option(names = "--value", required = true, paramLabel = "N", description = "Used or needed, e.g. 3 or 180.") double value;
    @Option(names = "--limit", paramLabel = "N", description = "The most that is acceptable (the SOP's limit).") Double limit;
    @Option(names = "--unit", paramLabel = "UNIT", description = "e.g. orang, Mbps (default: ${DEFAULT-VALUE}).") String unit = "unit";
    @Option(names = "--note", paramLabel = "TEXT") String note;
    @Option(names = "--by", paramLabel = "NAME", description = "Who (default: the user running this).")
    String by = System.getProperty("user.name");

    @Override
    public Integer call() throws Exception {
      YearMonth m = month(spec, month);
      try (EvidenceCommand.Opened o = EvidenceCommand.open(parent.main)) {
        ManualCapacity.Entry e = new ManualCapacity.Entry(component, m, value, limit, unit, note, by);
        try {
          new ManualCapacity(o.store()).add(e);
        } catch (IllegalArgumentException ex) {
          throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        System.out.printf("%s %s: %s %s%s%n", component, m, value, unit, e.over() ? " (over the limit " + limit + ")" : "");
      }
      return CollectorMain.OK;
    }
  }

  @Command(name = "tenders", description = "Record the number of procurement packages of a month.")
  static final class Tenders implements Callable<Integer> {
    @ParentCommand CapacityCommand parent;
    @Spec CommandSpec spec;
    @Option(names = "--month", required = true, paramLabel = "YYYY-MM") String month;
    @Option(names = "--packages", required = true, paramLabel = "N") long packages;
    @Option(names = "--by", paramLabel = "NAME") String by = System.getProperty("user.name");

    @Override
    public Integer call() throws Exception {
      YearMonth m = month(spec, month);
      try (EvidenceCommand.Opened o = EvidenceCommand.open(parent.main)) {
        new ManualCapacity(o.store()).tenders(m, packages, by);
      } catch (IllegalArgumentException ex) {
        throw new ParameterException(spec.commandLine(), ex.getMessage());
      }
      System.out.printf("tender load %s: %d packages%n", m, packages);
      return CollectorMain.OK;
    }
  }

  @Command(name = "import-tenders", description = "Record tender loads from a CSV file of month,packages lines.")
  static final class ImportTenders implements Callable<Integer> {
    @ParentCommand CapacityCommand parent;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "FILE") Path file;
    @Option(names = "--by", paramLabel = "NAME") String by = System.getProperty("user.name");

    @Override
    public Integer call() throws Exception {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      List<String[]> rows = new java.util.ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).replace("\uFEFF", "").strip();
        if (line.isEmpty() || line.toLowerCase(java.util.Locale.ROOT).startsWith("month") || line.startsWith("bulan")) {
          continue;
        }
        String[] f = line.split("[,;]");
        if (f.length < 2 || !f[0].strip().matches("\\d{4}-\\d{2}") || !f[1].strip().matches("\\d+")) {
          throw new ParameterException(spec.commandLine(), file + ":" + (i + 1) + ": expected month,packages (e.g. 2026-10,120), not: " + line);
        }
        rows.add(new String[] {f[0].strip(), f[1].strip()});
      }
      try (EvidenceCommand.Opened o = EvidenceCommand.open(parent.main)) {
        ManualCapacity mc = new ManualCapacity(o.store());
        for (String[] r : rows) {
          mc.tenders(YearMonth.parse(r[0]), Long.parseLong(r[1]), by);
        }
      }
      System.out.printf("%d months of tender load recorded from %s%n", rows.size(), file);
      return CollectorMain.OK;
    }
  }
}
