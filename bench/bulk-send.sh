#!/usr/bin/env bash
# Bulk sending throughput (docs/bulk-send.md) through the local Postfix of tests/mail/mailserver.sh:
# `sealpost-cli send --batch` with MESSAGES messages (about 1 KB of text each), half of them to
# recipients whose certificates sealpost-keydir holds (encrypted), half to recipients without
# (signed only); and, in the same run, the baseline a shell script would do: per message
# `openssl cms -sign` (+ `openssl cms -encrypt` for the encrypted half) and a `curl` SMTP
# submission, over BASELINE messages (extrapolated as messages per second).
# The recipient domain is routed to Postfix's discard: transport (MAIL_FIXTURE_DISCARD_DOMAIN):
# submission, queueing and the queue manager run as for real mail, but no mailbox delivery
# competes for the two cores with the sender being measured.
# Usage: bench/bulk-send.sh BUILD_DIR [MESSAGES] [BASELINE] [PARALLEL]   (root: the mail servers need it)
# PERF=FILE.data also records the sender with `perf record -g` into FILE.data.
set -euo pipefail
build=$1
messages=${2:-10000}
baseline=${3:-500}
parallel=${4:-4}
here=$(cd "$(dirname "$0")/.." && pwd)
data=$here/tests/data
cli=$build/app/cli/sealpost-cli
keydir=$build/app/keydir/sealpost-keydir
[ "$(id -u)" -eq 0 ] || { echo "needs root (the mail servers)" >&2; exit 2; }
work=$(mktemp -d)
chmod 755 "$work"
keydir_pid=
cleanup() {
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    bash "$here/tests/mail/mailserver.sh" stop "$work/mail" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
domain=bench.example
MAIL_FIXTURE_DISCARD_DOMAIN=$domain bash "$here/tests/mail/mailserver.sh" start "$work/mail" >"$work/mail.log" 2>&1
# shellcheck source=/dev/null
. "$work/mail/env"
# shellcheck source=../tests/app/ca-fixture.sh
. "$here/tests/app/ca-fixture.sh"

start_keydir "$work" "$data/root-ca.cert.pem" --rate-client 100000/100000 --rate-address 100000/100000

# 500 recipients with a certificate (e0001..), 500 without (p0001..); message i goes to
# recipient i mod 500 of its half, so each recipient gets MESSAGES/1000 messages.
certified=500
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rcpt.key" 2>/dev/null
openssl req -new -key "$work/rcpt.key" -subj "/O=Sealpost Bench/CN=bulk recipient" -out "$work/rcpt.csr"
mkdir -p "$work/certs"
for ((i = 1; i <= certified; i++)); do
    printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:e%04d@%s\n' \
        "$i" "$domain" >"$work/ext"
    openssl x509 -req -in "$work/rcpt.csr" -CA "$data/intermediate-ca.cert.pem" -CAkey "$data/intermediate-ca.key.pem" \
        -set_serial "$((200000 + i))" -days 30 -extfile "$work/ext" -out "$work/certs/$i.pem" 2>/dev/null
done
python3 - "$work/certs" "$data/intermediate-ca.cert.pem" "http://$keydir_address/v1/certs" <<'EOF'
import json, os, sys, urllib.request
certs, inter, url = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
names = sorted(os.listdir(certs), key=lambda s: int(s.split(".")[0]))
for k in range(0, len(names), 100):
    body = json.dumps({"submissions": [{"chain": open(os.path.join(certs, f)).read() + inter} for f in names[k:k + 100]]})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    out = json.load(urllib.request.urlopen(req))
    assert all(r["status"] == "accepted" for r in out["results"]), out
EOF

export SEALPOST_PROFILE=$work/alice SEALPOST_PASSPHRASE=bench
printf '%s\n' "$MAIL_PASSWORD_alice" >"$work/alice.pw"
"$cli" profile init >/dev/null
"$cli" identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt" >/dev/null
"$cli" trust add "$data/root-ca.cert.pem" >/dev/null
"$cli" directory set-url "http://$keydir_address" >/dev/null
"$cli" account add alice@example.org --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" \
    --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --allow-self-signed-fingerprint "$MAIL_CERT_SHA256" \
    --password-file "$work/alice.pw" >/dev/null

body=$(printf 'Statement line %02d: nothing to pay this month, thank you for banking with us.\\n' $(seq 13))
python3 - "$messages" "$certified" "$domain" "$body" >"$work/batch.jsonl" <<'EOF'
import sys
n, certified, domain, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
for i in range(1, n + 1):
    kind = "e" if i % 2 else "p"
    rcpt = "%s%04d@%s" % (kind, (i // 2) % certified + 1, domain)
    print('{"to": "%s", "subject": "Statement %d", "body": "Dear customer,\\n%s", "id": "%d"}' % (rcpt, i, body, i))
EOF
echo "batch: $messages messages, $(($(stat -c %s "$work/batch.jsonl") / messages)) bytes per line"

# ---- sealpost-cli send --batch
t0=$(date +%s.%N)
${PERF:+perf record -g -o "$PERF" --} /usr/bin/time -v "$cli" send --batch "$work/batch.jsonl" --json --quiet --parallel "$parallel" \
    >"$work/ours.json" 2>"$work/ours.time"
t1=$(date +%s.%N)
python3 - "$work/ours.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print("sealpost: encrypted %d, plain %d, failed %d, unconfirmed %d" % (s["encrypted"], s["plain"], s["failed"], s["unconfirmed"]))
EOF
ours_s=$(python3 -c "print(round($t1 - $t0, 2))")
ours_rate=$(python3 -c "print(round($messages / ($t1 - $t0), 1))")
ours_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/ours.time")
echo "sealpost: $messages messages in $ours_s s = $ours_rate msg/s, peak RSS $((ours_rss / 1024)) MiB"
echo "sealpost CPU: user $(sed -n 's/.*User time (seconds): //p' "$work/ours.time") s," \
    "system $(sed -n 's/.*System time (seconds): //p' "$work/ours.time") s (the rest of the 2 cores: Postfix, Dovecot, others)"

# ---- baseline: openssl cms per message, curl per submission
openssl pkcs12 -in "$data/alice.p12" -passin "file:$data/p12.password.txt" -nodes -nocerts -out "$work/alice.key" 2>/dev/null
cat >"$work/baseline.sh" <<EOF
set -e
for ((i = 1; i <= $baseline; i++)); do
    if [ \$((i % 2)) -eq 1 ]; then rcpt=\$(printf 'e%04d@$domain' \$(((i / 2) % $certified + 1))); else rcpt=\$(printf 'p%04d@$domain' \$(((i / 2) % $certified + 1))); fi
    printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nDear customer,\r\n%s\r\n' "$body" >"$work/b-body"
    openssl cms -sign -signer "$data/alice.cert.pem" -inkey "$work/alice.key" -certfile "$data/chain.pem" \
        -in "$work/b-body" -out "$work/b-signed" -md sha256
    if [ \$((i % 2)) -eq 1 ]; then
        openssl cms -encrypt -aes-256-cbc -in "$work/b-signed" -out "$work/b-inner" \
            "$work/certs/\$(((i / 2) % $certified + 1)).pem"
    else
        cp "$work/b-signed" "$work/b-inner"
    fi
    { printf 'From: alice@example.org\r\nTo: %s\r\nSubject: Statement %d\r\nMessage-ID: <base.%d@example.org>\r\n' "\$rcpt" "\$i" "\$i"
      cat "$work/b-inner"; } >"$work/b-msg"
    curl -s --url "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --ssl-reqd --cacert "$MAIL_CERT" \
        --user "alice@example.org:$MAIL_PASSWORD_alice" --mail-from alice@example.org --mail-rcpt "\$rcpt" \
        --upload-file "$work/b-msg"
done
EOF
t0=$(date +%s.%N)
/usr/bin/time -v bash "$work/baseline.sh" 2>"$work/base.time"
t1=$(date +%s.%N)
base_rate=$(python3 -c "print(round($baseline / ($t1 - $t0), 1))")
base_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/base.time")
echo "baseline: $baseline messages in $(python3 -c "print(round($t1 - $t0, 2))") s = $base_rate msg/s" \
    "(extrapolated to $messages: $(python3 -c "print(round($messages / $base_rate))") s), peak RSS $((base_rss / 1024)) MiB (largest process)"
echo "ratio: $(python3 -c "print(round($ours_rate / $base_rate, 1))")x"
echo "postfix discarded: $(grep -c "discard.*status=sent" "$MAIL_POSTFIX_LOG" || true)"
