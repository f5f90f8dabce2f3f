package id.penjaga.agent.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as administrators write them: {@code 30s}, {@code 15m}, {@code 26h}, {@code 92d}, {@code 1h30m}. */
public final class HumanDuration {
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d|w))+");
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

  private HumanDuration() {}

  public static Duration parse(String text) {
    String t = text.trim();
    if (!WHOLE.matcher(t).matches()) {
      throw new IllegalArgumentException(
          "invalid duration \""
              + text
              + "\": use a number and a unit (ms, s, m, h, d, w) such as 30s, 15m, 26h or 92d");
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(t);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                case "w" -> Duration.ofDays(7 * n);
                default -> throw new IllegalStateException(m.group(2));
              });
    }
    return total;
  }

  /** The shortest human form of a duration, the inverse of {@link #parse}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    long ms = d.toMillis();
    long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    String[] units = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms >= sizes[i]) {
        sb.append(ms / sizes[i]).append(units[i]);
        ms %= sizes[i];
      }
    }
    return sb.toString();
  }
}
