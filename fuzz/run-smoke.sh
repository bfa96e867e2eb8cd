#!/usr/bin/env bash
# Runs every fuzz target for a few seconds from the checked-in seed corpus (tests/data/*.eml and
# fuzz/seeds/*.eml, *.xml, *.json, *.der).
# Usage: run-smoke.sh FUZZ_BUILD_DIR SECONDS
set -euo pipefail
dir=$1
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
cp "$here"/../tests/data/*.eml "$here"/seeds/*.eml "$here"/seeds/*.xml "$here"/seeds/*.json "$here"/seeds/*.der "$seeds"/
failed=0
for target in fuzz-mime-parse fuzz-open fuzz-autoconfig-xml fuzz-imap-response fuzz-directory-json fuzz-keydir-request \
    fuzz-jose fuzz-csr fuzz-acme-reply fuzz-acme-json fuzz-acme-server fuzz-bulk-line; do
    corpus=$(mktemp -d -p "$seeds")
    cp "$seeds"/*.eml "$seeds"/*.xml "$seeds"/*.json "$seeds"/*.der "$corpus"/
    echo "fuzz: $target for ${seconds}s"
    if ! "$dir/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
        "$corpus" >"$seeds/$target.log" 2>&1; then
        echo "fuzz: $target FAILED"; tail -n 60 "$seeds/$target.log"; failed=1
    else
        grep -E "stat::number_of_executed_units|Done" "$seeds/$target.log" | head -n 2
    fi
done
exit $failed
