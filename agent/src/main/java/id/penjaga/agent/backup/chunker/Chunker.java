package id.penjaga.agent.backup.chunker;

import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;

/**
 * Content-defined chunking in the FastCDC style (Xia et al.): a gear rolling hash, cut points
 * skipped for the first {@code min} bytes of a chunk, and normalized chunking (a stricter mask
 * before the average size, a looser one after) so sizes cluster around the average. An edit or an
 * insertion changes only the chunks around it, so unchanged parts deduplicate.
 *
 * <p>The gear table comes from a per-repository secret seed: the same content gets the same cut
 * points within a repository, and cut points reveal nothing across repositories.
 */
public final class Chunker {
  private static final int READ_SIZE = 1 << 20;
  private final ChunkerParams params;
  private final long[] gear = new long[256];
  private final long maskSmall;
  private final long maskLarge;

  public Chunker(ChunkerParams params, long seed) {
    this.params = params;
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < gear.length; i++) {
      gear[i] = r.nextLong();
    }
    int bits = Integer.numberOfTrailingZeros(params.avg());
    // The high bits of the gear hash depend on the last 64 bytes; a cut is where the masked
    // bits are all zero. Two more bits before the average size, two fewer after it.
    this.maskSmall = highBits(bits + 2);
    this.maskLarge = highBits(Math.max(1, bits - 2));
  }

  private static long highBits(int n) {
    return n >= 64 ? -1L : ((1L << n) - 1) << (64 - n);
  }

  public ChunkerParams params() {
    return params;
  }

  /** Starts chunking a stream. */
  public Reader reader(InputStream in) {
    return new Reader(in);
  }

  /**
   * Cuts streams into chunks, reading in large blocks. One reader serves many streams in turn
   * ({@link #reset}), so its buffer is allocated once. Not thread-safe.
   */
  public final class Reader {
    private InputStream in;
    private final byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;

    Reader(InputStream in) {
      this.in = in;
      this.buf = new byte[params.max() * 2];
    }

    /** Starts on another stream, dropping whatever was left of the previous one. */
    public Reader reset(InputStream next) {
      this.in = next;
      this.pos = 0;
      this.limit = 0;
      this.eof = false;
      return this;
    }

    /**
     * Copies the next chunk into {@code out} (at least {@code params().max()} long).
     *
     * @return the chunk's length, or -1 at the end of the stream
     */
    public int next(byte[] out) throws IOException {
      if (limit - pos < params.max() && !eof) {
        fill();
      }
      int available = limit - pos;
      if (available == 0) {
        return -1;
      }
      int n = cut(buf, pos, available);
      System.arraycopy(buf, pos, out, 0, n);
      pos += n;
      return n;
    }

    private void fill() throws IOException {
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
      }
      while (limit < buf.length) {
        // At most 1 MiB a call: the JDK copies file reads through a temporary native buffer of
        // the requested size, and a huge one costs more to set up than the read itself.
        int r = in.read(buf, limit, Math.min(READ_SIZE, buf.length - limit));
        if (r < 0) {
          eof = true;
          return;
        }
        limit += r;
      }
    }
  }

  /** The length of the chunk that starts at {@code off}, given {@code n} bytes available. */
  int cut(byte[] b, int off, int n) {
    int min = params.min();
    if (n <= min) {
      return n;
    }
    int end = Math.min(n, params.max());
    int normal = Math.min(end, params.avg());
    long h = 0;
    long[] g = gear;
    // Warm the hash over the 64 bytes before the first possible cut, so every cut depends only
    // on the content around it, not on where the chunk started.
    for (int j = off + Math.max(0, min - 64); j < off + min; j++) {
      h = (h << 1) + g[b[j] & 0xff];
    }
    int i = off + min;
    int stop = off + normal;
    for (; i < stop; i++) {
      h = (h << 1) + g[b[i] & 0xff];
      if ((h & maskSmall) == 0) {
        return i - off + 1;
      }
    }
    stop = off + end;
    for (; i < stop; i++) {
      h = (h << 1) + g[b[i] & 0xff];
      if ((h & maskLarge) == 0) {
        return i - off + 1;
      }
    }
    return end;
  }
}
