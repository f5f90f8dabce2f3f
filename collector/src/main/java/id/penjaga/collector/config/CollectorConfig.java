package id.penjaga.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The collector's configuration ({@code /etc/penjaga/collector.yaml}), parsed once and never
 * changed. Each part of the collector receives only the section it needs.
 */
public record CollectorConfig(
    @JsonProperty(required = true) Server collector, Map<String, AgentEntry> agents, Logging logging) {

  public static final Path DEFAULT_FILE = Path.of("/etc/penjaga/collector.yaml");
  private static final Pattern AGENT_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  public CollectorConfig {
    agents = agents != null ? Collections.unmodifiableMap(new LinkedHashMap<>(agents)) : Map.of();
    for (String id : agents.keySet()) {
      if (!AGENT_ID.matcher(id).matches()) {
        throw new InvalidSetting(
            "agents." + id,
            "agent id must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a"
                + " letter or digit");
      }
    }
    logging = logging != null ? logging : new Logging(null, null);
  }

  /** Reads and validates a configuration file. */
  public static CollectorConfig load(Path file) throws ConfigException {
    return new ConfigMapper().read(file, CollectorConfig.class);
  }

  /** The HTTP API, the store, and housekeeping. */
  public record Server(
      HostPort listen,
      String store,
      DataSize maxReportSize,
      Duration keepHeartbeats,
      CronSchedule housekeeping) {
    public Server {
      listen = listen != null ? listen : new HostPort("127.0.0.1", 8470);
      store = store != null ? store : "/var/lib/penjaga/collector/collector.db";
      if (store.startsWith("jdbc:") && !store.startsWith("jdbc:sqlite:")) {
        throw new InvalidSetting(
            "store", "only an SQLite file (a path or jdbc:sqlite:PATH) is supported in this version");
      }
      maxReportSize = maxReportSize != null ? maxReportSize : DataSize.parse("1MiB");
      if (maxReportSize.bytes() < 1024) {
        throw new InvalidSetting("max-report-size", "must be at least 1KiB");
      }
      keepHeartbeats = keepHeartbeats != null ? keepHeartbeats : Duration.ofDays(30);
      if (keepHeartbeats.compareTo(Duration.ofHours(1)) < 0) {
        throw new InvalidSetting("keep-heartbeats", "must be at least 1h");
      }
      housekeeping = housekeeping != null ? housekeeping : CronSchedule.parse("15 3 * * *");
    }

    /** The JDBC URL of the store. */
    public String jdbcUrl() {
      return store.startsWith("jdbc:") ? store : "jdbc:sqlite:" + store;
    }
  }

  /** An agent allowed to report, and the token it proves itself with. */
  public record AgentEntry(@JsonProperty(required = true) SecretFile tokenFile) {}

  /** Log output: {@code text} for people and journald, {@code json} for log shippers. */
  public record Logging(String format, String level) {
    public Logging {
      format = format != null ? format.toLowerCase(Locale.ROOT) : "text";
      if (!format.equals("text") && !format.equals("json")) {
        throw new InvalidSetting("format", "must be text or json, not \"" + format + "\"");
      }
      level = level != null ? level.toUpperCase(Locale.ROOT) : "INFO";
      if (!level.matches("TRACE|DEBUG|INFO|WARN|ERROR")) {
        throw new InvalidSetting(
            "level", "must be one of trace, debug, info, warn, error, not \"" + level + "\"");
      }
    }
  }
}
