package id.penjaga.collector.evidence;

import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Which SOP step each activity belongs to, and the evidence record an agent's report becomes.
 * Records are written in Bahasa Indonesia (the register is read by the LPSE and its assessor);
 * the activity codes and details are language-neutral.
 */
public final class Activities {
  private Activities() {}

  /** The SOP step of an alert's kind, for the record that it was reported to Kepala LPSE. */
  public static String sopOfAlertKind(String kind) {
    return switch (kind) {
      case "restore-test", "no-restore-test" -> "SOP 10 langkah 5";
      case "finding", "log-rotation", "no-log-analysis" -> "SOP 11 langkah 4";
      case "threshold", "forecast" -> "SOP 6 langkah 6";
      default -> "SOP 10 langkah 6";
    };
  }

  /**
   * Records a newly stored report, inside the transaction that stores it. Heartbeats and capacity
   * periods are not activities of their own (capacity is recorded by the daily recap).
   */
  public static void recordReport(Connection c, ReportStore.IncomingReport r, long nowMs) throws SQLException {
    JsonObject report = new JsonObject(r.json());
    JsonObject body = report.getJsonObject("body", new JsonObject());
    EvidenceRegister.Entry e = entryOf(r.agent(), r.seq(), r.type(), body, report.getString("time"));
    if (e != null) {
      EvidenceRegister.append(c, e, nowMs);
    }
  }

  static EvidenceRegister.Entry entryOf(String agent, long seq, String type, JsonObject body, String reportTime) {
    JsonObject links = new JsonObject().put("report", agent + "#" + seq);
    switch (type) {
      case "backup-run" -> {
        boolean preChange = "pre-change".equals(body.getString("trigger"));
        String result = body.getString("result", "failure");
        String target = body.getString("target_name", "main");
        if (body.getString("snapshot_id") != null) {
          links.put("snapshot", body.getString("snapshot_id"));
        }
        StringBuilder s = new StringBuilder(preChange ? "Backup sebelum perubahan " : "Backup ");
        s.append(body.getString("source", "?")).append(" ke ").append(target).append(": ").append(resultWord(result));
        if (body.getString("snapshot_id") != null) {
          s.append(", snapshot ").append(shortId(body.getString("snapshot_id")));
        }
        if (body.getLong("bytes_added") != null) {
          s.append(", ").append(body.getLong("files_new", 0L)).append(" berkas baru, ")
              .append(Bytes.human(body.getLong("bytes_added"))).append(" data baru");
        }
        if (body.getString("failure") != null) {
          s.append(" — ").append(body.getString("failure"));
        }
        if (preChange && body.getString("reason") != null) {
          s.append(" (alasan: ").append(body.getString("reason")).append(")");
        }
        return new EvidenceRegister.Entry(time(body.getString("finished_at"), reportTime),
            preChange ? "SOP 10 langkah 3" : "SOP 10 langkah 4", preChange ? "pre-change-backup" : "backup-run",
            agent, "system", result, s.toString(), body, links);
      }
      case "failure" -> {
        String kind = body.getString("kind", "other");
        String what = body.getString("task", kind);
        return new EvidenceRegister.Entry(time(body.getString("occurred_at"), reportTime),
            "restore-test".equals(kind) ? "SOP 10 langkah 5" : "log-rotation".equals(kind) ? "SOP 11 langkah 2"
                : "media-rotation".equals(kind) ? "SOP 10 langkah 2" : "SOP 10 langkah 6",
            "failure", agent, "system", "failure", "Kegagalan " + what + ": " + body.getString("reason", ""), body, links);
      }
      case "restore-test" -> {
        String result = body.getString("result", "fail");
        JsonArray sources = body.getJsonArray("sources", new JsonArray());
        for (Object o : sources) {
          if (o instanceof JsonObject src && src.getString("snapshot_id") != null) {
            links.put("snapshot:" + src.getString("source", "?"), src.getString("snapshot_id"));
          }
        }
        String s = "Uji restore dengan sampel acak (seed " + body.getValue("seed") + ", " + body.getValue("sample_files", "?")
            + " berkas per sumber, " + sources.size() + " sumber): " + resultWord(result);
        return new EvidenceRegister.Entry(time(body.getString("finished_at"), reportTime), "SOP 10 langkah 5",
            "restore-test", agent, "system", result, s, body, links);
      }
      case "log-analysis" -> {
        JsonArray sets = body.getJsonArray("sets", new JsonArray());
        JsonArray findings = body.getJsonArray("findings", new JsonArray());
        String s = "Analisa log: " + sets.size() + " kelompok log, " + findings.size() + " temuan";
        return new EvidenceRegister.Entry(time(body.getString("finished_at"), reportTime), "SOP 11 langkah 3",
            "log-analysis", agent, "system", findings.isEmpty() ? "done" : "findings", s, body, links);
      }
      default -> {
        return null;
      }
    }
  }

  static String resultWord(String result) {
    return switch (result.toLowerCase(Locale.ROOT)) {
      case "success" -> "berhasil";
      case "warning" -> "berhasil dengan peringatan";
      case "failure" -> "gagal";
      case "pass" -> "lulus";
      case "fail" -> "tidak lulus";
      default -> result;
    };
  }

  /** The first 8 characters of a snapshot id, as people quote it ("-" for none). */
  public static String shortId(String id) {
    return id == null ? "-" : id.substring(0, Math.min(8, id.length()));
  }

  static Instant time(String iso, String fallback) {
    for (String s : new String[] {iso, fallback}) {
      if (s != null) {
        try {
          return Instant.parse(s);
        } catch (DateTimeParseException e) {
          // try the next
        }
      }
    }
    return Instant.now();
  }
}
