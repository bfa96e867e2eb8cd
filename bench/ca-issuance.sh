#!/usr/bin/env bash
# CA issuance throughput: sealpost-ca's ACME stack against Pebble (Let's Encrypt's test ACME
# server) in the same run, with the same client (sealpost-bench-ca-issuance: the project's
# AcmeClient over libcurl), the same number of accounts and the same number of client threads.
# Each account goes once through the whole flow: directory, newAccount, newOrder, authorization,
# challenge, poll until ready, finalize, poll until valid, download. Keys and CSRs are made
# before timing.
#
# sealpost-ca runs in-process (HttpServer + AcmeServer + CertificateIssuer + SqliteAcmeStore) with
# the challenge mailbox replaced: every challenge mail is answered at once through
# AcmeServer::acceptReply, so mail round trips (seconds to minutes, set by people and mail servers,
# not by the CA) are excluded. It is measured twice: over HTTPS with Pebble's certificate (the
# like-for-like row, as Pebble only speaks HTTPS) and over plain HTTP (as behind a TLS proxy).
# Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0
# PEBBLE_WFE_AUTHZREUSE=0 (http-01 challenges are POSTed and always valid, no random nonce
# rejections, no authorization reuse: every account has its own name anyway).
#
# Prints a Markdown table on standard output; progress on standard error.
#
# Usage: bench/ca-issuance.sh [-h]
# Environment (defaults in brackets):
#   BUILD           build directory with sealpost-bench-ca-issuance [build-bench]
#   ACCOUNTS        accounts, one order each [1000]; e.g. ACCOUNTS=100 for a quick run
#   THREADS         client threads [8]; Pebble 2.4 deadlocks often at 16 and more, see PEBBLE_ATTEMPTS
#   SERVER_THREADS  sealpost-ca's HTTP server threads [2]
#   POLL_MS         the client's poll interval (caps Retry-After for both) [5]
#   TRANSPORT       keepalive (one connection per client thread, reused) or curl (the project's
#                   CurlTransport, which also keeps its connection now) [keepalive]
#   RUN_TIMEOUT     seconds one driver run may take [120]
#   PEBBLE_ATTEMPTS Pebble 2.4 can deadlock under concurrent issuance (lock-order inversion in its
#                   memory store); a Pebble run that times out is retried with a fresh Pebble up
#                   to this many times in all, and counted in the output [3]
#   PERF            1: also record sealpost-ca (HTTP) under perf and print its CPU by thread and library [0]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
ACCOUNTS=${ACCOUNTS:-1000}
THREADS=${THREADS:-8}
SERVER_THREADS=${SERVER_THREADS:-2}
POLL_MS=${POLL_MS:-5}
TRANSPORT=${TRANSPORT:-keepalive}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
PEBBLE_ATTEMPTS=${PEBBLE_ATTEMPTS:-3}
PERF=${PERF:-0}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
DRIVER=$BUILD/bench/sealpost-bench-ca-issuance
[[ -x $DRIVER ]] || { echo "error: $DRIVER is missing (build sealpost-bench-ca-issuance)" >&2; exit 2; }
command -v pebble >/dev/null || { echo "error: pebble is not installed (Debian package pebble)" >&2; exit 2; }
PEBBLE_SH=$ROOT/tests/core/acme/pebble.sh

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-ca-bench.XXXXXX")
KEEP=0
cleanup() {
    "$PEBBLE_SH" stop "$W/pebble" >/dev/null 2>&1 || true
    if [[ $KEEP == 1 ]]; then
        echo "kept $W (Pebble's log with its goroutine stacks: $W/pebble/pebble.log)" >&2
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
start_pebble() { # DIR
    echo "== starting Pebble ..." >&2
    PEBBLE_WFE_NONCEREJECT=0 PEBBLE_WFE_AUTHZREUSE=0 "$PEBBLE_SH" start "$1" >/dev/null
    # shellcheck disable=SC1091
    source "$1/env"
}
common=(--accounts "$ACCOUNTS" --threads "$THREADS" --poll-ms "$POLL_MS" --transport "$TRANSPORT")

# One driver run; its RESULT line goes to $W/<name>.result. Returns the driver's status (124 when
# it timed out).
run() {
    local name=$1
    shift
    echo "== $name ..." >&2
    local status=0
    timeout "$RUN_TIMEOUT" "$DRIVER" "$@" "${common[@]}" >"$W/$name.result" || status=$?
    cat "$W/$name.result" >&2
    ((status == 0)) || echo "error: $name failed (exit $status; 124: timed out after $RUN_TIMEOUT s)" >&2
    return "$status"
}

pebble_deadlocks=0
for attempt in $(seq 1 "$PEBBLE_ATTEMPTS"); do
    start_pebble "$W/pebble"
    status=0
    run pebble --target pebble --directory "$PEBBLE_DIRECTORY_URL" --ca-file "$PEBBLE_CA_FILE" \
        --server-pid "$PEBBLE_PID" || status=$?
    ((status == 0)) && break
    KEEP=1
    if ((status == 124)); then
        # Pebble's goroutine stacks into its log, kept for inspection.
        kill -QUIT "$PEBBLE_PID" 2>/dev/null || true
        sleep 1
        pebble_deadlocks=$((pebble_deadlocks + 1))
    fi
    "$PEBBLE_SH" stop "$W/pebble" >/dev/null 2>&1 || true
    mv "$W/pebble" "$W/pebble-failed-$attempt"
    ((attempt < PEBBLE_ATTEMPTS)) || { echo "error: Pebble failed $attempt times" >&2; exit 1; }
done
field() { # field NAME KEY
    sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" "$W/$1.result"
}

run sealpost-https --target sealpost --server-threads "$SERVER_THREADS" --tls-cert "$PEBBLE_FIXTURE_DIR/tls/cert.pem" \
    --tls-key "$PEBBLE_FIXTURE_DIR/tls/key.pem" --ca-file "$PEBBLE_CA_FILE" || exit 1
run sealpost-http --target sealpost --server-threads "$SERVER_THREADS" || exit 1
if [[ $PERF == 1 ]]; then
    # Which threads and libraries the in-process run's CPU goes to, by thread id: bench-client
    # are the client threads; of the sealpost-bench- threads, the HttpServer's two carry the
    # server's work, the first (main) one the untimed set-up (Authority::init makes an RSA-3072
    # key, which dominates small runs).
    echo "== perf record: sealpost-ca over HTTP ..." >&2
    perf record -o "$W/perf.data" -- "$DRIVER" --target sealpost --server-threads "$SERVER_THREADS" "${common[@]}" \
        >/dev/null 2>&1 || true
    perf report -i "$W/perf.data" --sort pid,dso --stdio 2>/dev/null >"$W/perf.txt" || true
    grep -v '^#' "$W/perf.txt" | grep -v '^$' | head -n 12 >&2 || true
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pebble_rate=$(field pebble orders_per_s)
echo "CA issuance: $ACCOUNTS accounts, one order each, $THREADS client threads ($TRANSPORT transport); sealpost-ca with $SERVER_THREADS server threads; poll every $POLL_MS ms; $(nproc) cores; Pebble runs that deadlocked and were retried: $pebble_deadlocks"
echo
echo "| target | orders/s | vs Pebble | p50 ms | p90 ms | p99 ms | errors | server CPU ms/order | client CPU ms/order |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in sealpost-https sealpost-http pebble; do
    ratio=$(awk -v a="$(field $name orders_per_s)" -v b="$pebble_rate" 'BEGIN { printf "%.2f", a / b }')
    echo "| $name | $(field $name orders_per_s) | ${ratio}x | $(field $name p50_ms) | $(field $name p90_ms) |" \
        "$(field $name p99_ms) | $(field $name errors) | $(field $name server_cpu_ms) | $(field $name client_cpu_ms) |"
done
echo
echo "Client-measured time per order (ms, mean over orders; concurrent, so waiting for the server included):"
echo
echo "| target | account | order+authz | challenge until ready | finalize until valid | download | issuer CPU | reply CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in sealpost-https sealpost-http pebble; do
    echo "| $name | $(field $name account_ms) | $(field $name order_ms) | $(field $name challenge_ms) |" \
        "$(field $name finalize_ms) | $(field $name download_ms) | $(field $name issue_cpu_ms) | $(field $name reply_cpu_ms) |"
done
