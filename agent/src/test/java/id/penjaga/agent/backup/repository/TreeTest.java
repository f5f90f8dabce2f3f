package id.penjaga.agent.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tree blobs read by the streaming reader exactly as written, and as object mapping reads them. */
class TreeTest {
  static Tree read(String json) throws IOException {
    return Tree.fromJson(json.getBytes(StandardCharsets.UTF_8));
  }

  static <T> T maybe(Random r, T value) {
    return r.nextInt(3) == 0 ? null : value;
  }

  static Node randomNode(Random r, int i) {
    List<String> content = null;
    if (r.nextBoolean()) {
      content = new ArrayList<>();
      for (int k = r.nextInt(4); k > 0; k--) {
        content.add(Long.toHexString(r.nextLong()));
      }
    }
    String[] types = {Node.FILE, Node.DIR, Node.SYMLINK};
    return new Node(
        "berkas \"" + i + "\" ñ\t\\ " + Long.toHexString(r.nextLong()), types[r.nextInt(3)], r.nextInt(07777 + 1),
        maybe(r, r.nextInt()), maybe(r, r.nextInt()), maybe(r, "appserv"), maybe(r, "grup"),
        r.nextLong(), maybe(r, r.nextLong()), maybe(r, r.nextLong()), maybe(r, r.nextLong()),
        maybe(r, r.nextLong() >>> 1), content, maybe(r, "ab12"), maybe(r, "cd34"), maybe(r, "../../etc/passwd"));
  }

  @Test
  void readsBackWhatIsWrittenAsObjectMappingDoes() throws Exception {
    Random r = new Random(11);
    for (int round = 0; round < 200; round++) {
      List<Node> nodes = new ArrayList<>();
      for (int i = r.nextInt(6); i > 0; i--) {
        nodes.add(randomNode(r, i));
      }
      Tree t = new Tree(nodes);
      byte[] json = t.toJson();
      Tree back = Tree.fromJson(json);
      assertThat(back).isEqualTo(t);
      assertThat(back).isEqualTo(Tree.JSON.readValue(json, Tree.class));
      byte[] framed = new byte[json.length + 7];
      System.arraycopy(json, 0, framed, 3, json.length);
      framed[json.length + 3] = '}'; // past the end: not read
      assertThat(Tree.fromJson(framed, 3, json.length)).isEqualTo(t);
    }
  }

  @Test
  void extremesAndAbsentFields() throws Exception {
    Node n = new Node("x", Node.FILE, 07777, Integer.MIN_VALUE, Integer.MAX_VALUE, "", null, Long.MIN_VALUE,
        Long.MAX_VALUE, 0L, -1L, 0L, List.of(), "", null, null);
    assertThat(Tree.fromJson(new Tree(List.of(n)).toJson()).nodes()).containsExactly(n);
    // absent primitives are 0, absent objects null; a null or absent listing is empty
    assertThat(read("{\"nodes\":[{\"name\":\"a\"}]}").nodes())
        .containsExactly(new Node("a", null, 0, null, null, null, null, 0, null, null, null, null, null, null, null, null));
    assertThat(read("{\"nodes\":null}").nodes()).isEmpty();
    assertThat(read("{}").nodes()).isEmpty();
    assertThat(read(" { \"nodes\" : [ ] } ").nodes()).isEmpty();
  }

  @Test
  void fieldsOfALaterVersionAreSkipped() throws Exception {
    Tree t = read("{\"format\":{\"v\":[1,2,{\"x\":3}]},\"nodes\":[{\"name\":\"a\",\"xattrs\":{\"user.k\":[\"v\"]},"
        + "\"type\":\"file\",\"acl\":[[1],[2]],\"size\":5,\"content\":[\"c1\",\"c2\"],\"later\":null}],\"after\":7}");
    assertThat(t.nodes()).containsExactly(
        new Node("a", "file", 0, null, null, null, null, 0, null, null, null, 5L, List.of("c1", "c2"), null, null, null));
  }

  @Test
  void fieldsOfTheWrongKindAndDamagedJsonAreRefused() {
    for (String bad : List.of(
        "{\"nodes\":[{\"name\":5}]}",
        "{\"nodes\":[{\"size\":\"5\"}]}",
        "{\"nodes\":[{\"size\":1.5}]}",
        "{\"nodes\":[{\"uid\":4294967296}]}",
        "{\"nodes\":[{\"content\":\"c1\"}]}",
        "{\"nodes\":[{\"content\":[null]}]}",
        "{\"nodes\":[{\"mtime\":99999999999999999999}]}",
        "{\"nodes\":{}}",
        "{\"nodes\":[[]]}",
        "[]",
        "{\"nodes\":[]} {}",
        "{\"nodes\":[{\"name\":\"a\"}",
        "")) {
      assertThatThrownBy(() -> read(bad)).as(bad).isInstanceOf(IOException.class);
    }
  }
}
