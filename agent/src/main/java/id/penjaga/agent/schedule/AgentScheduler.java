package id.penjaga.agent.schedule;

import java.time.Clock;
import java.time.Instant;
import java.util.Properties;
import org.quartz.CronScheduleBuilder;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's Quartz scheduler. Each task runs on Quartz's worker threads, never two runs of the
 * same task at once; a cron task that was due while the agent was down runs once at start.
 */
public final class AgentScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentScheduler.class);
  private static final String TASK = "task";
  private static final String LEDGER = "ledger";
  private static final String CLOCK = "clock";

  private final Scheduler scheduler;
  private final RunLedger ledger;
  private final Clock clock;
  private volatile MissedRunListener missedRunListener = (task, due) -> {};

  /** Told of each cron run that was due while the agent was down, before it is made up. */
  public interface MissedRunListener {
    void missed(String task, Instant due);
  }

  public void onMissedRun(MissedRunListener listener) {
    this.missedRunListener = listener;
  }

  public AgentScheduler(RunLedger ledger, Clock clock, int threads) throws SchedulerException {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "penjaga-agent");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "job");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    this.scheduler = new StdSchedulerFactory(p).getScheduler();
    this.ledger = ledger;
    this.clock = clock;
  }

  /** Registers a task; a cron task overdue by the ledger is fired once as soon as the scheduler starts. */
  public void register(ScheduledTask task, Schedule schedule) throws SchedulerException {
    JobDataMap data = new JobDataMap();
    data.put(TASK, task);
    data.put(LEDGER, ledger);
    data.put(CLOCK, clock);
    JobDetail job =
        JobBuilder.newJob(TaskJob.class)
            .withIdentity(task.name())
            .usingJobData(data)
            .storeDurably()
            .build();
    Trigger trigger;
    if (schedule instanceof Schedule.Every every) {
      trigger =
          TriggerBuilder.newTrigger()
              .withIdentity(task.name())
              .startNow()
              .withSchedule(
                  SimpleScheduleBuilder.simpleSchedule()
                      .withIntervalInMilliseconds(every.interval().toMillis())
                      .repeatForever()
                      .withMisfireHandlingInstructionNextWithRemainingCount())
              .build();
    } else {
      Schedule.Cron cron = (Schedule.Cron) schedule;
      trigger =
          TriggerBuilder.newTrigger()
              .withIdentity(task.name())
              .withSchedule(
                  CronScheduleBuilder.cronSchedule(cron.expression())
                      .withMisfireHandlingInstructionFireAndProceed())
              .build();
    }
    scheduler.scheduleJob(job, trigger);
    if (schedule instanceof Schedule.Cron cron) {
      Instant now = clock.instant();
      var last = ledger.lastRun(task.name());
      if (last.isEmpty()) {
        // First registration: the baseline from which missed runs are counted.
        try {
          ledger.recordRun(task.name(), now);
        } catch (java.io.IOException e) {
          throw new SchedulerException("cannot write the run ledger: " + e.getMessage(), e);
        }
      } else if (RunLedger.missed(cron.compiled(), last.get(), now)) {
        Instant due = cron.compiled().getTimeAfter(java.util.Date.from(last.get())).toInstant();
        log.warn(
            "{} was due at {} while the agent was down (last run {}); running it now",
            task.name(),
            due,
            last.get());
        missedRunListener.missed(task.name(), due);
        scheduler.triggerJob(JobKey.jobKey(task.name()));
      }
    }
  }

  public void start() throws SchedulerException {
    scheduler.start();
  }

  /** Runs a registered task now, outside its schedule (still never twice at once). */
  public void runNow(String taskName) throws SchedulerException {
    scheduler.triggerJob(JobKey.jobKey(taskName));
  }

  /** Stops taking new runs and waits for the runs in progress to finish. */
  @Override
  public void close() throws SchedulerException {
    scheduler.shutdown(true);
  }

  /** The Quartz job that runs one {@link ScheduledTask} and records its completed run. */
  @DisallowConcurrentExecution
  public static final class TaskJob implements Job {
    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
      JobDataMap data = context.getMergedJobDataMap();
      ScheduledTask task = (ScheduledTask) data.get(TASK);
      RunLedger ledger = (RunLedger) data.get(LEDGER);
      Clock clock = (Clock) data.get(CLOCK);
      Instant started = clock.instant();
      try {
        task.run();
        ledger.recordRun(task.name(), started);
      } catch (Exception e) {
        log.error("{} failed: {}", task.name(), e.toString());
        throw new JobExecutionException(e, false);
      }
    }
  }
}
