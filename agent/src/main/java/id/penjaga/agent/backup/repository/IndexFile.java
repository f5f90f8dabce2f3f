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
      expect(p, p.nextToken(), JsonToken.START_OBJECT);
      List<Pack> packs = List.of();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if ("packs".equals(field) && value != JsonToken.VALUE_NULL) {
          expect(p, value, JsonToken.START_ARRAY);
          packs = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            packs.add(pack(p));
          }
        } else {
          p.skipChildren();
        }
      }
      expect(p, p.currentToken(), JsonToken.END_OBJECT);
      if (p.nextToken() != null) {
        throw new IOException("index: more after the list of packs");
      }
      return new IndexFile(packs);
    }
  }

  private static Pack pack(JsonParser p) throws IOException {
    expect(p, p.currentToken(), JsonToken.START_OBJECT);
    String id = null;
    List<Entry> blobs = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if ("id".equals(field)) {
        id = text(p, field);
      } else if ("blobs".equals(field) && value != JsonToken.VALUE_NULL) {
        expect(p, value, JsonToken.START_ARRAY);
        blobs = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          blobs.add(entry(p));
        }
      } else {
        p.skipChildren();
      }
    }
    expect(p, p.currentToken(), JsonToken.END_OBJECT);
    return new Pack(id, blobs);
  }

  private static Entry entry(JsonParser p) throws IOException {
    expect(p, p.currentToken(), JsonToken.START_OBJECT);
    int t = 0;
    String id = null;
    int o = 0;
    int l = 0;
    int u = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "t" -> t = integer(p, field);
        case "id" -> id = text(p, field);
        case "o" -> o = integer(p, field);
        case "l" -> l = integer(p, field);
        case "u" -> u = integer(p, field);
        default -> p.skipChildren(); // a field of a later version
      }
    }
    expect(p, p.currentToken(), JsonToken.END_OBJECT);
    return new Entry(t, id, o, l, u);
  }

  private static String text(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NULL -> null;
      default -> throw new IOException("index: field '" + field + "' is not text");
    };
  }

  private static int integer(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT -> {
        long n = p.getLongValue();
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
          throw new IOException("index: field '" + field + "' is out of range");
        }
        yield (int) n;
      }
      case VALUE_NULL -> 0;
      default -> throw new IOException("index: field '" + field + "' is not a whole number");
    };
  }

  private static void expect(JsonParser p, JsonToken got, JsonToken wanted) throws IOException {
    if (got != wanted) {
      throw new IOException("index: expected " + wanted + " but found " + got + " at " + p.currentLocation());
    }
  }
}
