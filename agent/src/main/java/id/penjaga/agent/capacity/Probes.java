package id.penjaga.agent.capacity;

import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * Reachability: each HTTP probe (the SPSE site: status, time to answer, the TLS certificate's
 * expiry) and each TCP probe (the internet link, e.g. the LKPP endpoint: can a connection be
 * opened, and how fast).
 */
public final class Probes implements Sampler {
  private final List<AgentConfig.HttpProbe> http;
  private final List<String> tcp;
  private final HttpClient client;

  public Probes(List<AgentConfig.HttpProbe> http, List<String> tcp) {
    this.http = http;
    this.tcp = tcp;
    this.client =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  @Override
  public String name() {
    return "probes";
  }

  @Override
  public void sample(List<Sample> out) {
    for (AgentConfig.HttpProbe p : http) {
      probe(p, out);
    }
    for (String target : tcp) {
      int colon = target.lastIndexOf(':');
      long t0 = System.nanoTime();
      boolean up;
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))), 5000);
        up = true;
      } catch (IOException e) {
        up = false;
      }
      out.add(Sample.of("penjaga_tcp_probe_up", up ? 1 : 0, "target", target));
      if (up) {
        out.add(Sample.of("penjaga_tcp_probe_duration_seconds", (System.nanoTime() - t0) / 1e9, "target", target));
      }
    }
  }

  /** One HTTP probe: up when it answers below 400 within its timeout. */
  void probe(AgentConfig.HttpProbe p, List<Sample> out) {
    long t0 = System.nanoTime();
    int status = 0;
    Long expiry = null;
    try {
      HttpResponse<Void> r =
          client.send(
              HttpRequest.newBuilder(p.url()).timeout(p.timeout()).header("User-Agent", "penjaga-agent").GET().build(),
              HttpResponse.BodyHandlers.discarding());
      status = r.statusCode();
      if (r.sslSession().isPresent()) {
        for (Certificate c : r.sslSession().get().getPeerCertificates()) {
          if (c instanceof X509Certificate x) {
            long notAfter = x.getNotAfter().getTime() / 1000;
            expiry = expiry == null ? notAfter : Math.min(expiry, notAfter);
          }
        }
      }
    } catch (IOException e) {
      status = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    out.add(Sample.of("penjaga_http_probe_up", status > 0 && status < 400 ? 1 : 0, "probe", p.name()));
    out.add(Sample.of("penjaga_http_probe_status_code", status, "probe", p.name()));
    out.add(Sample.of("penjaga_http_probe_duration_seconds", secs, "probe", p.name()));
    if (expiry != null) {
      out.add(Sample.of("penjaga_http_probe_tls_expiry_timestamp_seconds", expiry, "probe", p.name()));
    }
  }
}
