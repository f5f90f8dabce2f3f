#!/usr/bin/env bash
# Memory drill: a backup of a tree of many small files (10 million by default), each its own blob,
# with the heap the command line has (-Xmx256m) and with the daemon's (-Xmx96m). While each backup
# runs, the live heap is measured every few seconds (a class histogram forces a full collection
# first, so the figure is what is reachable, not garbage); then a backup with no change. Writes
# bench/results/memory-DATE.md.
#
#   bash bench/memory/run.sh                   # 10 million files: ~45 GB of disk, about an hour
#   FILES=1000000 bash bench/memory/run.sh     # 1 million files, a few minutes
#   RUNS=256m bash bench/memory/run.sh         # only the runs at -Xmx256m (RUNS=96m: the other)
#
# The tree is kept in $TREE (default /var/tmp/penjaga-many-FILES: on disk, not a tmpfs) between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
files=${FILES:-10000000}
tree=${TREE:-/var/tmp/penjaga-many-$files}
work=${WORK:-/var/tmp/penjaga-memory-drill}
every=${SAMPLE_SECONDS:-5}
jar=${PENJAGA_JAR:-$root/agent/target/penjaga-agent.jar}
[ -f "$jar" ] || mvn -B -q -ntp -DskipTests package
command -v jcmd >/dev/null || { echo "jcmd (from the JDK) is needed to measure the live heap"; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)"; exit 2; }

if [ ! -d "$tree" ]; then
  echo "== writing $files files to $tree"
  python3 bench/memory/make-many.py "$tree.tmp" "$files"
  mv "$tree.tmp" "$tree"
fi

rm -rf "$work"
mkdir -p "$work/scratch"
# Its own copy of the jar: a build during the drill must not pull classes from under it.
cp "$jar" "$work/penjaga-agent.jar"
jar="$work/penjaga-agent.jar"
( umask 077; echo "memory-drill-$$" > "$work/pass" )
cat > "$work/agent.yaml" <<YAML
agent:
  id: memory-drill
  state-dir: $work/state
metrics:
  enabled: false
repository:
  path: $work/repo
  password-file: $work/pass
sources:
  uploads:
    type: files
    path: $tree
YAML

declare -a rows
# run NAME XMX COMMAND...: runs the agent, samples its live heap, keeps a table row.
run() {
  local name=$1 xmx=$2; shift 2
  local log="$work/$name"
  /usr/bin/time -f "%e %U %S %M" -o "$log.time" \
    java -XX:+UseSerialGC -Xss512k "-Xmx$xmx" -XX:TieredStopAtLevel=1 -Djava.io.tmpdir="$work/scratch" \
    -Xlog:disable -Xlog:gc:file="$log.gc" -jar "$jar" -c "$work/agent.yaml" "$@" > "$log.out" 2> "$log.err" &
  local timer=$! pid=""
  for _ in $(seq 50); do
    pid=$(pgrep -f -n -- "-c $work/agent.yaml $1" || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  local max=0 samples=0
  while kill -0 "$timer" 2>/dev/null; do
    sleep "$every"
    local live
    live=$(jcmd "$pid" GC.class_histogram 2>/dev/null | awk '$1 == "Total" { print $3 }' || true)
    if [ -n "$live" ]; then
      samples=$((samples + 1))
      [ "$live" -gt "$max" ] && max=$live
    fi
  done
  wait "$timer" || { echo "$name failed:"; tail -n 20 "$log.err" "$log.out"; exit 1; }
  read -r wall user sys rss < "$log.time"
  local summary
  summary=$(python3 - "$log.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["runs"][0]["snapshot"]["summary"]
print(s["files_new"] + s["files_changed"] + s["files_unchanged"], s["data_blobs_added"] + s["tree_blobs_added"])
PY
)
  read -r seen added <<< "$summary"
  local gcs
  gcs=$(grep -c "Pause" "$log.gc" || true)
  rows+=("| $name | $xmx | $seen | $added | $wall | $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.1f", u+s}') \
| $(awk -v m="$max" 'BEGIN{printf "%.1f", m/1048576}') ($samples) | $((rss / 1024)) | $gcs |")
  echo "${rows[-1]}"
}

# RUNS: which to make (default all): full and no-change at -Xmx256m, full at -Xmx96m (the daemon's).
runs=${RUNS:-256m 96m}
if [[ " $runs " == *" 256m "* ]]; then
  java -jar "$jar" -c "$work/agent.yaml" init > /dev/null
  run full-256m 256m backup --json
  run no-change-256m 256m backup --json
fi
if [[ " $runs " == *" 96m "* ]]; then
  rm -rf "$work/repo" "$work/state"
  java -jar "$jar" -c "$work/agent.yaml" init > /dev/null
  run full-96m 96m backup --json
fi
check_out=$(java -jar "$jar" -c "$work/agent.yaml" check 2>&1 | tail -1)
left=$(find "$work/scratch" -name 'penjaga-index-*' | wc -l)

day=$(date -u +%F)
out=${OUT:-bench/results/memory-$day.md}
mkdir -p bench/results
{
  echo "# Memory drill: $files small files, $day"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "Tree: \`bench/memory/make-many.py\`, $files files of 100 bytes, each its own content, 1000 per directory."
  echo "Each run is \`penjaga-agent backup\` with \`-XX:+UseSerialGC -XX:TieredStopAtLevel=1\` and the heap given;"
  echo "live heap = the largest of the samples (\`jcmd GC.class_histogram\`, after a full collection) every ${every} s."
  echo
  echo "| run | -Xmx | files | blobs added | wall s | CPU s | live heap MiB, max (samples) | peak RSS MiB | GC pauses |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "\`check\` afterwards: $check_out. Scratch files left in java.io.tmpdir: $left."
} > "$out"
cat "$out"
