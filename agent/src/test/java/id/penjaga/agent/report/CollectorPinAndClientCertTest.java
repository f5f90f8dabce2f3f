package id.penjaga.agent.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent can pin the collector's certificate by its SHA-256 (a self-signed collector needs no
 * CA) and refuses any other; and it can prove itself with a client certificate (mutual TLS).
 */
class CollectorPinAndClientCertTest {
  @TempDir Path dir;
  static final byte[] REPORT = "{}".getBytes(StandardCharsets.UTF_8);

  String openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }

  @BeforeEach
  void certificates() throws Exception {
    // a self-signed collector certificate, another one, and a CA for agents' client certificates
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.pem", "-days", "2",
        "-subj", "/CN=collector", "-addext", "subjectAltName=IP:127.0.0.1");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2",
        "-subj", "/CN=collector", "-addext", "subjectAltName=IP:127.0.0.1");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "agents-ca.key", "-out", "agents-ca.pem", "-days",
        "2", "-subj", "/CN=penjaga-agents");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "agent.key", "-out",
        "agent.csr", "-subj", "/CN=lpse-demo");
    openssl("x509", "-req", "-in", "agent.csr", "-CA", "agents-ca.pem", "-CAkey", "agents-ca.key", "-CAcreateserial",
        "-out", "agent.pem", "-days", "2");
    openssl("pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-out", "server.p12", "-passout", "pass:uji");
  }

  /** The SHA-256 fingerprint as openssl prints it (AB:CD:...), worked out by openssl, not by the code under test. */
  String fingerprint(String pem) throws Exception {
    String out = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", pem).trim();
    return out.substring(out.indexOf('=') + 1);
  }

  HttpsServer server(boolean needClientAuth, AtomicReference<String> clientName) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
      ks.load(in, "uji".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "uji".toCharArray());
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("agents-ca.pem"))) {
      trust.setCertificateEntry("agents", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx) {
      @Override
      public void configure(HttpsParameters params) {
        javax.net.ssl.SSLParameters p = ctx.getDefaultSSLParameters();
        p.setNeedClientAuth(needClientAuth);
        params.setSSLParameters(p);
      }
    });
    server.createContext("/api/v1/reports", ex -> {
      ex.getRequestBody().readAllBytes();
      if (clientName != null) {
        try {
          clientName.set(((X509Certificate) ((HttpsExchange) ex).getSSLSession().getPeerCertificates()[0])
              .getSubjectX500Principal().getName());
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
          clientName.set(null);
        }
        clientName.compareAndSet(null, "none");
      }
      byte[] b = ("{\"status\":\"stored\",\"auth\":\"" + ex.getRequestHeaders().getFirst("Authorization") + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
    return server;
  }

  @Test
  void aPinnedCertificateIsTrustedWithoutACaAndAnyOtherIsRefused() throws Exception {
    HttpsServer server = server(false, null);
    try {
      URI url = URI.create("https://127.0.0.1:" + server.getAddress().getPort());
      CollectorClient pinned = new CollectorClient(url, "token", Duration.ofSeconds(5),
          new CollectorTls(null, fingerprint("server.pem"), null, null));
      assertThat(pinned.send(REPORT).status()).isEqualTo(200);
      // lower-case hex without colons is the same pin
      CollectorClient plain = new CollectorClient(url, "token", Duration.ofSeconds(5),
          new CollectorTls(null, fingerprint("server.pem").replace(":", "").toLowerCase(), null, null));
      assertThat(plain.send(REPORT).status()).isEqualTo(200);
      CollectorClient mismatched = new CollectorClient(url, "token", Duration.ofSeconds(5),
          new CollectorTls(null, fingerprint("other.pem"), null, null));
      assertThatThrownBy(() -> mismatched.send(REPORT)).isInstanceOf(SSLHandshakeException.class)
          .hasStackTraceContaining("does not match the pinned fingerprint collector.pin-sha256");
      // pinned and a CA that did not sign it: both must hold
      CollectorClient both = new CollectorClient(url, "token", Duration.ofSeconds(5),
          new CollectorTls(dir.resolve("other.pem"), fingerprint("server.pem"), null, null));
      assertThatThrownBy(() -> both.send(REPORT)).isInstanceOf(SSLHandshakeException.class);
      // without pin or CA, a self-signed collector is not trusted at all
      CollectorClient none = new CollectorClient(url, "token", Duration.ofSeconds(5), CollectorTls.DEFAULT);
      assertThatThrownBy(() -> none.send(REPORT)).isInstanceOf(SSLHandshakeException.class);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void theAgentPresentsItsClientCertificateAndNeedsNoToken() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    HttpsServer server = server(true, seen);
    try {
      URI url = URI.create("https://127.0.0.1:" + server.getAddress().getPort());
      String key = Files.readString(dir.resolve("agent.key"));
      CollectorClient mtls = new CollectorClient(url, null, Duration.ofSeconds(5),
          new CollectorTls(null, fingerprint("server.pem"), dir.resolve("agent.pem"), key));
      CollectorClient.Answer a = mtls.send(REPORT);
      assertThat(a.status()).isEqualTo(200);
      assertThat(seen.get()).isEqualTo("CN=lpse-demo");
      assertThat(a.body()).contains("\"auth\":\"null\""); // no token sent
      CollectorClient without = new CollectorClient(url, "token", Duration.ofSeconds(5),
          new CollectorTls(null, fingerprint("server.pem"), null, null));
      assertThatThrownBy(() -> without.send(REPORT)).isInstanceOf(IOException.class);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aKeyInTheOldFormatIsRefusedWithTheWayToConvertIt() throws Exception {
    openssl("genrsa", "-traditional", "-out", "old.key", "2048");
    assertThatThrownBy(() -> CollectorTls.privateKey(Files.readString(dir.resolve("old.key"))))
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    assertThatThrownBy(() -> CollectorTls.parsePin("abc")).hasMessageContaining("64 hex digits");
  }

  @Test
  void theConfigurationNamesWhatIsMissingOrWrong() throws Exception {
    Path key = dir.resolve("agent.key");
    Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("agent.yaml");
    String head = "agent:\n  id: lpse-demo\ncollector:\n  url: https://127.0.0.1:8470\n";
    Files.writeString(config, head + "  client-cert-file: " + dir.resolve("agent.pem") + "\n  client-key-file: " + key
        + "\n  pin-sha256: " + fingerprint("server.pem") + "\n");
    id.penjaga.agent.cli.CliRun ok = id.penjaga.agent.cli.CliRun.with(config, "config", "check");
    assertThat(ok.exit()).as(ok.err()).isZero();
    Files.writeString(config, head + "  client-cert-file: " + dir.resolve("agent.pem") + "\n");
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "config", "check").err())
        .contains("collector.client-key-file").contains("mutual TLS needs both");
    Files.writeString(config, head);
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "config", "check").err())
        .contains("collector.token-file").contains("client-cert-file");
    Files.writeString(config, head + "  client-cert-file: " + dir.resolve("agent.pem") + "\n  client-key-file: " + key
        + "\n  pin-sha256: AB:CD\n");
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "config", "check").err())
        .contains("collector.pin-sha256").contains("64 hex digits");
    Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(config, head + "  client-cert-file: " + dir.resolve("agent.pem") + "\n  client-key-file: " + key + "\n");
    assertThat(id.penjaga.agent.cli.CliRun.with(config, "config", "check").err())
        .contains("collector.client-key-file").contains("readable by group or others");
  }
}
