package id.penjaga.agent.backup.chunker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChunkerBoundaryTest {
  static final ChunkerParams DEFAULT = ChunkerParams.DEFAULT;
  /** Small chunks: many cuts per MiB, and several chunks per internal read. */
  static final ChunkerParams SMALL = new ChunkerParams(16 << 10, 64 << 10, 256 << 10);

  static List<byte[]> chunks(Chunker c, InputStream in) throws IOException {
    List<byte[]> out = new ArrayList<>();
    byte[] buf = new byte[c.params().max()];
    Chunker.Reader r = c.reader(in);
    int n;
    while ((n = r.next(buf)) >= 0) {
      out.add(Arrays.copyOf(buf, n));
    }
    return out;
  }

  static List<byte[]> chunks(Chunker c, byte[] data) throws IOException {
    return chunks(c, new ByteArrayInputStream(data));
  }

  static List<Integer> lengths(List<byte[]> chunks) {
    return chunks.stream().map(ch -> ch.length).toList();
  }

  /** Offsets of the cuts between chunks (not the stream's end). */
  static Set<Long> cuts(List<byte[]> chunks) {
    Set<Long> cuts = new HashSet<>();
    long offset = 0;
    for (int i = 0; i < chunks.size() - 1; i++) {
      offset += chunks.get(i).length;
      cuts.add(offset);
    }
    return cuts;
  }

  static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static Set<String> hashes(List<byte[]> chunks) {
    Set<String> s = new HashSet<>();
    for (byte[] c : chunks) {
      s.add(sha256(c));
    }
    return s;
  }

  static byte[] insert(byte[] data, int at, byte[] extra) {
    byte[] out = new byte[data.length + extra.length];
    System.arraycopy(data, 0, out, 0, at);
    System.arraycopy(extra, 0, out, at, extra.length);
    System.arraycopy(data, at, out, at + extra.length, data.length - at);
    return out;
  }

  /** Bytes of {@code after}'s chunks that are also chunks of {@code before}, as a fraction. */
  static double reusedFraction(List<byte[]> before, List<byte[]> after) {
    Set<String> old = hashes(before);
    long reused = 0;
    long total = 0;
    for (byte[] ch : after) {
      total += ch.length;
      if (old.contains(sha256(ch))) {
        reused += ch.length;
      }
    }
    return (double) reused / total;
  }

  static long newChunks(List<byte[]> before, List<byte[]> after) {
    Set<String> old = hashes(before);
    return after.stream().filter(ch -> !old.contains(sha256(ch))).count();
  }

  /** Joins the chunks and checks the size bounds of all but the last. */
  static void assertReassembles(ChunkerParams p, byte[] data, List<byte[]> chunks) {
    ByteArrayOutputStream joined = new ByteArrayOutputStream(data.length);
    for (int i = 0; i < chunks.size(); i++) {
      joined.writeBytes(chunks.get(i));
      int len = chunks.get(i).length;
      if (i < chunks.size() - 1) {
        assertThat(len).as("chunk %d of %d bytes", i, data.length).isBetween(p.min(), p.max());
      } else {
        assertThat(len).as("last chunk of %d bytes", data.length).isBetween(1, p.max());
      }
    }
    assertThat(joined.size()).isEqualTo(data.length);
    assertThat(Arrays.equals(joined.toByteArray(), data))
        .as("reassembled %d bytes", data.length)
        .isTrue();
  }

  @Test
  void chunksReassembleTheInputAndRespectTheBoundsWithDefaultParams() throws Exception {
    Chunker c = new Chunker(DEFAULT, 1);
    int min = DEFAULT.min();
    int max = DEFAULT.max();
    int[] sizes = {0, 1, min - 1, min, min + 1, max, max + 1, 50 << 20};
    for (int size : sizes) {
      byte[] data = random(size, size);
      assertReassembles(DEFAULT, data, chunks(c, data));
    }
  }

  @Test
  void chunksReassembleTheInputAndRespectTheBoundsWithSmallParams() throws Exception {
    Chunker c = new Chunker(SMALL, 2);
    int[] sizes = {0, 1, SMALL.min() - 1, SMALL.min(), SMALL.max() + 1, 10 << 20};
    for (int size : sizes) {
      byte[] data = random(size, size);
      assertReassembles(SMALL, data, chunks(c, data));
    }
  }

  @Test
  void anInputShorterThanTheMinimumIsOneChunk() throws Exception {
    Chunker c = new Chunker(DEFAULT, 1);
    for (int size : new int[] {1, 1000, DEFAULT.min() - 1, DEFAULT.min()}) {
      byte[] data = random(size, size);
      assertThat(lengths(chunks(c, data))).as("size %d", size).containsExactly(size);
    }
  }

  @Test
  void anEmptyStreamHasNoChunk() throws Exception {
    Chunker.Reader r = new Chunker(DEFAULT, 1).reader(InputStream.nullInputStream());
    byte[] buf = new byte[DEFAULT.max()];
    assertThat(r.next(buf)).isEqualTo(-1);
    assertThat(r.next(buf)).isEqualTo(-1);
  }

  @Test
  void randomDataAveragesTheAverageSize() throws Exception {
    byte[] data = random(5, 64 << 20);
    double avg = (double) data.length / chunks(new Chunker(DEFAULT, 3), data).size();
    assertThat(avg).isBetween(DEFAULT.avg() * 0.75, DEFAULT.avg() * 1.25);

    // Many more chunks with small params, so a tighter bound: it catches a misplaced normal size.
    double small = (double) data.length / chunks(new Chunker(SMALL, 9), data).size();
    assertThat(small).isBetween(SMALL.avg() * 0.9, SMALL.avg() * 1.1);
  }

  @Test
  void sameSeedGivesTheSameCutsOtherSeedsOthers() throws Exception {
    byte[] data = random(7, 32 << 20);
    List<byte[]> a = chunks(new Chunker(DEFAULT, 42), data);
    List<byte[]> b = chunks(new Chunker(DEFAULT, 42), data);
    assertThat(lengths(a)).isEqualTo(lengths(b));
    for (long other : new long[] {43, -42, 42L << 32}) {
      Set<Long> common = cuts(a);
      common.retainAll(cuts(chunks(new Chunker(DEFAULT, other), data)));
      assertThat(common).as("cuts shared by seeds 42 and %d", other).isEmpty();
    }
  }

  /**
   * The cut points of a fixed input are part of the repository format: if they move, every existing
   * repository re-uploads everything. Change these numbers only with a new repository version.
   */
  @Test
  void cutPointsOfAFixedInputAreStable() throws Exception {
    byte[] data = random(1, 8 << 20);
    assertThat(lengths(chunks(new Chunker(DEFAULT, 42), data))).containsExactly(GOLDEN_LENGTHS);
  }

  /** Also computed by an independent byte-at-a-time reference implementation of the algorithm. */
  static final Integer[] GOLDEN_LENGTHS = {
    1214586, 1442620, 815444, 936067, 1030833, 939911, 744271, 1063898, 200978
  };

  @Test
  void anInsertionNearTheStartKeepsMostChunks() throws Exception {
    byte[] data = random(8, 32 << 20);
    byte[] shifted = insert(data, 1000, random(99, 100));
    Chunker c = new Chunker(DEFAULT, 11);
    List<byte[]> before = chunks(c, data);
    List<byte[]> after = chunks(c, shifted);
    assertThat(reusedFraction(before, after)).isGreaterThanOrEqualTo(0.9);
    assertThat(newChunks(before, after)).isBetween(1L, 2L);
  }

  @Test
  void anEditInTheMiddleChangesOneToThreeChunks() throws Exception {
    byte[] data = random(12, 32 << 20);
    Chunker c = new Chunker(DEFAULT, 13);
    List<byte[]> before = chunks(c, data);
    int middle = data.length / 2;

    byte[] overwritten = data.clone();
    for (int i = 0; i < 100; i++) {
      overwritten[middle + i] ^= 0x5a;
    }
    byte[] inserted = insert(data, middle, random(98, 4096));
    byte[] deleted = new byte[data.length - 4096];
    System.arraycopy(data, 0, deleted, 0, middle);
    System.arraycopy(data, middle + 4096, deleted, middle, data.length - middle - 4096);

    for (byte[] edited : List.of(overwritten, inserted, deleted)) {
      List<byte[]> after = chunks(c, edited);
      assertReassembles(DEFAULT, edited, after);
      assertThat(newChunks(before, after)).isBetween(1L, 3L);
    }
  }

  @Test
  void shortReadsGiveTheSameCuts() throws Exception {
    byte[] data = random(10, 20 << 20);
    Chunker c = new Chunker(DEFAULT, 5);
    List<byte[]> whole = chunks(c, data);
    List<byte[]> trickled = chunks(c, new ShortReads(new ByteArrayInputStream(data), 7, 0));
    assertThat(lengths(trickled)).isEqualTo(lengths(whole));
    assertThat(lengths(whole)).hasSizeGreaterThan(10);
    assertReassembles(DEFAULT, data, trickled);
  }

  @Test
  void readsOfEveryLengthGiveTheSameCuts() throws Exception {
    // Reads of random lengths up to 300 KiB cross chunk, min and carry boundaries at every offset.
    byte[] data = random(14, 8 << 20);
    Chunker c = new Chunker(SMALL, 6);
    List<byte[]> whole = chunks(c, data);
    for (long seed = 1; seed <= 3; seed++) {
      List<byte[]> ragged =
          chunks(c, new ShortReads(new ByteArrayInputStream(data), 300 << 10, seed));
      assertThat(lengths(ragged)).isEqualTo(lengths(whole));
      assertReassembles(SMALL, data, ragged);
    }
  }

  @Test
  void zerosAreCutAtTheMaximum() throws Exception {
    for (long seed : new long[] {1, 2, 3}) {
      byte[] zeros = new byte[DEFAULT.max() * 3 + 5];
      assertThat(lengths(chunks(new Chunker(DEFAULT, seed), zeros)))
          .containsExactly(DEFAULT.max(), DEFAULT.max(), DEFAULT.max(), 5);
    }
  }

  @Test
  void theReadersOwnGrowingBufferGivesTheSameCuts() throws Exception {
    // Small files first (the buffer stays small), then random data and zeros that need the
    // maximum: the buffer grows between and within chunks, and no cut moves.
    Chunker c = new Chunker(DEFAULT, 8);
    Chunker.Reader r = c.reader(InputStream.nullInputStream());
    for (byte[] data : List.of(random(30, 1000), random(31, 700 << 10), random(32, 20 << 20), new byte[DEFAULT.max() * 2 + 3])) {
      r.reset(new ByteArrayInputStream(data));
      List<byte[]> own = new ArrayList<>();
      int n;
      while ((n = r.next()) >= 0) {
        assertThat(r.chunk().length).isLessThanOrEqualTo(DEFAULT.max());
        own.add(Arrays.copyOf(r.chunk(), n));
      }
      assertThat(lengths(own)).isEqualTo(lengths(chunks(c, data)));
      assertReassembles(DEFAULT, data, own);
    }
    assertThat(r.chunk().length).isEqualTo(DEFAULT.max());
  }

  @Test
  void aResetReaderStartsAfresh() throws Exception {
    Chunker c = new Chunker(SMALL, 4);
    byte[] first = random(20, 3 << 20);
    byte[] second = random(21, 2 << 20);
    byte[] buf = new byte[SMALL.max()];
    Chunker.Reader r = c.reader(new ByteArrayInputStream(first));
    assertThat(r.next(buf)).isPositive();
    r.reset(new ByteArrayInputStream(second));
    List<Integer> lengths = new ArrayList<>();
    int n;
    while ((n = r.next(buf)) >= 0) {
      lengths.add(n);
    }
    assertThat(lengths).isEqualTo(lengths(chunks(c, second)));
  }

  @Test
  void aBufferShorterThanTheMaximumIsRefused() {
    Chunker.Reader r = new Chunker(SMALL, 1).reader(new ByteArrayInputStream(new byte[10]));
    assertThatThrownBy(() -> r.next(new byte[SMALL.max() - 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(SMALL.max()));
  }

  @Test
  void theNormalSizeMakesTheExpectedSizeTheAverage() {
    // min + 4 MiB (1 - q) + q 256 KiB = 1 MiB with q = exp(-(normal - min) / 4 MiB).
    assertThat(new Chunker(DEFAULT, 1).normalSize()).isEqualTo(813_665);
    // A minimum this close to the average leaves nothing to normalize before it.
    assertThat(new Chunker(new ChunkerParams(900 << 10, 1 << 20, 8 << 20), 1).normalSize())
        .isEqualTo(900 << 10);
  }

  /** Returns at most {@code limit} bytes a read, or a random 1..limit if seeded. */
  static final class ShortReads extends FilterInputStream {
    private final int limit;
    private final Random random;

    ShortReads(InputStream in, int limit, long seed) {
      super(in);
      this.limit = limit;
      this.random = seed == 0 ? null : new Random(seed);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = random == null ? limit : 1 + random.nextInt(limit);
      return super.read(b, off, Math.min(len, n));
    }
  }
}
