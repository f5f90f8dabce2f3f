package id.penjaga.agent.backup;

import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.backend.Backends;
import id.penjaga.agent.backup.crypto.KeyCache;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** The repository of agent.yaml: its backend from {@code repository.path}, its password from its file. */
public final class ConfiguredRepository implements RepositoryOpener {
  private final AgentConfig.RepositoryTarget target;
  private final Clock clock;
  private final Path keyCache;

  /** The target without a key cache: every opening derives the key from the password. */
  public ConfiguredRepository(AgentConfig.RepositoryTarget target, Clock clock) {
    this(target, clock, null);
  }

  /**
   * The target whose derived keys are kept in directory {@code keyCache} ({@link KeyCache}); null
   * for none.
   */
  public ConfiguredRepository(AgentConfig.RepositoryTarget target, Clock clock, Path keyCache) {
    this.target = target;
    this.clock = clock;
    this.keyCache = keyCache;
  }

  /** The agent's key cache ({@link KeyCache#dirIn}). */
  public static Path keyCacheOf(AgentConfig config) {
    return KeyCache.dirIn(config.stateDir());
  }

  /** The named target of the configuration, or a configuration error naming the known ones. */
  public static ConfiguredRepository named(AgentConfig config, String name, Clock clock) throws ConfigException {
    Map<String, AgentConfig.RepositoryTarget> targets = config.targets();
    if (targets.isEmpty()) {
      throw new ConfigException(
          "no repository configured: add a 'repository' section (path, password-file)");
    }
    AgentConfig.RepositoryTarget t = targets.get(name);
    if (t == null) {
      throw new ConfigException(
          "no target " + name + " in the configuration (known: " + String.join(", ", targets.keySet()) + ")");
    }
    return new ConfiguredRepository(t, clock, keyCacheOf(config));
  }

  public Backend backend() throws IOException {
    return Backends.open(
        target.path(),
        new Backends.SftpOptions(target.identityFile(), target.knownHosts(), target.hostKey(), target.timeout()));
  }

  public char[] password() throws IOException {
    return target.passwordFile().read().toCharArray();
  }

  /**
   * The key cache for this target's password file as it stands now ({@link KeyCache#NONE} without
   * one): to be taken before the password is read.
   */
  public KeyCache keyCache() {
    return keyCache == null ? KeyCache.NONE : KeyCache.of(keyCache, target.passwordFile().path());
  }

  @Override
  public Repository open() throws IOException {
    Backend backend = backend();
    try {
      KeyCache keys = keyCache(); // bound to the password file as it stands before it is read
      return Repository.open(backend, password(), clock, keys);
    } catch (IOException | RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  @Override
  public String location() {
    return target.path();
  }
}
