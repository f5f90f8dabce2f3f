package id.penjaga.agent.backup.chunker;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Content-defined chunking in the FastCDC style (Xia et al.): a gear rolling hash, no cut point in
 * the first {@code min} bytes of a chunk (they are not even hashed), and normalized chunking — a
 * stricter mask up to a normal size, a looser one after it — so sizes cluster around the average.
 * An edit or an insertion changes only the chunks around it, so unchanged parts deduplicate.
 *
 * <p>The gear table comes from a per-repository secret seed ({@link GearTable}): the same content
 * gets the same cut points within a repository, and cut points reveal nothing across repositories.
 * A chunker is immutable and may be shared; each thread uses its own {@link Reader}.
 */
public final class Chunker {
  /**
   * Bytes read per call while looking for a cut: whatever a read brings past the cut is copied
   * aside for the next chunk, so smaller reads copy less and larger ones make fewer calls.
   */
  private static final int SCAN_READ = 256 << 10;

  /** Largest read: FileInputStream allocates a native buffer of the requested size per call. */
  private static final int MAX_READ = 1 << 20;

  /** The gear hash's top bit depends on the last 64 bytes, and on nothing before them. */
  private static final int WINDOW = 64;

  private final ChunkerParams params;
  private final long[] gear;
  private final long strictMask;
  private final long looseMask;
  private final int normal;

  public Chunker(ChunkerParams params, long seed) {
    this.params = Objects.requireNonNull(params, "params");
    this.gear = GearTable.derive(seed);
    int bits = Integer.numberOfTrailingZeros(params.avg());
    // Normalization level 2: a cut is 4x less likely than 1/avg per byte before the normal size,
    // 4x more likely after it. The masked bits are the top ones, which depend on the whole window.
    int strictBits = bits + 2;
    int looseBits = Math.max(0, bits - 2);
    this.strictMask = topBits(strictBits);
    this.looseMask = topBits(looseBits);
    this.normal = normalSize(params, 1L << strictBits, 1L << looseBits);
  }

  private static long topBits(int n) {
    return n == 0 ? 0 : -1L << (64 - n);
  }

  /**
   * Where the looser mask takes over. Skipping the first {@code min} bytes alone pushes the mean
   * size up (to about 1.19 avg with min = avg/2 and the switch at avg), so the switch is placed
   * where the expected size of a chunk of random data is {@code avg}: with {@code s} bytes past
   * {@code min} under a mask that cuts every {@code strict} bytes on average and the rest under one
   * that cuts every {@code loose}, the mean is {@code min + strict(1 - q) + q loose} where {@code q
   * = exp(-s/strict)} (ignoring the rare chunk that reaches max). StrictMath keeps the result, and
   * so every cut point, the same on every machine.
   */
  private static int normalSize(ChunkerParams p, long strict, long loose) {
    double q = (double) (strict + p.min() - p.avg()) / (strict - loose);
    if (q >= 1) {
      return p.min();
    }
    double s = p.min() + strict * StrictMath.log(1 / q);
    return (int) Math.min(p.max(), Math.round(s));
  }

  /** The size bounds this chunker cuts to. */
  public ChunkerParams params() {
    return params;
  }

  /** The chunk offset at which the looser mask takes over; visible for tests. */
  int normalSize() {
    return normal;
  }

  /** Starts chunking a stream. */
  public Reader reader(InputStream in) {
    return new Reader(in);
  }

  /**
   * Cuts a stream into chunks, reading it in large blocks straight into the caller's buffer. One
   * reader serves many streams in turn ({@link #reset}), so it allocates once. Not thread-safe.
   */
  public final class Reader {
    private InputStream in;
    private boolean eof;

    /** Bytes read past the last cut, which start the next chunk: {@code carry[carryPos, carryEnd)}. */
    private final byte[] carry = new byte[SCAN_READ];

    private int carryPos;
    private int carryEnd;

    /** The rolling hash of the chunk being cut, between scans of consecutive reads. */
    private long hash;

