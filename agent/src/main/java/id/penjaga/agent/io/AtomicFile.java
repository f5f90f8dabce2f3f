package id.penjaga.agent.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that a reader, or the next start after a crash, finds either the old content or
 * the whole new one: a temporary file ({@code .NAME.tmp} beside it) is written and flushed to
 * stable storage, renamed into place, and the directory is flushed.
 */
public final class AtomicFile {
  /**
   * Heap data goes to the file in slices: the JDK copies it through a temporary native buffer of
   * the same size, and megabyte-sized ones are reused, larger ones set up anew each time.
   */
  private static final int SLICE = 1 << 20;

  private AtomicFile() {}

  /** Writes {@code content} to {@code target}, replacing what was there. */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, content.length);
  }

  /** As {@link #write(Path, byte[])} with the first {@code length} bytes of {@code content}. */
  public static void write(Path target, byte[] content, int length) throws IOException {
    write(target, content, length, null);
  }

  /**
   * As {@link #write(Path, byte[], int)}, the temporary file written with {@code direct} I/O
   * where its file system takes it (a large file not read again soon), else the ordinary way.
   */
  public static void write(Path target, byte[] content, int length, DirectIo direct) throws IOException {
    Path dir = target.getParent();
    Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
    try {
      if (direct == null || !direct.write(tmp, content, length)) {
        writeCached(tmp, content, length);
        if (direct != null && direct.enabled()) {
          // Direct I/O failed where the ordinary write did not: the file system does not take it.
          direct.refused();
        }
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems (FAT on a USB disk) cannot sync a directory; the rename still stands.
    }
  }

  private static void writeCached(Path tmp, byte[] content, int length) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (int off = 0; off < length; off += SLICE) {
        ByteBuffer b = ByteBuffer.wrap(content, off, Math.min(SLICE, length - off));
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
      ch.force(true);
    }
  }
}
