package id.penjaga.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.DataSize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation compared with the real logrotate (the Debian package) on identical copies of the same
 * log trees over several rounds of writing: the same files kept, with the same contents.
 */
class LogRotatorTest {
  @TempDir Path dir;

  static AgentConfig.LogSet set(
      Path logs, Long size, String schedule, int rotate, String compress, boolean delay, boolean copyTruncate,
      boolean dateExt, String dateFormat) {
    return new AgentConfig.LogSet(
        List.of(logs + "/*.log"), size == null ? null : new DataSize(size), schedule, rotate, null, compress,
        delay, copyTruncate, true, true, dateExt, dateFormat, null, null, null, null, null, null, null);
  }

  /** logrotate's configuration for the same set. */
  static String logrotateConf(Path logs, AgentConfig.LogSet s) {
    StringBuilder sb = new StringBuilder(logs + "/*.log {\n");
    if (s.size() != null) {
      sb.append("  size ").append(s.size().bytes()).append('\n');
    }
    sb.append("  rotate ").append(s.rotate()).append('\n');
    if (s.compressed()) {
      sb.append("  compress\n");
    }
    if (s.delayCompress()) {
      sb.append("  delaycompress\n");
    }
    sb.append(s.copyTruncate() ? "  copytruncate\n" : "  create\n");
    if (s.dateExt()) {
      sb.append("  dateext\n  dateformat ").append(s.dateFormat()).append('\n');
    }
    sb.append("  missingok\n  notifempty\n}\n");
    return sb.toString();
  }

