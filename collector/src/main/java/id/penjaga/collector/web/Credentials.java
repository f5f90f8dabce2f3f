package id.penjaga.collector.web;

import id.penjaga.collector.config.CollectorConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * The web users' passwords, checked one way for the login form and the API: against the Argon2id
 * hash (an unknown name is checked against a decoy hash, so it takes as long as a wrong password),
 * with one throttle per account and per address for both, so guesses share a single budget.
 */
public final class Credentials {
  private final Map<String, CollectorConfig.WebUser> users;
  private final LoginThrottle throttle;
  private final String decoy = PasswordHash.hash("decoy".toCharArray());

  public Credentials(Map<String, CollectorConfig.WebUser> users, Clock clock) {
    this.users = users;
    this.throttle = new LoginThrottle(5, Duration.ofMinutes(15), clock);
  }

  /** Seconds to wait before another attempt for this name or from this address (0: go ahead). */
  long waitSeconds(String name, String address) {
    return throttle.waitSeconds(name, address);
  }

  /**
   * Whether {@code password} is {@code name}'s; the attempt counts with the throttle, and the
   * password is wiped. Slow on purpose: call on a worker thread.
   */
  boolean check(String name, char[] password, String address) {
    CollectorConfig.WebUser u = users.get(name);
    boolean ok = PasswordHash.verify(password, u != null ? u.passwordHash() : decoy) && u != null;
    Arrays.fill(password, '\0');
    if (ok) {
      throttle.succeeded(name);
    } else {
      throttle.failed(name, address);
    }
    return ok;
  }

  CollectorConfig.WebUser user(String name) {
    return users.get(name);
  }
}
