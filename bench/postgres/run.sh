#!/usr/bin/env bash
# How well a day's database changes deduplicate: Penjaga's postgresql source against restic and
# BorgBackup fed pg_dump's custom format (uncompressed, as they would best take it), on the same
# SPSE-like database, side by side in one run. Usage: bench/postgres/run.sh   (ROWS=1500000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${ROWS:-1500000}
JAR=$ROOT/agent/target/penjaga-agent.jar
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
W=$(mktemp -d /tmp/pgbench.XXXXXX) && chmod 755 "$W"
PORT=55433
cleanup() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -o -B -DskipTests package -pl agent -am)
for t in restic borg; do command -v $t >/dev/null || { echo "needs $t (apt-get install restic borgbackup)"; exit 2; }; done

mkdir -p "$W/pg" && chown postgres "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -w -l "$W/pg/log" \
  -o "-p $PORT -k $W/pg -c listen_addresses='' -c fsync=off -c shared_buffers=256MB" start >/dev/null
export PGHOST=$W/pg PGPORT=$PORT PGUSER=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
N1=$((ROWS * 2 / 9)); N2=$((ROWS * 4 / 9)); N3=$((ROWS * 3 / 9))
psql -d postgres -c "CREATE DATABASE spse"
psql -d spse <<SQL
CREATE TABLE paket (id bigint PRIMARY KEY, kode text, nama text, pagu numeric(18,2), status text, dibuat timestamptz);
INSERT INTO paket SELECT g, 'PKT-'||g, 'Pengadaan '||md5(g::text)||' '||md5((g*7)::text), (g%1000)*1000000.5, 'aktif',
  timestamptz '2024-01-01 00:00+07' + g*interval '1 minute' FROM generate_series(1, $N1) g;
CREATE TABLE peserta (id bigint PRIMARY KEY, paket_id bigint REFERENCES paket, npwp text, nama_perusahaan text, harga numeric(18,2), dokumen text);
INSERT INTO peserta SELECT g, 1 + g % $N1, lpad((g*31)::text,15,'0'), 'PT '||md5((g*3)::text), g*1234.5, repeat(md5(g::text),3)
  FROM generate_series(1, $N2) g;
CREATE SCHEMA lelang;
CREATE TABLE lelang.log_aktivitas (id bigserial PRIMARY KEY, waktu timestamptz, pengguna text, pesan text);
INSERT INTO lelang.log_aktivitas (waktu,pengguna,pesan) SELECT timestamptz '2024-01-01 00:00+07' + g*interval '10 seconds',
  'user'||(g%500), 'membuka dokumen '||md5(g::text)||md5((g+1)::text) FROM generate_series(1, $N3) g;
VACUUM ANALYZE;
SQL

# A day of SPSE changes to 1% of the rows: new tenders and bids, updates to recent ones, old log lines removed.
day2() {
  psql -d spse <<SQL
INSERT INTO paket SELECT g, 'PKT-'||g, 'Pengadaan baru '||md5(g::text), 5000000, 'aktif', now()
  FROM generate_series($N1 + 1, $N1 + $N1 / 200) g;
UPDATE paket SET status = 'selesai' WHERE id > $N1 - $N1 * 3 / 1000 AND id <= $N1;
INSERT INTO peserta SELECT g, $N1 + 1 + g % ($N1 / 200), lpad(g::text,15,'0'), 'PT baru '||g, g*1000, repeat(md5(g::text),3)
  FROM generate_series($N2 + 1, $N2 + $N2 / 200) g;
UPDATE peserta SET harga = harga - 1 WHERE id > $N2 - $N2 * 3 / 1000 AND id <= $N2;
INSERT INTO lelang.log_aktivitas (waktu,pengguna,pesan) SELECT now(), 'admin', 'perubahan '||g FROM generate_series(1, $N3 / 200) g;
DELETE FROM lelang.log_aktivitas WHERE id <= $N3 / 500;
SQL
}
# Worst case: 1% of all rows updated at random (no tool can deduplicate this well).
scattered() {
  psql -d spse -c "UPDATE peserta SET harga = harga + 1 WHERE random() < 0.01; UPDATE paket SET status = 'ubah' WHERE random() < 0.01"
}

printf 'bench-pass\n' > "$W/pass"; chmod 600 "$W/pass"
cat > "$W/agent.yaml" <<YAML
agent:
  id: bench
  state-dir: $W/state
metrics:
  enabled: false
repository:
  path: $W/penjaga
  password-file: $W/pass
sources:
  db:
    type: postgresql
    host: $W/pg
    port: $PORT
    user: postgres
    database: spse
    globals: false
YAML
export RESTIC_PASSWORD=bench-pass BORG_PASSPHRASE=bench-pass BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
J="java -XX:+UseSerialGC -Xmx256m -jar $JAR -c $W/agent.yaml"
$J init >/dev/null
restic init -q -r "$W/restic"
borg init -e repokey "$W/borg" >/dev/null 2>&1

size() { du -sb "$1" | cut -f1; }
secs() { local t0=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $t0" | bc; }
DUMP=$(command pg_dump -Fc -Z0 -d spse | wc -c)
declare -A T S
backup_all() {
  local day=$1
  T[penjaga,$day]=$(secs $J backup --source db)
  T[restic,$day]=$(secs bash -c "pg_dump -Fc -Z0 -d spse | restic -q -r $W/restic backup --stdin --stdin-filename spse.dump")
  T[borg,$day]=$(secs bash -c "pg_dump -Fc -Z0 -d spse | borg create -C zstd,3 $W/borg::day$day -")
  S[penjaga,$day]=$(size "$W/penjaga"); S[restic,$day]=$(size "$W/restic"); S[borg,$day]=$(size "$W/borg")
}
backup_all 1
day2
backup_all 2
scattered
backup_all 3

OUT=$ROOT/bench/results/postgres-$(date +%F).md
{
  echo "# PostgreSQL dumps: how a day's changes deduplicate ($(date +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(lscpu | sed -n 's/^Model name: *//p')."
  echo "PostgreSQL $(command psql -XAtc 'SHOW server_version' -d spse); $(restic version | cut -d' ' -f1-2); $(borg --version); Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "Database: $ROWS rows in 3 tables (SPSE-like), pg_dump -Fc -Z0 size $DUMP bytes. Day 2: 1% of rows changed"
  echo "as SPSE changes them (0.5% new rows, 0.3% recent rows updated, 0.2% oldest log rows deleted)."
  echo "Day 3: 1% of the rows of two tables updated at random (worst case). restic and Borg get"
  echo "pg_dump's custom format uncompressed on standard input (Borg compresses with zstd,3); Penjaga's"
  echo "postgresql source dumps each table with COPY ordered by primary key (its snapshot layout)."
  echo
  echo "| tool | repo after day 1 | day-2 growth | day-2 growth % | day-3 growth | day-3 growth % | time day 1 s | time day 2 s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in penjaga restic borg; do
    g2=$(( ${S[$t,2]} - ${S[$t,1]} )); g3=$(( ${S[$t,3]} - ${S[$t,2]} ))
    printf '| %s | %d | %d | %.2f%% | %d | %.2f%% | %.1f | %.1f |\n' "$t" "${S[$t,1]}" "$g2" \
      "$(echo "100 * $g2 / ${S[$t,1]}" | bc -l)" "$g3" "$(echo "100 * $g3 / ${S[$t,2]}" | bc -l)" "${T[$t,1]}" "${T[$t,2]}"
  done
} | tee "$OUT"
