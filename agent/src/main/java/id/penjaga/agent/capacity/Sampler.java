package id.penjaga.agent.capacity;

import java.util.List;

/** One kind of measurement, taken each sampling interval. Counters become rates between two calls. */
public interface Sampler {
  /** The sampler's name in configuration ({@code capacity.samplers}). */
  String name();

  /** Adds this interval's samples to {@code out}. */
  void sample(List<Sample> out) throws Exception;
}
