#!/usr/bin/env bash
# Harvest throughput: `sealpost-cli harvest` over a corpus of signed mail (mbox and Maildir)
# against `openssl cms -verify` over the same messages. Prints a Markdown table; see
# docs/performance.md ("Harvest throughput") for what each row includes.
#
#   bench/harvest-throughput.sh [-h]
#
# Not a test (CI does not run it). Needs a Release build with the benchmarks:
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_UI=OFF
#   ninja -C build-bench sealpost-cli sealpost-bench
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build-bench}
SEALPOST_CLI=${SEALPOST_CLI:-$BUILD/app/cli/sealpost-cli}
CORPUS_TOOL=${CORPUS_TOOL:-$BUILD/bench/sealpost-bench-harvest-corpus}
VERIFY_TOOL=${VERIFY_TOOL:-$BUILD/bench/sealpost-bench-openssl-verify}
MESSAGES=${MESSAGES:-10000}
SENDERS=${SENDERS:-500}
CORPUS=${CORPUS:-$BUILD/harvest-corpus-$MESSAGES-$SENDERS}
OPENSSL_PROCESS_MESSAGES=${OPENSSL_PROCESS_MESSAGES:-$MESSAGES}
SYSTEM_TRUST=${SYSTEM_TRUST:-1}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    cat <<EOF
usage: $0
Environment (defaults in brackets):
  BUILD                     build directory [$ROOT/build-bench]
  SEALPOST_CLI, CORPUS_TOOL, VERIFY_TOOL   the programs [\$BUILD/...]
  MESSAGES, SENDERS         corpus size [10000, 500]
  CORPUS                    corpus directory, generated when missing [\$BUILD/harvest-corpus-N-S]
  OPENSSL_PROCESS_MESSAGES  messages for the one-process-per-message openssl row [all]
  SYSTEM_TRUST              1: harvest with the system trust anchors too (the CLI default); 0: --no-system-trust [1]
  KEEP_WORKDIR              1: keep the profiles and outputs [0]
EOF
    exit 0
fi

[[ -x /usr/bin/time ]] || { echo "error: GNU time is needed at /usr/bin/time (Debian package 'time')" >&2; exit 2; }
for tool in "$SEALPOST_CLI" "$CORPUS_TOOL" "$VERIFY_TOOL"; do
    [[ -x $tool ]] || { echo "error: $tool is missing; build with: ninja -C $BUILD sealpost-cli sealpost-bench" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "error: openssl is needed" >&2; exit 2; }

if [[ ! -f $CORPUS/corpus.txt ]]; then
    echo "generating the corpus in $CORPUS ..." >&2
    start=$(date +%s.%N)
    "$CORPUS_TOOL" "$CORPUS" --messages "$MESSAGES" --senders "$SENDERS" >/dev/null
    echo "  done in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
fi
CA="$CORPUS/pki/root.cert.pem"

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-harvest-bench.XXXXXX")
[[ $KEEP_WORKDIR == 1 ]] || trap 'rm -rf "$W"' EXIT
printf 'harvest-bench' >"$W/passphrase"
TRUST_ARGS=()
[[ $SYSTEM_TRUST == 1 ]] || TRUST_ARGS=(--no-system-trust)

SP=("$SEALPOST_CLI" --passphrase-file "$W/passphrase" --profile) # then the profile directory
new_profile() { "${SP[@]}" "$1" profile init >/dev/null && "${SP[@]}" "$1" trust add "$CA" >/dev/null; }

# measure NAME COMMAND...: wall s, user+sys CPU s and peak RSS (KiB) of the command (GNU time:
# its own rusage includes every child it waited for).
declare -A WALL=() CPU=() RSS=() COUNT=()
measure() {
    local name=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$W/$name.time" "$@" >"$W/$name.out" 2>"$W/$name.err" || {
        echo "error: $name failed:" >&2
        tail -n 5 "$W/$name.err" >&2
        exit 1
    }
    read -r wall user sys rss <"$W/$name.time"
    WALL[$name]=$wall CPU[$name]=$(echo "$user + $sys" | bc) RSS[$name]=$rss
}

