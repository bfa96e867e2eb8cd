#!/usr/bin/env bash
# Runs ImapIntegrationTest against throwaway mail servers (tests/mail/mailserver.sh).
# Usage: imap-integration.sh TEST-BINARY SOURCE-DIR. Exits 77 (skip) when the servers cannot run.
set -euo pipefail
binary=$1
source_dir=$2
fixture="$source_dir/tests/mail/mailserver.sh"
dir=$(mktemp -d)
chmod 755 "$dir" # the servers run as their own users
trap '"$fixture" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
rc=0
"$fixture" start "$dir" || rc=$?
if [ "$rc" -ne 0 ]; then
    exit "$rc"
fi
SEALPOST_MAIL_ENV="$dir/env" "$binary"
