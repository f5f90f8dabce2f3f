package id.penjaga.collector.report;

import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes reports: builds, renders, writes the HTML and CSV files into the output directory
 * ({@code <dir>/<month>/<kind>-<month>[.en].html}), and records each one made in the evidence
 * register with the files' SHA-256.
 */
public final class ReportService {
  private static final Logger log = LoggerFactory.getLogger(ReportService.class);

  private final ReportStore store;
  private final Reports reports;
  private final ReportRenderer renderer;
  private final CollectorConfig.Reports config;
  private final EvidenceRegister evidence;

  public ReportService(ReportStore store, CollectorConfig.Reports config, AlertRules rules, EvidenceRegister evidence) {
    this.store = store;
    this.config = config;
    ZoneId zone = ZoneId.of(config.timezone());
    this.reports = new Reports(store, zone, rules);
    this.renderer = new ReportRenderer(config.lpseName(), zone);
    this.evidence = evidence;
  }

  public Reports reports() {
    return reports;
  }

  /** A report made: its files and the evidence record that it was made. */
  public record Made(Reports.Kind kind, YearMonth month, String lang, Path html, Path csv, long evidenceSeq) {}

  /** A report rendered in memory (for the web page: nothing written, nothing recorded). */
  public record Rendered(String html, byte[] csv, String baseName) {}

  public Rendered render(Reports.Kind kind, YearMonth month, String lang) throws SQLException {
    Reports.Built b = reports.build(kind, month, lang);
    return new Rendered(renderer.html(b, lang, store.clock().instant()), Reports.csv(b), baseName(kind, month, lang));
  }

  static String baseName(Reports.Kind kind, YearMonth month, String lang) {
    return kind.id + "-" + month + (lang.equals("id") ? "" : "." + lang);
  }

  /** Builds, writes and records one report. */
  public Made make(Reports.Kind kind, YearMonth month, String lang, Path dir, String actor)
      throws SQLException, IOException {
    Rendered r = render(kind, month, lang);
    Path out = (dir != null ? dir : config.outputDir().resolve(month.toString()));
    Files.createDirectories(out);
    Path html = write(out.resolve(r.baseName() + ".html"), r.html().getBytes(StandardCharsets.UTF_8));
    Path csv = write(out.resolve(r.baseName() + ".csv"), r.csv());
    EvidenceRegister.Record rec = evidence.append(new EvidenceRegister.Entry(store.clock().instant(), sopOf(kind),
        "report", null, actor, "made",
        "Laporan " + titleId(kind) + " periode " + month + " dibuat" + (lang.equals("id") ? "" : " (" + lang + ")"),
        new JsonObject().put("kind", kind.id).put("month", month.toString()).put("language", lang)
            .put("html", html.toString()).put("html_sha256", sha256(r.html().getBytes(StandardCharsets.UTF_8)))
            .put("csv", csv.toString()).put("csv_sha256", sha256(r.csv())),
        new JsonObject()));
    log.info("report {} for {} written to {} (evidence record {})", kind.id, month, html, rec.seq());
    return new Made(kind, month, lang, html, csv, rec.seq());
  }

  /** Every report of a month (the monthly set). */
  public List<Made> makeAll(YearMonth month, String lang, Path dir, String actor) throws SQLException, IOException {
    List<Made> out = new ArrayList<>();
    for (Reports.Kind k : Reports.Kind.values()) {
      out.add(make(k, month, lang, dir, actor));
    }
    return out;
  }

  /** Whether the monthly set of {@code month} was made already (a report record exists for it). */
  public boolean made(YearMonth month) throws SQLException {
    return evidence.list(null, null, "report", null).stream()
        .anyMatch(r -> month.toString().equals(new JsonObject(r.details()).getString("month"))
            && "system".equals(r.actor()));
  }

  static String sopOf(Reports.Kind k) {
    return switch (k) {
      case BACKUP_LOG -> "SOP 10 langkah 4";
      case BACKUP_EFFECTIVENESS -> "SOP 10 langkah 7";
      case RESTORE_TEST -> "SOP 10 langkah 5";
      case CAPACITY_FORM -> "SOP 6 langkah 3";
      case CAPACITY_REPORT -> "SOP 6 langkah 6";
      case LOG_ANALYSIS -> "SOP 11 langkah 4";
      case LIMITS -> "SOP 6 langkah 1";
    };
  }

  static String titleId(Reports.Kind k) {
    return ReportWords.of("id").get("title." + k.id.replace('-', '_'));
  }

  private static Path write(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The instant a report's generation is stamped with. */
  public Instant now() {
    return store.clock().instant();
  }
}
