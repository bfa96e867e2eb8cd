#!/usr/bin/env bash
# Directory lookups: sealpost-keydir against nginx serving the same answers as static files, both
# measured with wrk over keep-alive connections on loopback in the same run, for the SQLite and
# the PostgreSQL back end.
#
# For each back end: load COUNT certificates (sealpost-bench-keydir-load: one test CA, one leaf
# key, one certificate per address), start sealpost-keydir on it, fetch the answers for HOT
# addresses from it and write them as files under the same paths for nginx, then run wrk with
# random paths from that set against both. A third run sends sealpost-keydir random lookups over
# COLD addresses, so most of them miss its short response cache and go to the database.
#
# Prints a Markdown table on standard output (requests/s, p50/p99 latency from wrk --latency,
# peak RSS of the server processes, and keydir's throughput as a ratio of nginx's); progress on
# standard error. PostgreSQL runs in a throwaway instance (tests/server/keydir/store/postgres.sh,
# needs root or the postgres user); without it only SQLite is measured.
#
# Usage: bench/keydir-lookup.sh [-h]
# Environment (defaults in brackets):
#   BUILD          build directory with sealpost-keydir and the loader [build-bench]
#   COUNT          certificates loaded [1000000]
#   HOT            addresses in the shared nginx/keydir set [10000]
#   COLD           addresses in the keydir-only cache-miss run [200000]
#   DURATION       seconds per wrk run [20]
#   CONNECTIONS    wrk keep-alive connections [64]
#   THREADS        server threads and nginx workers [2]
#   BACKENDS       which back ends [sqlite postgresql]
#   KEEP_WORKDIR   1: keep the temp directory [0]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
COUNT=${COUNT:-1000000}
HOT=${HOT:-10000}
COLD=${COLD:-200000}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-sqlite postgresql}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
KEYDIR=$BUILD/app/keydir/sealpost-keydir
LOADER=$BUILD/bench/sealpost-bench-keydir-load
for tool in "$KEYDIR" "$LOADER"; do
    [[ -x $tool ]] || { echo "error: $tool is missing (build sealpost-keydir and sealpost-bench-keydir-load)" >&2; exit 2; }
