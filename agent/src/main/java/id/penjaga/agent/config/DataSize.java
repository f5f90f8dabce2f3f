package id.penjaga.agent.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A number of bytes written the way people write it: {@code 500MiB}, {@code 20GiB}, {@code 4096}. */
public record DataSize(long bytes) {
  private static final Pattern FORM =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?i?b?)", Pattern.CASE_INSENSITIVE);

  public DataSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative");
    }
  }

  /**
   * Parses {@code 512}, {@code 64KiB}, {@code 500MiB}, {@code 20GiB}, {@code 1TiB} (powers of 1024)
   * and {@code 10MB}, {@code 2GB} (powers of 1000, as disk vendors write them).
   */
  public static DataSize parse(String text) {
    Matcher m = FORM.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "invalid size \"" + text + "\": use a number and a unit such as 500MiB or 20GiB");
    }
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    long factor =
        switch (unit) {
          case "", "b" -> 1L;
          case "k", "ki", "kib" -> 1L << 10;
          case "m", "mi", "mib" -> 1L << 20;
          case "g", "gi", "gib" -> 1L << 30;
          case "t", "ti", "tib" -> 1L << 40;
          case "p", "pi", "pib" -> 1L << 50;
          case "kb" -> 1_000L;
          case "mb" -> 1_000_000L;
          case "gb" -> 1_000_000_000L;
          case "tb" -> 1_000_000_000_000L;
          case "pb" -> 1_000_000_000_000_000L;
          default -> throw new IllegalArgumentException(
              "invalid size unit in \"" + text + "\": use B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB)");
        };
    double value = Double.parseDouble(m.group(1));
    double bytes = value * factor;
    if (bytes > Long.MAX_VALUE) {
      throw new IllegalArgumentException("size \"" + text + "\" is too large");
    }
    return new DataSize((long) bytes);
  }

  @Override
  public String toString() {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    long v = bytes;
    while (i < units.length - 1 && v >= 1024 && v % 1024 == 0) {
      v /= 1024;
      i++;
    }
    return v + units[i];
  }
}
