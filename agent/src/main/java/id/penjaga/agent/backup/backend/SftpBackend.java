package id.penjaga.agent.backup.backend;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.sftp.FileAttributes;
import net.schmizz.sshj.sftp.OpenMode;
import net.schmizz.sshj.sftp.PacketType;
import net.schmizz.sshj.sftp.RemoteFile;
import net.schmizz.sshj.sftp.RemoteResourceInfo;
import net.schmizz.sshj.sftp.Request;
import net.schmizz.sshj.sftp.Response;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.sftp.SFTPEngine;
import net.schmizz.sshj.sftp.SFTPException;
import net.schmizz.sshj.transport.verification.FingerprintVerifier;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository on another server over SFTP ({@code sftp://user@host:port/path}), logged in with a
 * private key. The server's host key must be pinned (a known_hosts file or a {@code SHA256:}
 * fingerprint): an unknown or changed key refuses the connection before anything is sent.
 *
 * <p>Files are written under a temporary name and renamed into place; SFTP version 3 refuses to
 * rename onto an existing name, which keeps files from being overwritten. Before the rename, the
 * written file is flushed to the server's disk with the {@code fsync@openssh.com} extension (OpenSSH
 * since 6.5, Apache MINA SSHD), so a file is under its final name only once it is durable: a
 * snapshot never points at data a power cut on the server can still take away. A server that does
 * not offer the extension is named in one warning; there durability rests on its file system.
 */
public final class SftpBackend implements Backend {
  /**
   * Bytes per SFTP write request. OpenSSH's server drops the connection on a packet over 256 KiB
   * (headers included), so requests stay well below; several are in flight at once.
   */
  private static final int IO_SLICE = 32 << 10;
  private static final int IN_FLIGHT = 16;

  private static final Logger log = LoggerFactory.getLogger(SftpBackend.class);
  private static final String FSYNC = "fsync@openssh.com";

  private final SSHClient ssh;
  private final SFTPClient sftp;
  private final String root;
  private final String location;
  private final boolean fsync;
  private long syncs;

  private SftpBackend(SSHClient ssh, SFTPClient sftp, String root, String location) {
    this.ssh = ssh;
    this.sftp = sftp;
    this.root = root;
    this.location = location;
    this.fsync = sftp.getSFTPEngine().supportsServerExtension("fsync", "openssh.com");
    if (!fsync) {
      log.warn("sftp server {} does not offer {}: files are renamed into place without being flushed to"
          + " its disk first, so a power cut on that server may lose the newest backup", location, FSYNC);
    }
  }

  /** Whether files are flushed to the server's disk before they are renamed into place. */
  public boolean flushesToDisk() {
    return fsync;
  }

  /** How many files this connection has flushed to the server's disk. */
  public synchronized long flushed() {
    return syncs;
  }

