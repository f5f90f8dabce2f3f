package id.penjaga.agent.report;

/** The kinds of report in the contract. Later parts of the agent add their own. */
public enum ReportType {
  HEARTBEAT("heartbeat", true),
  /** One backup run: the SOP's "log pelaksanaan backup". */
  BACKUP_RUN("backup-run", false),
  /**
   * Something the agent was to do and did not: a failed backup, check or prune, a scheduled run
   * missed while the server was off. Every one is reported to Kepala LPSE.
   */
  FAILURE("failure", false),
  /** A restore test (SOP 10 step 5): what was sampled, how it was drawn, what passed, how fast. */
  RESTORE_TEST("restore-test", false),
  /** A log analysis (SOP 11): counts per log set and findings to follow up. */
  LOG_ANALYSIS("log-analysis", false),
  /**
   * Capacity samples summed up over a period (min, average, max): samples, so when the spool is
   * full the oldest of them give way first.
   */
  CAPACITY("capacity", true);

  private final String wireName;
  private final boolean sample;

  ReportType(String wireName, boolean sample) {
    this.wireName = wireName;
    this.sample = sample;
  }

  /** The value of the report's {@code type} field. */
  public String wireName() {
    return wireName;
  }

  /**
   * Whether the report is a sample that a later one supersedes (a heartbeat) and may therefore be
   * left out when the spool is full. Records of SOP activity (backup runs, failures, restore tests)
   * are never left out.
   */
  public boolean sample() {
    return sample;
  }
}
