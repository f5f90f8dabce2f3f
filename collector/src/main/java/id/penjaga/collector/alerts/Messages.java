package id.penjaga.collector.alerts;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The text of the alert e-mails, in Bahasa Indonesia or English: Mustache templates and word lists
 * in {@code templates/<language>/} (outside the code, so the words can be changed without it). The
 * first line of a template is the subject.
 */
public final class Messages {
  private final Map<String, Properties> words = new HashMap<>();
  private final Map<String, Template> templates = new HashMap<>();
  private final ZoneId zone;

  public Messages(ZoneId zone) {
    this.zone = zone;
    for (String lang : new String[] {"id", "en"}) {
      Properties p = new Properties();
      try (Reader r = reader(lang + "/words.properties")) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      words.put(lang, p);
      for (String name : new String[] {"alert-firing", "alert-resolved"}) {
        try (Reader r = reader(lang + "/" + name + ".txt")) {
          templates.put(lang + "/" + name, Mustache.compiler().escapeHTML(false).defaultValue("").compile(r));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private static Reader reader(String name) throws IOException {
    InputStream in = Messages.class.getResourceAsStream("/templates/" + name);
    if (in == null) {
      throw new IOException("template " + name + " missing");
    }
    return new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /** A word of the language, its {@code {{name}}} placeholders filled from {@code values}. */
  public String word(String lang, String key, Map<String, ?> values) {
    String w = words.get(lang).getProperty(key);
    if (w == null) {
      int dot = key.indexOf('.');
      w = dot > 0 ? words.get(lang).getProperty(key.substring(0, dot) + ".other", "") : "";
    }
    return Mustache.compiler().escapeHTML(false).defaultValue("").compile(w).execute(values);
  }

  /** A date and time as an LPSE official reads it: "25 November 2026 08.30 WIB". */
  public String time(String lang, Instant t) {
    if (t == null) {
      return "";
    }
    Locale locale = lang.equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
    String pattern = lang.equals("id") ? "d MMMM yyyy HH.mm z" : "d MMMM yyyy HH:mm z";
    return DateTimeFormatter.ofPattern(pattern, locale).withZone(zone).format(t);
  }

  /** Subject and body of a message. */
  public record Mail(String subject, String body) {}

  public Mail render(String lang, String template, Map<String, Object> values) {
    String text = templates.get(lang + "/" + template).execute(values);
    int nl = text.indexOf('\n');
    return new Mail(text.substring(0, nl).strip(), text.substring(nl + 1).replaceAll("\n{3,}", "\n\n"));
  }
}
