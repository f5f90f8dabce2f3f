package id.penjaga.agent.cli;

import id.penjaga.agent.backup.ConfiguredRepository;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import id.penjaga.agent.report.CollectorClient;
import id.penjaga.agent.report.ReportSender;
import id.penjaga.agent.report.Spool;
import java.io.IOException;
import java.time.Clock;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the administrator's commands share: the configuration, the spool, the repository. */
final class CliContext {
  static {
    Prestart.awaitLogging(); // the logging may be being set up on another thread (Prestart)
  }

  private static final Logger log = LoggerFactory.getLogger(CliContext.class);
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  final AgentConfig config;
  final Clock clock = Clock.systemUTC();

  CliContext(AgentMain main) throws ConfigException {
    this.config = main.loadConfig();
  }

  /** The main repository, or the copy named by a command's {@code --target}. */
  ConfiguredRepository repository(String target) throws ConfigException {
    return ConfiguredRepository.named(config, target == null ? AgentConfig.MAIN_TARGET : target, clock);
  }

  Spool spool() throws IOException {
    return new Spool(
        config.stateDir().resolve("spool"),
        config.spool().maxSize().bytes(),
        config.agent().id(),
        AgentMain.version(),
        clock);
  }

  /**
   * Sends what is in the spool now when a collector is configured; what does not go stays for the
   * daemon to send later.
   */
  void sendPending(Spool spool) {
    if (config.collectorLink().isEmpty()) {
      return;
    }
    AgentConfig.CollectorLink link = config.collectorLink().get();
    try {
      CollectorClient client = new CollectorClient(link.url(), link.token(), link.timeout(), link.tls());
      new ReportSender(spool, client, new Random()).drainOnce();
    } catch (IOException e) {
      log.warn("records stay in the spool for the daemon to send: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The configured log sets, or only {@code name}'s; a usage error when there is none. */
  java.util.Map<String, AgentConfig.LogSet> logSets(String name, picocli.CommandLine.Model.CommandSpec spec) {
    java.util.Map<String, AgentConfig.LogSet> sets = new java.util.LinkedHashMap<>(config.logs());
    if (name != null) {
      if (!sets.containsKey(name)) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no log set " + name + " in the configuration");
      }
      return java.util.Map.of(name, sets.get(name));
    }
    if (sets.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no log sets configured: add a 'logs' section");
    }
    return sets;
  }

  static void printJson(Object value) {
    try {
      System.out.println(JSON.writeValueAsString(value));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
