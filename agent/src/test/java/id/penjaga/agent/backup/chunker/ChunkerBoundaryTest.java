package id.penjaga.agent.backup.chunker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChunkerBoundaryTest {
  static final ChunkerParams SMALL = new ChunkerParams(16 << 10, 64 << 10, 256 << 10);

  static List<byte[]> chunks(Chunker c, InputStream in) throws IOException {
    List<byte[]> out = new ArrayList<>();
    byte[] buf = new byte[c.params().max()];
    Chunker.Reader r = c.reader(in);
    int n;
    while ((n = r.next(buf)) >= 0) {
      out.add(java.util.Arrays.copyOf(buf, n));
    }
    return out;
  }

  static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Set<String> hashes(List<byte[]> chunks) throws Exception {
    Set<String> s = new HashSet<>();
    for (byte[] c : chunks) {
      s.add(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c)));
    }
    return s;
  }

  @Test
  void chunksReassembleTheInputAndRespectTheBounds() throws Exception {
    Chunker c = new Chunker(SMALL, 1);
    for (int size : new int[] {0, 1, SMALL.min() - 1, SMALL.min(), SMALL.max() + 1, 5_000_000}) {
      byte[] data = random(size, size);
      List<byte[]> chunks = chunks(c, new ByteArrayInputStream(data));
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      for (int i = 0; i < chunks.size(); i++) {
        joined.writeBytes(chunks.get(i));
        if (i < chunks.size() - 1) {
          assertThat(chunks.get(i).length).as("size " + size).isBetween(SMALL.min(), SMALL.max());
        }
      }
      assertThat(joined.toByteArray()).as("size " + size).isEqualTo(data);
      assertThat(chunks.isEmpty()).isEqualTo(size == 0);
    }
  }

  @Test
  void averageSizeIsNearTheTarget() throws Exception {
    byte[] data = random(5, 32 << 20);
    List<byte[]> chunks = chunks(new Chunker(SMALL, 9), new ByteArrayInputStream(data));
    double avg = (double) data.length / chunks.size();
    assertThat(avg).isBetween(SMALL.avg() * 0.75, SMALL.avg() * 1.35);
  }

  @Test
  void defaultParametersGiveMebibyteChunks() throws Exception {
    byte[] data = random(6, 64 << 20);
    List<byte[]> chunks = chunks(new Chunker(ChunkerParams.DEFAULT, 3), new ByteArrayInputStream(data));
    double avg = (double) data.length / chunks.size();
    assertThat(avg).isBetween((1 << 20) * 0.75, (1 << 20) * 1.35);
  }

  @Test
  void sameSeedSameCutsOtherSeedOtherCuts() throws Exception {
    byte[] data = random(7, 4 << 20);
    Set<String> a = hashes(chunks(new Chunker(SMALL, 42), new ByteArrayInputStream(data)));
    Set<String> b = hashes(chunks(new Chunker(SMALL, 42), new ByteArrayInputStream(data)));
    Set<String> c = hashes(chunks(new Chunker(SMALL, 43), new ByteArrayInputStream(data)));
    assertThat(a).isEqualTo(b);
    Set<String> common = new HashSet<>(a);
    common.retainAll(c);
    assertThat(common.size()).isLessThan(a.size() / 4);
  }

  @Test
  void anInsertionNearTheStartKeepsMostChunks() throws Exception {
    byte[] data = random(8, 16 << 20);
    byte[] shifted = new byte[data.length + 100];
    System.arraycopy(data, 0, shifted, 0, 1000);
    System.arraycopy(random(99, 100), 0, shifted, 1000, 100);
    System.arraycopy(data, 1000, shifted, 1100, data.length - 1000);
    Chunker c = new Chunker(SMALL, 11);
    List<byte[]> before = chunks(c, new ByteArrayInputStream(data));
    List<byte[]> after = chunks(c, new ByteArrayInputStream(shifted));
    Set<String> old = hashes(before);
    long reusedBytes = 0;
    for (byte[] ch : after) {
      if (old.contains(hashes(List.of(ch)).iterator().next())) {
        reusedBytes += ch.length;
      }
    }
    assertThat((double) reusedBytes / shifted.length).isGreaterThan(0.9);
  }

  @Test
  void shortReadsGiveTheSameCuts() throws Exception {
    byte[] data = random(10, 3 << 20);
    Chunker c = new Chunker(SMALL, 5);
    InputStream trickle =
        new FilterInputStream(new ByteArrayInputStream(data)) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 7));
          }
        };
    assertThat(hashes(chunks(c, trickle))).isEqualTo(hashes(chunks(c, new ByteArrayInputStream(data))));
  }

  @Test
  void zerosAreCutAtTheMaximum() throws Exception {
    List<byte[]> chunks = chunks(new Chunker(SMALL, 1), new ByteArrayInputStream(new byte[SMALL.max() * 3]));
    assertThat(chunks).hasSize(3).allSatisfy(ch -> assertThat(ch.length).isEqualTo(SMALL.max()));
  }
}
