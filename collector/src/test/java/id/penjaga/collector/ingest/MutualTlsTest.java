package id.penjaga.collector.ingest;

import id.penjaga.collector.TestStores;
import static id.penjaga.collector.ingest.TlsTest.openssl;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.store.ReportStore;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents may prove themselves by client certificates (mutual TLS) instead of tokens: a certificate
 * of agent A never reports as agent B, nor with B's token; a certificate from another CA gets
 * nowhere. A renewed server certificate is served without a restart.
 */
class MutualTlsTest {
  @TempDir Path dir;
  int seq;

  void clientCert(String name, String ca) throws Exception {
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
    openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
        "-out", name + "-" + ca + ".pem", "-days", "2");
    openssl(dir, "pkcs12", "-export", "-in", name + "-" + ca + ".pem", "-inkey", name + ".key", "-out",
        name + "-" + ca + ".p12", "-passout", "pass:uji");
  }

  HttpClient client(String p12) throws Exception {
    KeyManagerFactory kmf = null;
    if (p12 != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve(p12))) {
        ks.load(in, "uji".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "uji".toCharArray());
    }
    return HttpClient.newBuilder().sslContext(context(kmf)).build();
  }

  SSLContext context(KeyManagerFactory kmf) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  int post(HttpClient c, int port, String agent, String token) throws Exception {
    JsonObject r = new JsonObject().put("schema_version", 1).put("agent", agent).put("seq", ++seq).put("type", "heartbeat")
        .put("time", Instant.now().toString()).put("body", new JsonObject().put("hostname", "h")
            .put("started_at", Instant.now().toString()).put("uptime_seconds", 1));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/api/v1/reports"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(r.encode()));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return c.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  BigInteger servedSerial(int port) throws Exception {
    try (SSLSocket s = (SSLSocket) context(null).getSocketFactory().createSocket("127.0.0.1", port)) {
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  @Test
  void certificatesIdentifyAgentsAndARenewedServerCertificateIsServedWithoutRestart() throws Exception {
    TlsTest.certificates(dir);
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "agents.key", "-out", "agents.pem", "-days", "2",
        "-subj", "/CN=penjaga-agents");
    clientCert("lpse-a", "agents");
    clientCert("lpse-b", "agents");
    clientCert("lpse-a", "other"); // same name, another CA
    Path tokenB = dir.resolve("token-b");
    Files.writeString(tokenB, "token-of-b\n");
    Files.setPosixFilePermissions(tokenB, PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, "collector:\n  listen: 127.0.0.1:0\n  store: " + TestStores.yaml(dir.resolve("c.db"))
        + "\n  tls-cert-file: " + dir.resolve("server.pem") + "\n  tls-key-file: " + dir.resolve("server.key")
        + "\n  client-ca-file: " + dir.resolve("agents.pem") + "\n  tls-reload-every: 1s"
        + "\nagents:\n  lpse-a: {}\n  lpse-b:\n    token-file: " + tokenB + "\n");
    try (CollectorDaemon daemon = new CollectorDaemon(CollectorConfig.load(config), "test", Clock.systemUTC())) {
      daemon.start();
      int port = daemon.port();
      HttpClient a = client("lpse-a-agents.p12");
      assertThat(post(a, port, "lpse-a", null)).isEqualTo(200);
      assertThat(post(a, port, "lpse-b", null)).as("certificate of A reporting as B").isEqualTo(403);
      assertThat(post(a, port, "lpse-b", "token-of-b")).as("certificate of A with the token of B").isEqualTo(403);
      assertThat(post(client("lpse-b-agents.p12"), port, "lpse-b", null)).isEqualTo(200);
      assertThat(post(client(null), port, "lpse-b", "token-of-b")).as("a token still works").isEqualTo(200);
      assertThat(post(client(null), port, "lpse-a", null)).as("neither token nor certificate").isEqualTo(401);
      int other;
      try {
        other = post(client("lpse-a-other.p12"), port, "lpse-a", null);
      } catch (IOException e) {
        other = -1; // refused in the handshake
      }
      assertThat(other).as("a certificate from another CA").isIn(-1, 401);

      // renew the server certificate in place: new connections get it within the reload interval
      BigInteger before = servedSerial(port);
      openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server2.key", "-out", "server2.csr", "-subj", "/CN=127.0.0.1");
      openssl(dir, "x509", "-req", "-in", "server2.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
          "-out", "server2.pem", "-days", "2", "-extfile", "ext.cnf");
      Files.setPosixFilePermissions(dir.resolve("server2.key"), PosixFilePermissions.fromString("rw-------"));
      Files.move(dir.resolve("server2.key"), dir.resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
      Files.move(dir.resolve("server2.pem"), dir.resolve("server.pem"), StandardCopyOption.REPLACE_EXISTING);
      BigInteger after = before;
      for (int i = 0; i < 100 && after.equals(before); i++) {
        Thread.sleep(100);
        after = servedSerial(port);
      }
      assertThat(after).isNotEqualTo(before);
      assertThat(post(client("lpse-b-agents.p12"), port, "lpse-b", null)).isEqualTo(200);
    }
    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      assertThat(store.countReports("lpse-a", "heartbeat")).isEqualTo(1);
      assertThat(store.countReports("lpse-b", "heartbeat")).isEqualTo(3);
    }
  }
}
