#!/usr/bin/env bash
# `sealpost-cli account` against real servers: the Dovecot + Postfix fixture (tests/mail/mailserver.sh)
# and, for autoconfig, a config-v1.1.xml served by a local HTTP server. Exits 77 (skip) when the
# fixture cannot run here (not root, servers not installed).
# Usage: account-test.sh SEALPOST_CLI MAILSERVER_SH
set -u
cli=$1
mailserver=$2
work=$(mktemp -d)
chmod 711 "$work" # the servers drop privileges and must reach $work/srv
http_pid=""
https_pid=""
dns_pid=""
cleanup() {
    [ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null
    [ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null
    [ -n "$https_pid" ] && kill "$https_pid" 2>/dev/null
    bash "$mailserver" stop "$work/srv" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=testlib.sh
. "$(dirname "$0")/testlib.sh"

bash "$mailserver" start "$work/srv" >"$work/fixture.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
    cat "$work/fixture.log"
    exit 77
fi
[ $rc -eq 0 ] || { cat "$work/fixture.log"; echo "FAIL: mail fixture did not start"; exit 1; }
# shellcheck disable=SC1091
. "$work/srv/env"

export SEALPOST_PROFILE=$work/profile SEALPOST_PASSPHRASE=profile-pass
"$cli" profile init >/dev/null 2>&1 || { echo "FAIL: profile init"; exit 1; }
printf '%s\n' "$MAIL_PASSWORD_alice" >"$work/alice.pw"
printf '%s' "$MAIL_PASSWORD_bob" >"$work/bob.pw"
printf '%s\n' "$MAIL_PASSWORD_carol" >"$work/carol.pw"
printf 'not-the-password\n' >"$work/wrong.pw"
imaps="imaps://127.0.0.1:$MAIL_IMAPS_PORT"
submission="smtp://127.0.0.1:$MAIL_SUBMISSION_PORT"
pin=$MAIL_CERT_SHA256
all_output=$work/all-output
logged() { run "$@"; cat "$work/stdout" "$work/stderr" >>"$all_output"; }

# Wrong password, closed port and an unpinned self-signed certificate: three distinct failures,
# and none of them stores the account.
logged account add bob@example.org --imap "$imaps" --smtp "$submission" --allow-self-signed-fingerprint "$pin" \
    --password-file "$work/wrong.pw"
check "wrong password: exit 3" '[ $rc -eq 3 ]' "rc=$rc $(cat "$work/stderr")"
check "wrong password: auth-failed named" 'grep -q "imap: auth-failed" "$work/stderr" && grep -q "smtp: auth-failed" "$work/stderr"'
closed=1 # tcpmux: nothing listens there, and no test server picks it (ephemeral ports could be)
logged account add bob@example.org --imap "imaps://127.0.0.1:$closed" --smtp "$submission" \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/bob.pw"
check "closed port: exit 4" '[ $rc -eq 4 ]' "rc=$rc $(cat "$work/stderr")"
check "closed port: unreachable named" 'grep -q "imap: unreachable" "$work/stderr"'
logged account add bob@example.org --imap "$imaps" --smtp "$submission" --password-file "$work/bob.pw"
check "no pin: exit 5" '[ $rc -eq 5 ]' "rc=$rc $(cat "$work/stderr")"
check "no pin: untrusted, names the certificate's SHA-256" \
    'grep -q "untrusted-server" "$work/stderr" && grep -q -- "--allow-self-signed-fingerprint $pin" "$work/stderr"'
logged account add bob@example.org --imap "$imaps" --smtp "$submission" --password-file "$work/bob.pw" \
    --allow-self-signed-fingerprint "$(printf '%064d' 0)"
check "other pin: exit 5" '[ $rc -eq 5 ]' "rc=$rc $(cat "$work/stderr")"
check "other pin: mismatch named" 'grep -q "is not the pinned one" "$work/stderr"'
logged account add bob@example.org --imap "imap+plain://127.0.0.1:$MAIL_IMAP_PORT" --smtp "$submission" \
    --password-file "$work/bob.pw"
check "plaintext without --allow-plaintext: usage error" '[ $rc -eq 2 ]' "rc=$rc"
logged account list
check "failed adds stored nothing" '[ $rc -eq 0 ] && [ ! -s "$work/stdout" ]' "$(cat "$work/stdout")"

# Explicit servers with the pin: implicit-TLS IMAP and STARTTLS submission, then the reverse.
logged account add alice@example.org --name "Alice Example" --imap "$imaps" --smtp "$submission" \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/alice.pw"
check "add alice: exit 0" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stderr")"
check "add alice: both logins checked" \
    'grep -q "imap $imaps: login ok" "$work/stdout" && grep -q "smtp $submission: login ok" "$work/stdout"'
logged account add carol@example.org --imap "imap://127.0.0.1:$MAIL_IMAP_PORT" \
    --smtp "smtps://127.0.0.1:$MAIL_SUBMISSIONS_PORT" --allow-self-signed-fingerprint "${pin^^}" \
    --password-file "$work/carol.pw" --json
check "add carol (STARTTLS IMAP, SMTPS): exit 0" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stderr")"
check "add carol --json: verified, pin normalised" \
    'jqe ".verified == true and .account.pinned_sha256 == \"$pin\" and .checks.imap.ok and .checks.smtp.ok" "$work/stdout" >/dev/null'
logged account add alice@example.org --imap "$imaps" --smtp "$submission" --password-file "$work/alice.pw"
check "add existing: refused" '[ $rc -eq 2 ] && grep -q "exists" "$work/stderr"'

logged account list --json
check "list --json: both accounts, no secret" \
    'jqe "length == 2 and .[0].address == \"alice@example.org\" and .[0].display_name == \"Alice Example\" and .[1].imap == \"imap://127.0.0.1:$MAIL_IMAP_PORT\"" "$work/stdout" >/dev/null'
logged account test
check "test: exit 0, four logins" '[ $rc -eq 0 ] && [ "$(grep -c "login ok" "$work/stdout")" -eq 4 ]' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"

# SMTP down: account test tells the unreachable server apart.
bash "$mailserver" stop-smtp "$work/srv" >/dev/null 2>&1
logged account test alice@example.org --json
check "test with SMTP down: exit 4" '[ $rc -eq 4 ]' "rc=$rc $(cat "$work/stderr")"
check "test with SMTP down: imap ok, smtp unreachable" \
    'jqe ".[0].checks.imap.ok and (.[0].checks.smtp.ok | not) and .[0].checks.smtp.error == \"unreachable\"" "$work/stdout" >/dev/null'
bash "$mailserver" start-smtp "$work/srv" >/dev/null 2>&1
logged account test nobody@example.org
check "test unknown account: exit 7" '[ $rc -eq 7 ]' "rc=$rc"

# Autoconfig: the autoconfig.example.org and well-known steps are pointed at a closed local port
# (example.org itself is never contacted); the ISP database step is served locally.
mkdir -p "$work/www"
cat >"$work/www/example.org" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname><port>$MAIL_IMAPS_PORT</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname><port>$MAIL_SUBMISSION_PORT</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%@%EMAILDOMAIN%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
XML
http_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$work/www" >"$work/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $http_port), 1)" 2>/dev/null && break
    sleep 0.1
done
redirect=(--connect-to "autoconfig.example.org:443:127.0.0.1:$closed" --connect-to "example.org:443:127.0.0.1:$closed")
start=$(date +%s)
logged account add bob@example.org "${redirect[@]}" --isp-db "http://127.0.0.1:$http_port/" --allow-plaintext \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/bob.pw"
elapsed=$(($(date +%s) - start))
check "autoconfig add: exit 0" '[ $rc -eq 0 ]' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
check "autoconfig add: steps in order, failing ones unreachable" \
    'grep "^  " "$work/stdout" | head -3 | tr "\n" "|" | grep -Eq "^  autoconfig https://autoconfig.example.org/mail/config-v1.1.xml\?emailaddress=bob%40example.org: failed \(unreachable: [^|]*\|  well-known https://example.org/.well-known/autoconfig/mail/config-v1.1.xml: failed \(unreachable: [^|]*\|  isp-database http://127.0.0.1:$http_port/example.org: found\|$"' \
    "$(cat "$work/stdout")"
check "autoconfig add: servers from the document" \
    'grep -q "added bob@example.org: IMAP $imaps, SMTP $submission, user bob@example.org" "$work/stdout"'
check "autoconfig add: quick (${elapsed}s)" '[ "$elapsed" -lt 15 ]'
check "autoconfig add: the document was fetched" 'grep -q "GET /example.org" "$work/http.log"'
logged account remove bob@example.org
check "remove: exit 0" '[ $rc -eq 0 ]'
# Without --allow-plaintext the http ISP database is refused; discovery then goes on to SRV and
# guesses, which find nothing: a domain under .invalid, and every connection sent to a closed port.
logged account add dave@mail.invalid --connect-to "::127.0.0.1:$closed" --isp-db "http://127.0.0.1:$http_port/" \
    --password-file "$work/bob.pw" --json
check "autoconfig: http ISP database refused without --allow-plaintext; nothing found: exit 7" \
    '[ $rc -eq 7 ] && [ -s "$work/stdout" ] && jqe ".error == \"not-found\" and (.steps | length == 3 + 4 + 12) and .steps[2].method == \"isp-database\" and .steps[2].error == \"invalid-argument\" and .steps[3].tried == \"_imaps._tcp.mail.invalid\" and .steps[7].tried == \"imap imap.mail.invalid:993 (tls)\" and .steps[7].error == \"unreachable\" and ([.steps[].outcome] | index(\"found\") == null)" "$work/stdout" >/dev/null' \
    "rc=$rc $(cat "$work/stdout")"
logged account remove bob@example.org
check "remove again: exit 7" '[ $rc -eq 7 ]' "rc=$rc"

# The https autoconfig step for real: autoconfig.example.org served over TLS by a local server with
# a certificate from a test CA, reached through --connect-to. Without that CA the step fails as an
# untrusted server and discovery goes on (here to the ISP database).
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Autoconfig Test CA" -keyout "$work/ac-ca.key" \
    -out "$work/ac-ca.pem" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=autoconfig.example.org" -keyout "$work/ac.key" -out "$work/ac.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:autoconfig.example.org\nextendedKeyUsage=serverAuth\n' >"$work/ac.ext"
openssl x509 -req -in "$work/ac.csr" -CA "$work/ac-ca.pem" -CAkey "$work/ac-ca.key" -CAcreateserial -days 30 \
    -extfile "$work/ac.ext" -out "$work/ac.pem" >/dev/null 2>&1
mkdir -p "$work/www-tls/mail"
cp "$work/www/example.org" "$work/www-tls/mail/config-v1.1.xml"
https_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$https_port" "$work/www-tls" "$work/ac.pem" "$work/ac.key" >"$work/https.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
httpd = http.server.HTTPServer(("127.0.0.1", port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
PY
https_pid=$!
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $https_port), 1)" 2>/dev/null && break
    sleep 0.1
done
tls_redirect=(--connect-to "autoconfig.example.org:443:127.0.0.1:$https_port" --connect-to "example.org:443:127.0.0.1:$closed")
logged account add bob@example.org "${tls_redirect[@]}" --discovery-ca-file "$work/ac-ca.pem" \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/bob.pw" --json
check "https autoconfig: found at autoconfig.example.org with the test CA" \
    '[ $rc -eq 0 ] && jqe ".steps[0].method == \"autoconfig\" and .steps[0].outcome == \"found\" and (.steps | length == 1)" "$work/stdout" >/dev/null' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
check "https autoconfig: the document was fetched with the address" 'grep -q "GET /mail/config-v1.1.xml?emailaddress=bob%40example.org" "$work/https.log"' \
    "$(cat "$work/https.log")"
logged account remove bob@example.org
logged account add bob@example.org "${tls_redirect[@]}" --isp-db "http://127.0.0.1:$http_port/" --allow-plaintext \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/bob.pw" --json
check "https autoconfig: without the CA the step fails as untrusted, the ISP database is used" \
    '[ $rc -eq 0 ] && jqe ".steps[0].outcome == \"failed\" and .steps[0].error == \"untrusted-server\" and .steps[2].method == \"isp-database\" and .steps[2].outcome == \"found\"" "$work/stdout" >/dev/null' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
logged account remove bob@example.org

for p in "$MAIL_PASSWORD_alice" "$MAIL_PASSWORD_bob" "$MAIL_PASSWORD_carol"; do
    check "password never printed ($p)" '! grep -qF -- "$p" "$all_output"'
done
# SRV records from a real DNS server: dnsmasq on loopback, asked with --dns-server. The autoconfig
# steps fail fast (closed port); _imaps._tcp and _submission._tcp name the fixture's servers.
dns_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dnsmasq --keep-in-foreground --conf-file= --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
    --no-hosts --pid-file= --user=root --log-facility="$work/dnsmasq.log" \
    --srv-host="_imaps._tcp.example.org,localhost,$MAIL_IMAPS_PORT,0,0" \
    --srv-host="_submission._tcp.example.org,localhost,$MAIL_SUBMISSION_PORT,0,0" &
dns_pid=$!
for _ in $(seq 50); do
    grep -q "started" "$work/dnsmasq.log" 2>/dev/null && break
    sleep 0.1
done
logged account add bob@example.org "${redirect[@]}" --dns-server "127.0.0.1:$dns_port" \
    --allow-self-signed-fingerprint "$pin" --password-file "$work/bob.pw" --json
check "srv: servers from the DNS server's SRV records" \
    '[ $rc -eq 0 ] && jqe "([.steps[] | select(.outcome == \"found\") | .tried | split(\" \")[0]] | sort) == [\"_imaps._tcp.example.org\", \"_submission._tcp.example.org\"]" "$work/stdout" >/dev/null &&
     grep -q "localhost:$MAIL_IMAPS_PORT" "$work/stdout" && grep -q "localhost:$MAIL_SUBMISSION_PORT" "$work/stdout"' \
    "rc=$rc $(cat "$work/stdout" "$work/stderr")"
logged account remove bob@example.org
finish
