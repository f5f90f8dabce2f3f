package id.penjaga.collector.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The words of the reports in one language, from {@code reports/words_<lang>.properties}
 * (outside the code, so an LPSE can change them). {0}, {1} in a word are filled in order.
 */
final class ReportWords {
  private static final Map<String, ReportWords> CACHE = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, String> words;

  private ReportWords(Map<String, String> words) {
    this.words = words;
  }

  static ReportWords of(String lang) {
    return CACHE.computeIfAbsent(lang, l -> {
      Properties p = new Properties();
      try (InputStream in = ReportWords.class.getResourceAsStream("/reports/words_" + l + ".properties")) {
        if (in == null) {
          throw new IllegalArgumentException("no report words for language " + l);
        }
        p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Map<String, String> m = new HashMap<>();
      p.forEach((k, v) -> m.put((String) k, (String) v));
      return new ReportWords(Collections.unmodifiableMap(m));
    });
  }

  String get(String key, String... args) {
    String w = words.get(key);
    if (w == null) {
      return key;
    }
    for (int i = 0; i < args.length; i++) {
      w = w.replace("{" + i + "}", args[i] == null ? "" : args[i]);
    }
    return w;
  }

  /** Every word, for the templates' {{w.key}} (keys with '.' become '_'). */
  Map<String, String> all() {
    Map<String, String> m = new HashMap<>();
    words.forEach((k, v) -> m.put(k.replace('.', '_'), v));
    return m;
  }
}
