package id.penjaga.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's configuration ({@code /etc/penjaga/agent.yaml}), parsed once and never changed. Each
 * part of the agent receives only the section it needs.
 */
public record AgentConfig(
    @JsonProperty(required = true) Identity agent,
    CollectorLink collector,
    Metrics metrics,
    Heartbeat heartbeat,
    Spool spool,
    Logging logging) {

  public static final Path DEFAULT_FILE = Path.of("/etc/penjaga/agent.yaml");

  public AgentConfig {
    metrics = metrics != null ? metrics : new Metrics(null, null);
    heartbeat = heartbeat != null ? heartbeat : new Heartbeat(null);
    spool = spool != null ? spool : new Spool(null);
    logging = logging != null ? logging : new Logging(null, null);
  }

  /** Reads and validates a configuration file. */
  public static AgentConfig load(Path file) throws ConfigException {
    return new ConfigMapper().read(file, AgentConfig.class);
  }

  /** The collector to report to; empty when the agent runs standalone. */
  public Optional<CollectorLink> collectorLink() {
    return Optional.ofNullable(collector);
  }

  /** Where the agent keeps its own state: the spool, the schedule ledger. */
  public Path stateDir() {
    return agent.stateDir();
  }

  /** Who this agent is. {@code id} names the server to the collector and in every record. */
  public record Identity(@JsonProperty(required = true) String id, Path stateDir) {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    public Identity {
      if (!ID.matcher(id).matches()) {
        throw new InvalidSetting(
            "id",
            "\""
                + id
                + "\" must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a"
                + " letter or digit");
      }
      stateDir = stateDir != null ? stateDir : Path.of("/var/lib/penjaga/agent");
    }
  }

  /** The collector this agent reports to, and the token that proves who it is. */
  public record CollectorLink(
      @JsonProperty(required = true) URI url,
      @JsonProperty(required = true) SecretFile tokenFile,
      Duration timeout) {
    public CollectorLink {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
        throw new InvalidSetting(
            "url",
            "\"" + url + "\" must be an http:// or https:// address with a host");
      }
      timeout = timeout != null ? timeout : Duration.ofSeconds(10);
      if (timeout.isZero() || timeout.isNegative()) {
        throw new InvalidSetting(
            "timeout",
            "must be positive");
      }
    }
  }

  /** The Prometheus endpoint on the agent itself. */
  public record Metrics(HostPort listen, Boolean enabled) {
    public Metrics {
      listen = listen != null ? listen : new HostPort("127.0.0.1", 9464);
      enabled = enabled != null ? enabled : Boolean.TRUE;
    }
  }

  /** How often the agent tells the collector it is alive. */
  public record Heartbeat(Duration interval) {
    public Heartbeat {
      interval = interval != null ? interval : Duration.ofMinutes(1);
      if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new InvalidSetting(
            "interval",
            "must be at least 1s");
      }
    }
  }

  /** The on-disk queue of reports waiting for the collector. */
  public record Spool(DataSize maxSize) {
    public Spool {
      maxSize = maxSize != null ? maxSize : DataSize.parse("256MiB");
      if (maxSize.bytes() < 1 << 20) {
        throw new InvalidSetting(
            "max-size",
            "must be at least 1MiB");
      }
    }
  }

  /** Log output: {@code text} for people and journald, {@code json} for log shippers. */
  public record Logging(String format, String level) {
    public Logging {
      format = format != null ? format.toLowerCase(Locale.ROOT) : "text";
      if (!format.equals("text") && !format.equals("json")) {
        throw new InvalidSetting(
            "format",
            "must be text or json, not \"" + format + "\"");
      }
      level = level != null ? level.toUpperCase(Locale.ROOT) : "INFO";
      if (!level.matches("TRACE|DEBUG|INFO|WARN|ERROR")) {
        throw new InvalidSetting(
            "level",
            "must be one of trace, debug, info, warn, error, not \"" + level + "\"");
      }
    }
  }
}
