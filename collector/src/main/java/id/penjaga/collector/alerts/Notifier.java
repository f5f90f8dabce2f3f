package id.penjaga.collector.alerts;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the queued e-mails over SMTP, oldest first. One that cannot be sent (the mail server down,
 * refused) stays queued with the error and is tried again later, backing off from 10 s to 30 min:
 * never dropped. Store work runs on worker threads; the mail client is Vert.x's, non-blocking.
 */
public final class Notifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);
  private static final long MAX_BACKOFF_MS = 30 * 60_000L;

  private final Vertx vertx;
  private final ReportStore store;
  private final MailClient mail;
  private final String from;
  private final AtomicBoolean busy = new AtomicBoolean();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong sentTotal = new AtomicLong();
  private final long timer;

  /** A queued e-mail. */
  record Queued(long id, String to, String subject, String body, int attempts, String table,
      List<io.vertx.ext.mail.MailAttachment> attachments, List<Long> group) {
    Queued(long id, String to, String subject, String body, int attempts) {
      this(id, to, subject, body, attempts, "notification", List.of(), List.of(id));
    }

    Queued(long id, String to, String subject, String body, int attempts, String table,
        List<io.vertx.ext.mail.MailAttachment> attachments) {
      this(id, to, subject, body, attempts, table, attachments, List.of(id));
    }
  }

  public Notifier(Vertx vertx, ReportStore store, CollectorConfig.Smtp smtp) throws IOException {
    this.vertx = vertx;
    this.store = store;
    this.from = smtp.from();
    MailConfig cfg =
        new MailConfig()
            .setHostname(smtp.host())
            .setPort(smtp.port())
            .setSsl(smtp.security().equals("tls"))
            .setStarttls(smtp.security().equals("starttls") ? StartTLSOptions.REQUIRED : StartTLSOptions.DISABLED)
            .setConnectTimeout((int) smtp.timeout().toMillis())
            .setKeepAlive(false);
    if (smtp.passwordFile() != null) {
      cfg.setLogin(LoginOption.REQUIRED)
          .setUsername(smtp.username() != null ? smtp.username() : smtp.from())
          .setPassword(smtp.passwordFile().read());
    } else {
      cfg.setLogin(LoginOption.DISABLED);
    }
    this.mail = MailClient.create(vertx, cfg);
    this.timer = vertx.setPeriodic(5_000, id -> wake());
  }

  /** E-mails queued and not yet sent. */
  public long pendingCount() {
    return pending.get();
  }

  public long sentCount() {
    return sentTotal.get();
  }

  /** Sends what is due now (unless a pass is already running). */
  public void wake() {
    if (!busy.compareAndSet(false, true)) {
      return;
    }
    // One sender at a time among the collectors sharing a store, so no e-mail goes out twice.
    java.util.concurrent.atomic.AtomicReference<ReportStore.Lease> lease = new java.util.concurrent.atomic.AtomicReference<>();
    vertx
        .executeBlocking(() -> {
          lease.set(store.tryLease("mail"));
          return lease.get() == null ? List.<Queued>of() : due();
        }, false)
        .compose(this::sendAll)
        .onComplete(ar -> {
          ReportStore.Lease l = lease.get();
          if (l != null) {
            vertx.executeBlocking(() -> {
              l.close();
              return null;
            }, false).onComplete(x -> busy.set(false));
          } else {
            busy.set(false);
          }
          if (ar.failed()) {
            log.error("notification pass failed: {}", ar.cause().toString());
          }
        });
  }

  private List<Queued> due() throws Exception {
    long now = store.clock().millis();
    return store.inTransaction(
        c -> {
          try (PreparedStatement count = c.prepareStatement(
                  "SELECT (SELECT count(*) FROM notification WHERE status = 'pending')"
                      + " + (SELECT count(*) FROM report_mail WHERE status = 'pending')");
              ResultSet rs = count.executeQuery()) {
            rs.next();
            pending.set(rs.getLong(1));
          }
          List<Queued> out = new ArrayList<>();
          // Alerts of one agent and name waiting for the same recipient go out as one e-mail.
          java.util.Map<String, List<Queued>> groups = new java.util.LinkedHashMap<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT n.id, n.recipient, n.subject, n.body, n.attempts, a.agent, a.name, n.event"
                      + " FROM notification n JOIN alert a ON a.id = n.alert_id"
                      + " WHERE n.status = 'pending' AND n.next_attempt_ms <= ? ORDER BY n.id LIMIT 100")) {
            ps.setLong(1, now);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                groups.computeIfAbsent(rs.getString(2) + "|" + rs.getString(6) + "|" + rs.getString(7) + "|" + rs.getString(8),
                    k -> new ArrayList<>())
                    .add(new Queued(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5)));
              }
            }
          }
          for (List<Queued> g : groups.values()) {
            Queued first = g.get(0);
            if (g.size() == 1) {
              out.add(first);
              continue;
            }
            StringBuilder body = new StringBuilder();
            List<Long> ids = new ArrayList<>();
            int attempts = 0;
            for (Queued q : g) {
              body.append(body.length() > 0 ? "\n\n" + "-".repeat(60) + "\n\n" : "").append(q.body());
              ids.add(q.id());
              attempts = Math.max(attempts, q.attempts());
            }
            out.add(new Queued(first.id(), first.to(), first.subject() + " (" + g.size() + ")", body.toString(), attempts,
                "notification", List.of(), ids));
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, recipient, subject, body, attempts, attachments FROM report_mail"
                      + " WHERE status = 'pending' AND next_attempt_ms <= ? ORDER BY id LIMIT 5")) {
            ps.setLong(1, now);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                List<io.vertx.ext.mail.MailAttachment> files = new ArrayList<>();
                for (Object f : new io.vertx.core.json.JsonArray(rs.getString(6))) {
                  java.nio.file.Path path = java.nio.file.Path.of((String) f);
                  try {
                    files.add(io.vertx.ext.mail.MailAttachment.create()
                        .setName(path.getFileName().toString())
                        .setContentType(path.toString().endsWith(".csv") ? "text/csv; charset=utf-8" : "text/html; charset=utf-8")
                        .setData(io.vertx.core.buffer.Buffer.buffer(java.nio.file.Files.readAllBytes(path))));
                  } catch (IOException e) {
                    log.warn("report e-mail {}: attachment {} cannot be read ({}); sent without it", rs.getLong(1), path, e.toString());
                  }
                }
                out.add(new Queued(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                    "report_mail", files));
              }
            }
          }
          return out;
        });
  }

  private Future<Void> sendAll(List<Queued> queued) {
    Future<Void> chain = Future.succeededFuture();
    for (Queued q : queued) {
      chain = chain.compose(v -> sendOne(q));
    }
    return chain;
  }

  private Future<Void> sendOne(Queued q) {
    MailMessage msg =
        new MailMessage().setFrom(from).setTo(q.to()).setSubject(q.subject()).setText(q.body());
    if (!q.attachments().isEmpty()) {
      msg.setAttachment(q.attachments());
    }
    return mail.sendMail(msg)
        .compose(
            result ->
                vertx.executeBlocking(
                    () -> {
                      mark(q, null);
                      return null;
                    },
                    false))
        .recover(
            e ->
                vertx.executeBlocking(
                    () -> {
                      mark(q, e.getMessage() != null ? e.getMessage() : e.toString());
                      return null;
                    },
                    false))
        .mapEmpty();
  }

  private void mark(Queued q, String error) throws Exception {
    long now = store.clock().millis();
    store.inTransaction(
        c -> {
          if (error == null) {
            for (long id : q.group()) {
              try (PreparedStatement ps = c.prepareStatement(
                  "UPDATE " + q.table() + " SET status = 'sent', sent_ms = ?, attempts = attempts + 1 WHERE id = ?")) {
                ps.setLong(1, now);
                ps.setLong(2, id);
                ps.executeUpdate();
              }
            }
            if (q.table().equals("notification")) {
              for (long id : q.group()) {
                recordSent(c, new Queued(id, q.to(), q.subject(), q.body(), q.attempts()), now);
              }
            } else {
              recordReportSent(c, q, now);
            }
            return 1;
          }
          long backoff = Math.min(MAX_BACKOFF_MS, 10_000L << Math.min(q.attempts(), 10));
          int n = 0;
          for (long id : q.group()) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE " + q.table() + " SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ? WHERE id = ?")) {
              ps.setString(1, error.length() > 1000 ? error.substring(0, 1000) : error);
              ps.setLong(2, now + backoff);
              ps.setLong(3, id);
              n += ps.executeUpdate();
            }
          }
          return n;
        });
    if (error == null) {
      sentTotal.incrementAndGet();
      pending.addAndGet(-q.group().size());
      log.info("e-mail {} sent to {}: {}", q.id(), q.to(), q.subject());
    } else {
      log.warn("e-mail {} to {} not sent (attempt {}): {}; kept, tried again later", q.id(), q.to(), q.attempts() + 1, error);
    }
  }

  /** The evidence that a failure or alert was reported (SOP 10 langkah 6 and kin), with the mail. */
  private void recordSent(java.sql.Connection c, Queued q, long now) throws java.sql.SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.id, a.agent, a.name, a.kind, a.severity, n.event FROM notification n JOIN alert a ON a.id = n.alert_id"
                + " WHERE n.id = ?")) {
      ps.setLong(1, q.id());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        String event = rs.getString(6);
        id.penjaga.collector.evidence.EvidenceRegister.append(
            c,
            new id.penjaga.collector.evidence.EvidenceRegister.Entry(
                java.time.Instant.ofEpochMilli(now),
                id.penjaga.collector.evidence.Activities.sopOfAlertKind(rs.getString(4)),
                "resolved".equals(event) ? "report-resolved" : "report-sent",
                rs.getString(2),
                "system",
                "sent",
                ("resolved".equals(event) ? "Pemberitahuan selesai " : "Laporan ")
                    + rs.getString(3) + " dikirim ke " + q.to() + ": " + q.subject(),
                new io.vertx.core.json.JsonObject().put("recipient", q.to()).put("subject", q.subject())
                    .put("severity", rs.getString(5)).put("event", event),
                new io.vertx.core.json.JsonObject().put("alert", rs.getLong(1)).put("notification", q.id())),
            now);
      }
    }
  }

  /** The evidence that the monthly reports were sent to Kepala LPSE. */
  private void recordReportSent(java.sql.Connection c, Queued q, long now) throws java.sql.SQLException {
    io.vertx.core.json.JsonArray names = new io.vertx.core.json.JsonArray();
    q.attachments().forEach(a -> names.add(a.getName()));
    id.penjaga.collector.evidence.EvidenceRegister.append(c,
        new id.penjaga.collector.evidence.EvidenceRegister.Entry(java.time.Instant.ofEpochMilli(now),
            "SOP 10 langkah 7; SOP 6 langkah 6; SOP 11 langkah 4", "reports-sent", null, "system", "sent",
            "Laporan bulanan dikirim ke " + q.to() + ": " + q.subject(),
            new io.vertx.core.json.JsonObject().put("recipient", q.to()).put("subject", q.subject()).put("files", names),
            new io.vertx.core.json.JsonObject().put("report_mail", q.id())),
        now);
  }

  /** Queues an e-mail with report files attached (sent, retried and recorded like the alerts). */
  public static void queueReportMail(java.sql.Connection c, String to, String subject, String body,
      List<java.nio.file.Path> files, long now) throws java.sql.SQLException {
    io.vertx.core.json.JsonArray paths = new io.vertx.core.json.JsonArray();
    files.forEach(f -> paths.add(f.toString()));
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO report_mail (recipient, subject, body, attachments, status, created_ms, next_attempt_ms)"
            + " VALUES (?, ?, ?, ?, 'pending', ?, ?)")) {
      ps.setString(1, to);
      ps.setString(2, subject);
      ps.setString(3, body);
      ps.setString(4, paths.encode());
      ps.setLong(5, now);
      ps.setLong(6, now);
      ps.executeUpdate();
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    mail.close();
  }
}
