package id.penjaga.agent.backup.repository;

/** What a blob holds: a chunk of a file, or a directory listing. */
public enum BlobType {
  DATA,
  TREE;

  byte code() {
    return (byte) ordinal();
  }

  static BlobType of(int code) {
    return switch (code) {
      case 0 -> DATA;
      case 1 -> TREE;
      default -> throw new IllegalArgumentException("unknown blob type " + code);
    };
  }
}
