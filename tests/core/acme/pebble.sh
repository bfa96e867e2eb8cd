#!/usr/bin/env bash
# A throwaway Pebble (Let's Encrypt's ACME test server, Debian package `pebble`) for the ACME
# client's integration tests: HTTPS on loopback with a fresh localhost certificate from a fresh
# test CA (openssl), random free ports for ACME, the management interface and the (unused)
# validation ports, and PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 so challenges validate at
# once. Pebble's other variables (PEBBLE_WFE_NONCEREJECT, PEBBLE_ALTERNATE_ROOTS,
# PEBBLE_CHAIN_LENGTH, ...) are passed through from the caller's environment.
#
# Usage: pebble.sh start|stop|env DIR
#   start DIR   create DIR, start Pebble, wait until its directory answers, write DIR/env and
#               print the directory URL
#   stop DIR    stop the Pebble of DIR (idempotent)
#   env DIR     print DIR/env (PEBBLE_DIRECTORY_URL, PEBBLE_MANAGEMENT_URL, PEBBLE_CA_FILE, ...;
#               sourceable by sh)
# Exits 77 (skip) when pebble, openssl, curl or python3 is missing. PEBBLE_BIN overrides the binary.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
me="pebble.sh"
timeout_s=${PEBBLE_FIXTURE_TIMEOUT:-30}
started= # set once start has completed; the EXIT trap cleans up otherwise

die() {
    echo "$me: $*" >&2
    exit 1
}

skip() {
    echo "$me: SKIP: $*" >&2
    exit 77
}

resolve_dir() {
    case $dir in
        /*) ;;
        *) dir=$PWD/$dir ;;
    esac
    dir=${dir%/}
}

find_pebble() {
    local bin=${PEBBLE_BIN:-$(command -v pebble 2>/dev/null || true)}
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        skip "the pebble binary was not found (Debian: package pebble)"
    fi
    echo "$bin"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A test CA and a certificate for localhost/127.0.0.1 issued by it; only DIR/ca.pem leaves DIR.
make_tls() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=Sealpost Pebble fixture test CA" -keyout "$dir/tls/ca.key" -out "$dir/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$dir/tls/key.pem" -out "$dir/tls/req.pem" 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
        "extendedKeyUsage=serverAuth" >"$dir/tls/ext.cnf"
    openssl x509 -req -in "$dir/tls/req.pem" -CA "$dir/ca.pem" -CAkey "$dir/tls/ca.key" -CAcreateserial \
        -days 2 -extfile "$dir/tls/ext.cnf" -out "$dir/tls/cert.pem" 2>/dev/null
    rm -f "$dir/tls/ca.key" "$dir/tls/req.pem"
}

# True while the process recorded in DIR/pebble.pid runs and is still a pebble (a recycled pid of
# another program is never signalled).
pid_alive() {
    [ -f "$dir/pebble.pid" ] || return 1
    local pid
    pid=$(cat "$dir/pebble.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    case $(ps -p "$pid" -o comm= 2>/dev/null) in
        pebble*) return 0 ;;
        *) return 1 ;;
    esac
}

stop_server() {
    pid_alive || return 0
    local pid
    pid=$(cat "$dir/pebble.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        pid_alive || break
        sleep 0.1
    done
    ! pid_alive || kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/pebble.pid"
}

show_log() {
    [ -s "$dir/pebble.log" ] || return 0
    echo "----- $dir/pebble.log" >&2
    tail -n 40 "$dir/pebble.log" >&2
}

start() {
    local bin port mport hport tport attempt up
    bin=$(find_pebble)
    for tool in openssl curl python3; do
        command -v "$tool" >/dev/null || skip "$tool missing"
    done
    [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    mkdir -p "$dir/tls"
    chmod 700 "$dir"
    # shellcheck disable=SC2154 # status is assigned inside the trap
    trap 'status=$?; [ -n "$started" ] || { stop_server; show_log; }; exit $status' EXIT
    make_tls
    # A port is free when picked but bound only later: another fixture may take it first.
    for attempt in 1 2 3; do
        port=$(free_port)
        mport=$(free_port)
        hport=$(free_port)
        tport=$(free_port)
        cat >"$dir/config.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mport",
    "certificate": "$dir/tls/cert.pem",
    "privateKey": "$dir/tls/key.pem",
    "httpPort": $hport,
    "tlsPort": $tport,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON
        (cd "$dir" && PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 exec "$bin" -config "$dir/config.json" -strict=false \
            </dev/null >"$dir/pebble.log" 2>&1) &
        echo $! >"$dir/pebble.pid"
        up=
        for _ in $(seq 1 $((timeout_s * 10))); do
            pid_alive || break
            if curl -fsS --cacert "$dir/ca.pem" -o /dev/null "https://127.0.0.1:$port/dir" 2>/dev/null &&
                curl -fsS --cacert "$dir/ca.pem" -o /dev/null "https://127.0.0.1:$mport/roots/0" 2>/dev/null; then
                up=1
                break
            fi
            sleep 0.1
        done
        [ -z "$up" ] || break
        stop_server
        if [ "$attempt" -lt 3 ] && grep -qs "address already in use" "$dir/pebble.log"; then
            echo "$me: a port was taken meanwhile, retrying with others" >&2
            continue
        fi
        die "pebble did not start"
    done
    {
        echo "# Sourced by tests; written by tests/core/acme/pebble.sh start."
        printf 'PEBBLE_FIXTURE_DIR=%q\n' "$dir"
        echo "PEBBLE_DIRECTORY_URL=https://127.0.0.1:$port/dir"
        echo "PEBBLE_MANAGEMENT_URL=https://127.0.0.1:$mport"
        printf 'PEBBLE_CA_FILE=%q\n' "$dir/ca.pem"
        echo "PEBBLE_PID=$(cat "$dir/pebble.pid")"
    } >"$dir/env.tmp"
    mv "$dir/env.tmp" "$dir/env"
    started=1
    echo "https://127.0.0.1:$port/dir"
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
