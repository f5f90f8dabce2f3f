package id.penjaga.agent.capacity;

import java.util.Map;
import java.util.TreeMap;

/**
 * One measured value: a metric name in Prometheus form ({@code penjaga_memory_available_bytes},
 * base units), its labels, and the value.
 */
public record Sample(String metric, Map<String, String> labels, double value) {
  public Sample {
    labels = Map.copyOf(labels);
  }

  public static Sample of(String metric, double value, String... labelPairs) {
    Map<String, String> l = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      l.put(labelPairs[i], labelPairs[i + 1]);
    }
    return new Sample(metric, l, value);
  }

  /** The series this sample belongs to: the metric and its labels, in a stable order. */
  public String series() {
    return metric + new TreeMap<>(labels);
  }
}
