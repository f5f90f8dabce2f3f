package id.penjaga.agent.backup;

import id.penjaga.agent.backup.repository.Repository;
import java.io.IOException;

/** Opens the configured repository: the backend, and the password from its file. */
public interface RepositoryOpener {
  Repository open() throws IOException;

  /** The target, for messages and records, without secrets. */
  String location();
}
