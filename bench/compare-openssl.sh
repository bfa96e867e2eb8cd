#!/usr/bin/env bash
# Compares sealpost-cli with the `openssl cms` command line, end to end, on generated
# text/plain messages (CRLF) of 1 KiB, 1 MiB and 25 MiB:
#   sign+encrypt    sealpost-cli encrypt --key/--cert (signs, then encrypts)
#                   vs. openssl cms -sign, then openssl cms -encrypt (via a temp file)
#   decrypt+verify  sealpost-cli open
#                   vs. openssl cms -decrypt, then openssl cms -verify (via a temp file)
# for AES-256-GCM (AuthEnvelopedData) and AES-256-CBC (EnvelopedData). Decrypt+verify is
# measured on each tool's own output and, for fairness, with both tools opening the same
# message (once sealpost's, once openssl's). Signer and recipient: Alice (RSA 2048) from
# tests/data, verified against root-ca.cert.pem at 2026-06-01T00:00:00Z.
#
# Per case: median wall time of several runs (more runs for small messages), median CPU time
# (user + system, from `perf stat` when available: steadier than wall time on a shared
# machine), peak RSS (GNU time's %M, max resident set size) and the ratio sealpost/openssl
# for each. For
# openssl's two steps the times are added and the peak RSS is the larger of the two processes
# (they run one after the other). Prints a Markdown table on standard output; progress goes
# to standard error.
#
# Usage: bench/compare-openssl.sh [-h]
# Environment:
#   SEALPOST_CLI    sealpost-cli to test (default: build-bench/app/cli/sealpost-cli, see
#                   docs/performance.md for the build command)
#   SIZES           message sizes (default "1K 1M 25M"; K and M are binary units)
#   RUNS_1K RUNS_1M RUNS_25M   measured runs per case (defaults 15, 7, 3; other sizes: 5)
#   OPENSSL_STREAM  1 (default): openssl cms -encrypt/-sign with -stream (streaming, low
#                   memory, like sealpost); 0: openssl's default in-memory mode
#   KEEP_WORKDIR    1: keep the temp directory with the messages and outputs
#
# Needs GNU time at /usr/bin/time (Debian package "time": apt-get install time), awk, and
# openssl 3.0 or later. Runtime on 2 cores: about 2.5 minutes.

set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$REPO/tests/data"
CLI="${SEALPOST_CLI:-$REPO/build-bench/app/cli/sealpost-cli}"
SIZES="${SIZES:-1K 1M 25M}"
OPENSSL_STREAM="${OPENSSL_STREAM:-1}"
AT_RFC3339="2026-06-01T00:00:00Z"
AT_EPOCH=1780272000
TIME_BIN=/usr/bin/time

die() { echo "compare-openssl.sh: $*" >&2; exit 2; }
log() { echo "$*" >&2; }

# --- prerequisites --------------------------------------------------------------------------
if [[ ! -x "$TIME_BIN" ]] || ! "$TIME_BIN" -f %M -o /dev/null true 2>/dev/null; then
    die "GNU time is missing at $TIME_BIN (needed for peak RSS). On Debian: apt-get install time"
fi
[[ -x "$CLI" ]] || die "sealpost-cli not found at $CLI: build it (see docs/performance.md) or set SEALPOST_CLI"
command -v openssl >/dev/null || die "openssl is not installed"
command -v awk >/dev/null || die "awk is not installed"
case "$(openssl version)" in
    "OpenSSL 1."* | "OpenSSL 0."*) die "openssl 3.0 or later is needed (AES-GCM AuthEnvelopedData)" ;;
esac
[[ -n "${EPOCHREALTIME:-}" ]] || die "bash 5 is needed (EPOCHREALTIME)"
for f in alice.key.pem alice.cert.pem chain.pem root-ca.cert.pem; do
    [[ -f "$DATA/$f" ]] || die "missing test data $DATA/$f"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sealpost-compare.XXXXXX")"
cleanup() { if [[ "${KEEP_WORKDIR:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi; }
trap cleanup EXIT

STREAM_FLAG=()
[[ "$OPENSSL_STREAM" == 1 ]] && STREAM_FLAG=(-stream)

# --- messages --------------------------------------------------------------------------------
bytes_of() { # "1K" -> 1024, "25M" -> 26214400, "123" -> 123
    local s=$1
    case "$s" in
        *K) echo $(( ${s%K} * 1024 )) ;;
        *M) echo $(( ${s%M} * 1024 * 1024 )) ;;
        *) echo "$s" ;;
    esac
}

# A text/plain message of exactly $1 bytes: transport headers, then numbered 80-character
# lines of ASCII text, every line ending in CRLF.
make_message() {
    awk -v target="$1" 'BEGIN {
        h = "From: Alice Test <alice@example.org>\r\nTo: Alice Test <alice@example.org>\r\n" \
            "Subject: sealpost benchmark message\r\nDate: Thu, 15 Jan 2026 12:00:00 +0000\r\n" \
            "Message-ID: <bench@sealpost.test>\r\nMIME-Version: 1.0\r\n" \
            "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        printf "%s", h; n = length(h); i = 0
        while (n < target) {
            i++
            l = sprintf("%08d The quick brown fox jumps over the lazy dog; pack my box with five dozen", i)
            if (n + length(l) + 2 > target) { l = substr(l, 1, target - n - 2); if (l == "") l = "." }
            printf "%s\r\n", l; n += length(l) + 2
        }
    }' > "$2"
}

