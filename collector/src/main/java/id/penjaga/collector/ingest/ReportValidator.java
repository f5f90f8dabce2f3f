package id.penjaga.collector.ingest;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Checks reports against the versioned contract {@code report-v1.schema.json}. */
public final class ReportValidator {
  private static final String RESOURCE = "/schema/report-v1.schema.json";
  private final Validator validator;

  public ReportValidator(JsonObject schema) {
    this.validator =
        Validator.create(
            JsonSchema.of(schema),
            new JsonSchemaOptions()
                .setDraft(Draft.DRAFT202012)
                .setBaseUri("https://penjaga.id/schema/")
                .setOutputFormat(OutputFormat.Basic));
  }

  /** The contract bundled in the collector's jar. */
  public static ReportValidator bundled() {
    try (InputStream in = ReportValidator.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("contract " + RESOURCE + " missing from the jar");
      }
      return new ReportValidator(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Empty when the report follows the contract; otherwise why not, naming the fields. */
  public Optional<String> problems(JsonObject report) {
    OutputUnit result = validator.validate(report);
    if (Boolean.TRUE.equals(result.getValid())) {
      return Optional.empty();
    }
    List<OutputUnit> errors = result.getErrors();
    if (errors == null || errors.isEmpty()) {
      return Optional.of(result.getError() != null ? result.getError() : "does not follow the contract");
    }
    return Optional.of(
        errors.stream()
            .filter(u -> u.getError() != null)
            .map(u -> (u.getInstanceLocation() == null || u.getInstanceLocation().isEmpty()
                    ? "/"
                    : u.getInstanceLocation())
                + ": " + u.getError())
            .distinct()
            .limit(5)
            .collect(Collectors.joining("; ")));
  }
}
