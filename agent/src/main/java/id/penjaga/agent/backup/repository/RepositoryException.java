package id.penjaga.agent.backup.repository;

import java.io.IOException;

/** A repository that cannot be used as asked: missing, locked, wrong password, damaged. */
public final class RepositoryException extends IOException {
  private static final long serialVersionUID = 1L;

  public RepositoryException(String message) {
    super(message);
  }

  public RepositoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
