package id.penjaga.agent.backup.chunker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;

/**
 * Chunking throughput on one core over random data in memory, best of several runs. Not a test:
 * run it by hand and keep the figure with the machine it ran on.
 *
 * <pre>
 * mvn -B -q -ntp test-compile -pl agent
 * java -cp agent/target/classes:agent/target/test-classes id.penjaga.agent.backup.chunker.ChunkerThroughput [MiB] [runs]
 * </pre>
 */
final class ChunkerThroughput {
  private ChunkerThroughput() {}

  public static void main(String[] args) throws IOException {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    byte[] data = new byte[mib << 20];
    new SplittableRandom(1).nextBytes(data);
    System.out.printf(
        "%d MiB of random data, %d cores, %s %s%n",
        mib, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"));
    measure("default 512K/1M/8M", ChunkerParams.DEFAULT, data, runs);
    // A 64-byte minimum hashes nearly every byte: the rolling hash's own speed, without the skip.
    measure("min 64 (hash all) ", new ChunkerParams(64, 1 << 20, 8 << 20), data, runs);
  }

  private static void measure(String name, ChunkerParams params, byte[] data, int runs)
      throws IOException {
    Chunker chunker = new Chunker(params, 42);
    Chunker.Reader reader = chunker.reader(InputStream.nullInputStream());
    byte[] out = new byte[params.max()];
    // Warm-up, so the JIT has compiled the loop before the timed runs.
    for (int i = 0; i < 2; i++) {
      run(reader, out, data);
    }
    double best = 0;
    long chunks = 0;
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      chunks = run(reader, out, data);
      double mbs = data.length / ((System.nanoTime() - start) / 1e9) / 1e6;
      System.out.printf("  %s run %d: %.0f MB/s%n", name, i + 1, mbs);
      best = Math.max(best, mbs);
    }
    System.out.printf(
        "%s best of %d: %.0f MB/s (%.0f MiB/s), %d chunks, mean %.3f MiB%n",
        name, runs, best, best * 1e6 / (1 << 20), chunks,
        data.length / (double) chunks / (1 << 20));
  }

  private static long run(Chunker.Reader reader, byte[] out, byte[] data) throws IOException {
    reader.reset(new ByteArrayInputStream(data));
    long chunks = 0;
    while (reader.next(out) >= 0) {
      chunks++;
    }
    return chunks;
  }
}
