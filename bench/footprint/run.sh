#!/usr/bin/env bash
# The agent's footprint beside node_exporter on the same machine, side by side in one run: RSS,
# CPU and /metrics scrape time, idle, with the JVM options of the shipped systemd unit.
# Usage: bench/footprint/run.sh   (MINUTES=5)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MINUTES=${MINUTES:-5}
JAR=$ROOT/agent/target/penjaga-agent.jar
NE=/usr/bin/prometheus-node-exporter
W=$(mktemp -d /tmp/footprint.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -o -B -DskipTests package -pl agent -am)
[ -x "$NE" ] || { echo "needs prometheus-node-exporter (apt-get install prometheus-node-exporter)"; exit 2; }
# A copy: a rebuild of the jar during the run must not pull classes from under the agent.
cp "$JAR" "$W/penjaga-agent.jar"; JAR=$W/penjaga-agent.jar
JAVA_OPTS=$(sed -n 's/^ExecStart=\/usr\/bin\/java \(.*\) -jar .*/\1/p' "$ROOT/systemd/penjaga-agent.service")
# and the unit's environment (MALLOC_ARENA_MAX)
while read -r kv; do export "${kv?}"; done < <(sed -n 's/^Environment=\(MALLOC_[A-Z_]*=.*\)/\1/p' "$ROOT/systemd/penjaga-agent.service")
UNIT_ENV=$(sed -n 's/^Environment=\(MALLOC_[A-Z_]*=.*\)/\1/p' "$ROOT/systemd/penjaga-agent.service" | tr '\n' ' ')
cat > "$W/agent.yaml" <<YAML
agent:
  id: bench
  state-dir: $W/state
metrics:
  listen: 127.0.0.1:19464
heartbeat:
  interval: 1m
capacity:
  interval: 60s
  period: 15m
YAML
# shellcheck disable=SC2086
java $JAVA_OPTS -jar "$JAR" -c "$W/agent.yaml" run > "$W/agent.log" 2>&1 & PIDS+=($!); AGENT=$!
"$NE" --web.listen-address=127.0.0.1:19100 > "$W/ne.log" 2>&1 & PIDS+=($!); NEP=$!
sleep 60   # warm-up: JIT, first samples

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
a0=$(ticks $AGENT); n0=$(ticks $NEP); t0=$(date +%s.%N)
: > "$W/rss.a"; : > "$W/rss.n"
end=$(( $(date +%s) + MINUTES * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do rss $AGENT >> "$W/rss.a"; rss $NEP >> "$W/rss.n"; sleep 5; done
a1=$(ticks $AGENT); n1=$(ticks $NEP); t1=$(date +%s.%N)
scrape() { for i in $(seq 1 50); do curl -s --max-time 10 -o /dev/null -w '%{time_total}\n' "$1"; sleep 1; done | sort -n > "$2"; }
scrape http://127.0.0.1:19464/metrics "$W/s.a"; scrape http://127.0.0.1:19100/metrics "$W/s.n"
A_SIZE=$(curl -s http://127.0.0.1:19464/metrics | wc -c); N_SIZE=$(curl -s http://127.0.0.1:19100/metrics | wc -c)
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p95() { sort -n "$1" | awk '{a[NR]=$1} END {i=int(NR*0.95); if (i<1) i=1; print a[i]}'; }
maxv() { sort -n "$1" | tail -1; }
cpu() { echo "100 * ($2 - $1) / $HZ / ($t1 - $t0)" | bc -l; }
ARSS=$(med "$W/rss.a"); NRSS=$(med "$W/rss.n")
OUT=$ROOT/bench/results/footprint-$(date +%F).md
{
  echo "# Agent footprint beside node_exporter ($(date +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(lscpu | sed -n 's/^Model name: *//p');"
  echo "Java $(java -version 2>&1 | head -1 | cut -d'"' -f2), JVM options of the shipped unit: \`$JAVA_OPTS\`, environment \`$UNIT_ENV\`;"
  echo "$($NE --version 2>&1 | head -1)."
  echo "Idle daemons after a 60 s warm-up, measured over $MINUTES min: the agent with its heartbeat (1 min) and"
  echo "capacity sampling (60 s, all host samplers), no collector; node_exporter with its defaults."
  echo "RSS sampled every 5 s (VmRSS); CPU from utime+stime; 50 scrapes of /metrics, 1 s apart."
  echo
  echo "| daemon | RSS median MiB | RSS max MiB | CPU % of one core | scrape median ms | scrape p95 ms | /metrics bytes |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '| penjaga-agent | %.1f | %.1f | %.2f | %.1f | %.1f | %d |\n' "$(echo "$ARSS/1024" | bc -l)" "$(echo "$(maxv "$W/rss.a")/1024" | bc -l)" \
    "$(cpu "$a0" "$a1")" "$(echo "$(med "$W/s.a")*1000" | bc -l)" "$(echo "$(p95 "$W/s.a")*1000" | bc -l)" "$A_SIZE"
  printf '| node_exporter | %.1f | %.1f | %.2f | %.1f | %.1f | %d |\n' "$(echo "$NRSS/1024" | bc -l)" "$(echo "$(maxv "$W/rss.n")/1024" | bc -l)" \
    "$(cpu "$n0" "$n1")" "$(echo "$(med "$W/s.n")*1000" | bc -l)" "$(echo "$(p95 "$W/s.n")*1000" | bc -l)" "$N_SIZE"
  echo
  printf 'RSS ratio agent / node_exporter: %.1f. Targets: RSS <= 96 MiB and <= 5x node_exporter, CPU <= 1%%, scrape <= 20 ms.\n' \
    "$(echo "$ARSS / $NRSS" | bc -l)"
} | tee "$OUT"
