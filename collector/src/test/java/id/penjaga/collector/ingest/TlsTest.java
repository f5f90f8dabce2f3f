package id.penjaga.collector.ingest;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector serves HTTPS from PEM files; a client trusting another CA is refused. */
class TlsTest {
  @TempDir Path dir;

  static void openssl(Path dir, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
  }

  /** A test CA, a server certificate it signs for 127.0.0.1, and an unrelated CA. */
  static void certificates(Path d) throws Exception {
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=penjaga-test-ca");
    openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    Files.writeString(d.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2",
        "-subj", "/CN=someone-else");
    Files.setPosixFilePermissions(d.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
  }

  static HttpClient trusting(Path pem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).build();
  }

  @Test
  void theCollectorServesHttpsThatOnlyItsCaVouchesFor() throws Exception {
    certificates(dir);
    Path token = dir.resolve("token");
    Files.writeString(token, "t\n");
    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, "collector:\n  listen: 127.0.0.1:0\n  store: " + TestStores.yaml(dir.resolve("c.db"))
        + "\n  tls-cert-file: " + dir.resolve("server.pem") + "\n  tls-key-file: " + dir.resolve("server.key")
        + "\nagents:\n  lpse-demo:\n    token-file: " + token + "\n");
    try (CollectorDaemon daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      URI metrics = URI.create("https://127.0.0.1:" + daemon.port() + "/metrics");
      HttpResponse<String> r = trusting(dir.resolve("ca.pem")).send(
          HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("penjaga_collector_info");
      assertThatThrownBy(() -> trusting(dir.resolve("other.pem")).send(
              HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class);
    }
    // Half a TLS setup is refused with the key named.
    Files.writeString(config, Files.readString(config).replaceAll("  tls-key-file: .*\n", ""));
    assertThatThrownBy(() -> CollectorConfig.load(config)).hasMessageContaining("collector.tls-key-file")
        .hasMessageContaining("needs both tls-cert-file");
  }
}
