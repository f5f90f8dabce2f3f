package id.penjaga.collector.evidence;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** The register's records as CSV (RFC 4180, UTF-8 with BOM so spreadsheets read it) or JSON. */
public final class EvidenceExport {
  private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private EvidenceExport() {}

  public static byte[] csv(List<EvidenceRegister.Record> records, ZoneId zone) {
    StringBuilder sb = new StringBuilder("\uFEFF");
    sb.append("seq,waktu,waktu_utc,sop,kegiatan,agen,pelaku,hasil,uraian,tautan,hash_sebelumnya,hash\r\n");
    for (EvidenceRegister.Record r : records) {
      Instant t = Instant.parse(r.occurredAt());
      row(sb, String.valueOf(r.seq()), LOCAL.format(t.atZone(zone)), r.occurredAt(), r.sopRef(), r.activity(),
          r.agent() == null ? "" : r.agent(), r.actor(), r.outcome(), r.summary(), r.links(), r.prevHash(), r.hash());
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One CSV row; fields quoted when they hold a comma, quote or line break. */
  public static void row(StringBuilder sb, String... fields) {
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(field(fields[i]));
    }
    sb.append("\r\n");
  }

  /** One CSV field, quoted when needed; a leading =, +, - or @ is escaped against formula injection. */
  public static String field(String f) {
    if (f == null) {
      return "";
    }
    String v = f;
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0 && !v.matches("-?[0-9.]+")) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }

  public static byte[] json(List<EvidenceRegister.Record> records) {
    JsonArray a = new JsonArray();
    for (EvidenceRegister.Record r : records) {
      a.add(new JsonObject()
          .put("seq", r.seq())
          .put("recorded_at", Instant.ofEpochMilli(r.recordedMs()).toString())
          .put("occurred_at", r.occurredAt())
          .put("sop", r.sopRef())
          .put("activity", r.activity())
          .put("agent", r.agent())
          .put("actor", r.actor())
          .put("outcome", r.outcome())
          .put("summary", r.summary())
          .put("details", new JsonObject(r.details()))
          .put("links", new JsonObject(r.links()))
          .put("prev_hash", r.prevHash())
          .put("hash", r.hash()));
    }
    return (a.encodePrettily() + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
