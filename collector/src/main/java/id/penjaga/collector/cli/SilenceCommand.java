package id.penjaga.collector.cli;

import id.penjaga.collector.alerts.Silences;
import id.penjaga.collector.config.HumanDuration;
import id.penjaga.collector.store.ReportStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code penjaga-collector silence add|list|expire}: hold back alert e-mails for a time (planned
 * maintenance), with who and why; alerts are still recorded. Works on the store while the
 * collector runs.
 */
@Command(
    name = "silence",
    description = "Hold back alert e-mails for a time: add, list, expire.",
    subcommands = {SilenceCommand.Add.class, SilenceCommand.ListSilences.class, SilenceCommand.Expire.class})
final class SilenceCommand implements Callable<Integer> {
  @ParentCommand CollectorMain main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "say what: silence add, silence list or silence expire ID");
  }

  /** The store, with the evidence register attached (silences are evidence). */
  static ReportStore open(CollectorMain main) throws Exception {
    return EvidenceCommand.open(main).store();
  }

  @Command(name = "add", description = "Silence the alerts of an agent and/or of a name for a while.")
  static final class Add implements Callable<Integer> {
    @ParentCommand SilenceCommand parent;
    @Spec CommandSpec spec;

    @Option(names = "--agent", paramLabel = "ID", description = "Only this agent's alerts (default: every agent).")
    String agent;

    @Option(names = "--alert", paramLabel = "NAME", description = "Only alerts of this name, e.g. DiskHampirPenuh (default: all).")
    String alertname;

    @Option(names = "--for", required = true, paramLabel = "DURATION", description = "How long, e.g. 2h, 3d.")
    String length;

    @Option(names = "--comment", required = true, paramLabel = "TEXT", description = "Why (kept as evidence).")
    String comment;

    @Option(names = "--by", paramLabel = "NAME", description = "Who (default: the user running this).")
    String by = System.getProperty("user.name");

    @Override
    public Integer call() throws Exception {
      Duration d;
      try {
        d = HumanDuration.parse(length);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--for: " + e.getMessage());
      }
      if (agent == null && alertname == null) {
        throw new ParameterException(spec.commandLine(), "give --agent, --alert or both: silencing everything is not allowed");
      }
      try (ReportStore store = open(parent.main)) {
        Silences.Silence s = new Silences(store).add(agent, alertname, d, by, comment);
        System.out.printf("silence %d: %s, %s, until %s (%s)%n", s.id(),
            agent == null ? "every agent" : "agent " + agent, alertname == null ? "every alert" : "alert " + alertname,
            s.ends(), comment);
      }
      return CollectorMain.OK;
    }
  }

  @Command(name = "list", description = "List the silences, active first.")
  static final class ListSilences implements Callable<Integer> {
    @ParentCommand SilenceCommand parent;

    @Override
    public Integer call() throws Exception {
      try (ReportStore store = open(parent.main)) {
        Instant now = Instant.now();
        for (Silences.Silence s : new Silences(store).all()) {
          System.out.printf("%4d  %-7s  %-20s  %-28s  %s .. %s  by %s: %s%n", s.id(), s.active(now) ? "active" : "ended",
              s.agent() == null ? "*" : s.agent(), s.alertname() == null ? "*" : s.alertname(), s.starts(), s.ends(),
              s.createdBy(), s.comment());
        }
      }
      return CollectorMain.OK;
    }
  }

  @Command(name = "expire", description = "End a silence now.")
  static final class Expire implements Callable<Integer> {
    @ParentCommand SilenceCommand parent;

    @Parameters(index = "0", paramLabel = "ID")
    long id;

    @Override
    public Integer call() throws Exception {
      try (ReportStore store = open(parent.main)) {
        if (!new Silences(store).expire(id)) {
          System.err.println("penjaga-collector: error: no running silence " + id);
          return CollectorMain.FAILED;
        }
        System.out.printf("silence %d ended%n", id);
      }
      return CollectorMain.OK;
    }
  }
}
