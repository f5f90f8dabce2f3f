package id.penjaga.agent.backup.chunker;

/** Chunk size bounds: every chunk but a stream's last is between {@code min} and {@code max}. */
public record ChunkerParams(int min, int avg, int max) {
  /** 512 KiB, 1 MiB, 8 MiB: few enough chunks for 100 GB trees, small enough to deduplicate. */
  public static final ChunkerParams DEFAULT = new ChunkerParams(512 << 10, 1 << 20, 8 << 20);

  public ChunkerParams {
    if (Integer.bitCount(avg) != 1) {
      throw new IllegalArgumentException("average chunk size must be a power of two, not " + avg);
    }
    if (min <= 0 || !(min < avg && avg < max)) {
      throw new IllegalArgumentException("chunk sizes must satisfy 0 < min < avg < max");
    }
  }
}
