package id.penjaga.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The collector's configuration ({@code /etc/penjaga/collector.yaml}), parsed once and never
 * changed. Each part of the collector receives only the section it needs.
 */
public record CollectorConfig(
    @JsonProperty(required = true) Server collector,
    Map<String, AgentEntry> agents,
    Logging logging,
    Smtp smtp,
    List<Recipient> recipients,
    Alerts alerts,
    Reports reports,
    Web web) {

  public static final Path DEFAULT_FILE = Path.of("/etc/penjaga/collector.yaml");
  private static final Pattern AGENT_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  public CollectorConfig {
    agents = agents != null ? Collections.unmodifiableMap(new LinkedHashMap<>(agents)) : Map.of();
    for (Map.Entry<String, AgentEntry> a : agents.entrySet()) {
      if (a.getValue() == null || (a.getValue().tokenFile() == null && collector.clientCaFile() == null)) {
        throw new InvalidSetting("agents." + a.getKey() + ".token-file",
            "required key is missing: an agent proves itself with a token, or with a client certificate when collector.client-ca-file is set");
      }
    }
    for (String id : agents.keySet()) {
      if (!AGENT_ID.matcher(id).matches()) {
        throw new InvalidSetting(
            "agents." + id,
            "agent id must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a"
                + " letter or digit");
      }
    }
    logging = logging != null ? logging : new Logging(null, null);
    recipients = recipients != null ? List.copyOf(recipients) : List.of();
    alerts = alerts != null ? alerts : new Alerts(null, null, null, null, null, null, null, null);
    reports = reports != null ? reports : new Reports(null, null, null, null, null);
    if (reports.outputDir() == null) { // beside the store
      reports = new Reports(reports.timezone(), reports.language(), reports.schedule(),
          collector.dataDir().resolve("reports"), reports.lpseName());
    }
    web = web != null ? web : new Web(null, null, null, null, null, null);
    if (!recipients.isEmpty() && smtp == null) {
      throw new InvalidSetting("recipients", "recipients need an 'smtp' section to send through");
    }
  }

  /**
   * Silence that is itself a failure: an agent that stopped reporting, a source without a
   * successful backup for a day and more, no passed restore test for a quarter (SOP 10 step 5).
   */
  public record Alerts(
      Duration noHeartbeat,
      Duration noSuccessfulBackup,
      Duration noRestoreTest,
      Duration evaluateEvery,
      Path rulesFile,
      Integer forecastDays,
      Duration noLogAnalysis,
      List<java.net.URI> alertmanagers) {
    public Alerts {
      alertmanagers = alertmanagers != null ? List.copyOf(alertmanagers) : List.of();
      for (java.net.URI u : alertmanagers) {
        if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null) {
          throw new InvalidSetting("alertmanagers", "each must be an Alertmanager's address, e.g. http://127.0.0.1:9093, not " + u);
        }
      }
      noLogAnalysis = noLogAnalysis != null ? noLogAnalysis : Duration.ofDays(8);
      forecastDays = forecastDays != null ? forecastDays : 14;
      if (forecastDays < 0) {
        throw new InvalidSetting("forecast-days", "must be 0 (off) or more");
      }
      noHeartbeat = noHeartbeat != null ? noHeartbeat : Duration.ofMinutes(5);
      noSuccessfulBackup = noSuccessfulBackup != null ? noSuccessfulBackup : Duration.ofHours(26);
      noRestoreTest = noRestoreTest != null ? noRestoreTest : Duration.ofDays(92);
      evaluateEvery = evaluateEvery != null ? evaluateEvery : Duration.ofSeconds(30);
      if (evaluateEvery.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new InvalidSetting("evaluate-every", "must be at least 1s");
      }
    }
  }

  /**
   * The SOP reports: the time zone their days and months are in, their language, when the monthly
   * set is made (and e-mailed to the recipients who take reports), where the files go, and the
   * LPSE's name for their headings.
   */
  public record Reports(String timezone, String language, CronSchedule schedule, Path outputDir, String lpseName) {
    public Reports {
      timezone = timezone != null ? timezone : "Asia/Jakarta";
      try {
        java.time.ZoneId.of(timezone);
      } catch (java.time.DateTimeException e) {
        throw new InvalidSetting("timezone", "unknown time zone \"" + timezone + "\" (e.g. Asia/Jakarta, Asia/Makassar)");
      }
      language = language != null ? language : "id";
      if (!language.matches("id|en")) {
        throw new InvalidSetting("language", "must be id (Bahasa Indonesia) or en, not \"" + language + "\"");
      }
      schedule = schedule != null ? schedule : CronSchedule.parse("0 7 1 * *");
      lpseName = lpseName != null ? lpseName : "LPSE";
    }
  }

  /**
   * The read-only web page for Kepala LPSE and the assessor, on the collector's listener under
   * {@code /ui/}, behind a login. Users have a password hash made by {@code penjaga-collector
   * hash-password}.
   */
  public record Web(Boolean enabled, Map<String, WebUser> users, Duration sessionTimeout, Boolean secureCookie,
      java.net.URI baseUrl, Duration linkValidity) {
    public Web {
      if (baseUrl != null && (baseUrl.getScheme() == null || !baseUrl.getScheme().matches("https?") || baseUrl.getHost() == null)) {
        throw new InvalidSetting("base-url", "must be the page's address as recipients reach it, e.g. https://penjaga.lpse.example.go.id:8470");
      }
      linkValidity = linkValidity != null ? linkValidity : Duration.ofDays(7);
      if (linkValidity.compareTo(Duration.ofMinutes(5)) < 0) {
        throw new InvalidSetting("link-validity", "must be at least 5m");
      }
      users = users != null ? Collections.unmodifiableMap(new LinkedHashMap<>(users)) : Map.of();
      enabled = enabled != null ? enabled : !users.isEmpty();
      sessionTimeout = sessionTimeout != null ? sessionTimeout : Duration.ofMinutes(30);
      if (sessionTimeout.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new InvalidSetting("session-timeout", "must be at least 1m");
      }
      for (Map.Entry<String, WebUser> u : users.entrySet()) {
        if (!u.getKey().matches("[A-Za-z0-9._-]{1,64}")) {
          throw new InvalidSetting("users." + u.getKey(), "a user name is 1-64 letters, digits, '.', '_' or '-'");
        }
      }
    }
  }

  /** A web user: the hash of the password (never the password), a display name, a role. */
  public record WebUser(@JsonProperty(required = true) String passwordHash, String name, String role) {
    public WebUser {
      if (!passwordHash.startsWith("$argon2id$")) {
        throw new InvalidSetting("password-hash", "must be made by: penjaga-collector hash-password (it starts with $argon2id$)");
      }
      role = role != null ? role : "penilai";
      if (!role.matches("kepala-lpse|admin-sistem|pengelola-kapasitas|penilai")) {
        throw new InvalidSetting("role", "must be kepala-lpse, admin-sistem, pengelola-kapasitas or penilai, not \"" + role + "\"");
      }
    }
  }

  /** The mail server notifications go through. */
  public Optional<Smtp> smtpServer() {
    return Optional.ofNullable(smtp);
  }

  /**
   * The SMTP server: {@code security} none (plain, for a relay on the same host), starttls or tls;
   * a login when {@code password-file} is given ({@code username} defaults to {@code from}).
   */
  public record Smtp(
      @JsonProperty(required = true) String host,
      Integer port,
      String security,
      @JsonProperty(required = true) String from,
      String username,
      SecretFile passwordFile,
      Duration timeout,
      String timezone) {
    public Smtp {
      security = security != null ? security.toLowerCase(Locale.ROOT) : "none";
      if (!security.matches("none|starttls|tls")) {
        throw new InvalidSetting("security", "must be none, starttls or tls, not \"" + security + "\"");
      }
      port = port != null ? port : security.equals("tls") ? 465 : security.equals("starttls") ? 587 : 25;
      if (port < 1 || port > 65535) {
        throw new InvalidSetting("port", "must be between 1 and 65535");
      }
      if (!from.matches("[^@\\s]+@[^@\\s]+")) {
        throw new InvalidSetting("from", "must be an e-mail address, not \"" + from + "\"");
      }
      timeout = timeout != null ? timeout : Duration.ofSeconds(30);
      timezone = timezone != null ? timezone : "Asia/Jakarta";
      try {
        java.time.ZoneId.of(timezone);
      } catch (java.time.DateTimeException e) {
        throw new InvalidSetting("timezone", "unknown time zone \"" + timezone + "\" (e.g. Asia/Jakarta, Asia/Makassar)");
      }
    }
  }

  /**
   * Who is told, of which severities (the LPSE risk scale: low, medium, high), in which language
   * ({@code id}, the default, or {@code en}).
   */
  public record Recipient(
      @JsonProperty(required = true) String address, List<String> severities, String language, String name,
      Boolean reports) {
    public Recipient {
      reports = reports != null ? reports : Boolean.TRUE;
      if (!address.matches("[^@\\s]+@[^@\\s]+")) {
        throw new InvalidSetting("address", "must be an e-mail address, not \"" + address + "\"");
      }
      severities = severities != null ? List.copyOf(severities) : List.of("medium", "high");
      for (String sv : severities) {
        if (!sv.matches("low|medium|high")) {
          throw new InvalidSetting("severities", "must be low, medium or high, not \"" + sv + "\"");
        }
      }
      language = language != null ? language : "id";
      if (!language.matches("id|en")) {
        throw new InvalidSetting("language", "must be id (Bahasa Indonesia) or en, not \"" + language + "\"");
      }
    }
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
      CronSchedule housekeeping,
      Integer rateLimit,
      Path tlsCertFile,
      SecretFile tlsKeyFile,
      Path clientCaFile,
      Duration tlsReloadEvery,
      Duration keepCapacity,
      SecretFile storePasswordFile,
      Path dataDir) {
    public Server {
      keepCapacity = keepCapacity != null ? keepCapacity : Duration.ofDays(400);
      if (keepCapacity.compareTo(Duration.ofDays(92)) < 0) {
        throw new InvalidSetting("keep-capacity", "must be at least 92d: the capacity report's long-term trend reads 90 days");
      }
      if (clientCaFile != null && tlsCertFile == null) {
        throw new InvalidSetting("client-ca-file", "client certificates need HTTPS: set tls-cert-file and tls-key-file too");
      }
      if (clientCaFile != null && !java.nio.file.Files.isReadable(clientCaFile)) {
        throw new InvalidSetting("client-ca-file", "cannot read " + clientCaFile);
      }
      tlsReloadEvery = tlsReloadEvery != null ? tlsReloadEvery : Duration.ofMinutes(1);
      if (tlsReloadEvery.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new InvalidSetting("tls-reload-every", "must be at least 1s");
      }
      if ((tlsCertFile == null) != (tlsKeyFile == null)) {
        throw new InvalidSetting(tlsCertFile == null ? "tls-cert-file" : "tls-key-file",
            "HTTPS needs both tls-cert-file (PEM certificate chain) and tls-key-file (PEM key, mode 0600)");
      }
      if (tlsCertFile != null && !java.nio.file.Files.isReadable(tlsCertFile)) {
        throw new InvalidSetting("tls-cert-file", "cannot read " + tlsCertFile);
      }
      rateLimit = rateLimit != null ? rateLimit : 20;
      if (rateLimit < 1) {
        throw new InvalidSetting("rate-limit", "must be at least 1 request a second");
      }
      listen = listen != null ? listen : new HostPort("127.0.0.1", 8470);
      store = store != null ? store : "/var/lib/penjaga/collector/collector.db";
      if (store.startsWith("jdbc:") && !store.startsWith("jdbc:sqlite:") && !store.startsWith("jdbc:postgresql://")) {
        throw new InvalidSetting("store", "must be an SQLite file (a path or jdbc:sqlite:PATH) or a PostgreSQL"
            + " database (jdbc:postgresql://HOST:PORT/DATABASE?user=NAME)");
      }
      boolean postgres = store.startsWith("jdbc:postgresql://");
      if (postgres && store.toLowerCase(Locale.ROOT).matches(".*[?&]password=.*")) {
        throw new InvalidSetting("store",
            "the database password does not belong in the URL: put it in a file of mode 0600 named by store-password-file");
      }
      if (!postgres && storePasswordFile != null) {
        throw new InvalidSetting("store-password-file", "only a PostgreSQL store takes a password");
      }
      if (dataDir == null) {
        Path parent = postgres ? null : sqliteFile(store).toAbsolutePath().getParent();
        dataDir = parent != null ? parent : Path.of("/var/lib/penjaga/collector");
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

    /** Whether the store is a PostgreSQL database (else an SQLite file). */
    public boolean postgres() {
      return store.startsWith("jdbc:postgresql:");
    }

    /** The store's SQLite file (only for an SQLite store). */
    public Path storeFile() {
      if (postgres()) {
        throw new IllegalStateException("the store is a PostgreSQL database, not a file");
      }
      return sqliteFile(store);
    }

    private static Path sqliteFile(String store) {
      return Path.of(store.startsWith("jdbc:sqlite:") ? store.substring("jdbc:sqlite:".length()) : store);
    }

    /**
     * A file kept beside the store (the evidence head, the decision-link key): next to the SQLite
     * file, named after it; in {@code data-dir} for a PostgreSQL store. Null for an in-memory store.
     */
    public Path besideStore(String suffix) {
      if (postgres()) {
        return dataDir.resolve("collector" + suffix);
      }
      Path f = storeFile();
      String name = f.getFileName() == null ? "" : f.getFileName().toString();
      return name.isEmpty() || name.startsWith(":memory:") ? null : f.resolveSibling(name + suffix);
    }

    /** The PostgreSQL password from {@code store-password-file}, or null. */
    public String storePassword() throws java.io.IOException {
      return storePasswordFile == null ? null : storePasswordFile.read();
    }
  }

  /**
   * An agent allowed to report, and the token it proves itself with; during a token rollover also
   * the next token (both are accepted until the agent uses the new one and the old is removed).
   */
  public record AgentEntry(SecretFile tokenFile, SecretFile nextTokenFile) {}

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
