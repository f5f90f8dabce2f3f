package id.penjaga.agent.cli;

import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.daemon.AgentDaemon;
import id.penjaga.agent.logging.LoggingSetup;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code penjaga-agent run}: the daemon, until SIGTERM. */
@Command(name = "run", description = "Run the agent daemon (scheduler, reporter, /metrics).")
final class RunCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;

  @Override
  public Integer call() throws Exception {
    AgentConfig config = main.loadConfig();
    LoggingSetup.forDaemon(config.logging().format(), config.logging().level());
    AgentDaemon daemon = new AgentDaemon(config, AgentMain.version(), Clock.systemUTC());
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
    return AgentMain.OK;
  }
}
