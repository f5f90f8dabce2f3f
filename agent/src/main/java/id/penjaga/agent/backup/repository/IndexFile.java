package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The content of an index file (see REPOSITORY.md, "Index files"). */
record IndexFile(List<Pack> packs) {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Pack(String id, List<Entry> blobs) {}

  record Entry(int t, String id, int o, int l, int u) {}

  static IndexFile of(List<List<PackedBlob>> packs) {
    List<Pack> out = new ArrayList<>();
    for (List<PackedBlob> blobs : packs) {
      if (blobs.isEmpty()) {
        continue;
      }
      List<Entry> entries = new ArrayList<>(blobs.size());
      for (PackedBlob b : blobs) {
        entries.add(new Entry(b.type().code(), b.id().hex(), b.offset(), b.length(), b.rawLength()));
      }
      out.add(new Pack(blobs.get(0).pack(), entries));
    }
    return new IndexFile(out);
  }

  List<PackedBlob> blobs() {
    List<PackedBlob> out = new ArrayList<>();
    for (Pack p : packs) {
      for (Entry e : p.blobs()) {
        out.add(new PackedBlob(BlobType.of(e.t()), BlobId.parse(e.id()), p.id(), e.o(), e.l(), e.u()));
      }
    }
    return out;
  }

  byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static IndexFile fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, IndexFile.class);
  }
}
