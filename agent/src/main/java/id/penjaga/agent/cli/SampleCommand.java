package id.penjaga.agent.cli;

import id.penjaga.agent.capacity.Capacity;
import id.penjaga.agent.capacity.CapacityMonitor;
import id.penjaga.agent.capacity.Sample;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code penjaga-agent sample [--json]}: the capacity samplers once (twice, a second apart, so
 * rates have two points), printed; nothing is recorded.
 */
@Command(name = "sample", description = "Take the capacity samples now and print them (CPU, memory, disks, network, probes, database).")
final class SampleCommand implements Callable<Integer> {
  @ParentCommand AgentMain main;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CliContext ctx = new CliContext(main);
    CapacityMonitor m =
        new CapacityMonitor(Capacity.samplers(ctx.config), null, null, ctx.clock, Duration.ofMinutes(15), Duration.ofSeconds(1));
    m.sampleOnce();
    Thread.sleep(1000);
    List<Sample> samples = m.sampleOnce();
    if (json) {
      List<Map<String, Object>> out = new java.util.ArrayList<>();
      for (Sample s : samples) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("metric", s.metric());
        o.put("labels", s.labels());
        o.put("value", s.value());
        out.add(o);
      }
      CliContext.printJson(Map.of("samples", out));
    } else {
      for (Sample s : samples) {
        System.out.printf("%-50s %-40s %s%n", s.metric(), s.labels().isEmpty() ? "" : s.labels(), fmt(s.value()));
      }
    }
    return AgentMain.OK;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format("%.4f", v);
  }
}