# --- measuring -------------------------------------------------------------------------------
# Every step adds its wall time to STEP_US and its CPU time (user + system, from `perf stat`
# task-clock; includes GNU time's own few hundred microseconds) to STEP_CPU_US, and raises
# STEP_RSS to its peak RSS (KiB). CPU time is the steadier figure on a busy machine.
STEP_US=0
STEP_CPU_US=0
STEP_RSS=0
now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }

HAVE_PERF=0
if command -v perf >/dev/null && perf stat "-x," -e task-clock -o /dev/null true >/dev/null 2>&1; then
    HAVE_PERF=1
fi

measure() { # command...; aborts the whole run on failure, showing its error output
    local t0 t1 rss cpu=0 wrap=()
    ((HAVE_PERF)) && wrap=(perf stat "-x," -e task-clock -o "$WORK/cpu")
    t0=$(now_us)
    if ! "${wrap[@]}" "$TIME_BIN" -f %M -o "$WORK/rss" "$@" >"$WORK/stdout" 2>"$WORK/stderr"; then
        log "FAILED: $*"
        cat "$WORK/stderr" >&2
        exit 1
    fi
    t1=$(now_us)
    rss=$(tail -n 1 "$WORK/rss")
    ((HAVE_PERF)) && cpu=$(awk -F, '$3 == "task-clock" { printf "%d", $1 * 1000 }' "$WORK/cpu")
    STEP_US=$((STEP_US + t1 - t0))
    STEP_CPU_US=$((STEP_CPU_US + ${cpu:-0}))
    ((rss > STEP_RSS)) && STEP_RSS=$rss
    return 0
}

# The four operations. $1 cipher (aes-256-gcm | aes-256-cbc), then input and output files.
sp_protect() {
    measure "$CLI" encrypt --to-cert "$DATA/alice.cert.pem" --cipher "$1" \
        --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --chain "$DATA/chain.pem" -i "$2" -o "$3"
}
ossl_protect() {
    measure openssl cms -sign -binary "${STREAM_FLAG[@]}" -in "$2" -signer "$DATA/alice.cert.pem" \
        -inkey "$DATA/alice.key.pem" -certfile "$DATA/chain.pem" -out "$WORK/ossl-signed.tmp"
    measure openssl cms -encrypt -binary "${STREAM_FLAG[@]}" "-$1" -in "$WORK/ossl-signed.tmp" -out "$3" \
        "$DATA/alice.cert.pem"
}
sp_open() { # $1 unused (the cipher comes from the message)
    measure "$CLI" open --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --trust "$DATA/root-ca.cert.pem" \
        --at "$AT_RFC3339" --json "$3.json" -i "$2" -o "$3"
}
ossl_open() {
    measure openssl cms -decrypt -binary -in "$2" -recip "$DATA/alice.cert.pem" -inkey "$DATA/alice.key.pem" \
        -out "$WORK/ossl-decrypted.tmp"
    # No -binary here: in binary mode openssl splits multipart/signed at LF only, so with
    # CRLF delimiters (as sealpost writes them) it keeps a stray CR and the digest fails.
    measure openssl cms -verify -in "$WORK/ossl-decrypted.tmp" -CAfile "$DATA/root-ca.cert.pem" \
        -attime "$AT_EPOCH" -out "$3"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_case KEY RUNS FUNCTION CIPHER IN OUT: one warm-up run (discarded, except for 25 MiB
# and larger, where the page cache is warm anyway), then RUNS measured runs. Sets
# RESULT[KEY]="median_wall_ms median_cpu_ms peak_rss_kib" (the median of the runs' peaks).
declare -A RESULT
run_case() {
    local key=$1 runs=$2 fn=$3 cipher=$4 in=$5 out=$6 warm=1 i
    (( $(stat -c %s "$in") >= 16 * 1024 * 1024 )) && warm=0
    for ((i = 0; i < warm; i++)); do
        STEP_US=0; STEP_CPU_US=0; STEP_RSS=0; "$fn" "$cipher" "$in" "$out"
    done
    : >"$WORK/times"; : >"$WORK/cpus"; : >"$WORK/rsses"
    for ((i = 0; i < runs; i++)); do
        STEP_US=0; STEP_CPU_US=0; STEP_RSS=0
        "$fn" "$cipher" "$in" "$out"
        echo "$STEP_US" >>"$WORK/times"
        echo "$STEP_CPU_US" >>"$WORK/cpus"
        echo "$STEP_RSS" >>"$WORK/rsses"
    done
    RESULT[$key]="$(median <"$WORK/times" | awk '{ printf "%.1f", $1 / 1000 }') $(median <"$WORK/cpus" | awk '{ printf "%.1f", $1 / 1000 }') $(median <"$WORK/rsses")"
}

# Sanity checks, so a broken tool cannot produce a fast but meaningless row.
check_sp_open() { # report json
    if ! grep -q '"encryption": "decrypted"' "$1" || ! grep -q '"signature": "valid"' "$1"; then
        die "sealpost-cli open did not report decrypted + valid signature ($1):$(head -c 600 "$1")"
    fi
}
check_same_content() { # opened original: the opened body must end with the original's body
    local opened=$1 original=$2 n
    n=$(( $(stat -c %s "$original") - $(grep -b -m1 -a $'^\r$' "$original" | cut -d: -f1) ))
    cmp -s <(tail -c "$n" "$opened") <(tail -c "$n" "$original") ||
        die "$opened: opened content differs from $original"
}

runs_for() {
    case "$1" in
        1K) echo "${RUNS_1K:-15}" ;;
        1M) echo "${RUNS_1M:-7}" ;;
        25M) echo "${RUNS_25M:-3}" ;;
        *) echo 5 ;;
    esac
}

