package id.penjaga.agent.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectIoTest {
  /** File systems on which Linux takes O_DIRECT for regular files. */
  private static final Set<String> DIRECT_FILE_SYSTEMS = Set.of("ext4", "ext3", "xfs", "btrfs");

  @TempDir Path dir;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private boolean onDisk() throws IOException {
    return DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(dir).type());
  }

  @Test
  void filesOfAnyLengthAreWrittenWholeAndOnlyThatLongWithDirectIo() throws IOException {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system: " + Files.getFileStore(dir).type());
    DirectIo direct = DirectIo.forOneFileSystem();
    int slice = DirectIo.SLICE;
    List<Integer> lengths = List.of(0, 1, 4095, 4096, 4097, slice - 1, slice, slice + 1, 3 * slice + 17);
    for (int i = 0; i < lengths.size(); i++) {
      int n = lengths.get(i);
      byte[] content = random(n + 100, i);
      Path target = dir.resolve("pack-" + i);
      AtomicFile.write(target, content, n, direct);
      byte[] back = Files.readAllBytes(target);
      assertThat(back).as("file of %d bytes", n).hasSize(n);
      assertThat(back).as("file of %d bytes", n).isEqualTo(java.util.Arrays.copyOf(content, n));
      assertThat(dir.resolve(".pack-" + i + ".tmp")).doesNotExist();
    }
    assertThat(direct.enabled()).isTrue();
    assertThat(direct.directWrites()).isEqualTo(lengths.size());
    // A file written again is replaced whole, not overlaid: shorter content leaves nothing behind.
    AtomicFile.write(dir.resolve("pack-8"), "kecil".getBytes(StandardCharsets.US_ASCII), 5, direct);
    assertThat(Files.readString(dir.resolve("pack-8"))).isEqualTo("kecil");
  }

  @Test
  void aFileWrittenWithDirectIoIsNotLeftInThePageCache() throws Exception {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "fincore (util-linux) is not installed");
    byte[] content = random(8 << 20, 42);
    Path direct = dir.resolve("direct");
    Path cached = dir.resolve("cached");
    AtomicFile.write(direct, content, content.length, DirectIo.forOneFileSystem());
    AtomicFile.write(cached, content, content.length);
    assertThat(cachedBytes(direct)).as("bytes of the direct file in the page cache").isZero();
    assertThat(cachedBytes(cached)).as("bytes of the ordinary file in the page cache").isGreaterThan(4L << 20);
    assertThat(Files.readAllBytes(direct)).isEqualTo(content);
  }

  private static long cachedBytes(Path file) throws Exception {
    Process p =
        new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return Long.parseLong(out);
  }

  @Test
  void whereDirectIoIsRefusedTheFileIsWrittenTheOrdinaryWayAndDirectIoIsNotTriedAgain() throws IOException {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system");
    // Buffers a byte off their alignment: the kernel (and the JDK before it) refuses every write.
    DirectIo direct = DirectIo.misalignedForTest();
    byte[] content = random(DirectIo.SLICE + 5000, 7);
    AtomicFile.write(dir.resolve("one"), content, content.length, direct);
    assertThat(Files.readAllBytes(dir.resolve("one"))).isEqualTo(content);
    assertThat(direct.enabled()).isFalse();
    AtomicFile.write(dir.resolve("two"), content, 100, direct);
    assertThat(Files.readAllBytes(dir.resolve("two"))).isEqualTo(java.util.Arrays.copyOf(content, 100));
    assertThat(direct.directWrites()).isZero();
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("one", "two");
    }
  }
}
