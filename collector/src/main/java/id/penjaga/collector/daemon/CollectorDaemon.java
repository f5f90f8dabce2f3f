package id.penjaga.collector.daemon;

import id.penjaga.collector.alerts.AlertEngine;
import id.penjaga.collector.alerts.Messages;
import id.penjaga.collector.alerts.Notifier;
import id.penjaga.collector.config.AlertRules;
import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.housekeeping.Housekeeping;
import id.penjaga.collector.config.CronSchedule;
import id.penjaga.collector.report.CapacityRecap;
import id.penjaga.collector.report.MonthlyReports;
import id.penjaga.collector.report.ReportService;
import id.penjaga.collector.ingest.AgentTokens;
import id.penjaga.collector.ingest.IngestApi;
import id.penjaga.collector.ingest.ReportValidator;
import id.penjaga.collector.metrics.CollectorMetrics;
import id.penjaga.collector.store.ReportStore;
import id.penjaga.collector.web.WebUi;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code penjaga-collector run}: wires the store, the ingest API, metrics and housekeeping. */
public final class CollectorDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CollectorDaemon.class);

  private final CollectorConfig config;
  private final String version;
  private final Clock clock;
  private Vertx vertx;
  private HttpServer server;
  private ReportStore store;
  private EvidenceRegister evidence;
  private ReportService reportService;
  private Housekeeping housekeeping;
  private Notifier notifier;
  private boolean closed;

  public CollectorDaemon(CollectorConfig config, String version, Clock clock) {
    this.config = config;
    this.version = version;
    this.clock = clock;
  }

  public void start() throws Exception {
    Map<String, java.util.List<String>> tokens = new LinkedHashMap<>();
    for (Map.Entry<String, CollectorConfig.AgentEntry> e : config.agents().entrySet()) {
      java.util.List<String> t = new java.util.ArrayList<>();
      if (e.getValue().tokenFile() != null) {
        t.add(e.getValue().tokenFile().read());
      }
      if (e.getValue().nextTokenFile() != null) {
        t.add(e.getValue().nextTokenFile().read());
      }
      tokens.put(e.getKey(), t);
    }
    if (tokens.isEmpty()) {
      log.warn("no agents configured: every report will be refused (401)");
    }
    if (config.collector().postgres()) {
      java.nio.file.Files.createDirectories(config.collector().dataDir());
    }
    store = ReportStore.open(config.collector().jdbcUrl(), config.collector().storePassword(), clock);
    log.info("store: {}", config.collector().postgres() ? "PostgreSQL database " + safeUrl(config.collector().jdbcUrl())
        : "SQLite file " + config.collector().storeFile());
    evidence = EvidenceRegister.attach(store, config.collector().besideStore(".evidence-head"));

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    // Micrometer's process_cpu_time_ns_total and system_cpu_count break the naming rules promtool

    // checks; process_cpu_usage says enough.

    registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.denyNameStartsWith("process.cpu.time"));

    registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.deny(id -> id.getName().equals("system.cpu.count")));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    Gauge.builder("penjaga.collector.info", () -> 1)
        .description("Always 1; the labels name the collector's version")
        .tag("version", version)
        .register(registry);

    vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(8));
    Router router = Router.router(vertx);
    AlertRules rules =
        config.alerts().rulesFile() != null ? AlertRules.load(config.alerts().rulesFile()) : AlertRules.defaults();
    AlertEngine alerts =
        new AlertEngine(
            store,
            config.recipients(),
            new Messages(java.time.ZoneId.of(config.smtpServer().map(CollectorConfig.Smtp::timezone).orElse("Asia/Jakarta"))),
            rules)
        .forecastDays(config.alerts().forecastDays());
    new id.penjaga.collector.evidence.LimitsRegister(store, evidence).record(
        id.penjaga.collector.evidence.LimitsRegister.flatten(rules, config.alerts()), config.alerts().rulesFile());
    log.info("{} threshold rules{}", rules.thresholds().size(),
        config.alerts().rulesFile() != null ? " from " + config.alerts().rulesFile() : " (shipped defaults)");
    if (config.smtpServer().isPresent()) {
      notifier = new Notifier(vertx, store, config.smtpServer().get());
      io.micrometer.core.instrument.Gauge.builder("penjaga.notifications.pending", notifier, Notifier::pendingCount)
          .description("Alert e-mails queued and not yet sent (kept and retried until sent)")
          .register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("penjaga.notifications.sent", notifier, Notifier::sentCount)
          .description("Alert e-mails sent")
          .register(registry);
      log.info("alert e-mails through {}:{} to {} recipient(s)", config.smtpServer().get().host(),
          config.smtpServer().get().port(), config.recipients().size());
    }
    Notifier mailer = notifier;
    CollectorConfig.Alerts stale = config.alerts();
    vertx.setPeriodic(
        stale.evaluateEvery().toMillis(),
        id ->
            vertx
                .executeBlocking(
                    () ->
                        alerts.evaluateStaleness(
                                stale.noHeartbeat(), stale.noSuccessfulBackup(), stale.noRestoreTest(), stale.noLogAnalysis())
                            + alerts.repeatFiring(),
                    false)
                .onSuccess(n -> {
                  if (n > 0 && mailer != null) {
                    mailer.wake();
                  }
                })
                .onFailure(e -> log.error("staleness rules failed: {}", e.toString())));
    if (!stale.alertmanagers().isEmpty()) {
      id.penjaga.collector.alerts.AlertmanagerForwarder am = new id.penjaga.collector.alerts.AlertmanagerForwarder(store,
          stale.alertmanagers(), stale.evaluateEvery(), config.reports().lpseName(),
          config.web().baseUrl() == null ? null : config.web().baseUrl().toString().replaceAll("/+$", ""), registry);
      vertx.setPeriodic(stale.evaluateEvery().toMillis(), id -> vertx.executeBlocking(am::push, false)
          .onFailure(e -> log.error("pushing alerts to Alertmanager failed: {}", e.toString())));
      log.info("alerts also go to Alertmanager at {}", stale.alertmanagers());
    }
    new IngestApi(
            vertx,
            store,
            AgentTokens.of(tokens),
            ReportValidator.bundled(),
            config.collector().maxReportSize().bytes(),
            registry)
        .rateLimit(config.collector().rateLimit())
        .clientCertificates(config.collector().clientCaFile() != null ? config.agents().keySet() : java.util.Set.of())
        .onStored(
            reports -> {
              if (alerts.onReports(reports) > 0 && mailer != null) {
                mailer.wake();
              }
            })
        .mount(router);
    new CollectorMetrics(vertx, store, registry).mount(router);
    reportService = new ReportService(store, config.reports(), rules, evidence);
    id.penjaga.collector.web.DecisionLinks links = null;
    if (config.web().enabled() && config.web().baseUrl() != null) {
      links = new id.penjaga.collector.web.DecisionLinks(store, config.collector().besideStore(".link-key"),
          config.web().baseUrl().toString(), config.web().linkValidity());
      alerts.links(links);
      log.info("alert e-mails carry decision links to {}", config.web().baseUrl());
    }
    if (config.web().enabled()) {
      if (config.web().users().isEmpty()) {
        log.warn("web.enabled is true but no web.users are set: nobody can log in to the web page");
      }
      id.penjaga.collector.web.Credentials credentials = new id.penjaga.collector.web.Credentials(config.web().users(), clock);
      new WebUi(vertx, store, evidence, reportService, config.web(), config.reports(), config.alerts().noHeartbeat(),
          config.collector().tlsCertFile() != null, credentials).links(links).mount(router);
      new id.penjaga.collector.web.SilencesApi(vertx, new id.penjaga.collector.alerts.Silences(store), credentials).mount(router);
      log.info("web page on /ui/ for {} user(s)", config.web().users().size());
    }
    router.get("/").handler(ctx -> ctx.response().end("penjaga-collector " + version + "\n"));

    server =
        vertx
            .createHttpServer(serverOptions())
            .requestHandler(router)
            .listen(config.collector().listen().port(), config.collector().listen().host())
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);

    watchCertificate();
    housekeeping =
        new Housekeeping(
            store, clock, config.collector().keepHeartbeats(), config.collector().housekeeping());
    MonthlyReports monthly = new MonthlyReports(store, reportService, config.reports(), config.recipients(),
        mailer != null ? mailer::wake : null);
    housekeeping.schedule("monthly-reports", config.reports().schedule(), () -> {
      try {
        monthly.run(monthly.previousMonth());
      } catch (Exception e) {
        log.error("the monthly reports could not be made: {}", e.toString());
      }
    });
    CapacityRecap recap = new CapacityRecap(store, reportService.reports(), evidence,
        java.time.ZoneId.of(config.reports().timezone()));
    housekeeping.schedule("capacity-recap", CronSchedule.parse("20 0 * * *"), () -> {
      try {
        recap.run(7);
        int pruned = store.pruneCapacity(clock.instant().minus(config.collector().keepCapacity()));
        if (pruned > 0) {
          log.info("housekeeping: {} capacity records older than {} removed (their daily recaps stay)", pruned,
              config.collector().keepCapacity());
        }
      } catch (Exception e) {
        log.error("the daily capacity recap failed: {}", e.toString());
      }
    });
    id.penjaga.collector.evidence.Reminders reminders = new id.penjaga.collector.evidence.Reminders(store, evidence,
        java.time.ZoneId.of(config.reports().timezone()));
    java.util.List<String> reminded = config.recipients().stream().filter(CollectorConfig.Recipient::reports)
        .map(CollectorConfig.Recipient::address).toList();
    housekeeping.schedule("decision-reminders", CronSchedule.parse("0 8 * * *"), () -> {
      try {
        if (reminders.remind(java.time.LocalDate.now(clock.withZone(java.time.ZoneId.of(config.reports().timezone()))),
            (c, to, subject, body) -> Notifier.queueReportMail(c, to, subject, body, java.util.List.of(), clock.millis()),
            reminded) != null && mailer != null) {
          mailer.wake();
        }
      } catch (Exception e) {
        log.error("decision reminders failed: {}", e.toString());
      }
    });
    java.util.concurrent.atomic.AtomicInteger chainIntact = new java.util.concurrent.atomic.AtomicInteger(1);
    Gauge.builder("penjaga.evidence.chain.intact", chainIntact, java.util.concurrent.atomic.AtomicInteger::get)
        .description("1 when the evidence register matches its hash chain at the last check, 0 when a record was changed")
        .register(registry);
    java.util.concurrent.Callable<Integer> checkEvidence = () -> {
      java.util.List<String> problems = evidence.verify().stream().map(EvidenceRegister.Problem::what).toList();
      chainIntact.set(problems.isEmpty() ? 1 : 0);
      if (!problems.isEmpty()) {
        log.error("the evidence register does not match its chain: {}", problems);
      }
      int queued = alerts.evidenceChecked(problems);
      if (queued > 0 && mailer != null) {
        mailer.wake();
      }
      return queued;
    };
    housekeeping.schedule("verify-evidence", CronSchedule.parse("45 2 * * *"), () -> {
      try {
        checkEvidence.call();
      } catch (Exception e) {
        log.error("the evidence check failed: {}", e.toString());
      }
    });
    housekeeping.start();
    vertx.executeBlocking(checkEvidence, false)
        .onFailure(e -> log.error("the evidence check failed: {}", e.toString()));
    // Catching up at start, under the same leases as the scheduled runs: collectors starting
    // together on one store do it once.
    vertx.executeBlocking(() -> {
      try (ReportStore.Lease l = store.lease("capacity-recap")) {
        return recap.run(7);
      }
    }, false).onFailure(e -> log.error("the daily capacity recap failed: {}", e.toString()));
    vertx.executeBlocking(() -> {
      try (ReportStore.Lease l = store.lease("monthly-reports")) {
        return monthly.catchUp();
      }
    }, false).onFailure(e -> log.error("the monthly reports could not be made: {}", e.toString()));
    log.info(
        "penjaga-collector {} listening on http://{}:{} ({} agents, store {})",
        version,
        config.collector().listen().host(),
        server.actualPort(),
        tokens.size(),
        config.collector().store());
  }

  /** The port actually bound (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  /**
   * HTTPS when a certificate and key are configured (agents then verify it), else plain HTTP; with
   * a client CA, agents may prove themselves by a client certificate it signed.
   */
  private io.vertx.core.http.HttpServerOptions serverOptions() throws java.io.IOException {
    io.vertx.core.http.HttpServerOptions o = new io.vertx.core.http.HttpServerOptions();
    CollectorConfig.Server c = config.collector();
    if (c.tlsCertFile() != null) {
      o.setSsl(true).setKeyCertOptions(keyCert());
      if (c.clientCaFile() != null) {
        o.setClientAuth(io.vertx.core.http.ClientAuth.REQUEST)
            .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(c.clientCaFile().toString()));
        log.info("agents may prove themselves by client certificates signed by {}", c.clientCaFile());
      }
      log.info("serving HTTPS with {}", c.tlsCertFile());
    }
    return o;
  }

  /** The certificate and key as they are in their files now (read together, so a reload sees a matching pair). */
  private io.vertx.core.net.PemKeyCertOptions keyCert() throws java.io.IOException {
    CollectorConfig.Server c = config.collector();
    return new io.vertx.core.net.PemKeyCertOptions()
        .setCertValue(io.vertx.core.buffer.Buffer.buffer(java.nio.file.Files.readAllBytes(c.tlsCertFile())))
        .setKeyValue(io.vertx.core.buffer.Buffer.buffer(c.tlsKeyFile().read()));
  }

  private String tlsStamp() {
    CollectorConfig.Server c = config.collector();
    try {
      return java.nio.file.Files.getLastModifiedTime(c.tlsCertFile()) + "|" + java.nio.file.Files.size(c.tlsCertFile())
          + "|" + java.nio.file.Files.getLastModifiedTime(c.tlsKeyFile().path());
    } catch (java.io.IOException e) {
      return "unreadable";
    }
  }

  /** Checks the certificate and key files now and then; when they change, new connections get the new pair. */
  private void watchCertificate() {
    CollectorConfig.Server c = config.collector();
    if (c.tlsCertFile() == null) {
      return;
    }
    String[] stamp = {tlsStamp()};
    vertx.setPeriodic(c.tlsReloadEvery().toMillis(), id -> vertx.executeBlocking(() -> {
      String now = tlsStamp();
      if (now.equals(stamp[0])) {
        return null;
      }
      io.vertx.core.net.ServerSSLOptions ssl = new io.vertx.core.net.ServerSSLOptions().setKeyCertOptions(keyCert());
      if (c.clientCaFile() != null) {
        ssl.setClientAuth(io.vertx.core.http.ClientAuth.REQUEST)
            .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(c.clientCaFile().toString()));
      }
      server.updateSSLOptions(ssl, true).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      stamp[0] = now;
      log.info("TLS certificate {} reloaded", c.tlsCertFile());
      return null;
    }, false).onFailure(e -> log.error("the new TLS certificate or key could not be loaded, the old ones stay: {}",
        e.toString())));
  }

  /** Stops taking requests, lets those in flight finish, then closes the store. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (housekeeping != null) {
        housekeeping.close();
      }
      if (server != null) {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      if (notifier != null) {
        notifier.close();
      }
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      if (store != null) {
        store.close();
      }
    } catch (Exception e) {
      log.warn("while stopping: {}", e.toString());
    }
    log.info("penjaga-collector stopped");
  }


  /** A JDBC URL without its query (which may carry options an operator would not print). */
  private static String safeUrl(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }
}
