package id.penjaga.collector.ingest;

import id.penjaga.collector.store.ReportStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/reports}: the agents' way in. Unauthenticated requests get 401, a token
 * reporting for another agent 403, a malformed report 400 with the reason, an oversized one 413;
 * none of them is stored. A report is acknowledged (2xx) only once it is durably in the store.
 */
public final class IngestApi {
  public static final String PATH = "/api/v1/reports";
  /**
   * {@code POST /api/v1/reports/batch}: a JSON array of reports (gzip welcome), stored in one
   * transaction; the answer gives each report's fate in order ({@code stored}, {@code duplicate},
   * {@code invalid} with the reason) and the collector's time, from which agents learn their clock
   * offset.
   */
  public static final String BATCH_PATH = "/api/v1/reports/batch";
  /** The most reports one batch may hold. */
  public static final int MAX_BATCH = 1000;
  private static final Logger log = LoggerFactory.getLogger(IngestApi.class);

  private final Vertx vertx;
  private final ReportStore store;
  private final AgentTokens tokens;
  private final ReportValidator validator;
  private final long maxBodyBytes;
  private final MeterRegistry registry;
  private volatile StoredHook hook = reports -> {};
  private volatile RateLimiter limiter = new RateLimiter(Integer.MAX_VALUE / 4);

  /** At most {@code perSecond} requests a second per agent (a burst of twice that). */
  public IngestApi rateLimit(int perSecond) {
    this.limiter = new RateLimiter(perSecond);
    return this;
  }

  /**
   * A token bucket per agent: one agent flooding the collector is slowed down (429) without taking
   * anything from the others.
   */
  static final class RateLimiter {
    private final double rate;
    private final double burst;
    private final java.util.Map<String, double[]> buckets = new java.util.concurrent.ConcurrentHashMap<>();

    RateLimiter(int perSecond) {
      this.rate = perSecond;
      this.burst = 2.0 * perSecond;
    }

    boolean tryAcquire(String agent) {
      double[] b = buckets.computeIfAbsent(agent, k -> new double[] {burst, System.nanoTime()});
      synchronized (b) {
        double now = System.nanoTime();
        b[0] = Math.min(burst, b[0] + (now - b[1]) / 1e9 * rate);
        b[1] = now;
        if (b[0] >= 1) {
          b[0] -= 1;
          return true;
        }
        return false;
      }
    }
  }

  /** Told (on a worker thread) of the reports just stored for the first time: the alert rules. */
  @FunctionalInterface
  public interface StoredHook {
    void stored(List<JsonObject> reports) throws Exception;
  }

  public IngestApi onStored(StoredHook hook) {
    this.hook = hook;
    return this;
  }

  private void afterStore(List<JsonObject> stored) {
    if (stored.isEmpty()) {
      return;
    }
    try {
      hook.stored(stored);
    } catch (Exception e) {
      // The reports are stored; the alert rules run again on nothing. Say so loudly.
      log.error("alert rules failed on {} stored report(s): {}", stored.size(), e.toString());
    }
  }

  private java.util.Set<String> certAgents = java.util.Set.of();

  public IngestApi(
      Vertx vertx,
      ReportStore store,
      AgentTokens tokens,
      ReportValidator validator,
      long maxBodyBytes,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.tokens = tokens;
    this.validator = validator;
    this.maxBodyBytes = maxBodyBytes;
    this.registry = registry;
  }

