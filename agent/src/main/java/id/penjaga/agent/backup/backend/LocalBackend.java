package id.penjaga.agent.backup.backend;

import id.penjaga.agent.io.AtomicFile;
import id.penjaga.agent.io.DirectIo;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A repository in a local directory: a mounted portable disk, a NAS, another local disk. */
public final class LocalBackend implements Backend {
  /** Reads in slices: see {@link AtomicFile} on the JDK's temporary native buffers. */
  private static final int IO_SLICE = 256 << 10;
  private final Path root;
  /** Packs go to the disk past the page cache where its file system allows (see DirectIo). */
  private final DirectIo packWrites;

  public LocalBackend(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.packWrites = DirectIo.forOneFileSystem();
  }

  @Override
  public String location() {
    return root.toString();
  }

  private Path file(FileKind kind, String name) {
    if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException("invalid repository file name " + name);
    }
    return root.resolve(kind.path(name));
  }

  @Override
  public void save(FileKind kind, String name, byte[] content) throws IOException {
    save(kind, name, content, content.length);
  }

  @Override
  public void save(FileKind kind, String name, byte[] content, int length) throws IOException {
    Path target = file(kind, name);
    Path dir = target.getParent();
    Files.createDirectories(dir);
    if (kind != FileKind.LOCK && Files.exists(target)) {
      throw new FileAlreadyExistsException(target.toString());
    }
    try {
      AtomicFile.write(target, content, length, kind == FileKind.PACK ? packWrites : null);
    } catch (IOException e) {
      throw new IOException("cannot write " + target + ": " + reason(e), e);
    }
  }

  private static String reason(IOException e) {
    String m = e.getMessage();
    return m == null ? e.toString() : m;
  }

  @Override
  public byte[] load(FileKind kind, String name) throws IOException {
    Path p = file(kind, name);
    long size = Files.size(p);
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException(p + " is too large to be a repository file");
    }
    return load(kind, name, 0, (int) size);
  }

  @Override
  public byte[] load(FileKind kind, String name, long offset, int length) throws IOException {
    byte[] out = new byte[length];
    loadInto(kind, name, offset, length, out);
    return out;
  }

  @Override
  public void loadInto(FileKind kind, String name, long offset, int length, byte[] out) throws IOException {
    Path p = file(kind, name);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      long at = offset;
      for (int off = 0; off < length; ) {
        ByteBuffer b = ByteBuffer.wrap(out, off, Math.min(IO_SLICE, length - off));
        int n = ch.read(b, at);
        if (n < 0) {
          throw new EOFException(p + " is shorter than expected (" + (offset + length) + " bytes)");
        }
        at += n;
        off += n;
      }
    }
  }

  @Override
  public List<String> list(FileKind kind) throws IOException {
    List<String> out = new ArrayList<>();
    if (kind == FileKind.CONFIG) {
      if (Files.exists(root.resolve("config"))) {
        out.add("config");
      }
      return out;
    }
    Path dir = root.resolve(kind.directory());
    if (!Files.isDirectory(dir)) {
      return out;
    }
    if (kind == FileKind.PACK) {
      try (DirectoryStream<Path> subs = Files.newDirectoryStream(dir)) {
        for (Path sub : subs) {
          if (Files.isDirectory(sub)) {
            addNames(sub, out);
          }
        }
      }
    } else {
      addNames(dir, out);
    }
    return out;
  }

  private static void addNames(Path dir, List<String> out) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (!n.startsWith(".") && Files.isRegularFile(p)) {
          out.add(n);
        }
      }
    }
  }

  @Override
  public Optional<Long> stat(FileKind kind, String name) throws IOException {
    try {
      return Optional.of(Files.size(file(kind, name)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void remove(FileKind kind, String name) throws IOException {
    Files.deleteIfExists(file(kind, name));
  }

  @Override
  public void create() throws IOException {
    for (FileKind k : FileKind.values()) {
      if (!k.directory().isEmpty()) {
        Files.createDirectories(root.resolve(k.directory()));
      }
    }
  }

  @Override
  public void close() {}
}
