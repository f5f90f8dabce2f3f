package id.penjaga.collector.web;

import id.penjaga.collector.alerts.Silences;
import id.penjaga.collector.config.HumanDuration;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * {@code /api/v1/silences}: list, add and expire silences from scripts (as {@code penjaga-collector
 * silence} does on the server). Callers are web users with HTTP Basic authentication (use HTTPS),
 * throttled like the login; listing is open to every role, adding and expiring to Kepala LPSE and
 * Administrator Sistem. Each silence is evidence with the user's name.
 */
public final class SilencesApi {
  public static final String PATH = "/api/v1/silences";
  private final Vertx vertx;
  private final Silences silences;
  private final Credentials credentials;

  /** {@code credentials}: the same as the web page's, so guesses through either count together. */
  public SilencesApi(Vertx vertx, Silences silences, Credentials credentials) {
    this.vertx = vertx;
    this.silences = silences;
    this.credentials = credentials;
  }

  public void mount(Router router) {
    router.route(PATH + "*").handler(BodyHandler.create(false).setBodyLimit(16 * 1024));
    router.route(PATH + "*").handler(this::authenticate);
    router.get(PATH).handler(ctx -> blocking(ctx, () -> {
      JsonArray a = new JsonArray();
      java.time.Instant now = java.time.Instant.now();
      for (Silences.Silence s : silences.all()) {
        a.add(json(s).put("active", s.active(now)));
      }
      return a.encode();
    }, 200));
    router.post(PATH).handler(this::add);
    router.delete(PATH + "/:id").handler(this::expire);
  }

  private static JsonObject json(Silences.Silence s) {
    return new JsonObject().put("id", s.id()).put("agent", s.agent()).put("alertname", s.alertname())
        .put("starts", s.starts().toString()).put("ends", s.ends().toString()).put("created_by", s.createdBy())
        .put("comment", s.comment());
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String address = WebUi.address(ctx);
    String user = null;
    char[] password = null;
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String pair = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon > 0) {
          user = pair.substring(0, colon);
          password = pair.substring(colon + 1).toCharArray();
        }
      } catch (IllegalArgumentException e) {
        // not Base64: refused below
      }
    }
    if (user == null) {
      refuse(ctx, 401, "give a web user's name and password (HTTP Basic)");
      return;
    }
    String name = user;
    long wait = credentials.waitSeconds(name, address);
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf(wait));
      refuse(ctx, 429, "too many failed attempts; try again later");
      return;
    }
    char[] pw = password;
    vertx.executeBlocking(() -> credentials.check(name, pw, address), false).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        ctx.put("user", name);
        ctx.put("role", credentials.user(name).role());
        ctx.next();
      } else {
        refuse(ctx, 401, "unknown user or wrong password");
      }
    });
  }

  private static boolean mayChange(RoutingContext ctx) {
    String role = ctx.get("role");
    return "kepala-lpse".equals(role) || "admin-sistem".equals(role);
  }

  private void add(RoutingContext ctx) {
    if (!mayChange(ctx)) {
      refuse(ctx, 403, "only Kepala LPSE and the system administrator may silence alerts");
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      body = null;
    }
    if (body == null) {
      refuse(ctx, 400, "send a JSON object: {\"agent\", \"alertname\", \"for\": \"2h\", \"comment\"}");
      return;
    }
    Duration length;
    try {
      length = HumanDuration.parse(body.getString("for", ""));
    } catch (IllegalArgumentException | ClassCastException e) {
      refuse(ctx, 400, "for: a duration such as 2h or 3d");
      return;
    }
    String agent = body.getString("agent");
    String alertname = body.getString("alertname");
    String comment = body.getString("comment");
    if (agent == null && alertname == null) {
      refuse(ctx, 400, "give agent, alertname or both: silencing everything is not allowed");
      return;
    }
    String by = ctx.get("user");
    blocking(ctx, () -> json(silences.add(agent, alertname, length, by, comment)).encode(), 201);
  }

  private void expire(RoutingContext ctx) {
    if (!mayChange(ctx)) {
      refuse(ctx, 403, "only Kepala LPSE and the system administrator may expire silences");
      return;
    }
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      refuse(ctx, 404, "no such silence");
      return;
    }
    String by = ctx.get("user");
    vertx.executeBlocking(() -> silences.expire(id, by), false).onComplete(ar -> {
      if (ar.failed()) {
        refuse(ctx, 500, "see the collector's log");
      } else if (!ar.result()) {
        refuse(ctx, 404, "no such silence still running");
      } else {
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  private void blocking(RoutingContext ctx, java.util.concurrent.Callable<String> work, int status) {
    vertx.executeBlocking(work, false).onComplete(ar -> {
      if (ar.failed()) {
        boolean bad = ar.cause() instanceof IllegalArgumentException;
        refuse(ctx, bad ? 400 : 500, bad ? ar.cause().getMessage() : "see the collector's log");
        return;
      }
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(ar.result());
    });
  }

  private static void refuse(RoutingContext ctx, int status, String why) {
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"penjaga\", charset=\"UTF-8\"");
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", why).encode());
  }
}
