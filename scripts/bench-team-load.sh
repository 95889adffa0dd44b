#!/usr/bin/env bash
# The team server under load (issue 17): 50 simulated desks on loopback, each making 200
# catalog changes with idempotency keys while pulling the change feed, the server killed
# with SIGKILL twice on the way; then every desk must hold the server's state, no change lost
# or applied twice. Prints p50/p99 write and propagation latency and the server's CPU and
# peak memory. A benchmark, not a test: not run by CI.
#
#   scripts/bench-team-load.sh [DESKS] [CHANGES_PER_DESK]      (default 50 200)
#
# PostgreSQL (Debian's) runs as the postgres user in a temporary folder, fsync on.
set -euo pipefail
desks=${1:-50}
changes=${2:-200}
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
echo "building the release server ..." >&2
cargo build -q --release -p anchordesk-server
server_bin="$root/target/release/anchordesk-server"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/anchordesk-load-XXXX)
chown -R postgres:postgres "$work"
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/data" -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200" -l "$work/postgres.log" -w start >/dev/null
stop_pg() { as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap stop_pg EXIT
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres anchordesk
url="postgres://postgres@127.0.0.1:$pg_port/anchordesk"
password=$("$server_bin" admin create-org 负载测试 --owner load@example.cn --database-url "$url" | sed -n 's/^one-time password: //p')
SERVER_BIN="$server_bin" DATABASE_URL="$url" OWNER_EMAIL=load@example.cn OWNER_PASSWORD="$password" \
  node scripts/bench-team-load.mjs "$desks" "$changes"
