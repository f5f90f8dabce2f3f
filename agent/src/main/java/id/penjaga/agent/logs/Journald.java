package id.penjaga.agent.logs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the systemd journal keeps: its disk use ({@code journalctl --disk-usage}) and its own
 * retention settings (journald.conf and its drop-ins). Reported, never changed: journald rotates
 * its files itself.
 */
final class Journald {
  private static final Pattern USAGE = Pattern.compile("take up ([0-9.]+)([KMGTP]?)B?");
  private static final List<String> KEYS =
      List.of("Storage", "SystemMaxUse", "SystemKeepFree", "SystemMaxFileSize", "MaxRetentionSec", "MaxFileSec");

  private Journald() {}

  static ObjectNode report(Path confDir) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    try {
      Process p = new ProcessBuilder("journalctl", "--disk-usage").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
        Matcher m = USAGE.matcher(out);
        if (m.find()) {
          double v = Double.parseDouble(m.group(1));
          int shift = "KMGTP".indexOf(m.group(2).isEmpty() ? "-" : m.group(2)) + 1;
          o.put("disk_usage_bytes", (long) (v * Math.pow(1024, shift)));
        }
      } else {
        o.put("error", out.strip());
      }
    } catch (IOException e) {
      o.put("error", "journalctl not available: " + e.getMessage());
      return o;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return o;
    }
    ObjectNode settings = o.putObject("settings");
    Path main = confDir.resolve("journald.conf");
    readSettings(main, settings);
    Path dropIns = confDir.resolve("journald.conf.d");
    if (Files.isDirectory(dropIns)) {
      try (var s = Files.list(dropIns)) {
        s.filter(f -> f.toString().endsWith(".conf")).sorted().forEach(f -> readSettings(f, settings));
      } catch (IOException e) {
        // settings stay as far as read
      }
    }
    return o;
  }

  private static void readSettings(Path file, ObjectNode settings) {
    try {
      for (String line : Files.readAllLines(file)) {
        String l = line.strip();
        int eq = l.indexOf('=');
        if (l.startsWith("#") || eq < 0) {
          continue;
        }
        String key = l.substring(0, eq).strip();
        if (KEYS.contains(key)) {
          settings.put(key, l.substring(eq + 1).strip());
        }
      }
    } catch (IOException e) {
      // no such file: journald's defaults apply
    }
  }
}
