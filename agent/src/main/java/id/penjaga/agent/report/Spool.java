package id.penjaga.agent.report;

import com.fasterxml.jackson.databind.JsonNode;
import id.penjaga.agent.io.AtomicFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk queue of reports. A report is durable (written, fsync'd, renamed into place) before
 * anyone tries to send it, and leaves the queue only when the collector has acknowledged it. The
 * daemon and CLI commands may append at the same time: a file lock keeps sequence numbers unique.
 *
 * <p>Every record that is not a sample (backup runs, failures, restore tests) is also appended to
 * the journal, {@code records.jsonl} beside the spool directory: one JSON report a line, kept on
 * the server whatever becomes of the collector.
 */
public final class Spool {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);
  private static final String SUFFIX = ".json";
  /** Samples are named so, to be found without reading them when the spool is full. */
  private static final String SAMPLE_SUFFIX = "-sample.json";
  /** The file name of the journal of records, beside the spool directory. */
  public static final String JOURNAL = "records.jsonl";
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

  private final Path dir;
  private final Path rejectedDir;
  private final Path journal;
  private final long maxBytes;
  private final String agentId;
  private final String agentVersion;
  private final Clock clock;
  private final AtomicLong droppedSamples = new AtomicLong();
  private final List<Runnable> listeners = new ArrayList<>();

  public Spool(Path dir, long maxBytes, String agentId, String agentVersion, Clock clock)
      throws IOException {
    this.dir = dir.toAbsolutePath().normalize();
    this.rejectedDir = this.dir.resolve("rejected");
    this.journal = this.dir.resolveSibling(JOURNAL);
    this.maxBytes = maxBytes;
    this.agentId = agentId;
    this.agentVersion = agentVersion;
    this.clock = clock;
    Files.createDirectories(rejectedDir);
  }

  /** Called after every append, so a sender can wake up. */
  public synchronized void onAppend(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * Appends a report durably and returns it, or returns empty when it is a sample and the spool is
   * full (counted in {@link #droppedSamples()}).
   */
  public Optional<Report> append(ReportType type, JsonNode body) throws IOException {
    Report report;
    // File locks keep processes apart but are held per JVM: threads queue on a JVM-wide lock first.
    ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
    local.lock();
    try (FileChannel lockChannel =
            FileChannel.open(
                dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = lockChannel.lock()) {
      // Full: the oldest samples (heartbeats, capacity summaries) give way first; records of
      // SOP activity are never dropped, even past the bound.
      long need = body.toString().length() + 512L;
      long pending = pendingBytes();
      int thinned = 0;
      if (pending + need > maxBytes) {
        for (Path p : pending(Integer.MAX_VALUE)) {
          if (pending + need <= maxBytes) {
            break;
          }
          if (isSample(p)) {
            try {
              long size = Files.size(p);
              Files.delete(p);
              pending -= size;
              thinned++;
            } catch (NoSuchFileException e) {
              // sent meanwhile
            }
          }
        }
        droppedSamples.addAndGet(thinned);
        if (thinned > 0) {
          log.warn("spool is full ({} bytes): the {} oldest samples left out", maxBytes, thinned);
        }
        if (type.sample() && pending + need > maxBytes) {
          droppedSamples.incrementAndGet();
          log.warn("spool is full of records ({} bytes); {} report left out", maxBytes, type.wireName());
          return Optional.empty();
        }
      }
      long seq = nextSequence();
      report =
          new Report(
              Report.SCHEMA_VERSION,
              agentId,
              seq,
              type.wireName(),
              clock.instant().toString(),
              agentVersion,
              body);
      byte[] json = report.toJson();
      AtomicFile.write(dir.resolve(fileName(seq, type.sample(), crc(json))), json);
      if (!type.sample()) {
        appendToJournal(report);
      }
    } finally {
      local.unlock();
    }
    List<Runnable> toCall;
    synchronized (this) {
      toCall = List.copyOf(listeners);
    }
    toCall.forEach(Runnable::run);
    return Optional.of(report);
  }

  private void appendToJournal(Report report) {
    byte[] json = report.toJson();
    byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    try (FileChannel ch =
        FileChannel.open(
            journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(line);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(false);
    } catch (IOException e) {
      // The report itself is spooled; the journal is the second copy. Say so loudly.
      log.error("cannot append record {} to {}: {}", report.seq(), journal, e.getMessage());
    }
  }

  /** The journal of records ({@value #JOURNAL}). */
  public Path journal() {
    return journal;
  }

  /** Pending reports, oldest first. */
  public List<Path> pending(int limit) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      ds.forEach(files::add);
    }
    files.sort(null);
    return files.size() > limit ? files.subList(0, limit) : files;
  }

  public int pendingCount() throws IOException {
    return pending(Integer.MAX_VALUE).size();
  }

  public long pendingBytes() throws IOException {
    long total = 0;
    for (Path p : pending(Integer.MAX_VALUE)) {
      try {
        total += Files.size(p);
      } catch (NoSuchFileException e) {
        // sent and removed meanwhile by another process
      }
    }
    return total;
  }

  /** Removes a report the collector has acknowledged. */
  public void acknowledge(Path file) throws IOException {
    Files.deleteIfExists(file);
  }

  /**
   * Moves a report the collector refused for good (malformed, too large) aside, where it is kept
   * for an administrator rather than deleted.
   */
  public void reject(Path file, String reason) throws IOException {
    Path target = rejectedDir.resolve(file.getFileName());
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return;
    }
    AtomicFile.write(
        rejectedDir.resolve(file.getFileName() + ".reason"),
        (reason + "\n").getBytes(StandardCharsets.UTF_8));
  }

  public long droppedSamples() {
    return droppedSamples.get();
  }

  public long rejectedCount() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(rejectedDir, "*" + SUFFIX)) {
      long n = 0;
      for (Path ignored : ds) {
        n++;
      }
      return n;
    }
  }

  public Path directory() {
    return dir;
  }

  /** The highest sequence number ever given, kept in a file so it survives an empty spool. */
  private long nextSequence() throws IOException {
    Path seqFile = dir.resolve("sequence");
    long last = 0;
    if (Files.exists(seqFile)) {
      String s = Files.readString(seqFile, StandardCharsets.US_ASCII).trim();
      if (!s.isEmpty()) {
        last = Long.parseLong(s);
      }
    }
    for (Path p : pending(Integer.MAX_VALUE)) {
      last = Math.max(last, sequenceOf(p));
    }
    long next = last + 1;
    AtomicFile.write(seqFile, Long.toString(next).getBytes(StandardCharsets.US_ASCII));
    return next;
  }

  static long sequenceOf(Path file) {
    String name = file.getFileName().toString();
    int end = 0;
    while (end < name.length() && Character.isDigit(name.charAt(end))) {
      end++;
    }
    return Long.parseLong(name.substring(0, end));
  }

  /** Whether a spooled report is a sample, which may give way when the spool is full. */
  static boolean isSample(Path file) {
    return file.getFileName().toString().endsWith(SAMPLE_SUFFIX);
  }

  /** {@code <seq>.<crc32c>[-sample].json}: the checksum of the content is part of the name. */
  private static String fileName(long seq, boolean sample, long crc) {
    return String.format("%020d.%08x%s", seq, crc, sample ? SAMPLE_SUFFIX : SUFFIX);
  }

  static long crc(byte[] b) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(b);
    return c.getValue();
  }

  /** The journal's copy of this agent's report {@code seq}, or null when it is not there. */
  public byte[] fromJournal(long seq) {
    if (!Files.exists(journal)) {
      return null;
    }
    try (java.io.BufferedReader r = Files.newBufferedReader(journal, StandardCharsets.UTF_8)) {
      String line;
      byte[] found = null;
      while ((line = r.readLine()) != null) {
        if (!line.contains("\"seq\":" + seq)) {
          continue;
        }
        try {
          JsonNode n = Report.JSON.readTree(line);
          if (n.path("seq").asLong() == seq && agentId.equals(n.path("agent").asText())) {
            found = line.getBytes(StandardCharsets.UTF_8);
          }
        } catch (IOException e) {
          // a damaged line: look further
        }
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  /** A spooled report whose content no longer matches the checksum it was written with. */
  public static final class DamagedException extends IOException {
    public DamagedException(String message) {
      super(message);
    }
  }

  /**
   * Reads a spooled report and checks it against the CRC-32C in its name (files spooled by an
   * older version have none and are taken as they are).
   */
  public byte[] read(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    java.util.regex.Matcher m = CRC_NAME.matcher(file.getFileName().toString());
    if (m.matches()) {
      long want = Long.parseLong(m.group(1), 16);
      long got = crc(b);
      if (want != got) {
        throw new DamagedException(String.format(
            "spooled report %s is damaged on disk (CRC-32C %08x, written as %08x)", file.getFileName(), got, want));
      }
    }
    return b;
  }

  private static final java.util.regex.Pattern CRC_NAME = java.util.regex.Pattern.compile("[0-9]{20}\\.([0-9a-f]{8})(-sample)?\\.json");


}
