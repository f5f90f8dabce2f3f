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
  private static final Logger log = LoggerFactory.getLogger(IngestApi.class);

  private final Vertx vertx;
  private final ReportStore store;
  private final AgentTokens tokens;
  private final ReportValidator validator;
  private final long maxBodyBytes;
  private final MeterRegistry registry;

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
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    Optional<String> agent = Optional.empty();
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      agent = tokens.agentFor(header.substring(7).trim());
    }
    if (agent.isEmpty()) {
      count("unauthorized");
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"penjaga\"");
      reply(ctx, 401, "missing or unknown bearer token");
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
      reply(ctx, 403, "this token may not report for agent " + report.getString("agent"));
      return;
    }
    ReportStore.IncomingReport incoming =
        new ReportStore.IncomingReport(
            authenticated,
            report.getLong("seq"),
            report.getString("type"),
            report.getInteger("schema_version"),
            report.getString("time"),
            report.getString("agent_version"),
            report.encode());
    vertx
        .executeBlocking(() -> store.insert(incoming), false)
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
