package id.penjaga.agent.config;

/** An address to listen on, written {@code host:port} ({@code [::1]:9464} for IPv6). */
public record HostPort(String host, int port) {
  public HostPort {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0-65535");
    }
  }

  public static HostPort parse(String text) {
    String t = text.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException(
          "invalid address \"" + text + "\": use host:port such as 127.0.0.1:9464");
    }
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid port in \"" + text + "\"");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
