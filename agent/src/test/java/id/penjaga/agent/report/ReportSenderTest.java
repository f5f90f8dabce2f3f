package id.penjaga.agent.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sender against a real HTTP server on loopback that answers as a collector would. */
class ReportSenderTest {
  @TempDir Path dir;
  HttpServer server;
  final AtomicInteger status = new AtomicInteger(200);
  final List<String> received = new CopyOnWriteArrayList<>();
  final List<String> authorizations = new CopyOnWriteArrayList<>();
  Spool spool;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/api/v1/reports",
        ex -> {
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
          int code = status.get();
          if (code == 200) {
            received.add(body);
          }
          byte[] answer = ("{\"status\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(code, answer.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
          }
        });
    // An older collector: no batch endpoint (404), reports go one by one.
    server.createContext(
        "/api/v1/reports/batch",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          if (!batchCollector) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
          }
          batchEncodings.add(ex.getRequestHeaders().getFirst("Content-Encoding"));
          var json = new com.fasterxml.jackson.databind.ObjectMapper();
          var reports =
              json.readTree(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body)));
          var answer = json.createObjectNode();
          // This collector's clock is five seconds ahead.
          answer.put("time", java.time.Instant.now().plusSeconds(5).toString());
          var results = answer.putArray("results");
          for (var r : reports) {
            boolean bad = r.path("body").path("bad").asBoolean();
            results.addObject().put("seq", r.path("seq").asLong()).put("status", bad ? "invalid" : "stored")
                .put("error", bad ? "report does not follow the contract" : null);
            if (!bad) {
              received.add(r.toString());
            }
          }
          byte[] out = json.writeValueAsBytes(answer);
          ex.sendResponseHeaders(200, out.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        });
    server.start();
    spool = new Spool(dir, 1 << 20, "lpse-demo", "1.0", Clock.systemUTC());
  }

  volatile boolean batchCollector;
  final List<String> batchEncodings = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    server.stop(0);
  }

  ReportSender sender() {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    return new ReportSender(
        spool, new CollectorClient(url, "tok-123", Duration.ofSeconds(5)), new Random(1));
  }

  void heartbeats(int n) throws Exception {
    HeartbeatTask beat = new HeartbeatTask(spool, Clock.systemUTC());
    for (int i = 0; i < n; i++) {
      beat.run();
    }
  }

  @Test
  void aBatchCollectorGetsGzipBatchesAndTheClockOffsetIsLearnt() throws Exception {
    batchCollector = true;
    heartbeats(5);
    spool.append(ReportType.BACKUP_RUN, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("bad", true));
    ReportSender s = sender();
    assertThat(s.drainOnce()).isEqualTo(6);
    assertThat(received).hasSize(5);
    assertThat(batchEncodings).containsOnly("gzip").hasSize(1);
    assertThat(spool.pendingCount()).isZero();
    assertThat(spool.rejectedCount()).isEqualTo(1);
    assertThat(s.clockOffsetSeconds()).isBetween(4.0, 6.0);
  }

  @Test
  void aReportDamagedOnDiskIsCaughtByItsCrcAndARecordIsSentFromTheJournal() throws Exception {
    batchCollector = true;
    var record = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
        .put("source", "uploads").put("result", "success");
    String original = new String(spool.append(ReportType.BACKUP_RUN, record).orElseThrow().toJson(), StandardCharsets.UTF_8);
    heartbeats(1);
    List<Path> files = spool.pending(10);
    assertThat(files).hasSize(2);
    assertThat(files.get(0).getFileName().toString()).matches("0{19}1\\.[0-9a-f]{8}\\.json");
    for (Path f : files) { // one byte flipped in each, the length unchanged
      byte[] b = Files.readAllBytes(f);
      int i = new String(b, StandardCharsets.UTF_8).indexOf("lpse-demo") + 2;
      b[i] ^= 0x01;
      Files.write(f, b);
    }
    assertThat(sender().drainOnce()).isEqualTo(1);
    assertThat(received).hasSize(1);
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(received.get(0)))
        .isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(original));
    assertThat(spool.pendingCount()).isZero();
    assertThat(spool.rejectedCount()).isEqualTo(1); // the heartbeat: not journaled, set aside
    try (var s = Files.list(dir.resolve("rejected"))) {
      Path reason = s.filter(p -> p.toString().endsWith(".reason")).findFirst().orElseThrow();
      assertThat(Files.readString(reason)).contains("damaged on disk (CRC-32C");
    }
  }

  @Test
  void acknowledgedReportsLeaveTheSpoolInOrder() throws Exception {
    heartbeats(3);
    ReportSender s = sender();
    assertThat(s.drainOnce()).isEqualTo(3);
    assertThat(spool.pendingCount()).isZero();
    assertThat(received).hasSize(3);
    assertThat(received.get(0)).contains("\"seq\":1");
    assertThat(received.get(2)).contains("\"seq\":3");
    assertThat(authorizations).containsOnly("Bearer tok-123");
  }

  @Test
  void refusedTokenAndServerErrorsKeepEverything() throws Exception {
    heartbeats(2);
    ReportSender s = sender();
    status.set(401);
    assertThat(s.drainOnce()).isZero();
    status.set(503);
    assertThat(s.drainOnce()).isZero();
    assertThat(spool.pendingCount()).isEqualTo(2);
    status.set(200);
    assertThat(s.drainOnce()).isEqualTo(2);
    assertThat(spool.pendingCount()).isZero();
    assertThat(s.failureCount()).isEqualTo(2);
  }

  @Test
  void collectorDownKeepsEverythingUntilItIsBack() throws Exception {
    heartbeats(2);
    int port = server.getAddress().getPort();
    server.stop(0);
    ReportSender s = sender();
    assertThat(s.drainOnce()).isZero();
    assertThat(spool.pendingCount()).isEqualTo(2);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    start2();
    assertThat(s.drainOnce()).isEqualTo(2);
    assertThat(received).hasSize(2);
  }

  private void start2() {
    server.createContext("/api/v1/reports/batch", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(404, -1);
      ex.close();
    });
    server.createContext(
        "/api/v1/reports",
        ex -> {
          received.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
  }

  @Test
  void reportsRefusedForGoodAreSetAsideNotRetried() throws Exception {
    heartbeats(2);
    status.set(400);
    ReportSender s = sender();
    assertThat(s.drainOnce()).isEqualTo(2);
    assertThat(spool.pendingCount()).isZero();
    assertThat(spool.rejectedCount()).isEqualTo(2);
  }

  @Test
  void backgroundSenderDeliversNewReportsPromptly() throws Exception {
    try (ReportSender s = sender()) {
      s.start();
      heartbeats(1);
      long deadline = System.currentTimeMillis() + 5000;
      while (received.isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(received).hasSize(1);
      heartbeats(1);
      deadline = System.currentTimeMillis() + 5000;
      while (received.size() < 2 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(received).hasSize(2);
    }
  }
}
