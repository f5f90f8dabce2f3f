package id.penjaga.agent.backup.backend;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where a repository's files live: a local directory (a mounted portable disk or NAS) or an SFTP
 * server. A handful of verbs that every target implements; retrying, caching and the like are
 * wrappers around this interface, not code inside each backend.
 *
 * <p>Every method may block on I/O: call it from worker threads only.
 */
public interface Backend extends AutoCloseable {

  /** A short description of the target for messages, without any secret ({@code sftp://u@h:22/p}). */
  String location();

  /**
   * Stores a file atomically and durably: it is written to a temporary name, flushed to stable
   * storage and renamed into place, so a reader never sees a partial file and a crash leaves either
   * nothing or the whole file. Files are never overwritten except {@link FileKind#LOCK} files.
   *
   * @throws java.nio.file.FileAlreadyExistsException if the file exists (and kind is not LOCK)
   */
  void save(FileKind kind, String name, byte[] content) throws IOException;

  /** As {@link #save(FileKind, String, byte[])} with the first {@code length} bytes of {@code content}. */
  default void save(FileKind kind, String name, byte[] content, int length) throws IOException {
    save(kind, name, length == content.length ? content : java.util.Arrays.copyOf(content, length));
  }

  /** Reads a whole file. @throws java.nio.file.NoSuchFileException if it is absent */
  byte[] load(FileKind kind, String name) throws IOException;

  /** Reads {@code length} bytes at {@code offset} of a file. */
  byte[] load(FileKind kind, String name, long offset, int length) throws IOException;

  /**
   * As {@link #load(FileKind, String, long, int)}, into {@code into[0, length)}: a caller reading
   * many pieces (a restore) reuses one buffer.
   */
  default void loadInto(FileKind kind, String name, long offset, int length, byte[] into) throws IOException {
    System.arraycopy(load(kind, name, offset, length), 0, into, 0, length);
  }

  /** The names of all files of a kind (for PACK: across all the two-digit subdirectories). */
  List<String> list(FileKind kind) throws IOException;

  /** The size of a file, or empty when it does not exist. */
  Optional<Long> stat(FileKind kind, String name) throws IOException;

  /** Removes a file; removing an absent file is not an error. */
  void remove(FileKind kind, String name) throws IOException;

  /** Creates the directory layout of a new repository (idempotent). */
  void create() throws IOException;

  @Override
  void close() throws IOException;
}
