package id.penjaga.agent.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.Contract;
import id.penjaga.agent.PostgresServer;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.daemon.AgentDaemon;
import id.penjaga.agent.report.Spool;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capacity samplers on this real machine, probes against local servers, the period records, promtool. */
class CapacityTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  static AgentConfig.Capacity settings(List<AgentConfig.ProcessWatch> procs) {
    return new AgentConfig.Capacity(null, null, null, null, null, procs, null, null, null);
  }

  static Map<String, Double> byKey(List<Sample> samples) {
    return samples.stream().collect(Collectors.toMap(Sample::series, Sample::value, (a, b) -> b));
  }

  static double get(List<Sample> samples, String metric, String... labels) {
    return byKey(samples).get(Sample.of(metric, 0, labels).series());
  }

  @Test
  void hostSamplesAreWithinPhysicalBounds() throws Exception {
    List<Sampler> samplers =
        new HostSamplers(settings(List.of(new AgentConfig.ProcessWatch("jvm-uji", "surefire|junit|java")))).enabled();
    CapacityMonitor m = new CapacityMonitor(samplers, null, null, Clock.systemUTC(), Duration.ofMinutes(15), Duration.ofSeconds(1));
    m.sampleOnce();
    // Some work between the two samples, so there is CPU time to see.
    long x = 0;
    long until = System.nanoTime() + 300_000_000L;
    while (System.nanoTime() < until) {
      x += Long.numberOfTrailingZeros(System.nanoTime());
    }
    assertThat(x).isPositive();
    List<Sample> s = m.sampleOnce();

    double memSize = get(s, "penjaga_memory_size_bytes");
    assertThat(memSize).isGreaterThan(64L << 20);
    assertThat(get(s, "penjaga_memory_available_bytes")).isBetween(0.0, memSize);
    assertThat(get(s, "penjaga_memory_used_bytes")).isBetween(0.0, memSize);
    assertThat(get(s, "penjaga_swap_used_bytes")).isBetween(0.0, get(s, "penjaga_swap_size_bytes"));
    assertThat(get(s, "penjaga_cpu_utilisation_ratio")).isBetween(0.0, 1.0).isGreaterThan(0.0);
    assertThat(get(s, "penjaga_cpu_iowait_ratio")).isBetween(0.0, 1.0);
    assertThat(get(s, "penjaga_cpu_cores")).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(get(s, "penjaga_load1")).isNotNegative();
    assertThat(get(s, "penjaga_system_uptime_seconds")).isPositive();
    assertThat(get(s, "penjaga_open_files")).isPositive().isLessThanOrEqualTo(get(s, "penjaga_open_files_limit"));

    List<Sample> fs = s.stream().filter(x1 -> x1.metric().equals("penjaga_filesystem_size_bytes")).toList();
    assertThat(fs).as("at least the root file system").isNotEmpty();
    for (Sample f : fs) {
      String mount = f.labels().get("mount");
      String type = f.labels().get("fstype");
      double avail = get(s, "penjaga_filesystem_avail_bytes", "mount", mount, "fstype", type);
      assertThat(avail).as(mount).isBetween(0.0, f.value());
      assertThat(get(s, "penjaga_filesystem_used_ratio", "mount", mount, "fstype", type)).isBetween(0.0, 1.0);
      assertThat(type).isNotIn("tmpfs", "proc", "sysfs");
    }
    s.stream().filter(x1 -> x1.metric().endsWith("_per_second")).forEach(r -> assertThat(r.value()).isNotNegative());
    s.stream().filter(x1 -> x1.metric().equals("penjaga_disk_busy_ratio")).forEach(r -> assertThat(r.value()).isBetween(0.0, 1.0));

    assertThat(get(s, "penjaga_process_up", "process", "jvm-uji")).isEqualTo(1.0);
    assertThat(get(s, "penjaga_process_resident_memory_bytes", "process", "jvm-uji")).isGreaterThan(10 << 20);
    assertThat(s).filteredOn(x1 -> x1.metric().equals("penjaga_sampler_up")).allSatisfy(u -> assertThat(u.value()).isEqualTo(1.0));
  }

  @Test
  void httpAndTcpProbesSeeUpDownAndTimeouts() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/ok", ex -> { ex.sendResponseHeaders(200, -1); ex.close(); });
    server.createContext("/rusak", ex -> { ex.sendResponseHeaders(500, -1); ex.close(); });
    server.createContext("/lambat", ex -> {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (ServerSocket open = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      Probes probes =
          new Probes(
              List.of(
                  new AgentConfig.HttpProbe("spse", URI.create(base + "/ok"), null),
                  new AgentConfig.HttpProbe("rusak", URI.create(base + "/rusak"), null),
                  new AgentConfig.HttpProbe("lambat", URI.create(base + "/lambat"), Duration.ofMillis(500))),
              List.of("127.0.0.1:" + open.getLocalPort(), "127.0.0.1:" + closed));
      List<Sample> s = new ArrayList<>();
      long t0 = System.nanoTime();
      probes.sample(s);
      assertThat(System.nanoTime() - t0).as("the timeout holds").isLessThan(TimeUnit.SECONDS.toNanos(3));
      assertThat(get(s, "penjaga_http_probe_up", "probe", "spse")).isEqualTo(1.0);
      assertThat(get(s, "penjaga_http_probe_status_code", "probe", "spse")).isEqualTo(200.0);
      assertThat(get(s, "penjaga_http_probe_duration_seconds", "probe", "spse")).isBetween(0.0, 2.0);
      assertThat(get(s, "penjaga_http_probe_up", "probe", "rusak")).isEqualTo(0.0);
      assertThat(get(s, "penjaga_http_probe_status_code", "probe", "rusak")).isEqualTo(500.0);
      assertThat(get(s, "penjaga_http_probe_up", "probe", "lambat")).isEqualTo(0.0);
      assertThat(get(s, "penjaga_http_probe_status_code", "probe", "lambat")).isEqualTo(0.0);
      assertThat(get(s, "penjaga_tcp_probe_up", "target", "127.0.0.1:" + open.getLocalPort())).isEqualTo(1.0);
      assertThat(get(s, "penjaga_tcp_probe_up", "target", "127.0.0.1:" + closed)).isEqualTo(0.0);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void databaseSizesAreSampled() throws Exception {
    try (PostgresServer pg = PostgresServer.start()) {
      pg.sql("postgres", "CREATE DATABASE spse");
      pg.sql("spse", "CREATE TABLE pengguna (id int, nama text); INSERT INTO pengguna SELECT g, 'u' || g FROM generate_series(1, 20000) g; ANALYZE pengguna;");
      AgentConfig.Source src =
          new AgentConfig.Source("postgresql", null, null, null, pg.socketDir.toString(), pg.port, "postgres", "spse", null, null, null);
      List<Sample> s = new ArrayList<>();
      new DatabaseSampler(Map.of("db", src)).sample(s);
      assertThat(get(s, "penjaga_database_size_bytes", "source", "db", "database", "spse")).isGreaterThan(1 << 20);
      String[] l = {"source", "db", "database", "spse", "table", "public.pengguna"};
      assertThat(get(s, "penjaga_table_size_bytes", l)).isGreaterThan(100_000);
      assertThat(get(s, "penjaga_table_rows_estimate", l)).isEqualTo(20000.0);
    }
  }

  @Test
  void eachPeriodBecomesOneCapacityRecord() throws Exception {
    double[] next = {1};
    Sampler fake = new Sampler() {
      @Override
      public String name() {
        return "uji";
      }

      @Override
      public void sample(List<Sample> out) {
        out.add(Sample.of("penjaga_uji_value", next[0]++, "disk", "sda"));
      }
    };
    Instant[] now = {Instant.parse("2026-11-25T01:00:10Z")};
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now[0];
      }
    };
    Spool spool = new Spool(dir.resolve("spool"), 1 << 20, "lpse-uji", "t", clock);
    CapacityMonitor m = new CapacityMonitor(List.of(fake), null, spool, clock, Duration.ofMinutes(15), Duration.ofMinutes(1));
    for (int i = 0; i < 3; i++) {
      m.run();
      now[0] = now[0].plus(Duration.ofMinutes(1));
    }
    assertThat(spool.pendingCount()).isZero();
    now[0] = Instant.parse("2026-11-25T01:15:05Z");
    m.run(); // the first sample of the next period closes the last one
    assertThat(spool.pendingCount()).isEqualTo(1);
    JsonNode report = JSON.readTree(Files.readAllBytes(spool.pending(1).get(0)));
    assertThat(report.path("type").asText()).isEqualTo("capacity");
    JsonNode body = report.path("body");
    Contract.assertValid("capacity", body);
    assertThat(body.path("period_start").asText()).isEqualTo("2026-11-25T01:00:00Z");
    assertThat(body.path("period_end").asText()).isEqualTo("2026-11-25T01:15:00Z");
    JsonNode v = body.path("samples").findValue("metric").asText().equals("penjaga_uji_value")
        ? body.path("samples").get(0) : body.path("samples").get(1);
    assertThat(v.path("min").asDouble()).isEqualTo(1.0);
    assertThat(v.path("avg").asDouble()).isEqualTo(2.0);
    assertThat(v.path("max").asDouble()).isEqualTo(3.0);
    assertThat(v.path("count").asInt()).isEqualTo(3);
    assertThat(v.path("labels").path("disk").asText()).isEqualTo("sda");
  }

  @Test
  void theAgentsMetricsPassPromtool() throws Exception {
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    Files.createDirectories(dir.resolve("file"));
    Path config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass, dir.resolve("file"),
            "capacity:", "  interval: 1s", "  processes:", "    - name: jvm", "      match: java",
            "  tcp-probes: [\"127.0.0.1:1\"]");
    String text = Files.readString(config).replace("metrics:\n  enabled: false\n", "metrics:\n  listen: 127.0.0.1:0\n");
    Files.writeString(config, text);
    String metrics;
    try (AgentDaemon daemon = new AgentDaemon(AgentConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      Thread.sleep(2500);
      metrics =
          HttpClient.newHttpClient()
              .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
    }
    assertThat(metrics).contains("penjaga_memory_available_bytes{").contains("penjaga_filesystem_avail_bytes{")
        .contains("penjaga_tcp_probe_up{").contains("penjaga_process_up{");
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
