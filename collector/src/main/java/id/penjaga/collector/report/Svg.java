package id.penjaga.collector.report;

import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;

/** Small inline SVG line charts for the printed reports: no script, no external file. */
final class Svg {
  private static final int W = 560;
  private static final int H = 110;
  private static final int PAD = 4;

  private Svg() {}

  /**
   * The daily maxima (line) and averages (faint line) of a component, with its limit (dashed) when
   * it has one; {@code top} the value at the top of the chart (NaN: the largest value).
   */
  static String chart(Map<LocalDate, Reports.Day> days, double top, Double limit) {
    if (days.isEmpty()) {
      return "";
    }
    double max = Double.isNaN(top) ? days.values().stream().mapToDouble(Reports.Day::max).max().orElse(1) * 1.1 : top;
    if (max <= 0) {
      max = 1;
    }
    long first = days.keySet().iterator().next().toEpochDay();
    long last = first;
    for (LocalDate d : days.keySet()) {
      last = Math.max(last, d.toEpochDay());
    }
    long span = Math.max(1, last - first);
    StringBuilder maxLine = new StringBuilder();
    StringBuilder avgLine = new StringBuilder();
    for (Map.Entry<LocalDate, Reports.Day> e : days.entrySet()) {
      double x = PAD + (W - 2.0 * PAD) * (e.getKey().toEpochDay() - first) / span;
      maxLine.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(e.getValue().max(), max)));
      avgLine.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(e.getValue().avg(), max)));
    }
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">",
        W, H, W, H));
    svg.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", W, H));
    if (limit != null && limit <= max) {
      double y = y(limit, max);
      svg.append(String.format(Locale.ROOT,
          "<line class=\"limit\" x1=\"0\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>", y, W, y));
    }
    svg.append("<polyline class=\"avg\" fill=\"none\" stroke=\"#8ab\" stroke-width=\"1\" points=\"")
        .append(avgLine.toString().trim()).append("\"/>");
    svg.append("<polyline class=\"max\" fill=\"none\" stroke=\"#036\" stroke-width=\"1.5\" points=\"")
        .append(maxLine.toString().trim()).append("\"/>");
    svg.append("</svg>");
    return svg.toString();
  }

  private static double y(double v, double max) {
    return H - PAD - (H - 2.0 * PAD) * Math.max(0, Math.min(v, max)) / max;
  }
}
