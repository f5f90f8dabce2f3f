package id.penjaga.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The contract bundled in the collector is the one in config/schema, and takes its golden samples. */
class ReportContractTest {
  static final Path SCHEMA_DIR =
      Path.of(System.getProperty("penjaga.root", "..")).resolve("config/schema");

  static List<Path> samples(String kind) throws IOException {
    try (Stream<Path> s = Files.list(SCHEMA_DIR.resolve("samples").resolve(kind))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void bundledContractIsTheSharedOne() throws IOException {
    try (var in = ReportValidator.class.getResourceAsStream("/schema/report-v1.schema.json")) {
      assertThat(in).isNotNull();
      assertThat(new JsonObject(new String(in.readAllBytes())))
          .isEqualTo(new JsonObject(Files.readString(SCHEMA_DIR.resolve("report-v1.schema.json"))));
    }
  }

  @Test
  void goldenSamplesAreAccepted() throws IOException {
    ReportValidator v = ReportValidator.bundled();
    for (Path p : samples("valid")) {
      assertThat(v.problems(new JsonObject(Files.readString(p)))).as(p.toString()).isEmpty();
    }
  }

  @Test
  void brokenSamplesAreRefusedWithAReason() throws IOException {
    ReportValidator v = ReportValidator.bundled();
    List<Path> invalid = samples("invalid");
    assertThat(invalid).hasSizeGreaterThanOrEqualTo(5);
    for (Path p : invalid) {
      assertThat(v.problems(new JsonObject(Files.readString(p))))
          .as(p.toString())
          .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
    }
  }
}
