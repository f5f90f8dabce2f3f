package id.penjaga.agent.schedule;

/** Work the agent's scheduler runs: a heartbeat now; backups, restore tests and log rotation later. */
public interface ScheduledTask {
  /** A stable name: the job's key in the scheduler and in the ledger of past runs. */
  String name();

  void run() throws Exception;
}
