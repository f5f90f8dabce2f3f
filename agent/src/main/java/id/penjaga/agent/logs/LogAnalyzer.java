package id.penjaga.agent.logs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdInputStream;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.io.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The log analysis of SOP 11: per log set, counts of error, warning and exception lines and the
 * most frequent error messages (application logs); requests per HTTP status class and the paths
 * that answered 5xx most (access logs, combined format); failed and successful SSH logins per user
 * and address, and accounts created or deleted (auth logs); and matches of configured patterns.
 * Findings (many failed logins from one address, matches of medium or high patterns) are what the
 * collector alerts on.
 *
 * <p>Logs are streamed line by line (a line longer than {@value #MAX_LINE} bytes is cut), rotated
 * files included, gzip and zstd too, so a log of gigabytes needs no more memory than a small one;
 * the tables of distinct messages, paths and addresses are bounded.
 *
 * <p>{@code sinceLast} reads only what was written since the previous analysis, as logtail does:
 * the byte offset of each log (by inode) is kept in {@code loganalysis.json}; a log rotated since
 * is finished in its rotated file (when still uncompressed, as with {@code delay-compress}), then
 * read from its start.
 */
public final class LogAnalyzer {
  static final int MAX_LINE = 16 * 1024;
  private static final int MAX_KEYS = 10_000;
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Pattern ERROR = Pattern.compile("\\b(ERROR|SEVERE|FATAL|CRITICAL)\\b");
  private static final Pattern WARN = Pattern.compile("\\bWARN(ING)?\\b");
  private static final Pattern ACCESS =
      Pattern.compile("^(\\S+) \\S+ \\S+ \\[[^\\]]*\\] \"(\\S+) (\\S+)[^\"]*\" (\\d{3}) ");
  private static final Pattern SSH_FAILED =
      Pattern.compile("sshd\\[\\d+\\]: Failed (\\S+) for (?:invalid user )?(\\S+) from (\\S+) port");
  private static final Pattern SSH_ACCEPTED =
      Pattern.compile("sshd\\[\\d+\\]: Accepted (\\S+) for (\\S+) from (\\S+) port");
  private static final Pattern USER_ADDED = Pattern.compile("useradd\\[\\d+\\]: new user: name=([^,\\s]+)");
  private static final Pattern USER_DELETED = Pattern.compile("userdel\\[\\d+\\]: delete user '([^']+)'");

  private final Path offsetsFile;
  private final Clock clock;
  private final Map<String, long[]> offsets; // path -> {inode, offset}

  public LogAnalyzer(Path offsetsFile, Clock clock) throws IOException {
    this.offsetsFile = offsetsFile;
    this.clock = clock;
    this.offsets =
        Files.exists(offsetsFile)
            ? new TreeMap<>(JSON.readValue(offsetsFile.toFile(), new TypeReference<Map<String, long[]>>() {}))
            : new TreeMap<>();
  }

  /** Analyses every set; returns the log-analysis record. */
  public ObjectNode analyze(Map<String, AgentConfig.LogSet> sets, AgentConfig.LogAnalysis settings, boolean sinceLast)
      throws IOException {
    ObjectNode record = F.objectNode();
    record.put("started_at", clock.instant().toString());
    record.put("mode", sinceLast ? "since-last" : "all");
    ArrayNode out = record.putArray("sets");
    ArrayNode findings = F.arrayNode();
    for (Map.Entry<String, AgentConfig.LogSet> e : sets.entrySet()) {
      Stats st = new Stats(e.getKey(), e.getValue());
      for (Path file : LogRotator.expand(e.getValue())) {
        if (sinceLast) {
          readSinceLast(e.getValue(), file, st);
        } else {
          for (Path rotated : LogRotator.rotated(e.getValue(), file)) {
            read(rotated, 0, st);
          }
          read(file, 0, st);
        }
      }
      out.add(st.toJson(settings, findings));
    }
    if (sinceLast) {
      Files.createDirectories(offsetsFile.getParent());
      AtomicFile.write(offsetsFile, JSON.writeValueAsBytes(offsets));
    }
    record.set("journald", Journald.report(Path.of("/etc/systemd")));
    record.put("finished_at", clock.instant().toString());
    record.set("findings", findings);
    return record;
  }

  private void readSinceLast(AgentConfig.LogSet set, Path file, Stats st) throws IOException {
    long inode = inode(file);
    long[] last = offsets.get(file.toString());
    long start = 0;
    if (last != null && last[0] == inode) {
      start = Files.size(file) < last[1] ? 0 : last[1]; // shorter: truncated (copy-truncate)
    } else if (last != null) {
      // Rotated since: finish the old file where it now lies, if it can still be read as it was.
      for (Path r : LogRotator.rotated(set, file)) {
        if (!r.toString().endsWith(".gz") && !r.toString().endsWith(".zst") && inode(r) == last[0]) {
          read(r, last[1], st);
        }
      }
    }
    long end = read(file, start, st);
    offsets.put(file.toString(), new long[] {inode, end});
  }

  private static long inode(Path p) throws IOException {
    Object ino = Files.getAttribute(p, "unix:ino");
    return ((Number) ino).longValue();
  }

  /** Reads a log from {@code offset} to its end, line by line; returns the offset reached. */
  long read(Path file, long offset, Stats st) throws IOException {
    String name = file.getFileName().toString();
    st.files.add(file.toString());
    long pos = offset;
    try (InputStream raw = Files.newInputStream(file)) {
      InputStream in = raw;
      if (name.endsWith(".gz")) {
        in = new GZIPInputStream(raw, 1 << 16);
      } else if (name.endsWith(".zst")) {
        in = new ZstdInputStream(raw);
      } else if (offset > 0) {
        raw.skipNBytes(offset);
      }
      byte[] buf = new byte[1 << 16];
      byte[] line = new byte[MAX_LINE];
      int len = 0;
      int n;
      long consumed = 0;
      long completeAt = 0;
      while ((n = in.read(buf)) > 0) {
        int from = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            int take = Math.min(i - from, MAX_LINE - len);
            System.arraycopy(buf, from, line, len, take);
            len += take;
            st.line(new String(line, 0, len, StandardCharsets.UTF_8));
            len = 0;
            from = i + 1;
            completeAt = consumed + i + 1;
          }
        }
        int take = Math.min(n - from, MAX_LINE - len);
        System.arraycopy(buf, from, line, len, take);
        len += take;
        consumed += n;
      }
      // A last line without its newline is still being written: read it next time.
      if (!name.endsWith(".gz") && !name.endsWith(".zst")) {
        pos = offset + completeAt;
      } else if (len > 0) {
        st.line(new String(line, 0, len, StandardCharsets.UTF_8));
      }
    }
    return pos;
  }

  /** What one set's logs held. */
  static final class Stats {
    final String name;
    final AgentConfig.LogSet set;
    final List<String> files = new ArrayList<>();
    long lines;
    long errors;
    long warnings;
    long exceptions;
    final Map<String, Long> errorMessages = new HashMap<>();
    final Map<String, Long> statusClasses = new TreeMap<>();
    final Map<String, Long> serverErrorPaths = new HashMap<>();
    long requests;
    final Map<String, Long> failedByAddress = new HashMap<>();
    final Map<String, Long> failedByUser = new HashMap<>();
    final Map<String, Long> acceptedByUserAddress = new HashMap<>();
    final List<String> accountsCreated = new ArrayList<>();
    final List<String> accountsDeleted = new ArrayList<>();
    final long[] patternCounts;
    final List<List<String>> patternSamples = new ArrayList<>();
    final List<Pattern> patterns = new ArrayList<>();

    Stats(String name, AgentConfig.LogSet set) {
      this.name = name;
      this.set = set;
      for (AgentConfig.LogPattern p : set.patterns()) {
        patterns.add(Pattern.compile(p.regex()));
        patternSamples.add(new ArrayList<>());
      }
      patternCounts = new long[patterns.size()];
    }

    void line(String l) {
      lines++;
      switch (set.kind()) {
        case "access" -> access(l);
        case "auth" -> auth(l);
        default -> app(l);
      }
      for (int i = 0; i < patterns.size(); i++) {
        if (patterns.get(i).matcher(l).find()) {
          patternCounts[i]++;
          if (patternSamples.get(i).size() < 3) {
            patternSamples.get(i).add(shown(l, 500));
          }
        }
      }
    }

    private void app(String l) {
      // Cheap substring tests first: most lines hold none of these words.
      if ((l.contains("ERROR") || l.contains("SEVERE") || l.contains("FATAL") || l.contains("CRITICAL"))
          && ERROR.matcher(l).find()) {
        errors++;
        count(errorMessages, normalize(l));
      } else if (l.contains("WARN") && WARN.matcher(l).find()) {
        warnings++;
      }
      if (!l.startsWith("\tat ") && !l.startsWith("    at ") && (exceptionName(l, "Exception") || exceptionName(l, "Error"))) {
        exceptions++;
      }
    }

    /** Whether {@code l} names a Java exception: an identifier ending in {@code word}, then ':' or the line's end. */
    static boolean exceptionName(String l, String word) {
      for (int i = l.indexOf(word); i >= 0; i = l.indexOf(word, i + 1)) {
        int end = i + word.length();
        boolean after = end == l.length() || l.charAt(end) == ':';
        boolean before = i > 0 && (Character.isJavaIdentifierPart(l.charAt(i - 1)));
        if (after && before) {
          return true;
        }
      }
      return false;
    }

    /** A message without what changes from line to line: numbers, times, ids. */
    static String normalize(String l) {
      return shown(l.replaceAll("\\d+", "#"), 300);
    }

    /**
     * A log's text as a report may show it: at most {@code max} characters, control characters
     * (terminal escapes, NULs) and undecodable bytes shown as '?', so a hostile line cannot reach a
     * reader's terminal or mail client as anything but text.
     */
    static String shown(String l, int max) {
      String s = l.length() > max ? l.substring(0, max) : l;
      StringBuilder out = null;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if ((Character.isISOControl(c) && c != '\t') || c == '\uFFFD') {
          if (out == null) {
            out = new StringBuilder(s.substring(0, i));
          }
          out.append('?');
        } else if (out != null) {
          out.append(c);
        }
      }
      return out == null ? s : out.toString();
    }

    private void access(String l) {
      Matcher m = ACCESS.matcher(l);
      if (!m.find()) {
        return;
      }
      requests++;
      String status = m.group(4);
      count(statusClasses, status.charAt(0) + "xx");
      if (status.charAt(0) == '5') {
        String path = m.group(3);
        int q = path.indexOf('?');
        count(serverErrorPaths, shown(q >= 0 ? path.substring(0, q) : path, 300));
      }
    }

    private void auth(String l) {
      Matcher m = SSH_FAILED.matcher(l);
      if (m.find()) {
        count(failedByUser, shown(m.group(2), 100));
        count(failedByAddress, shown(m.group(3), 100));
        return;
      }
      m = SSH_ACCEPTED.matcher(l);
      if (m.find()) {
        count(acceptedByUserAddress, shown(m.group(2) + " " + m.group(3), 200));
        return;
      }
      m = USER_ADDED.matcher(l);
      if (m.find()) {
        accountsCreated.add(m.group(1));
        return;
      }
      m = USER_DELETED.matcher(l);
      if (m.find()) {
        accountsDeleted.add(m.group(1));
      }
    }

    private static void count(Map<String, Long> map, String key) {
      if (map.containsKey(key) || map.size() < MAX_KEYS) {
        map.merge(key, 1L, Long::sum);
      } else {
        map.merge("(other)", 1L, Long::sum);
      }
    }

    private static ArrayNode top(Map<String, Long> map, int n, String keyName) {
      ArrayNode a = F.arrayNode();
      map.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
          .limit(n)
          .forEach(e -> a.addObject().put(keyName, e.getKey()).put("count", e.getValue()));
      return a;
    }

    ObjectNode toJson(AgentConfig.LogAnalysis settings, ArrayNode findings) {
      ObjectNode o = F.objectNode();
      o.put("set", name);
      o.put("kind", set.kind());
      ArrayNode fl = o.putArray("files");
      files.stream().distinct().forEach(fl::add);
      o.put("lines", lines);
      switch (set.kind()) {
        case "access" -> {
          o.put("requests", requests);
          ObjectNode classes = o.putObject("status_classes");
          statusClasses.forEach(classes::put);
          o.set("top_5xx_paths", top(serverErrorPaths, 10, "path"));
        }
        case "auth" -> {
          long failed = failedByAddress.values().stream().mapToLong(Long::longValue).sum();
          long accepted = acceptedByUserAddress.values().stream().mapToLong(Long::longValue).sum();
          o.put("ssh_failed", failed);
          o.put("ssh_accepted", accepted);
          o.set("ssh_failed_by_address", top(failedByAddress, 20, "address"));
          o.set("ssh_failed_by_user", top(failedByUser, 20, "user"));
          ArrayNode acc = o.putArray("ssh_accepted_by_user");
          acceptedByUserAddress.entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .forEach(e -> {
                String[] ua = e.getKey().split(" ", 2);
                acc.addObject().put("user", ua[0]).put("address", ua[1]).put("count", e.getValue());
              });
          ArrayNode created = o.putArray("accounts_created");
          accountsCreated.forEach(created::add);
          ArrayNode deleted = o.putArray("accounts_deleted");
          accountsDeleted.forEach(deleted::add);
          failedByAddress.entrySet().stream()
              .filter(e -> e.getValue() >= settings.failedLoginsPerAddress())
              .sorted(Map.Entry.comparingByKey())
              .forEach(e -> findings.addObject()
                  .put("set", name)
                  .put("kind", "failed-logins")
                  .put("severity", "high")
                  .put("subject", e.getKey())
                  .put("count", e.getValue())
                  .put("message", e.getValue() + " failed SSH logins from " + e.getKey()));
        }
        default -> {
          o.put("errors", errors);
          o.put("warnings", warnings);
          o.put("exceptions", exceptions);
          o.set("top_errors", top(errorMessages, 5, "message"));
        }
      }
      ArrayNode pats = o.putArray("patterns");
      for (int i = 0; i < patterns.size(); i++) {
        AgentConfig.LogPattern p = set.patterns().get(i);
        ObjectNode po = pats.addObject().put("name", p.name()).put("severity", p.severity()).put("count", patternCounts[i]);
        ArrayNode samples = po.putArray("samples");
        patternSamples.get(i).forEach(samples::add);
        if (patternCounts[i] > 0 && !p.severity().equals("low")) {
          findings.addObject()
              .put("set", name)
              .put("kind", "pattern")
              .put("severity", p.severity())
              .put("subject", p.name())
              .put("count", patternCounts[i])
              .put("message", patternCounts[i] + " lines match " + p.name());
        }
      }
      return o;
    }
  }
}
