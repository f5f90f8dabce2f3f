package id.penjaga.collector.housekeeping;

import id.penjaga.collector.config.CronSchedule;
import id.penjaga.collector.store.Dialect;
import id.penjaga.collector.store.ReportStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.quartz.CronScheduleBuilder;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's scheduled upkeep, on Quartz worker threads: old heartbeats are thinned (each
 * agent's newest is kept). Records of SOP activity are never touched here.
 */
public final class Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES = new java.util.concurrent.atomic.AtomicInteger();
  private final Scheduler scheduler;

  public Housekeeping(ReportStore store, Clock clock, Duration keepHeartbeats, CronSchedule when)
      throws SchedulerException {
    this.store = store;
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.threadCount", "2");
    // Quartz keeps one scheduler per name in a JVM: a second collector in one JVM (only tests run
    // several) gets a name of its own, and with it a schedule of its own.
    int n = INSTANCES.incrementAndGet();
    String name = n == 1 ? "penjaga-collector" : "penjaga-collector-" + n;
    String dataSource = "store-of-" + name;
    if (store.dialect() == Dialect.POSTGRESQL) {
      // Collectors sharing a PostgreSQL store share their schedule too (Quartz's clustered JDBC job
      // store): each scheduled run happens once, on one of them; if it stops, another takes over.
      DBConnectionManager.getInstance().addConnectionProvider(dataSource, new ConnectionProvider() {
        @Override
        public java.sql.Connection getConnection() throws java.sql.SQLException {
          return store.openConnection();
        }

        @Override
        public void shutdown() {}

        @Override
        public void initialize() {}
      });
      p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
      p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
      p.setProperty("org.quartz.jobStore.dataSource", dataSource);
      p.setProperty("org.quartz.jobStore.isClustered", "true");
      p.setProperty("org.quartz.jobStore.clusterCheckinInterval", "5000");
      p.setProperty("org.quartz.jobStore.useProperties", "true");
      p.setProperty("org.quartz.scheduler.instanceId", "AUTO");
    } else {
      p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    }
    p.setProperty("org.quartz.scheduler.instanceName", name);
    scheduler = new StdSchedulerFactory(p).getScheduler();
    schedule("prune-heartbeats", when, () -> {
      try {
        int removed = store.pruneHeartbeats(clock.instant().minus(keepHeartbeats));
        log.info("housekeeping: {} heartbeats older than {} removed", removed, keepHeartbeats);
      } catch (Exception e) {
        log.error("housekeeping failed: {}", e.toString());
      }
    });
  }

  private final ReportStore store;

  /**
   * Runs {@code work} on the schedule too (a missed run is done once when the collector starts).
   * It runs alone: never twice at once, in this collector or another sharing the store.
   */
  public void schedule(String name, CronSchedule when, Runnable work) throws SchedulerException {
    scheduler.getContext().put("work:" + name, (Runnable) () -> {
      try (ReportStore.Lease lease = store.lease(name)) {
        work.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.sql.SQLException e) {
        log.error("{} did not run: {}", name, e.toString());
      }
    });
    JobDataMap data = new JobDataMap();
    data.put("name", name);
    org.quartz.Trigger trigger = TriggerBuilder.newTrigger()
        .withIdentity(name)
        .withSchedule(CronScheduleBuilder.cronSchedule(when.quartz()).withMisfireHandlingInstructionFireAndProceed())
        .build();
    // On a shared job store another collector may have scheduled it already: a collector that
    // starts leaves that schedule alone (replacing it would let a firing run twice), unless the
    // configured time changed.
    org.quartz.Trigger existing = scheduler.getTrigger(trigger.getKey());
    if (existing instanceof org.quartz.CronTrigger cron && scheduler.checkExists(new org.quartz.JobKey(name))) {
      if (!cron.getCronExpression().equals(when.quartz())) {
        scheduler.rescheduleJob(trigger.getKey(), trigger);
      }
      return;
    }
    try {
      scheduler.scheduleJob(JobBuilder.newJob(RunWork.class).withIdentity(name).usingJobData(data).build(),
          java.util.Set.of(trigger), false);
    } catch (org.quartz.ObjectAlreadyExistsException e) {
      // another collector scheduled it at the same moment
    }
  }

  /** A scheduled piece of work, found by its name among the collector's (not kept in the job store). */
  @DisallowConcurrentExecution
  public static final class RunWork implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      String name = context.getMergedJobDataMap().getString("name");
      // which firing this is (a missed one is run once, late): collectors sharing a schedule run each once
      log.info("{}: the run scheduled for {}", name, context.getScheduledFireTime().toInstant());
      try {
        Object work = context.getScheduler().getContext().get("work:" + name);
        if (work instanceof Runnable r) {
          r.run();
        } else {
          log.warn("scheduled work {} is not known to this collector version", name);
        }
      } catch (SchedulerException | RuntimeException e) {
        log.error("{} failed: {}", name, e.toString());
      }
    }
  }

  public void start() throws SchedulerException {
    scheduler.start();
  }

  @Override
  public void close() throws SchedulerException {
    scheduler.shutdown(true);
  }
}