# --- the run ---------------------------------------------------------------------------------
START=$(now_us)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "sealpost-cli: $CLI"
log "openssl:      $(openssl version) (encrypt/sign streaming: $OPENSSL_STREAM)"
log "work dir:     $WORK"

ROWS=()
for size in $SIZES; do
    bytes=$(bytes_of "$size")
    runs=$(runs_for "$size")
    msg="$WORK/msg-$size.eml"
    make_message "$bytes" "$msg"
    log "== $size ($bytes bytes, $runs runs per case)"
    for cipher in aes-256-gcm aes-256-cbc; do
        c=${cipher##*-}
        sp_msg="$WORK/sp-$size-$c.eml"; os_msg="$WORK/os-$size-$c.eml"
        log "   sign+encrypt $cipher"
        run_case "$size/$c/protect/sp" "$runs" sp_protect "$cipher" "$msg" "$sp_msg"
        run_case "$size/$c/protect/os" "$runs" ossl_protect "$cipher" "$msg" "$os_msg"
        log "   decrypt+verify $cipher"
        run_case "$size/$c/open/sp<sp" "$runs" sp_open "$cipher" "$sp_msg" "$WORK/opened-sp-sp.eml"
        check_sp_open "$WORK/opened-sp-sp.eml.json"
        check_same_content "$WORK/opened-sp-sp.eml" "$msg"
        run_case "$size/$c/open/sp<os" "$runs" sp_open "$cipher" "$os_msg" "$WORK/opened-sp-os.eml"
        check_sp_open "$WORK/opened-sp-os.eml.json"
        check_same_content "$WORK/opened-sp-os.eml" "$msg"
        run_case "$size/$c/open/os<os" "$runs" ossl_open "$cipher" "$os_msg" "$WORK/opened-os-os.eml"
        check_same_content "$WORK/opened-os-os.eml" "$msg"
        run_case "$size/$c/open/os<sp" "$runs" ossl_open "$cipher" "$sp_msg" "$WORK/opened-os-sp.eml"
        check_same_content "$WORK/opened-os-sp.eml" "$msg"
        ROWS+=("$size|$bytes|sign+encrypt|$cipher|message|$size/$c/protect/sp|$size/$c/protect/os")
        ROWS+=("$size|$bytes|decrypt+verify|$cipher|each tool's own output|$size/$c/open/sp<sp|$size/$c/open/os<os")
        ROWS+=("$size|$bytes|decrypt+verify|$cipher|same: sealpost's output|$size/$c/open/sp<sp|$size/$c/open/os<sp")
        ROWS+=("$size|$bytes|decrypt+verify|$cipher|same: openssl's output|$size/$c/open/sp<os|$size/$c/open/os<os")
    done
done

# --- the table -------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

cpu_cell() { if ((HAVE_PERF)); then echo "$1"; else echo "n/a"; fi; }
echo "| Size | Operation | Cipher | Input | sealpost wall ms | openssl wall ms | wall ratio | sealpost CPU ms | openssl CPU ms | CPU ratio | sealpost peak RSS MiB | openssl peak RSS MiB | RSS ratio | sealpost RSS / msg size |"
echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r size bytes op cipher input spkey oskey <<<"$row"
    read -r spt spc sprss <<<"${RESULT[$spkey]}"
    read -r ost osc osrss <<<"${RESULT[$oskey]}"
    per=$(awk -v r="$sprss" -v b="$bytes" 'BEGIN { if (b >= 1048576) printf "%.1fx", r * 1024 / b; else print "—" }')
    echo "| $size | $op | $cipher | $input | $spt | $ost | $(ratio "$spt" "$ost") | $(cpu_cell "$spc") | $(cpu_cell "$osc") | $(cpu_cell "$(ratio "$spc" "$osc")") | $(mib "$sprss") | $(mib "$osrss") | $(ratio "$sprss" "$osrss") | $per |"
done
echo
echo "Machine: $(nproc) cores; load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg). Runs per case: $(for s in $SIZES; do printf '%s=%s ' "$s" "$(runs_for "$s")"; done)(median). openssl -stream: $OPENSSL_STREAM."
END=$(now_us)
log "total time: $(( (END - START) / 1000000 )) s"
