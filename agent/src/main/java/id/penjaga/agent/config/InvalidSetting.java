package id.penjaga.agent.config;

/**
 * Thrown by a configuration record when one of its keys has a value it cannot accept, so the error
 * can name that key and not only its section.
 */
final class InvalidSetting extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String key;

  InvalidSetting(String key, String message) {
    super(message);
    this.key = key;
  }

  String key() {
    return key;
  }
}
