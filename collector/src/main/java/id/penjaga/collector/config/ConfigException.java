package id.penjaga.collector.config;

/**
 * A configuration file that cannot be used. The message names the file, the line and the key, so
 * an administrator can fix it without reading code: {@code /etc/penjaga/collector.yaml:7:3:
 * collector.token-file: ...}.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
