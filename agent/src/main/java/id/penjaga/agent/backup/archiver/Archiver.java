package id.penjaga.agent.backup.archiver;

import id.penjaga.agent.backup.chunker.Chunker;
import id.penjaga.agent.backup.chunker.ChunkerParams;
import id.penjaga.agent.backup.crypto.NativeCrypto;
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
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs up a directory tree into a repository as one snapshot.
 *
 * <p>The walk runs on the caller's thread and only lists directories and reads attributes. Each
 * file to read goes to one of a bounded pool of readers, which reads it once, cuts it into chunks,
 * hashes them and the whole file, and compresses, seals and packs each new chunk itself: files are
 * read side by side on every core, and a chunk never waits in a queue. At most a few files are in
 * flight, so memory stays bounded whatever the tree's size. A file whose size, change time and
 * inode match the parent snapshot's entry is not read again. Problems with single files
 * (unreadable, vanished, changed while read) are reported by path and counted, and the backup goes
 * on; a failing repository stops it before any snapshot is written.
 *
 * <p>Streams ({@link #saveStream}, a database dump) have one reader, the caller: it cuts and hashes,
 * and a pool of workers compresses, seals and packs the chunks.
 */
public final class Archiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Archiver.class);
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  /** What a node records; owner and group names come from {@link #names}, not from each file. */
  private static final String ATTRIBUTES =
      "unix:mode,ino,dev,uid,gid,ctime,size,lastModifiedTime,isDirectory,isRegularFile,isSymbolicLink";

  private final Repository repo;
  private final Chunker chunker;
  private final ArchiveOptions options;
  private final List<PathMatcher> excludes;
  private final ExecutorService workers;
  private final Window inFlight;
  /** Readers of whole files; {@link #filesInFlight} bounds the files handed to them. */
  private final ExecutorService readers;
  private final Window filesInFlight;
  /**
   * Threads that walk a subdirectory beside the walk that found it, and the number of them idle.
   * A subdirectory is handed over only to an idle one, else walked in place: at most
   * {@code threads} walks at a time, each depth first, and no queue of directories to grow.
   */
  private final ExecutorService walkers;
  private final Semaphore idleWalkers;
  private final OwnerNames names = new OwnerNames();
  private volatile Exception failure;
  /** Each thread's chunk reader, buffer and hashes, made on first use and reused for every file. */
  private final ThreadLocal<FileReader> fileReader;

  public Archiver(Repository repo, ArchiveOptions options, int threads) {
    this(repo, options, threads, new ChunkerParams(repo.chunkMin(), repo.chunkAvg(), repo.chunkMax()));
  }

  /**
   * An archiver cutting chunks of other sizes than the repository's default (a database dump
   * changes in smaller places than a document tree). Chunk sizes are the writer's choice: readers
   * never depend on them.
   */
  public Archiver(Repository repo, ArchiveOptions options, int threads, ChunkerParams params) {
    this.repo = repo;
    this.options = options;
    this.excludes = options.matchers();
    this.chunker = new Chunker(params, repo.chunkerSeed());
    this.fileReader = ThreadLocal.withInitial(() -> new FileReader(chunker));
    this.workers = pool(threads, "backup-worker");
    this.readers = pool(threads, "backup-reader");
    // Chunks waiting for or in a worker: bounds memory to about (threads * 4) * max chunk size
    // in the worst case and a few average chunks usually.
    this.inFlight = new Window(threads * 4);
    // Files waiting for or in a reader: a waiting file is a name and its attributes, a reader
    // holds one chunk at a time.
    this.filesInFlight = new Window(threads * 8);
    int helpers = Math.max(1, threads - 1);
    this.walkers = pool(helpers, "backup-walker");
    this.idleWalkers = new Semaphore(helpers);
  }

  /**
   * At most {@code max} tasks handed out; when all are out, the walk waits until half of them are
   * done. Waking the walk once for each finished task (a semaphore) cost a thread switch per file,
   * on virtual machines a costly one; this way it is one per {@code max / 2} files, and the
   * readers never run dry meanwhile.
   */
  static final class Window {
    private final int max;
    private int out;
    private int waiting;

    Window(int max) {
      this.max = max;
    }

    synchronized void enter() throws InterruptedException {
      if (out >= max) {
        waiting++;
        try {
          while (out > max / 2) {
            wait();
          }
        } finally {
          waiting--;
        }
      }
      out++;
    }

    synchronized void leave() {
      out--;
      if (waiting > 0 && out <= max / 2) {
        notifyAll();
      }
    }

    synchronized int out() {
      return out;
    }
  }

  private static ExecutorService pool(int threads, String name) {
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  /** One thread's tools for reading files: a chunk reader (with its buffer) and two hashes. */
  private static final class FileReader {
    final Chunker.Reader reader;
    final MessageDigest whole = NativeCrypto.sha256();
    final MessageDigest chunk = NativeCrypto.sha256();

    FileReader(Chunker chunker) {
      this.reader = chunker.reader(InputStream.nullInputStream());
    }
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
    Tree parentTree = parent != null ? repo.loadParentTree(BlobId.parse(parent.tree())) : null;
    BackupSummary summary = new BackupSummary();
    BlobId tree =
        join(saveDirectory(root, Path.of(""), parentTree, parent != null ? parent.tree() : null, rootDevice, summary));
    return saveSnapshot(tree, start, source, root.toAbsolutePath().toString(), parent, reason, tags, agentVersion, summary);
  }

  /** Makes the data and index durable, then writes the snapshot that makes them visible. */
  private Result saveSnapshot(
      BlobId tree,
      Instant start,
      String source,
      String path,
      Snapshot parent,
      String reason,
      List<String> tags,
      String agentVersion,
      BackupSummary summary)
      throws IOException {
    repo.flush();
    Snapshot snap =
        new Snapshot(
            null,
            start.toString(),
            hostName(),
            source,
            path,
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
    return new Result(repo.saveSnapshot(snap), summary.errors());
  }

  /** A fresh set of counters for {@link #saveStream} and {@link #snapshotOf}. */
  public static Counters counters() {
    return new Counters();
  }

  /** The counters of a backup made of streams. */
  public static final class Counters {
    final BackupSummary summary = new BackupSummary();

    /** Records a problem that did not stop the backup (a warning in the backup log). */
    public void warn(String message) {
      summary.error(message);
    }

    public long bytesRead() {
      return summary.bytesRead();
    }
  }

  /**
   * Saves what {@code in} gives, to its end, as a regular file {@code name} (mode 0600, time
   * {@code mtime}) of a snapshot to come: for content that is not a file on disk, such as a
   * database dump read from {@code pg_dump}'s output. Nothing is written to local disk.
   * {@code old} (may be null) is the same entry in the previous snapshot, for the counters.
   */
  public Node saveStream(String name, InputStream in, Instant mtime, Node old, Counters counters)
      throws IOException {
    if (!Node.isSafeName(name)) {
      throw new IllegalArgumentException("invalid entry name " + name);
    }
    Content c = readContent(in, counters.summary);
    counters.summary.stored(old);
    join(CompletableFuture.allOf(c.chunks().toArray(CompletableFuture[]::new)));
    long ns = mtime.getEpochSecond() * 1_000_000_000L + mtime.getNano();
    return new Node(
        name, Node.FILE, 0600, null, null, null, null, ns, null, null, null, c.bytes, c.ids(), c.sha256,
        null, null);
  }

  /** Saves a directory (mode 0700) holding {@code children}, for a snapshot made of streams. */
  public Node saveDirectory(String name, List<Node> children, Instant mtime, Counters counters)
      throws IOException {
    if (!Node.isSafeName(name)) {
      throw new IllegalArgumentException("invalid entry name " + name);
    }
    List<Node> sorted = new ArrayList<>(children);
    sorted.sort(java.util.Comparator.comparing(Node::name));
    BlobId tree = repo.saveTree(new Tree(sorted));
    synchronized (counters.summary) {
      counters.summary.dirs++;
    }
    long ns = mtime.getEpochSecond() * 1_000_000_000L + mtime.getNano();
    return new Node(
        name, Node.DIR, 0700, null, null, null, null, ns, null, null, null, null, null, null, tree.hex(), null);
  }

  /**
   * Saves a snapshot whose root directory holds {@code nodes} (made by {@link #saveStream}):
   * once the data and index are durable, so a snapshot is never visible before its content.
   */
  public Result snapshotOf(
      List<Node> nodes,
      Instant start,
      String source,
      String path,
      Snapshot parent,
      String reason,
      List<String> tags,
      String agentVersion,
      Counters counters)
      throws IOException {
    List<Node> sorted = new ArrayList<>(nodes);
    sorted.sort(java.util.Comparator.comparing(Node::name));
    BlobId tree = repo.saveTree(new Tree(sorted));
    BackupSummary summary = counters.summary;
    summary.dirs++;
    return saveSnapshot(tree, start, source, path, parent, reason, tags, agentVersion, summary);
  }

  /**
   * Walks a directory; returns its tree's id to come. A directory's tree is saved (on a worker)
   * as soon as all its entries are, while the walk goes on: no directory waits for the workers.
   */
  private CompletableFuture<BlobId> saveDirectory(
      Path dir, Path relative, Tree parentTree, String parentTreeId, Object rootDevice, BackupSummary summary)
      throws IOException {
    summary.dir();
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
      return CompletableFuture.completedFuture(repo.saveTree(new Tree(List.of())));
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    List<CompletableFuture<Node>> nodes = new ArrayList<>(children.size());
    TreePrefetch prefetch = new TreePrefetch(children, previous);
    for (Path child : children) {
      String name = child.getFileName().toString();
      prefetch.reached(name);
      Path rel = relative.resolve(name);
      if (ArchiveOptions.excluded(excludes, rel)) {
        continue;
      }
      Map<String, Object> a;
      try {
        a = withNames(child, Files.readAttributes(child, ATTRIBUTES, NOFOLLOW));
      } catch (NoSuchFileException e) {
        continue; // removed since the directory was listed
      } catch (IOException e) {
        summary.error(child + ": cannot read attributes: " + e.getMessage());
        continue;
      }
      Node old = previous.get(name);
      try {
        if ((Boolean) a.get("isSymbolicLink")) {
          Node link = node(name, Node.SYMLINK, a, null, null, null, null, Files.readSymbolicLink(child).toString());
          nodes.add(CompletableFuture.completedFuture(link));
        } else if ((Boolean) a.get("isDirectory")) {
          if (options.oneFileSystem() && !rootDevice.equals(a.get("dev"))) {
            log.info("{}: another file system, left out (one-file-system)", child);
            continue;
          }
          Tree oldTree = prefetch.take(name, old);
          nodes.add(subdirectory(child, rel, name, a, oldTree, oldTree != null ? old.subtree() : null, rootDevice, summary));
        } else if ((Boolean) a.get("isRegularFile")) {
          nodes.add(saveFile(child, name, a, old, summary));
        } else {
          summary.error(child + ": special file (device, FIFO or socket) left out");
        }
      } catch (AccessDeniedException e) {
        summary.error(child + ": permission denied");
      } catch (NoSuchFileException e) {
        // removed while the backup ran: nothing to save
      }
    }
    // The tree is saved by whichever thread finishes the directory's last entry, or here and now
    // when all were done already (every unchanged entry): no hand-over to another thread.
    return CompletableFuture.allOf(nodes.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<Node> listing = new ArrayList<>(nodes.size());
              for (CompletableFuture<Node> n : nodes) {
                Node node = n.join();
                if (node != null) { // null: a file that could not be read, or vanished
                  listing.add(node);
                }
              }
              if (parentTree != null && listing.equals(parentTree.nodes())) {
                // Nothing in it changed: the parent snapshot's tree, already stored, is this one.
                return BlobId.parse(parentTreeId);
              }
              try {
                return repo.saveTree(new Tree(listing));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  /**
   * Walks subdirectory {@code dir} (entry {@code name}, attributes {@code a}) on an idle walker,
   * or on this thread when none is idle; its node to come. Handed over, a directory that cannot be
   * listed or vanished gives null (as a file does); walked here, it throws as before.
   */
  private CompletableFuture<Node> subdirectory(
      Path dir, Path rel, String name, Map<String, Object> a, Tree oldTree, String oldTreeId, Object rootDevice,
      BackupSummary summary) throws IOException {
    CompletableFuture<BlobId> tree;
    if (idleWalkers.tryAcquire()) {
      try {
        tree = CompletableFuture.supplyAsync(
            () -> {
              try {
                return saveDirectory(dir, rel, oldTree, oldTreeId, rootDevice, summary);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              } finally {
                idleWalkers.release();
              }
            },
            walkers).thenCompose(f -> f);
      } catch (RuntimeException e) {
        idleWalkers.release();
        throw e;
      }
    } else {
      // a failure here stops this walk at once, as a file's does (the caller names it)
      tree = saveDirectory(dir, rel, oldTree, oldTreeId, rootDevice, summary);
    }
    return tree.handle(
        (sub, e) -> {
          if (e == null) {
            return node(name, Node.DIR, a, null, null, null, sub.hex(), null);
          }
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof UncheckedIOException u) {
            cause = u.getCause();
          }
          if (cause instanceof NoSuchFileException) {
            return null; // removed while the backup ran: nothing to save
          }
          if (cause instanceof AccessDeniedException) {
            summary.error(dir + ": permission denied");
            return null;
          }
          throw e instanceof CompletionException c ? c : new CompletionException(cause);
        });
  }

  /** Subdirectory listings of the parent snapshot loaded ahead of the walk, at most this many. */
  private static final int TREES_AHEAD = 16;

  /** Listings loaded by one task on a worker, one after the other. */
  private static final int TREES_PER_TASK = 8;

  /**
   * Loads the parent snapshot's listings of a directory's subdirectories on the workers, a few
   * ahead of the walk, so a walk does not wait for each listing in turn. One
   * task loads {@link #TREES_PER_TASK} of them in order, each ready for the walk as soon as it is
   * loaded: a task per listing woke a worker per directory, and cost more than the loading.
   */
  private final class TreePrefetch {
    private final List<Path> children;
    private final Map<String, Node> previous;
    private final Map<String, CompletableFuture<Tree>> ahead = new HashMap<>();
    private int next;
    private String current;

    TreePrefetch(List<Path> children, Map<String, Node> previous) {
      this.children = children;
      this.previous = previous;
    }

    /**
     * The walk has reached entry {@code name}: forgets the listing of the entry before it if that
     * was not taken (excluded, or no longer a directory), and, once no more than
     * {@code TREES_AHEAD - TREES_PER_TASK} are ahead, starts loading the listings of the
     * subdirectories coming next.
     */
    void reached(String name) {
      if (current != null) {
        ahead.remove(current);
      }
      current = name;
      if (previous.isEmpty() || ahead.size() > TREES_AHEAD - TREES_PER_TASK) {
        return;
      }
      List<Node> batch = new ArrayList<>(TREES_PER_TASK);
      List<CompletableFuture<Tree>> loaded = new ArrayList<>(TREES_PER_TASK);
      while (next < children.size() && batch.size() < TREES_PER_TASK) {
        String coming = children.get(next++).getFileName().toString();
        Node old = previous.get(coming);
        if (old != null && old.isDir()) {
          CompletableFuture<Tree> f = new CompletableFuture<>();
          ahead.put(coming, f);
          batch.add(old);
          loaded.add(f);
        }
      }
      if (batch.isEmpty()) {
        return;
      }
      Runnable load =
          () -> {
            try {
              for (int i = 0; i < batch.size(); i++) {
                loaded.get(i).complete(loadTreeQuietly(batch.get(i)));
              }
            } finally {
              loaded.forEach(f -> f.complete(null)); // none left waiting, whatever happened
            }
          };
      try {
        workers.execute(load);
      } catch (RuntimeException e) {
        ahead.values().removeAll(loaded); // each loaded when taken, on the walk
      }
    }

    /** The parent snapshot's listing of subdirectory {@code name} (null: none, or unreadable). */
    Tree take(String name, Node old) {
      CompletableFuture<Tree> f = ahead.remove(name);
      if (f != null) {
        return f.join(); // loadTreeQuietly does not throw
      }
      return old != null && old.isDir() ? loadTreeQuietly(old) : null;
    }
  }

  private Tree loadTreeQuietly(Node old) {
    try {
      return repo.loadParentTree(BlobId.parse(old.subtree()));
    } catch (IOException | RuntimeException e) {
      return null; // without the old listing every file is simply read again
    }
  }

  private CompletableFuture<Node> saveFile(
      Path file, String name, Map<String, Object> a, Node old, BackupSummary summary)
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
      summary.unchanged();
      return CompletableFuture.completedFuture(
          node(name, Node.FILE, a, old.content(), old.sha256(), size(a), null, null));
    }
    return submitBounded(
        filesInFlight,
        readers,
        () -> {
          try {
            return readFile(file, name, a, old, summary);
          } catch (AccessDeniedException e) {
            summary.error(file + ": permission denied");
            return null;
          } catch (NoSuchFileException e) {
            return null; // removed while the backup ran: nothing to save
          }
        });
  }

  /** Reads, cuts and saves a file on a reader; reads it once more if it changed meanwhile. */
  private Node readFile(Path file, String name, Map<String, Object> a, Node old, BackupSummary summary)
      throws IOException {
    for (int attempt = 1; ; attempt++) {
      Stored c = storeFile(file, summary);
      Map<String, Object> after = withNames(file, Files.readAttributes(file, ATTRIBUTES, NOFOLLOW));
      boolean changed =
          size(after) != c.bytes()
              || nanos(after.get("lastModifiedTime")) != nanos(a.get("lastModifiedTime"))
              || nanos(after.get("ctime")) != nanos(a.get("ctime"));
      if (changed && attempt < 2) {
        a = after;
        continue;
      }
      if (changed) {
        summary.error(file + ": changed while being read; the stored copy may be inconsistent");
      }
      summary.stored(old);
      return node(name, Node.FILE, after, c.ids(), c.sha256(), c.bytes(), null, null);
    }
  }

  /** A file as saved: its chunk ids, its hash and its length. */
  private record Stored(List<String> ids, String sha256, long bytes) {}

  /**
   * Reads a file to its end, cutting it into chunks and saving each on this thread. The whole-file
   * hash runs over every byte once; the first chunk's own hash is the whole-file hash's state
   * after it (a copy, not a second pass), so a file of one chunk — most documents — is hashed once.
   */
  private Stored storeFile(Path file, BackupSummary summary) throws IOException {
    FileReader r = fileReader.get();
    MessageDigest whole = r.whole;
    whole.reset();
    List<String> ids = new ArrayList<>();
    long total = 0;
    try (InputStream in = Files.newInputStream(file, NOFOLLOW)) {
      r.reader.reset(in);
      int n;
      while ((n = r.reader.next()) >= 0) {
        byte[] buf = r.reader.chunk();
        whole.update(buf, 0, n);
        byte[] chunkSha;
        if (ids.isEmpty()) {
          chunkSha = copyOf(whole).digest();
        } else {
          r.chunk.update(buf, 0, n);
          chunkSha = r.chunk.digest();
        }
        ids.add(repo.saveBlob(BlobType.DATA, buf, 0, n, chunkSha).id().hex());
        total += n;
        if (failure != null) {
          throw new IOException("backup stopped: " + failure.getMessage(), failure);
        }
      }
    } finally {
      r.reader.reset(InputStream.nullInputStream());
    }
    summary.read(total);
    return new Stored(ids, HexFormat.of().formatHex(whole.digest()), total);
  }

  private static MessageDigest copyOf(MessageDigest d) {
    try {
      return (MessageDigest) d.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 cannot be copied", e);
    }
  }

  /** A file's content as read: its chunks on their way into the repository, and its hash. */
  private record Content(List<CompletableFuture<BlobId>> chunks, String sha256, long bytes) {
    /** The chunk ids; call only once all chunks are saved. */
    List<String> ids() {
      List<String> ids = new ArrayList<>(chunks.size());
      chunks.forEach(f -> ids.add(f.join().hex()));
      return ids;
    }
  }

  private Content readContent(InputStream in, BackupSummary summary) throws IOException {
    MessageDigest sha = NativeCrypto.sha256();
    List<CompletableFuture<BlobId>> futures = new ArrayList<>();
    long total = 0;
    byte[] digest;
    {
      FileReader r = fileReader.get();
      Chunker.Reader reader = r.reader.reset(in);
      int n;
      // Each chunk is handed on when the next one is read: a file of one chunk (most bid
      // documents) then gives its whole-file hash to the chunk, which is not hashed again.
      byte[] held = null;
      int chunks = 0;
      while ((n = reader.next()) >= 0) {
        byte[] buf = reader.chunk();
        sha.update(buf, 0, n);
        total += n;
        if (held != null) {
          futures.add(submit(held, null));
        }
        held = java.util.Arrays.copyOf(buf, n);
        chunks++;
      }
      digest = sha.digest();
      if (held != null) {
        futures.add(submit(held, chunks == 1 ? digest : null));
      }
    }
    summary.read(total);
    return new Content(futures, HexFormat.of().formatHex(digest), total);
  }

  private CompletableFuture<BlobId> submit(byte[] chunk, byte[] sha256OfChunk) throws IOException {
    return submitBounded(
        inFlight, workers, () -> repo.saveBlob(BlobType.DATA, chunk, 0, chunk.length, sha256OfChunk).id());
  }

  /** Work on a pool that may fail with an I/O error. */
  private interface IoTask<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code task} on {@code pool} while holding one of {@code slots} (waiting for one first);
   * a failure is kept, so the walk stops handing out work and the backup fails.
   */
  private <T> CompletableFuture<T> submitBounded(Window slots, ExecutorService pool, IoTask<T> task)
      throws IOException {
    acquire(slots);
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              return task.run();
            } catch (IOException | RuntimeException e) {
              failure = e;
              throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            } finally {
              slots.leave();
            }
          },
          pool);
    } catch (RuntimeException e) {
      slots.leave();
      throw e;
    }
  }

  private void acquire(Window slots) throws IOException {
    Exception f = failure;
    if (f != null) {
      // A chunk could not be saved: the backup has failed, stop reading.
      throw f instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(f.toString(), f);
    }
    try {
      slots.enter();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("backup interrupted");
    }
  }

  private static <T> T join(CompletableFuture<T> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("backup failed: " + cause, cause);
    }
  }

  private Map<String, Object> withNames(Path file, Map<String, Object> attributes) {
    Map<String, Object> a = new HashMap<>(attributes);
    a.put("user", names.user(((Number) a.get("uid")).intValue(), file));
    a.put("group", names.group(((Number) a.get("gid")).intValue(), file));
    return a;
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
        (String) a.get("user"),
        (String) a.get("group"),
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


  private static long size(Map<String, Object> a) {
    return ((Number) a.get("size")).longValue();
  }

  static long nanos(Object fileTime) {
    Instant i = ((FileTime) fileTime).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
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
    walkers.shutdownNow();
    readers.shutdownNow();
    workers.shutdownNow();
  }
}
