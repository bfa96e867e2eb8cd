#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2154,SC2016,SC1091 # cli is used by testlib.sh, MAIL_* come from the env file
# End-to-end test of sync, list and show against throwaway mail servers (tests/mail/mailserver.sh).
# Usage: cli-mail-test.sh SEALPOST_CLI IMAP_TEST_ACCOUNT SOURCE_DIR [SEALPOST_KEYDIR]. Exits 77 (skip)
# without the mail servers. With SEALPOST_KEYDIR, sync also publishes what it harvested there.
set -uo pipefail
cli=$1
helper=$2
source_dir=$3
keydir=${4:-}
data="$source_dir/tests/data"
fixture="$source_dir/tests/mail/mailserver.sh"
work=$(mktemp -d)
chmod 755 "$work" # the servers run as their own users
mail="$work/mail"
mkdir -p "$mail"
keydir_pid=
trap '[ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null; "$fixture" stop "$mail" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
source "$source_dir/tests/app/testlib.sh"
rc=0
"$fixture" start "$mail" >"$work/fixture.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$work/fixture.log" >&2
    exit "$rc"
fi
# shellcheck disable=SC1091
source "$mail/env"
imap=(--cacert "$MAIL_CERT" --resolve "localhost:$MAIL_IMAPS_PORT:127.0.0.1" -s -u "alice@example.org:$MAIL_PASSWORD_alice")
imap_url="imaps://localhost:$MAIL_IMAPS_PORT"

export SEALPOST_PROFILE="$work/alice" SEALPOST_PASSPHRASE=alice-profile
run profile init
run trust add "$data/root-ca.cert.pem"
"$helper" "$SEALPOST_PROFILE" "$SEALPOST_PASSPHRASE" "$mail/env" alice
check "setup" '[ $? -eq 0 ]'

# Mail arrives both ways: appended over IMAP (curl), and delivered over SMTP by Postfix.
printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: first\r\nMessage-ID: <first@example.org>\r\n\r\nHello Alice.\r\n' >"$work/first.eml"
curl "${imap[@]}" "$imap_url/INBOX" -T "$work/first.eml"
curl "${imap[@]}" "$imap_url/INBOX" -T "$data/signed-detached.eml"
curl -s "smtp://127.0.0.1:$MAIL_SMTP_PORT" --mail-from bob@example.org --mail-rcpt alice@example.org \
    -T - <<<$'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: via smtp\r\n\r\nDelivered.\r' >/dev/null
