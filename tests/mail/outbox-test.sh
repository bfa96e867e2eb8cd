#!/usr/bin/env bash
# The outbox against real servers (mailserver.sh: Postfix submission + Dovecot LMTP/Maildir):
# delivery byte for byte, Bcc, idempotent re-send, a permanent refusal, 100 messages queued while
# Postfix is down, messages held as unconfirmed (retry, remove, confirm), SIGKILL at random moments
# during a flush, and a 25 MB message.
# Usage: outbox-test.sh SEALPOST_CLI OUTBOX_HELPER. Exit 77 (skip) without root or the servers.
# SEALPOST_OUTBOX_KILLS=N: N SIGKILLs in part 4 instead of 8.
# shellcheck disable=SC2016 # check() evaluates its condition later
# shellcheck disable=SC2154 # MAIL_* come from the fixture's env file
# shellcheck disable=SC2034 # variables read by check()'s conditions
set -u
cli=$1
helper=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work" # the servers run as their own users
fixture=$work/mail
mkdir -p "$fixture"
"$here/mailserver.sh" start "$fixture" >"$work/fixture.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    cat "$work/fixture.log"
    rm -rf "$work"
    [ $rc -eq 77 ] && exit 77
    exit 1
fi
trap '"$here/mailserver.sh" stop "$fixture" >/dev/null 2>&1; rm -rf "$work"' EXIT
set -a
# shellcheck disable=SC1091
. "$fixture/env"
set +a
# shellcheck source=../app/testlib.sh
. "$here/../app/testlib.sh"

echo "test passphrase" >"$work/pw"
p=(--profile "$work/p" --passphrase-file "$work/pw")
db=$work/p/profile.db
run "${p[@]}" profile init
check "profile init" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
printf '%s\n' "$MAIL_PASSWORD_alice" >"$work/alice.pw"
run "${p[@]}" account add alice@example.org --password-file "$work/alice.pw" \
    --imap "imaps://$MAIL_HOST:$MAIL_IMAPS_PORT" --smtp "smtp://$MAIL_HOST:$MAIL_SUBMISSION_PORT" \
    --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
check "account add (submission with STARTTLS)" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"

