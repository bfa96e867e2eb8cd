#!/usr/bin/env bash
# Runs COMMAND with a throwaway Pebble up (pebble.sh) and its PEBBLE_DIRECTORY_URL,
# PEBBLE_MANAGEMENT_URL and PEBBLE_CA_FILE exported; stops and removes it afterwards, whatever
# happens. Exits 77 (skip) when Pebble cannot run here. Usage: with-pebble.sh PEBBLE_SH COMMAND...
set -u
fixture=$1
shift
work=$(mktemp -d)
trap 'bash "$fixture" stop "$work/pebble" >/dev/null 2>&1; rm -rf "$work"' EXIT
bash "$fixture" start "$work/pebble" >"$work/fixture.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    cat "$work/fixture.log"
    exit $rc
fi
set -a
# shellcheck disable=SC1090
. <(bash "$fixture" env "$work/pebble")
set +a
"$@"
rc=$?
if [ $rc -ne 0 ]; then
    echo "----- Pebble's log" >&2
    tail -n 60 "$work/pebble/pebble.log" >&2
fi
exit $rc
