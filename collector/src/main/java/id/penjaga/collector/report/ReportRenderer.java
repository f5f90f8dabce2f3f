package id.penjaga.collector.report;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a built report as a printable HTML page (Mustache templates in {@code reports/}, the
 * words from the language's word list), one self-contained file: its style inline, its charts
 * inline SVG, no script.
 */
public final class ReportRenderer {
  private static final String STYLE = read("reports/style.css");
  private final Map<String, Template> templates = new HashMap<>();
  private final String lpseName;
  private final ZoneId zone;

  public ReportRenderer(String lpseName, ZoneId zone) {
    this.lpseName = lpseName;
    this.zone = zone;
    Mustache.Compiler compiler = Mustache.compiler().escapeHTML(true).defaultValue("").emptyStringIsFalse(true).withLoader(
        name -> new InputStreamReader(open("reports/" + name + ".html"), StandardCharsets.UTF_8));
    for (Reports.Kind k : Reports.Kind.values()) {
      try (Reader r = new InputStreamReader(open("reports/" + k.id + ".html"), StandardCharsets.UTF_8)) {
        templates.put(k.id, compiler.compile(r));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The Content-Security-Policy hash of the reports' inline style, for serving them on the web page. */
  public static String styleHash() {
    try {
      return "'sha256-" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(STYLE.getBytes(StandardCharsets.UTF_8))) + "'";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The words of a language for templates ({@code {{w.key}}}, '.' in keys as '_'). */
  public static Map<String, String> words(String lang) {
    return ReportWords.of(lang).all();
  }

  public String html(Reports.Built b, String lang, Instant generatedAt) {
    Map<String, Object> ctx = new HashMap<>(b.model());
    ReportWords words = ReportWords.of(lang);
    ctx.put("w", words.all());
    ctx.put("lang", lang);
    ctx.put("lpse", lpseName);
    ctx.put("style", STYLE);
    Locale locale = lang.equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
    ctx.put("generated", DateTimeFormatter.ofPattern(lang.equals("id") ? "d MMMM yyyy HH.mm z" : "d MMMM yyyy HH:mm z", locale)
        .withZone(zone).format(generatedAt));
    ctx.put("kind", b.kind().id);
    return templates.get(b.kind().id).execute(ctx);
  }

  private static InputStream open(String name) {
    InputStream in = ReportRenderer.class.getResourceAsStream("/" + name);
    if (in == null) {
      throw new IllegalStateException("report template " + name + " missing from the jar");
    }
    return in;
  }

  private static String read(String name) {
    try (InputStream in = open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
