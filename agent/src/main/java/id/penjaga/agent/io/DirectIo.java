package id.penjaga.agent.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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

  /**
   * As {@link #forOneFileSystem}, with buffers off their alignment: every direct read and write is
   * refused (tests of the fallback only).
   */
  public static DirectIo misalignedForTest() {
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

  /** Direct I/O failed here where the ordinary read or write worked: it is not tried again. */
  public void refused() {
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

  /**
   * Reads {@code file[offset, offset + length)} into {@code out} with direct I/O: the aligned
   * blocks around the range, a slice at a time, through this thread's aligned buffer.
   *
   * @return true when read; false when direct I/O was not possible or the file ended early, in
   *     which case the caller reads the ordinary way (whose error, if it has one, is the one to
   *     report)
   */
  public boolean read(Path file, long offset, int length, byte[] out) {
    int align = alignment(file);
    if (align <= 0) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
      ByteBuffer buf = buffer(align);
      long at = offset / align * align; // the aligned position the next slice is read from
      int done = 0;
      while (done < length) {
        buf.clear();
        int want = (int) Math.min(SLICE, (offset + length - at + align - 1) / align * align);
        buf.limit(want);
        while (buf.hasRemaining()) {
          if (ch.read(buf, at + buf.position()) < 0) {
            return false;
          }
          if (buf.position() % align != 0) {
            break; // end of file: a direct read past it returns what there is, unaligned
          }
        }
        int skip = (int) (offset + done - at);
        int n = Math.min(buf.position() - skip, length - done);
        if (n <= 0) {
          return false;
        }
        buf.get(skip, out, done, n);
        done += n;
        if (done < length && buf.position() < want) {
          return false; // the file ended before the range did
        }
        at += buf.position();
      }
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Opens {@code file} (created or truncated) for writing with direct I/O: a file written once and
   * not read again soon (a restored file). Null where direct I/O is off here.
   */
  public Output create(Path file) {
    int align = alignment(file);
    if (align <= 0) {
      return null;
    }
    try {
      return new Output(
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING,
              LinkOption.NOFOLLOW_LINKS,
              ExtendedOpenOption.DIRECT),
          buffer(align),
          align);
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /** A write with direct I/O failed: the caller writes the file again the ordinary way. */
  public static final class Refused extends IOException {
    Refused(IOException cause) {
      super("direct I/O failed: " + cause.getMessage(), cause);
    }
  }

  /**
   * A file written with direct I/O, a slice at a time, from the thread that opened it. {@link
   * #finish} writes the last, zero-padded block and cuts the file to its length; a write that fails
   * throws {@link Refused}.
   */
  public final class Output extends OutputStream {
    private final FileChannel ch;
    private final ByteBuffer buf;
    private final int align;
    private long length;

    private Output(FileChannel ch, ByteBuffer buf, int align) {
      this.ch = ch;
      this.buf = buf.clear();
      this.align = align;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, buf.remaining());
        buf.put(b, off, n);
        off += n;
        len -= n;
        length += n;
        if (!buf.hasRemaining()) {
          drain();
        }
      }
    }

    private void drain() throws Refused {
      buf.flip();
      try {
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      } catch (IOException e) {
        throw new Refused(e);
      }
      buf.clear();
    }

    /** Writes what is left and cuts the file to the bytes written. */
    public void finish() throws IOException {
      if (buf.position() > 0) {
        int padded = (buf.position() + align - 1) / align * align;
        while (buf.position() < padded) {
          buf.put((byte) 0);
        }
        drain();
        try {
          ch.truncate(length);
        } catch (IOException e) {
          throw new Refused(e);
        }
      }
      directWrites.incrementAndGet();
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  /** The alignment of {@code file}'s file system, read at the first read or write. */
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