    /** The buffer of {@link #next()}: grown as chunks need, never beyond {@code max}. */
    private byte[] chunk = new byte[0];

    Reader(InputStream in) {
      this.in = Objects.requireNonNull(in, "in");
    }

    /** Starts on another stream, dropping whatever was left of the previous one. */
    public Reader reset(InputStream next) {
      this.in = Objects.requireNonNull(next, "next");
      this.eof = false;
      this.carryPos = 0;
      this.carryEnd = 0;
      return this;
    }

    /**
     * Fills {@code out} with the next chunk.
     *
     * @param out receives the chunk at offset 0; at least {@code params().max()} long
     * @return the chunk's length, or -1 at the end of the stream
     * @throws IllegalArgumentException if {@code out} is shorter than {@code params().max()}
     */
    public int next(byte[] out) throws IOException {
      if (out.length < params.max()) {
        throw new IllegalArgumentException(
            "chunk buffer of " + out.length + " bytes is shorter than the maximum chunk " + params.max());
      }
      return cut(out, false);
    }

    /**
     * Reads the next chunk into this reader's own buffer ({@link #chunk()}), which grows only as
     * large as the largest chunk met: most files are far smaller than the maximum chunk.
     *
     * @return the chunk's length, or -1 at the end of the stream
     */
    public int next() throws IOException {
      return cut(chunk, true);
    }

    /** The buffer holding the chunk {@link #next()} returned last, from offset 0. */
    public byte[] chunk() {
      return chunk;
    }

    private int cut(byte[] out, boolean grow) throws IOException {
      int min = params.min();
      int max = params.max();
      int len = 0;
      hash = 0;
      while (len < max) {
        // The first min bytes are in the chunk whatever they hold: read them in one go.
        int want = len < min ? Math.min(min - len, MAX_READ) : Math.min(SCAN_READ, max - len);
        if (grow && len + want > out.length) {
          out = Arrays.copyOf(out, Math.min(max, Math.max(len + want, 2 * out.length)));
          chunk = out;
        }
        if (carryPos < carryEnd) {
          int from = carryPos;
          int to = from + Math.min(want, carryEnd - from);
          int cut = scan(carry, from, to, from - len);
          int end = cut < 0 ? to : cut;
          System.arraycopy(carry, from, out, len, end - from);
          len += end - from;
          carryPos = end;
          if (cut >= 0) {
            return len;
          }
        } else {
          if (eof) {
            break;
          }
          int got = in.read(out, len, want);
          if (got < 0) {
            eof = true;
            break;
          }
          int cut = scan(out, len, len + got, 0);
          if (cut >= 0) {
            // Only a read after min can cut, and such a read is at most SCAN_READ long.
            carryPos = 0;
            carryEnd = len + got - cut;
            System.arraycopy(out, cut, carry, 0, carryEnd);
            return cut;
          }
          len += got;
        }
      }
      return len == 0 ? -1 : len;
    }

    /**
     * Rolls the hash over {@code b[from, to)}, where the chunk starts at index {@code start}.
     *
     * @return the index just past the first cut point, or -1 if there is none
     */
    private int scan(byte[] b, int from, int to, int start) {
      long[] g = gear;
      long h = hash;
      // Hashing the WINDOW bytes before min first makes every cut depend only on the bytes around
      // it, not on where its chunk started, so cuts after an insertion fall where they did before.
      int i = Math.max(from, start + Math.max(0, params.min() - WINDOW));
      for (int end = Math.min(to, start + params.min()); i < end; i++) {
        h = (h << 1) + g[b[i] & 0xff];
      }
      long mask = strictMask;
      for (int end = Math.min(to, start + normal); i < end; i++) {
        h = (h << 1) + g[b[i] & 0xff];
        if ((h & mask) == 0) {
          return i + 1;
        }
      }
      mask = looseMask;
      for (; i < to; i++) {
        h = (h << 1) + g[b[i] & 0xff];
        if ((h & mask) == 0) {
          return i + 1;
        }
      }
      hash = h;
      return -1;
    }
  }
}
