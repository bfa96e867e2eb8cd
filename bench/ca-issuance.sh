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
# Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 (http-01
# challenges are POSTed and always valid, no random nonce rejections).
#
# Prints a Markdown table on standard output; progress on standard error.
#
# Usage: bench/ca-issuance.sh [-h]
# Environment (defaults in brackets):
#   BUILD           build directory with sealpost-bench-ca-issuance [build-bench]
#   ACCOUNTS        accounts, one order each [1000]; e.g. ACCOUNTS=100 for a quick run
#   THREADS         client threads [64]
#   SERVER_THREADS  sealpost-ca's HTTP server threads [2]
#   POLL_MS         the client's poll interval (caps Retry-After for both) [5]
#   TRANSPORT       keepalive (one connection per client thread, reused) or curl (the project's
#                   CurlTransport: a new connection and TLS handshake per request) [keepalive]
#   RUN_TIMEOUT     seconds one driver run may take; on expiry Pebble is asked for its goroutine
#                   stacks (SIGQUIT, into its log) and the temp dir is kept [600]
#   PERF            1: also record sealpost-ca (HTTP) under perf and print the top symbols [0]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
ACCOUNTS=${ACCOUNTS:-1000}
THREADS=${THREADS:-64}
SERVER_THREADS=${SERVER_THREADS:-2}
POLL_MS=${POLL_MS:-5}
TRANSPORT=${TRANSPORT:-keepalive}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
PERF=${PERF:-0}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
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
echo "== starting Pebble ..." >&2
PEBBLE_WFE_NONCEREJECT=0 PEBBLE_WFE_AUTHZREUSE=0 "$PEBBLE_SH" start "$W/pebble" >/dev/null
# shellcheck disable=SC1091
source "$W/pebble/env"
common=(--accounts "$ACCOUNTS" --threads "$THREADS" --poll-ms "$POLL_MS" --transport "$TRANSPORT")

# One driver run; its RESULT line goes to $W/<name>.result.
run() {
    local name=$1
    shift
    echo "== $name ..." >&2
    local status=0
    timeout "$RUN_TIMEOUT" "$DRIVER" "$@" "${common[@]}" >"$W/$name.result" || status=$?
    cat "$W/$name.result" >&2
    if ((status != 0)); then
        echo "error: $name failed (exit $status; 124: timed out after $RUN_TIMEOUT s)" >&2
        KEEP=1
        kill -QUIT "$PEBBLE_PID" 2>/dev/null || true
        sleep 1
        exit 1
    fi
}
field() { # field NAME KEY
    sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" "$W/$1.result"
}

run pebble --target pebble --directory "$PEBBLE_DIRECTORY_URL" --ca-file "$PEBBLE_CA_FILE" --server-pid "$PEBBLE_PID"
run sealpost-https --target sealpost --server-threads "$SERVER_THREADS" --tls-cert "$PEBBLE_FIXTURE_DIR/tls/cert.pem" \
    --tls-key "$PEBBLE_FIXTURE_DIR/tls/key.pem" --ca-file "$PEBBLE_CA_FILE"
run sealpost-http --target sealpost --server-threads "$SERVER_THREADS"
if [[ $PERF == 1 ]]; then
    echo "== perf record: sealpost-ca over HTTP ..." >&2
    perf record -g -o "$W/perf.data" -- "$DRIVER" --target sealpost --server-threads "$SERVER_THREADS" "${common[@]}" \
        >/dev/null 2>&1
    perf report -i "$W/perf.data" --no-children --sort comm,dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' |
        head -n 25 >&2
    perf report -i "$W/perf.data" --no-children --comm sealpost-bench- --sort sym --stdio -g none 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -n 40 >&2
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pebble_rate=$(field pebble orders_per_s)
echo "CA issuance: $ACCOUNTS accounts, one order each, $THREADS client threads ($TRANSPORT transport); sealpost-ca with $SERVER_THREADS server threads; poll every $POLL_MS ms; $(nproc) cores"
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
echo "| target | account | order+authz | challenge until ready | finalize until valid | download | issuer (sign) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for name in sealpost-https sealpost-http pebble; do
    echo "| $name | $(field $name account_ms) | $(field $name order_ms) | $(field $name challenge_ms) |" \
        "$(field $name finalize_ms) | $(field $name download_ms) | $(field $name issue_ms) |"
done
