package id.penjaga.collector.report;

import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The daily recap of capacity records (SOP 6 langkah 3-4): per agent and day, one evidence record
 * with each component's average and highest value against its acceptable limit. Days already
 * recapped are skipped, so a run after downtime fills in the missing days.
 */
public final class CapacityRecap {
  private final ReportStore store;
  private final Reports reports;
  private final EvidenceRegister evidence;
  private final ZoneId zone;

  public CapacityRecap(ReportStore store, Reports reports, EvidenceRegister evidence, ZoneId zone) {
    this.store = store;
    this.reports = reports;
    this.evidence = evidence;
    this.zone = zone;
  }

  /** Recaps the finished days of the last {@code days} days not recapped yet; returns how many records were made. */
  public int run(int days) throws SQLException {
    LocalDate today = LocalDate.now(store.clock().withZone(zone));
    LocalDate first = today.minusDays(days);
    Set<String> done = new HashSet<>();
    for (EvidenceRegister.Record r : evidence.list(null, null, "capacity-recap", null)) {
      done.add(r.agent() + "|" + new JsonObject(r.details()).getString("day"));
    }
    Map<String, Map<Reports.Component, TreeMap<LocalDate, Reports.Day>>> daily =
        reports.daily(first.atStartOfDay(zone).toInstant(), today.atStartOfDay(zone).toInstant());
    int made = 0;
    for (Map.Entry<String, Map<Reports.Component, TreeMap<LocalDate, Reports.Day>>> a : daily.entrySet()) {
      for (LocalDate d = first; d.isBefore(today); d = d.plusDays(1)) {
        if (done.contains(a.getKey() + "|" + d)) {
          continue;
        }
        JsonArray comps = new JsonArray();
        StringBuilder summary = new StringBuilder();
        int over = 0;
        for (Map.Entry<Reports.Component, TreeMap<LocalDate, Reports.Day>> c : a.getValue().entrySet()) {
          Reports.Day day = c.getValue().get(d);
          Reports.Component comp = c.getKey();
          if (day == null || !comp.metric().endsWith("_ratio") || comp.metric().startsWith("penjaga_http")) {
            continue;
          }
          boolean isOver = comp.limit() != null && day.max() > comp.limit();
          over += isOver ? 1 : 0;
          comps.add(new JsonObject().put("metric", comp.metric()).put("label", comp.label()).put("avg", day.avg())
              .put("max", day.max()).put("limit", comp.limit()).put("over", isOver));
          summary.append(summary.length() > 0 ? "; " : "")
              .append(ReportWords.of("id").get("component." + comp.metric()))
              .append(comp.label().isEmpty() ? "" : " " + comp.label())
              .append(String.format(Locale.ROOT, " rata-rata %.1f%%, tertinggi %.1f%%", day.avg() * 100, day.max() * 100))
              .append(comp.limit() == null ? "" : String.format(Locale.ROOT, " (batas %.1f%%%s)", comp.limit() * 100,
                  isOver ? ", MELAMPAUI" : ""));
        }
        if (comps.isEmpty()) {
          continue;
        }
        evidence.append(new EvidenceRegister.Entry(d.plusDays(1).atStartOfDay(zone).toInstant().minusSeconds(1),
            "SOP 6 langkah 3", "capacity-recap", a.getKey(), "system", over == 0 ? "within" : "over",
            "Pencatatan kapasitas " + d + ": " + summary,
            new JsonObject().put("day", d.toString()).put("components", comps), null));
        made++;
      }
    }
    return made;
  }
}
