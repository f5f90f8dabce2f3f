#!/usr/bin/env bash
# Backup benchmark: Penjaga, restic and BorgBackup side by side on the same SPSE-like tree, in
# one run. Full backup, incremental after 1% of files changed and 1% added, a backup with no
# change, and a full restore; wall time, CPU time (user+sys), peak RSS, repository size.
# Writes a Markdown table to bench/results/backup-DATE.md.
#
#   bash bench/backup/run.sh            # 1 GiB, 4000 files
#   BENCH_MIB=256 BENCH_FILES=1000 bash bench/backup/run.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
mib=${BENCH_MIB:-1024}
files=${BENCH_FILES:-4000}
work=${BENCH_DIR:-/tmp/penjaga-bench}
# shellcheck source=bench/backup/lib.sh
source bench/backup/lib.sh
need restic restic borg borgbackup /usr/bin/time time
rm -rf "$work"
mkdir -p "$work"
make_tree
cp -a "$tree_cache" "$work/src"
src_bytes=$(du -sb "$work/src" | cut -f1)

pass="$work/pass"
( umask 077; echo "bench-password-$$" > "$pass" )
export RESTIC_PASSWORD_FILE="$pass" BORG_PASSCOMMAND="cat $pass" BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes \
       BORG_RELOCATED_REPO_ACCESS_IS_OK=yes XDG_CACHE_HOME="$work/cache"
agent_yaml bench "  path: $work/repo-penjaga
  password-file: $pass"

penjaga_command

declare -A result
# Each round starts from the same tree and empty repositories, and runs every step of the three
# tools side by side; the table gives each step's median over the rounds (this machine's run-to-run
# noise is large: one run alone can be off by half).
rounds=${BENCH_ROUNDS:-3}
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  rm -rf "$work/src" "$work"/repo-* "$work"/restore-* "$work/penjaga-state" "$work/cache"
  cp -a "$tree_cache" "$work/src"
  "${penjaga[@]}" init > /dev/null
  restic init --repo "$work/repo-restic" --repository-version 2 > /dev/null
  borg init --encryption repokey "$work/repo-borg" > /dev/null

  for step in full incremental nochange; do
    if [ "$step" = incremental ]; then python3 bench/backup/mutate.py "$work/src"; fi
    echo "== $step backup"
    measure penjaga "$step" "${penjaga[@]}" backup
    measure restic "$step" restic --repo "$work/repo-restic" backup --quiet "$work/src"
    measure borg "$step" borg create "$work/repo-borg::$step" "$work/src"
    for tool in penjaga restic borg; do
      result[$tool.$step.size]=$(du -sb "$work/repo-$tool" | cut -f1)
    done
  done

  echo "== full restore"
  measure penjaga restore "${penjaga[@]}" restore latest --target "$work/restore-penjaga"
  measure restic restore restic --repo "$work/repo-restic" restore latest --target "$work/restore-restic"
  mkdir -p "$work/restore-borg"
  measure borg restore bash -c "cd '$work/restore-borg' && borg extract '$work/repo-borg::nochange'"
  diff -r "$work/src" "$work/restore-penjaga" > /dev/null && echo "  penjaga restore identical to the source" \
    || { echo "penjaga restore differs from the source"; exit 1; }
done

out="bench/results/backup-$(date -u +%Y-%m-%d).md"
{
  echo "# Backup benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(machine)."
  echo "Tree: $files files, $((src_bytes / 1048576)) MiB (55% incompressible, 35% text documents, 10% duplicates),"
  echo "made by \`bench/backup/make-tree.py\`; incremental after \`mutate.py\` (1% of files edited, 1% added)."
  echo "Versions: penjaga $("${penjaga[@]}" --version | awk '{print $2}') (java $java_opts${cds:+, class-data archive}${libs:+, native libraries unpacked at install}), $(restic version | awk '{print $1, $2}'), $(borg --version)."
  echo "Each figure is the median of $rounds rounds (the range of wall times beside it) of a whole process, JVM start"
  echo "included; page cache warm for all three; the ratios are of the medians."
  echo
  echo "| step | tool | wall s | wall range s | CPU s | peak RSS MiB | repo MiB | wall vs restic | wall vs borg | RSS vs restic |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for step in full incremental nochange restore; do
    rw=$(median "${result[restic.$step.wall]}")
    bw=$(median "${result[borg.$step.wall]}")
    rr=$(median "${result[restic.$step.rss]}")
    for tool in penjaga restic borg; do
      w=$(median "${result[$tool.$step.wall]}")
      c=$(median "${result[$tool.$step.cpu]}")
      r=$(median "${result[$tool.$step.rss]}")
      size=${result[$tool.$step.size]:-}
      [ -n "$size" ] && size=$((size / 1048576))
      echo "| $step | $tool | $w | $(range "${result[$tool.$step.wall]}") | $c | $r | ${size:--} |" \
        "$(awk -v a="$w" -v b="$rw" 'BEGIN{printf "%.2f", a/b}') | $(awk -v a="$w" -v b="$bw" 'BEGIN{printf "%.2f", a/b}') |" \
        "$(awk -v a="$r" -v b="$rr" 'BEGIN{printf "%.2f", a/b}') |"
    done
  done
} > "$out"
cat "$out"
echo "written to $out"
