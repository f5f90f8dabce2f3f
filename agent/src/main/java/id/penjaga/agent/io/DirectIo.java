package id.penjaga.agent.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes large files that will not be read again soon (a backup's packs) with direct I/O
 * ({@code O_DIRECT}): from the process's buffer to the device, past the page cache. A backup of
 * hundreds of gigabytes then neither copies every byte into the kernel's cache nor pushes the
 * server's own working set (the database's, the application's) out of it, and on a virtual
 * machine the kernel does not take fresh memory for each new cached page (bench/README.md: a
 * 1 GiB backup spent ~0.5 core-seconds there).
 *
 * <p>Direct I/O wants the file position, the length of each write and the buffer's address aligned
 * to the file system's block size, so the content goes through an aligned native buffer of this
 * thread, the last block is padded with zeros and the file is then cut to its length. Where the
 * file system refuses direct I/O (at open or at the first write), {@link #write} says so and the
 * caller writes the file through the cache; a refusal the ordinary write does not repeat switches
 * direct I/O off for this location.
 */
public final class DirectIo {
  /** Bytes per write: a megabyte keeps a device busy; smaller writes each wait for it. */
  static final int SLICE = 1 << 20;

  /** Alignment in bytes; 0 until known, -1 when this location does not take direct I/O. */
  private volatile int alignment;
  private final ThreadLocal<ByteBuffer> buffers = new ThreadLocal<>();
  private final AtomicLong directWrites = new AtomicLong();
  /** Misaligns this location's buffers by this many bytes (tests of the fallback only). */
  private final int skew;

  private DirectIo(int skew) {
    this.skew = skew;
  }

  /**
   * Direct I/O for the files of one location (a repository: one file system, whose block size is
   * read at the first write).
   */
  public static DirectIo forOneFileSystem() {
    return new DirectIo(0);
  }

  /** As {@link #forOneFileSystem}, with buffers off their alignment: every direct write is refused. */
  static DirectIo misalignedForTest() {
    return new DirectIo(1);
  }

  /** Whether direct I/O is still tried here (false once the file system refused it). */
  public boolean enabled() {
    return alignment >= 0;
  }

  /** How many files were written with direct I/O. */
  public long directWrites() {
    return directWrites.get();
  }

  /** Direct I/O failed here where the ordinary write worked: it is not tried again. */
  void refused() {
    alignment = -1;
  }

  /**
   * Writes {@code content[0, length)} to {@code file} (created or truncated) with direct I/O and
   * flushes it to stable storage.
   *
   * @return true when written and flushed; false when direct I/O was not possible, in which case
   *     {@code file} may exist with any content and the caller writes it the ordinary way (whose
   *     error, if it has one, is the one to report)
   */
  boolean write(Path file, byte[] content, int length) {
    int align = alignment(file);
    if (align <= 0) {
      return false;
    }
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING,
            ExtendedOpenOption.DIRECT)) {
      ByteBuffer buf = buffer(align);
      long written = 0;
      for (int off = 0; off < length; off += SLICE) {
        int n = Math.min(SLICE, length - off);
        int padded = (n + align - 1) / align * align;
        buf.clear();
        buf.put(content, off, n);
        while (buf.position() < padded) {
          buf.put((byte) 0);
        }
        buf.flip();
        while (buf.hasRemaining()) {
          written += ch.write(buf);
        }
      }
      if (written != length) {
        ch.truncate(length);
      }
      ch.force(true);
      directWrites.incrementAndGet();
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** The alignment of {@code file}'s file system, read at the first write. */
  private int alignment(Path file) {
    int a = alignment;
    if (a != 0) {
      return a;
    }
    try {
      long size = Files.getFileStore(file.toAbsolutePath().getParent()).getBlockSize();
      // A power of two up to the slice, or no direct I/O here.
      a = size > 0 && size <= SLICE && Long.bitCount(size) == 1 ? (int) size : -1;
    } catch (IOException | UnsupportedOperationException e) {
      a = -1;
    }
    alignment = a;
    return a;
  }

  /** This thread's aligned buffer of {@link #SLICE} bytes (the alignment is this location's). */
  private ByteBuffer buffer(int align) {
    ByteBuffer b = buffers.get();
    if (b == null) {
      ByteBuffer raw = ByteBuffer.allocateDirect(SLICE + 2 * align);
      b = raw.alignedSlice(align);
      if (skew != 0) {
        b = b.position(skew).slice();
      }
      b = b.limit(SLICE).slice();
      buffers.set(b);
    }
    return b;
  }
}
