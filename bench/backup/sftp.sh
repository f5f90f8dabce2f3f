#!/usr/bin/env bash
# Backups to another host: Penjaga, restic and BorgBackup over SSH to an OpenSSH server on this
# machine (loopback), side by side on the same tree as run.sh. Full backup and a backup with no
# change; wall time, CPU time of the client (user+sys; the server's is not counted), peak RSS.
# The server runs on the same two cores, so every tool pays for its encryption twice here: read
# the ratios, not the seconds. Needs root (sshd logs root in with a key made for the run).
# Writes a Markdown table to bench/results/backup-sftp-DATE.md.
#
#   bash bench/backup/sftp.sh            # 1 GiB, 4000 files
#   BENCH_MIB=256 BENCH_FILES=1000 BENCH_ROUNDS=1 bash bench/backup/sftp.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
mib=${BENCH_MIB:-1024}
files=${BENCH_FILES:-4000}
work=${BENCH_DIR:-/tmp/penjaga-bench-sftp}
[ "$(id -u)" -eq 0 ] || { echo "sftp.sh: run as root (sshd logs root in for the run)" >&2; exit 2; }
# shellcheck source=bench/backup/lib.sh
source bench/backup/lib.sh
need restic restic borg borgbackup /usr/sbin/sshd openssh-server ssh openssh-client /usr/bin/time time
rm -rf "$work"
mkdir -p "$work/ssh"
chmod 700 "$work" "$work/ssh"
make_tree

# A server of our own on a free loopback port, stopped when the script ends.
ssh_dir=$work/ssh
ssh-keygen -q -t ed25519 -N "" -f "$ssh_dir/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$ssh_dir/id_key"
cp "$ssh_dir/id_key.pub" "$ssh_dir/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$ssh_dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $ssh_dir/sshd.pid
Subsystem sftp internal-sftp
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -f "$ssh_dir/sshd_config" -E "$ssh_dir/sshd.log"
trap 'kill "$(cat "$ssh_dir/sshd.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -f "$ssh_dir/sshd.pid" ] && break; sleep 0.1; done
echo "[127.0.0.1]:$port $(cat "$ssh_dir/host_key.pub")" > "$ssh_dir/known_hosts"
ssh_cmd="ssh -p $port -i $ssh_dir/id_key -o UserKnownHostsFile=$ssh_dir/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"

pass="$work/pass"
( umask 077; echo "bench-password-$$" > "$pass" )
export RESTIC_PASSWORD_FILE="$pass" BORG_PASSCOMMAND="cat $pass" BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes \
       BORG_RELOCATED_REPO_ACCESS_IS_OK=yes XDG_CACHE_HOME="$work/cache" BORG_RSH="$ssh_cmd"
agent_yaml bench-sftp "  path: sftp://root@127.0.0.1:$port$work/repo-penjaga
  password-file: $pass
  identity-file: $ssh_dir/id_key
  known-hosts: $ssh_dir/known_hosts"
penjaga_command
restic=(restic --repo "sftp:root@127.0.0.1:$work/repo-restic" -o "sftp.command=$ssh_cmd root@127.0.0.1 -s sftp")
borg_repo="ssh://root@127.0.0.1:$port$work/repo-borg"

declare -A result
rounds=${BENCH_ROUNDS:-3}
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  rm -rf "$work/src" "$work"/repo-* "$work/penjaga-state" "$work/cache"
  cp -a "$tree_cache" "$work/src"
  "${penjaga[@]}" init > /dev/null
  "${restic[@]}" init --repository-version 2 > /dev/null
  borg init --encryption repokey "$borg_repo" > /dev/null
  for step in full nochange; do
    echo "== $step backup"
    measure penjaga "$step" "${penjaga[@]}" backup
    measure restic "$step" "${restic[@]}" backup --quiet "$work/src"
    measure borg "$step" borg create "$borg_repo::$step" "$work/src"
  done
done

out="bench/results/backup-sftp-$(date -u +%Y-%m-%d).md"
{
  echo "# Backup over SFTP benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(machine); the OpenSSH"
  echo "server ($(/usr/sbin/sshd -V 2>&1 | head -1 | cut -d, -f1)) on the same machine, over loopback: its CPU competes with the client's."
  echo "Tree: as \`run.sh\` ($files files, ${mib} MiB). Penjaga through its own SFTP client (SSHJ), restic through"
  echo "the \`ssh\` command's SFTP, Borg through \`borg serve\` over \`ssh\`. Medians of $rounds rounds."
  echo
  echo "| step | tool | wall s | wall range s | client CPU s | peak RSS MiB | wall vs restic | wall vs borg |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for step in full nochange; do
    rw=$(median "${result[restic.$step.wall]}")
    bw=$(median "${result[borg.$step.wall]}")
    for tool in penjaga restic borg; do
      w=$(median "${result[$tool.$step.wall]}")
      echo "| $step | $tool | $w | $(range "${result[$tool.$step.wall]}") | $(median "${result[$tool.$step.cpu]}") |" \
        "$(median "${result[$tool.$step.rss]}") | $(awk -v a="$w" -v b="$rw" 'BEGIN{printf "%.2f", a/b}') |" \
        "$(awk -v a="$w" -v b="$bw" 'BEGIN{printf "%.2f", a/b}') |"
    done
  done
} > "$out"
cat "$out"
echo "written to $out"
