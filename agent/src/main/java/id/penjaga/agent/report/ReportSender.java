package id.penjaga.agent.report;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends spooled reports to the collector, oldest first, on its own thread. A report leaves the
 * spool only after a 2xx answer; network errors, 5xx and refused tokens are retried with
 * exponential backoff and jitter, and a report the collector refuses for good (400, 413) is moved
 * aside, never deleted.
 */
public final class ReportSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReportSender.class);
  private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final Spool spool;
  private final CollectorClient client;
  private final RandomGenerator random;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile boolean pending = true;
  private volatile boolean stopping;
  private volatile long lastSuccessEpochMs;
  private volatile boolean batches = true;
  private volatile int batchSize = 200;
  private volatile Double clockOffsetSeconds;
  /** A batch holds at most this many bytes of reports before compression. */
  private static final long MAX_BATCH_BYTES = 4L << 20;
  private Thread thread;

  public ReportSender(Spool spool, CollectorClient client, RandomGenerator random) {
    this(spool, client, random, 200);
  }

  /** {@code batchSize}: the most reports sent in one request. */
  public ReportSender(Spool spool, CollectorClient client, RandomGenerator random, int batchSize) {
    this.batchSize = batchSize;
    this.spool = spool;
    this.client = client;
    this.random = random;
    spool.onAppend(this::wakeUp);
  }

  public synchronized void start() {
    thread = new Thread(this::loop, "report-sender");
    thread.setDaemon(true);
    thread.start();
  }

  /** Sends what is pending now, once, on the caller's thread; returns how many were acknowledged. */
  public int drainOnce() throws InterruptedException {
    int acknowledged = 0;
    while (true) {
      List<Path> batch;
      try {
        batch = spool.pending(batches ? batchSize : 64);
      } catch (IOException e) {
        log.error("cannot list the spool {}: {}", spool.directory(), e.getMessage());
        return acknowledged;
      }
      if (batch.isEmpty()) {
        return acknowledged;
      }
      if (batches && batch.size() > 1) {
        int n = sendBatch(batch);
        if (n > 0) {
          acknowledged += n;
          continue;
        }
        if (batches) {
          return acknowledged; // the collector is away or refuses: back off
        }
        // no batch endpoint: one by one below
      }
      for (Path file : batch) {
        if (!sendOne(file)) {
          return acknowledged;
        }
        acknowledged++;
      }
    }
  }

  private void loop() {
    Duration backoff = MIN_BACKOFF;
    while (!stopping) {
      pending = false;
      boolean drained;
      try {
        drainOnce();
        drained = spool.pendingCount() == 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException e) {
        drained = false;
      }
      if (drained) {
        backoff = MIN_BACKOFF;
        await(null);
      } else {
        long jitterMs = (long) (backoff.toMillis() * (0.5 + random.nextDouble() / 2));
        await(Duration.ofMillis(jitterMs));
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  /**
   * Sends pending reports as one batch; returns how many left the spool (0: none, then the caller
   * backs off, or sends one by one when the collector has no batch endpoint).
   */
  private int sendBatch(List<Path> files) throws InterruptedException {
    List<Path> taken = new ArrayList<>();
    List<byte[]> bodies = new ArrayList<>();
    long bytes = 0;
    for (Path f : files) {
      try {
        byte[] json = readChecked(f);
        if (json == null) {
          continue; // damaged beyond repair: set aside
        }
        if (!taken.isEmpty() && bytes + json.length > MAX_BATCH_BYTES) {
          break;
        }
        taken.add(f);
        bodies.add(json);
        bytes += json.length;
      } catch (NoSuchFileException e) {
        // sent by another process meanwhile
      } catch (IOException e) {
        log.error("cannot read spooled report {}: {}", f, e.getMessage());
        break;
      }
    }
    if (taken.isEmpty()) {
      return 0;
    }
    try {
      CollectorClient.BatchAnswer answer = client.sendBatch(bodies);
      if (answer.status() == 404 || answer.status() == 405
          || answer.status() == 200 && answer.results().isEmpty()) {
        log.info("collector {} takes no batches; sending reports one by one", client.endpoint());
        batches = false;
        return 0;
      }
      if (answer.status() == 413 && taken.size() > 1) {
        batchSize = Math.max(1, taken.size() / 2);
        return 0;
      }
      if (answer.status() != 200) {
        failures.incrementAndGet();
        if (answer.status() == 401 || answer.status() == 403) {
          log.error(
              "collector {} refused this agent's token (HTTP {}); check collector.token-file;"
                  + " reports stay in the spool",
              client.endpoint(), answer.status());
        } else {
          log.warn("collector answered HTTP {}; will retry: {}", answer.status(), answer.body());
        }
        return 0;
      }
      if (answer.clockOffset() != null) {
        clockOffsetSeconds = answer.clockOffset().toMillis() / 1000.0;
      }
      int left = 0;
      for (Path f : taken) {
        long seq = Spool.sequenceOf(f);
        String status = answer.results().get(seq);
        if ("stored".equals(status) || "duplicate".equals(status)) {
          spool.acknowledge(f);
          sent.incrementAndGet();
          left++;
        } else if ("invalid".equals(status)) {
          String why = answer.errors().getOrDefault(seq, "invalid");
          log.error("collector refused report {} for good: {}; kept in {}", f.getFileName(), why,
              spool.directory().resolve("rejected"));
          spool.reject(f, why);
          left++;
        }
      }
      if (left > 0) {
        lastSuccessEpochMs = System.currentTimeMillis();
      }
      return left;
    } catch (ConnectException e) {
      failures.incrementAndGet();
      log.warn("collector {} unreachable (connection refused); reports stay in the spool", client.endpoint());
      return 0;
    } catch (HttpTimeoutException e) {
      failures.incrementAndGet();
      log.warn("collector {} did not answer in time; reports stay in the spool", client.endpoint());
      return 0;
    } catch (IOException e) {
      failures.incrementAndGet();
      log.warn("sending to {} failed: {}; will retry", client.endpoint(), e.toString());
      return 0;
    }
  }

  /** The collector's clock minus this agent's, in seconds, as last measured; null if unknown. */
  public Double clockOffsetSeconds() {
    return clockOffsetSeconds;
  }

  /**
   * A spooled report, checked against its CRC. A damaged one is taken again from the journal of
   * records when it is there (every record that is not a sample), else set aside with the reason;
   * null then.
   */
  private byte[] readChecked(Path file) throws IOException {
    try {
      return spool.read(file);
    } catch (Spool.DamagedException e) {
      byte[] again = spool.fromJournal(Spool.sequenceOf(file));
      if (again != null) {
        log.warn("{}; sent as kept in the journal of records", e.getMessage());
        return again;
      }
      log.error("{}; set aside in {}/rejected (not in the journal: a sample)", e.getMessage(), spool.directory());
      spool.reject(file, e.getMessage());
      return null;
    }
  }

  /** Returns true when the report left the spool (acknowledged or set aside). */
  private boolean sendOne(Path file) throws InterruptedException {
    byte[] json;
    try {
      json = readChecked(file);
      if (json == null) {
        return true; // damaged beyond repair: set aside
      }
    } catch (NoSuchFileException e) {
      return true; // another process sent it
    } catch (IOException e) {
      log.error("cannot read spooled report {}: {}", file, e.getMessage());
      return false;
    }
    try {
      CollectorClient.Answer answer = client.send(json);
      if (answer.accepted()) {
        spool.acknowledge(file);
        sent.incrementAndGet();
        lastSuccessEpochMs = System.currentTimeMillis();
        return true;
      }
      if (answer.refusedForGood()) {
        log.error(
            "collector refused report {} for good (HTTP {}): {}; kept in {}",
            file.getFileName(),
            answer.status(),
            answer.body(),
            spool.directory().resolve("rejected"));
        spool.reject(file, "HTTP " + answer.status() + ": " + answer.body());
        return true;
      }
      failures.incrementAndGet();
      if (answer.status() == 401 || answer.status() == 403) {
        log.error(
            "collector {} refused this agent's token (HTTP {}); check collector.token-file;"
                + " reports stay in the spool",
            client.endpoint(),
            answer.status());
      } else {
        log.warn("collector answered HTTP {}; will retry: {}", answer.status(), answer.body());
      }
      return false;
    } catch (ConnectException e) {
      failures.incrementAndGet();
      log.warn("collector {} unreachable (connection refused); reports stay in the spool", client.endpoint());
      return false;
    } catch (HttpTimeoutException e) {
      failures.incrementAndGet();
      log.warn("collector {} did not answer in time; reports stay in the spool", client.endpoint());
      return false;
    } catch (IOException e) {
      failures.incrementAndGet();
      log.warn("sending to {} failed: {}; will retry", client.endpoint(), e.toString());
      return false;
    }
  }

  private void wakeUp() {
    lock.lock();
    try {
      pending = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for new reports ({@code max} null) or for a backoff to pass. New reports end an idle wait
   * but not a backoff: a collector that is down is not hammered by every heartbeat.
   */
  private void await(Duration max) {
    lock.lock();
    try {
      if (max == null) {
        while (!pending && !stopping) {
          wake.await();
        }
      } else {
        long deadline = System.nanoTime() + max.toNanos();
        long left;
        while (!stopping && (left = deadline - System.nanoTime()) > 0) {
          wake.awaitNanos(left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    } finally {
      lock.unlock();
    }
  }

  public long sentCount() {
    return sent.get();
  }

  public long failureCount() {
    return failures.get();
  }

  /** Epoch milliseconds of the last acknowledged report, 0 if none yet. */
  public long lastSuccessEpochMs() {
    return lastSuccessEpochMs;
  }

  /**
   * Stops the sender thread; reports not yet sent stay in the spool for the next start. The report
   * being sent finishes or times out first.
   */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    wakeUp();
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.join(15_000);
    }
  }
}
