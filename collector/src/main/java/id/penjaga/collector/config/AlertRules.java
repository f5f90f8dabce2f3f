package id.penjaga.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Threshold rules over the agents' capacity samples ({@code /etc/penjaga/alerts.yaml}; the shipped
 * defaults, drawn from the SOPs' acceptable limits, are {@code config/alerts.yaml}). A rule fires
 * when its metric stays beyond {@code above} (or {@code below}) for {@code for}, is repeated every
 * {@code repeat} while it lasts, and resolves only once back past {@code clear} (hysteresis).
 */
public record AlertRules(List<Threshold> thresholds) {
  private static final Pattern NAME = Pattern.compile("[A-Z][A-Za-z0-9]{0,62}");

  public AlertRules {
    thresholds = thresholds != null ? List.copyOf(thresholds) : List.of();
  }

  /** One threshold rule. */
  public record Threshold(
      @JsonProperty(required = true) String name,
      @JsonProperty(required = true) String metric,
      Map<String, String> labels,
      Double above,
      Double below,
      Double clear,
      @JsonProperty("for") Duration forDuration,
      Duration repeat,
      String severity,
      @JsonProperty(required = true) String summary) {
    public Threshold {
      if (!NAME.matcher(name).matches()) {
        throw new InvalidSetting("name", "must be a name in CamelCase such as DiskHampirPenuh, not \"" + name + "\"");
      }
      if (!metric.matches("penjaga_[a-z0-9_]+")) {
        throw new InvalidSetting("metric", "must be an agent metric such as penjaga_filesystem_used_ratio");
      }
      labels = labels != null ? Map.copyOf(labels) : Map.of();
      if ((above == null) == (below == null)) {
        throw new InvalidSetting("above", "give either above or below");
      }
      double limit = above != null ? above : below;
      clear = clear != null ? clear : limit;
      if (above != null && clear > above || below != null && clear < below) {
        throw new InvalidSetting("clear", "must be on the safe side of the limit (hysteresis)");
      }
      forDuration = forDuration != null ? forDuration : Duration.ZERO;
      repeat = repeat != null ? repeat : Duration.ofHours(24);
      severity = severity != null ? severity : "medium";
      if (!severity.matches("low|medium|high")) {
        throw new InvalidSetting("severity", "must be low, medium or high, not \"" + severity + "\"");
      }
    }

    public double limit() {
      return above != null ? above : below;
    }

    /** Whether a value is beyond the limit. */
    public boolean breached(double value) {
      return above != null ? value > above : value < below;
    }

    /** Whether a value is back past the clearing level. */
    public boolean cleared(double value) {
      return above != null ? value <= clear : value >= clear;
    }
  }

  public static AlertRules load(Path file) throws ConfigException {
    return new ConfigMapper().read(file, AlertRules.class);
  }

  /** The shipped defaults (the same as config/alerts.yaml). */
  public static AlertRules defaults() throws ConfigException {
    try (InputStream in = AlertRules.class.getResourceAsStream("/default-alerts.yaml")) {
      return new ConfigMapper()
          .readText(Path.of("default-alerts.yaml"), new String(in.readAllBytes(), StandardCharsets.UTF_8), AlertRules.class);
    } catch (IOException e) {
      throw new ConfigException("cannot read the default alert rules: " + e.getMessage(), e);
    }
  }
}
