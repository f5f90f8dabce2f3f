package id.penjaga.agent.backup.repository;

import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.backup.crypto.Sealer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a repository: its structure and index always; with {@code readData}, the content of all or
 * a random sample of its packs, each blob decrypted and its id verified. Damage is reported with
 * the snapshots and files it touches.
 */
public final class Checker {
  private final Repository repo;

  public Checker(Repository repo) {
    this.repo = repo;
  }

  /** The findings: errors make the check fail, warnings do not. */
  public record Result(
      List<String> errors,
      List<String> warnings,
      List<String> damagedFiles,
      int snapshots,
      int packs,
      int packsRead,
      long blobs) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  /**
   * @param readPercent 0 for structure only, 100 to read every pack, between for a sample
   * @param seed the seed of the sample, so it can be drawn again
   */
  public Result check(double readPercent, long seed) throws IOException {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    try (BlobIndex index = new BlobIndex()) {
      return check(readPercent, seed, index, errors, warnings);
    }
  }

  private Result check(double readPercent, long seed, BlobIndex index, List<String> errors, List<String> warnings)
      throws IOException {
    // Blobs go to an index like the repository's own (off the heap when big); of the packs only
    // their names are kept, so the check's memory does not grow with the number of blobs.
    Set<String> byPack = new HashSet<>();
    for (String name : repo.backend().list(FileKind.INDEX)) {
      List<PackedBlob> blobs;
      try {
        blobs = repo.readIndexFile(name).blobs();
      } catch (IOException e) {
        errors.add(e.getMessage());
        continue;
      }
      for (PackedBlob b : blobs) {
        index.putIfAbsent(b);
        byPack.add(b.pack());
      }
    }
    Set<String> packs = new TreeSet<>(repo.backend().list(FileKind.PACK));
    Set<String> missing = new HashSet<>();
    for (String p : byPack) {
      if (!packs.contains(p)) {
        errors.add("pack " + p + " is listed in the index but missing");
        missing.add(p);
      }
    }
    // The blobs of a missing pack are lost: the files that need them are named below.
    Set<BlobId> damaged = new HashSet<>();
    if (!missing.isEmpty()) {
      inPacks(index, missing, b -> damaged.add(b.id()));
    }
    int unused = 0;
    for (String p : packs) {
      if (!byPack.contains(p)) {
        unused++;
      }
    }
    if (unused > 0) {
      warnings.add(unused + " pack(s) not in the index (left by an interrupted backup; prune removes them)");
    }

    List<Snapshot> snapshots = new ArrayList<>();
    for (String name : repo.backend().list(FileKind.SNAPSHOT)) {
      try {
        snapshots.add(repo.loadSnapshot(name));
      } catch (IOException e) {
        errors.add(e.getMessage());
      }
    }

    // Every blob a snapshot needs must be in the index, every tree must open.
    Set<BlobId> visitedTrees = new HashSet<>();
    for (Snapshot s : snapshots) {
      walk(s, BlobId.parse(s.tree()), "", index, visitedTrees, errors, null, null);
    }

    int packsRead = 0;
    if (readPercent > 0) {
      List<String> candidates = new ArrayList<>(new TreeSet<>(byPack));
      candidates.retainAll(packs);
      List<String> toRead = sample(candidates, readPercent, seed);
      for (String p : toRead) {
        packsRead++;
        readPack(p, index, damaged, errors);
      }
    }
    List<String> damagedFiles = new ArrayList<>();
    if (!damaged.isEmpty()) {
      Set<String> files = new LinkedHashSet<>();
      for (Snapshot s : snapshots) {
        walk(s, BlobId.parse(s.tree()), "", index, new HashSet<>(), new ArrayList<>(), damaged, files);
      }
      damagedFiles.addAll(files);
      for (String f : files) {
        errors.add("damaged: " + f);
      }
    }
    return new Result(errors, warnings, damagedFiles, snapshots.size(), packs.size(), packsRead, index.size());
  }

  static List<String> sample(List<String> all, double percent, long seed) {
    if (percent >= 100) {
      return all;
    }
    List<String> shuffled = new ArrayList<>(all);
    java.util.Collections.shuffle(shuffled, new Random(seed));
    int n = (int) Math.ceil(all.size() * percent / 100.0);
    return shuffled.subList(0, Math.min(n, shuffled.size()));
  }

