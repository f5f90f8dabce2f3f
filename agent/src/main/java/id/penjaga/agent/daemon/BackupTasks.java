package id.penjaga.agent.daemon;

import id.penjaga.agent.backup.BackupJob;
import id.penjaga.agent.backup.ConfiguredRepository;
import id.penjaga.agent.backup.Forgetter;
import id.penjaga.agent.backup.repository.Checker;
import id.penjaga.agent.backup.repository.Pruner;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryLock;
import id.penjaga.agent.backup.retention.RetentionDecision;
import id.penjaga.agent.backup.restoretest.RestoreTester;
import id.penjaga.agent.backup.retention.RetentionPolicy;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.report.FailureEvent;
import id.penjaga.agent.report.Spool;
import id.penjaga.agent.schedule.ScheduledTask;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup work of {@code penjaga-agent run}: the daily backup of every source to every target
 * followed by forget and prune, and the checks of the repositories. Every run is recorded by
 * {@link BackupJob}; anything else that fails becomes a failure event.
 */
final class BackupTasks {
  private static final Logger log = LoggerFactory.getLogger(BackupTasks.class);

  static final String DAILY_BACKUP = "daily-backup";
  static final String CHECK = "check";
  static final String CHECK_READ_DATA = "check-read-data";
  static final String RESTORE_TEST = "restore-test";

  private final AgentConfig config;
  private final Spool spool;
  private final Clock clock;
  private final String version;

  BackupTasks(AgentConfig config, Spool spool, Clock clock, String version) {
    this.config = config;
    this.spool = spool;
    this.clock = clock;
    this.version = version;
  }

  private void fail(String kind, String task, String source, String target, String why) {
    new FailureEvent(
            kind, task, source, target, target == null ? null : config.targets().get(target).path(),
            clock.instant(), why)
        .report(spool);
  }

  /** Every source to every target, then forget and prune by the retention rules. */
  ScheduledTask dailyBackup() {
    return new ScheduledTask() {
      @Override
      public String name() {
        return DAILY_BACKUP;
      }

      @Override
      public void run() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        for (Map.Entry<String, AgentConfig.RepositoryTarget> t : config.targets().entrySet()) {
          ConfiguredRepository repo = new ConfiguredRepository(t.getValue(), clock, ConfiguredRepository.keyCacheOf(config));
          BackupJob job = new BackupJob(repo, t.getKey(), spool, clock, version, threads).rotation(t.getValue().rotation());
          boolean anySaved = false;
          for (Map.Entry<String, AgentConfig.Source> s : config.sources().entrySet()) {
            BackupJob.Outcome o = job.run(s.getKey(), s.getValue(), null, List.of(), BackupJob.Trigger.SCHEDULE);
            anySaved |= !o.failed();
          }
          if (anySaved && config.schedule().prune()) {
            forgetAndPrune(t.getKey(), repo);
          }
        }
      }
    };
  }

  private void forgetAndPrune(String target, ConfiguredRepository opener) {
    RetentionPolicy policy = Forgetter.policy(config.retention());
    if (policy.isEmpty()) {
      return; // no rule: keep everything
    }
    try (Repository repo = opener.open();
        RepositoryLock lock = RepositoryLock.acquire(repo.backend(), true, "forget --prune", clock)) {
      RetentionDecision d = Forgetter.apply(repo, policy, clock.instant(), false);
      if (!d.forget().isEmpty()) {
        Pruner.Result p = new Pruner(repo).prune();
        log.info(
            "{}: {} snapshots forgotten, {} packs removed, {} repacked, {} bytes freed",
            target, d.forget().size(), p.packsRemoved(), p.packsRepacked(), p.bytesFreed());
      }
    } catch (IOException | RuntimeException e) {
      log.error("forget and prune of {} failed: {}", target, e.getMessage());
      fail("prune", DAILY_BACKUP, null, target, "forget --prune failed: " + e.getMessage());
    }
  }

  /** The restore test (quarterly by default) on the main target. */
  ScheduledTask restoreTest() {
    return new ScheduledTask() {
      @Override
      public String name() {
        return RESTORE_TEST;
      }

      @Override
      public void run() {
        try {
          RestoreTester.runAndRecord(
              config, AgentConfig.MAIN_TARGET, config.sources(), new SecureRandom().nextLong(), "schedule",
              spool, clock);
        } catch (IOException | RuntimeException e) {
          log.error("restore test could not run: {}", e.getMessage());
          fail("restore-test", RESTORE_TEST, null, AgentConfig.MAIN_TARGET, "restore test could not run: " + e.getMessage());
        }
      }
    };
  }

  /** {@code check} of every target; {@code percent} > 0 also reads that share of the data back. */
  ScheduledTask check(String name, double percent) {
    return new ScheduledTask() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void run() {
        for (Map.Entry<String, AgentConfig.RepositoryTarget> t : config.targets().entrySet()) {
          long seed = new SecureRandom().nextLong();
          try (Repository repo = new ConfiguredRepository(t.getValue(), clock, ConfiguredRepository.keyCacheOf(config)).open();
              RepositoryLock lock = RepositoryLock.acquire(repo.backend(), false, name, clock)) {
            Checker.Result r = new Checker(repo).check(percent, seed);
            if (r.ok()) {
              log.info(
                  "{} of {}: no errors ({} snapshots, {} packs, {} read back, seed {})",
                  name, t.getKey(), r.snapshots(), r.packs(), r.packsRead(), seed);
            } else {
              log.error("{} of {}: {} errors: {}", name, t.getKey(), r.errors().size(), r.errors());
              fail(
                  "check", name, null, t.getKey(),
                  r.errors().size() + " error(s) in the repository (seed " + seed + "): "
                      + String.join("; ", r.errors().subList(0, Math.min(5, r.errors().size()))));
            }
          } catch (IOException | RuntimeException e) {
            log.error("{} of {} failed: {}", name, t.getKey(), e.getMessage());
            fail("check", name, null, t.getKey(), name + " could not run: " + e.getMessage());
          }
        }
      }
    };
  }
}
