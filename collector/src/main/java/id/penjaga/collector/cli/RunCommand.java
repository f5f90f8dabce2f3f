package id.penjaga.collector.cli;

import id.penjaga.collector.config.CollectorConfig;
import id.penjaga.collector.daemon.CollectorDaemon;
import id.penjaga.collector.logging.LoggingSetup;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-collector run}: the daemon, until SIGTERM. */
@Command(name = "run", description = "Run the collector daemon (ingest API, store, /metrics).")
final class RunCommand implements Callable<Integer> {
  @ParentCommand CollectorMain main;

  @Override
  public Integer call() throws Exception {
    CollectorConfig config = main.loadConfig();
    LoggingSetup.forDaemon(config.logging().format(), config.logging().level());
    CollectorDaemon daemon = new CollectorDaemon(config, CollectorMain.version(), Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  daemon.close();
                  stopped.countDown();
                },
                "shutdown"));
    try {
      daemon.start();
    } catch (Exception e) {
      daemon.close();
      throw e;
    }
    stopped.await();
    return CollectorMain.OK;
  }
}
