package id.penjaga.agent.report;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Posts reports to the collector's ingest API with the agent's bearer token. */
public final class CollectorClient {
  private final HttpClient http;
  private final URI endpoint;
  private final URI batchEndpoint;
  private final String authorization;
  private final Duration timeout;

  public CollectorClient(URI base, String token, Duration timeout) {
    this(base, token, timeout, CollectorTls.DEFAULT);
  }

  /**
   * {@code caFile} (PEM, may be null): the certificates the collector's must chain to; without it
   * the system's trusted authorities. The host name is always checked.
   */
  public CollectorClient(URI base, String token, Duration timeout, java.nio.file.Path caFile) {
    this(base, token, timeout, new CollectorTls(caFile, null, null, null));
  }

  /**
   * @param token the bearer token, or null when the agent proves itself by its client certificate
   * @param tls how the collector is trusted and the agent's own certificate
   */
  public CollectorClient(URI base, String token, Duration timeout, CollectorTls tls) {
    String b = base.toString();
    this.endpoint = URI.create((b.endsWith("/") ? b : b + "/") + "api/v1/reports");
    this.batchEndpoint = URI.create(endpoint + "/batch");
    this.authorization = token == null ? null : "Bearer " + token;
    this.timeout = timeout;
    HttpClient.Builder builder =
        HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER);
    if (tls != null && tls.custom()) {
      builder.sslContext(tls.context());
    }
    this.http = builder.build();
  }

  /** The collector's answer to one report. */
  public record Answer(int status, String body) {
    public boolean accepted() {
      return status >= 200 && status < 300;
    }

    /** The collector will never take this report as it is: keep it aside, do not retry. */
    public boolean refusedForGood() {
      return status == 400 || status == 413 || status == 422;
    }
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder b) {
    return authorization == null ? b : b.header("Authorization", authorization);
  }

  public Answer send(byte[] json) throws IOException, InterruptedException {
    HttpRequest request =
        authorized(HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(json))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    String body = response.body() == null ? "" : response.body();
    return new Answer(response.statusCode(), body.length() > 500 ? body.substring(0, 500) : body);
  }

  /**
   * The collector's answer to a batch: per report (by sequence number) {@code stored}, {@code
   * duplicate} or {@code invalid} with the reason; and the collector's clock minus the agent's
   * (null when the collector did not say its time).
   */
  public record BatchAnswer(
      int status, String body, java.util.Map<Long, String> results, java.util.Map<Long, String> errors,
      Duration clockOffset) {}

  /** Posts several reports as one gzip-compressed JSON array. */
  public BatchAnswer sendBatch(List<byte[]> reports) throws IOException, InterruptedException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(buf)) {
      gz.write('[');
      for (int i = 0; i < reports.size(); i++) {
        if (i > 0) {
          gz.write(',');
        }
        gz.write(reports.get(i));
      }
      gz.write(']');
    }
    HttpRequest request =
        authorized(HttpRequest.newBuilder(batchEndpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(buf.toByteArray()))
            .build();
    long t0 = System.nanoTime();
    java.time.Instant sentAt = java.time.Instant.now();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    Duration rtt = Duration.ofNanos(System.nanoTime() - t0);
    String body = response.body() == null ? "" : response.body();
    java.util.Map<Long, String> results = new java.util.HashMap<>();
    java.util.Map<Long, String> errors = new java.util.HashMap<>();
    java.time.Instant collectorTime = null;
    if (response.statusCode() == 200) {
      com.fasterxml.jackson.databind.JsonNode r = Report.JSON.readTree(body);
      for (com.fasterxml.jackson.databind.JsonNode item : r.path("results")) {
        if (item.has("seq") && item.path("seq").canConvertToLong()) {
          results.put(item.path("seq").asLong(), item.path("status").asText());
          if (item.has("error")) {
            errors.put(item.path("seq").asLong(), item.path("error").asText());
          }
        }
      }
      try {
        collectorTime = java.time.Instant.parse(r.path("time").asText());
      } catch (RuntimeException e) {
        collectorTime = null;
      }
    }
    // The collector's clock minus ours, taking its answer to come half-way through the round trip.
    Duration offset =
        collectorTime == null ? null : Duration.between(sentAt.plus(rtt.dividedBy(2)), collectorTime);
    return new BatchAnswer(
        response.statusCode(), body.length() > 500 ? body.substring(0, 500) : body, results, errors, offset);
  }

  public URI endpoint() {
    return endpoint;
  }
}
