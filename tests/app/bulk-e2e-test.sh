#!/usr/bin/env bash
# Bulk sending end to end through the real stack (docs/bulk-send.md): Dovecot + Postfix
# (tests/mail/mailserver.sh, with a recipient delimiter so that 1,000 distinct addresses land in
# one countable mailbox) and sealpost-keydir holding certificates for half of the recipients.
# Alice's profile sends a batch of 1,000 messages; every message arrives exactly once, the half
# with certificates encrypted (a sample decrypts with openssl), the rest signed. A second batch is
# killed (kill -9) half way, while a message is in flight, and resumed: the summary adds up, the
# in-flight messages are reported unconfirmed and not sent again, no message arrives twice, and
# every other recipient has exactly one.
# Usage: bulk-e2e-test.sh SEALPOST-CLI SEALPOST-KEYDIR MAILSERVER.SH DATA-DIR
# Needs root (the mail fixture); exits 77 (skipped) otherwise.
set -u
cli=$1
keydir=$2
mailserver=$3
data=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for the mail servers"; exit 77; }
work=$(mktemp -d)
chmod 755 "$work"
keydir_pid=
batch_pid=
cleanup() {
    [ -n "$batch_pid" ] && kill -9 "$batch_pid" 2>/dev/null
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    bash "$mailserver" stop "$work/mail" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/testlib.sh"
n=1000

MAIL_FIXTURE_RECIPIENT_DELIMITER=+ bash "$mailserver" start "$work/mail" >"$work/mail.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { cat "$work/mail.log"; exit 77; }
[ $rc -eq 0 ] || { cat "$work/mail.log"; echo "FAIL: the mail servers did not start"; exit 1; }
# shellcheck source=/dev/null
. "$work/mail/env"
# shellcheck source=ca-fixture.sh
. "$(dirname "$0")/ca-fixture.sh"
maildir=$MAIL_MAILDIR_dave

start_keydir "$work" "$data/root-ca.cert.pem" --rate-client 100000/100000 --rate-address 1000/1000
check "sealpost-keydir starts" '[ -n "$keydir_address" ]' "$(cat "$work/keydir.log")"
[ -n "$keydir_address" ] || { finish; exit 1; }

# Recipients: dave+eNNNN (a certificate in the directory) and dave+pNNNN (none), alternating.
# Their certificates share one RSA key (issuing is what costs time, not the test's point) and
# come from the fixtures' intermediate CA, which the directory and the sender trust via the root.
recipient() { # line number -> address
    if [ $(($1 % 2)) -eq 1 ]; then printf 'dave+e%04d@example.org' "$1"; else printf 'dave+p%04d@example.org' "$1"; fi
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rcpt.key" 2>/dev/null
openssl req -new -key "$work/rcpt.key" -subj "/O=Sealpost Test/CN=bulk recipient" -out "$work/rcpt.csr"
mkdir -p "$work/certs"
t0=$(date +%s)
for ((i = 1; i <= n; i += 2)); do
    a=$(recipient "$i")
    printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s\n' \
        "$a" >"$work/ext"
    openssl x509 -req -in "$work/rcpt.csr" -CA "$data/intermediate-ca.cert.pem" -CAkey "$data/intermediate-ca.key.pem" \
        -set_serial "$((100000 + i))" -days 30 -extfile "$work/ext" -out "$work/certs/$i.pem" 2>/dev/null || break
done
check "$((n / 2)) recipient certificates issued" '[ "$(ls "$work/certs" | wc -l)" -eq $((n / 2)) ]' \
    "$(ls "$work/certs" | wc -l) in $(($(date +%s) - t0)) s"

# Published in batches of 100 (the directory's limit per request).
python3 - "$work/certs" "$data/intermediate-ca.cert.pem" "$work/submissions" <<'EOF'
import json, os, sys
certs, inter, out = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
os.makedirs(out)
names = sorted(os.listdir(certs), key=lambda s: int(s.split(".")[0]))
for k in range(0, len(names), 100):
    subs = [{"chain": open(os.path.join(certs, f)).read() + inter} for f in names[k:k + 100]]
    json.dump({"submissions": subs}, open(os.path.join(out, "%03d.json" % (k // 100)), "w"))
EOF
accepted=0
for f in "$work"/submissions/*.json; do
    curl -s -H 'Content-Type: application/json' --data-binary "@$f" "http://$keydir_address/v1/certs" >"$f.out"
    accepted=$((accepted + $(grep -o '"status": *"accepted"' "$f.out" | wc -l)))
done
check "the directory accepts all $((n / 2)) certificates" '[ "$accepted" -eq $((n / 2)) ]' \
    "$accepted accepted; $(head -c 600 "$work"/submissions/000.json.out)"

# Alice's profile: her identity, the test root, the directory, her mail account.
export SEALPOST_PROFILE=$work/alice SEALPOST_PASSPHRASE=bulk-e2e
printf '%s\n' "$MAIL_PASSWORD_alice" >"$work/alice.pw"
run profile init
run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
check "alice's identity is imported" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
run trust add "$data/root-ca.cert.pem"
run directory set-url "http://$keydir_address"
run account add alice@example.org --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" \
    --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --allow-self-signed-fingerprint "$MAIL_CERT_SHA256" \
    --password-file "$work/alice.pw"
check "alice's account is added" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr")"

make_batch() { # FILE TAG: one message per recipient, about 1 KB of text each
    local body
    body=$(printf 'Statement line %02d: nothing to pay this month.\\n' $(seq 20))
    for ((i = 1; i <= n; i++)); do
        printf '{"to": "%s", "subject": "%s %d", "body": "Dear customer %d,\\n%s", "id": "%s-%d"}\n' \
            "$(recipient "$i")" "$2" "$i" "$i" "$body" "$2" "$i"
    done >"$1"
}

# Message-IDs of a batch in the mailbox, one per message (repeated when delivered twice). Only the
# first Message-ID field of each file: a signed message repeats its header inside (hp="clear").
delivered_ids() { # MESSAGE-ID-PREFIX
    grep -h -i -o -m1 "^Message-ID: <$1[^>]*>" "$maildir"/new/* "$maildir"/cur/* 2>/dev/null | sed 's/^[^<]*//'
}
wait_delivered() { # PREFIX COUNT: until the mailbox holds COUNT messages of the batch (180 s at most)
    for _ in $(seq 1800); do
        [ "$(delivered_ids "$1" | wc -l)" -ge "$2" ] && break
        sleep 0.1
    done
    bash "$mailserver" flush "$work/mail" >/dev/null 2>&1
    sleep 1 # anything that would arrive twice would now
}
json_field() { # FILE KEY
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# ---- one batch of 1,000
make_batch "$work/first.jsonl" first
t0=$(date +%s.%N)
run send --batch "$work/first.jsonl" --json --quiet
t1=$(date +%s.%N)
cp "$work/stdout" "$work/first.json"
check "the batch completes (exit 0)" '[ $rc -eq 0 ]' "rc=$rc $(head -c 2000 "$work/stdout") $(cat "$work/stderr")"
check "500 encrypted, 500 plain, nothing else" \
    '[ "$(json_field "$work/first.json" encrypted)" -eq 500 ] && [ "$(json_field "$work/first.json" plain)" -eq 500 ] &&
     [ "$(json_field "$work/first.json" failed)" -eq 0 ] && [ "$(json_field "$work/first.json" total)" -eq 1000 ]' \
    "$(head -c 1500 "$work/first.json")"
echo "first batch: $n messages in $(python3 -c "print(round($t1 - $t0, 2))") s"
prefix1="bulk.$(sha256sum "$work/first.jsonl" | cut -c1-24)." # Message-IDs: <bulk.BATCH-SHA256.LINE@domain>
wait_delivered "$prefix1" "$n"
check "every message arrives exactly once" \
    '[ "$(delivered_ids "$prefix1" | wc -l)" -eq $n ] && [ "$(delivered_ids "$prefix1" | sort -u | wc -l)" -eq $n ]' \
    "$(delivered_ids "$prefix1" | wc -l) delivered, $(delivered_ids "$prefix1" | sort -u | wc -l) distinct"

# Sort the first batch's messages by their recipient's kind.
mkdir -p "$work/enc" "$work/plain"
for f in $(grep -l -i "^Message-ID: <$prefix1" "$maildir"/new/*); do
    to=$(grep -m1 -i -o '^To: dave+[ep][0-9]*' "$f" | sed 's/^To: //I')
    case $to in dave+e*) cp "$f" "$work/enc/${to#dave+}" ;; dave+p*) cp "$f" "$work/plain/${to#dave+}" ;; esac
done
check "each recipient with a certificate got an encrypted message" \
    '[ "$(ls "$work/enc" | wc -l)" -eq 500 ] && [ "$(grep -l -i "^Content-Type: application/pkcs7-mime" "$work"/enc/* | wc -l)" -eq 500 ]'
check "each recipient without one got a signed message" \
    '[ "$(ls "$work/plain" | wc -l)" -eq 500 ] && [ "$(grep -l -i "^Content-Type: multipart/signed" "$work"/plain/* | wc -l)" -eq 500 ]'
decrypted=0
for s in e0001 e0251 e0999; do
    openssl cms -decrypt -in "$work/enc/$s" -inkey "$work/rcpt.key" -out "$work/dec-$s" 2>"$work/dec-$s.err" &&
        grep -q "Dear customer $((10#${s#e}))," "$work/dec-$s" && decrypted=$((decrypted + 1))
done
check "openssl decrypts a sample of the encrypted messages" '[ "$decrypted" -eq 3 ]' "$(cat "$work"/dec-*.err)"
: >"$work/verify.err"
check "the decrypted content is signed by alice" \
    'openssl cms -verify -in "$work/dec-e0251" -CAfile "$data/root-ca.cert.pem" -out /dev/null 2>"$work/verify.err"' \
    "$(cat "$work/verify.err")"
check "a plain message's signature verifies" \
    'openssl cms -verify -in "$work/plain/p0500" -CAfile "$data/root-ca.cert.pem" -out /dev/null 2>"$work/verify.err"' \
    "$(cat "$work/verify.err")"

run send --batch "$work/first.jsonl" --json --quiet
check "running the finished batch again sends nothing" \
    '[ $rc -eq 0 ] && [ "$(json_field "$work/stdout" already_done)" -eq $n ] && [ "$(json_field "$work/stdout" encrypted)" -eq 0 ]' \
    "rc=$rc $(head -c 800 "$work/stdout")"
make_batch "$work/other.jsonl" other
run send --batch "$work/other.jsonl" --journal "$work/first.jsonl.journal" --quiet
check "the journal of another batch is refused" '[ $rc -eq 2 ] && grep -q "different batch file" "$work/stderr"' \
    "rc=$rc $(cat "$work/stderr")"

# ---- one item to two recipients, with a body file and an attachment: one encrypted message
printf 'Dear both,\nthe contract is attached.\n' >"$work/letter.txt"
printf 'attachment bytes %s\n' $(seq 50) >"$work/contract.pdf"
printf '{"to": ["%s", "%s"], "subject": "Vertrag für Sie", "body_file": "letter.txt", "attachments": ["contract.pdf"], "id": "both"}\n' \
    "$(recipient 1)" "$(recipient 3)" >"$work/pair.jsonl"
run send --batch "$work/pair.jsonl" --json --quiet
check "an item with two recipients is one encrypted message" \
    '[ $rc -eq 0 ] && [ "$(json_field "$work/stdout" encrypted)" -eq 1 ]' "rc=$rc $(head -c 800 "$work/stdout")"
prefix3="bulk.$(sha256sum "$work/pair.jsonl" | cut -c1-24)."
wait_delivered "$prefix3" 2
pair=$(grep -l -m1 -i "^Message-ID: <$prefix3" "$maildir"/new/* | head -n1)
openssl cms -decrypt -in "$pair" -inkey "$work/rcpt.key" -out "$work/pair.dec" 2>"$work/pair.err"
openssl cms -verify -in "$work/pair.dec" -CAfile "$data/root-ca.cert.pem" -out "$work/pair.inner" 2>>"$work/pair.err"
attached=$(python3 -c 'import email,sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
parts = [p for p in m.walk() if p.get_filename() == "contract.pdf"]
print(parts[0].get_payload(decode=True).decode() if parts else "")' "$work/pair.inner")
check "both recipients got it; decrypted, it holds the letter and the attachment" \
    '[ "$(delivered_ids "$prefix3" | wc -l)" -eq 2 ] && grep -q -i "^Subject: \[\.\.\.\]" "$pair" &&
     grep -q -i "^Subject: =?UTF-8?B?" "$work/pair.inner" &&
     grep -q "multipart/mixed" "$work/pair.inner" && [ "$attached" = "$(cat "$work/contract.pdf")" ]' \
    "$(cat "$work/pair.err") $(head -c 600 "$work/pair.inner")"

# ---- Ctrl-C: the messages in flight finish, exit 130, the next run sends the rest
make_batch "$work/third.jsonl" third
"$cli" send --batch "$work/third.jsonl" --json --quiet >"$work/third-1.json" 2>"$work/third-1.err" &
batch_pid=$!
for _ in $(seq 3000); do
    sent=$(grep -c '^D ' "$work/third.jsonl.journal" 2>/dev/null)
    [ "${sent:-0}" -ge 100 ] && break
    sleep 0.002
done
kill -INT "$batch_pid"
wait "$batch_pid"
rc=$?
batch_pid=
sent_first=$(($(json_field "$work/third-1.json" encrypted) + $(json_field "$work/third-1.json" plain)))
check "Ctrl-C stops the batch with exit 130, every message it started finished and journaled" \
    '[ $rc -eq 130 ] && [ "$(json_field "$work/third-1.json" cancelled)" = True ] &&
     [ "$(json_field "$work/third-1.json" unconfirmed)" -eq 0 ] && [ "$sent_first" -lt $n ] &&
     [ "$sent_first" -eq "$(grep -c "^D " "$work/third.jsonl.journal")" ]' \
    "rc=$rc sent=$sent_first $(head -c 600 "$work/third-1.json") $(cat "$work/third-1.err")"
run send --batch "$work/third.jsonl" --json --quiet
check "the next run sends the rest" \
    '[ $rc -eq 0 ] && [ "$(json_field "$work/stdout" already_done)" -eq "$sent_first" ] &&
     [ $(($(json_field "$work/stdout" encrypted) + $(json_field "$work/stdout" plain))) -eq $((n - sent_first)) ]' \
    "rc=$rc $(head -c 600 "$work/stdout")"
prefix4="bulk.$(sha256sum "$work/third.jsonl" | cut -c1-24)."
wait_delivered "$prefix4" "$n"
check "after Ctrl-C and the next run, every message arrived exactly once" \
    '[ "$(delivered_ids "$prefix4" | wc -l)" -eq $n ] && [ "$(delivered_ids "$prefix4" | sort -u | wc -l)" -eq $n ]' \
    "$(delivered_ids "$prefix4" | wc -l) delivered, $(delivered_ids "$prefix4" | sort -u | wc -l) distinct"

# ---- kill -9 half way, then resume
# The kill aims at the moment of uncertainty: half the batch done and the journal's last record an
# in-flight one (the end of data is going out, no reply recorded yet).
make_batch "$work/second.jsonl" second
"$cli" send --batch "$work/second.jsonl" --json --quiet --parallel 4 >"$work/killed.out" 2>&1 &
batch_pid=$!
for _ in $(seq 3000); do
    sent=$(grep -c '^D ' "$work/second.jsonl.journal" 2>/dev/null)
    [ "${sent:-0}" -ge $((n / 2)) ] && [ "$(tail -n1 "$work/second.jsonl.journal" | cut -c1-2)" = "S " ] && break
    sleep 0.002
done
kill -9 "$batch_pid"
wait "$batch_pid" 2>/dev/null
batch_pid=
# Lines whose last record is in flight: the outcome the killed run could not know.
in_flight() {
    python3 -c 'import sys
state = {}
for rec in open(sys.argv[1]).read().split("\n")[1:]:
    f = rec.split(" ")
    if len(f) >= 2 and f[0] in ("S", "D", "R"): state[f[1]] = f[0]
print(sum(1 for v in state.values() if v == "S"))' "$1"
}
done_before=$(grep -c '^D ' "$work/second.jsonl.journal")
in_flight_before=$(in_flight "$work/second.jsonl.journal")
echo "killed: $done_before done, $in_flight_before in flight"
check "the batch was killed part way" '[ "$done_before" -gt 0 ] && [ "$done_before" -lt $n ]' "$done_before done"
run send --batch "$work/second.jsonl" --json --quiet
cp "$work/stdout" "$work/second.json"
already=$(json_field "$work/second.json" already_done)
new=$(($(json_field "$work/second.json" encrypted) + $(json_field "$work/second.json" plain)))
unconfirmed=$(json_field "$work/second.json" unconfirmed)
echo "resume: $already already done, $new sent now, $unconfirmed unconfirmed"
check "the resumed run adds up (already done + sent now + unconfirmed = $n)" \
    '[ $((already + new + unconfirmed)) -eq $n ] && [ "$(json_field "$work/second.json" failed)" -eq 0 ] &&
     [ "$already" -eq "$done_before" ]' "$(head -c 1500 "$work/second.json")"
check "every line left in flight is reported unconfirmed, and not sent again" \
    '[ "$unconfirmed" -eq "$in_flight_before" ]' "$unconfirmed reported, $in_flight_before in flight"
check "exit 0 when nothing is unconfirmed, else 9" \
    '{ [ "$unconfirmed" -eq 0 ] && [ $rc -eq 0 ]; } || { [ "$unconfirmed" -gt 0 ] && [ $rc -eq 9 ]; }' "rc=$rc"
prefix2="bulk.$(sha256sum "$work/second.jsonl" | cut -c1-24)."
python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["problems"]:
    if p["outcome"] == "unconfirmed": print(p["message_id"][1:-1])' "$work/second.json" >"$work/unconfirmed-ids"
wait_delivered "$prefix2" $((n - unconfirmed))
delivered_ids "$prefix2" | sort >"$work/delivered2"
check "after the kill and the resume, no message arrived twice" '[ -z "$(uniq -d "$work/delivered2")" ]' \
    "$(uniq -d "$work/delivered2" | head -5)"
arrived=0
while read -r id; do
    grep -qF "<$id>" "$work/delivered2" && arrived=$((arrived + 1))
done <"$work/unconfirmed-ids"
echo "of $unconfirmed unconfirmed messages, $arrived arrived (killed after the end of data) and" \
    "$((unconfirmed - arrived)) did not (killed between the journal record and the end of data)"
check "every recipient not left unconfirmed has exactly one message" \
    '[ "$(sort -u "$work/delivered2" | wc -l)" -eq $((n - unconfirmed + arrived)) ] &&
     [ "$(wc -l <"$work/delivered2")" -eq $((n - unconfirmed + arrived)) ]' \
    "$(wc -l <"$work/delivered2") delivered, $(sort -u "$work/delivered2" | wc -l) distinct"
# --resend-unconfirmed sends exactly the unconfirmed ones again (and nothing else).
run send --batch "$work/second.jsonl" --json --quiet --resend-unconfirmed
check "--resend-unconfirmed sends only the unconfirmed messages" \
    '[ $rc -eq 0 ] && [ $(($(json_field "$work/stdout" encrypted) + $(json_field "$work/stdout" plain))) -eq "$unconfirmed" ] &&
     [ "$(json_field "$work/stdout" already_done)" -eq $((n - unconfirmed)) ]' "rc=$rc $(head -c 800 "$work/stdout")"
wait_delivered "$prefix2" $((n + arrived))
delivered_ids "$prefix2" | sort >"$work/delivered2"
check "then every recipient has a message, and only those resent after arriving have two" \
    '[ "$(sort -u "$work/delivered2" | wc -l)" -eq $n ] && [ "$(wc -l <"$work/delivered2")" -eq $((n + arrived)) ]' \
    "$(wc -l <"$work/delivered2") delivered, $(sort -u "$work/delivered2" | wc -l) distinct"

finish
