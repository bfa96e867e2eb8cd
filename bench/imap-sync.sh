#!/usr/bin/env bash
# shellcheck disable=SC2154 # MAIL_* come from the fixture's env file
# Header sync of a large mailbox: `sealpost-cli sync` (headers, flags, summaries into the
# encrypted profile) against curl's own IMAP fetch of every header (imaps://.../INBOX;UID=[1-N];
# SECTION=HEADER: one FETCH per message over one connection; curl stores nothing). A single
# `curl -X 'UID FETCH 1:* (... BODY.PEEK[HEADER])'` is not possible: curl 7.88 drops the literals
# and gives up above 300 kB of response lines (error 56). Also: a second, incremental sync
# (nothing new: one UID/FLAGS listing), and a full sync (the default: bodies too, which also opens every
# message and runs the harvester) against curl fetching every body the same way.
#
# Runs the throwaway Dovecot of tests/mail/mailserver.sh (needs root), fills one mailbox by
# writing Maildir files directly, and prints a Markdown table (median wall time of RUNS runs, peak
# RSS from GNU time) on standard output; progress on standard error.
#
# Usage: bench/imap-sync.sh [-h]
# Environment (defaults in brackets):
#   SEALPOST_CLI       the CLI [build-bench/app/cli/sealpost-cli]
#   ACCOUNT_TOOL       the helper that adds the account [build-bench/tests/core/mail/imap-test-account]
#   MESSAGES           messages in the mailbox [10000]
#   BODY_BYTES         body size of each message [2000]
#   RUNS               measured runs per case [3]
#   KEEP_WORKDIR       1: keep the temp directory [0]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEALPOST_CLI=${SEALPOST_CLI:-$ROOT/build-bench/app/cli/sealpost-cli}
ACCOUNT_TOOL=${ACCOUNT_TOOL:-$ROOT/build-bench/tests/core/mail/imap-test-account}
MESSAGES=${MESSAGES:-10000}
BODY_BYTES=${BODY_BYTES:-2000}
RUNS=${RUNS:-3}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
[[ -x /usr/bin/time ]] || { echo "error: GNU time is needed at /usr/bin/time" >&2; exit 2; }
for tool in "$SEALPOST_CLI" "$ACCOUNT_TOOL"; do
    [[ -x $tool ]] || { echo "error: $tool is missing (build sealpost-cli and imap-test-account)" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-imap-bench.XXXXXX")
chmod 755 "$W"
cleanup() {
    "$ROOT/tests/mail/mailserver.sh" stop "$W/mail" >/dev/null 2>&1 || true
    [[ $KEEP_WORKDIR == 1 ]] || rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/mail"
"$ROOT/tests/mail/mailserver.sh" start "$W/mail" >&2
# shellcheck disable=SC1091
source "$W/mail/env"

echo "writing $MESSAGES messages into alice's Maildir ..." >&2
python3 - "$MAIL_MAILDIR_alice" "$MESSAGES" "$BODY_BYTES" <<'PY'
import os, sys
maildir, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = ("x" * 76 + "\r\n").encode()
body = (line * (size // len(line) + 1))[:size]
cur = os.path.join(maildir, "cur")
for i in range(n):
    head = (f"From: Sender {i % 97} <sender{i % 97}@example.net>\r\nTo: alice@example.org\r\n"
            f"Subject: message {i}\r\nMessage-ID: <bench-{i}@example.net>\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    with open(os.path.join(cur, f"{1700000000 + i}.M{i}P1.bench:2,S"), "wb") as f:
        f.write(head + body)
PY
chown -R --reference="$MAIL_MAILDIR_alice" "$MAIL_MAILDIR_alice"
curl_imap=(curl -sS --cacert "$MAIL_CERT" --resolve "localhost:$MAIL_IMAPS_PORT:127.0.0.1"
    -u "alice@example.org:$MAIL_PASSWORD_alice")
url="imaps://localhost:$MAIL_IMAPS_PORT/INBOX"
"${curl_imap[@]}" "$url" -X 'EXAMINE INBOX' >/dev/null # let Dovecot index the Maildir once

printf 'bench' >"$W/passphrase"
export SEALPOST_PASSPHRASE=bench

# measure NAME SETUP-COMMAND COMMAND...: median wall seconds and max RSS (KiB) over RUNS runs.
measure() {
    local name=$1 setup=$2
    shift 2
    local times=() rss=0
    for _ in $(seq "$RUNS"); do
        eval "$setup"
        /usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>"$W/stderr" ||
            { cat "$W/stderr" >&2; exit 1; }
        read -r t m <"$W/time"
        times+=("$t")
        ((m > rss)) && rss=$m
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
    printf '| %s | %s | %s |\n' "$name" "$median" "$((rss / 1024))"
    echo "  $name: ${times[*]} s" >&2
}

fresh_profile='rm -rf "$W/p"; SEALPOST_PROFILE="$W/p" "$SEALPOST_CLI" profile init >/dev/null 2>&1;
    "$ACCOUNT_TOOL" "$W/p" bench "$W/mail/env" alice'
export SEALPOST_PROFILE="$W/p"

echo "| case ($MESSAGES messages of about $((BODY_BYTES / 1000 + 1)) kB) | median wall s | peak RSS MiB |"
echo "|---|---:|---:|"
measure "sealpost-cli sync --headers-only (first sync)" "$fresh_profile" "$SEALPOST_CLI" sync --folder INBOX --headers-only --quiet
measure "curl, one URL per header on one connection (no storage)" ":" "${curl_imap[@]}" \
    "$url;UID=[1-$MESSAGES];SECTION=HEADER"
measure "sealpost-cli sync --headers-only (incremental, nothing new)" ":" "$SEALPOST_CLI" sync --folder INBOX --headers-only --quiet
measure "sealpost-cli sync (headers + bodies, each opened and harvested)" "$fresh_profile" "$SEALPOST_CLI" sync --folder INBOX --quiet
measure "curl, one URL per message on one connection (no storage)" ":" "${curl_imap[@]}" "$url;UID=[1-$MESSAGES]"