# Maildir files (new and cur) of a user holding Message-ID $2 (header line match).
delivered() { grep -l -F -x -e "Message-ID: $2" -e "Message-ID: $2"$'\r' "$1"/new/* "$1"/cur/* 2>/dev/null; }
# The message as it goes on the wire (CRLF), which is how Dovecot stores it.
crlf() { sed 's/\r*$/\r/' "$1"; }
count_delivered() { delivered "$1" "$2" | wc -l; }
# Waits until the user's Maildir holds at least $2 files (Postfix hands on to LMTP asynchronously).
wait_files() {
    local i
    for i in $(seq 1 100); do
        [ "$(find "$1/new" "$1/cur" -type f | wc -l)" -ge "$2" ] && break
        [ $((i % 10)) -eq 0 ] && "$here/mailserver.sh" flush "$fixture" >/dev/null 2>&1
        sleep 0.2
    done
    sleep 0.5 # and a moment for any (wrong) duplicate to arrive too
}
# The delivered file without the trace fields the servers prepend (Return-Path, Delivered-To,
# Received).
strip_trace() {
    awk 'h == 0 && /^(Return-Path|Received|Delivered-To):/ { skip = 1; next }
         h == 0 && skip && /^[ \t]/ { next }
         { h = 1; print }' "$1"
}
files() { find "$1/new" "$1/cur" -type f | wc -l; }

# --- 1. alice -> bob (Cc none, Bcc carol): byte-identical after the trace fields; Bcc not sent
cat >"$work/m1.eml" <<'MSG'
From: Alice <alice@example.org>
To: Bob <bob@example.org>
Bcc: carol@example.org
Subject: first
Date: Tue, 24 Nov 2026 00:00:00 +0000
Message-ID: <outbox-first@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob.
.a line starting with a dot
..and two
.
last line
MSG
run "${p[@]}" send -i "$work/m1.eml"
check "send: exit 0" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
wait_files "$MAIL_MAILDIR_bob" 1
wait_files "$MAIL_MAILDIR_carol" 1
bobfile=$(delivered "$MAIL_MAILDIR_bob" "<outbox-first@example.org>" | head -1)
grep -v '^Bcc:' "$work/m1.eml" | sed 's/$/\r/' >"$work/m1.expected"
check "send: bob's copy byte-identical after trace fields" \
    '[ -n "$bobfile" ] && strip_trace "$bobfile" | cmp -s - "$work/m1.expected"' \
    "$(strip_trace "$bobfile" | diff - "$work/m1.expected" | head -5)"
check "send: the Bcc recipient got it" '[ "$(count_delivered "$MAIL_MAILDIR_carol" "<outbox-first@example.org>")" -eq 1 ]'
sentfile=$(delivered "$MAIL_MAILDIR_alice/.Sent" "<outbox-first@example.org>")
check "send: filed once in alice's Sent folder, Bcc kept there" \
    '[ "$(count_delivered "$MAIL_MAILDIR_alice/.Sent" "<outbox-first@example.org>")" -eq 1 ] && grep -q "^Bcc: carol@example.org" "$sentfile"' \
    "$(ls "$MAIL_MAILDIR_alice/.Sent/cur" "$MAIL_MAILDIR_alice/.Sent/new" 2>&1)"
check "send: no Bcc field on the wire" '! grep -q "^Bcc:" "$bobfile" "$(delivered "$MAIL_MAILDIR_carol" "<outbox-first@example.org>")"'

run "${p[@]}" send -i "$work/m1.eml"
check "send again: nothing sent twice" '[ $rc -eq 0 ] && grep -q "nothing sent again" "$work/stdout"' "$(cat "$work/stdout")"
sleep 1
check "send again: bob still has one copy" '[ "$(count_delivered "$MAIL_MAILDIR_bob" "<outbox-first@example.org>")" -eq 1 ]'

# --- 1b. the same over implicit TLS (submissions port), from a second profile
q=(--profile "$work/q" --passphrase-file "$work/pw")
run "${q[@]}" profile init
run "${q[@]}" account add alice@example.org --password-file "$work/alice.pw" \
    --imap "imaps://$MAIL_HOST:$MAIL_IMAPS_PORT" --smtp "smtps://$MAIL_HOST:$MAIL_SUBMISSIONS_PORT" \
    --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
check "account add (submissions, implicit TLS)" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: tls\r\nDate: Tue, 24 Nov 2026 00:00:00 +0000\r\n\r\nover implicit TLS\r\n' \
    >"$work/m1b.eml"
run "${q[@]}" send -i "$work/m1b.eml" --json
check "implicit TLS: sent, Message-ID generated" '[ $rc -eq 0 ] && grep -q "\"outcome\": \"sent\"" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
genid=$("$cli" "${q[@]}" outbox list --json | python3 -c "import json,sys; print(json.load(sys.stdin)['messages'][0]['message_id'])")
wait_files "$MAIL_MAILDIR_bob" 2
check "implicit TLS: delivered once with the generated Message-ID" '[ "$(count_delivered "$MAIL_MAILDIR_bob" "$genid")" -eq 1 ]' "$genid"

# --- 1c. a wrong password: the message is not at fault, so it waits (exit 3, auth-failed)
r=(--profile "$work/r" --passphrase-file "$work/pw")
run "${r[@]}" profile init
echo "not the password" >"$work/wrong.pw"
run "${r[@]}" account add alice@example.org --password-file "$work/wrong.pw" --no-verify \
    --imap "imaps://$MAIL_HOST:$MAIL_IMAPS_PORT" --smtp "smtp://$MAIL_HOST:$MAIL_SUBMISSION_PORT" \
    --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
run "${r[@]}" send -i "$work/m1b.eml" --json
check "wrong password: exit 3, auth-failed, queued for a retry" \
    '[ $rc -eq 3 ] && grep -q "\"error_code\": \"auth-failed\"" "$work/stdout" && grep -q "\"outcome\": \"retry\"" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
check "wrong password: the password is not printed" '! grep -q "not the password" "$work/stdout" "$work/stderr"'

# --- 2. an unknown recipient: refused for good, with the server's reply, and nobody gets it
printf 'From: alice@example.org\nTo: bob@example.org, nobody@example.org\nSubject: x\nMessage-ID: <outbox-unknown@example.org>\n\nx\n' \
    >"$work/m2.eml"
run "${p[@]}" send -i "$work/m2.eml"
check "unknown recipient: exit 8 with the 550 reply" '[ $rc -eq 8 ] && grep -q "550 5.1.1 <nobody@example.org>" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run "${p[@]}" outbox list --json
check "unknown recipient: failed in outbox list with the reply" \
    'python3 -c "import json,sys; m=[x for x in json.load(open(sys.argv[1]))[\"messages\"] if x[\"message_id\"]==\"<outbox-unknown@example.org>\"][0]; sys.exit(0 if m[\"state\"]==\"failed\" and \"550\" in m[\"last_error\"] else 1)" "$work/stdout"'
sleep 0.5
check "unknown recipient: no partial delivery to bob" '[ "$(count_delivered "$MAIL_MAILDIR_bob" "<outbox-unknown@example.org>")" -eq 0 ]'
run "${p[@]}" outbox retry outbox-unknown@example.org
check "outbox retry: sent again, refused again (exit 8)" '[ $rc -eq 8 ] && grep -q "550 5.1.1 <nobody@example.org>" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run "${p[@]}" outbox list --json
unknown_id=$(jq -r '.messages[] | select(.message_id == "<outbox-unknown@example.org>") | .id' "$work/stdout")
check "outbox retry: a second attempt, failed again" \
    '[ "$(jq -r ".messages[] | select(.id == $unknown_id) | \"\(.state) \(.attempts)\"" "$work/stdout")" = "failed 2" ]' "$(cat "$work/stdout")"
run "${p[@]}" outbox remove "$unknown_id"
check "outbox remove: a failed message is forgotten" '[ $rc -eq 0 ] && grep -q "removed" "$work/stdout"' "$(cat "$work/stderr")"
run "${p[@]}" outbox remove "<outbox-unknown@example.org>"
check "outbox remove: then it is not found (exit 7)" '[ $rc -eq 7 ]' "rc=$rc $(cat "$work/stderr")"

# --- 3. Postfix down while 100 messages wait, then up again: each delivered exactly once
"$here/mailserver.sh" stop-smtp "$fixture" >/dev/null 2>&1
"$helper" queue "$db" "$work/pw" down 100
run "${p[@]}" outbox flush --json
check "smtp down: flush exits 0" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
check "smtp down: 100 results, all retry" \
    'python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[\"results\"]; sys.exit(0 if len(r)==100 and all(x[\"outcome\"]==\"retry\" and x[\"next_attempt\"] for x in r) else 1)" "$work/stdout"'
run "${p[@]}" outbox list --json
check "smtp down: all 100 queued with a retry time and the error" \
    'python3 -c "import json,sys; m=[x for x in json.load(open(sys.argv[1]))[\"messages\"] if x[\"message_id\"].startswith(\"<down-\")]; sys.exit(0 if len(m)==100 and all(x[\"state\"]==\"queued\" and x[\"attempts\"]==1 and x[\"next_attempt\"] and x[\"last_error\"] for x in m) else 1)" "$work/stdout"'
run "${p[@]}" outbox flush
check "smtp down: a flush before the retry time sends nothing" '[ $rc -eq 0 ] && [ ! -s "$work/stdout" ]' "$(head -3 "$work/stdout")"
"$here/mailserver.sh" start-smtp "$fixture" >/dev/null 2>&1
before=$(files "$MAIL_MAILDIR_bob")
start=$(date +%s.%N)
run "${p[@]}" outbox flush --force --json
end=$(date +%s.%N)
echo "flush of 100 messages: $(echo "$end - $start" | bc) s"
check "smtp up: all 100 sent" \
    'python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[\"results\"]; sys.exit(0 if len(r)==100 and all(x[\"outcome\"]==\"sent\" for x in r) else 1)" "$work/stdout"'
wait_files "$MAIL_MAILDIR_bob" $((before + 100))
# smtpd logs the session's counts after QUIT, through postlogd: the line may come a moment later.
one_session='grep -q "auth=1 mail=100 rcpt=100 data=100" "$MAIL_POSTFIX_LOG"'
check "smtp up: one connection, one login for the 100 messages" \
    'eventually 10 "$one_session"' "$(grep disconnect "$MAIL_POSTFIX_LOG" | tail -2)"
bad=0
for i in $(seq 0 99); do
    [ "$(count_delivered "$MAIL_MAILDIR_bob" "<down-$i@example.org>")" -eq 1 ] || bad=$((bad + 1))
done
check "smtp up: each of the 100 delivered exactly once" '[ $bad -eq 0 ] && [ "$(files "$MAIL_MAILDIR_bob")" -eq $((before + 100)) ]' \
    "$bad wrong, $(files "$MAIL_MAILDIR_bob") files"

# --- 3b. two flushes at once send each message once
"$helper" queue "$db" "$work/pw" pair 60
before=$(files "$MAIL_MAILDIR_bob")
"$cli" "${p[@]}" outbox flush --force >"$work/pair1.log" 2>&1 &
pid1=$!
"$cli" "${p[@]}" outbox flush --force >"$work/pair2.log" 2>&1
wait "$pid1"
echo "two flushes: $(grep -c ": sent" "$work/pair1.log") and $(grep -c ": sent" "$work/pair2.log") sent"
check "two flushes: 60 sent between them" '[ $(($(grep -c ": sent" "$work/pair1.log") + $(grep -c ": sent" "$work/pair2.log"))) -eq 60 ]'
wait_files "$MAIL_MAILDIR_bob" $((before + 60))
bad=0
for i in $(seq 0 59); do
    [ "$(count_delivered "$MAIL_MAILDIR_bob" "<pair-$i@example.org>")" -eq 1 ] || bad=$((bad + 1))
done
check "two flushes: each message delivered exactly once" '[ $bad -eq 0 ] && [ "$(files "$MAIL_MAILDIR_bob")" -eq $((before + 60)) ]' "$bad wrong"

# --- 3c. interrupted after the end of data (RFC 1047): held for the user, never sent on its own
"$helper" queue "$db" "$work/pw" held 3
for i in 0 1 2; do
    "$helper" interrupt "$db" "$work/pw" "<held-$i@example.org>"
done
run "${p[@]}" outbox flush --force --json
check "held: flush exits 9 and sends nothing" '[ $rc -eq 9 ] && [ "$(jq ".results | length" "$work/stdout")" -eq 0 ]' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
check "held: the 3 recovered as unconfirmed and listed" \
    '[ "$(jq "[.recovered[] | select(.outcome_unknown and .state == \"unconfirmed\")] | length" "$work/stdout")" -eq 3 ] && [ "$(jq "[.unconfirmed[] | select(.message_id | startswith(\"<held-\"))] | length" "$work/stdout")" -eq 3 ]' \
    "$(cat "$work/stdout")"
run "${p[@]}" outbox flush --force
check "held: the text report says what to do" \
    '[ $rc -eq 9 ] && grep -q "3 message(s) held" "$work/stdout" && grep -q "outbox confirm" "$work/stdout" && grep -q "outbox retry" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout")"
run "${p[@]}" outbox list --json
check "held: outbox list shows unconfirmed with confirm, retry, remove" \
    '[ "$(jq -c "[.messages[] | select(.message_id | startswith(\"<held-\")) | [.state, .unknown_outcomes, .actions]] | unique" "$work/stdout")" = "[[\"unconfirmed\",1,[\"confirm\",\"retry\",\"remove\"]]]" ]' \
    "$(jq -c '.messages[] | select(.message_id | startswith("<held-"))' "$work/stdout")"
run "${p[@]}" outbox list
check "held: outbox list text says NOT CONFIRMED" '[ "$(grep -c "NOT CONFIRMED" "$work/stdout")" -eq 3 ]' "$(cat "$work/stdout")"
printf 'From: alice@example.org\nTo: bob@example.org\nSubject: held\nMessage-ID: <held-2@example.org>\n\nx\n' >"$work/held.eml"
run "${p[@]}" send -i "$work/held.eml"
check "held: send of an unconfirmed Message-ID sends nothing, exit 9" \
    '[ $rc -eq 9 ] && grep -q "now unconfirmed; nothing sent again" "$work/stdout"' "rc=$rc $(cat "$work/stdout")"
sleep 1
check "held: none of them reached bob (the interruption was simulated before any SMTP)" \
    '[ "$(count_delivered "$MAIL_MAILDIR_bob" "<held-0@example.org>")$(count_delivered "$MAIL_MAILDIR_bob" "<held-1@example.org>")$(count_delivered "$MAIL_MAILDIR_bob" "<held-2@example.org>")" = "000" ]'
before=$(files "$MAIL_MAILDIR_bob")
run "${p[@]}" outbox retry held-0@example.org --json
check "held: outbox retry sends an unconfirmed message again" \
    '[ $rc -eq 0 ] && [ "$(jq -r ".results[0].outcome" "$work/stdout")" = "sent" ] && [ "$(jq ".unconfirmed | length" "$work/stdout")" -eq 2 ]' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
wait_files "$MAIL_MAILDIR_bob" $((before + 1))
check "held: the retried one delivered once and filed in Sent once" \
    '[ "$(count_delivered "$MAIL_MAILDIR_bob" "<held-0@example.org>")" -eq 1 ] && [ "$(count_delivered "$MAIL_MAILDIR_alice/.Sent" "<held-0@example.org>")" -eq 1 ]'
run "${p[@]}" outbox remove "<held-1@example.org>"
check "held: outbox remove drops an unconfirmed message" '[ $rc -eq 0 ] && grep -q "removed" "$work/stdout"' "rc=$rc $(cat "$work/stderr")"
run "${p[@]}" outbox list --json
check "held: the removed one is gone, not sent" \
    '[ "$(jq "[.messages[] | select(.message_id == \"<held-1@example.org>\")] | length" "$work/stdout")" -eq 0 ] && [ "$(count_delivered "$MAIL_MAILDIR_bob" "<held-1@example.org>")" -eq 0 ]'
run "${p[@]}" outbox confirm held-2@example.org
check "held: outbox confirm" '[ $rc -eq 0 ] && grep -q "confirmed" "$work/stdout"' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run "${p[@]}" outbox confirm held-2@example.org
check "held: confirm twice is refused (exit 2)" '[ $rc -eq 2 ]' "rc=$rc $(cat "$work/stderr")"
run "${p[@]}" outbox flush --json
check "held: the confirmed one is filed in Sent, not sent again; flush exits 0" \
    '[ $rc -eq 0 ] && [ "$(jq -r ".results[] | select(.message_id == \"<held-2@example.org>\") | \"\(.outcome) \(.filed_in_sent)\"" "$work/stdout")" = "sent true" ] && [ "$(jq ".unconfirmed | length" "$work/stdout")" -eq 0 ]' \
    "rc=$rc $(cat "$work/stdout")"
sleep 0.5
check "held: confirmed one in Sent once, never at bob" \
    '[ "$(count_delivered "$MAIL_MAILDIR_alice/.Sent" "<held-2@example.org>")" -eq 1 ] && [ "$(count_delivered "$MAIL_MAILDIR_bob" "<held-2@example.org>")" -eq 0 ]'

# --- 4. SIGKILL at random moments during flushes of 100 messages (or more, below)
# SEALPOST_OUTBOX_KILLS raises the number of kills (default 8) to hit the window after the end of
# data more often, with 12 messages per kill so that there is still something to send. The delays
# start past the ~0.15 s the CLI needs to open the profile.
nkills=${SEALPOST_OUTBOX_KILLS:-8}
nmsg=$((nkills > 8 ? nkills * 12 : 100))
"$helper" queue "$db" "$work/pw" kill "$nmsg"
before=$(files "$MAIL_MAILDIR_bob")
kills=0
: >"$work/kill.log"
for _ in $(seq 1 "$nkills"); do
    "$cli" "${p[@]}" outbox flush --force >>"$work/kill.log" 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 500 + 150)))"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
done
for _ in $(seq 1 5); do # then to the end, without interruption
    "$cli" "${p[@]}" outbox flush --force >>"$work/kill.log" 2>&1
    "$cli" "${p[@]}" outbox list --json >"$work/list.json"
    jqe '[.messages[] | select(.message_id | startswith("<kill-")) | select(.state | IN("done", "failed", "unconfirmed") | not)] | length == 0' \
        "$work/list.json" >/dev/null && break
done
kill_states() { jq -c '[.messages[] | select(.message_id | startswith("<kill-")) | .state] | group_by(.) | map({(.[0]): length}) | add' "$1"; }
check "sigkill: every kill-* message done or held as unconfirmed" \
    'jqe "[.messages[] | select(.message_id | startswith(\"<kill-\"))] | length == $nmsg and all(.state | IN(\"done\", \"unconfirmed\"))" "$work/list.json" >/dev/null' \
    "$(kill_states "$work/list.json")"
held=$(jq -r '.messages[] | select(.message_id | startswith("<kill-")) | select(.state == "unconfirmed") | .message_id' "$work/list.json")
nheld=$(printf '%s' "$held" | grep -c .)
# From the data, not the flushes' output (a killed flush loses what it had not printed yet): a
# message interrupted before the end of data was sent again, so it took a second attempt.
resent=$(jq '[.messages[] | select(.message_id | startswith("<kill-")) | select(.attempts > 1 and .unknown_outcomes == 0)] | length' "$work/list.json")
wait_files "$MAIL_MAILDIR_bob" $((before + nmsg))
# The user checks each held message with the recipient: it arrived, so confirm it; it did not, so
# send it again. A held message is never at the recipient twice (it went out once); it can be
# missing there: data_complete is committed before the end-of-data marker, so a kill in between
# (e.g. while that commit waits for the disk) leaves the server without it.
held_twice=""
held_absent=""
for mid in $held; do
    n=$(count_delivered "$MAIL_MAILDIR_bob" "$mid")
    [ "$n" -gt 1 ] && held_twice="$held_twice $mid:$n"
    [ "$n" -eq 0 ] && held_absent="$held_absent $mid"
    if [ "$n" -ge 1 ]; then
        "$cli" "${p[@]}" outbox confirm "$mid" >>"$work/kill.log" 2>&1
    else
        "$cli" "${p[@]}" outbox retry "$mid" >>"$work/kill.log" 2>&1
    fi
done
echo "sigkill: $kills kills of flushes sending $nmsg messages; $resent interrupted before the end of data and sent again, $nheld after it and held as unconfirmed: ${held//$'\n'/ }"
echo "sigkill: held and at bob once (the kill came after the end of data reached the server): $((nheld - $(echo "$held_absent" | wc -w))); held but never reached the server (the kill came between the data_complete commit and the end-of-data marker; retried):${held_absent:- none}"
check "sigkill: no unconfirmed message reached bob more than once" '[ -z "$held_twice" ]' "message-id:copies at bob =$held_twice"
run "${p[@]}" outbox flush --json
check "sigkill: after confirming, the flush files them and exits 0" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run "${p[@]}" outbox list --json
cp "$work/stdout" "$work/list.json"
check "sigkill: then every kill-* message is done" \
    'jqe "[.messages[] | select(.message_id | startswith(\"<kill-\"))] | length == $nmsg and all(.state == \"done\")" "$work/list.json" >/dev/null' \
    "$(kill_states "$work/list.json")"
wait_files "$MAIL_MAILDIR_bob" $((before + nmsg))
missing=0
dup=0
for i in $(seq 0 $((nmsg - 1))); do
    n=$(count_delivered "$MAIL_MAILDIR_bob" "<kill-$i@example.org>")
    [ "$n" -eq 0 ] && missing=$((missing + 1))
    [ "$n" -gt 1 ] && dup=$((dup + 1))
done
echo "sigkill: at bob $missing missing, $dup more than once"
check "sigkill: no message lost" '[ $missing -eq 0 ]' "$missing missing"
check "sigkill: no message delivered twice" '[ $dup -eq 0 ]' "$dup delivered more than once"
sent_wrong=0
for i in $(seq 0 $((nmsg - 1))); do
    [ "$(count_delivered "$MAIL_MAILDIR_alice/.Sent" "<kill-$i@example.org>")" -eq 1 ] || sent_wrong=$((sent_wrong + 1))
done
check "sigkill: each message filed in alice's Sent exactly once" '[ $sent_wrong -eq 0 ]' "$sent_wrong not exactly once"

# --- 5. a 25 MB attachment round-trips (the fixture allows 50 MB messages)
head -c 19000000 /dev/urandom >"$work/blob"
{
    printf 'From: alice@example.org\nTo: bob@example.org\nSubject: big\nDate: Tue, 24 Nov 2026 00:00:00 +0000\nMessage-ID: <outbox-big@example.org>\n'
    printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b0"\n\n--b0\nContent-Type: text/plain\n\nsee attachment\n'
    printf -- '--b0\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="blob"\n\n'
    base64 -w 76 "$work/blob"
    printf -- '--b0--\n'
} >"$work/big.eml"
echo "big message: $(stat -c %s "$work/big.eml") bytes"
run "${p[@]}" send -i "$work/big.eml"
check "25 MB: sent" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
bigfile=""
for i in $(seq 1 100); do
    bigfile=$(delivered "$MAIL_MAILDIR_bob" "<outbox-big@example.org>" | head -1)
    [ -n "$bigfile" ] && break
    sleep 0.2
done
check "25 MB: byte-identical after trace fields" '[ -n "$bigfile" ] && strip_trace "$bigfile" | cmp -s - <(crlf "$work/big.eml")'
got=$(python3 -c "
import email, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
print(next(hashlib.sha256(p.get_payload(decode=True)).hexdigest() for p in m.walk() if p.get_filename() == 'blob'))" "$bigfile" 2>/dev/null)
check "25 MB: attachment sha256 matches" '[ "$got" = "$(sha256sum "$work/blob" | cut -d" " -f1)" ]'

finish
