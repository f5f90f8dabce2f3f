#!/usr/bin/env bash
# Log analysis of big logs in bounded memory: penjaga-agent analyze-logs on a SIZE_MB application
# log and a SIZE_MB/2 access log, beside grep and awk doing the same counts, in one run.
# Usage: bench/logs/run.sh   (SIZE_MB=2048)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIZE_MB=${SIZE_MB:-2048}
JAR=$ROOT/agent/target/penjaga-agent.jar
W=$(mktemp -d /tmp/logbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -o -B -DskipTests package -pl agent -am)
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
mkdir -p "$W/logs"

# Blocks of about 1 MiB of varied lines, written again and again: generation is not measured.
python3 - "$W/logs" "$SIZE_MB" <<'PY'
import random, sys
d, size_mb = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
def app_block():
    out = []
    n = 0
    while n < 1 << 20:
        t = "2026-11-24 %02d:%02d:%02d.%03d" % (r.randrange(24), r.randrange(60), r.randrange(60), r.randrange(1000))
        x = r.random()
        if x < 0.01:
            l = "%s ERROR [http-nio-8080-exec-%d] id.go.lkpp.spse.LelangService - timeout after %d ms for paket %d" % (t, r.randrange(200), r.randrange(30000), r.randrange(10**6))
        elif x < 0.04:
            l = "%s WARN  [http-nio-8080-exec-%d] id.go.lkpp.spse.DokumenService - dokumen %d lambat diunggah (%d ms)" % (t, r.randrange(200), r.randrange(10**6), r.randrange(9000))
        elif x < 0.045:
            l = "java.net.SocketTimeoutException: Read timed out\n\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)\n\tat org.postgresql.core.PGStream.receive(PGStream.java:%d)" % r.randrange(900)
        else:
            l = "%s INFO  [http-nio-8080-exec-%d] id.go.lkpp.spse.LelangService - paket %d dibuka oleh user%d" % (t, r.randrange(200), r.randrange(10**6), r.randrange(5000))
        out.append(l)
        n += len(l) + 1
    return ("\n".join(out) + "\n").encode()
def access_block():
    out = []
    n = 0
    while n < 1 << 20:
        x = r.random()
        st = 500 + r.randrange(4) if x < 0.001 else 404 if x < 0.02 else 304 if x < 0.1 else 200
        l = '10.%d.%d.%d - - [24/Nov/2026:%02d:%02d:%02d +0700] "GET /eproc4/lelang/%d/dokumen?tab=%d HTTP/1.1" %d %d "-" "Mozilla/5.0"' % (
            r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(24), r.randrange(60), r.randrange(60), r.randrange(5000), r.randrange(9), st, r.randrange(90000))
        out.append(l)
        n += len(l) + 1
    return ("\n".join(out) + "\n").encode()
for name, make, mb in (("spse.log", app_block, size_mb), ("access.log", access_block, size_mb // 2)):
    blocks = [make() for _ in range(16)]
    with open(d + "/" + name, "wb") as f:
        written = 0
        i = 0
        while written < mb << 20:
            b = blocks[i % 16]
            f.write(b)
            written += len(b)
            i += 1
PY

cat > "$W/agent.yaml" <<YAML
agent:
  id: bench
  state-dir: $W/state
metrics:
  enabled: false
logs:
  spse:
    kind: app
    paths: ["$W/logs/spse.log"]
  nginx:
    kind: access
    paths: ["$W/logs/access.log"]
YAML

measure() {  # label, command... → "wall_s max_rss_kib" and the command's output in $W/out
  /usr/bin/time -f "%e %M" -o "$W/time" "${@:2}" > "$W/out" 2>/dev/null
  cat "$W/time"
}
APP=$(stat -c %s "$W/logs/spse.log"); ACC=$(stat -c %s "$W/logs/access.log")
rows=()
row() { # tool file bytes time rss agree
  local mbs; mbs=$(echo "$3 / 1048576 / $4" | bc -l)
  rows+=("$(printf '| %s | %s | %.0f | %.1f | %.0f | %.1f | %s |' "$1" "$2" "$(echo "$3/1048576" | bc -l)" "$4" "$mbs" "$(echo "$5/1024" | bc -l)" "$6")")
}
read -r t m < <(measure x grep -cE '\bERROR\b' "$W/logs/spse.log"); GREP_ERR=$(cat "$W/out"); row "grep -cE '\\bERROR\\b'" spse.log "$APP" "$t" "$m" "(reference: $GREP_ERR)"
read -r t m < <(measure x env LC_ALL=C grep -cE '\bERROR\b' "$W/logs/spse.log"); row "LC_ALL=C grep -cE" spse.log "$APP" "$t" "$m" "$( [ "$(cat "$W/out")" = "$GREP_ERR" ] && echo yes || echo no)"
for heap in 64m 32m; do
  read -r t m < <(measure x java -XX:+UseSerialGC -Xmx$heap -jar "$JAR" -c "$W/agent.yaml" analyze-logs --set spse --json)
  ERR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"][0]["errors"])' "$W/out")
  row "penjaga analyze-logs (-Xmx$heap)" spse.log "$APP" "$t" "$m" "$( [ "$ERR" = "$GREP_ERR" ] && echo "yes ($ERR errors)" || echo "NO: $ERR vs $GREP_ERR")"
done
read -r t m < <(measure x awk '{c[substr($9,1,1) "xx"]++} END {for (k in c) print k, c[k]}' "$W/logs/access.log")
AWK=$(sort "$W/out" | tr '\n' ' '); row "awk status classes" access.log "$ACC" "$t" "$m" "(reference: $AWK)"
read -r t m < <(measure x java -XX:+UseSerialGC -Xmx64m -jar "$JAR" -c "$W/agent.yaml" analyze-logs --set nginx --json)
PJ=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["sets"][0]["status_classes"]; print(" ".join("%s %s" % (k, d[k]) for k in sorted(d)))' "$W/out")
row "penjaga analyze-logs (-Xmx64m)" access.log "$ACC" "$t" "$m" "$( [ "$PJ " = "$AWK" ] && echo yes || echo "NO: $PJ")"

OUT=$ROOT/bench/results/logs-$(date +%F).md
{
  echo "# Log analysis of big logs ($(date +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(lscpu | sed -n 's/^Model name: *//p'); Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "An application log of $SIZE_MB MiB (Tomcat-like: 1% ERROR, 3% WARN, exceptions with stack lines)"
  echo "and an access log of $((SIZE_MB / 2)) MiB (combined format), generated; one run each, same files."
  echo "Penjaga counts lines matching \\b(ERROR|SEVERE|FATAL|CRITICAL)\\b (the generator writes only ERROR)."
  echo "Max RSS from /usr/bin/time; the JVM's is mostly its own code and heap, bounded by -Xmx."
  echo
  echo "| tool | file | MiB | wall s | MiB/s | max RSS MiB | counts agree |"
  echo "|---|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT"
