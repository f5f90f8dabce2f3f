package id.penjaga.agent.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  static ObjectNode body(int i) {
    return JsonNodeFactory.instance.objectNode().put("n", i);
  }

  Spool spool(long max) throws Exception {
    return new Spool(dir, max, "lpse-demo", "1.0", CLOCK);
  }

  @Test
  void appendsDurablyInSequenceAndSurvivesReopening() throws Exception {
    Spool s = spool(1 << 20);
    Report r1 = s.append(ReportType.HEARTBEAT, body(1)).orElseThrow();
    Report r2 = s.append(ReportType.HEARTBEAT, body(2)).orElseThrow();
    assertThat(r1.seq()).isEqualTo(1);
    assertThat(r2.seq()).isEqualTo(2);
    assertThat(r1.time()).isEqualTo("2026-11-24T10:00:00Z");
    List<Path> pending = s.pending(10);
    assertThat(pending).hasSize(2);
    Report read = Report.fromJson(Files.readAllBytes(pending.get(0)));
    assertThat(read).isEqualTo(r1);
    assertThat(dir.toFile().list()).noneMatch(n -> n.endsWith(".tmp"));

    // A new process continues the numbering, also after everything was sent.
    s.acknowledge(pending.get(0));
    s.acknowledge(pending.get(1));
    Spool again = spool(1 << 20);
    assertThat(again.pendingCount()).isZero();
    assertThat(again.append(ReportType.HEARTBEAT, body(3)).orElseThrow().seq()).isEqualTo(3);
  }

  @Test
  void concurrentWritersNeverShareASequenceNumber() throws Exception {
    Spool a = spool(1 << 24);
    Spool b = spool(1 << 24); // as if a CLI command and the daemon appended at once
    ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new java.util.ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Spool s = t % 2 == 0 ? a : b;
      futures.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 25; i++) {
                  seqs.add(s.append(ReportType.HEARTBEAT, body(i)).orElseThrow().seq());
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    assertThat(seqs).hasSize(100).doesNotHaveDuplicates();
    assertThat(a.pendingCount()).isEqualTo(100);
  }

  @Test
  void aFullSpoolThinsTheOldestSamplesFirstAndNeverDropsRecords() throws Exception {
    Spool s = spool(1 << 20);
    ObjectNode big = JsonNodeFactory.instance.objectNode().put("pad", "x".repeat(300_000));
    long first = s.append(ReportType.HEARTBEAT, big).orElseThrow().seq();
    for (int i = 0; i < 5; i++) {
      assertThat(s.append(ReportType.HEARTBEAT, big)).isPresent();
    }
    // 6 x 300 KB into 1 MiB: the three oldest heartbeats gave way to the newest.
    assertThat(s.droppedSamples()).isEqualTo(3);
    assertThat(s.pending(10).stream().map(Spool::sequenceOf).toList())
        .containsExactly(first + 3, first + 4, first + 5);

    // Records push out the remaining samples, and are kept even past the bound.
    for (int i = 0; i < 5; i++) {
      assertThat(s.append(ReportType.BACKUP_RUN, big)).isPresent();
    }
    assertThat(s.pending(10)).noneMatch(Spool::isSample);
    assertThat(s.pendingCount()).isEqualTo(5);
    assertThat(s.pendingBytes()).isGreaterThan(1 << 20);
    // Full of records: a new sample is left out (and counted), a new record is not.
    assertThat(s.append(ReportType.HEARTBEAT, big)).isEmpty();
    assertThat(s.append(ReportType.FAILURE, big)).isPresent();
    assertThat(s.droppedSamples()).isEqualTo(7);
    assertThat(s.pendingCount()).isEqualTo(6);
  }

  @Test
  void rejectedReportsAreKeptAsideWithTheReason() throws Exception {
    Spool s = spool(1 << 20);
    s.append(ReportType.HEARTBEAT, body(1));
    Path p = s.pending(1).get(0);
    s.reject(p, "HTTP 400: report does not follow the contract");
    assertThat(s.pendingCount()).isZero();
    assertThat(s.rejectedCount()).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("rejected").resolve(p.getFileName() + ".reason")))
        .contains("HTTP 400");
    Optional<Report> next = s.append(ReportType.HEARTBEAT, body(2));
    assertThat(next.orElseThrow().seq()).isEqualTo(2);
  }
}