  static void append(Path logs, int round) throws IOException {
    for (String name : List.of("a.log", "b.log")) {
      StringBuilder sb = new StringBuilder();
      for (int i = 1; i <= round * 7 + (name.equals("b.log") ? 3 : 0); i++) {
        sb.append("2026-11-2").append(round).append(" INFO round ").append(round).append(" line ").append(i)
            .append(" of ").append(name).append('\n');
      }
      Files.writeString(logs.resolve(name), sb, StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
    Files.writeString(logs.resolve("kosong.log"), "");
  }

  /** File name to decompressed content. */
  static Map<String, String> contents(Path logs) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(logs)) {
      for (Path p : s.toList()) {
        byte[] b;
        try (InputStream in = p.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(p)) : Files.newInputStream(p)) {
          b = in.readAllBytes();
        }
        out.put(p.getFileName().toString(), new String(b, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  void compareWithLogrotate(AgentConfig.LogSet mine, Path pjLogs, Path lrLogs, int rounds, boolean pause)
      throws Exception {
    Files.createDirectories(pjLogs);
    Files.createDirectories(lrLogs);
    Path conf = dir.resolve("logrotate.conf");
    AgentConfig.LogSet theirs = set(lrLogs, mine.size() == null ? null : mine.size().bytes(), mine.schedule(),
        mine.rotate(), mine.compress(), mine.delayCompress(), mine.copyTruncate(), mine.dateExt(), mine.dateFormat());
    Files.writeString(conf, logrotateConf(lrLogs, theirs));
    LogRotator rotator = new LogRotator(dir.resolve("state.json"), Clock.systemDefaultZone());
    for (int round = 1; round <= rounds; round++) {
      append(pjLogs, round);
      append(lrLogs, round);
      Process p = new ProcessBuilder("logrotate", "-s", dir.resolve("lr.state").toString(), conf.toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      LogRotator.Result r = rotator.rotate("uji", mine, false);
      assertThat(r.errors()).isEmpty();
      Map<String, String> expected = contents(lrLogs);
      Map<String, String> actual = contents(pjLogs);
      if (mine.dateExt()) {
        // Date names come from each tool's own clock: compare them in order, by content.
        assertThat(List.copyOf(actual.values())).as("round %d", round).isEqualTo(List.copyOf(expected.values()));
        assertThat(actual.keySet().stream().map(LogRotatorTest::undated).toList())
            .as("round %d", round)
            .isEqualTo(expected.keySet().stream().map(LogRotatorTest::undated).toList());
      } else {
        assertThat(actual).as("round %d", round).isEqualTo(expected);
      }
      if (pause) {
        Thread.sleep(1100);
      }
    }
  }

  static String undated(String name) {
    return name.replaceAll("-\\d{8}-\\d{6}", "-DATE");
  }

  @Test
  void sizeTriggerRotateCountCompressAndDelayMatchLogrotate() throws Exception {
    Path logs = dir.resolve("pj");
    compareWithLogrotate(set(logs, 100L, null, 3, "gzip", true, false, false, "-%Y%m%d"), logs, dir.resolve("lr"), 6, false);
    assertThat(contents(logs)).containsKeys("a.log.1", "a.log.2.gz", "a.log.3.gz", "kosong.log");
  }

  @Test
  void copyTruncateWithoutDelayMatchesLogrotate() throws Exception {
    Path logs = dir.resolve("pj");
    compareWithLogrotate(set(logs, 150L, null, 2, "gzip", false, true, false, "-%Y%m%d"), logs, dir.resolve("lr"), 5, false);
    assertThat(contents(logs)).containsKeys("a.log", "a.log.1.gz", "a.log.2.gz");
  }

  @Test
  void dateNamesMatchLogrotate() throws Exception {
    Path logs = dir.resolve("pj");
    compareWithLogrotate(
        set(logs, 100L, null, 2, "gzip", true, false, true, "-%Y%m%d-%H%M%S"), logs, dir.resolve("lr"), 4, true);
    try (Stream<Path> s = Files.list(logs)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("a.log-")).toList()).hasSize(2);
    }
  }

  @Test
  void dailyRotationFollowsTheInjectedClockAndFirstSightOnlyRemembers() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("pj"));
    Files.writeString(logs.resolve("app.log"), "hari pertama\n");
    AgentConfig.LogSet daily = set(logs, null, "daily", 2, "none", false, false, false, "-%Y%m%d");
    ZoneId wib = ZoneId.of("Asia/Jakarta");
    Instant day1 = Instant.parse("2026-11-24T01:00:00Z");
    Path state = dir.resolve("state.json");
    assertThat(new LogRotator(state, Clock.fixed(day1, wib)).rotate("app", daily, false).rotated()).isEmpty();
    // Later the same day: nothing. The next day: rotated.
    assertThat(new LogRotator(state, Clock.fixed(day1.plus(Duration.ofHours(10)), wib)).rotate("app", daily, false).rotated()).isEmpty();
    assertThat(new LogRotator(state, Clock.fixed(day1.plus(Duration.ofHours(20)), wib)).rotate("app", daily, false).rotated())
        .containsExactly(logs.resolve("app.log"));
    assertThat(Files.readString(logs.resolve("app.log.1"))).isEqualTo("hari pertama\n");
    assertThat(logs.resolve("app.log")).isEmptyFile();
  }

  @Test
  void aWriterThatReopensAfterRotationLosesNoLine() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("pj"));
    Path file = logs.resolve("spse.log");
    Path reopen = dir.resolve("reopen");
    AgentConfig.LogSet s =
        new AgentConfig.LogSet(
            List.of(file.toString()), new DataSize(1), null, 50, null, "gzip", true, false, true, true, false,
            "-%Y%m%d", "0640", null, "touch " + reopen, null, null, null, null);
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> failures = new ArrayList<>();
    long[] written = new long[1];
    Thread writer =
        new Thread(
            () -> {
              try {
                var out = Files.newBufferedWriter(file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                long n = 0;
                while (!stop.get()) {
                  out.write("baris " + (n++) + "\n");
                  out.flush();
                  if (Files.exists(reopen)) {
                    // as an application told by post-rotate: close and open its log again
                    Files.delete(reopen);
                    out.close();
                    out = Files.newBufferedWriter(file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                  }
                }
                out.close();
                written[0] = n;
              } catch (IOException e) {
                failures.add(e);
              }
            });
    writer.start();
    LogRotator rotator = new LogRotator(dir.resolve("state.json"), Clock.systemDefaultZone());
    for (int i = 0; i < 20; i++) {
      Thread.sleep(50);
      assertThat(rotator.rotate("spse", s, false).errors()).isEmpty();
    }
    stop.set(true);
    writer.join();
    assertThat(failures).isEmpty();
    assertThat(written[0]).isGreaterThan(1000);
    // Every line, exactly once, across the current log and the rotated ones.
    long[] seen = new long[(int) written[0]];
    for (String content : contents(logs).values()) {
      for (String line : content.split("\n")) {
        if (!line.isEmpty()) {
          seen[Integer.parseInt(line.substring("baris ".length()))]++;
        }
      }
    }
    for (int i = 0; i < seen.length; i++) {
      assertThat(seen[i]).as("line %d", i).isEqualTo(1);
    }
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(LogRotator.fromOctal("0640"));
  }

  @Test
  void maxAgeRemovesOldRotatedLogsAndCreateOwnerApplies() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("pj"));
    Path log = logs.resolve("app.log");
    for (int i = 1; i <= 3; i++) {
      Files.writeString(logs.resolve("app.log." + i + ".gz"), "lama " + i);
      Files.setLastModifiedTime(logs.resolve("app.log." + i + ".gz"),
          java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofDays(10L * i))));
    }
    Files.writeString(log, "baru\n");
    AgentConfig.LogSet s =
        new AgentConfig.LogSet(
            List.of(log.toString()), new DataSize(1), null, 10, Duration.ofDays(15), "gzip", false, false, true, true,
            false, "-%Y%m%d", "0600", "nobody:nogroup", null, null, null, null, null);
    LogRotator.Result r = new LogRotator(dir.resolve("state.json"), Clock.systemDefaultZone()).rotate("app", s, false);
    assertThat(r.errors()).isEmpty();
    // Now app.log.1.gz is new, .2.gz was 10 days old, .3.gz 20 and .4.gz 30: the last two go.
    try (Stream<Path> left = Files.list(logs)) {
      assertThat(left.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("app.log", "app.log.1.gz", "app.log.2.gz");
    }
    if ("root".equals(System.getProperty("user.name"))) {
      assertThat(Files.getOwner(log).getName()).isEqualTo("nobody");
    }
  }
}
