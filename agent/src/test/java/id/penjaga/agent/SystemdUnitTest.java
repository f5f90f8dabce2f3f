package id.penjaga.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The unit files in systemd/ load cleanly in systemd and keep their hardening.
 *
 * <p>{@code systemd-analyze verify} exits 0 even when it ignores a line it cannot parse, so the
 * test also reads its output. It checks the syntax of every setting and that ExecStart's program
 * (/usr/bin/java) exists; it does not look up User=/Group= or the paths in ReadWritePaths=, and
 * the jar is only an argument. PID 1 need not be systemd.
 */
class SystemdUnitTest {
  static final String ANALYZE = "systemd-analyze";
  static final Pattern PROBLEM =
      Pattern.compile("\\b(unknown|failed|invalid|bad)\\b", Pattern.CASE_INSENSITIVE);
  static final Pattern EXPOSURE =
      Pattern.compile("Overall exposure level for \\S+: (\\d+(?:\\.\\d+)?)");

  @TempDir Path dir;

  static Path projectRoot() {
    return Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath().normalize();
  }

  static Stream<String> units() {
    return Stream.of("penjaga-agent.service", "penjaga-collector.service");
  }

  record Result(int exit, String output) {
    List<String> problemsAbout(String unit) {
      return output.lines().filter(l -> l.contains(unit) && PROBLEM.matcher(l).find()).toList();
    }
  }

  /** The unit's path in a fresh directory, so that nothing else there is loaded with it. */
  Path copy(String unit) throws IOException {
    Path source = projectRoot().resolve("systemd").resolve(unit);
    assertThat(source).as("unit file").isRegularFile();
    return Files.copy(source, dir.resolve(unit));
  }

  /** systemd-analyze's path; fails under CI (which installs it), else skips the test. */
  static String analyze() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, ANALYZE);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    String why =
        ANALYZE + " is not installed (Debian package: systemd; bash .ci/test installs it)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why);
    }
    assumeTrue(false, why + ": skipping the systemd unit checks");
    return null;
  }

  static Result run(String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("SYSTEMD_PAGER", "");
    pb.environment().put("SYSTEMD_COLORS", "0");
    pb.environment().put("SYSTEMD_LOG_COLOR", "0");
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not finish within 60 s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @MethodSource("units")
  void verifies(String unit) throws Exception {
    String analyze = analyze();
    Path file = copy(unit);

    Result r = run(analyze, "verify", file.toString());

    System.out.println("== " + ANALYZE + " verify " + unit + " (exit " + r.exit() + ")");
    System.out.print(r.output());
    assertThat(r.exit()).as("exit code of verify; output:%n%s", r.output()).isZero();
    assertThat(r.problemsAbout(unit)).as("verify's complaints about " + unit).isEmpty();
  }

  /** The check above would notice a broken unit: verify reports it, if only in its output. */
  @Test
  void verifyReportsWhatItIgnores() throws Exception {
    String analyze = analyze();
    Path file = dir.resolve("penjaga-broken.service");
    Files.writeString(
        file,
        "[Service]\nExecStart=/bin/sh -c true\nProtectSystem=bogus\nNoNewPrivileges=yes\n"
            + "RestartSecs=10s\n");

    Result r = run(analyze, "verify", file.toString());

    assertThat(r.problemsAbout("penjaga-broken.service")).hasSize(2);
  }

  @ParameterizedTest
  @MethodSource("units")
  void exposureScore(String unit) throws Exception {
    String analyze = analyze();
    assumeTrue(
        run(analyze, "--help").output().contains("--offline"),
        "this " + ANALYZE + " has no --offline (systemd 250 or later has)");
    Path file = copy(unit);

    Result r = run(analyze, "security", "--offline=yes", "--no-pager", file.toString());

    assertThat(r.exit()).as("exit code of security; output:%n%s", r.output()).isZero();
    Matcher m = EXPOSURE.matcher(r.output());
    assertThat(m.find()).as("exposure level in:%n%s", r.output()).isTrue();
    double score = Double.parseDouble(m.group(1));
    System.out.println("== " + unit + ": exposure level " + score + " (0 best, 10 worst)");
    // The limits the security issue sets: the agent reads the upload tree, runs pg_dump and reaches
    // its targets; the collector needs far less.
    assertThat(score).isBetween(0.0, unit.contains("agent") ? 4.5 : 2.5);
  }

  @ParameterizedTest
  @MethodSource("units")
  void keepsItsHardening(String unit) throws IOException {
    List<String> settings = settings(projectRoot().resolve("systemd").resolve(unit));

    assertThat(settings)
        .contains(
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "PrivateDevices=yes",
            "Restart=on-failure",
            "SuccessExitStatus=143",
            "CapabilityBoundingSet=",
            "UMask=0077")
        // The JIT needs writable and executable memory: the JVM would not start.
        .doesNotContain("MemoryDenyWriteExecute=yes")
        .anyMatch(s -> s.startsWith("ProtectHome="))
        .anyMatch(s -> s.matches("MemoryMax=\\d+[KMG]"))
        .anyMatch(s -> s.startsWith("ExecStart=/usr/bin/java "));
  }

  @Test
  void agentCanReadTheUploadTreeAndStaysLow() throws IOException {
    List<String> settings =
        settings(projectRoot().resolve("systemd").resolve("penjaga-agent.service"));

    assertThat(settings)
        .contains(
            "ProtectHome=read-only",
            "MemoryMax=256M",
            "Nice=10",
            "IOSchedulingClass=idle",
            "StateDirectory=penjaga/agent",
            "CacheDirectory=penjaga/agent")
        // scratch files (the index of a large repository) on disk, in the cache directory
        .anyMatch(s -> s.startsWith("ExecStart=/usr/bin/java -Djava.io.tmpdir=/var/cache/penjaga/agent "));
  }

  /** The file's settings, one "Key=value" each, comments and section headers left out. */
  static List<String> settings(Path unit) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(unit, StandardCharsets.UTF_8)) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#") && !s.startsWith(";") && !s.startsWith("[")) {
        out.add(s);
      }
    }
    return out;
  }
}
