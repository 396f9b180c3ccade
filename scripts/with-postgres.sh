#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then remove the cluster.
#
#   scripts/with-postgres.sh <command> [args...]
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port and on a private
# unix socket, and is stopped and deleted when the command ends (success, failure or Ctrl+C).
# The command sees DATABASE_URL=postgres://egov:<random>@127.0.0.1:<port>/egov; the role egov may
# create databases, which pytest-django needs for test_egov.
#
# initdb refuses to run as root, so as root the cluster belongs to the "postgres" system user
# (created by Debian's postgresql package) or, failing that, to a system user "egov-pg" made here.
#
# Environment:
#   EGOV_PG_BINDIR            where initdb/pg_ctl/psql live (default: newest /usr/lib/postgresql/*/bin)
#   EGOV_TEST_DATABASE_URL    use this existing server instead of starting one
#   EGOV_PG_DURABLE=1         for benchmarks: fsync, synchronous_commit and full_page_writes stay on (a
#                             commit is on disk before it is acknowledged) and the memory settings of the
#                             reference machine are used (shared/reference/performance.md §3b); the
#                             command then connects over the unix socket, as an application on the
#                             database's own host would. Without it the cluster trades durability for
#                             test speed.
#   EGOV_PG_EXTRA_SETTINGS    more server settings for an experiment, e.g. "-c commit_delay=500"
set -euo pipefail

if [ $# -eq 0 ]; then
    sed -n '2,17p' "$0" >&2
    exit 2
fi

if [ -n "${EGOV_TEST_DATABASE_URL:-}" ]; then
    export DATABASE_URL="$EGOV_TEST_DATABASE_URL"
    exec "$@"
fi

find_bindir() {
    if [ -n "${EGOV_PG_BINDIR:-}" ]; then
        echo "$EGOV_PG_BINDIR"
        return
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
        return
    fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return
    fi
    echo "with-postgres: PostgreSQL server binaries not found (initdb, pg_ctl)." >&2
    echo "with-postgres: install them with 'sudo apt-get install postgresql' or 'scripts/system-deps.sh --postgres'." >&2
    exit 3
}

BINDIR=$(find_bindir)
PYTHON=${PYTHON:-python3}

# As root, every server command runs as an unprivileged user.
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    pg_user=postgres
    if ! id "$pg_user" >/dev/null 2>&1; then
        pg_user=egov-pg
        id "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
    fi
    RUN_AS=(runuser -u "$pg_user" --)
fi

WORK=$(mktemp -d /tmp/egov-pg.XXXXXXXX)
chmod 700 "$WORK"
[ ${#RUN_AS[@]} -eq 0 ] || chown "$pg_user" "$WORK"
mkdir_as() { "${RUN_AS[@]}" mkdir -p "$@"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -f "$WORK/data/postmaster.pid" ]; then
        (cd "$WORK" && "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
SUPER_PASSWORD=$(random_hex)
APP_PASSWORD=$(random_hex)

cd "$WORK"
mkdir_as "$WORK/socket"
printf '%s\n' "$SUPER_PASSWORD" | "${RUN_AS[@]}" tee "$WORK/pwfile" >/dev/null
locale_args=(--locale=C.UTF-8)
"${RUN_AS[@]}" "$BINDIR/initdb" --pgdata="$WORK/data" --username=postgres --pwfile="$WORK/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 "${locale_args[@]}" --no-sync \
    >"$WORK/initdb.log" 2>&1 || {
    # Some minimal systems lack the C.UTF-8 locale; the C locale with UTF-8 encoding always works.
    rm -rf "$WORK/data"
    "${RUN_AS[@]}" "$BINDIR/initdb" --pgdata="$WORK/data" --username=postgres --pwfile="$WORK/pwfile" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --no-locale --no-sync \
        >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Durability is pointless for a cluster deleted after the run; turning it off makes tests faster. A
# benchmark measures what production pays: every commit flushed to disk.
if [ "${EGOV_PG_DURABLE:-0}" = 1 ]; then
    server_settings="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=4GB -c work_mem=64MB -c max_parallel_workers_per_gather=2 -c max_connections=200 ${EGOV_PG_EXTRA_SETTINGS:-}"
else
    server_settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
started=0
for _ in 1 2 3; do
    PORT=$(free_port)
    if "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$WORK/socket $server_settings" \
        start >/dev/null; then
        started=1
        break
    fi
done
if [ "$started" != 1 ]; then
    echo "with-postgres: the server did not start; its log:" >&2
    cat "$WORK/server.log" >&2 || true
    exit 1
fi

PGPASSWORD="$SUPER_PASSWORD" "${RUN_AS[@]}" "$BINDIR/psql" -q -X -v ON_ERROR_STOP=1 -h "$WORK/socket" -p "$PORT" \
    -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE egov LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
CREATE DATABASE egov OWNER egov;
SQL
# Benchmarks flush a bulk load's dirty pages (CHECKPOINT) before they measure; PostgreSQL 15 has a role for it.
PGPASSWORD="$SUPER_PASSWORD" "${RUN_AS[@]}" "$BINDIR/psql" -q -X -h "$WORK/socket" -p "$PORT" -U postgres \
    -d postgres -c "GRANT pg_checkpoint TO egov" >/dev/null 2>&1 || true

version=$("$BINDIR/postgres" --version | awk '{print $3}')
if [ "${EGOV_PG_DURABLE:-0}" = 1 ]; then
    socket_dir=$("$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$WORK/socket")
    export DATABASE_URL="postgres://egov:$APP_PASSWORD@$socket_dir:$PORT/egov"
    # The socket's directory must be reachable by the command's user (root runs the command here).
    chmod 755 "$WORK"
    echo "with-postgres: PostgreSQL $version, durable (fsync on), on the unix socket in $WORK/socket (throwaway, removed at exit)"
else
    export DATABASE_URL="postgres://egov:$APP_PASSWORD@127.0.0.1:$PORT/egov"
    echo "with-postgres: PostgreSQL $version on 127.0.0.1:$PORT (throwaway, removed at exit)"
fi

cd "$OLDPWD"
set +e
"$@"
rc=$?
set -e
exit "$rc"