  /** Connects, verifies the host key, logs in. */
  public static SftpBackend connect(
      URI uri, Path identityFile, Path knownHosts, String fingerprint, Duration timeout)
      throws IOException {
    String host = uri.getHost();
    int port = uri.getPort() > 0 ? uri.getPort() : 22;
    String user = uri.getUserInfo();
    String path = uri.getPath() == null || uri.getPath().isEmpty() ? "." : uri.getPath();
    String where = host + ":" + port;
    String location = "sftp://" + (user != null ? user + "@" : "") + where + path;
    if (host == null || user == null) {
      throw new IOException("sftp location " + uri + " needs a user and a host: sftp://user@host:22/path");
    }
    if (knownHosts == null && fingerprint == null) {
      throw new IOException(
          "refusing to connect to " + where + " without a pinned host key (known-hosts or host-key)");
    }
    if (identityFile == null) {
      throw new IOException("sftp repository " + location + " needs identity-file (a private key)");
    }
    HostKeyVerifier verifier;
    try {
      verifier =
          knownHosts != null
              ? new OpenSSHKnownHosts(knownHosts.toFile())
              : FingerprintVerifier.getInstance(fingerprint);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "host key " + fingerprint + " is not a fingerprint as ssh-keygen -lf prints it (SHA256:...)");
    } catch (IOException e) {
      throw new IOException("cannot read known-hosts file " + knownHosts + ": " + reason(e), e);
    }
    PinnedKey pinned = new PinnedKey(verifier);
    DefaultConfig config = new DefaultConfig();
    NativeGcmCiphers.preferIn(config);
    SSHClient ssh = new SSHClient(config);
    ssh.addHostKeyVerifier(pinned);
    ssh.setConnectTimeout((int) timeout.toMillis());
    ssh.setTimeout((int) timeout.toMillis());
    try {
      ssh.connect(host, port);
    } catch (IOException e) {
      close(ssh);
      if (pinned.refused != null) {
        throw new IOException(
            "host key of "
                + where
                + " does not match the pinned key (it presented "
                + pinned.refused
                + "); nothing was sent or written. If the server's key really changed, update"
                + " known-hosts or host-key.",
            e);
      }
      throw new IOException("cannot reach sftp server " + where + ": " + reason(e), e);
    }
    try {
      ssh.authPublickey(user, ssh.loadKeys(identityFile.toString()));
      SFTPClient sftp = ssh.newSFTPClient();
      return new SftpBackend(ssh, sftp, path, location);
    } catch (IOException e) {
      close(ssh);
      throw new IOException("cannot log in to " + where + " as " + user + " with " + identityFile + ": " + reason(e), e);
    }
  }

  /** Delegates to the configured verifier and remembers a refused key's fingerprint for the message. */
  private static final class PinnedKey implements HostKeyVerifier {
    private final HostKeyVerifier delegate;
    volatile String refused;

    PinnedKey(HostKeyVerifier delegate) {
      this.delegate = delegate;
    }

    @Override
    public boolean verify(String hostname, int port, PublicKey key) {
      boolean ok = delegate.verify(hostname, port, key);
      if (!ok) {
        refused = sha256Fingerprint(key);
      }
      return ok;
    }

    @Override
    public List<String> findExistingAlgorithms(String hostname, int port) {
      return delegate.findExistingAlgorithms(hostname, port);
    }
  }

  /** The key's fingerprint as {@code ssh-keygen -l} prints it: {@code SHA256:base64}. */
  static String sha256Fingerprint(PublicKey key) {
    try {
      byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String reason(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static void close(SSHClient ssh) {
    try {
      ssh.close();
    } catch (IOException ignored) {
      // already failing
    }
  }

  @Override
  public String location() {
    return location;
  }

  private String file(FileKind kind, String name) {
    if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException("invalid repository file name " + name);
    }
    return root + "/" + kind.path(name);
  }

  private static String parent(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }

  @Override
  public void save(FileKind kind, String name, byte[] content) throws IOException {
    save(kind, name, content, content.length);
  }

  @Override
  public synchronized void save(FileKind kind, String name, byte[] content, int length) throws IOException {
    String target = file(kind, name);
    String dir = parent(target);
    String tmp = dir + "/." + name + ".tmp";
    try {
      if (sftp.statExistence(dir) == null) {
        sftp.mkdirs(dir);
      }
      if (kind != FileKind.LOCK && sftp.statExistence(target) != null) {
        throw new FileAlreadyExistsException(location + "/" + kind.path(name));
      }
      try (WrittenFile f = WrittenFile.create(sftp.getSFTPEngine(), tmp)) {
        try (RemoteFile.RemoteFileOutputStream out = f.new RemoteFileOutputStream(0, IN_FLIGHT)) {
          for (int off = 0; off < length; off += IO_SLICE) {
            out.write(content, off, Math.min(IO_SLICE, length - off));
          }
          out.flush();
        }
        if (fsync) {
          f.fsync();
          syncs++;
        }
      }
      if (kind == FileKind.LOCK) {
        removeQuietly(target);
      }
      sftp.rename(tmp, target);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException e) {
      removeQuietly(tmp);
      throw new IOException("cannot write " + location + "/" + kind.path(name) + ": " + reason(e), e);
    }
  }

  @Override
  public synchronized byte[] load(FileKind kind, String name) throws IOException {
    FileAttributes a = statOrThrow(kind, name);
    return load(kind, name, 0, (int) a.getSize());
  }

  @Override
  public byte[] load(FileKind kind, String name, long offset, int length) throws IOException {
    byte[] out = new byte[length];
    loadInto(kind, name, offset, length, out);
    return out;
  }

  @Override
  public synchronized void loadInto(FileKind kind, String name, long offset, int length, byte[] out)
      throws IOException {
    String path = file(kind, name);
    try (RemoteFile f = sftp.open(path, EnumSet.of(OpenMode.READ));
        RemoteFile.ReadAheadRemoteFileInputStream in =
            f.new ReadAheadRemoteFileInputStream(IN_FLIGHT, offset, length)) {
      int done = in.readNBytes(out, 0, length);
      if (done < length) {
        throw new EOFException(location + "/" + kind.path(name) + " is shorter than expected");
      }
    } catch (SFTPException e) {
      if (e.getStatusCode() == Response.StatusCode.NO_SUCH_FILE) {
        throw new NoSuchFileException(location + "/" + kind.path(name));
      }
      throw e;
    }
  }

  private FileAttributes statOrThrow(FileKind kind, String name) throws IOException {
    FileAttributes a = sftp.statExistence(file(kind, name));
    if (a == null) {
      throw new NoSuchFileException(location + "/" + kind.path(name));
    }
    return a;
  }

  @Override
  public synchronized List<String> list(FileKind kind) throws IOException {
    List<String> out = new ArrayList<>();
    if (kind == FileKind.CONFIG) {
      if (sftp.statExistence(root + "/config") != null) {
        out.add("config");
      }
      return out;
    }
    String dir = root + "/" + kind.directory();
    if (sftp.statExistence(dir) == null) {
      return out;
    }
    if (kind == FileKind.PACK) {
      for (RemoteResourceInfo sub : sftp.ls(dir)) {
        if (sub.isDirectory() && !sub.getName().startsWith(".")) {
          addNames(dir + "/" + sub.getName(), out);
        }
      }
    } else {
      addNames(dir, out);
    }
    return out;
  }

  private void addNames(String dir, List<String> out) throws IOException {
    for (RemoteResourceInfo f : sftp.ls(dir)) {
      if (f.isRegularFile() && !f.getName().startsWith(".")) {
        out.add(f.getName());
      }
    }
  }

  @Override
  public synchronized Optional<Long> stat(FileKind kind, String name) throws IOException {
    FileAttributes a = sftp.statExistence(file(kind, name));
    return a == null ? Optional.empty() : Optional.of(a.getSize());
  }

  @Override
  public synchronized void remove(FileKind kind, String name) throws IOException {
    String path = file(kind, name);
    try {
      sftp.rm(path);
    } catch (SFTPException e) {
      if (e.getStatusCode() != Response.StatusCode.NO_SUCH_FILE) {
        throw e;
      }
    }
  }

  private void removeQuietly(String path) {
    try {
      sftp.rm(path);
    } catch (IOException ignored) {
      // nothing to clean up, or the connection is gone
    }
  }

  @Override
  public synchronized void create() throws IOException {
    for (FileKind k : FileKind.values()) {
      if (!k.directory().isEmpty()) {
        sftp.mkdirs(root + "/" + k.directory());
      }
    }
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      sftp.close();
    } finally {
      ssh.close();
    }
  }

  /**
   * A file opened for writing whose handle this class can also flush: SSHJ opens files with a
   * handle it keeps to itself, so the open request is made here (as SSHJ makes it).
   */
  private static final class WrittenFile extends RemoteFile {
    private WrittenFile(SFTPEngine engine, String path, byte[] handle) {
      super(engine, path, handle);
    }

    static WrittenFile create(SFTPEngine engine, String path) throws IOException {
      Request open = engine.newRequest(PacketType.OPEN)
          .putString(path, engine.getSubsystem().getRemoteCharset())
          .putUInt32(OpenMode.toMask(EnumSet.of(OpenMode.WRITE, OpenMode.CREAT, OpenMode.TRUNC)))
          .putFileAttributes(FileAttributes.EMPTY);
      Response r = engine.request(open).retrieve(engine.getTimeoutMs(), TimeUnit.MILLISECONDS);
      r.ensurePacketTypeIs(PacketType.HANDLE);
      return new WrittenFile(engine, path, r.readBytes());
    }

    /** Asks the server to flush the file to its disk ({@code fsync@openssh.com}) and waits. */
    void fsync() throws IOException {
      Request sync = requester.newExtendedRequest(FSYNC).putString(handle);
      requester.request(sync).retrieve(requester.getTimeoutMs(), TimeUnit.MILLISECONDS).ensureStatusPacketIsOK();
    }
  }
}