done
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "error: $tool is not installed" >&2; exit 2; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
(( HOT <= COLD && COLD <= COUNT )) || { echo "error: need HOT <= COLD <= COUNT" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-keydir-bench.XXXXXX")
chmod 755 "$W"
KEYDIR_PID=""
NGINX_PID=""
stop_servers() {
    [[ -n $KEYDIR_PID ]] && { kill "$KEYDIR_PID" 2>/dev/null; wait "$KEYDIR_PID" 2>/dev/null || true; }
    [[ -n $NGINX_PID ]] && { kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; }
    KEYDIR_PID=""
    NGINX_PID=""
}
cleanup() {
    stop_servers
    "$ROOT/tests/server/keydir/store/postgres.sh" stop "$W/pg" >/dev/null 2>&1 || true
    [[ $KEEP_WORKDIR == 1 ]] || rm -rf "$W"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Peak resident set (VmHWM) in MiB over the given pids.
peak_mib() {
    local total=0 kb
    for pid in "$@"; do
        kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo $((total / 1024))
}

cat >"$W/paths.lua" <<'LUA'
local paths = {}
function init(args)
    for line in io.lines(args[1]) do
        paths[#paths + 1] = "/v1/certs/sha256/" .. line
    end
    math.randomseed(os.time() + #paths + math.floor(os.clock() * 1e6))
end
function request()
    return wrk.format("GET", paths[math.random(#paths)])
end
LUA

# wrk's summary as "requests/s p50_ms p99_ms non2xx".
run_wrk() {
    local url=$1 list=$2 out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$W/paths.lua" "$url" -- "$list")
    echo "$out" >>"$W/wrk.log"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        END { printf "%d %.2f %.2f %d\n", rps, p50, p99, bad + 0 }' <<<"$out"
}

start_keydir() {
    local url=$1 port
    port=$(free_port)
    "$KEYDIR" --listen "127.0.0.1:$port" --database "$url" --trust-anchors "$W/ca.pem" --threads "$THREADS" \
        --rate-client 1000000000/1000000000 --rate-address 1000000000/1000000000 >"$W/keydir.log" 2>&1 &
    KEYDIR_PID=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && { echo "$port"; return 0; }
        sleep 0.1
    done
    echo "error: sealpost-keydir did not start:" >&2
    cat "$W/keydir.log" >&2
    exit 1
}

start_nginx() {
    local port
    port=$(free_port)
    mkdir -p "$W/nginx"
    cat >"$W/nginx/nginx.conf" <<EOF
worker_processes $THREADS;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log $W/nginx/access.log;
    client_body_temp_path $W/nginx/tmp;
    proxy_temp_path $W/nginx/tmp;
    fastcgi_temp_path $W/nginx/tmp;
    uwsgi_temp_path $W/nginx/tmp;
    scgi_temp_path $W/nginx/tmp;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        root $W/static;
        default_type application/json;
        etag on;
        location /v1/certs/sha256/ { add_header Cache-Control "public, max-age=3600"; }
    }
}
EOF
    "$NGINX" -c "$W/nginx/nginx.conf" -p "$W/nginx" &
    NGINX_PID=$!
    for _ in $(seq 1 50); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/v1/certs/sha256/$(head -n1 "$W/hot")" && { echo "$port"; return 0; }
        sleep 0.1
    done
    echo "error: nginx did not start:" >&2
    cat "$W/nginx/error.log" >&2
    exit 1
}

declare -A urls
for backend in $BACKENDS; do
    case $backend in
    sqlite) urls[$backend]="sqlite:$W/keydir.sqlite" ;;
    postgresql)
        mkdir -p "$W/pg"
        if ! "$ROOT/tests/server/keydir/store/postgres.sh" start "$W/pg" >&2; then
            echo "PostgreSQL could not be started here: skipped" >&2
            continue
        fi
        # shellcheck disable=SC1091
        source "$W/pg/env"
        urls[$backend]=$PG_URL
        ;;
    *) echo "error: unknown back end $backend" >&2; exit 2 ;;
    esac
done
(( ${#urls[@]} > 0 )) || { echo "error: no back end to measure" >&2; exit 1; }
echo "== loading $COUNT certificates into: ${!urls[*]} ..." >&2
start=$(date +%s)
"$LOADER" "$COUNT" "$W/ca.pem" "$W/cold" "$COLD" "${urls[@]}"
load_seconds=$(( $(date +%s) - start ))
echo "loaded in $load_seconds s" >&2
head -n "$HOT" "$W/cold" >"$W/hot"

rows=()
for backend in $BACKENDS; do
    [[ -n ${urls[$backend]:-} ]] || continue
    url=${urls[$backend]}
    echo "== $backend" >&2
    port=$(start_keydir "$url")
    echo "fetching the $HOT answers for nginx ..." >&2
    rm -rf "$W/static"
    mkdir -p "$W/static/v1/certs/sha256"
    while read -r h; do
        printf 'url = "http://127.0.0.1:%s/v1/certs/sha256/%s"\noutput = "%s/static/v1/certs/sha256/%s"\n' \
            "$port" "$h" "$W" "$h"
    done <"$W/hot" >"$W/curl.cfg"
    curl -fsS -K "$W/curl.cfg"
    [[ $(find "$W/static/v1/certs/sha256" -type f | wc -l) -eq $HOT ]] || { echo "error: not every answer was fetched" >&2; exit 1; }

    echo "wrk: sealpost-keydir, $HOT addresses ..." >&2
    read -r k_rps k_p50 k_p99 k_bad < <(run_wrk "http://127.0.0.1:$port" "$W/hot")
    echo "wrk: sealpost-keydir, $COLD addresses (cache misses) ..." >&2
    read -r c_rps c_p50 c_p99 c_bad < <(run_wrk "http://127.0.0.1:$port" "$W/cold")
    k_mem=$(peak_mib "$KEYDIR_PID")
    stop_servers

    port=$(start_nginx)
    echo "wrk: nginx, $HOT addresses ..." >&2
    read -r n_rps n_p50 n_p99 n_bad < <(run_wrk "http://127.0.0.1:$port" "$W/hot")
    mapfile -t workers < <(pgrep -P "$NGINX_PID" || true)
    n_mem=$(peak_mib "$NGINX_PID" "${workers[@]}")
    stop_servers
    (( k_bad + c_bad + n_bad == 0 )) || { echo "error: non-2xx answers during the runs (see $W/wrk.log)" >&2; KEEP_WORKDIR=1; exit 1; }

    ratio=$(awk -v a="$k_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
    rows+=("| $backend | sealpost-keydir, $HOT addresses | $k_rps | $k_p50 | $k_p99 | $k_mem | ${ratio}x |")
    rows+=("| $backend | sealpost-keydir, $COLD addresses | $c_rps | $c_p50 | $c_p99 | $k_mem | |")
    rows+=("| $backend | nginx, same $HOT answers as files | $n_rps | $n_p50 | $n_p99 | $n_mem | 1.00x |")
done

echo "Directory lookups: $COUNT certificates loaded (in $load_seconds s, both back ends); wrk -t2 -c$CONNECTIONS -d${DURATION}s on loopback; $THREADS server threads / nginx workers; $(nproc) cores"
echo
echo "| back end | server | requests/s | p50 ms | p99 ms | peak RSS MiB | vs nginx |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
