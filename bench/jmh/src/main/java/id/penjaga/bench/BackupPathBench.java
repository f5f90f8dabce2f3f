package id.penjaga.bench;

import com.github.luben.zstd.Zstd;
import id.penjaga.agent.backup.chunker.Chunker;
import id.penjaga.agent.backup.chunker.ChunkerParams;
import id.penjaga.agent.backup.crypto.Sealer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The backup path per MiB of input, on random (scans, archives) and text (documents) data: cutting
 * chunks, hashing (whole-file SHA-256 and the keyed chunk id), zstd, and AES-256-GCM sealing and
 * opening. Each result is the time for 1 MiB, so 1000 / result = MiB/s on one core.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class BackupPathBench {
  @Param({"random", "text"})
  public String data;

  private byte[] mib;
  private byte[] eightMib;
  private byte[] out;
  private Chunker chunker;
  private Sealer sealer;
  private byte[] sealed;
  private MessageDigest sha;
  private Mac hmac;
  private final byte[] aad = new byte[32];

  @Setup
  public void setUp() throws Exception {
    Random r = new Random(1);
    eightMib = new byte[8 << 20];
    if (data.equals("random")) {
      r.nextBytes(eightMib);
    } else {
      byte[] text =
          "Rencana anggaran biaya pengadaan barang; harga satuan Rp 1.250.000,00; volume 12 unit.\n"
              .getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < eightMib.length; i++) {
        eightMib[i] = (byte) (text[i % text.length] + (i % 977 == 0 ? r.nextInt(3) : 0));
      }
    }
    mib = java.util.Arrays.copyOf(eightMib, 1 << 20);
    out = new byte[8 << 20];
    chunker = new Chunker(ChunkerParams.DEFAULT, 42);
    byte[] key = new byte[32];
    r.nextBytes(key);
    sealer = new Sealer(key);
    sealed = sealer.seal(mib, aad);
    sha = MessageDigest.getInstance("SHA-256");
    hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(key, "HmacSHA256"));
  }

  /** Cutting 8 MiB into chunks, reported per MiB. */
  @Benchmark
  @OperationsPerInvocation(8)
  public int chunk() throws Exception {
    Chunker.Reader reader = chunker.reader(new ByteArrayInputStream(eightMib));
    int n;
    int count = 0;
    while ((n = reader.next(out)) >= 0) {
      count += n;
    }
    return count;
  }

  /** The whole-file hash. */
  @Benchmark
  public byte[] sha256() {
    return sha.digest(mib);
  }

  /** A chunk's id: HMAC-SHA-256 of its SHA-256 (the repository's scheme). */
  @Benchmark
  public byte[] chunkId() {
    return hmac.doFinal(sha.digest(mib));
  }

  @Benchmark
  public long zstdLevel1() {
    return Zstd.compressByteArray(out, 0, out.length, mib, 0, mib.length, 1);
  }

  @Benchmark
  public long zstdLevel3() {
    return Zstd.compressByteArray(out, 0, out.length, mib, 0, mib.length, 3);
  }

  @Benchmark
  public byte[] seal() {
    return sealer.seal(mib, aad);
  }

  @Benchmark
  public byte[] open() throws Exception {
    return sealer.open(sealed, aad);
  }
}
