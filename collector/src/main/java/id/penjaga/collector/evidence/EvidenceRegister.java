package id.penjaga.collector.evidence;

import id.penjaga.collector.store.Dialect;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evidence register: append-only, hash-chained records of every SOP activity. Each record's
 * hash covers its own fields and the previous record's hash, so an edit, a deletion or a reordering
 * breaks the chain at a place {@link #verify} names. The head (newest sequence number and hash) is
 * also written to a file beside the store, so records cut off the end are noticed too.
 */
public final class EvidenceRegister {
  private static final Logger log = LoggerFactory.getLogger(EvidenceRegister.class);
  /** The previous hash of the first record. */
  public static final String GENESIS = "0".repeat(64);

  private final ReportStore store;
  private final Path headFile;

  /**
   * @param headFile where the chain's head is kept outside the store (null: not kept)
   */
  public EvidenceRegister(ReportStore store, Path headFile) {
    this.store = store;
    this.headFile = headFile;
  }

  private final java.util.concurrent.atomic.AtomicBoolean writingHead = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile String lastHead = "";

  /**
   * A register on {@code store} that records each newly stored agent report in the storing
   * transaction and keeps the head file current after every commit.
   */
  public static EvidenceRegister attach(ReportStore store, Path headFile) {
    EvidenceRegister r = new EvidenceRegister(store, headFile);
    store.onStored(Activities::recordReport);
    store.afterCommit(r::writeHead);
    return r;
  }

  /** The head file that belongs to a store's SQLite file (none for an in-memory store). */
  public static Path headFileFor(Path storeFile) {
    String name = storeFile.getFileName() == null ? "" : storeFile.getFileName().toString();
    return name.isEmpty() || name.startsWith(":memory:") ? null : storeFile.resolveSibling(name + ".evidence-head");
  }

  /** One SOP activity to record. */
  public record Entry(
      Instant occurredAt,
      String sopRef,
      String activity,
      String agent,
      String actor,
      String outcome,
      String summary,
      JsonObject details,
      JsonObject links) {
    public Entry {
      details = details != null ? details : new JsonObject();
      links = links != null ? links : new JsonObject();
      actor = actor != null ? actor : "system";
    }
  }

  /** A record as stored. */
  public record Record(
      long seq,
      long recordedMs,
      String occurredAt,
      String sopRef,
      String activity,
      String agent,
      String actor,
      String outcome,
      String summary,
      String details,
      String links,
      String prevHash,
      String hash) {

    /** The hash this record should carry, from its fields. */
    public String computeHash() {
      return EvidenceRegister.hash(
          seq, recordedMs, occurredAt, sopRef, activity, agent, actor, outcome, summary, details, links, prevHash);
    }
  }

  /** Appends a record in its own transaction and moves the head file. */
  public Record append(Entry e) throws SQLException {
    Record r = store.inTransaction(c -> append(c, e, store.clock().millis()));
    writeHead();
    return r;
  }

  /** Something a decision or follow-up can be recorded on: an evidence record or an alert. */
  public record Item(String sopRef, String agent, String summary, List<Record> followUps) {}

  /** The item an evidence record number or alert id names, with its follow-ups so far; null if none. */
  public Item item(Long evidenceSeq, Long alertId) throws SQLException {
    String sop;
    String agent;
    String summary;
    String linkKey;
    long linkValue;
    if (evidenceSeq != null) {
      Record r = get(evidenceSeq);
      if (r == null) {
        return null;
      }
      sop = r.sopRef();
      agent = r.agent();
      summary = r.summary();
      linkKey = "evidence";
      linkValue = evidenceSeq;
    } else if (alertId != null) {
      String[] a = store.inTransaction(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT agent, name, kind, summary, state FROM alert WHERE id = ?")) {
          ps.setLong(1, alertId);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next()
                ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)}
                : null;
          }
        }
      });
      if (a == null) {
        return null;
      }
      sop = Activities.sopOfAlertKind(a[2]);
      agent = a[0];
      summary = a[1] + ": " + a[3] + " (" + ("firing".equals(a[4]) ? "aktif" : "selesai") + ")";
      linkKey = "alert";
      linkValue = alertId;
    } else {
      return null;
    }
    List<Record> fus = new ArrayList<>();
    for (Record r : list(null, null, "follow-up", null)) {
      JsonObject l = new JsonObject(r.links());
      if (l.getValue(linkKey) != null && l.getLong(linkKey) == linkValue) {
        fus.add(r);
      }
    }
    return new Item(sop, agent, summary, fus);
  }

  /**
   * Appends a follow-up of an earlier record or alert (who did what, and when): a new record,
   * never an edit of the one it follows up.
   */
  public Record followUp(Long evidenceSeq, Long alertId, String by, String action, String personInCharge,
      String due) throws SQLException {
    return append(followUpEntry(evidenceSeq, alertId, by, action, personInCharge, due));
  }

  /** The record {@link #followUp} would append, for appending inside another transaction. */
  public Entry followUpEntry(Long evidenceSeq, Long alertId, String by, String action, String personInCharge,
      String due) throws SQLException {
    if (action == null || action.isBlank()) {
      throw new IllegalArgumentException("say what was done or decided");
    }
    if (by == null || by.isBlank()) {
      throw new IllegalArgumentException("say who (--by)");
    }
    JsonObject links = new JsonObject();
    String sop = "SOP 10 langkah 6";
    String agent = null;
    String about = "";
    if (evidenceSeq != null) {
      Record r = get(evidenceSeq);
      if (r == null) {
        throw new IllegalArgumentException("no evidence record " + evidenceSeq);
      }
      links.put("evidence", evidenceSeq);
      sop = r.sopRef();
      agent = r.agent();
      about = " atas catatan " + evidenceSeq + " (" + r.summary() + ")";
    }
    if (alertId != null) {
      String[] alert = store.inTransaction(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT agent, name, kind, summary FROM alert WHERE id = ?")) {
          ps.setLong(1, alertId);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)} : null;
          }
        }
      });
      if (alert == null) {
        throw new IllegalArgumentException("no alert " + alertId);
      }
      links.put("alert", alertId);
      agent = alert[0];
      sop = Activities.sopOfAlertKind(alert[2]);
      about = " atas peringatan " + alertId + " " + alert[1] + " (" + alert[3] + ")";
    }
    if (links.isEmpty()) {
      throw new IllegalArgumentException("say what is followed up: an evidence record or an alert");
    }
    JsonObject details = new JsonObject().put("action", action).put("person_in_charge", personInCharge).put("due", due);
    return (new Entry(store.clock().instant(), sop, "follow-up", agent, by, "recorded",
        "Tindak lanjut" + about + ": " + action
            + (personInCharge != null ? "; penanggung jawab " + personInCharge : "")
            + (due != null ? "; target " + due : ""),
        details, links));
  }

  /**
   * Appends a record inside the caller's transaction (on the store's connection): for records
   * that must be kept together with what they record. Call {@link #writeHead} after the commit.
   */
  public static Record append(Connection c, Entry e, long nowMs) throws SQLException {
    Dialect.of(c).lockEvidenceChain(c);
    long seq = 1;
    String prev = GENESIS;
    try (PreparedStatement last = c.prepareStatement("SELECT seq, hash FROM evidence ORDER BY seq DESC LIMIT 1");
        ResultSet rs = last.executeQuery()) {
      if (rs.next()) {
        seq = rs.getLong(1) + 1;
        prev = rs.getString(2);
      }
    }
    String occurred = e.occurredAt().toString();
    String details = e.details().encode();
    String links = e.links().encode();
    String h = hash(seq, nowMs, occurred, e.sopRef(), e.activity(), e.agent(), e.actor(), e.outcome(), e.summary(),
        details, links, prev);
    try (PreparedStatement ins =
        c.prepareStatement(
            "INSERT INTO evidence (seq, recorded_ms, occurred_at, sop_ref, activity, agent, actor, outcome,"
                + " summary, details, links, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ins.setLong(1, seq);
      ins.setLong(2, nowMs);
      ins.setString(3, occurred);
      ins.setString(4, e.sopRef());
      ins.setString(5, e.activity());
      ins.setString(6, e.agent());
      ins.setString(7, e.actor());
      ins.setString(8, e.outcome());
      ins.setString(9, e.summary());
      ins.setString(10, details);
      ins.setString(11, links);
      ins.setString(12, prev);
      ins.setString(13, h);
      ins.executeUpdate();
    }
    return new Record(seq, nowMs, occurred, e.sopRef(), e.activity(), e.agent(), e.actor(), e.outcome(),
        e.summary(), details, links, prev, h);
  }

  /**
   * SHA-256 over the fields, each written as its UTF-8 length, a colon and its bytes, so no two
   * different records share an encoding.
   */
  static String hash(Object... fields) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Object f : fields) {
      byte[] b = (f == null ? "\u0000" : f.toString()).getBytes(StandardCharsets.UTF_8);
      md.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
      md.update(b);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The newest record's sequence number and hash (0 and the genesis hash when empty). */
  public Map.Entry<Long, String> head() throws SQLException {
    return store.inTransaction(c -> {
      try (PreparedStatement last = c.prepareStatement("SELECT seq, hash FROM evidence ORDER BY seq DESC LIMIT 1");
          ResultSet rs = last.executeQuery()) {
        return rs.next() ? Map.entry(rs.getLong(1), rs.getString(2)) : Map.entry(0L, GENESIS);
      }
    });
  }

  /** Writes the head to the head file (temp file, then rename). Failures are logged, not thrown. */
  public void writeHead() {
    if (headFile == null || !writingHead.compareAndSet(false, true)) {
      return;
    }
    try {
      Map.Entry<Long, String> h = head();
      String line = h.getKey() + " " + h.getValue();
      if (line.equals(lastHead) || h.getKey() == 0) {
        return;
      }
      if (Files.exists(headFile)) {
        String[] old = Files.readString(headFile).trim().split("\\s+");
        if (old.length == 2 && Long.parseLong(old[0]) >= h.getKey()) {
          if (Long.parseLong(old[0]) > h.getKey()) {
            log.error("the evidence register ends at record {} but its head file {} says {}: records were removed;"
                + " the head file is kept as it is (run: penjaga-collector evidence verify)", h.getKey(), headFile, old[0]);
          }
          lastHead = line;
          return;
        }
      }
      lastHead = line;
      Path tmp = headFile.resolveSibling(headFile.getFileName() + ".tmp");
      Files.writeString(tmp, h.getKey() + " " + h.getValue() + "\n");
      Files.move(tmp, headFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | SQLException | RuntimeException e) {
      log.warn("cannot write the evidence head to {}: {}", headFile, e.toString());
    } finally {
      writingHead.set(false);
    }
  }

  /** Records in a time range (occurred_at in [from, to)), oldest first; nulls leave a side open. */
  public List<Record> list(Instant from, Instant to, String activity, String agent) throws SQLException {
    // Times compare as instants: as text, "…00.5Z" would sort before "…00Z".
    StringBuilder sql = new StringBuilder("SELECT * FROM evidence WHERE 1=1");
    String occurred = store.dialect().epoch("occurred_at");
    List<Object> args = new ArrayList<>();
    if (from != null) {
      sql.append(" AND ").append(occurred).append(" >= ?");
      args.add(from.toEpochMilli() / 1000.0);
    }
    if (to != null) {
      sql.append(" AND ").append(occurred).append(" < ?");
      args.add(to.toEpochMilli() / 1000.0);
    }
    if (activity != null && !activity.isEmpty()) {
      sql.append(" AND activity = ?");
      args.add(activity);
    }
    if (agent != null && !agent.isEmpty()) {
      sql.append(" AND agent = ?");
      args.add(agent);
    }
    sql.append(" ORDER BY ").append(occurred).append(", seq");
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        return read(ps);
      }
    });
  }

  /** One record by its sequence number. */
  public Record get(long seq) throws SQLException {
    return store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM evidence WHERE seq = ?")) {
        ps.setLong(1, seq);
        List<Record> r = read(ps);
        return r.isEmpty() ? null : r.get(0);
      }
    });
  }

  private static List<Record> read(PreparedStatement ps) throws SQLException {
    List<Record> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Record(rs.getLong("seq"), rs.getLong("recorded_ms"), rs.getString("occurred_at"),
            rs.getString("sop_ref"), rs.getString("activity"), rs.getString("agent"), rs.getString("actor"),
            rs.getString("outcome"), rs.getString("summary"), rs.getString("details"), rs.getString("links"),
            rs.getString("prev_hash"), rs.getString("hash")));
      }
    }
    return out;
  }

  /** What {@link #verify} found wrong, at which record. */
  public record Problem(long seq, String what) {}

  /**
   * Walks the whole chain in sequence order and lists every break: a record whose fields no
   * longer match its hash (edited), a gap in the numbering or a previous-hash that points
   * elsewhere (deleted or reordered), and a head file ahead of the store (records cut off the end).
   */
  public List<Problem> verify() throws SQLException {
    // The head file first: it only ever names a record already committed (writeHead reads the
    // head from the store), so records appended while this check runs, by this collector or
    // another on the same store, cannot look like records missing from the end.
    String[] h = null;
    Exception headError = null;
    if (headFile != null && Files.exists(headFile)) {
      try {
        h = Files.readString(headFile).trim().split("\\s+");
      } catch (IOException e) {
        headError = e;
      }
    }
    List<Record> all = store.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM evidence ORDER BY seq")) {
        return read(ps);
      }
    });
    List<Problem> problems = new ArrayList<>();
    Map<String, Long> storedHashes = new java.util.HashMap<>();
    for (Record r : all) {
      storedHashes.put(r.hash(), r.seq());
    }
    long expectSeq = 1;
    String expectPrev = GENESIS;
    for (Record r : all) {
      if (r.seq() != expectSeq) {
        problems.add(new Problem(expectSeq, r.seq() > expectSeq
            ? "record" + (r.seq() - expectSeq > 1 ? "s " + expectSeq + "-" + (r.seq() - 1) : " " + expectSeq)
                + " missing (deleted)"
            : "record number " + r.seq() + " repeated"));
      }
      if (!r.hash().equals(r.computeHash())) {
        problems.add(new Problem(r.seq(), "record " + r.seq() + " was altered: its content does not match its hash"));
      }
      if (!r.prevHash().equals(expectPrev) && r.seq() == expectSeq) {
        Long linked = storedHashes.get(r.prevHash());
        problems.add(new Problem(r.seq(), linked != null
            ? "record " + r.seq() + " is out of order: it was written after record " + linked
                + ", but now follows record " + (r.seq() - 1)
            : "record " + r.seq() + " does not follow record " + (r.seq() - 1)
                + ": the record it was written after was altered or removed"));
      } else if (!r.prevHash().equals(expectPrev) && r.seq() != expectSeq) {
        Long linked = storedHashes.get(r.prevHash());
        if (linked != null && linked != expectSeq - 1) {
          problems.add(new Problem(r.seq(), "record " + r.seq() + " is out of order: it was written after record "
              + linked));
        }
      }
      expectSeq = r.seq() + 1;
      expectPrev = r.hash();
    }
    if (headError != null) {
      problems.add(new Problem(0, "cannot read the head file " + headFile + ": " + headError));
    } else if (h != null) {
      try {
        long headSeq = Long.parseLong(h[0]);
        long last = all.isEmpty() ? 0 : all.get(all.size() - 1).seq();
        if (headSeq > last) {
          problems.add(new Problem(last + 1, "records " + (last + 1) + "-" + headSeq
              + " missing from the end (the head file " + headFile + " says the register reached " + headSeq + ")"));
        } else {
          Record atHead = all.stream().filter(r -> r.seq() == headSeq).findFirst().orElse(null);
          if (atHead != null && !atHead.hash().equals(h[1]) && headSeq > 0) {
            problems.add(new Problem(headSeq, "record " + headSeq + " differs from the head file " + headFile
                + " (the chain was rewritten from there on)"));
          }
        }
      } catch (RuntimeException e) {
        problems.add(new Problem(0, "cannot read the head file " + headFile + ": " + e));
      }
    }
    return problems;
  }

  /** The number of records. */
  public long count() throws SQLException {
    return head().getKey();
  }
}