  /**
   * Reads a pack: its hash, its header, and every blob the index places in it, decrypted and
   * verified. The blobs are found through the pack's header, and each is checked to be where the
   * index says; when the header is unreadable, the index is searched for the pack's blobs instead.
   */
  private void readPack(String pack, BlobIndex index, Set<BlobId> damaged, List<String> errors) {
    byte[] bytes;
    try {
      bytes = repo.loadPack(pack);
    } catch (IOException e) {
      errors.add("pack " + pack + " cannot be read: " + e.getMessage());
      inPacks(index, Set.of(pack), b -> damaged.add(b.id()));
      return;
    }
    if (!PackBuilder.hasName(bytes, pack)) {
      errors.add("pack " + pack + " is damaged: its content does not match its name");
    }
    List<PackedBlob> listed = new ArrayList<>();
    try {
      List<PackBuilder.Entry> entries = PackBuilder.readHeader(bytes, repo.key().sealer());
      String uncovered = PackBuilder.uncovered(entries, PackBuilder.trailerStart(bytes));
      if (uncovered != null) {
        errors.add("pack " + pack + " is damaged: " + uncovered);
      }
      for (PackBuilder.Entry e : entries) {
        PackedBlob at = index.get(e.id());
        if (at != null && at.pack().equals(pack)) {
          if (at.offset() != e.offset() || at.length() != e.length()) {
            errors.add("the index places blob " + e.id().hex() + " at " + at.offset() + "+" + at.length()
                + " in pack " + pack + ", its header at " + e.offset() + "+" + e.length());
          }
          listed.add(at);
        }
      }
    } catch (Sealer.TamperedException | RuntimeException e) {
      errors.add("pack " + pack + " has a damaged header: " + e.getMessage());
      listed.clear();
      inPacks(index, Set.of(pack), listed::add);
    }
    for (PackedBlob b : listed) {
      try {
        if (b.offset() < 0 || (long) b.offset() + b.length() > bytes.length) {
          throw new RepositoryException("blob " + b.id().hex() + " lies outside pack " + pack);
        }
        repo.openBlob(b, bytes, b.offset(), b.length());
      } catch (RepositoryException e) {
        errors.add(e.getMessage());
        damaged.add(b.id());
      }
    }
  }

  /** The blobs the index places in one of {@code packs}: one pass over the whole index. */
  private static void inPacks(BlobIndex index, Set<String> packs, java.util.function.Consumer<PackedBlob> action) {
    index.forEach(b -> {
      if (packs.contains(b.pack())) {
        action.accept(b);
      }
    });
  }

  /**
   * Walks a snapshot's trees. Without {@code damaged}: reports missing blobs and broken trees. With
   * it: collects the files (as "snapshot short-id (source, time): /path") that use a damaged blob.
   */
  private void walk(
      Snapshot s,
      BlobId treeId,
      String path,
      BlobIndex index,
      Set<BlobId> visited,
      List<String> errors,
      Set<BlobId> damaged,
      Set<String> damagedFiles) {
    String where = "snapshot " + s.shortId() + " (" + s.source() + ", " + s.time() + ")";
    if (!index.contains(treeId)) {
      errors.add(where + ": directory /" + path + " is missing (tree " + treeId + ")");
      return;
    }
    if (damaged != null && damaged.contains(treeId)) {
      damagedFiles.add(where + ": /" + path + " (directory listing)");
      return;
    }
    if (!visited.add(treeId) && damaged == null) {
      return;
    }
    Tree tree;
    try {
      tree = repo.loadTree(treeId);
    } catch (IOException e) {
      errors.add(where + ": directory /" + path + " cannot be read: " + e.getMessage());
      return;
    }
    for (Node n : tree.nodes()) {
      String p = path.isEmpty() ? n.name() : path + "/" + n.name();
      if (n.isDir() && n.subtree() != null) {
        walk(s, BlobId.parse(n.subtree()), p, index, visited, errors, damaged, damagedFiles);
      } else if (n.isFile() && n.content() != null) {
        for (String id : n.content()) {
          BlobId b = BlobId.parse(id);
          if (damaged != null) {
            if (damaged.contains(b)) {
              damagedFiles.add(where + ": /" + p);
              break;
            }
          } else if (!index.contains(b)) {
            errors.add(where + ": file /" + p + " has a missing chunk " + b);
            break;
          }
        }
      }
    }
  }
}
