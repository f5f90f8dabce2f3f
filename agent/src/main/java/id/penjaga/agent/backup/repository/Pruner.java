package id.penjaga.agent.backup.repository;

import id.penjaga.agent.backup.backend.FileKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes data no snapshot needs. Run under an exclusive lock. Order (REPOSITORY.md, "Crash
 * safety"): blobs still needed from partly used packs are copied into new packs, one new index of
 * all remaining packs is written, the old index files are removed, then the packs no longer listed.
 */
public final class Pruner {
  private static final Logger log = LoggerFactory.getLogger(Pruner.class);
  /** A partly used pack is repacked when more than this share of its bytes is unused. */
  static final double REPACK_THRESHOLD = 0.2;

  private final Repository repo;

  public Pruner(Repository repo) {
    this.repo = repo;
  }

  /** What a prune did. */
  public record Result(int packsRemoved, int packsRepacked, int packsKept, long bytesFreed, long blobsRemoved) {}

  public Result prune() throws IOException {
    Set<BlobId> used = new HashSet<>();
    for (Snapshot s : repo.snapshots()) {
      mark(BlobId.parse(s.tree()), used);
    }
    List<String> indexFiles = repo.backend().list(FileKind.INDEX);
    Map<String, Map<BlobId, PackedBlob>> byPack = new LinkedHashMap<>();
    for (String name : indexFiles) {
      for (PackedBlob b : repo.readIndexFile(name).blobs()) {
        byPack.computeIfAbsent(b.pack(), k -> new LinkedHashMap<>()).putIfAbsent(b.id(), b);
      }
    }
    Set<BlobId> available = new HashSet<>();
    byPack.values().forEach(m -> available.addAll(m.keySet()));
    for (BlobId b : used) {
      if (!available.contains(b)) {
        throw new RepositoryException(
            "a snapshot needs blob " + b.hex() + " which is not in the index; run 'check' before pruning");
      }
    }

    List<List<PackedBlob>> keep = new ArrayList<>();
    List<String> remove = new ArrayList<>();
    List<String> repack = new ArrayList<>();
    Set<BlobId> kept = new HashSet<>();
    long freed = 0;
    long blobsRemoved = 0;
    // Fully used packs first, so a blob stored twice is kept where no copying is needed.
    List<Map.Entry<String, Map<BlobId, PackedBlob>>> packs = new ArrayList<>(byPack.entrySet());
    packs.sort((a, b) -> Long.compare(unusedBytes(a.getValue(), used), unusedBytes(b.getValue(), used)));
    for (Map.Entry<String, Map<BlobId, PackedBlob>> e : packs) {
      long total = 0;
      long unusedBytes = 0;
      int usedHere = 0;
      for (PackedBlob b : e.getValue().values()) {
        total += b.length();
        if (used.contains(b.id()) && !kept.contains(b.id())) {
          usedHere++;
        } else {
          unusedBytes += b.length();
        }
      }
      if (usedHere == 0) {
        remove.add(e.getKey());
        freed += total;
        blobsRemoved += e.getValue().size();
      } else if (unusedBytes > total * REPACK_THRESHOLD) {
        repack.add(e.getKey());
        for (PackedBlob b : e.getValue().values()) {
          if (used.contains(b.id())) {
            kept.add(b.id());
          }
        }
      } else {
        keep.add(new ArrayList<>(e.getValue().values()));
        kept.addAll(e.getValue().keySet());
      }
    }
    // Copy what is still needed out of the packs being repacked: sealed blobs are copied as they
    // are, their encryption is bound to their ids, not to a pack.
    Set<BlobId> copied = new HashSet<>();
    Map<BlobId, PackedBlob> keptElsewhere = new HashMap<>();
    keep.forEach(l -> l.forEach(b -> keptElsewhere.put(b.id(), b)));
    PackBuilder builder = null;
    for (String p : repack) {
      byte[] bytes = repo.loadPack(p);
      for (PackedBlob b : byPack.get(p).values()) {
        if (!used.contains(b.id()) || keptElsewhere.containsKey(b.id()) || !copied.add(b.id())) {
          continue;
        }
        repo.openBlob(b, bytes, b.offset(), b.length()); // never copy damage forward
        byte[] sealed = java.util.Arrays.copyOfRange(bytes, b.offset(), b.offset() + b.length());
        if (builder == null) {
          builder = new PackBuilder(Repository.PACK_TARGET + (1 << 20));
        }
        builder.add(b.type(), b.id(), sealed, b.rawLength());
        if (builder.size() >= Repository.PACK_TARGET) {
          keep.add(repo.uploadUnindexed(builder).blobs());
          builder = null;
        }
      }
      freed += unusedBytes(byPack.get(p), used);
    }
    if (builder != null && builder.count() > 0) {
      keep.add(repo.uploadUnindexed(builder).blobs());
    }
    if (remove.isEmpty() && repack.isEmpty()) {
      removeUnindexedPacks(byPack.keySet());
      return new Result(0, 0, keep.size(), 0, 0);
    }
    repo.rewriteIndex(keep, indexFiles);
    for (String p : remove) {
      repo.backend().remove(FileKind.PACK, p);
    }
    for (String p : repack) {
      repo.backend().remove(FileKind.PACK, p);
    }
    removeUnindexedPacks(null);
    repo.loadIndex();
    log.info("prune: {} packs removed, {} repacked, {} bytes freed", remove.size(), repack.size(), freed);
    return new Result(remove.size(), repack.size(), keep.size(), freed, blobsRemoved);
  }

  /** Packs no index lists: left by an interrupted backup or prune, never needed. */
  private void removeUnindexedPacks(Set<String> indexed) throws IOException {
    Set<String> listed = indexed;
    if (listed == null) {
      listed = new HashSet<>();
      for (String name : repo.backend().list(FileKind.INDEX)) {
        for (PackedBlob b : repo.readIndexFile(name).blobs()) {
          listed.add(b.pack());
        }
      }
    }
    for (String p : repo.backend().list(FileKind.PACK)) {
      if (!listed.contains(p)) {
        repo.backend().remove(FileKind.PACK, p);
      }
    }
  }

  private static long unusedBytes(Map<BlobId, PackedBlob> blobs, Set<BlobId> used) {
    long n = 0;
    for (PackedBlob b : blobs.values()) {
      if (!used.contains(b.id())) {
        n += b.length();
      }
    }
    return n;
  }

  private void mark(BlobId tree, Set<BlobId> used) throws IOException {
    if (!used.add(tree)) {
      return;
    }
    for (Node n : repo.loadTree(tree).nodes()) {
      if (n.isDir() && n.subtree() != null) {
        mark(BlobId.parse(n.subtree()), used);
      } else if (n.isFile() && n.content() != null) {
        for (String id : n.content()) {
          used.add(BlobId.parse(id));
        }
      }
    }
  }
}
