package id.penjaga.agent.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import id.penjaga.agent.cli.CliRun;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent talks to an HTTPS collector whose certificate chains to its configured CA file, refuses
 * one vouched for by another CA, and refuses plain HTTP to another host unless told.
 */
class CollectorTlsTest {
  @TempDir Path dir;

  void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }

  @Test
  void theCollectorsCertificateMustChainToTheConfiguredCa() throws Exception {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=penjaga-test-ca");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.pem", "-days", "2", "-extfile", "ext.cnf");
    openssl("pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-out", "server.p12", "-passout", "pass:uji");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2",
        "-subj", "/CN=someone-else");

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
      ks.load(in, "uji".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "uji".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext("/api/v1/reports", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] b = "{\"status\":\"stored\"}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
    try {
      URI url = URI.create("https://127.0.0.1:" + server.getAddress().getPort());
      CollectorClient good = new CollectorClient(url, "token", Duration.ofSeconds(5), dir.resolve("ca.pem"));
      assertThat(good.send("{}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
      CollectorClient wrong = new CollectorClient(url, "token", Duration.ofSeconds(5), dir.resolve("other.pem"));
      assertThatThrownBy(() -> wrong.send("{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(SSLHandshakeException.class);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void plainHttpToAnotherHostIsRefusedUnlessAllowed() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "t\n");
    Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("agent.yaml");
    Files.writeString(config, "agent:\n  id: a\ncollector:\n  url: http://10.20.30.40:8470\n  token-file: " + token + "\n");
    CliRun refused = CliRun.with(config, "config", "check");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains(":4:").contains("collector.url").contains("in the clear").contains("allow-plain-http");
    Files.writeString(config, Files.readString(config) + "  allow-plain-http: true\n");
    assertThat(CliRun.with(config, "config", "check").exit()).isZero();
  }
}
