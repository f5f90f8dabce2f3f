package id.penjaga.agent.backup.backend;

/** The kinds of file a repository holds; each kind lives in its own directory of the backend. */
public enum FileKind {
  /** The repository's one configuration file ({@code config}). */
  CONFIG("", "config"),
  /** The medium's name for a rotation of backup disks ({@code medium}, plain JSON, not secret). */
  MEDIUM("", "medium"),
  /** Key slots: the master key wrapped by a key derived from a password ({@code keys/ID}). */
  KEY("keys", null),
  /** Pack files of encrypted chunks and trees ({@code data/XX/ID}, XX the first two hex digits). */
  PACK("data", null),
  /** Index files: which chunk is where in which pack ({@code index/ID}). */
  INDEX("index", null),
  /** Snapshot files ({@code snapshots/ID}). */
  SNAPSHOT("snapshots", null),
  /** Lock files ({@code locks/ID}). */
  LOCK("locks", null);

  private final String directory;
  private final String singleName;

  FileKind(String directory, String singleName) {
    this.directory = directory;
    this.singleName = singleName;
  }

  /** The directory of this kind under the repository root ("" for the root itself). */
  public String directory() {
    return directory;
  }

  /**
   * The relative path of a file of this kind: {@code data/ab/abcdef…} for packs, {@code KIND/NAME}
   * otherwise, {@code config} for the configuration.
   */
  public String path(String name) {
    if (singleName != null) {
      return singleName;
    }
    if (this == PACK) {
      return directory + "/" + name.substring(0, 2) + "/" + name;
    }
    return directory + "/" + name;
  }
}
