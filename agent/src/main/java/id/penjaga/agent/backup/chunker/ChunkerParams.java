package id.penjaga.agent.backup.chunker;

/**
 * Chunk size bounds in bytes: every chunk but a stream's last is between {@code min} and {@code
 * max}, and chunks of random data average {@code avg}.
 */
public record ChunkerParams(int min, int avg, int max) {
  /** Largest allowed {@code max}: a chunk is held whole in memory. */
  public static final int MAX_LIMIT = 1 << 30;

  /** 512 KiB, 1 MiB, 8 MiB: few enough chunks for 100 GB trees, small enough to deduplicate. */
  public static final ChunkerParams DEFAULT = new ChunkerParams(512 << 10, 1 << 20, 8 << 20);

  /**
   * @throws IllegalArgumentException unless {@code 0 < min < avg < max <= MAX_LIMIT} and {@code
   *     avg} is a power of two
   */
  public ChunkerParams {
    if (avg <= 0 || Integer.bitCount(avg) != 1) {
      throw new IllegalArgumentException("average chunk size must be a power of two, not " + avg);
    }
    if (min <= 0 || min >= avg || avg >= max || max > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "chunk sizes must satisfy 0 < min < avg < max <= "
              + MAX_LIMIT
              + ", not min "
              + min
              + ", avg "
              + avg
              + ", max "
              + max);
    }
  }
}
