package id.penjaga.collector.evidence;

import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decisions past their target date. A follow-up with a target date stays open until a later
 * follow-up on the same item (an alert or a record) closes it, or sets a new date. Open ones past
 * their date are reminded once a day, by e-mail to the recipients who take reports, and recorded.
 */
public final class Reminders {
  private final ReportStore store;
  private final EvidenceRegister evidence;
  private final ZoneId zone;

  public Reminders(ReportStore store, EvidenceRegister evidence, ZoneId zone) {
    this.store = store;
    this.evidence = evidence;
    this.zone = zone;
  }

  /** An open decision past its target date. */
  public record Overdue(String item, EvidenceRegister.Record followUp, LocalDate due) {}

  /** The open decisions whose target date is before {@code today}. */
  public List<Overdue> overdue(LocalDate today) throws SQLException {
    Map<String, EvidenceRegister.Record> latest = new LinkedHashMap<>();
    for (EvidenceRegister.Record r : evidence.list(null, null, "follow-up", null)) {
      JsonObject l = new JsonObject(r.links());
      String item = l.getValue("alert") != null ? "alert " + l.getLong("alert") : "record " + l.getLong("evidence");
      latest.put(item, r); // oldest first: the last one stays
    }
    List<Overdue> out = new ArrayList<>();
    for (Map.Entry<String, EvidenceRegister.Record> e : latest.entrySet()) {
      String due = new JsonObject(e.getValue().details()).getString("due");
      if (due != null && LocalDate.parse(due).isBefore(today)) {
        out.add(new Overdue(e.getKey(), e.getValue(), LocalDate.parse(due)));
      }
    }
    return out;
  }

  /**
   * Reminds of today's overdue decisions not reminded today yet: records each and returns the
   * text for the e-mail (null when there is nothing new).
   */
  public String remind(LocalDate today, MailQueue queue, List<String> recipients) throws SQLException {
    List<Overdue> due = overdue(today);
    List<String> remindedToday = new ArrayList<>();
    for (EvidenceRegister.Record r : evidence.list(today.atStartOfDay(zone).toInstant(),
        today.plusDays(1).atStartOfDay(zone).toInstant(), "reminder", null)) {
      remindedToday.add(new JsonObject(r.details()).getString("item"));
    }
    List<Overdue> fresh = due.stream().filter(o -> !remindedToday.contains(o.item())).toList();
    if (fresh.isEmpty()) {
      return null;
    }
    StringBuilder body = new StringBuilder("Yth. Kepala LPSE,\n\nTindak lanjut berikut telah melewati target dan belum dinyatakan selesai:\n\n");
    for (Overdue o : fresh) {
      JsonObject d = new JsonObject(o.followUp().details());
      body.append("- ").append(o.item()).append(": ").append(d.getString("action", "")).append(" (penanggung jawab: ")
          .append(d.getString("person_in_charge") == null ? "-" : d.getString("person_in_charge")).append(", target ")
          .append(o.due()).append(", dicatat oleh ").append(o.followUp().actor()).append(")\n");
    }
    body.append("\nMohon tindak lanjut tersebut diselesaikan, atau dicatat keputusan baru beserta target barunya.\n\n-- \nPenjaga\n");
    String subject = "[Penjaga] Pengingat: " + fresh.size() + " tindak lanjut melewati target";
    long now = store.clock().millis();
    store.inTransaction(c -> {
      for (Overdue o : fresh) {
        EvidenceRegister.append(c, new EvidenceRegister.Entry(store.clock().instant(), o.followUp().sopRef(), "reminder",
            o.followUp().agent(), "system", "sent", "Pengingat: tindak lanjut " + o.item() + " melewati target " + o.due(),
            new JsonObject().put("item", o.item()).put("due", o.due().toString()),
            new JsonObject().put("evidence", o.followUp().seq())), now);
      }
      for (String to : recipients) {
        queue.queue(c, to, subject, body.toString());
      }
      return null;
    });
    return body.toString();
  }

  /** Where reminder e-mails go (the collector's outbox). */
  @FunctionalInterface
  public interface MailQueue {
    void queue(Connection c, String to, String subject, String body) throws SQLException;
  }
}
