package id.penjaga.agent.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Index files read by the streaming reader exactly as written, and as object mapping reads them. */
class IndexFileTest {
  static IndexFile read(String json) throws IOException {
    return IndexFile.fromJson(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsBackWhatIsWrittenAsObjectMappingDoes() throws Exception {
    Random r = new Random(5);
    for (int round = 0; round < 50; round++) {
      List<List<PackedBlob>> packs = new ArrayList<>();
      for (int i = r.nextInt(4); i > 0; i--) {
        List<PackedBlob> blobs = new ArrayList<>();
        String pack = HexFormat.of().formatHex(new byte[] {(byte) r.nextInt(), (byte) i});
        for (int k = r.nextInt(5); k > 0; k--) {
          byte[] id = new byte[32];
          r.nextBytes(id);
          blobs.add(new PackedBlob(r.nextBoolean() ? BlobType.DATA : BlobType.TREE, new BlobId(id), pack,
              r.nextInt(Integer.MAX_VALUE), r.nextInt(Integer.MAX_VALUE), r.nextInt(Integer.MAX_VALUE)));
        }
        packs.add(blobs);
      }
      IndexFile f = IndexFile.of(packs);
      byte[] json = f.toJson();
      IndexFile back = IndexFile.fromJson(json);
      assertThat(back).isEqualTo(f).isEqualTo(new ObjectMapper().readValue(json, IndexFile.class));
      assertThat(back.blobs()).isEqualTo(packs.stream().flatMap(List::stream).toList());
    }
  }

  @Test
  void fieldsOfALaterVersionAreSkippedAndAbsentListsAreEmpty() throws Exception {
    IndexFile f = read("{\"v\":[1,{\"a\":2}],\"packs\":[{\"id\":\"p1\",\"sealed\":{\"x\":1},"
        + "\"blobs\":[{\"t\":1,\"id\":\"ab\",\"o\":3,\"l\":4,\"u\":5,\"later\":[6]}]},{\"id\":\"p2\"}]}");
    assertThat(f.packs()).containsExactly(
        new IndexFile.Pack("p1", List.of(new IndexFile.Entry(1, "ab", 3, 4, 5))), new IndexFile.Pack("p2", List.of()));
    assertThat(read("{}").packs()).isEmpty();
  }

  @Test
  void fieldsOfTheWrongKindAndDamagedJsonAreRefused() {
    for (String bad : List.of(
        "{\"packs\":[{\"id\":1}]}",
        "{\"packs\":[{\"blobs\":[{\"o\":\"3\"}]}]}",
        "{\"packs\":[{\"blobs\":[{\"l\":2147483648}]}]}",
        "{\"packs\":[{\"blobs\":{}}]}",
        "{\"packs\":{}}",
        "{\"packs\":[]}]",
        "{\"packs\":[",
        "")) {
      assertThatThrownBy(() -> read(bad)).as(bad).isInstanceOf(IOException.class);
    }
  }
}
