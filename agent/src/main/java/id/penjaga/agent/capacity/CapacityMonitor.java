package id.penjaga.agent.capacity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.report.ReportType;
import id.penjaga.agent.report.Spool;
import id.penjaga.agent.schedule.ScheduledTask;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the samplers each interval: every value goes to {@code /metrics} at once, and into the
 * period's summary (min, average, max, last per series); at the end of each period (aligned to the
 * clock, e.g. each quarter hour) the summary becomes a capacity record, so a day is a few hundred
 * small records rather than thousands of samples. A sampler that fails is shown as {@code
 * penjaga_sampler_up 0} and the others go on.
 */
public final class CapacityMonitor implements ScheduledTask {
  private static final Logger log = LoggerFactory.getLogger(CapacityMonitor.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final List<Sampler> samplers;
  private final MeterRegistry registry;
  private final Spool spool;
  private final Clock clock;
  private final Duration period;
  private final Duration interval;
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final Map<String, Summary> summaries = new LinkedHashMap<>();
  private long currentPeriod = -1;

  public CapacityMonitor(
      List<Sampler> samplers, MeterRegistry registry, Spool spool, Clock clock, Duration period, Duration interval) {
    this.samplers = samplers;
    this.registry = registry;
    this.spool = spool;
    this.clock = clock;
    this.period = period;
    this.interval = interval;
  }

  /** Min, sum, max, last and count of one series over the period. */
  static final class Summary {
    final Sample first;
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    double sum;
    double last;
    long count;

    Summary(Sample first) {
      this.first = first;
    }

    void add(double v) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      last = v;
      count++;
    }
  }

  @Override
  public String name() {
    return "capacity";
  }

  @Override
  public synchronized void run() throws IOException {
    Instant now = clock.instant();
    long p = now.toEpochMilli() / period.toMillis();
    if (currentPeriod >= 0 && p != currentPeriod && !summaries.isEmpty()) {
      flush(Instant.ofEpochMilli(currentPeriod * period.toMillis()), Instant.ofEpochMilli((currentPeriod + 1) * period.toMillis()));
    }
    currentPeriod = p;
    for (Sample s : sampleOnce()) {
      summaries.computeIfAbsent(s.series(), k -> new Summary(s)).add(s.value());
    }
  }

  /** One pass of every sampler; values also set on the registry's gauges. */
  public List<Sample> sampleOnce() {
    List<Sample> all = new ArrayList<>();
    for (Sampler sampler : samplers) {
      List<Sample> out = new ArrayList<>();
      boolean ok;
      try {
        sampler.sample(out);
        ok = true;
      } catch (Exception e) {
        ok = false;
        log.warn("sampler {} failed: {}", sampler.name(), e.getMessage());
      }
      all.addAll(out);
      all.add(Sample.of("penjaga_sampler_up", ok ? 1 : 0, "sampler", sampler.name()));
    }
    if (registry != null) {
      all.forEach(this::publish);
    }
    return all;
  }

  private void publish(Sample s) {
    gauges
        .computeIfAbsent(
            s.series(),
            k -> {
              AtomicLong bits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
              Tags tags = Tags.empty();
              for (Map.Entry<String, String> e : s.labels().entrySet()) {
                tags = tags.and(e.getKey(), e.getValue());
              }
              Gauge.builder(s.metric(), bits, b -> Double.longBitsToDouble(b.get()))
                  .description("Capacity sample " + s.metric().replace('_', ' '))
                  .tags(tags)
                  .register(registry);
              return bits;
            })
        .set(Double.doubleToLongBits(s.value()));
  }

  /** Spools the capacity record of the period just ended, and starts a new one. */
  ObjectNode flush(Instant start, Instant end) throws IOException {
    ObjectNode body = F.objectNode();
    body.put("period_start", start.toString());
    body.put("period_end", end.toString());
    body.put("interval_seconds", interval.toSeconds());
    ArrayNode arr = body.putArray("samples");
    for (Summary s : summaries.values()) {
      ObjectNode o = arr.addObject();
      o.put("metric", s.first.metric());
      ObjectNode labels = o.putObject("labels");
      s.first.labels().forEach(labels::put);
      o.put("min", s.min);
      o.put("avg", s.sum / s.count);
      o.put("max", s.max);
      o.put("last", s.last);
      o.put("count", s.count);
    }
    summaries.clear();
    spool.append(ReportType.CAPACITY, body);
    return body;
  }

  /** Ends the period now (at shutdown, so the last minutes are not lost). */
  public synchronized void flushNow() throws IOException {
    if (currentPeriod >= 0 && !summaries.isEmpty()) {
      flush(Instant.ofEpochMilli(currentPeriod * period.toMillis()), clock.instant());
    }
  }
}
