package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks shared by the readers of the repository's JSON that use Jackson's streaming parser
 * (tree blobs, index files): each value is taken at the parser's current token, and a value of
 * the wrong kind is an error naming {@code what} is read and the field.
 */
final class JsonFields {
  private JsonFields() {}

  /** Reads one item whose first token is the parser's current one. */
  interface Item<T> {
    T read(JsonParser p) throws IOException;
  }

  /**
   * A whole document {@code {"<field>": [item, ...], ...}}: the list (empty when absent or null),
   * other fields skipped (a later version's), nothing allowed after the document's end.
   */
  static <T> List<T> document(JsonParser p, String what, String field, Item<T> item) throws IOException {
    p.nextToken();
    expect(p, JsonToken.START_OBJECT, what);
    List<T> items = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (field.equals(name)) {
        items = list(p, what, name, item);
      } else {
        p.skipChildren();
      }
    }
    expect(p, JsonToken.END_OBJECT, what);
    if (p.nextToken() != null) {
      throw new IOException(what + ": more after its end");
    }
    return items == null ? List.of() : items;
  }

  static void expect(JsonParser p, JsonToken wanted, String what) throws IOException {
    if (p.currentToken() != wanted) {
      throw new IOException(
          what + ": expected " + wanted + " but found " + p.currentToken() + " at " + p.currentLocation());
    }
  }

  static String text(JsonParser p, String what, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NULL -> null;
      default -> throw new IOException(what + ": field '" + field + "' is not text");
    };
  }

  static Long number(JsonParser p, String what, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT -> p.getLongValue();
      case VALUE_NULL -> null;
      default -> throw new IOException(what + ": field '" + field + "' is not a whole number");
    };
  }

  static Integer integer(JsonParser p, String what, String field) throws IOException {
    Long n = number(p, what, field);
    if (n != null && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
      throw new IOException(what + ": field '" + field + "' is out of range");
    }
    return n == null ? null : n.intValue();
  }

  /** A list of items (null for a JSON null; a null item is an error). */
  static <T> List<T> list(JsonParser p, String what, String field, Item<T> item) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new IOException(what + ": field '" + field + "' is not a list");
    }
    List<T> out = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      T t = item.read(p);
      if (t == null) {
        throw new IOException(what + ": field '" + field + "' holds a null");
      }
      out.add(t);
    }
    return out;
  }
}
