package id.penjaga.agent.capacity;

import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.CentralProcessor.TickType;
import oshi.hardware.GlobalMemory;
import oshi.hardware.HWDiskStore;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.hardware.NetworkIF;
import oshi.software.os.OSFileStore;
import oshi.software.os.OSProcess;
import oshi.software.os.OperatingSystem;

/**
 * The machine's own figures through OSHI: CPU, memory, file systems, disks, network, uptime and
 * open files, and the watched processes. Counters (CPU ticks, disk and network bytes) are turned
 * into ratios and rates between two samples, so the first sample of each has none.
 */
public final class HostSamplers {
  private final SystemInfo si = new SystemInfo();
  private final HardwareAbstractionLayer hal = si.getHardware();
  private final OperatingSystem os = si.getOperatingSystem();
  private final AgentConfig.Capacity settings;

  public HostSamplers(AgentConfig.Capacity settings) {
    this.settings = settings;
  }

  /** The samplers the configuration turns on. */
  public List<Sampler> enabled() {
    List<Sampler> all = new ArrayList<>();
    if (settings.uses("cpu")) {
      all.add(new Cpu());
    }
    if (settings.uses("memory")) {
      all.add(new Memory());
    }
    if (settings.uses("filesystems")) {
      all.add(new FileSystems());
    }
    if (settings.uses("disks")) {
      all.add(new Disks());
    }
    if (settings.uses("network")) {
      all.add(new Network());
    }
    if (settings.uses("system")) {
      all.add(new SystemFigures());
    }
    if (settings.uses("processes") && !settings.processes().isEmpty()) {
      all.add(new Processes());
    }
    return all;
  }

  /** Utilisation, iowait and steal as shares of all CPU time since the last sample; load averages. */
  final class Cpu implements Sampler {
    private final CentralProcessor cpu = hal.getProcessor();
    private long[] previous = cpu.getSystemCpuLoadTicks();

    @Override
    public String name() {
      return "cpu";
    }

    @Override
    public void sample(List<Sample> out) {
      long[] now = cpu.getSystemCpuLoadTicks();
      long total = 0;
      long[] d = new long[now.length];
      for (int i = 0; i < now.length; i++) {
        d[i] = Math.max(0, now[i] - previous[i]);
        total += d[i];
      }
      previous = now;
      if (total > 0) {
        long idle = d[TickType.IDLE.getIndex()] + d[TickType.IOWAIT.getIndex()];
        out.add(Sample.of("penjaga_cpu_utilisation_ratio", (total - idle) / (double) total));
        out.add(Sample.of("penjaga_cpu_iowait_ratio", d[TickType.IOWAIT.getIndex()] / (double) total));
        out.add(Sample.of("penjaga_cpu_steal_ratio", d[TickType.STEAL.getIndex()] / (double) total));
      }
      double[] load = cpu.getSystemLoadAverage(3);
      String[] names = {"penjaga_load1", "penjaga_load5", "penjaga_load15"};
      for (int i = 0; i < 3; i++) {
        if (load[i] >= 0) {
          out.add(Sample.of(names[i], load[i]));
        }
      }
      out.add(Sample.of("penjaga_cpu_cores", cpu.getLogicalProcessorCount()));
    }
  }

  /** Memory and swap; the page cache from /proc/meminfo where there is one. */
  final class Memory implements Sampler {
    @Override
    public String name() {
      return "memory";
    }

    @Override
    public void sample(List<Sample> out) {
      GlobalMemory m = hal.getMemory();
      out.add(Sample.of("penjaga_memory_size_bytes", m.getTotal()));
      out.add(Sample.of("penjaga_memory_available_bytes", m.getAvailable()));
      out.add(Sample.of("penjaga_memory_used_bytes", m.getTotal() - m.getAvailable()));
      out.add(Sample.of("penjaga_memory_used_ratio", (m.getTotal() - m.getAvailable()) / (double) m.getTotal()));
      out.add(Sample.of("penjaga_swap_size_bytes", m.getVirtualMemory().getSwapTotal()));
      out.add(Sample.of("penjaga_swap_used_bytes", m.getVirtualMemory().getSwapUsed()));
      Long cached = meminfo("Cached");
      if (cached != null) {
        out.add(Sample.of("penjaga_memory_cached_bytes", cached));
      }
    }
  }

