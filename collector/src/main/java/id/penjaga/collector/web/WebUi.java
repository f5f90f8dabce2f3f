package id.penjaga.collector.web;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.evidence.EvidenceExport;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.report.ReportRenderer;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.report.Reports;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only web page under {@code /ui/} for Kepala LPSE and the assessor: agents and their
 * health, firing alerts, latest backups and restore tests, the evidence register with filters, and
 * the reports to view and download. Behind a login (Argon2id hashes, throttled per account and
 * address, session id renewed at login, HttpOnly SameSite=Strict cookie, Secure over HTTPS),
 * forms carry a per-session CSRF token, and every page a strict Content-Security-Policy: no
 * script at all. Logins, failed logins and downloads are evidence records.
 */
public final class WebUi {
  private static final Logger log = LoggerFactory.getLogger(WebUi.class);
  public static final String ROOT = "/ui";
  private static final String CSP_PAGE =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final String CSP_REPORT =
      "default-src 'none'; style-src " + ReportRenderer.styleHash() + "; img-src 'self' data:; form-action 'none';"
          + " frame-ancestors 'none'; base-uri 'none'";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Vertx vertx;
  private final ReportStore store;
  private final EvidenceRegister evidence;
  private final ReportService reports;
  private final CollectorConfig.Web config;
  private final String defaultLang;
  private final ZoneId zone;
  private final Duration noHeartbeat;
  private final boolean secure;
  private final Credentials credentials;
  private DecisionLinks links;
  private final java.nio.file.Path uploadsDir;
  private final java.nio.file.Path reportsDir;
  private final id.penjaga.collector.evidence.MeetingMinutes minutes;
  private final Map<String, Template> templates = new HashMap<>();
  private final byte[] css;