  public void mount(Router router) {
    router
        .post(PATH)
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
        .handler(this::authenticate)
        .handler(this::ingest)
        .failureHandler(this::failure);
    router
        .post(BATCH_PATH)
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes * 16))
        .handler(this::authenticate)
        .handler(this::ingestBatch)
        .failureHandler(this::failure);
  }

  private void ingestBatch(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer raw = ctx.body().buffer();
    boolean gzip = "gzip".equalsIgnoreCase(ctx.request().getHeader("Content-Encoding"));
    // Unzipping and parsing are CPU work: off the event loop.
    vertx
        .executeBlocking(() -> decode(raw, gzip), false)
        .onSuccess(batch -> ingestBatch(ctx, batch))
        .onFailure(
            e -> {
              count("invalid");
              reply(ctx, 400, e instanceof IllegalArgumentException ? e.getMessage() : "body is not a JSON array of reports");
            });
  }

  /** The batch's reports; a gzip body may unpack to at most 16 times the batch size limit. */
  private io.vertx.core.json.JsonArray decode(io.vertx.core.buffer.Buffer raw, boolean gzip) throws java.io.IOException {
    if (raw == null || raw.length() == 0) {
      throw new IllegalArgumentException("body is empty");
    }
    byte[] bytes = raw.getBytes();
    if (gzip) {
      long limit = maxBodyBytes * 16 * 16;
      try (java.io.InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
        bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      } catch (java.util.zip.ZipException e) {
        throw new IllegalArgumentException("body is not valid gzip: " + e.getMessage());
      }
      if (bytes.length > limit) {
        throw new IllegalArgumentException("batch unpacks to more than " + limit + " bytes");
      }
    }
    try {
      return new io.vertx.core.json.JsonArray(io.vertx.core.buffer.Buffer.buffer(bytes));
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("body is not a JSON array of reports");
    }
  }

  private void ingestBatch(RoutingContext ctx, io.vertx.core.json.JsonArray batch) {
    String authenticated = ctx.get("agent");
    if (batch == null || batch.isEmpty()) {
      reply(ctx, 400, "body is empty");
      return;
    }
    if (batch.size() > MAX_BATCH) {
      reply(ctx, 413, "more than " + MAX_BATCH + " reports in one batch");
      return;
    }
    List<JsonObject> results = new ArrayList<>();
    List<ReportStore.IncomingReport> valid = new ArrayList<>();
    List<JsonObject> validReports = new ArrayList<>();
    List<JsonObject> validResults = new ArrayList<>();
    for (Object item : batch) {
      JsonObject result = new JsonObject();
      results.add(result);
      if (!(item instanceof JsonObject report)) {
        count("invalid");
        result.put("status", "invalid").put("error", "not a JSON object");
        continue;
      }
      result.put("seq", report.getValue("seq"));
      Optional<String> problems = validator.problems(report);
      if (problems.isPresent()) {
        count("invalid");
        result.put("status", "invalid").put("error", "report does not follow the contract: " + problems.get());
        continue;
      }
      if (!authenticated.equals(report.getString("agent"))) {
        count("forbidden");
        log.warn("token of agent {} used to report as agent {}; batch refused", authenticated, report.getString("agent"));
        reply(ctx, 403, "this agent may not report for agent " + report.getString("agent"));
        return;
      }
      valid.add(incoming(authenticated, report));
      validReports.add(report);
      validResults.add(result);
    }
    vertx
        .executeBlocking(
            () -> {
              List<ReportStore.Outcome> outcomes = valid.isEmpty() ? List.of() : store.insertAll(valid);
              List<JsonObject> fresh = new ArrayList<>();
              for (int i = 0; i < outcomes.size(); i++) {
                if (outcomes.get(i) == ReportStore.Outcome.STORED) {
                  fresh.add(validReports.get(i));
                }
              }
              afterStore(fresh);
              return outcomes;
            },
            false)
        .onSuccess(
            outcomes -> {
              for (int i = 0; i < outcomes.size(); i++) {
                String status = outcomes.get(i) == ReportStore.Outcome.STORED ? "stored" : "duplicate";
                count(status);
                validResults.get(i).put("status", status);
              }
              ctx.response()
                  .setStatusCode(200)
                  .putHeader("Content-Type", "application/json")
                  .end(
                      new JsonObject()
                          .put("time", java.time.Instant.now().toString())
                          .put("results", new io.vertx.core.json.JsonArray(new ArrayList<Object>(results)))
                          .encode());
            })
        .onFailure(
            e -> {
              count("error");
              log.error("cannot store a batch of {} reports of {}: {}", valid.size(), authenticated, e.toString());
              reply(ctx, 503, "store unavailable; send again later");
            });
  }

  private static ReportStore.IncomingReport incoming(String agent, JsonObject report) {
    return new ReportStore.IncomingReport(
        agent,
        report.getLong("seq"),
        report.getString("type"),
        report.getInteger("schema_version"),
        report.getString("time"),
        report.getString("agent_version"),
        report.encode());
  }

  /** The agents that may prove themselves by a client certificate (its common name is the agent id). */
  public IngestApi clientCertificates(java.util.Set<String> agents) {
    this.certAgents = java.util.Set.copyOf(agents);
    return this;
  }

  /** The agent named by the verified client certificate of this connection, if any. */
  private String certificateAgent(RoutingContext ctx) {
    if (certAgents.isEmpty() || !ctx.request().isSSL()) {
      return null;
    }
    try {
      java.util.List<java.security.cert.Certificate> chain = ctx.request().connection().peerCertificates();
      if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof java.security.cert.X509Certificate leaf)) {
        return null;
      }
      javax.naming.ldap.LdapName dn = new javax.naming.ldap.LdapName(leaf.getSubjectX500Principal().getName());
      for (javax.naming.ldap.Rdn rdn : dn.getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN") && certAgents.contains(String.valueOf(rdn.getValue()))) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (javax.net.ssl.SSLPeerUnverifiedException | javax.naming.InvalidNameException e) {
      return null;
    }
    return null;
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    Optional<String> agent = Optional.empty();
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      agent = tokens.agentFor(header.substring(7).trim());
    }
    String byCert = certificateAgent(ctx);
    if (byCert != null && agent.isPresent() && !agent.get().equals(byCert)) {
      count("forbidden");
      log.warn("token of agent {} presented with the certificate of agent {}; refused", agent.get(), byCert);
      reply(ctx, 403, "the token and the client certificate belong to different agents");
      return;
    }
    if (agent.isEmpty() && byCert != null && (header == null || header.isBlank())) {
      agent = Optional.of(byCert);
    }
    if (agent.isEmpty()) {
      count("unauthorized");
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"penjaga\"");
      reply(ctx, 401, "missing or unknown bearer token");
      return;
    }
    if (!limiter.tryAcquire(agent.get())) {
      count("rate_limited");
      ctx.response().putHeader("Retry-After", "1");
      reply(ctx, 429, "too many requests from this agent; send again later");
      return;
    }
    ctx.put("agent", agent.get());
    ctx.next();
  }

  private void ingest(RoutingContext ctx) {
    String authenticated = ctx.get("agent");
    JsonObject report;
    try {
      report = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      count("invalid");
      reply(ctx, 400, "body is not a JSON object");
      return;
    }
    if (report == null) {
      count("invalid");
      reply(ctx, 400, "body is empty");
      return;
    }
    Optional<String> problems = validator.problems(report);
    if (problems.isPresent()) {
      count("invalid");
      reply(ctx, 400, "report does not follow the contract: " + problems.get());
      return;
    }
    if (!authenticated.equals(report.getString("agent"))) {
      count("forbidden");
      log.warn(
          "token of agent {} used to report as agent {}; refused",
          authenticated,
          report.getString("agent"));
      reply(ctx, 403, "this agent may not report for agent " + report.getString("agent"));
      return;
    }
    ReportStore.IncomingReport incoming = incoming(authenticated, report);
    vertx
        .executeBlocking(
            () -> {
              ReportStore.Outcome o = store.insert(incoming);
              if (o == ReportStore.Outcome.STORED) {
                afterStore(List.of(report));
              }
              return o;
            },
            false)
        .onSuccess(
            outcome -> {
              String status = outcome == ReportStore.Outcome.STORED ? "stored" : "duplicate";
              count(status);
              ctx.response()
                  .setStatusCode(200)
                  .putHeader("Content-Type", "application/json")
                  .end(new JsonObject().put("status", status).put("seq", incoming.seq()).encode());
            })
        .onFailure(
            e -> {
              count("error");
              log.error("cannot store report {}/{}: {}", incoming.agent(), incoming.seq(), e.toString());
              reply(ctx, 503, "store unavailable; send again later");
            });
  }

  private void failure(RoutingContext ctx) {
    int status = ctx.statusCode();
    if (status == 413) {
      count("too_large");
      reply(ctx, 413, "report larger than " + maxBodyBytes + " bytes");
    } else if (status >= 400 && status < 500) {
      count("invalid");
      reply(ctx, status, "bad request");
    } else {
      count("error");
      log.error("ingest failed", ctx.failure());
      reply(ctx, 500, "internal error");
    }
  }

  private void count(String result) {
    Counter.builder("penjaga.ingest.reports")
        .description("Reports received by the ingest API, by result")
        .tag("result", result)
        .register(registry)
        .increment();
  }

  private static void reply(RoutingContext ctx, int status, String reason) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", reason).encode());
  }
}
