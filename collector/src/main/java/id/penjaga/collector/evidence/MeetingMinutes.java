package id.penjaga.collector.evidence;

import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The monthly backup-effectiveness analysis as discussed in the meeting (SOP 10 langkah 7): the
 * minutes (notulen) are kept as a file beside the month's reports, named by their SHA-256, and the
 * discussion is an evidence record with the meeting date, who recorded it and the file's hash.
 */
public final class MeetingMinutes {
  public static final long MAX_BYTES = 20L * 1024 * 1024;
  private final ReportStore store;
  private final EvidenceRegister evidence;
  private final Path reportsDir;

  public MeetingMinutes(ReportStore store, EvidenceRegister evidence, Path reportsDir) {
    this.store = store;
    this.evidence = evidence;
    this.reportsDir = reportsDir;
  }

  /** Keeps a copy of the minutes file and records the meeting. */
  public EvidenceRegister.Record record(YearMonth month, LocalDate meeting, Path upload, String fileName, String note, String by)
      throws IOException, SQLException {
    long size = Files.size(upload);
    if (size == 0 || size > MAX_BYTES) {
      throw new IllegalArgumentException("the minutes file must hold something and be at most 20 MiB");
    }
    String safe = safeName(fileName);
    Path dir = Files.createDirectories(reportsDir.resolve(month.toString()).resolve("notulen"));
    String sha;
    Path tmp = Files.createTempFile(dir, ".upload", ".tmp");
    try (InputStream in = new DigestInputStream(Files.newInputStream(upload), sha256())) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      sha = HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
    Path kept = dir.resolve(sha.substring(0, 12) + "-" + safe);
    Files.move(tmp, kept, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return evidence.append(new EvidenceRegister.Entry(store.clock().instant(), "SOP 10 langkah 7", "meeting-minutes", null, by,
        "discussed", "Analisa efektifitas backup " + month + " dibahas dalam rapat " + meeting + "; notulen " + safe
            + " (SHA-256 " + sha.substring(0, 16) + "…)",
        new JsonObject().put("month", month.toString()).put("meeting_date", meeting.toString()).put("file", kept.toString())
            .put("file_name", safe).put("sha256", sha).put("size", size).put("note", note),
        new JsonObject().put("file", kept.getFileName().toString())));
  }

  /** The meetings recorded for a month, oldest first. */
  public List<EvidenceRegister.Record> of(YearMonth month) throws SQLException {
    return evidence.list(null, null, "meeting-minutes", null).stream()
        .filter(r -> month.toString().equals(new JsonObject(r.details()).getString("month"))).toList();
  }

  static String safeName(String name) {
    String base = name == null ? "notulen" : Path.of(name.replace('\\', '/')).getFileName().toString();
    String s = base.replaceAll("[^A-Za-z0-9._-]", "_");
    if (s.isEmpty() || s.startsWith(".")) {
      s = "notulen" + s;
    }
    return s.length() > 80 ? s.substring(s.length() - 80) : s.toLowerCase(Locale.ROOT).endsWith(".tmp") ? s + ".bin" : s;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
