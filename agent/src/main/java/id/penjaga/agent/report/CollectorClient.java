package id.penjaga.agent.report;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Posts reports to the collector's ingest API with the agent's bearer token. */
public final class CollectorClient {
  private final HttpClient http;
  private final URI endpoint;
  private final String authorization;
  private final Duration timeout;

  public CollectorClient(URI base, String token, Duration timeout) {
    String b = base.toString();
    this.endpoint = URI.create((b.endsWith("/") ? b : b + "/") + "api/v1/reports");
    this.authorization = "Bearer " + token;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
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

  public Answer send(byte[] json) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Authorization", authorization)
            .POST(HttpRequest.BodyPublishers.ofByteArray(json))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    String body = response.body() == null ? "" : response.body();
    return new Answer(response.statusCode(), body.length() > 500 ? body.substring(0, 500) : body);
  }

  public URI endpoint() {
    return endpoint;
  }
}
