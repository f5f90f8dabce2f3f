package id.penjaga.agent.backup.restorer;

import id.penjaga.agent.backup.crypto.NativeCrypto;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.RepositoryException;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.repository.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores a snapshot, whole or in part, into a target directory: content, mode, mtime, and owner
 * when run as root. Every file's SHA-256 is checked as it is written.
 *
 * <p>Nothing lands outside the target: a name that is not a single path element ({@code ..}, an
 * absolute path, a name with '/') is refused, directories are never entered through a symbolic
 * link, files are opened without following links, and symbolic links from the snapshot are created
 * only after every file and directory is written, so none can redirect a write.
 */
public final class Restorer {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  /** Files written at once: reading, decrypting and writing overlap; memory stays a few chunks. */
  private static final int IN_FLIGHT = 8;

  private final Repository repo;
  private final boolean restoreOwner;
  private final int threads;
  private static final int WRITE_SLICE = 256 << 10;

  public Restorer(Repository repo) {
    this(repo, Math.max(2, Runtime.getRuntime().availableProcessors()));
  }

  public Restorer(Repository repo, int threads) {
    this.repo = repo;
    this.threads = threads;
    this.restoreOwner = "root".equals(System.getProperty("user.name"));
  }

  /** What a restore did. */
  public record Result(long files, long dirs, long symlinks, long bytes, List<String> errors) {}

  private final class Run {
    final Path target;
    final List<String> include;
    final List<Path[]> links = new ArrayList<>();
    final List<Object[]> dirAttrs = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    final AtomicLong files = new AtomicLong();
    long dirs;
    final AtomicLong bytes = new AtomicLong();
    /** Files being written by the workers, at most {@link #IN_FLIGHT} at a time. */
    final List<Future<?>> pending = new ArrayList<>();

    Run(Path target, List<String> include) {
      this.target = target;
      this.include = include;
    }
  }