  static Long meminfo(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith(key + ":")) {
          String[] f = line.split("\\s+");
          return Long.parseLong(f[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or unreadable: no figure
    }
    return null;
  }

  /** Every local file system not of an excluded type: size, free, used share, inodes. */
  final class FileSystems implements Sampler {
    @Override
    public String name() {
      return "filesystems";
    }

    @Override
    public void sample(List<Sample> out) {
      for (OSFileStore fs : os.getFileSystem().getFileStores(true)) {
        if (settings.excludeFsTypes().contains(fs.getType()) || fs.getTotalSpace() <= 0) {
          continue;
        }
        String[] l = {"mount", fs.getMount(), "fstype", fs.getType()};
        long total = fs.getTotalSpace();
        long avail = fs.getUsableSpace();
        out.add(Sample.of("penjaga_filesystem_size_bytes", total, l));
        out.add(Sample.of("penjaga_filesystem_avail_bytes", avail, l));
        out.add(Sample.of("penjaga_filesystem_used_ratio", (total - fs.getFreeSpace()) / (double) total, l));
        if (fs.getTotalInodes() > 0) {
          out.add(Sample.of("penjaga_filesystem_files", fs.getTotalInodes(), l));
          out.add(Sample.of("penjaga_filesystem_files_free", fs.getFreeInodes(), l));
        }
      }
    }
  }

  /** Bytes read and written per second and the busy share of each disk. */
  final class Disks implements Sampler {
    private final Map<String, long[]> previous = new HashMap<>();

    @Override
    public String name() {
      return "disks";
    }

    @Override
    public void sample(List<Sample> out) {
      long now = System.nanoTime();
      for (HWDiskStore d : hal.getDiskStores()) {
        d.updateAttributes();
        long[] cur = {now, d.getReadBytes(), d.getWriteBytes(), d.getTransferTime()};
        long[] prev = previous.put(d.getName(), cur);
        if (prev == null) {
          continue;
        }
        double secs = (cur[0] - prev[0]) / 1e9;
        if (secs <= 0) {
          continue;
        }
        String[] l = {"device", d.getName()};
        out.add(Sample.of("penjaga_disk_read_bytes_per_second", Math.max(0, cur[1] - prev[1]) / secs, l));
        out.add(Sample.of("penjaga_disk_written_bytes_per_second", Math.max(0, cur[2] - prev[2]) / secs, l));
        out.add(Sample.of("penjaga_disk_busy_ratio", Math.min(1.0, Math.max(0, cur[3] - prev[3]) / 1000.0 / secs), l));
      }
    }
  }

  /** Traffic and errors per second of each network interface but loopback. */
  final class Network implements Sampler {
    private final Map<String, long[]> previous = new HashMap<>();

    @Override
    public String name() {
      return "network";
    }

    @Override
    public void sample(List<Sample> out) {
      long now = System.nanoTime();
      for (NetworkIF n : hal.getNetworkIFs(true)) {
        if (n.getName().equals("lo")) {
          continue;
        }
        n.updateAttributes();
        long[] cur = {now, n.getBytesRecv(), n.getBytesSent(), n.getInErrors() + n.getOutErrors()};
        long[] prev = previous.put(n.getName(), cur);
        if (prev == null) {
          continue;
        }
        double secs = (cur[0] - prev[0]) / 1e9;
        if (secs <= 0) {
          continue;
        }
        String[] l = {"interface", n.getName()};
        out.add(Sample.of("penjaga_network_receive_bytes_per_second", Math.max(0, cur[1] - prev[1]) / secs, l));
        out.add(Sample.of("penjaga_network_transmit_bytes_per_second", Math.max(0, cur[2] - prev[2]) / secs, l));
        out.add(Sample.of("penjaga_network_errors_per_second", Math.max(0, cur[3] - prev[3]) / secs, l));
      }
    }
  }

  /** Uptime and open file handles of the whole system. */
  final class SystemFigures implements Sampler {
    @Override
    public String name() {
      return "system";
    }

    @Override
    public void sample(List<Sample> out) {
      out.add(Sample.of("penjaga_system_uptime_seconds", os.getSystemUptime()));
      out.add(Sample.of("penjaga_open_files", os.getFileSystem().getOpenFileDescriptors()));
      out.add(Sample.of("penjaga_open_files_limit", os.getFileSystem().getMaxFileDescriptors()));
    }
  }

  /** The watched processes (SPSE's Tomcat, PostgreSQL): running or not, memory, CPU share. */
  final class Processes implements Sampler {
    private final List<Pattern> patterns = new ArrayList<>();
    private final Map<Integer, long[]> previous = new HashMap<>();

    Processes() {
      settings.processes().forEach(p -> patterns.add(Pattern.compile(p.match())));
    }

    @Override
    public String name() {
      return "processes";
    }

    @Override
    public void sample(List<Sample> out) {
      List<OSProcess> procs = os.getProcesses();
      long now = System.nanoTime();
      Map<Integer, long[]> seen = new HashMap<>();
      for (int i = 0; i < patterns.size(); i++) {
        String name = settings.processes().get(i).name();
        int count = 0;
        long rss = 0;
        double cpu = 0;
        for (OSProcess p : procs) {
          String cmd = p.getCommandLine();
          if (cmd == null || cmd.isEmpty() || !patterns.get(i).matcher(cmd).find()) {
            continue;
          }
          count++;
          rss += p.getResidentSetSize();
          long[] cur = {now, p.getKernelTime() + p.getUserTime()};
          seen.put(p.getProcessID(), cur);
          long[] prev = previous.get(p.getProcessID());
          if (prev != null && cur[0] > prev[0]) {
            cpu += Math.max(0, cur[1] - prev[1]) / ((cur[0] - prev[0]) / 1e6);
          }
        }
        out.add(Sample.of("penjaga_process_up", count > 0 ? 1 : 0, "process", name));
        out.add(Sample.of("penjaga_process_instances", count, "process", name));
        out.add(Sample.of("penjaga_process_resident_memory_bytes", rss, "process", name));
        out.add(Sample.of("penjaga_process_cpu_ratio", cpu, "process", name));
      }
      previous.clear();
      previous.putAll(seen);
    }
  }
}
