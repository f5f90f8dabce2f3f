package id.penjaga.agent.backup.repository;

/** Where a blob is stored: in which pack, at which offset, how long sealed and as plaintext. */
public record PackedBlob(BlobType type, BlobId id, String pack, int offset, int length, int rawLength) {}
