package id.penjaga.agent.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobIndexTest {
  @TempDir Path scratch;

  private static BlobId randomId(Random r) {
    byte[] b = new byte[32];
    r.nextBytes(b);
    return new BlobId(b);
  }

  private static String pack(int n) {
    return HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(32).putInt(28, n).array());
  }

  @Test
  void holdsManyBlobsInMappedTablesAndFindsEachOneExactly() throws Exception {
    Random r = new Random(11);
    Map<BlobId, PackedBlob> expected = new HashMap<>();
    // 64 KiB of heap per table: 200,000 blobs push every table into a mapped scratch file.
    try (BlobIndex index = new BlobIndex(scratch, 64 << 10)) {
      for (int i = 0; i < 200_000; i++) {
        BlobId id = randomId(r);
        PackedBlob b = new PackedBlob(i % 7 == 0 ? BlobType.TREE : BlobType.DATA, id, pack(i / 100),
            i * 3, 1000 + i, 2000 + i);
        assertThat(index.putIfAbsent(b)).isTrue();
        expected.put(id, b);
      }
      assertThat(index.mapped()).isTrue();
      try (Stream<Path> files = Files.list(scratch)) {
        assertThat(files.toList()).as("scratch files are unlinked once mapped").isEmpty();
      }
      assertThat(index.size()).isEqualTo(200_000);
      for (PackedBlob b : expected.values()) {
        assertThat(index.get(b.id())).isEqualTo(b);
        assertThat(index.contains(b.id())).isTrue();
      }
      // the same id again is refused and does not change the entry
      PackedBlob any = expected.values().iterator().next();
      assertThat(index.putIfAbsent(new PackedBlob(BlobType.DATA, any.id(), pack(999_999), 1, 2, 3))).isFalse();
      assertThat(index.get(any.id())).isEqualTo(any);
      // ids that differ from a stored one only in their last byte, and random ones, are absent
      for (int i = 0; i < 10_000; i++) {
        byte[] near = expected.keySet().iterator().next().bytes();
        near[31] ^= (byte) (1 + i % 255);
        if (!expected.containsKey(new BlobId(near))) {
          assertThat(index.contains(new BlobId(near))).isFalse();
        }
        BlobId other = randomId(r);
        assertThat(index.get(other)).isNull();
      }
      List<PackedBlob> all = new ArrayList<>();
      index.forEach(all::add);
      assertThat(all).hasSize(200_000);
      assertThat(new java.util.HashSet<>(all)).isEqualTo(new java.util.HashSet<>(expected.values()));

      index.clear();
      assertThat(index.size()).isZero();
      assertThat(index.contains(any.id())).isFalse();
      assertThat(index.mapped()).isFalse();
    }
  }

  @Test
  void threadsAddAndLookUpAtOnce() throws Exception {
    try (BlobIndex index = new BlobIndex(scratch, 16 << 10)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<List<PackedBlob>>> added = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int seed = t;
          added.add(pool.submit(() -> {
            Random r = new Random(100 + seed);
            List<PackedBlob> mine = new ArrayList<>();
            for (int i = 0; i < 30_000; i++) {
              PackedBlob b = new PackedBlob(BlobType.DATA, randomId(r), pack(seed * 1000 + i / 50), i, i + 1, i + 2);
              assertThat(index.putIfAbsent(b)).isTrue();
              mine.add(b);
              PackedBlob earlier = mine.get(i / 2);
              assertThat(index.get(earlier.id())).isEqualTo(earlier);
            }
            return mine;
          }));
        }
        for (Future<List<PackedBlob>> f : added) {
          for (PackedBlob b : f.get()) {
            assertThat(index.get(b.id())).isEqualTo(b);
          }
        }
        assertThat(index.size()).isEqualTo(120_000);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
