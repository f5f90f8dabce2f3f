# Helpers shared by the backup benchmarks (run.sh, sftp.sh); sourced from the project's root with
# $root, $work, $mib and $files set. The caller declares the associative array "result"
# (declare -A result) before measuring.

# The options of the installed command (packaging/penjaga-agent), huge pages as it chooses them.
java_opts=${PENJAGA_JAVA_OPTS:--XX:+UseSerialGC -Xss512k -Xms64m -Xmn8m -Xmx256m -XX:-ShrinkHeapInSteps -XX:TieredStopAtLevel=1}
if [ -z "${PENJAGA_JAVA_OPTS:-}" ] && grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  java_opts="$java_opts -XX:+UseTransparentHugePages"
fi
jar=$root/agent/target/penjaga-agent.jar
tree_cache=${BENCH_TREE_CACHE:-/tmp/penjaga-bench-tree-$mib-$files}

# need COMMAND PACKAGE ...: installs (when root) the Debian packages of the commands missing, and
# builds the agent's jar if it is not there.
need() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null || missing+=("$2")
    shift 2
  done
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ -f "$jar" ] || mvn -B -q -ntp -DskipTests package
}

# make_tree: the generated SPSE-like tree, made once and kept between runs in $tree_cache.
make_tree() {
  if [ ! -d "$tree_cache" ]; then
    echo "== generating ${mib} MiB in ${files} files"
    python3 bench/backup/make-tree.py "$tree_cache.tmp" "$mib" "$files"
    mv "$tree_cache.tmp" "$tree_cache"
  fi
}

# measure TOOL STEP COMMAND...: wall s, cpu s, peak RSS MiB of one run, added to that step's runs
measure() {
  local tool=$1 step=$2; shift 2
  local t="$work/time.$tool.$step"
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" > "$work/out.$tool.$step" 2>&1 || {
    echo "$tool $step failed:"; tail -20 "$work/out.$tool.$step"; exit 1; }
  read -r wall user sys rss < "$t"
  result[$tool.$step.wall]+=" $wall"
  result[$tool.$step.cpu]+=" $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  result[$tool.$step.rss]+=" $((rss / 1024))"
  echo "  $tool $step: wall ${wall}s cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')s rss $((rss / 1024)) MiB"
}
# median of the numbers given
median() { tr ' ' '\n' <<< "$*" | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
# smallest-largest of the numbers given
range() { tr ' ' '\n' <<< "$*" | grep . | sort -g | awk 'NR==1{a=$1} {b=$1} END {print a "–" b}'; }

# machine: this machine in a few words, for a result's header
machine() {
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
}

# penjaga_command: the class-data archive made as the installation makes it (packaging/penjaga-cds),
# unless BENCH_CDS=no, and the command line "penjaga" (an array) with $work/agent.yaml.
penjaga_command() {
  cds=""
  if [ "${BENCH_CDS:-yes}" = yes ]; then
    echo "== class-data archive"
    sh packaging/penjaga-cds "$jar" "$work/penjaga-agent.jsa"
    [ -f "$work/penjaga-agent.jsa" ] && cds="-XX:SharedArchiveFile=$work/penjaga-agent.jsa -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
  # The native libraries unpacked as the installation unpacks them (penjaga-setup), unless BENCH_NATIVE=no.
  libs=""
  if [ "${BENCH_NATIVE:-yes}" = yes ] && java -cp "$jar" id.penjaga.agent.cli.NativeLibraries unpack "$work/native" > /dev/null; then
    libs="-Djava.library.path=$work/native -Dpenjaga.native.dir=$work/native"
  fi
  # shellcheck disable=SC2206
  penjaga=(java $java_opts $cds $libs -jar "$jar" -c "$work/agent.yaml")
}

# agent_yaml ID REPOSITORY-LINES: $work/agent.yaml for source $work/src; REPOSITORY-LINES are the
# "repository:" section's lines (path, password-file, ...), each indented by two spaces.
agent_yaml() {
  cat > "$work/agent.yaml" <<YAML
agent:
  id: $1
  state-dir: $work/penjaga-state
metrics:
  enabled: false
repository:
$2
sources:
  uploads:
    type: files
    path: $work/src
YAML
}
