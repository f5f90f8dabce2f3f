package id.penjaga.agent.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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

  @Test
  void rangesAtAnyOffsetAreReadWithDirectIoAndAShortFileIsLeftToTheOrdinaryRead() throws IOException {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system");
    int slice = DirectIo.SLICE;
    byte[] content = random(3 * slice + 12345, 3);
    Path file = dir.resolve("pack");
    Files.write(file, content);
    DirectIo direct = DirectIo.forOneFileSystem();
    long[][] ranges = {
      {0, 1}, {0, 4096}, {1, 4095}, {4095, 2}, {4096, slice}, {100, slice}, {slice - 1, slice + 2},
      {12345, 2 * slice + 999}, {0, content.length}, {content.length - 1, 1}, {content.length - 5000, 5000},
      {3 * slice, 12345}
    };
    for (long[] r : ranges) {
      byte[] out = new byte[(int) r[1] + 3];
      assertThat(direct.read(file, r[0], (int) r[1], out)).as("range %d+%d", r[0], r[1]).isTrue();
      assertThat(java.util.Arrays.copyOf(out, (int) r[1]))
          .as("range %d+%d", r[0], r[1])
          .isEqualTo(java.util.Arrays.copyOfRange(content, (int) r[0], (int) (r[0] + r[1])));
      assertThat(java.util.Arrays.copyOfRange(out, (int) r[1], out.length)).containsOnly(0);
    }
    // Past the end: not read here (the ordinary read names the short file).
    assertThat(direct.read(file, content.length - 10, 11, new byte[11])).isFalse();
    assertThat(direct.read(file, content.length + 4096, 10, new byte[10])).isFalse();
    assertThat(direct.read(dir.resolve("none"), 0, 10, new byte[10])).isFalse();
    assertThat(direct.enabled()).isTrue();
    // Misaligned buffers: every direct read is refused.
    assertThat(DirectIo.misalignedForTest().read(file, 0, 4096, new byte[4096])).isFalse();
  }

  @Test
  void anOutputWritesFilesOfAnyLengthPastThePageCache() throws Exception {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system");
    DirectIo direct = DirectIo.forOneFileSystem();
    int slice = DirectIo.SLICE;
    List<Integer> lengths = List.of(0, 1, 4096, 4097, slice - 1, slice, 2 * slice + 3, 5 * slice + 4321);
    Random pieces = new Random(9);
    for (int i = 0; i < lengths.size(); i++) {
      int n = lengths.get(i);
      byte[] content = random(n, 100 + i);
      Path target = dir.resolve("restored-" + i);
      Files.write(target, random(3 * slice, 1)); // replaced whole, not overlaid
      try (DirectIo.Output out = direct.create(target)) {
        assertThat(out).isNotNull();
        for (int off = 0; off < n; ) {
          int len = Math.min(n - off, 1 + pieces.nextInt(300_000));
          out.write(content, off, len);
          off += len;
        }
        out.finish();
      }
      assertThat(Files.readAllBytes(target)).as("file of %d bytes", n).isEqualTo(content);
    }
    assertThat(direct.directWrites()).isEqualTo(lengths.size());
    if (Files.isExecutable(Path.of("/usr/bin/fincore"))) {
      Path big = dir.resolve("big");
      try (DirectIo.Output out = direct.create(big)) {
        out.write(random(8 << 20, 5), 0, 8 << 20);
        out.finish();
      }
      assertThat(cachedBytes(big)).as("bytes of the file in the page cache").isZero();
    }
  }

  @Test
  void anOutputWhoseWriteIsRefusedSaysSo() throws IOException {
    assumeTrue(onDisk(), "the temporary directory is not on a disk file system");
    DirectIo direct = DirectIo.misalignedForTest();
    Path target = dir.resolve("restored");
    DirectIo.Output out = direct.create(target);
    assertThat(out).isNotNull();
    try (out) {
      byte[] content = random(DirectIo.SLICE + 10, 4);
      assertThatThrownBy(
              () -> {
                out.write(content, 0, content.length);
                out.finish();
              })
          .isInstanceOf(DirectIo.Refused.class)
          .hasMessageStartingWith("direct I/O failed");
    }
  }
}
