#!/usr/bin/env bash
# Scale-out: two collector processes on one PostgreSQL store (a server of the Debian package
# started by the test) behind a loopback round-robin balancer; AGENTS simulated agents each send
# a report a round ("every minute", rounds back to back), a twentieth of them a failure, half of
# those twice at once; one collector is killed (-9) in the middle of the second round. Runs the ScaleOutIT
# integration test with more rounds and keeps its figures.
# Usage: bench/scaleout/run.sh   (AGENTS=600 ROUNDS=10)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENTS=${AGENTS:-600}; ROUNDS=${ROUNDS:-10}
cd "$ROOT"
mvn -q -o -B -Dstyle.color=never -pl collector verify -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpenjaga.skipPostgresStore=true -Dit.test=ScaleOutIT \
  -Dpenjaga.scaleout.agents="$AGENTS" -Dpenjaga.scaleout.rounds="$ROUNDS" >/dev/null
OUT=$ROOT/bench/results/scaleout-$(date +%F).md
{
  echo "# Collectors scaled out on PostgreSQL ($(date +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(lscpu | sed -n 's/^Model name: *//p'); Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "Two collector processes (-Xmx256m) on one PostgreSQL store behind a round-robin TCP balancer on loopback;"
  echo "$AGENTS agents, $ROUNDS rounds of one heartbeat each (back to back, 16 senders), a failure from every"
  echo "twentieth agent (the first half sent twice at once, to both collectors, in round 1; the second half in"
  echo "round 3); collector A killed (-9) 0.3 s into round 2, the rest through B. Senders retry anything but"
  echo "200, as the agents' spool does (retries: requests sent again)."
  echo "Checked by the test: every report stored once, one alert and one e-mail per failure, the evidence"
  echo "chain intact, the every-2-seconds job run once per firing across both. All of it on the 2 cores."
  echo "\`seconds\`: the rounds' own time (not the waits for e-mail); latency of accepted requests."
  echo
  echo "| date | collectors | agents | rounds | reports | seconds | reports/s | p50 ms | p99 ms | retries | failures | e-mails | lost | duplicates |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat collector/target/scaleout.md
} | tee "$OUT"
