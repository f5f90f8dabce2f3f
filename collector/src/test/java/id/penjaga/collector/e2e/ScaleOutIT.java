package id.penjaga.collector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import id.penjaga.agent.PostgresServer;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Scale-out: two collector processes on one PostgreSQL store behind one address (a round-robin
 * TCP balancer on loopback), many simulated agents reporting, a failure report sent to both
 * collectors at once, one collector killed (-9) in the middle of a round. Nothing is lost or stored twice, every
 * failure reaches Kepala LPSE in exactly one e-mail, the evidence chain stays whole, and a job
 * scheduled every two seconds runs once per firing across both (Quartz's clustered job store).
 *
 * <p>{@code -Dpenjaga.scaleout.agents=600 -Dpenjaga.scaleout.rounds=3} by default; the figures go
 * to {@code target/scaleout.md} ({@code bench/scaleout/run.sh} runs it longer and keeps them).
 */
class ScaleOutIT extends DaemonTest {
  static final Path SAMPLES = ROOT.resolve("config/schema/samples/valid");
  static final int AGENTS = Integer.getInteger("penjaga.scaleout.agents", 600);
  static final int ROUNDS = Math.max(3, Integer.getInteger("penjaga.scaleout.rounds", 3));
  static final int FAILING = Math.max(2, AGENTS / 20); // a failure each from this many agents, half before the kill
  static final String PASSWORD = "scale-out-store-pass";

  Balancer balancer;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<Long> latenciesUs = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger retries = new AtomicInteger();
  long sendingNanos;

  @AfterEach
  void stopBalancer() throws IOException {
    if (balancer != null) {
      balancer.close();
    }
  }

  @Test
  void twoCollectorsBehindOneAddressLoseNothingAndMailOnce() throws Exception {
    assertThat(COLLECTOR_JAR).as("build the collector first (mvn package)").exists();
    pg = PostgresServer.start();
    pg.sql("postgres", "CREATE ROLE penjaga LOGIN PASSWORD '" + PASSWORD + "'");
    pg.sql("postgres", "CREATE DATABASE penjaga OWNER penjaga");
    String url = "jdbc:postgresql://127.0.0.1:" + pg.port + "/penjaga?user=penjaga";
    smtp = new GreenMail(new ServerSetup(freePort(), "127.0.0.1", "smtp"));
    smtp.start();
    secret("store.pass", PASSWORD);
    for (int i = 1; i <= AGENTS; i++) {
      secret("tokens/" + agent(i), "token-" + agent(i));
    }
    int portA = freePort();
    int portB = freePort();
    config("a", portA, url);
    config("b", portB, url);
    Process a = start("a");
    Process b = start("b");
    waitFor(Duration.ofSeconds(60), () -> up(portA) && up(portB));
    balancer = new Balancer(List.of(portA, portB));

    Map<String, Long> nextSeq = new HashMap<>();
    int sent = 0;
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      // Round 1, both collectors up: heartbeats, and failures each sent twice at once (an agent
      // whose first reply was lost sends again; the balancer hands the copies to both collectors).
      sent += round(pool, nextSeq, 1, FAILING / 2, 2);
      waitFor(Duration.ofSeconds(60), () -> smtp.getReceivedMessages().length >= FAILING / 2);
      Thread.sleep(6_000); // a second mail pass on either collector would show here
      assertThat(mailsByAgent()).hasSize(FAILING / 2).allSatisfy((agent, n) -> assertThat(n).as(agent).isEqualTo(1));
      String bothUp = log("a.log") + log("b.log");

      // One collector dies in the middle of a round: requests in flight to it fail and are sent
      // again, and the balancer hands them to the other.
      ExecutorService killer = Executors.newSingleThreadExecutor();
      Future<?> kill = killer.submit(() -> {
        Thread.sleep(300);
        a.destroyForcibly();
        return a.waitFor(10, TimeUnit.SECONDS);
      });
      sent += round(pool, nextSeq, 0, -1, 1);
      kill.get();
      killer.shutdown();
      sent += round(pool, nextSeq, FAILING / 2 + 1, FAILING, 1);
      for (int r = 4; r <= ROUNDS; r++) {
        sent += round(pool, nextSeq, 0, -1, 1);
      }
      waitFor(Duration.ofSeconds(60), () -> smtp.getReceivedMessages().length >= FAILING);
      Thread.sleep(6_000);
      assertThat(mailsByAgent()).hasSize(FAILING).allSatisfy((agent, n) -> assertThat(n).as(agent).isEqualTo(1));
      double seconds = sendingNanos / 1e9; // the rounds' own time, without the waits for e-mail

      // Every report stored, once.
      assertThat(count(url, "SELECT count(*) FROM report")).isEqualTo(sent);
      assertThat(count(url, "SELECT count(*) FROM (SELECT DISTINCT agent, seq FROM report) d")).isEqualTo(sent);
      assertThat(count(url, "SELECT count(*) FROM agent")).isEqualTo(AGENTS);
      assertThat(count(url, "SELECT count(*) FROM alert WHERE name = 'BackupGagal'")).isEqualTo(FAILING);
      assertThat(count(url, "SELECT count(*) FROM notification WHERE status = 'sent'")).isEqualTo(FAILING);

      // The job scheduled every 2 s ran once per firing, on one collector or the other (a firing
      // missed while starting or while taking over from the dead one is run once, late), and B
      // went on alone after A died.
      int whileBothUp = firings(bothUp).size();
      assertThat(whileBothUp).isGreaterThan(3);
      waitFor(Duration.ofSeconds(30), () -> firings(log("a.log"), log("b.log")).size() > whileBothUp + 3);
      assertThat(firings(log("a.log"), log("b.log")))
          .allSatisfy((firing, n) -> assertThat(n).as("runs of the firing at " + firing).isEqualTo(1));
      assertThat(count(url, "SELECT count(*) FROM qrtz_scheduler_state")).isGreaterThanOrEqualTo(1);

      // The evidence register is one unbroken chain.
      Process verify = new ProcessBuilder("java", "-jar", COLLECTOR_JAR.toString(), "-c", dir.resolve("b.yaml").toString(),
          "evidence", "verify").redirectErrorStream(true).start();
      String out = new String(verify.getInputStream().readAllBytes());
      assertThat(verify.waitFor()).as(out).isZero();
      assertThat(out).contains("intact");

      long stored = count(url, "SELECT count(*) FROM report");
      long distinct = count(url, "SELECT count(*) FROM (SELECT DISTINCT agent, seq FROM report) d");
      figures(sent, seconds, sent - distinct, (stored - distinct) + (smtp.getReceivedMessages().length - mailsByAgent().size()));
    } finally {
      pool.shutdownNow();
      b.destroy();
    }
  }

  /** One round: a heartbeat from every agent, and failures from agents {@code from..to}, each sent {@code copies} times. */
  int round(ExecutorService pool, Map<String, Long> nextSeq, int from, int to, int copies) throws Exception {
    long t0 = System.nanoTime();
    List<Future<?>> work = new ArrayList<>();
    int stored = 0;
    for (int i = 1; i <= AGENTS; i++) {
      String id = agent(i);
      long seq = nextSeq.merge(id, 1L, Long::sum);
      String hb = report("heartbeat.json", id, seq);
      work.add(pool.submit(() -> send(id, hb)));
      stored++;
      if (i >= from && i <= to) {
        long fseq = nextSeq.merge(id, 1L, Long::sum);
        String failure = report("failure.json", id, fseq);
        for (int c = 0; c < copies; c++) {
          work.add(pool.submit(() -> send(id, failure)));
        }
        stored++;
      }
    }
    for (Future<?> f : work) {
      f.get(120, TimeUnit.SECONDS);
    }
    sendingNanos += System.nanoTime() - t0;
    return stored;
  }

  /** Sends as an agent does: again on anything but 2xx, until stored or known (as the spool keeps it). */
  Void send(String agent, String body) throws Exception {
    for (int attempt = 0; attempt < 60; attempt++) {
      long t0 = System.nanoTime();
      try {
        HttpResponse<String> r = http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + balancer.port() + "/api/v1/reports"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer token-" + agent).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          latenciesUs.add((System.nanoTime() - t0) / 1000);
          return null;
        }
      } catch (IOException e) {
        // the collector died under this request: send again
      }
      retries.incrementAndGet();
      Thread.sleep(250);
    }
    throw new AssertionError("report of " + agent + " never accepted");
  }

  static String agent(int i) {
    return String.format("lpse-%03d", i);
  }

  static String report(String sample, String agent, long seq) throws IOException {
    JsonObject r = new JsonObject(Files.readString(SAMPLES.resolve(sample)));
    r.put("agent", agent).put("seq", seq);
    return r.encode();
  }

  /** E-mails received, by the agent they are about. */
  Map<String, Integer> mailsByAgent() throws Exception {
    Map<String, Integer> out = new HashMap<>();
    Pattern p = Pattern.compile("lpse-\\d{3}");
    for (MimeMessage m : smtp.getReceivedMessages()) {
      Matcher x = p.matcher(m.getSubject());
      assertThat(x.find()).as(m.getSubject()).isTrue();
      out.merge(x.group(), 1, Integer::sum);
    }
    return out;
  }

  /** The firings of the every-2-seconds job that ran, with how many runs each (across the logs given). */
  static Map<String, Integer> firings(String... logs) {
    Map<String, Integer> out = new HashMap<>();
    Pattern line = Pattern.compile("prune-heartbeats: the run scheduled for (\\S+)");
    for (String log : logs) {
      Matcher m = line.matcher(log);
      while (m.find()) {
        out.merge(m.group(1), 1, Integer::sum);
      }
    }
    return out;
  }

  void figures(int sent, double seconds, long lost, long duplicates) throws IOException {
    List<Long> l = new ArrayList<>(latenciesUs);
    Collections.sort(l);
    String row = String.format(java.util.Locale.ROOT, "| %s | 2 | %d | %d | %d | %.1f | %.0f | %.1f | %.1f | %d | %d | %d | %d | %d |",
        LocalDate.now(), AGENTS, ROUNDS, sent, seconds, sent / seconds, l.get(l.size() / 2) / 1000.0,
        l.get((int) (l.size() * 0.99)) / 1000.0, retries.get(), FAILING, smtp.getReceivedMessages().length, lost, duplicates);
    Path out = ROOT.resolve("collector/target/scaleout.md");
    Files.writeString(out, row + "\n");
    System.out.println(row);
  }

  void config(String name, int port, String url) throws IOException {
    StringBuilder agents = new StringBuilder();
    for (int i = 1; i <= AGENTS; i++) {
      agents.append("  ").append(agent(i)).append(":\n    token-file: ").append(dir.resolve("tokens/" + agent(i))).append('\n');
    }
    Files.writeString(dir.resolve(name + ".yaml"), String.join("\n",
        "collector:",
        "  listen: 127.0.0.1:" + port,
        "  store: " + url,
        "  store-password-file: " + dir.resolve("store.pass"),
        "  data-dir: " + dir.resolve("data-" + name),
        "  housekeeping: \"*/2 * * * * ?\"",
        "smtp:",
        "  host: 127.0.0.1",
        "  port: " + smtp.getSmtp().getPort(),
        "  from: penjaga@lpse.example.go.id",
        "recipients:",
        "  - address: kepala.lpse@example.go.id",
        "    severities: [medium, high]",
        "agents:",
        agents.toString()));
  }

  Process start(String name) throws IOException {
    Process p = new ProcessBuilder("java", "-Xmx256m", "-jar", COLLECTOR_JAR.toString(), "-c",
        dir.resolve(name + ".yaml").toString(), "run")
        .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    processes.add(p);
    return p;
  }

  boolean up(int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return "";
    }
  }

  static long count(String url, String sql) throws Exception {
    return id.penjaga.collector.TestStores.count(url, PASSWORD, sql);
  }

  /**
   * A loopback TCP balancer: each connection goes to the next collector in turn, or to the one
   * after it when that one does not answer.
   */
  static final class Balancer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Integer> backends;
    private final AtomicInteger next = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    Balancer(List<Integer> backends) throws IOException {
      this.backends = backends;
      this.server = new ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
      threads.submit(this::accept);
    }

    int port() {
      return server.getLocalPort();
    }

    private Void accept() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          threads.submit(() -> relay(client));
        } catch (IOException e) {
          return null;
        }
      }
      return null;
    }

    private Void relay(Socket client) throws IOException {
      int first = Math.floorMod(next.getAndIncrement(), backends.size());
      for (int i = 0; i < backends.size(); i++) {
        Socket backend = new Socket();
        try {
          backend.connect(new InetSocketAddress("127.0.0.1", backends.get((first + i) % backends.size())), 1000);
        } catch (IOException e) {
          backend.close();
          continue;
        }
        threads.submit(() -> pipe(backend, client));
        pipe(client, backend);
        return null;
      }
      client.close();
      return null;
    }

    private static Void pipe(Socket from, Socket to) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // one side went away
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closed already
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      server.close();
      threads.shutdownNow();
    }
  }
}
