#!/usr/bin/env bash
# Ingest load: many simulated agents posting capacity records to one collector on loopback, with
# wrk; single reports and batches, with the SQLite store and with the PostgreSQL store (a server of
# the Debian package started here, durable settings: fsync and synchronous_commit on), side by side
# in one run. Target: 5,000 samples/s with p99 <= 50 ms.
# Usage: bench/ingest/run.sh   (AGENTS=50 SAMPLES=50 SECONDS_RUN=30; STORES="sqlite postgresql")
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENTS=${AGENTS:-50}; SAMPLES=${SAMPLES:-50}; SECS=${SECONDS_RUN:-30}; THREADS=2
JAR=$ROOT/collector/target/penjaga-collector.jar
STORES=${STORES:-sqlite postgresql}
W=$(mktemp -d /tmp/ingest.XXXXXX) && chmod 755 "$W"
PID=
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PGPORT=18471
pgstop() { [ -d "$W/pg/data" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -m fast -w stop >/dev/null 2>&1 || true; }
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; pgstop; rm -rf "$W"; }
trap cleanup EXIT
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -o -B -DskipTests package -pl collector -am)
cp "$JAR" "$W/collector.jar"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
PORT=18470
agents() {
  echo "agents:"
  for i in $(seq 1 "$AGENTS"); do
    printf 'token-%d\n' "$i" > "$W/t$i"; chmod 600 "$W/t$i"
    echo "  bench-$i:"; echo "    token-file: $W/t$i"
  done
  echo "logging:"; echo "  level: warn"
}
{ echo "collector:"; echo "  listen: 127.0.0.1:$PORT"; echo "  store: $W/c.db"; agents; } > "$W/sqlite.yaml"
if [[ " $STORES " == *" postgresql "* ]]; then
  [ -n "$PGBIN" ] || { echo "needs PostgreSQL (apt-get install postgresql)"; exit 2; }
  mkdir -p "$W/pg" && chown postgres "$W/pg"
  printf 'bench-store-pass\n' > "$W/store.pass"; chmod 600 "$W/store.pass"
  runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -w -l "$W/pg/log" \
    -o "-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1 -c shared_buffers=128MB" start >/dev/null
  runuser -u postgres -- "$PGBIN/psql" -X -q -h "$W/pg" -p $PGPORT -d postgres \
    -c "CREATE ROLE penjaga LOGIN PASSWORD 'bench-store-pass'"
  { echo "collector:"; echo "  listen: 127.0.0.1:$PORT"
    echo "  store: jdbc:postgresql://127.0.0.1:$PGPORT/ingest?user=penjaga"
    echo "  store-password-file: $W/store.pass"; echo "  data-dir: $W/data"; agents; } > "$W/postgresql.yaml"
fi
pgsql() { runuser -u postgres -- "$PGBIN/psql" -X -q -At -h "$W/pg" -p $PGPORT "$@"; }

run() {  # store, label, BATCH, connections
  local store=$1; shift
  rm -f "$W"/c.db*
  if [ "$store" = postgresql ]; then
    pgsql -d postgres -c "DROP DATABASE IF EXISTS ingest" -c "CREATE DATABASE ingest OWNER penjaga"
  fi
  java -Xmx512m -jar "$W/collector.jar" -c "$W/$store.yaml" run > "$W/collector.log" 2>&1 & PID=$!
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.5; done
  # warm-up, then the measured run
  AGENTS=$AGENTS SAMPLES=$SAMPLES BATCH=$2 THREADS=$THREADS wrk -t$THREADS -c$3 -d5s -s "$ROOT/bench/ingest/report.lua" "http://127.0.0.1:$PORT" >/dev/null
  local out; out=$(SEQ_BASE=10000000 AGENTS=$AGENTS SAMPLES=$SAMPLES BATCH=$2 THREADS=$THREADS wrk -t$THREADS -c$3 -d${SECS}s --latency -s "$ROOT/bench/ingest/report.lua" "http://127.0.0.1:$PORT")
  local stored
  if [ "$store" = postgresql ]; then
    stored=$(pgsql -d ingest -c "SELECT count(*) FROM report" 2>/dev/null || echo "?")
  else
    stored=$(sqlite3 "$W/c.db" "SELECT count(*) FROM report" 2>/dev/null || echo "?")
  fi
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  local r; r=$(echo "$out" | grep '^RESULT')
  local req err dur p50 p99
  req=$(echo "$r" | sed 's/.*requests=\([0-9]*\).*/\1/'); err=$(echo "$r" | sed 's/.*errors=\([0-9]*\).*/\1/')
  dur=$(echo "$r" | sed 's/.*duration_s=\([0-9.]*\).*/\1/'); p50=$(echo "$r" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/'); p99=$(echo "$r" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')
  local per=$(( $2 > 0 ? $2 : 1 ))
  printf '| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.1f | %.1f | %s | %s |\n' "$store" "$1" "$3" "$per" "$(echo "$req / $dur" | bc -l)" \
    "$(echo "$req * $per / $dur" | bc -l)" "$(echo "$req * $per * $SAMPLES / $dur" | bc -l)" "$p50" "$p99" "$err" "$stored"
}
command -v sqlite3 >/dev/null || apt-get install -y -q sqlite3 >/dev/null 2>&1 || true
rows=$(for st in $STORES; do
  run "$st" "one report a request" 0 4; run "$st" "one report a request" 0 32; run "$st" "batches of 20" 20 4
done)
OUT=$ROOT/bench/results/ingest-$(date +%F).md
{
  echo "# Collector ingest under load ($(date +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(lscpu | sed -n 's/^Model name: *//p'); Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "One collector on loopback, its store durable either way (each acknowledged report is on disk): SQLite"
  echo "(WAL, synchronous=FULL) or PostgreSQL $(pgsql -d postgres -c 'SHOW server_version' 2>/dev/null || echo '-')"
  echo "(Debian package, same machine, fsync and synchronous_commit on, shared_buffers 128MB);"
  echo "wrk, $THREADS threads, 4 or 32 connections (closed loop), $SECS s after a 5 s warm-up; $AGENTS simulated agents, each request"
  echo "a capacity record of $SAMPLES samples (or a batch of them) with a new sequence number, validated against"
  echo "the contract and stored (\`stored\`: rows in the store after warm-up and run, all distinct). Client and"
  echo "server (and the PostgreSQL server) share the 2 cores."
  echo
  echo "| store | mode | connections | reports/request | requests/s | reports/s | samples/s | p50 ms | p99 ms | errors | stored |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "$rows"
  echo
  echo "Target: 5,000 samples/s with p99 <= 50 ms."
} | tee "$OUT"
