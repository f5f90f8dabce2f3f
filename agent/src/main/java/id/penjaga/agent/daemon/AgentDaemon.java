package id.penjaga.agent.daemon;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.HumanDuration;
import id.penjaga.agent.backup.ConfiguredRepository;
import id.penjaga.agent.capacity.Capacity;
import id.penjaga.agent.capacity.CapacityMonitor;
import id.penjaga.agent.logs.LogKeeper;
import id.penjaga.agent.metrics.BackupMetrics;
import id.penjaga.agent.metrics.MetricsServer;
import id.penjaga.agent.report.FailureEvent;
import id.penjaga.agent.schedule.ScheduledTask;
import id.penjaga.agent.report.CollectorClient;
import id.penjaga.agent.report.HeartbeatTask;
import id.penjaga.agent.report.ReportSender;
import id.penjaga.agent.report.Spool;
import id.penjaga.agent.schedule.AgentScheduler;
import id.penjaga.agent.schedule.RunLedger;
import id.penjaga.agent.schedule.Schedule;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code penjaga-agent run}: wires the scheduler, the reporter and the metrics endpoint together. */
public final class AgentDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);

  private final AgentConfig config;
  private final String version;
  private final Clock clock;
  private final List<AutoCloseable> started = new ArrayList<>();
  private MetricsServer metricsServer;
  private ReportSender sender;
  private boolean closed;

  public AgentDaemon(AgentConfig config, String version, Clock clock) {
    this.config = config;
    this.version = version;
    this.clock = clock;
  }

  public void start() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("agent", config.agent().id());
    // Micrometer's process_cpu_time_ns_total and system_cpu_count break the Prometheus naming
    // rules promtool checks (no abbreviated units, no _count outside histograms); the capacity
    // samplers' penjaga_cpu_* and process_cpu_usage say the same.
    registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.denyNameStartsWith("process.cpu.time"));
    registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(id -> id.getName().equals("system.cpu.count")));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    Gauge.builder("penjaga.agent.info", () -> 1)
        .description("Always 1; the labels name the agent's version")
        .tag("version", version)
        .register(registry);

    Spool spool =
        new Spool(
            config.stateDir().resolve("spool"),
            config.spool().maxSize().bytes(),
            config.agent().id(),
            version,
            clock);
    Gauge.builder("penjaga.spool.pending.reports", spool, s -> quietly(s::pendingCount))
        .description("Reports written to disk and not yet acknowledged by the collector")
        .register(registry);
    FunctionCounter.builder("penjaga.spool.dropped.samples", spool, Spool::droppedSamples)
        .description("Sample reports (heartbeats) left out because the spool was full")
        .register(registry);

    if (config.collectorLink().isPresent()) {
      AgentConfig.CollectorLink link = config.collectorLink().get();
      CollectorClient client =
          new CollectorClient(link.url(), link.token(), link.timeout(), link.tls());
      ReportSender sender = new ReportSender(spool, client, new Random(), link.batchSize());
      FunctionCounter.builder("penjaga.reports.sent", sender, ReportSender::sentCount)
          .description("Reports acknowledged by the collector")
          .register(registry);
      FunctionCounter.builder("penjaga.reports.send.failures", sender, ReportSender::failureCount)
          .description("Attempts to send a report that did not reach the collector")
          .register(registry);
      Gauge.builder(
              "penjaga.reports.last.success.timestamp.seconds",
              sender,
              s -> s.lastSuccessEpochMs() / 1000.0)
          .description("When the collector last acknowledged a report (Unix time)")
          .register(registry);
      Gauge.builder(
              "penjaga.clock.offset.seconds",
              sender,
              x -> x.clockOffsetSeconds() == null ? Double.NaN : x.clockOffsetSeconds())
          .description("The collector's clock minus this agent's, as last measured")
          .register(registry);
      sender.start();
      started.add(sender);
      this.sender = sender;
      log.info("reporting to {}", client.endpoint());
    } else {
      log.info("no collector configured: records stay in {}", spool.directory());
    }

    BackupMetrics backupMetrics = new BackupMetrics(spool.journal(), registry);
    backupMetrics.refresh();

    CapacityMonitor capacity = null;
    if (config.capacity().enabled()) {
      capacity =
          new CapacityMonitor(
              Capacity.samplers(config), registry, spool, clock, config.capacity().period(), config.capacity().interval());
      started.add(capacity::flushNow); // closed after the scheduler: the last minutes are kept
    }

    AgentScheduler scheduler =
        new AgentScheduler(new RunLedger(config.stateDir().resolve("schedule.json")), clock, 4);
    scheduler.onMissedRun(
        (task, due) ->
            new FailureEvent(
                    "missed-run", task, null, null, null, clock.instant(),
                    "the scheduled run of " + task + " due at " + due
                        + " did not happen (the agent was not running); it runs now")
                .report(spool));
    scheduler.register(
        new HeartbeatTask(spool, clock, () -> sender == null ? null : sender.clockOffsetSeconds()),
        new Schedule.Every(config.heartbeat().interval()));
    if (capacity != null) {
      scheduler.register(capacity, new Schedule.Every(config.capacity().interval()));
    }
    registerBackupTasks(scheduler, spool);
    registerLogKeeper(scheduler, spool);
    scheduler.start();
    started.add(scheduler);
    log.info("heartbeat every {}", HumanDuration.format(config.heartbeat().interval()));

    if (config.metrics().enabled()) {
      metricsServer = new MetricsServer(config.metrics().listen(), registry, backupMetrics::refresh);
      metricsServer.start();
      started.add(metricsServer);
      log.info("metrics on http://{}/metrics", config.metrics().listen());
    }
    log.info("penjaga-agent {} started as {}", version, config.agent().id());
  }

  /**
   * The daily backup (then forget and prune), the weekly check and the monthly check that reads a
   * share of the data back, each at its configured time; none without a repository and sources.
   */
  private void registerBackupTasks(AgentScheduler scheduler, Spool spool) throws Exception {
    if (config.targets().isEmpty()) {
      log.info("no repository configured: no scheduled backups");
      return;
    }
    AgentConfig.Schedules when = config.schedule();
    BackupTasks tasks = new BackupTasks(config, spool, clock, version);
    if (!config.sources().isEmpty()) {
      register(scheduler, tasks.dailyBackup(), when.backup());
      if (config.repositoryTarget().isPresent()) {
        register(scheduler, tasks.restoreTest(), config.restoreTest().schedule());
      }
    }
    register(scheduler, tasks.check(BackupTasks.CHECK, 0), when.check());
    double percent = Double.parseDouble(when.readDataSubset().replace("%", ""));
    register(scheduler, tasks.check(BackupTasks.CHECK_READ_DATA, percent), when.checkReadData());
  }

  /** Log rotation and offload, by default hourly (size triggers need more than a daily look). */
  private void registerLogKeeper(AgentScheduler scheduler, Spool spool) throws Exception {
    if (config.logs().isEmpty()) {
      return;
    }
    LogKeeper keeper =
        new LogKeeper(
            config,
            config.repositoryTarget().map(t -> new ConfiguredRepository(t, clock, ConfiguredRepository.keyCacheOf(config))).orElse(null),
            spool,
            clock,
            version);
    ScheduledTask task =
        new ScheduledTask() {
          @Override
          public String name() {
            return "rotate-logs";
          }

          @Override
          public void run() throws Exception {
            keeper.pass(config.logs(), false, false);
          }
        };
    register(scheduler, task, config.schedule().rotateLogs());
    ScheduledTask analysis =
        new ScheduledTask() {
          @Override
          public String name() {
            return "analyze-logs";
          }

          @Override
          public void run() throws Exception {
            keeper.analyze(config.logs(), true, "schedule");
          }
        };
    register(scheduler, analysis, config.logAnalysis().schedule());
  }

  private void register(AgentScheduler scheduler, ScheduledTask task, String cron) throws Exception {
    var quartz = AgentConfig.Schedules.quartz(cron);
    if (quartz.isEmpty()) {
      log.info("{}: off", task.name());
      return;
    }
    scheduler.register(task, new Schedule.Cron(quartz.get()));
    log.info("{}: {}", task.name(), cron);
  }

  /** The port the metrics endpoint is bound to (useful when configured as 0), or -1 when off. */
  public int metricsPort() {
    return metricsServer != null ? metricsServer.port() : -1;
  }

  private static double quietly(IoCount count) {
    try {
      return count.get();
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  private interface IoCount {
    long get() throws IOException;
  }

  /** Stops in the reverse order of start: the metrics endpoint, the scheduler (after its running jobs), the sender. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        log.warn("while stopping {}: {}", started.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    log.info("penjaga-agent stopped");
  }
}