# The summary line of `sealpost-cli harvest`: "N messages, H with certificates: I new, U updated, K unchanged"
check_harvest() { # NAME EXPECT_NEW(or -)
    local line
    line=$(tail -n 1 "$W/$1.out")
    [[ $line =~ ^([0-9]+)\ messages,\ ([0-9]+)\ with\ certificates:\ ([0-9]+)\ new,\ ([0-9]+)\ updated,\ ([0-9]+)\ unchanged ]] ||
        { echo "error: $1: unexpected output: $line" >&2; exit 1; }
    [[ ${BASH_REMATCH[1]} == "$MESSAGES" && ${BASH_REMATCH[2]} == "$MESSAGES" ]] ||
        { echo "error: $1: not every message was harvested: $line" >&2; exit 1; }
    [[ $2 == - || ${BASH_REMATCH[3]} == "$2" ]] || { echo "error: $1: expected $2 new: $line" >&2; exit 1; }
    COUNT[$1]=$MESSAGES
    NOTE[$1]="${BASH_REMATCH[3]} new, ${BASH_REMATCH[4]} updated, ${BASH_REMATCH[5]} unchanged"
}
declare -A NOTE=()

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Sealpost, mbox, into a fresh profile (every sender new once, then repeats); 2. the same mbox
# again (every certificate known); 3. the Maildir into another fresh profile.
new_profile "$W/p-mbox"
measure sealpost_mbox "${SP[@]}" "$W/p-mbox" harvest --mbox "$CORPUS/corpus.mbox" --quiet "${TRUST_ARGS[@]}"
check_harvest sealpost_mbox "$SENDERS"
measure sealpost_mbox_again "${SP[@]}" "$W/p-mbox" harvest --mbox "$CORPUS/corpus.mbox" --quiet "${TRUST_ARGS[@]}"
check_harvest sealpost_mbox_again 0
new_profile "$W/p-maildir"
measure sealpost_maildir "${SP[@]}" "$W/p-maildir" harvest --maildir "$CORPUS/maildir" --quiet "${TRUST_ARGS[@]}"
check_harvest sealpost_maildir "$SENDERS"

# 4. openssl in one process (SMIME_read_CMS + CMS_verify per message, no store).
measure openssl_batched "$VERIFY_TOOL" "$CA" "$CORPUS/maildir"
grep -q "^verified $MESSAGES failed 0" "$W/openssl_batched.out" ||
    { echo "error: openssl_batched: $(cat "$W/openssl_batched.out")" >&2; exit 1; }
COUNT[openssl_batched]=$MESSAGES
NOTE[openssl_batched]="verified $MESSAGES"

# 5. `openssl cms -verify`, one process per message (text mode, see docs/performance.md).
find "$CORPUS/maildir/cur" -type f | sort >"$W/all-files"
head -n "$OPENSSL_PROCESS_MESSAGES" "$W/all-files" >"$W/files"
cat >"$W/per-process.sh" <<'EOF'
failed=0
while IFS= read -r f; do
    openssl cms -verify -in "$f" -CAfile "$1" -purpose smimesign -out /dev/null 2>/dev/null || failed=$((failed + 1))
done <"$2"
echo "failed $failed"
EOF
measure openssl_per_process bash "$W/per-process.sh" "$CA" "$W/files"
grep -q '^failed 0$' "$W/openssl_per_process.out" ||
    { echo "error: openssl_per_process: $(cat "$W/openssl_per_process.out")" >&2; exit 1; }
COUNT[openssl_per_process]=$(wc -l <"$W/files")
NOTE[openssl_per_process]="verified ${COUNT[openssl_per_process]}"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ table ---

rate() { echo "scale=1; $1 / $2" | bc; }           # messages per second
per_msg() { echo "scale=3; $1 * 1000 / $2" | bc; } # milliseconds per message
mib() { echo "scale=1; $1 / 1024" | bc; }
label() {
    case $1 in
    sealpost_mbox) echo 'sealpost-cli harvest --mbox, fresh profile' ;;
    sealpost_mbox_again) echo 'sealpost-cli harvest --mbox, same mbox again' ;;
    sealpost_maildir) echo 'sealpost-cli harvest --maildir, fresh profile' ;;
    openssl_batched) echo 'openssl CMS_verify loop, one process (sealpost-bench-openssl-verify)' ;;
    openssl_per_process) echo 'openssl cms -verify, one process per message' ;;
    esac
}
ref_cpu=$(per_msg "${CPU[sealpost_mbox]}" "${COUNT[sealpost_mbox]}")

echo "Corpus: $(tr '\n' ' ' <"$CORPUS/corpus.txt")"
echo "Machine: $(nproc) cores; load average before/after: $load_before / $load_after; system trust anchors: $SYSTEM_TRUST"
echo
echo "| Run | Messages | Wall s | msgs/s (wall) | CPU s | msgs/s per CPU s | CPU ms/msg | sealpost mbox CPU / this | Peak RSS MiB | Result |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in sealpost_mbox sealpost_mbox_again sealpost_maildir openssl_batched openssl_per_process; do
    c=${COUNT[$n]}
    cpu_ms=$(per_msg "${CPU[$n]}" "$c")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$n")" "$c" "${WALL[$n]}" \
        "$(rate "$c" "${WALL[$n]}")" "${CPU[$n]}" "$(rate "$c" "${CPU[$n]}")" "$cpu_ms" \
        "$(echo "scale=2; $ref_cpu / $cpu_ms" | bc)" "$(mib "${RSS[$n]}")" "${NOTE[$n]}"
done
