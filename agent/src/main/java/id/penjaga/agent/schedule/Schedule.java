package id.penjaga.agent.schedule;

import java.time.Duration;
import java.text.ParseException;
import org.quartz.CronExpression;

/** When a task runs: at a fixed interval, or at the times a cron expression names. */
public sealed interface Schedule {

  /** Every {@code interval}; a run missed while the agent was down is not made up. */
  record Every(Duration interval) implements Schedule {}

  /**
   * At the times of a Quartz cron expression (seconds first: {@code 0 30 1 * * ?}); a run missed
   * while the agent was down or busy runs once at the next start.
   */
  record Cron(String expression) implements Schedule {
    public Cron {
      if (!CronExpression.isValidExpression(expression)) {
        throw new IllegalArgumentException("invalid cron expression \"" + expression + "\"");
      }
    }

    public CronExpression compiled() {
      try {
        return new CronExpression(expression);
      } catch (ParseException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
