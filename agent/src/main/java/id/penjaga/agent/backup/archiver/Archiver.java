package id.penjaga.agent.backup.archiver;

import id.penjaga.agent.backup.chunker.Chunker;
import id.penjaga.agent.backup.chunker.ChunkerParams;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.BlobType;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.repository.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs up a directory tree into a repository as one snapshot.
 *
 * <p>The walk runs on the caller's thread: it reads each file once, cuts it into chunks and hashes
 * it whole; hashing, compressing, sealing and uploading the chunks run on a bounded pool of
 * workers, with a bounded number of chunks in flight, so memory stays bounded whatever the tree's
 * size. A file whose size, change time and inode match the parent snapshot's entry is not read
 * again. Problems with single files (unreadable, vanished, changed while read) are reported by
 * path and counted, and the backup goes on; a failing repository stops it before any snapshot is
 * written.
 */
public final class Archiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Archiver.class);
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Repository repo;
  private final Chunker chunker;
  private final ArchiveOptions options;
  private final List<PathMatcher> excludes;
  private final ExecutorService workers;
  private final Semaphore inFlight;
  private final int maxChunk;

  public Archiver(Repository repo, ArchiveOptions options, int threads) {
    this.repo = repo;
    this.options = options;
    this.excludes = options.matchers();
    ChunkerParams params = new ChunkerParams(repo.chunkMin(), repo.chunkAvg(), repo.chunkMax());
    this.chunker = new Chunker(params, repo.chunkerSeed());
    this.maxChunk = repo.chunkMax();
    this.workers =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "backup-worker");
              t.setDaemon(true);
              return t;
            });
    // Chunks waiting for or in a worker: bounds memory to about (threads * 2) * max chunk size
    // in the worst case and a few average chunks usually.
    this.inFlight = new Semaphore(threads * 2);
  }

  /** The result: the snapshot written, and the problems met on the way. */
  public record Result(Snapshot snapshot, List<String> errors) {}

  /**
   * Backs up {@code root} as source {@code source}. {@code parent} (may be null) is the previous
   * snapshot of the same source, whose unchanged files are not read again.
   */
  public Result backup(
      Path root, String source, Snapshot parent, String reason, List<String> tags, String agentVersion)
      throws IOException {
    Instant start = repo.clock().instant();
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root.toString(), null, "source directory does not exist");
    }
    Object rootDevice = Files.getAttribute(root, "unix:dev");
    Tree parentTree = parent != null ? repo.loadTree(BlobId.parse(parent.tree())) : null;
    BackupSummary summary = new BackupSummary();
    BlobId tree = saveDirectory(root, Path.of(""), parentTree, rootDevice, summary);
    repo.flush();
    Snapshot snap =
        new Snapshot(
            null,
            start.toString(),
            hostName(),
            source,
            root.toAbsolutePath().toString(),
            tree.hex(),
            parent != null ? parent.id() : null,
            tags == null ? List.of() : List.copyOf(tags),
            reason,
            agentVersion,
            new Snapshot.Summary(
                summary.filesNew,
                summary.filesChanged,
                summary.filesUnchanged,
                summary.dirs,
                summary.bytesRead,
                repo.stats().bytesAdded(),
                repo.stats().bytesStored(),
                repo.stats().dataBlobs(),
                repo.stats().treeBlobs(),
                summary.errorCount));
    Snapshot saved = repo.saveSnapshot(snap);
    return new Result(saved, summary.errors());
  }

  private BlobId saveDirectory(
      Path dir, Path relative, Tree parentTree, Object rootDevice, BackupSummary summary)
      throws IOException {
    summary.dirs++;
    Map<String, Node> previous = new HashMap<>();
    if (parentTree != null) {
      for (Node n : parentTree.nodes()) {
        previous.put(n.name(), n);
      }
    }
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    } catch (AccessDeniedException e) {
      summary.error(dir + ": cannot list directory: permission denied");
      return repo.saveTree(new Tree(List.of()));
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    List<Node> nodes = new ArrayList<>(children.size());
    for (Path child : children) {
      String name = child.getFileName().toString();
      Path rel = relative.resolve(name);
      if (ArchiveOptions.excluded(excludes, rel)) {
        continue;
      }
      Map<String, Object> a;
      try {
        a = Files.readAttributes(child, "unix:*", NOFOLLOW);
      } catch (NoSuchFileException e) {
        continue; // removed since the directory was listed
      } catch (IOException e) {
        summary.error(child + ": cannot read attributes: " + e.getMessage());
        continue;
      }
      Node old = previous.get(name);
      try {
        if ((Boolean) a.get("isSymbolicLink")) {
          nodes.add(node(name, Node.SYMLINK, a, null, null, null, null, Files.readSymbolicLink(child).toString()));
        } else if ((Boolean) a.get("isDirectory")) {
          if (options.oneFileSystem() && !rootDevice.equals(a.get("dev"))) {
            log.info("{}: another file system, left out (one-file-system)", child);
            continue;
          }
          Tree oldTree = old != null && old.isDir() ? loadTreeQuietly(old) : null;
          BlobId sub = saveDirectory(child, rel, oldTree, rootDevice, summary);
          nodes.add(node(name, Node.DIR, a, null, null, null, sub.hex(), null));
        } else if ((Boolean) a.get("isRegularFile")) {
          Node n = saveFile(child, name, a, old, summary);
          if (n != null) {
            nodes.add(n);
          }
        } else {
          summary.error(child + ": special file (device, FIFO or socket) left out");
        }
      } catch (AccessDeniedException e) {
        summary.error(child + ": permission denied");
      } catch (NoSuchFileException e) {
        // removed while the backup ran: nothing to save
      }
    }
    return repo.saveTree(new Tree(nodes));
  }

  private Tree loadTreeQuietly(Node old) {
    try {
      return repo.loadTree(BlobId.parse(old.subtree()));
    } catch (IOException | RuntimeException e) {
      return null; // without the old listing every file is simply read again
    }
  }

  private Node saveFile(Path file, String name, Map<String, Object> a, Node old, BackupSummary summary)
      throws IOException {
    if (old != null
        && old.isFile()
        && old.size() != null
        && old.size() == size(a)
        && old.mtime() == nanos(a.get("lastModifiedTime"))
        && old.ctime() != null
        && old.ctime() == nanos(a.get("ctime"))
        && old.inode() != null
        && old.inode() == ((Number) a.get("ino")).longValue()
        && old.content().stream().allMatch(id -> repo.find(BlobId.parse(id)).isPresent())) {
      summary.filesUnchanged++;
      return node(name, Node.FILE, a, old.content(), old.sha256(), size(a), null, null);
    }
    for (int attempt = 1; ; attempt++) {
      Content c = readContent(file, summary);
      Map<String, Object> after = Files.readAttributes(file, "unix:*", NOFOLLOW);
      boolean changed =
          size(after) != c.bytes
              || nanos(after.get("lastModifiedTime")) != nanos(a.get("lastModifiedTime"))
              || nanos(after.get("ctime")) != nanos(a.get("ctime"));
      if (changed && attempt < 2) {
        a = after;
        continue;
      }
      if (changed) {
        summary.error(file + ": changed while being read; the stored copy may be inconsistent");
      }
      if (old != null && old.isFile()) {
        summary.filesChanged++;
      } else {
        summary.filesNew++;
      }
      return node(name, Node.FILE, after, c.ids, c.sha256, c.bytes, null, null);
    }
  }

  private record Content(List<String> ids, String sha256, long bytes) {}

  private Content readContent(Path file, BackupSummary summary) throws IOException {
    MessageDigest sha = sha256();
    List<Future<BlobId>> futures = new ArrayList<>();
    long total = 0;
    try (InputStream in = Files.newInputStream(file, NOFOLLOW)) {
      Chunker.Reader reader = chunker.reader(in);
      byte[] buf = new byte[maxChunk];
      int n;
      while ((n = reader.next(buf)) >= 0) {
        sha.update(buf, 0, n);
        total += n;
        byte[] chunk = java.util.Arrays.copyOf(buf, n);
        acquire();
        try {
          futures.add(
              workers.submit(
                  () -> {
                    try {
                      return repo.saveBlob(BlobType.DATA, chunk, 0, chunk.length).id();
                    } finally {
                      inFlight.release();
                    }
                  }));
        } catch (RuntimeException e) {
          inFlight.release();
          throw e;
        }
      }
    }
    synchronized (summary) {
      summary.bytesRead += total;
    }
    List<String> ids = new ArrayList<>(futures.size());
    for (Future<BlobId> f : futures) {
      ids.add(await(f).hex());
    }
    return new Content(ids, HexFormat.of().formatHex(sha.digest()), total);
  }

  private void acquire() throws IOException {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("backup interrupted");
    }
  }

  private static BlobId await(Future<BlobId> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("backup interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("saving a chunk failed: " + e.getCause(), e.getCause());
    }
  }

  private static Node node(
      String name,
      String type,
      Map<String, Object> a,
      List<String> content,
      String sha256,
      Long size,
      String subtree,
      String target) {
    boolean file = Node.FILE.equals(type);
    return new Node(
        name,
        type,
        ((Number) a.get("mode")).intValue() & 07777,
        ((Number) a.get("uid")).intValue(),
        ((Number) a.get("gid")).intValue(),
        principal(a.get("owner")),
        principal(a.get("group")),
        nanos(a.get("lastModifiedTime")),
        file ? nanos(a.get("ctime")) : null,
        file ? ((Number) a.get("ino")).longValue() : null,
        file ? ((Number) a.get("dev")).longValue() : null,
        file ? size : null,
        content,
        sha256,
        subtree,
        target);
  }

  private static String principal(Object p) {
    if (p instanceof UserPrincipal u) {
      return u.getName();
    }
    if (p instanceof GroupPrincipal g) {
      return g.getName();
    }
    return null;
  }

  private static long size(Map<String, Object> a) {
    return ((Number) a.get("size")).longValue();
  }

  static long nanos(Object fileTime) {
    Instant i = ((FileTime) fileTime).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
