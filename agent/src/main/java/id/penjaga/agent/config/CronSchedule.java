package id.penjaga.agent.config;

import java.util.Locale;
import org.quartz.CronExpression;

/**
 * A cron schedule. Administrators may write the five fields of crontab ({@code 15 3 * * *}: minute,
 * hour, day of month, month, day of week with 0 or 7 for Sunday) or a Quartz expression with seconds
 * first ({@code 0 15 3 * * ?}); both become the Quartz form the scheduler runs.
 */
public record CronSchedule(String written, String quartz) {
  private static final String[] DAY_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

  public static CronSchedule parse(String text) {
    String t = text.trim().replaceAll("\\s+", " ");
    String[] f = t.split(" ");
    String quartz;
    if (f.length == 5) {
      String dom = f[2];
      String dow = unixDaysToNames(f[4]);
      boolean domAny = dom.equals("*") || dom.equals("?");
      boolean dowAny = dow.equals("*") || dow.equals("?");
      if (!domAny && !dowAny) {
        throw new IllegalArgumentException(
            "invalid cron \"" + text + "\": give a day of month or a day of week, not both");
      }
      if (domAny) {
        dom = dowAny ? "*" : "?";
        dow = dowAny ? "?" : dow;
      } else {
        dow = "?";
      }
      quartz = String.join(" ", "0", f[0], f[1], dom, f[3], dow);
    } else if (f.length == 6 || f.length == 7) {
      quartz = t;
    } else {
      throw new IllegalArgumentException(
          "invalid cron \""
              + text
              + "\": use five crontab fields (minute hour day-of-month month day-of-week),"
              + " e.g. \"15 3 * * *\"");
    }
    checkRanges(text, quartz.split(" "));
    try {
      new CronExpression(quartz);
    } catch (java.text.ParseException e) {
      throw new IllegalArgumentException("invalid cron \"" + text + "\": " + e.getMessage());
    }
    return new CronSchedule(text, quartz);
  }

  private static final String[] FIELD_NAMES = {
    "second", "minute", "hour", "day of month", "month", "day of week", "year"
  };
  private static final int[][] RANGES = {
    {0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {1, 7}, {1970, 2199}
  };

  /** Quartz lets some out-of-range numbers through (minute 99): check every plain number. */
  private static void checkRanges(String text, String[] fields) {
    for (int i = 0; i < fields.length && i < RANGES.length; i++) {
      for (String item : fields[i].split(",")) {
        String base = item.split("/")[0];
        for (String piece : base.split("-")) {
          if (piece.matches("\\d+")) {
            int v = Integer.parseInt(piece);
            if (v < RANGES[i][0] || v > RANGES[i][1]) {
              throw new IllegalArgumentException(
                  "invalid cron \""
                      + text
                      + "\": "
                      + FIELD_NAMES[i]
                      + " "
                      + v
                      + " is outside "
                      + RANGES[i][0]
                      + "-"
                      + RANGES[i][1]);
            }
          }
        }
      }
    }
  }

  /** Crontab counts Sunday as 0 or 7, Quartz as 1: day names mean the same in both. */
  private static String unixDaysToNames(String field) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      boolean afterSlash = i > 0 && field.charAt(i - 1) == '/';
      if (c >= '0' && c <= '7' && !afterSlash
          && (i + 1 == field.length() || !Character.isDigit(field.charAt(i + 1)))) {
        sb.append(DAY_NAMES[c - '0']);
      } else {
        sb.append(c);
      }
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return written;
  }
}
