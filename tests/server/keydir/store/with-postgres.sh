#!/usr/bin/env bash
# Runs COMMAND with a throwaway PostgreSQL up (postgres.sh) and SEALPOST_TEST_POSTGRES_URL naming
# its database; stops and removes it afterwards, whatever happens. Exits 77 (skip) when the
# server cannot run here. Usage: with-postgres.sh POSTGRES_SH COMMAND...
set -u
fixture=$1
shift
work=$(mktemp -d)
trap 'bash "$fixture" stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
bash "$fixture" start "$work/pg" >"$work/fixture.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    cat "$work/fixture.log"
    exit $rc
fi
url=$(bash "$fixture" env "$work/pg" | sed -n 's/^PG_URL=//p')
SEALPOST_TEST_POSTGRES_URL=$url "$@"