  public WebUi(Vertx vertx, ReportStore store, EvidenceRegister evidence, ReportService reports, CollectorConfig.Web config,
      CollectorConfig.Reports reportConfig, Duration noHeartbeat, boolean tls, Credentials credentials) {
    this.vertx = vertx;
    this.store = store;
    this.evidence = evidence;
    this.reports = reports;
    this.credentials = credentials;
    this.config = config;
    this.defaultLang = reportConfig.language();
    this.zone = ZoneId.of(reportConfig.timezone());
    this.noHeartbeat = noHeartbeat;
    this.secure = config.secureCookie() != null ? config.secureCookie() : tls;
    this.uploadsDir = reportConfig.outputDir().resolve(".uploads");
    this.reportsDir = reportConfig.outputDir().toAbsolutePath().normalize();
    this.minutes = new id.penjaga.collector.evidence.MeetingMinutes(store, evidence, reportConfig.outputDir());
    Mustache.Compiler c = Mustache.compiler().escapeHTML(true).defaultValue("").emptyStringIsFalse(true)
        .withLoader(name -> new InputStreamReader(open("web/" + name + ".html"), StandardCharsets.UTF_8));
    for (String t : new String[] {"login", "dashboard", "evidence", "reports", "ack", "link", "minutes"}) {
      templates.put(t, c.compile(new InputStreamReader(open("web/" + t + ".html"), StandardCharsets.UTF_8)));
    }
    try (InputStream in = open("web/style.css")) {
      css = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream open(String name) {
    InputStream in = WebUi.class.getResourceAsStream("/" + name);
    if (in == null) {
      throw new IllegalStateException(name + " missing from the jar");
    }
    return in;
  }

  /** Decision links from e-mails (null: none are sent, none accepted). */
  public WebUi links(DecisionLinks links) {
    this.links = links;
    return this;
  }

  public void mount(Router router) {
    router.route(ROOT + "*").handler(ctx -> {
      HttpServerResponse r = ctx.response();
      r.putHeader("Content-Security-Policy", CSP_PAGE);
      r.putHeader("X-Content-Type-Options", "nosniff");
      r.putHeader("X-Frame-Options", "DENY");
      // same-origin, not no-referrer: browsers then send a real Origin with our own forms (checked below)
      r.putHeader("Referrer-Policy", "same-origin");
      r.putHeader("Cache-Control", "no-store");
      ctx.next();
    });
    router.get(ROOT + "/style.css").handler(ctx -> ctx.response().putHeader("Content-Type", "text/css; charset=utf-8")
        .putHeader("Cache-Control", "max-age=3600").end(Buffer.buffer(css)));
    router.route(ROOT + "*").handler(SessionHandler.create(LocalSessionStore.create(vertx))
        .setSessionCookieName("penjaga_session")
        .setCookieHttpOnlyFlag(true)
        .setCookieSecureFlag(secure)
        .setCookieSameSite(CookieSameSite.STRICT)
        .setSessionTimeout(config.sessionTimeout().toMillis()));
    router.postWithRegex(ROOT + "/(?!minutes$).*").handler(BodyHandler.create(false).setBodyLimit(16 * 1024));
    router.post(ROOT + "/minutes").handler(BodyHandler.create(uploadsDir.toString())
        .setBodyLimit(id.penjaga.collector.evidence.MeetingMinutes.MAX_BYTES + 64 * 1024).setDeleteUploadedFilesOnEnd(true));
    router.get(ROOT).handler(ctx -> {
      if (ctx.request().path().equals(ROOT)) {
        redirect(ctx, ROOT + "/");
      } else {
        ctx.next();
      }
    });
    router.get(ROOT + "/login").handler(this::loginForm);
    router.post(ROOT + "/login").handler(this::login);
    router.post(ROOT + "/logout").handler(this::logout);
    router.get(ROOT + "/link/:token").handler(this::linkForm);
    router.post(ROOT + "/link").handler(this::linkDecision);
    router.route(ROOT + "/*").handler(this::requireLogin);
    router.get(ROOT + "/").handler(ctx -> page(ctx, "dashboard", () -> dashboard(lang(ctx))));
    router.get(ROOT + "/evidence").handler(ctx -> page(ctx, "evidence", () -> evidencePage(ctx)));
    router.get(ROOT + "/evidence/export").handler(this::evidenceExport);
    router.get(ROOT + "/reports").handler(ctx -> page(ctx, "reports", () -> reportsPage(lang(ctx))));
    router.get(ROOT + "/reports/:kind/:file").handler(this::report);
    router.get(ROOT + "/ack").handler(ctx -> page(ctx, "ack", () -> ackPage(ctx)));
    router.get(ROOT + "/minutes").handler(ctx -> page(ctx, "minutes", () -> minutesPage(ctx)));
    router.post(ROOT + "/minutes").handler(this::minutesUpload);
    router.get(ROOT + "/minutes/file").handler(this::minutesFile);
    router.post(ROOT + "/ack").handler(this::acknowledge);
  }

  // ------------------------------------------------------------------ login

  private void loginForm(RoutingContext ctx) {
    Map<String, Object> m = new HashMap<>();
    String err = ctx.request().getParam("error");
    m.put("error", "1".equals(err));
    m.put("throttled", "2".equals(err));
    render(ctx, "login", m, 200);
  }

  private void login(RoutingContext ctx) {
    String user = ctx.request().getFormAttribute("username");
    String password = ctx.request().getFormAttribute("password");
    String address = address(ctx);
    if (!csrfOk(ctx)) {
      ctx.response().setStatusCode(403).end("403 forbidden: the form has expired; open the login page again\n");
      return;
    }
    String name = user == null ? "" : user.strip();
    long wait = credentials.waitSeconds(name, address);
    if (wait > 0) {
      vertx.executeBlocking(() -> record("login-throttled", name, "refused",
          "Login " + name + " dari " + address + " ditolak sementara: terlalu banyak percobaan gagal", address), false);
      ctx.response().putHeader("Retry-After", String.valueOf(wait));
      redirect(ctx, ROOT + "/login?error=2");
      return;
    }
    char[] pw = password == null ? new char[0] : password.toCharArray();
    vertx.executeBlocking(() -> {
      boolean ok = credentials.check(name, pw, address);
      if (ok) {
        record("login", actor(name), "success", "Login " + actor(name) + " ke halaman Penjaga dari " + address, address);
      } else {
        record("login-failed", name.isEmpty() ? "?" : name, "failure",
            "Login gagal untuk nama pengguna \"" + (name.length() > 64 ? name.substring(0, 64) : name) + "\" dari " + address,
            address);
      }
      return ok;
    }, false).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        Session s = ctx.session();
        s.regenerateId();
        s.put("user", name);
        s.put("csrf", token());
        redirect(ctx, ROOT + "/");
      } else {
        redirect(ctx, ROOT + "/login?error=1");
      }
    });
  }

  private void logout(RoutingContext ctx) {
    if (!csrfOk(ctx)) {
      ctx.response().setStatusCode(403).end("403 forbidden\n");
      return;
    }
    ctx.session().destroy();
    redirect(ctx, ROOT + "/login");
  }

  private void requireLogin(RoutingContext ctx) {
    String user = ctx.session() != null ? ctx.session().get("user") : null;
    if (user == null || !config.users().containsKey(user)) {
      redirect(ctx, ROOT + "/login");
      return;
    }
    String l = ctx.request().getParam("lang");
    if (l != null && l.matches("id|en")) {
      ctx.session().put("lang", l);
    }
    ctx.next();
  }

  private boolean csrfOk(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin != null) { // a browser says where the form came from: it must be this page
      io.vertx.core.net.HostAndPort self = ctx.request().authority();
      try {
        URI o = URI.create(origin);
        int port = o.getPort() != -1 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
        int selfPort = self == null ? -1 : self.port() != -1 ? self.port() : secure ? 443 : 80;
        if (self == null || !self.host().equalsIgnoreCase(o.getHost()) || port != selfPort) {
          log.warn("form from another site refused: Origin {} on {}", origin, self);
          return false;
        }
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    String want = ctx.session() != null ? ctx.session().get("csrf") : null;
    String got = ctx.request().getFormAttribute("csrf");
    return want != null && got != null
        && MessageDigest.isEqual(want.getBytes(StandardCharsets.UTF_8), got.getBytes(StandardCharsets.UTF_8));
  }

  private static String token() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String actor(String user) {
    CollectorConfig.WebUser u = config.users().get(user);
    return u != null && u.name() != null ? user + " (" + u.name() + ")" : user;
  }

  private Object record(String activity, String actor, String outcome, String summary, String address) throws Exception {
    evidence.append(new EvidenceRegister.Entry(store.clock().instant(), "Keamanan akses", activity, null, actor, outcome,
        summary, new JsonObject().put("address", address), null));
    return null;
  }

  // ------------------------------------------------------------------ decisions

  private static Long longParam(String v) {
    try {
      return v == null || v.isBlank() ? null : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** "budi (Budi Santoso, Administrator Sistem)"; "kepala (Kepala LPSE)" when the name is the role. */
  private String actorWithRole(String user) {
    CollectorConfig.WebUser u = config.users().get(user);
    String title = Permissions.title(u == null ? null : u.role());
    String name = u == null ? null : u.name();
    return user + " (" + (name == null || name.equals(title) ? title : name + ", " + title) + ")";
  }

  private String role(String user) {
    CollectorConfig.WebUser u = config.users().get(user);
    return u == null ? null : u.role();
  }

  private Map<String, Object> ackPage(RoutingContext ctx) throws Exception {
    String lang = lang(ctx);
    Long record = longParam(ctx.request().getParam("record"));
    Long alert = record == null ? longParam(ctx.request().getParam("alert")) : null;
    EvidenceRegister.Item item = evidence.item(record, alert);
    Map<String, Object> m = new HashMap<>();
    m.put("found", item != null);
    if (item == null) {
      return m;
    }
    String user = ctx.session().get("user");
    String role = role(user);
    m.put("record", record == null ? "" : String.valueOf(record));
    m.put("alert", alert == null ? "" : String.valueOf(alert));
    m.put("sop", item.sopRef());
    m.put("agent", item.agent() == null ? "" : item.agent());
    m.put("summary", item.summary());
    m.put("allowed", Permissions.mayAcknowledge(role, item.sopRef()));
    m.put("not_allowed", ReportRenderer.words(lang).getOrDefault("web_not_allowed", "").replace("{0}", Permissions.title(role)));
    List<Map<String, Object>> history = new ArrayList<>();
    for (EvidenceRegister.Record r : item.followUps()) {
      JsonObject d = new JsonObject(r.details());
      history.add(Map.of("time", time(Instant.parse(r.occurredAt()), lang), "by", r.actor(),
          "action", d.getString("action", r.summary()), "pic", d.getString("person_in_charge") == null ? "" : d.getString("person_in_charge"),
          "due", d.getString("due") == null ? "" : d.getString("due")));
    }
    m.put("history", history);
    m.put("has_history", !history.isEmpty());
    return m;
  }

  private void acknowledge(RoutingContext ctx) {
    if (!csrfOk(ctx)) {
      ctx.response().setStatusCode(403).end("403 forbidden: the form has expired; open the page again\n");
      return;
    }
    String user = ctx.session().get("user");
    String role = role(user);
    Long record = longParam(ctx.request().getFormAttribute("record"));
    Long alert = record == null ? longParam(ctx.request().getFormAttribute("alert")) : null;
    String decision = ctx.request().getFormAttribute("decision");
    String pic = ctx.request().getFormAttribute("pic");
    String due = ctx.request().getFormAttribute("due");
    vertx.executeBlocking(() -> {
      EvidenceRegister.Item item = evidence.item(record, alert);
      if (item == null) {
        return 404;
      }
      if (!Permissions.mayAcknowledge(role, item.sopRef())) {
        return 403;
      }
      if (decision == null || decision.isBlank() || decision.length() > 2000) {
        return 400;
      }
      String dueDate = null;
      if (due != null && !due.isBlank()) {
        try {
          dueDate = LocalDate.parse(due.trim()).toString();
        } catch (DateTimeParseException e) {
          return 400;
        }
      }
      evidence.followUp(record, alert, actorWithRole(user), decision.strip(),
          pic == null || pic.isBlank() ? null : pic.strip(), dueDate);
      return 303;
    }, false).onComplete(ar -> {
      int code = ar.succeeded() ? ar.result() : 500;
      if (code == 303) {
        redirect(ctx, ROOT + "/ack?" + (record != null ? "record=" + record : "alert=" + alert));
      } else {
        ctx.response().setStatusCode(code).end(switch (code) {
          case 403 -> "403: your role may not record a decision on this item\n";
          case 404 -> "404: no such item\n";
          case 400 -> "400: give the decision (and a target date as YYYY-MM-DD)\n";
          default -> "500: see the collector's log\n";
        });
      }
    });
  }

  private void linkRefused(RoutingContext ctx, DecisionLinks.Refusal why) {
    Map<String, Object> m = new HashMap<>();
    m.put("refused", true);
    m.put("message", ReportRenderer.words(lang(ctx)).getOrDefault("web_link_" + why.name().toLowerCase(Locale.ROOT), why.name()));
    render(ctx, "link", m, why == DecisionLinks.Refusal.FORGED ? 403 : 410);
  }

  private void linkForm(RoutingContext ctx) {
    String token = ctx.pathParam("token");
    if (links == null) {
      ctx.response().setStatusCode(404).end("404\n");
      return;
    }
    DecisionLinks.Claim claim;
    try {
      claim = links.verify(token);
    } catch (DecisionLinks.Refused e) {
      linkRefused(ctx, e.why);
      return;
    }
    vertx.executeBlocking(() -> evidence.item(null, claim.alertId()), false).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        ctx.response().setStatusCode(404).end("404: no such alert\n");
        return;
      }
      Map<String, Object> m = new HashMap<>();
      m.put("token", token);
      m.put("summary", ar.result().summary());
      m.put("sop", ar.result().sopRef());
      m.put("agent", ar.result().agent());
      m.put("recipient", claim.recipient());
      m.put("form", true);
      render(ctx, "link", m, 200);
    });
  }

  private void linkDecision(RoutingContext ctx) {
    if (links == null || !csrfOk(ctx)) {
      ctx.response().setStatusCode(403).end("403 forbidden: the form has expired; open the link again\n");
      return;
    }
    String token = ctx.request().getFormAttribute("token");
    String decision = ctx.request().getFormAttribute("decision");
    String pic = ctx.request().getFormAttribute("pic");
    String due = ctx.request().getFormAttribute("due");
    DecisionLinks.Claim claim;
    try {
      claim = links.verify(token == null ? "" : token);
    } catch (DecisionLinks.Refused e) {
      linkRefused(ctx, e.why);
      return;
    }
    if (decision == null || decision.isBlank() || decision.length() > 2000) {
      ctx.response().setStatusCode(400).end("400: give the decision\n");
      return;
    }
    String address = address(ctx);
    vertx.executeBlocking(() -> {
      String dueDate = null;
      if (due != null && !due.isBlank()) {
        dueDate = LocalDate.parse(due.trim()).toString();
      }
      EvidenceRegister.Entry e = evidence.followUpEntry(null, claim.alertId(), claim.recipient() + " (tautan e-mail)",
          decision.strip(), pic == null || pic.isBlank() ? null : pic.strip(), dueDate);
      EvidenceRegister.Entry withAddress = new EvidenceRegister.Entry(e.occurredAt(), e.sopRef(), e.activity(), e.agent(),
          e.actor(), e.outcome(), e.summary(), e.details().copy().put("address", address), e.links());
      long now = store.clock().millis();
      return store.inTransaction(c -> {
        try {
          DecisionLinks.consume(c, claim, now);
        } catch (DecisionLinks.Refused r) {
          return null;
        }
        return EvidenceRegister.append(c, withAddress, now);
      });
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.response().setStatusCode(ar.cause() instanceof DateTimeParseException ? 400 : 500)
            .end(ar.cause() instanceof DateTimeParseException ? "400: a target date is YYYY-MM-DD\n" : "500\n");
        return;
      }
      if (ar.result() == null) {
        linkRefused(ctx, DecisionLinks.Refusal.USED);
        return;
      }
      Map<String, Object> m = new HashMap<>();
      m.put("done", true);
      m.put("seq", ar.result().seq());
      render(ctx, "link", m, 200);
    });
  }

  // ------------------------------------------------------------------ meeting minutes (SOP 10 langkah 7)

  private static boolean mayRecordMinutes(String role) {
    return "kepala-lpse".equals(role) || "admin-sistem".equals(role);
  }

  private Map<String, Object> minutesPage(RoutingContext ctx) throws Exception {
    String lang = lang(ctx);
    YearMonth month;
    try {
      month = YearMonth.parse(String.valueOf(ctx.request().getParam("month")));
    } catch (DateTimeParseException e) {
      month = YearMonth.now(store.clock().withZone(zone)).minusMonths(1);
    }
    Map<String, Object> m = new HashMap<>();
    m.put("month", month.toString());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (EvidenceRegister.Record r : minutes.of(month)) {
      JsonObject d = new JsonObject(r.details());
      rows.add(Map.of("seq", r.seq(), "meeting", d.getString("meeting_date", ""), "by", r.actor(),
          "file", d.getString("file_name", ""), "sha", d.getString("sha256", ""), "note", d.getString("note") == null ? "" : d.getString("note"),
          "time", time(Instant.parse(r.occurredAt()), lang)));
    }
    m.put("rows", rows);
    m.put("has_rows", !rows.isEmpty());
    m.put("allowed", mayRecordMinutes(role(ctx.session().get("user"))));
    return m;
  }

  private void minutesUpload(RoutingContext ctx) {
    if (!csrfOk(ctx)) {
      ctx.response().setStatusCode(403).end("403 forbidden: the form has expired; open the page again\n");
      return;
    }
    String user = ctx.session().get("user");
    if (!mayRecordMinutes(role(user))) {
      ctx.response().setStatusCode(403).end("403: your role may not record meeting minutes\n");
      return;
    }
    YearMonth month;
    LocalDate meeting;
    try {
      month = YearMonth.parse(String.valueOf(ctx.request().getFormAttribute("month")));
      meeting = LocalDate.parse(String.valueOf(ctx.request().getFormAttribute("meeting")));
    } catch (DateTimeParseException e) {
      ctx.response().setStatusCode(400).end("400: give the month (YYYY-MM) and the meeting date (YYYY-MM-DD)\n");
      return;
    }
    if (ctx.fileUploads().size() != 1) {
      ctx.response().setStatusCode(400).end("400: attach one file with the minutes\n");
      return;
    }
    io.vertx.ext.web.FileUpload up = ctx.fileUploads().get(0);
    String note = ctx.request().getFormAttribute("note");
    vertx.executeBlocking(() -> minutes.record(month, meeting, java.nio.file.Path.of(up.uploadedFileName()), up.fileName(),
        note == null || note.isBlank() ? null : note.strip(), actorWithRole(user)), false).onComplete(ar -> {
      if (ar.failed()) {
        boolean bad = ar.cause() instanceof IllegalArgumentException;
        log.warn("meeting minutes not recorded: {}", ar.cause().toString());
        ctx.response().setStatusCode(bad ? 400 : 500).end(bad ? "400: " + ar.cause().getMessage() + "\n" : "500\n");
        return;
      }
      redirect(ctx, ROOT + "/minutes?month=" + month);
    });
  }

  private void minutesFile(RoutingContext ctx) {
    Long seq = longParam(ctx.request().getParam("seq"));
    String user = ctx.session().get("user");
    String address = address(ctx);
    vertx.executeBlocking(() -> {
      EvidenceRegister.Record r = seq == null ? null : evidence.get(seq);
      if (r == null || !"meeting-minutes".equals(r.activity())) {
        return null;
      }
      JsonObject d = new JsonObject(r.details());
      java.nio.file.Path file = java.nio.file.Path.of(d.getString("file")).toAbsolutePath().normalize();
      if (!file.startsWith(reportsDir)) {
        return null; // only minutes kept beside the reports are served
      }
      byte[] b = java.nio.file.Files.readAllBytes(file);
      record("report-download", actor(user), "done", "Notulen " + d.getString("file_name") + " diunduh oleh " + actor(user), address);
      return Map.entry(d.getString("file_name"), b);
    }, false).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        ctx.response().setStatusCode(404).end("404\n");
        return;
      }
      ctx.response().putHeader("Content-Type", "application/octet-stream")
          .putHeader("Content-Disposition", "attachment; filename=\"" + ar.result().getKey() + "\"")
          .end(Buffer.buffer(ar.result().getValue()));
    });
  }

  // ------------------------------------------------------------------ pages

  /** The caller's address, as recorded with logins and downloads. */
  static String address(RoutingContext ctx) {
    return ctx.request().remoteAddress() != null ? ctx.request().remoteAddress().hostAddress() : "?";
  }

  private String lang(RoutingContext ctx) {
    String l = ctx.session() != null ? ctx.session().get("lang") : null;
    return l != null ? l : defaultLang;
  }

  private void page(RoutingContext ctx, String template, Callable<Map<String, Object>> model) {
    vertx.executeBlocking(model, false).onComplete(ar -> {
      if (ar.failed()) {
        log.error("web page {} failed: {}", template, ar.cause().toString());
        ctx.response().setStatusCode(500).end("500: the page could not be made; see the collector's log\n");
        return;
      }
      render(ctx, template, ar.result(), 200);
    });
  }

  private void render(RoutingContext ctx, String template, Map<String, Object> model, int status) {
    Map<String, Object> m = new HashMap<>(model);
    String lang = lang(ctx);
    m.put("w", ReportRenderer.words(lang));
    m.put("lang", lang);
    if (ctx.session() != null) {
      if (ctx.session().get("csrf") == null) {
        ctx.session().put("csrf", token());
      }
      m.put("csrf", ctx.session().get("csrf"));
      String user = ctx.session().get("user");
      m.put("user", user == null ? "" : actor(user));
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8")
        .end(templates.get(template).execute(m));
  }

  private static void redirect(RoutingContext ctx, String to) {
    ctx.response().setStatusCode(303).putHeader("Location", to).end();
  }

  private String time(Instant t, String lang) {
    Locale locale = lang.equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
    return DateTimeFormatter.ofPattern(lang.equals("id") ? "d MMM yyyy HH.mm" : "d MMM yyyy HH:mm", locale)
        .withZone(zone).format(t);
  }

  private Map<String, Object> dashboard(String lang) throws Exception {
    Map<String, Object> m = new HashMap<>();
    Map<String, String> w = ReportRenderer.words(lang);
    Instant now = store.clock().instant();
    List<Map<String, Object>> agents = new ArrayList<>();
    for (ReportStore.AgentSeen a : store.agents()) {
      boolean ok = a.lastSeen().isAfter(now.minus(noHeartbeat));
      agents.add(Map.of("id", a.id(), "last_seen", time(a.lastSeen(), lang), "version", a.version() == null ? "" : a.version(),
          "ok", ok));
    }
    m.put("agents", agents);
    m.put("no_agents", agents.isEmpty());
    List<Map<String, Object>> alerts = store.inTransaction(c -> {
      List<Map<String, Object>> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, agent, name, severity, summary, started_ms FROM alert WHERE state = 'firing' ORDER BY started_ms DESC LIMIT 100");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Map.of("id", rs.getLong(1), "agent", rs.getString(2), "name", rs.getString(3), "severity", rs.getString(4),
              "summary", rs.getString(5), "since", time(Instant.ofEpochMilli(rs.getLong(6)), lang)));
        }
      }
      return out;
    });
    m.put("alerts", alerts);
    m.put("no_alerts", alerts.isEmpty());
    Map<String, Map<String, Object>> backups = new LinkedHashMap<>();
    List<Map<String, Object>> tests = new ArrayList<>();
    store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT agent, type, " + store.dialect().json("body", "body") + " FROM report WHERE type IN ('backup-run', 'restore-test')"
              + " ORDER BY received_ms DESC, seq DESC LIMIT 500");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          JsonObject b = new JsonObject(rs.getString(3));
          String agent = rs.getString(1);
          if (rs.getString(2).equals("backup-run")) {
            String key = agent + "|" + b.getString("source") + "|" + b.getString("target_name", "main");
            backups.computeIfAbsent(key, k -> Map.of("agent", agent, "source", b.getString("source", ""),
                "target", b.getString("target_name", "main"), "time", time(Instant.parse(b.getString("finished_at")), lang),
                "result", w.getOrDefault("result_" + b.getString("result", ""), b.getString("result", "")),
                "failed", "failure".equals(b.getString("result")),
                "snapshot", b.getString("snapshot_id") == null ? "-" : b.getString("snapshot_id").substring(0, 8)));
          } else if (tests.size() < 5) {
            tests.add(Map.of("agent", agent, "time", time(Instant.parse(b.getString("finished_at")), lang),
                "result", w.getOrDefault("result_" + b.getString("result", ""), b.getString("result", "")),
                "passed", "pass".equals(b.getString("result")),
                "seed", String.valueOf(b.getValue("seed"))));
          }
        }
      }
      return null;
    });
    m.put("backups", new ArrayList<>(backups.values()));
    m.put("no_backups", backups.isEmpty());
    m.put("tests", tests);
    m.put("no_tests", tests.isEmpty());
    m.put("head", evidence.head().getKey());
    return m;
  }

  private record Filter(Instant from, Instant to, String activity, String agent, String fromText, String toText) {}

  private Filter filter(RoutingContext ctx) {
    String f = ctx.request().getParam("from");
    String t = ctx.request().getParam("to");
    Instant from = null;
    Instant to = null;
    try {
      from = f == null || f.isBlank() ? null : LocalDate.parse(f).atStartOfDay(zone).toInstant();
    } catch (DateTimeParseException e) {
      f = "";
    }
    try {
      to = t == null || t.isBlank() ? null : LocalDate.parse(t).plusDays(1).atStartOfDay(zone).toInstant();
    } catch (DateTimeParseException e) {
      t = "";
    }
    String activity = ctx.request().getParam("activity");
    String agent = ctx.request().getParam("agent");
    return new Filter(from, to, activity == null || activity.isBlank() ? null : activity,
        agent == null || agent.isBlank() ? null : agent, f == null ? "" : f, t == null ? "" : t);
  }

  private Map<String, Object> evidencePage(RoutingContext ctx) throws Exception {
    String lang = lang(ctx);
    Filter f = filter(ctx);
    List<EvidenceRegister.Record> all = evidence.list(f.from(), f.to(), f.activity(), f.agent());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && rows.size() < 500; i--) { // newest first
      EvidenceRegister.Record r = all.get(i);
      rows.add(Map.of("seq", r.seq(), "time", time(Instant.parse(r.occurredAt()), lang), "sop", r.sopRef(),
          "activity", r.activity(), "agent", r.agent() == null ? "" : r.agent(), "actor", r.actor(), "outcome", r.outcome(),
          "summary", r.summary(), "hash", r.hash().substring(0, 12),
          "ackable", !java.util.Set.of("follow-up", "login", "login-failed", "login-throttled", "report-download", "silence")
              .contains(r.activity())));
    }
    Map<String, Object> m = new HashMap<>();
    m.put("rows", rows);
    m.put("count", all.size());
    m.put("shown", rows.size());
    m.put("none", rows.isEmpty());
    m.put("from", f.fromText());
    m.put("to", f.toText());
    m.put("activity", f.activity() == null ? "" : f.activity());
    m.put("agent", f.agent() == null ? "" : f.agent());
    List<Map<String, Object>> acts = new ArrayList<>();
    for (String a : new String[] {"backup-run", "pre-change-backup", "failure", "restore-test", "log-analysis", "capacity-recap", "report-sent",
        "report-resolved", "follow-up", "silence", "report", "reports-sent", "login", "login-failed", "report-download", "reminder", "limits-recorded", "limits-changed", "capacity-manual", "tender-load"}) {
      acts.add(Map.of("name", a, "selected", a.equals(f.activity())));
    }
    m.put("activities", acts);
    m.put("query", "from=" + f.fromText() + "&to=" + f.toText() + "&activity=" + (f.activity() == null ? "" : f.activity())
        + "&agent=" + (f.agent() == null ? "" : f.agent()));
    return m;
  }

  private void evidenceExport(RoutingContext ctx) {
    Filter f = filter(ctx);
    boolean json = "json".equals(ctx.request().getParam("format"));
    String user = ctx.session().get("user");
    vertx.executeBlocking(() -> {
      List<EvidenceRegister.Record> all = evidence.list(f.from(), f.to(), f.activity(), f.agent());
      record("report-download", actor(user), "done", "Ekspor register bukti (" + all.size() + " catatan, "
          + (json ? "JSON" : "CSV") + ") diunduh oleh " + actor(user), address(ctx));
      return json ? EvidenceExport.json(all) : EvidenceExport.csv(all, zone);
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.response().setStatusCode(500).end("500\n");
        return;
      }
      ctx.response().putHeader("Content-Type", json ? "application/json" : "text/csv; charset=utf-8")
          .putHeader("Content-Disposition", "attachment; filename=\"evidence." + (json ? "json" : "csv") + "\"")
          .end(Buffer.buffer(ar.result()));
    });
  }

  private Map<String, Object> reportsPage(String lang) {
    Map<String, String> words = ReportRenderer.words(lang);
    YearMonth now = YearMonth.now(store.clock().withZone(zone));
    List<Map<String, Object>> months = new ArrayList<>();
    Locale locale = lang.equals("id") ? Locale.forLanguageTag("id-ID") : Locale.ENGLISH;
    for (int i = 0; i < 12; i++) {
      YearMonth m = now.minusMonths(i);
      List<Map<String, Object>> kinds = new ArrayList<>();
      for (Reports.Kind k : Reports.Kind.values()) {
        kinds.add(Map.of("id", k.id, "title", words.getOrDefault("title_" + k.id.replace('-', '_'), k.id)));
      }
      months.add(Map.of("month", m.toString(), "name", DateTimeFormatter.ofPattern("MMMM yyyy", locale).format(m),
          "kinds", kinds));
    }
    return Map.of("months", months);
  }

  private void report(RoutingContext ctx) {
    String kindId = ctx.pathParam("kind");
    String file = ctx.pathParam("file");
    boolean csv = file.endsWith(".csv");
    String monthText = file.replaceFirst("\\.(html|csv)$", "");
    Reports.Kind kind;
    YearMonth month;
    try {
      kind = Reports.Kind.of(kindId);
      month = YearMonth.parse(monthText);
    } catch (IllegalArgumentException | DateTimeParseException e) {
      ctx.response().setStatusCode(404).end("404: no such report\n");
      return;
    }
    String lang = lang(ctx);
    String user = ctx.session().get("user");
    String address = address(ctx);
    vertx.executeBlocking(() -> {
      ReportService.Rendered r = reports.render(kind, month, lang);
      record("report-download", actor(user), "done",
          "Laporan " + kind.id + " " + month + " (" + (csv ? "CSV" : "HTML") + ") dibuka oleh " + actor(user), address);
      return r;
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        log.error("report {} {} failed: {}", kind.id, month, ar.cause().toString());
        ctx.response().setStatusCode(500).end("500: the report could not be made; see the collector's log\n");
        return;
      }
      if (csv) {
        ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8")
            .putHeader("Content-Disposition", "attachment; filename=\"" + ar.result().baseName() + ".csv\"")
            .end(Buffer.buffer(ar.result().csv()));
      } else {
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Content-Security-Policy", CSP_REPORT)
            .end(ar.result().html());
      }
    });
  }
}
