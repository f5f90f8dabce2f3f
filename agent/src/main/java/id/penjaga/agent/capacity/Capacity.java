package id.penjaga.agent.capacity;

import id.penjaga.agent.config.AgentConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samplers agent.yaml turns on. */
public final class Capacity {
  private Capacity() {}

  public static List<Sampler> samplers(AgentConfig config) {
    AgentConfig.Capacity c = config.capacity();
    List<Sampler> all = new ArrayList<>(new HostSamplers(c).enabled());
    if (c.uses("probes") && (!c.httpProbes().isEmpty() || !c.tcpProbes().isEmpty())) {
      all.add(new Probes(c.httpProbes(), c.tcpProbes()));
    }
    if (c.uses("databases") && !c.databases().isEmpty()) {
      Map<String, AgentConfig.Source> dbs = new LinkedHashMap<>();
      c.databases().forEach(n -> dbs.put(n, config.sources().get(n)));
      all.add(new DatabaseSampler(dbs));
    }
    return all;
  }
}