  /**
   * Restores {@code snapshot} into {@code target} (created if missing). {@code paths}, when not
   * empty, limits the restore to those paths (relative to the snapshot's root) and what is below.
   */
  public Result restore(Snapshot snapshot, Path target, List<String> paths) throws IOException {
    Path root = target.toAbsolutePath().normalize();
    if (Files.isSymbolicLink(root)) {
      throw new RepositoryException("restore target " + root + " is a symbolic link; give a real directory");
    }
    Files.createDirectories(root);
    List<String> include = new ArrayList<>();
    for (String p : paths) {
      String clean = p.replaceAll("^/+", "").replaceAll("/+$", "");
      for (String part : clean.split("/")) {
        if (!clean.isEmpty() && !Node.isSafeName(part)) {
          throw new RepositoryException("invalid --path " + p);
        }
      }
      include.add(clean);
    }
    Run run = new Run(root, include);
    ExecutorService workers =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "restore-worker");
              t.setDaemon(true);
              return t;
            });
    try {
      restoreTree(run, BlobId.parse(snapshot.tree()), root, "", workers);
      awaitAll(run);
    } finally {
      workers.shutdownNow();
    }
    for (Path[] link : run.links) {
      Files.deleteIfExists(link[0]);
      Files.createSymbolicLink(link[0], link[1]);
    }
    // Directory times and modes last: writing into a directory changes its mtime, and a
    // read-only directory would refuse its own children.
    for (int i = run.dirAttrs.size() - 1; i >= 0; i--) {
      Object[] d = run.dirAttrs.get(i);
      applyAttributes((Path) d[0], (Node) d[1]);
    }
    if (!include.isEmpty() && run.files.get() + run.dirs + run.links.size() == 0) {
      throw new RepositoryException("no path " + String.join(", ", paths) + " in snapshot " + snapshot.shortId());
    }
    return new Result(run.files.get(), run.dirs, run.links.size(), run.bytes.get(), List.copyOf(run.errors));
  }

  private void restoreTree(Run run, BlobId treeId, Path dir, String relative, ExecutorService workers)
      throws IOException {
    Tree tree = repo.loadTree(treeId);
    Set<String> seen = new HashSet<>();
    for (Node node : tree.nodes()) {
      if (!Node.isSafeName(node.name()) || !seen.add(node.name())) {
        throw new RepositoryException(
            "snapshot entry \"" + node.name() + "\" under /" + relative
                + " is not a safe file name; refusing to restore it");
      }
      String rel = relative.isEmpty() ? node.name() : relative + "/" + node.name();
      Path path = dir.resolve(node.name()).normalize();
      if (!path.startsWith(run.target) || path.equals(run.target)) {
        throw new RepositoryException("snapshot entry /" + rel + " would be written outside " + run.target);
      }
      boolean wanted = selected(run.include, rel);
      boolean ancestor = !wanted && isAncestor(run.include, rel);
      if (!wanted && !ancestor) {
        continue;
      }
      if (node.isDir()) {
        if (Files.isSymbolicLink(path)) {
          throw new RepositoryException(path + " is a symbolic link; refusing to restore through it");
        }
        try {
          Files.createDirectory(path);
        } catch (FileAlreadyExistsException e) {
          if (!Files.isDirectory(path, NOFOLLOW)) {
            throw new RepositoryException(path + " exists and is not a directory");
          }
        }
        restoreTree(run, BlobId.parse(node.subtree()), path, rel, workers);
        if (wanted) {
          run.dirs++;
          run.dirAttrs.add(new Object[] {path, node});
        }
      } else if (!wanted) {
        continue;
      } else if (node.isFile()) {
        if (Files.isSymbolicLink(path) || Files.isDirectory(path, NOFOLLOW)) {
          throw new RepositoryException(path + " exists and is not a regular file");
        }
        // Files are written by the workers while the walk goes on; at most IN_FLIGHT at once.
        if (run.pending.size() >= IN_FLIGHT) {
          await(run.pending.remove(0));
        }
        run.pending.add(
            workers.submit(
                () -> {
                  restoreFile(run, node, path, rel);
                  return null;
                }));
      } else if (node.isSymlink()) {
        run.links.add(new Path[] {path, Path.of(node.target())});
      } else {
        throw new RepositoryException("snapshot entry /" + rel + " has unknown type " + node.type());
      }
    }
  }

  /**
   * Writes a file's content to {@code out} (a pipe into {@code pg_restore}) and returns its length.
   * Every chunk is verified before it is written, so damaged data never reaches {@code out}; the
   * whole-file SHA-256 is checked at the end.
   */
  public long copyContent(Node node, OutputStream out) throws IOException {
    if (!node.isFile()) {
      throw new RepositoryException(node.name() + " is not a file");
    }
    MessageDigest sha = NativeCrypto.sha256();
    long written = writeChunks(node, out, sha, true);
    String actual = HexFormat.of().formatHex(sha.digest());
    if (node.sha256() != null && !node.sha256().equals(actual)) {
      throw new RepositoryException(node.name() + " does not match its backup (SHA-256 differs)");
    }
    return written;
  }

  /** Writes a file's chunks to {@code out} in order, hashing them into {@code sha}; returns the bytes. */
  private long writeChunks(Node node, OutputStream out, MessageDigest sha, boolean verifyIds)
      throws IOException {
    long written = 0;
    for (String id : node.content()) {
      Repository.Plain data = repo.readBlob(BlobId.parse(id), verifyIds);
      sha.update(data.bytes(), data.offset(), data.length());
      // In slices: the JDK copies each write through a native buffer of its size, kept per thread
      // (a chunk-sized one was ~2 MiB of memory per restore thread, and a new one for every
      // larger chunk).
      for (int o = 0; o < data.length(); o += WRITE_SLICE) {
        out.write(data.bytes(), data.offset() + o, Math.min(WRITE_SLICE, data.length() - o));
      }
      written += data.length();
    }
    return written;
  }

  private void restoreFile(Run run, Node node, Path path, String rel) throws IOException {
    MessageDigest sha = NativeCrypto.sha256();
    long written;
    try (OutputStream out =
        Files.newOutputStream(
            path,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      // The whole-file SHA-256 below verifies the content; no need to hash each chunk again.
      written = writeChunks(node, out, sha, false);
    }
    String actual = HexFormat.of().formatHex(sha.digest());
    if (node.sha256() != null && !node.sha256().equals(actual)) {
      throw new RepositoryException("restored /" + rel + " does not match its backup (SHA-256 differs)");
    }
    if (node.size() != null && node.size() != written) {
      throw new RepositoryException("restored /" + rel + " has " + written + " bytes, not " + node.size());
    }
    applyAttributes(path, node);
    run.files.incrementAndGet();
    run.bytes.addAndGet(written);
  }

  private void applyAttributes(Path path, Node node) throws IOException {
    if (restoreOwner && node.uid() != null) {
      Files.setAttribute(path, "unix:uid", node.uid(), NOFOLLOW);
      Files.setAttribute(path, "unix:gid", node.gid(), NOFOLLOW);
    }
    Files.setPosixFilePermissions(path, permissions(node.mode()));
    long ns = node.mtime();
    Files.setLastModifiedTime(
        path, FileTime.from(Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L))));
  }

  private static void awaitAll(Run run) throws IOException {
    while (!run.pending.isEmpty()) {
      await(run.pending.remove(0));
    }
  }

  private static void await(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("restore interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("restoring a file failed: " + e.getCause(), e.getCause());
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << (8 - i))) != 0) {
        s.add(all[i]);
      }
    }
    return s;
  }

  private static boolean selected(List<String> include, String rel) {
    if (include.isEmpty()) {
      return true;
    }
    for (String p : include) {
      if (p.isEmpty() || rel.equals(p) || rel.startsWith(p + "/")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAncestor(List<String> include, String rel) {
    for (String p : include) {
      if (p.startsWith(rel + "/")) {
        return true;
      }
    }
    return false;
  }
}
