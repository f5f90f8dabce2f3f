package id.penjaga.collector.cli;

import id.penjaga.collector.web.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code penjaga-collector hash-password}: reads a password (asked for on a terminal, else the
 * first line of standard input, never an argument) and prints its Argon2id hash for
 * {@code web.users.NAME.password-hash}.
 */
@Command(name = "hash-password", description = "Hash a web user's password (read from the terminal or standard input).")
final class HashPasswordCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    char[] pw;
    Console console = System.console();
    if (console != null) {
      pw = console.readPassword("Password: ");
      char[] again = console.readPassword("Again: ");
      if (pw == null || again == null || !Arrays.equals(pw, again)) {
        System.err.println("penjaga-collector: the passwords differ");
        return CollectorMain.FAILED;
      }
      Arrays.fill(again, '\0');
    } else {
      String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      pw = line == null ? new char[0] : line.toCharArray();
    }
    if (pw.length < 10) {
      System.err.println("penjaga-collector: a password needs at least 10 characters");
      return CollectorMain.USAGE;
    }
    System.out.println(PasswordHash.hash(pw));
    Arrays.fill(pw, '\0');
    return CollectorMain.OK;
  }
}