"$fixture" flush "$mail" >/dev/null 2>&1 || true
for _ in $(seq 150); do
    [ "$(find "$MAIL_MAILDIR_alice" -path '*new/*' -o -path '*cur/*' -type f 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.2
done

run sync --headers-only
check "sync" '[ $rc -eq 0 ] && grep -q "^INBOX: 3 messages, 3 new" "$work/stdout" && grep -q "^Sent: 0 messages" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
run sync --headers-only
check "sync-again-is-a-no-op" '[ $rc -eq 0 ] && grep -q "^INBOX: 3 messages, 0 new, 0 flags changed, 0 removed" "$work/stdout"'
run list --json
check "list-json" '[ $rc -eq 0 ] && [ "$(jq -r "[.[].subject] | sort | join(\",\")" "$work/stdout")" = "Signed (detached),first,via smtp" ]' \
    "$(cat "$work/stdout")"
check "list-json-fields" '[ "$(jq -r ".[0].from" "$work/stdout")" = bob@example.org ] && [ "$(jq -r ".[0].message_id" "$work/stdout")" = "<first@example.org>" ] &&
    [ "$(jq -r ".[0].body_cached" "$work/stdout")" = false ]' "$(cat "$work/stdout")"
run list --folders
check "list-folders" '[ $rc -eq 0 ] && grep -q "^Sent	(sent)$" "$work/stdout" && [ "$(head -1 "$work/stdout")" = "INBOX	(inbox)" ]' "$(cat "$work/stdout")"

# show: fetched on demand, byte-identical to what was appended, then kept.
run show 1
check "show-fetches" '[ $rc -eq 0 ] && cmp -s "$work/stdout" "$work/first.eml"' "$(cat "$work/stderr")"
if [ -n "$keydir" ]; then
    "$keydir" --listen 127.0.0.1:0 --database "sqlite:$work/keydir.sqlite" --trust-anchors "$data/root-ca.cert.pem" \
        >"$work/keydir.out" 2>&1 &
    keydir_pid=$!
    for _ in $(seq 300); do grep -q "listening on" "$work/keydir.out" && break; sleep 0.1; done
    run directory set-url "http://$(sed -n 's/^listening on //p' "$work/keydir.out" | head -n1)"
fi
run sync
check "sync-bodies" '[ $rc -eq 0 ] && grep -q "^INBOX: 3 messages, 0 new, 0 flags changed, 0 removed, 2 bodies fetched" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
if [ -n "$keydir" ]; then
    # The signed message's certificate, harvested by this sync, is in the directory right after.
    check "sync-publishes-what-it-harvested" \
        'grep -q "^directory: 1 certificate(s) published, 0 already there, 0 refused, 0 to try again later" "$work/stdout" &&
         curl -fs "http://$(sed -n "s/^listening on //p" "$work/keydir.out" | head -n1)/v1/can-encrypt/alice@example.org" | grep -q "\"can_encrypt\":true"' \
        "$(cat "$work/stdout" "$work/stderr")"
fi
run show 2 --json
check "show-json-security" '[ $rc -eq 0 ] && [ "$(jq -r ".security.signature" "$work/stdout")" != null ] &&
    [ "$(jq -r ".security.harvest" "$work/stdout")" != null ]' "$(cat "$work/stdout" "$work/stderr")"

# Flags and expunges made elsewhere show up on the next sync.
curl "${imap[@]}" "$imap_url/INBOX" -X 'UID STORE 1 +FLAGS (\Flagged)' >/dev/null
curl "${imap[@]}" "$imap_url/INBOX" -X 'UID STORE 3 +FLAGS (\Deleted)' >/dev/null
curl "${imap[@]}" "$imap_url/INBOX" -X 'EXPUNGE' >/dev/null
run sync --folder INBOX
check "sync-flags-expunge" '[ $rc -eq 0 ] && grep -q "^INBOX: 2 messages, 0 new, 1 flags changed, 1 removed" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
# A folder deleted and created again gets a new UIDVALIDITY: its cache is dropped and refetched.
curl "${imap[@]}" "$imap_url/Junk" -T "$work/first.eml"
run sync --folder Junk
check "sync-junk" '[ $rc -eq 0 ] && grep -q "^Junk: 1 messages, 1 new" "$work/stdout"' "$(cat "$work/stdout" "$work/stderr")"
curl "${imap[@]}" "$imap_url/" -X 'DELETE Junk' >/dev/null
sleep 1 # Dovecot derives UIDVALIDITY from the clock
curl "${imap[@]}" "$imap_url/" -X 'CREATE Junk' >/dev/null
curl "${imap[@]}" "$imap_url/Junk" -T "$work/first.eml"
curl "${imap[@]}" "$imap_url/Junk" -T "$work/first.eml"
run sync --folder Junk
check "sync-uidvalidity-changed" '[ $rc -eq 0 ] && grep -q "^Junk: 2 messages, 2 new, 0 flags changed, 0 removed, 2 bodies fetched (the server renumbered" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
run list --folder Junk
check "list-after-renumbering" '[ $rc -eq 0 ] && [ "$(wc -l <"$work/stdout")" -eq 2 ]' "$(cat "$work/stdout")"
run sync --folder NoSuchFolder
check "sync-unknown-folder" '[ $rc -eq 7 ] && grep -q not-found "$work/stderr"'

# Offline: list and show of a cached body work with the servers stopped.
"$fixture" stop "$mail" >/dev/null 2>&1
run list
check "list-offline" '[ $rc -eq 0 ] && [ "$(wc -l <"$work/stdout")" -eq 2 ] && grep -q "^1	\\\\Flagged \\\\Seen	" "$work/stdout"' "$(cat "$work/stdout")"
run show 1
check "show-offline" '[ $rc -eq 0 ] && cmp -s "$work/stdout" "$work/first.eml"'
run sync
check "sync-unreachable" '[ $rc -eq 4 ] && grep -q "unreachable" "$work/stderr"' "$(cat "$work/stderr")"

# Errors a user can act on: a wrong password, an unpinned self-signed certificate.
mail="$work/mail2"
mkdir -p "$mail"
"$fixture" start "$mail" >/dev/null 2>&1
source "$mail/env"
export SEALPOST_PROFILE="$work/carol"
run profile init
"$helper" "$SEALPOST_PROFILE" "$SEALPOST_PASSPHRASE" "$mail/env" carol nopin
run sync
check "sync-untrusted" '[ $rc -eq 5 ] && grep -q "untrusted-server" "$work/stderr" && grep -q "$MAIL_CERT_SHA256" "$work/stderr"' \
    "$(cat "$work/stderr")"
export SEALPOST_PROFILE="$work/bob"
run profile init
sed "s/^MAIL_PASSWORD_bob=.*/MAIL_PASSWORD_bob=wrong/" "$mail/env" >"$work/wrong.env"
"$helper" "$SEALPOST_PROFILE" "$SEALPOST_PASSPHRASE" "$work/wrong.env" bob
run sync
check "sync-auth-failed" '[ $rc -eq 3 ] && grep -q "auth-failed" "$work/stderr" && ! grep -q wrong "$work/stderr"' "$(cat "$work/stderr")"
# A connection dropped mid-sync (Dovecot kicks the session, again and again until the sync gives
# up): the next sync completes, and the cache then holds exactly the server's messages.
export SEALPOST_PROFILE="$work/carol2"
run profile init
"$helper" "$SEALPOST_PROFILE" "$SEALPOST_PASSPHRASE" "$mail/env" carol
python3 - "$MAIL_MAILDIR_carol" 3000 <<'PY'
import os, sys
maildir, n = sys.argv[1], int(sys.argv[2])
body = (("y" * 76 + "\r\n") * 40).encode()
for i in range(n):
    head = (f"From: bulk{i % 7}@example.net\r\nTo: carol@example.org\r\nSubject: bulk {i}\r\n"
            f"Message-ID: <bulk-{i}@example.net>\r\n\r\n").encode()
    with open(os.path.join(maildir, "cur", f"{1700000000 + i}.M{i}P1.drop:2,"), "wb") as f:
        f.write(head + body)
PY
chown -R --reference="$MAIL_MAILDIR_carol" "$MAIL_MAILDIR_carol"
"$cli" sync --folder INBOX >"$work/drop.out" 2>"$work/drop.err" &
pid=$!
kicks=0
sleep 0.3
while kill -0 "$pid" 2>/dev/null; do
    doveadm -c "$MAIL_DOVECOT_CONFIG" kick carol@example.org >/dev/null 2>&1 && kicks=$((kicks + 1))
    sleep 0.2
done
wait "$pid"
first=$?
echo "dropped sync: exit $first after $kicks kick(s): $(tail -1 "$work/drop.err")"
check "sync-dropped-connection" '[ $first -eq 6 ] && grep -q "temporary-failure" "$work/drop.err"' "exit $first, $(cat "$work/drop.out" "$work/drop.err")"
run sync --folder INBOX
check "sync-after-drop-completes" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"
run list --folder INBOX --json
jq -r '.[].uid' "$work/stdout" | sort -n >"$work/cached-uids"
curl --cacert "$MAIL_CERT" --resolve "localhost:$MAIL_IMAPS_PORT:127.0.0.1" -s -u "carol@example.org:$MAIL_PASSWORD_carol" \
    "imaps://localhost:$MAIL_IMAPS_PORT/INBOX" -X 'UID SEARCH ALL' | tr -d '\r' | sed -n 's/^\* SEARCH //p' | tr ' ' '\n' |
    sed '/^$/d' | sort -n >"$work/server-uids"
check "sync-after-drop-cache-matches-server" '[ "$(wc -l <"$work/server-uids")" -eq 3000 ] && cmp -s "$work/cached-uids" "$work/server-uids"' \
    "cached $(wc -l <"$work/cached-uids"), server $(wc -l <"$work/server-uids")"
run sync --folder INBOX
check "sync-after-drop-nothing-left" '[ $rc -eq 0 ] && grep -q "^INBOX: 3000 messages, 0 new, 0 flags changed, 0 removed, 0 bodies fetched" "$work/stdout"' \
    "$(cat "$work/stdout")"
run profile check
check "profile-sound-after-drop" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
finish
