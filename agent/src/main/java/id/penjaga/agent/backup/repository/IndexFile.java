package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

  /**
   * Reads an index file's JSON with Jackson's streaming parser: every command that opens the
   * repository reads all index files before its first step, and object mapping took three times
   * as long. Fields this version does not know are skipped, absent lists are empty; a field of the wrong
   * kind is an error.
   */
  static IndexFile fromJson(byte[] json) throws IOException {
    try (JsonParser p = JSON.getFactory().createParser(json)) {
      return new IndexFile(JsonFields.document(p, WHAT, "packs", IndexFile::pack));
    }
  }

  private static final String WHAT = "index";

  private static Pack pack(JsonParser p) throws IOException {
    JsonFields.expect(p, JsonToken.START_OBJECT, WHAT);
    String id = null;
    List<Entry> blobs = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "id" -> id = JsonFields.text(p, WHAT, field);
        case "blobs" -> blobs = JsonFields.list(p, WHAT, field, IndexFile::entry);
        default -> p.skipChildren();
      }
    }
    JsonFields.expect(p, JsonToken.END_OBJECT, WHAT);
    return new Pack(id, blobs == null ? List.of() : blobs);
  }

  private static Entry entry(JsonParser p) throws IOException {
    JsonFields.expect(p, JsonToken.START_OBJECT, WHAT);
    int t = 0;
    String id = null;
    int o = 0;
    int l = 0;
    int u = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "t" -> t = orZero(JsonFields.integer(p, WHAT, field));
        case "id" -> id = JsonFields.text(p, WHAT, field);
        case "o" -> o = orZero(JsonFields.integer(p, WHAT, field));
        case "l" -> l = orZero(JsonFields.integer(p, WHAT, field));
        case "u" -> u = orZero(JsonFields.integer(p, WHAT, field));
        default -> p.skipChildren(); // a field of a later version
      }
    }
    JsonFields.expect(p, JsonToken.END_OBJECT, WHAT);
    return new Entry(t, id, o, l, u);
  }

  private static int orZero(Integer n) {
    return n == null ? 0 : n;
  }
}
