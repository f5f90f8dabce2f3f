package id.penjaga.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    Logging logging,
    RepositoryTarget repository,
    Map<String, RepositoryTarget> copies,
    Map<String, Source> sources,
    Retention retention,
    Schedules schedule,
    RestoreTest restoreTest,
    Map<String, LogSet> logs,
    LogAnalysis logAnalysis,
    Capacity capacity) {

  public static final Path DEFAULT_FILE = Path.of("/etc/penjaga/agent.yaml");

  /** Where the agent keeps its state when {@code agent.state-dir} does not say. */
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/penjaga/agent");

  public AgentConfig {
    metrics = metrics != null ? metrics : new Metrics(null, null);
    heartbeat = heartbeat != null ? heartbeat : new Heartbeat(null);
    spool = spool != null ? spool : new Spool(null);
    logging = logging != null ? logging : new Logging(null, null);
    copies = copies != null ? Collections.unmodifiableMap(new LinkedHashMap<>(copies)) : Map.of();
    for (String name : copies.keySet()) {
      if (!SOURCE_NAME.matcher(name).matches() || name.equals(MAIN_TARGET)) {
        throw new InvalidSetting(
            "copies." + name,
            "a copy's name must be 1-63 lower-case letters, digits, '.', '_' or '-', and not '"
                + MAIN_TARGET + "'");
      }
    }
    if (!copies.isEmpty() && repository == null) {
      throw new InvalidSetting("copies", "copies need a main 'repository' first");
    }
    sources = sources != null ? Collections.unmodifiableMap(new LinkedHashMap<>(sources)) : Map.of();
    for (String name : sources.keySet()) {
      if (!SOURCE_NAME.matcher(name).matches()) {
        throw new InvalidSetting(
            "sources." + name,
            "a source name must be 1-63 lower-case letters, digits, '.', '_' or '-'");
      }
    }
    retention = retention != null ? retention : new Retention(null, null, null, null, null, null, null, null);
    schedule = schedule != null ? schedule : new Schedules(null, null, null, null, null, null);
    restoreTest = restoreTest != null ? restoreTest : new RestoreTest(null, null, null, null, null, null);
    logs = logs != null ? Collections.unmodifiableMap(new LinkedHashMap<>(logs)) : Map.of();
    logAnalysis = logAnalysis != null ? logAnalysis : new LogAnalysis(null, null);
    capacity = capacity != null ? capacity : new Capacity(null, null, null, null, null, null, null, null, null);
    for (String db : capacity.databases()) {
      if (sources.get(db) == null || !sources.get(db).isPostgresql()) {
        throw new InvalidSetting("capacity.databases", "no postgresql source " + db + " in sources");
      }
    }
    for (String name : logs.keySet()) {
      if (!SOURCE_NAME.matcher(name).matches()) {
        throw new InvalidSetting(
            "logs." + name, "a log set's name must be 1-63 lower-case letters, digits, '.', '_' or '-'");
      }
    }
  }

  private static final Pattern SOURCE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  /** The name of the main repository among the targets. */
  public static final String MAIN_TARGET = "main";

  /** The backup repository; empty when none is configured. */
  public Optional<RepositoryTarget> repositoryTarget() {
    return Optional.ofNullable(repository);
  }

  /**
   * Every target a backup goes to, by name: the main repository ({@value #MAIN_TARGET}) first,
   * then each copy (another disk, another server). Each is a repository of its own.
   */
  public Map<String, RepositoryTarget> targets() {
    Map<String, RepositoryTarget> all = new LinkedHashMap<>();
    if (repository != null) {
      all.put(MAIN_TARGET, repository);
    }
    all.putAll(copies);
    return all;
  }

  /**
   * Where backups go: a local directory (a mounted portable disk or NAS) or {@code
   * sftp://user@host:port/path}. An SFTP host's key is pinned by a known_hosts file or a {@code
   * SHA256:} fingerprint.
   */
  public record RepositoryTarget(
      @JsonProperty(required = true) String path,
      @JsonProperty(required = true) SecretFile passwordFile,
      Path identityFile,
      Path knownHosts,
      String hostKey,
      Duration timeout,
      Rotation rotation) {
    public RepositoryTarget {
      if (path.isBlank()) {
        throw new InvalidSetting("path", "must not be empty");
      }
      boolean sftp = path.startsWith("sftp://");
      if (!sftp && path.contains("://")) {
        throw new InvalidSetting("path", "must be a directory or an sftp://user@host:port/path address");
      }
      if (sftp && knownHosts == null && hostKey == null) {
        throw new InvalidSetting(
            "known-hosts",
            "an sftp repository needs its host key pinned: give known-hosts (a file) or host-key"
                + " (SHA256:...)");
      }
      if (hostKey != null && !hostKey.matches("SHA256:[A-Za-z0-9+/]{43}=?")) {
        throw new InvalidSetting("host-key", "must be a SHA256:... fingerprint as ssh-keygen -lf prints it");
      }
      timeout = timeout != null ? timeout : Duration.ofSeconds(30);
    }
  }

  /**
   * Backup media used in turn at the same place (e.g. USB disks A, B and C, a week each): each
   * repository's medium name is written by {@code init --medium-name}; a run that finds a medium
   * out of turn, or a medium unused for a whole round, is reported.
   */
  public record Rotation(@JsonProperty(required = true) List<String> media, Duration every) {
    public Rotation {
      if (media.size() < 2) {
        throw new InvalidSetting("media", "a rotation needs at least two media, in their order");
      }
      if (new java.util.HashSet<>(media).size() != media.size()) {
        throw new InvalidSetting("media", "each medium once");
      }
      media = List.copyOf(media);
      every = every != null ? every : Duration.ofDays(7);
      if (every.compareTo(Duration.ofHours(1)) < 0) {
        throw new InvalidSetting("every", "must be at least 1h");
      }
    }
  }

  /**
   * Something to back up. {@code type: files} is a directory tree ({@code path}, {@code exclude},
   * {@code one-file-system}); {@code type: postgresql} is one database or all of a server's,
   * dumped with the server's own {@code pg_dump} and streamed into the repository ({@code host},
   * {@code port}, {@code user}, {@code database}, {@code password-file}, {@code bin-dir}, {@code
   * globals}).
   */
  public record Source(
      @JsonProperty(required = true) String type,
      Path path,
      List<String> exclude,
      Boolean oneFileSystem,
      String host,
      Integer port,
      String user,
      String database,
      SecretFile passwordFile,
      Path binDir,
      Boolean globals) {
    public static final String FILES = "files";
    public static final String POSTGRESQL = "postgresql";

    public Source {
      if (type.equals(FILES)) {
        only(POSTGRESQL, "host", host, "port", port, "user", user, "database", database);
        only(POSTGRESQL, "password-file", passwordFile, "bin-dir", binDir, "globals", globals);
        if (path == null) {
          throw new InvalidSetting("path", "a files source needs the path of the directory to back up");
        }
        if (!path.isAbsolute()) {
          throw new InvalidSetting("path", "must be an absolute path, not " + path);
        }
        exclude = exclude != null ? List.copyOf(exclude) : List.of();
        oneFileSystem = oneFileSystem != null ? oneFileSystem : Boolean.FALSE;
      } else if (type.equals(POSTGRESQL)) {
        only(FILES, "path", path, "exclude", exclude, "one-file-system", oneFileSystem);
        host = host != null ? host : "/var/run/postgresql";
        if (host.isBlank()) {
          throw new InvalidSetting("host", "must be a socket directory or a host name");
        }
        port = port != null ? port : 5432;
        if (port < 1 || port > 65535) {
          throw new InvalidSetting("port", "must be between 1 and 65535, not " + port);
        }
        user = user != null ? user : "postgres";
        if (database == null || database.isBlank()) {
          throw new InvalidSetting(
              "database", "a postgresql source needs the database to dump, or 'all' for every one");
        }
        if (binDir != null && !binDir.isAbsolute()) {
          throw new InvalidSetting("bin-dir", "must be an absolute path, not " + binDir);
        }
        globals = globals != null ? globals : Boolean.TRUE;
        exclude = List.of();
      } else {
        throw new InvalidSetting(
            "type", "unknown source type \"" + type + "\" (known: files, postgresql)");
      }
    }

    public boolean isPostgresql() {
      return POSTGRESQL.equals(type);
    }

    /** Whether every database of the server is dumped, not one. */
    public boolean allDatabases() {
      return "all".equals(database);
    }

    /** Refuses keys of the other source type, by pairs of (key, value). */
    private static void only(String otherType, Object... keysAndValues) {
      for (int i = 0; i < keysAndValues.length; i += 2) {
        if (keysAndValues[i + 1] != null) {
          throw new InvalidSetting(
              (String) keysAndValues[i], "applies only to sources of type " + otherType);
        }
      }
    }
  }

  /**
   * What {@code penjaga-agent run} does by itself, as crontab schedules: the daily backup of every
   * source to every target (then {@code forget --prune} by the retention rules), a weekly {@code
   * check} and a monthly {@code check --read-data} of a share of the data. A schedule set to
   * {@code off} is not run.
   */
  public record Schedules(
      String backup,
      String check,
      String checkReadData,
      String readDataSubset,
      Boolean prune,
      String rotateLogs) {
    public Schedules {
      rotateLogs = cron("rotate-logs", rotateLogs, "5 * * * *");
      backup = cron("backup", backup, "30 1 * * *");
      check = cron("check", check, "0 3 * * 0");
      checkReadData = cron("check-read-data", checkReadData, "0 4 1 * *");
      readDataSubset = readDataSubset != null ? readDataSubset.trim() : "5%";
      if (!readDataSubset.matches("(100|[1-9][0-9]?)(\\.[0-9]+)?%")) {
        throw new InvalidSetting("read-data-subset", "must be a share such as 5%, not \"" + readDataSubset + "\"");
      }
      prune = prune != null ? prune : Boolean.TRUE;
    }

    static String cron(String key, String value, String dflt) {
      if (value == null) {
        return dflt;
      }
      if (value.equals("off")) {
        return value;
      }
      try {
        return CronSchedule.parse(value).written();
      } catch (IllegalArgumentException e) {
        throw new InvalidSetting(key, e.getMessage());
      }
    }

    /** The Quartz form of a schedule, or empty when it is off. */
    public static Optional<String> quartz(String written) {
      return written.equals("off") ? Optional.empty() : Optional.of(CronSchedule.parse(written).quartz());
    }
  }

  /**
   * Which snapshots {@code forget} keeps, per source (restic's semantics; -1 is unlimited). The
   * newest pre-change backup of each source is kept for {@code keep-pre-change} whatever the rest
   * says.
   */
  public record Retention(
      Integer keepLast,
      Integer keepHourly,
      Integer keepDaily,
      Integer keepWeekly,
      Integer keepMonthly,
      Integer keepYearly,
      Duration keepWithin,
      Duration keepPreChange) {
    public Retention {
      keepLast = count("keep-last", keepLast);
      keepHourly = count("keep-hourly", keepHourly);
      keepDaily = count("keep-daily", keepDaily);
      keepWeekly = count("keep-weekly", keepWeekly);
      keepMonthly = count("keep-monthly", keepMonthly);
      keepYearly = count("keep-yearly", keepYearly);
      keepPreChange = keepPreChange != null ? keepPreChange : Duration.ofDays(90);
    }

    private static Integer count(String key, Integer n) {
      if (n == null) {
        return 0;
      }
      if (n < -1) {
        throw new InvalidSetting(key, "must be 0 or more, or -1 for unlimited");
      }
      return n;
    }
  }

  /**
   * The restore test (SOP 10 step 5: at least once every three months, by random sampling): when
   * it runs, where it restores to, how many files it samples per files source ({@code files}, or
   * {@code files-percent} of them when that is more), among the snapshots
   * of how long a past it picks, and the queries a restored database must answer.
   */
  public record RestoreTest(
      String schedule,
      Path scratchDir,
      Integer files,
      Double filesPercent,
      Duration within,
      List<String> sanityQueries) {
    public RestoreTest {
      schedule = Schedules.cron("schedule", schedule, "0 2 1 1,4,7,10 *");
      if (scratchDir != null && !scratchDir.isAbsolute()) {
        throw new InvalidSetting("scratch-dir", "must be an absolute path, not " + scratchDir);
      }
      files = files != null ? files : 20;
      if (files < 1) {
        throw new InvalidSetting("files", "must be at least 1");
      }
      filesPercent = filesPercent != null ? filesPercent : 0.0;
      if (filesPercent < 0 || filesPercent > 100) {
        throw new InvalidSetting("files-percent", "must be between 0 and 100");
      }
      within = within != null ? within : Duration.ofDays(92);
      sanityQueries = sanityQueries != null ? List.copyOf(sanityQueries) : List.of();
    }
  }

  /**
   * A set of logs the agent rotates as logrotate would (the same names and contents), keeps for a
   * period, and moves into the backup repository when space runs short (SOP 11). {@code size}
   * alone rotates a file larger than it (logrotate's {@code size}); {@code schedule} alone once a
   * day, week or month; both, whichever comes first (logrotate's {@code maxsize} with a period);
   * neither: the logs are analysed only (rotated by the system's own logrotate).
   */
  public record LogSet(
      @JsonProperty(required = true) List<String> paths,
      DataSize size,
      String schedule,
      Integer rotate,
      Duration maxAge,
      String compress,
      Boolean delayCompress,
      Boolean copyTruncate,
      Boolean missingOk,
      Boolean notIfEmpty,
      Boolean dateExt,
      String dateFormat,
      String createMode,
      String createOwner,
      String postRotate,
      String offloadMinFree,
      DataSize quota,
      String kind,
      List<LogPattern> patterns) {
    public LogSet {
      kind = kind != null ? kind : "app";
      if (!kind.matches("app|access|auth")) {
        throw new InvalidSetting(
            "kind", "must be app (application log), access (web server access log) or auth (login log), not \"" + kind + "\"");
      }
      patterns = patterns != null ? List.copyOf(patterns) : List.of();
      if (paths.isEmpty()) {
        throw new InvalidSetting("paths", "give at least one path or glob of log files");
      }
      for (String p : paths) {
        if (!p.startsWith("/")) {
          throw new InvalidSetting("paths", "must be absolute paths, not " + p);
        }
      }
      paths = List.copyOf(paths);
      if (schedule != null && !schedule.matches("daily|weekly|monthly")) {
        throw new InvalidSetting("schedule", "must be daily, weekly or monthly, not \"" + schedule + "\"");
      }
      rotate = rotate != null ? rotate : 7;
      if (rotate < 0) {
        throw new InvalidSetting("rotate", "must be 0 or more");
      }
      compress = compress != null ? compress : "gzip";
      if (!compress.matches("none|gzip|zstd")) {
        throw new InvalidSetting("compress", "must be none, gzip or zstd, not \"" + compress + "\"");
      }
      delayCompress = delayCompress != null ? delayCompress : Boolean.FALSE;
      copyTruncate = copyTruncate != null ? copyTruncate : Boolean.FALSE;
      missingOk = missingOk != null ? missingOk : Boolean.TRUE;
      notIfEmpty = notIfEmpty != null ? notIfEmpty : Boolean.TRUE;
      dateExt = dateExt != null ? dateExt : Boolean.FALSE;
      dateFormat = dateFormat != null ? dateFormat : "-%Y%m%d";
      if (!dateFormat.matches("[-._A-Za-z0-9%]*") || dateFormat.contains("/")) {
        throw new InvalidSetting("date-format", "may hold only %Y %m %d %H %M %S %s, digits, letters and -._");
      }
      if (createMode != null && !createMode.matches("0?[0-7]{3}")) {
        throw new InvalidSetting("create-mode", "must be an octal mode such as 0640");
      }
      if (createOwner != null && !createOwner.matches("[a-z_][a-z0-9_.-]*(:[a-z_][a-z0-9_.-]*)?")) {
        throw new InvalidSetting("create-owner", "must be user or user:group, not \"" + createOwner + "\"");
      }
      if (offloadMinFree != null && !offloadMinFree.matches("(100|[1-9]?[0-9])%")) {
        throw new InvalidSetting("offload-min-free", "must be a share of the file system such as 10%");
      }
    }

    public boolean compressed() {
      return !compress.equals("none");
    }

    /** The suffix of compressed files: .gz or .zst. */
    public String compressSuffix() {
      return switch (compress) {
        case "gzip" -> ".gz";
        case "zstd" -> ".zst";
        default -> "";
      };
    }
  }

  /** A pattern the log analysis counts and reports, with how serious a match is. */
  public record LogPattern(
      @JsonProperty(required = true) String name,
      @JsonProperty(required = true) String regex,
      String severity) {
    public LogPattern {
      try {
        java.util.regex.Pattern.compile(regex);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw new InvalidSetting("regex", "is not a valid regular expression: " + e.getDescription());
      }
      severity = severity != null ? severity : "low";
      if (!severity.matches("low|medium|high")) {
        throw new InvalidSetting("severity", "must be low, medium or high, not \"" + severity + "\"");
      }
    }
  }

  /** When the logs are analysed, and when failed logins make a finding. */
  public record LogAnalysis(String schedule, Integer failedLoginsPerAddress) {
    public LogAnalysis {
      schedule = Schedules.cron("schedule", schedule, "15 6 * * *");
      failedLoginsPerAddress = failedLoginsPerAddress != null ? failedLoginsPerAddress : 10;
      if (failedLoginsPerAddress < 1) {
        throw new InvalidSetting("failed-logins-per-address", "must be at least 1");
      }
    }
  }

  /**
   * Capacity sampling (SOP: daily monitoring of disk and RAM against acceptable limits, CPU,
   * traffic, the SPSE site and the internet link, database growth): what is sampled, how often,
   * and over what period samples are summed up (min, average, max) into a capacity record.
   */
  public record Capacity(
      Boolean enabled,
      Duration interval,
      Duration period,
      List<String> samplers,
      List<String> excludeFsTypes,
      List<ProcessWatch> processes,
      List<HttpProbe> httpProbes,
      List<String> tcpProbes,
      List<String> databases) {
    public static final List<String> ALL_SAMPLERS =
        List.of("cpu", "memory", "filesystems", "disks", "network", "system", "processes", "probes", "databases");

    public Capacity {
      enabled = enabled != null ? enabled : Boolean.TRUE;
      interval = interval != null ? interval : Duration.ofSeconds(60);
      if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new InvalidSetting("interval", "must be at least 1s");
      }
      period = period != null ? period : Duration.ofMinutes(15);
      if (period.compareTo(interval) < 0) {
        throw new InvalidSetting("period", "must be at least the interval");
      }
      samplers = samplers != null ? List.copyOf(samplers) : ALL_SAMPLERS;
      for (String sm : samplers) {
        if (!ALL_SAMPLERS.contains(sm)) {
          throw new InvalidSetting("samplers", "unknown sampler \"" + sm + "\" (known: " + String.join(", ", ALL_SAMPLERS) + ")");
        }
      }
      excludeFsTypes =
          excludeFsTypes != null
              ? List.copyOf(excludeFsTypes)
              : List.of("tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2",
                  "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "autofs",
                  "fusectl", "configfs", "hugetlbfs", "ramfs", "nsfs", "binfmt_misc", "rpc_pipefs");
      processes = processes != null ? List.copyOf(processes) : List.of();
      httpProbes = httpProbes != null ? List.copyOf(httpProbes) : List.of();
      tcpProbes = tcpProbes != null ? List.copyOf(tcpProbes) : List.of();
      for (String t : tcpProbes) {
        if (!t.matches("[^\\s:]+:\\d{1,5}")) {
          throw new InvalidSetting("tcp-probes", "must be host:port, not \"" + t + "\"");
        }
      }
      databases = databases != null ? List.copyOf(databases) : List.of();
    }

    public boolean uses(String sampler) {
      return enabled && samplers.contains(sampler);
    }
  }

  /** A process that must be running: {@code match} is a regular expression on its command line. */
  public record ProcessWatch(@JsonProperty(required = true) String name, @JsonProperty(required = true) String match) {
    public ProcessWatch {
      try {
        java.util.regex.Pattern.compile(match);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw new InvalidSetting("match", "is not a valid regular expression: " + e.getDescription());
      }
    }
  }

  /** An HTTP(S) address that must answer, such as the SPSE site. */
  public record HttpProbe(@JsonProperty(required = true) String name, @JsonProperty(required = true) URI url, Duration timeout) {
    public HttpProbe {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
        throw new InvalidSetting("url", "\"" + url + "\" must be an http:// or https:// address with a host");
      }
      timeout = timeout != null ? timeout : Duration.ofSeconds(10);
    }
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
      stateDir = stateDir != null ? stateDir : DEFAULT_STATE_DIR;
    }
  }

  /** The collector this agent reports to, and the token that proves who it is. */
  public record CollectorLink(
      @JsonProperty(required = true) URI url,
      SecretFile tokenFile,
      Duration timeout,
      Integer batchSize,
      Path caFile,
      Boolean allowPlainHttp,
      String pinSha256,
      Path clientCertFile,
      SecretFile clientKeyFile) {
    /** TLS settings for the client. */
    public id.penjaga.agent.report.CollectorTls tls() throws java.io.IOException {
      return new id.penjaga.agent.report.CollectorTls(caFile, pinSha256, clientCertFile,
          clientKeyFile == null ? null : clientKeyFile.read());
    }

    /** The bearer token, or null when the agent uses its client certificate only. */
    public String token() throws java.io.IOException {
      return tokenFile == null ? null : tokenFile.read();
    }

    public CollectorLink {
      if (tokenFile == null && clientCertFile == null) {
        throw new InvalidSetting("token-file", "required key is missing: the agent proves itself with token-file, or with"
            + " client-cert-file and client-key-file (mutual TLS)");
      }
      if ((clientCertFile == null) != (clientKeyFile == null)) {
        throw new InvalidSetting(clientCertFile == null ? "client-cert-file" : "client-key-file",
            "mutual TLS needs both client-cert-file (PEM certificate) and client-key-file (PEM PKCS#8 key, mode 0600)");
      }
      if (clientCertFile != null && !java.nio.file.Files.isReadable(clientCertFile)) {
        throw new InvalidSetting("client-cert-file", "cannot read " + clientCertFile);
      }
      if (pinSha256 != null) {
        try {
          id.penjaga.agent.report.CollectorTls.parsePin(pinSha256);
        } catch (IllegalArgumentException e) {
          throw new InvalidSetting("pin-sha256", e.getMessage());
        }
      }
      allowPlainHttp = allowPlainHttp != null ? allowPlainHttp : Boolean.FALSE;
      if (url.getScheme() != null && url.getScheme().equalsIgnoreCase("http") && url.getHost() != null
          && !url.getHost().matches("127\\.0\\.0\\.1|localhost|\\[?::1\\]?") && !allowPlainHttp) {
        throw new InvalidSetting(
            "url",
            "plain http to a collector on another host would send the token in the clear: use https://"
                + " (with ca-file) or, on a trusted network only, allow-plain-http: true");
      }
      if (clientCertFile != null && url.getScheme() != null && url.getScheme().equalsIgnoreCase("http")) {
        throw new InvalidSetting("client-cert-file", "a client certificate needs an https:// collector url");
      }
      if (caFile != null && !java.nio.file.Files.isReadable(caFile)) {
        throw new InvalidSetting("ca-file", "cannot read " + caFile);
      }
      batchSize = batchSize != null ? batchSize : 200;
      if (batchSize < 1 || batchSize > 1000) {
        throw new InvalidSetting("batch-size", "must be between 1 and 1000");
      }
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
