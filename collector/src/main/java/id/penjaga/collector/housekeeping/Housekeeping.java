package id.penjaga.collector.housekeeping;

import id.penjaga.collector.config.CronSchedule;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's scheduled upkeep, on Quartz worker threads: old heartbeats are thinned (each
 * agent's newest is kept). Records of SOP activity are never touched here.
 */
public final class Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
  private final Scheduler scheduler;

  public Housekeeping(ReportStore store, Clock clock, Duration keepHeartbeats, CronSchedule when)
      throws SchedulerException {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "penjaga-collector");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.threadCount", "2");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    scheduler = new StdSchedulerFactory(p).getScheduler();
    JobDataMap data = new JobDataMap();
    data.put("store", store);
    data.put("clock", clock);
    data.put("keep", keepHeartbeats);
    scheduler.scheduleJob(
        JobBuilder.newJob(PruneHeartbeats.class).withIdentity("prune-heartbeats").usingJobData(data).build(),
        TriggerBuilder.newTrigger()
            .withIdentity("prune-heartbeats")
            .withSchedule(
                CronScheduleBuilder.cronSchedule(when.quartz())
                    .withMisfireHandlingInstructionFireAndProceed())
            .build());
  }

  /** Runs {@code work} on the schedule too (a missed run is done once when the collector starts). */
  public void schedule(String name, CronSchedule when, Runnable work) throws SchedulerException {
    JobDataMap data = new JobDataMap();
    data.put("work", work);
    data.put("name", name);
    scheduler.scheduleJob(
        JobBuilder.newJob(RunWork.class).withIdentity(name).usingJobData(data).build(),
        TriggerBuilder.newTrigger()
            .withIdentity(name)
            .withSchedule(CronScheduleBuilder.cronSchedule(when.quartz()).withMisfireHandlingInstructionFireAndProceed())
            .build());
  }

  /** A scheduled piece of work given as a Runnable. */
  @DisallowConcurrentExecution
  public static final class RunWork implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      JobDataMap data = context.getMergedJobDataMap();
      try {
        ((Runnable) data.get("work")).run();
      } catch (RuntimeException e) {
        log.error("{} failed: {}", data.get("name"), e.toString());
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

  /** Deletes heartbeats older than the configured age. */
  @DisallowConcurrentExecution
  public static final class PruneHeartbeats implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      JobDataMap data = context.getMergedJobDataMap();
      ReportStore store = (ReportStore) data.get("store");
      Clock clock = (Clock) data.get("clock");
      Duration keep = (Duration) data.get("keep");
      try {
        int n = store.pruneHeartbeats(clock.instant().minus(keep));
        log.info("housekeeping: {} heartbeats older than {} removed", n, keep);
      } catch (Exception e) {
        log.error("housekeeping failed: {}", e.toString());
      }
    }
  }
}
