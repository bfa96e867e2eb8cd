#!/usr/bin/env bash
# A throwaway PostgreSQL server for the directory's storage tests: its own cluster (initdb) in
# DIR, listening on a free loopback TCP port with its Unix socket inside DIR, password
# authentication, and one empty database. The system's own clusters, configuration and services
# are neither used nor modified.
#
# Usage: postgres.sh start|stop|env DIR
#   start DIR   create the cluster, start the server, create the database, write DIR/env and
#               print the connection URL
#   stop DIR    stop the server of DIR (idempotent)
#   env DIR     print DIR/env (PG_URL, PG_PORT, ...; sourceable by sh)
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user (DIR
# then belongs to it). Exits 77 (skip) when the server binaries or that user are missing.
# PG_BINDIR overrides where initdb, pg_ctl and psql are looked for.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
me="postgres.sh"
timeout_s=${PG_FIXTURE_TIMEOUT:-30}
user=keydir
started= # set once start has completed; the EXIT trap cleans up otherwise
database=keydir_test

die() {
    echo "$me: $*" >&2
    exit 1
}

skip() {
    echo "$me: SKIP: $*" >&2
    exit 77
}

# Never aim at the system's cluster through the caller's environment.
unset PGHOST PGHOSTADDR PGPORT PGDATA PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGPASSFILE PGOPTIONS

find_bindir() {
    local d
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] || skip "no initdb in PG_BINDIR=$PG_BINDIR"
        echo "$PG_BINDIR"
        return 0
    fi
    # Debian keeps the server binaries out of PATH, one directory per major version.
    local candidates=()
    mapfile -t candidates < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV)
    candidates+=("$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")")
    for d in "${candidates[@]}"; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ]; then
            echo "$d"
            return 0
        fi
    done
    skip "PostgreSQL server binaries (initdb, pg_ctl) not found (Debian: package postgresql)"
}

# Runs a server binary as the user that owns the cluster.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

check_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    getent passwd postgres >/dev/null || skip "running as root and there is no 'postgres' system user to run the server as"
    command -v runuser >/dev/null || skip "running as root and runuser is missing"
}

resolve_dir() {
    case $dir in
        /*) ;;
        *) dir=$PWD/$dir ;;
    esac
    dir=${dir%/}
}

# Creates DIR; as root, hands it to postgres and makes sure that user can reach it.
make_dir() {
    [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] || return 0
    chown postgres: "$dir"
    # Every ancestor must be searchable by postgres. Directories below the temp directory (e.g. a
    # test's 0700 mktemp -d) get o+x (search, not listing); anything else is an error.
    local d=$dir tmp
    tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        case $(stat -c %A "$d") in *x | *t) continue ;; esac
        case $(cd "$d" && pwd -P)/ in
            "$tmp"/?*) chmod o+x "$d" ;;
            *) die "$d is not searchable by other users; the postgres user could not reach $dir" ;;
        esac
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

show_log() {
    [ -s "$dir/server.log" ] || return 0
    echo "----- $dir/server.log" >&2
    tail -n 40 "$dir/server.log" >&2
}

stop_server() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    local bindir
    bindir=$(find_bindir)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t "$timeout_s" stop >/dev/null 2>&1 ||
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t "$timeout_s" stop >/dev/null 2>&1 || true
}

start() {
    local bindir password port attempt
    bindir=$(find_bindir)
    check_user
    command -v python3 >/dev/null || skip "python3 missing (used to pick a free port)"
    make_dir
    # A start that fails half-way leaves no server behind.
    # shellcheck disable=SC2154 # status is assigned inside the trap
    trap 'status=$?; [ -n "$started" ] || { stop_server; show_log; }; exit $status' EXIT
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/pwfile"
    mkdir -p "$dir/run"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pwfile" "$dir/run"
    chmod 600 "$dir/pwfile"
    as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/pwfile"
    # The port is free when picked but bound only later: another fixture may take it first.
    for attempt in 1 2 3; do
        port=$(free_port)
        # Durability settings off: the cluster is thrown away after the test.
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$timeout_s" \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
            start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        if [ "$attempt" -lt 3 ] && grep -qs "could not bind\|Address already in use" "$dir/server.log"; then
            echo "$me: port $port was taken meanwhile, retrying with another" >&2
            stop_server
            continue
        fi
        cat "$dir/pg_ctl.log" >&2
        die "the server did not start"
    done
    PGPASSWORD=$password "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE DATABASE $database" >"$dir/createdb.log" 2>&1 || { cat "$dir/createdb.log" >&2; die "could not create the database"; }
    local url="postgresql://$user:$password@127.0.0.1:$port/$database"
    {
        echo "# Sourced by tests; written by tests/server/keydir/store/postgres.sh start."
        printf 'PG_DIR=%q\n' "$dir"
        echo "PG_HOST=127.0.0.1"
        echo "PG_PORT=$port"
        echo "PG_USER=$user"
        echo "PG_PASSWORD=$password"
        echo "PG_DATABASE=$database"
        echo "PG_URL=$url"
    } >"$dir/env.tmp"
    mv "$dir/env.tmp" "$dir/env"
    started=1
    echo "$url"
}

resolve_dir
case $cmd in
    start) start ;;
    stop)
        [ -d "$dir" ] || exit 0
        stop_server
        ;;
    env)
        [ -r "$dir/env" ] || die "$dir is not a running fixture (no env)"
        cat "$dir/env"
        ;;
    *) usage ;;
esac
