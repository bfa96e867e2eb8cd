#!/usr/bin/env bash
# The directory over real HTTP: starts the real sealpost-keydir on a free port with a test CA as
# its only trust anchor, and exercises every endpoint and every rejection reason of
# docs/directory-api.md with curl; certificates are made here with `openssl ca`.
#
#   keydir-api-test.sh SEALPOST_KEYDIR [DATABASE_URL]
#
# DATABASE_URL is passed to --database (default: a SQLite file in the work directory); give a
# postgresql:// URL of a throwaway database to run the same cases against PostgreSQL. Every
# certificate is new on each run, so a database that already holds data does no harm.
#
# Output: one line per case (`PASS name`, `FAIL name: reason`), then `N passed, N failed`.
# Exit status: 0 if nothing failed, 1 if a case failed, 2 on usage/setup error.

set -u -o pipefail
export LC_ALL=C TZ=UTC

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 SEALPOST_KEYDIR [DATABASE_URL]" >&2; exit 2; }
KEYDIR=$1
for tool in curl openssl jq sha256sum; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing" >&2; exit 2; }
done
[[ -x $KEYDIR ]] || { echo "error: not executable: $KEYDIR" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/keydir-api-test.XXXXXX")
DB=${2:-sqlite:$W/keydir.sqlite}
PID=""
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME EXPECTED ACTUAL
check() { if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi; }

# ---- certificates ----------------------------------------------------------------------------
stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
cat >"$W/ca.cnf" <<'CNF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
serial = serial
new_certs_dir = newcerts
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = optional
emailAddress = optional
[ req ]
distinguished_name = dn
[ dn ]
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ user ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectAltName = email:${ENV::SAN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ user_clientauth ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = clientAuth
subjectAltName = email:${ENV::SAN}
[ user_signonly ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:${ENV::SAN}
[ user_noemail ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
[ user_huge ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectAltName = email:${ENV::SAN}
nsComment = ${ENV::PADDING}
CNF
mkdir -p "$W/newcerts"
: >"$W/index.txt"
echo 01 >"$W/serial"
export SAN=unused@example.invalid PADDING=x

# issue NAME CN EXTENSIONS ISSUER START END   (ISSUER "self" for a root)
issue() {
    local name=$1 cn=$2 ext=$3 issuer=$4 start=$5 end=$6 signargs
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$name.key" 2>/dev/null || return 1
    openssl req -new -config "$W/ca.cnf" -key "$W/$name.key" -subj "/CN=$cn" -out "$W/$name.csr" || return 1
    if [[ $issuer == self ]]; then
        signargs=(-selfsign -keyfile "$W/$name.key")
    else
        signargs=(-cert "$W/$issuer.pem" -keyfile "$W/$issuer.key")
    fi
    (cd "$W" && openssl ca -batch -notext -config ca.cnf -preserveDN -rand_serial -md sha256 \
        -startdate "$start" -enddate "$end" -extensions "$ext" "${signargs[@]}" \
        -in "$name.csr" -out "$name.pem" 2>>"$W/ca.log")
}
# user NAME EMAIL EXTENSIONS ISSUER [START END]
user() {
    SAN=$2 issue "$1" "$1 test" "$3" "$4" "${5:-$(stamp '-1 day')}" "${6:-$(stamp '+30 days')}"
}
{
    issue root "Keydir Test Root" root self "$(stamp '-1 year')" "$(stamp '+10 years')" &&
    issue inter "Keydir Test Intermediate" intermediate root "$(stamp '-1 year')" "$(stamp '+10 years')" &&
    issue other "Other Root" root self "$(stamp '-1 year')" "$(stamp '+10 years')" &&
    user alice alice@example.org user inter &&
    user bob bob@example.org user inter &&
    user carol carol@example.org user inter &&
    user dave dave@example.org user root &&
    user erin erin@example.org user inter &&
    user frank frank@example.org user inter &&
    user mallory mallory@example.org user other &&
    user expired eve@example.org user inter "$(stamp '-60 days')" "$(stamp '-1 day')" &&
    user future fay@example.org user inter "$(stamp '+1 day')" "$(stamp '+60 days')" &&
    user tls tls@example.org user_clientauth inter &&
    user signonly sig@example.org user_signonly inter &&
    user noemail none@example.org user_noemail inter &&
    PADDING=$(head -c 17000 /dev/zero | tr '\0' x) user huge huge@example.org user_huge inter
} || { echo "error: cannot make the test certificates:" >&2; cat "$W/ca.log" >&2; exit 2; }
chain() { cat "$W/$1.pem" "$W/inter.pem"; }
head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$W/token"
TOKEN=$(cat "$W/token")
fingerprint() { openssl x509 -in "$W/$1.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f'; }
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# ---- the server ------------------------------------------------------------------------------
start() { # start EXTRA_FLAGS...
    # Emptied here, not by the background job's redirection: that may run after the loop below
    # has read the previous server's "listening on" line.
    : >"$W/stdout.log"
    "$KEYDIR" --listen 127.0.0.1:0 --database "$DB" --trust-anchors "$W/root.pem" --threads 2 \
        --publisher-token-file "$W/token" "$@" >"$W/stdout.log" 2>"$W/stderr.log" &
    PID=$!
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$W/stdout.log")
        [[ -n $PORT ]] && { BASE="http://127.0.0.1:$PORT"; return 0; }
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: sealpost-keydir did not start:" >&2
    cat "$W/stderr.log" >&2
    exit 2
}
stop() {
    kill -TERM "$PID"
    local rc
    wait "$PID"
    rc=$?
    PID=""
    return $rc
}

# req METHOD PATH [curl args...]: sets STATUS, BODY ($W/body), HEADERS ($W/headers)
req() {
    local method=$1 path=$2
    shift 2
    : >"$W/body" # curl leaves the file alone when there is no body (304, HEAD)
    STATUS=$(curl -sS -X "$method" -o "$W/body" -D "$W/headers" -w '%{http_code}' "$@" "$BASE$path")
    BODY=$(tr -d '\0' <"$W/body") # DER answers hold NUL bytes; they are read from the file
}
hdr() { grep -i "^$1:" "$W/headers" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
submit() { # submit FILE [TYPE] [QUERY] [curl args...]
    local file=$1 type=${2:-application/pem-certificate-chain} query=${3:-}
    shift 3 2>/dev/null || shift $#
    req POST "/v1/certs$query" -H "Content-Type: $type" --data-binary "@$file" "$@"
}

echo "# database: ${DB%%:*}" # the scheme only: a PostgreSQL URL may hold a password
start --rate-client 1000/1000 --rate-address 1000/1000

# ---- service endpoints -----------------------------------------------------------------------
req GET /v1/health
check health "200 ok" "$STATUS $(jq -r .status <<<"$BODY")"

# ---- submission and lookup -------------------------------------------------------------------
ALICE=$(hash alice@example.org)
req GET /v1/certs/alice@example.org
check lookup-before-submission "404 not-found public, max-age=300" "$STATUS $(jq -r .error <<<"$BODY") $(hdr Cache-Control)"

chain alice >"$W/alice.chain"
submit "$W/alice.chain"
check submit-pem-chain "201 accepted $(fingerprint alice) $ALICE" \
    "$STATUS $(jq -r '.results[0] | "\(.status) \(.fingerprint_sha256) \(.addresses_sha256[0])"' <<<"$BODY")"
submit "$W/alice.chain"
check resubmission-is-unchanged "200 unchanged" "$STATUS $(jq -r '.results[0].status' <<<"$BODY")"

req GET /v1/certs/alice@example.org
check lookup-by-address "200 application/json $ALICE $(fingerprint alice) submitted 1" \
    "$STATUS $(hdr Content-Type) $(jq -r '"\(.address_sha256) \(.certificates[0].fingerprint_sha256) \(.certificates[0].provenance) \(.certificates[0].chain | length)"' <<<"$BODY")"
ETAG=$(hdr ETag)
check lookup-cache-control "public, max-age=3600" "$(hdr Cache-Control)"
jq -r '.certificates[0].certificate' <<<"$BODY" >"$W/alice.back.pem"
check lookup-returns-the-certificate "$(openssl x509 -in "$W/alice.pem" -outform DER | sha256sum)" \
    "$(openssl x509 -in "$W/alice.back.pem" -outform DER | sha256sum)"
BY_ADDRESS=$BODY
req GET "/v1/certs/sha256/$ALICE"
check lookup-by-hash "200 same" "$STATUS $([[ $BODY == "$BY_ADDRESS" ]] && echo same || echo different)"
req GET /v1/certs/Alice%40Example.ORG
check lookup-percent-encoded-and-case "200 $ETAG" "$STATUS $(hdr ETag)"
req GET /v1/certs/alice@example.org -H "If-None-Match: $ETAG"
check if-none-match-304 "304 0" "$STATUS $(wc -c <"$W/body")"
req HEAD /v1/certs/alice@example.org -I
check head "200 ${#BY_ADDRESS}" "$STATUS $(hdr Content-Length)"

req GET /v1/certs/alice@example.org -H "Accept: application/pkcs7-mime"
CERTS=$(openssl pkcs7 -inform DER -in "$W/body" -print_certs -noout 2>&1 | grep -c '^subject=')
check certs-only-answer "200 application/pkcs7-mime; smime-type=certs-only; name=certs.p7c 2" \
    "$STATUS $(hdr Content-Type) $CERTS"
if openssl pkcs7 -inform DER -in "$W/body" -print_certs -noout | grep -q "CN = alice test"; then
    pass certs-only-holds-the-leaf
else
    fail certs-only-holds-the-leaf "$(openssl pkcs7 -inform DER -in "$W/body" -print_certs -noout 2>&1)"
fi
req GET /v1/certs/alice@example.org -H "Accept: text/html"
check not-acceptable-406 "406 not-acceptable" "$STATUS $(jq -r .error <<<"$BODY")"

req GET /v1/can-encrypt/alice@example.org
check can-encrypt-true "200 true $(openssl x509 -in "$W/alice.pem" -noout -enddate | cut -d= -f2 | xargs -I{} date -u -d {} +%Y-%m-%dT%H:%M:%SZ)" \
    "$STATUS $(jq -r '"\(.can_encrypt) \(.valid_until)"' <<<"$BODY")"
req GET "/v1/can-encrypt/sha256/$(hash nobody@example.org)"
check can-encrypt-false "200 false public, max-age=300" "$STATUS $(jq -r .can_encrypt <<<"$BODY") $(hdr Cache-Control)"

req POST /v1/lookup -H "Content-Type: application/json" --data '{"addresses": ["alice@example.org", "nobody@example.org"]}'
check batch-lookup "200 alice@example.org 1 nobody@example.org 0 no-store" \
    "$STATUS $(jq -r '[.results[] | "\(.address) \(.certificates | length)"] | join(" ")' <<<"$BODY") $(hdr Cache-Control)"
req POST /v1/lookup -H "Content-Type: application/json" --data "{\"address_sha256\": [\"$ALICE\"]}"
check batch-lookup-by-hash "200 $ALICE 1" "$STATUS $(jq -r '.results[0] | "\(.address_sha256) \(.certificates | length)"' <<<"$BODY")"
req POST /v1/lookup -H "Content-Type: application/json" --data '{"addresses": ["a@b", "nope"]}'
check batch-lookup-bad-entry "400 bad-address 1" "$STATUS $(jq -r .error <<<"$BODY") $(jq -r .detail <<<"$BODY" | grep -o 'entry [0-9]*' | cut -d' ' -f2)"

# The other formats.
openssl x509 -in "$W/dave.pem" -outform DER -out "$W/dave.der"
submit "$W/dave.der" application/pkix-cert
check submit-der "201 accepted" "$STATUS $(jq -r '.results[0].status' <<<"$BODY")"
openssl crl2pkcs7 -nocrl -certfile "$W/inter.pem" -certfile "$W/carol.pem" -outform DER -out "$W/carol.p7c"
submit "$W/carol.p7c" "application/pkcs7-mime; smime-type=certs-only"
check submit-certs-only "201 accepted $(fingerprint carol)" "$STATUS $(jq -r '.results[0] | "\(.status) \(.fingerprint_sha256)"' <<<"$BODY")"
jq -n --rawfile bob <(chain bob) --rawfile erin <(chain erin) \
    '{submissions: [{chain: $bob, provenance: "harvested", address: "bob@example.org"}, {chain: $erin, address: "someone@example.org"}]}' >"$W/batch.json"
submit "$W/batch.json" application/json
check submit-batch "200 accepted rejected wrong-address" "$STATUS $(jq -r '[.results[] | .status] | join(" ")' <<<"$BODY") $(jq -r '.results[1].reason' <<<"$BODY")"
req GET /v1/certs/bob@example.org
check batch-provenance "harvested" "$(jq -r '.certificates[0].provenance' <<<"$BODY")"

# Provenance and the publisher token.
chain frank >"$W/frank.chain"
submit "$W/frank.chain" "" "?provenance=enrolled"
check enrolled-without-token-403 "403 forbidden" "$STATUS $(jq -r .error <<<"$BODY")"
submit "$W/frank.chain" application/pem-certificate-chain "?provenance=enrolled" -H "Authorization: Bearer $TOKEN"
check enrolled-with-token "201" "$STATUS"
req GET /v1/certs/frank@example.org
check enrolled-provenance "enrolled" "$(jq -r '.certificates[0].provenance' <<<"$BODY")"
submit "$W/frank.chain" application/pem-certificate-chain "?provenance=bogus"
check bad-provenance-400 "400 bad-request" "$STATUS $(jq -r .error <<<"$BODY")"

# ---- every rejection reason ------------------------------------------------------------------
reject() { # reject CASE FILE REASON [TYPE]
    submit "$2" "${4:-application/pem-certificate-chain}"
    local detail
    detail=$(jq -r .detail <<<"$BODY")
    if [[ $STATUS == 422 && $(jq -r .error <<<"$BODY") == rejected && $(jq -r .reason <<<"$BODY") == "$3" && -n $detail ]]; then
        pass "reject-$1"
    else
        fail "reject-$1" "status $STATUS, body $BODY"
    fi
}
printf 'garbage' >"$W/garbage"
reject malformed "$W/garbage" malformed
reject malformed-der "$W/garbage" malformed application/pkix-cert
{ cat "$W/alice.pem"; for _ in $(seq 9); do cat "$W/inter.pem"; done; } >"$W/long.chain"
reject chain-too-long "$W/long.chain" too-large
chain huge >"$W/huge.chain"
reject certificate-too-large "$W/huge.chain" too-large
cp "$W/inter.pem" "$W/ca.chain"
reject ca-certificate "$W/ca.chain" ca-certificate
chain noemail >"$W/noemail.chain"
reject no-address "$W/noemail.chain" no-address
chain future >"$W/future.chain"
reject not-yet-valid "$W/future.chain" not-yet-valid
chain expired >"$W/expired.chain"
reject expired "$W/expired.chain" expired
cat "$W/mallory.pem" "$W/other.pem" >"$W/mallory.chain"
reject untrusted "$W/mallory.chain" untrusted
cp "$W/carol.pem" "$W/carol-alone.chain" # no intermediate: no path to the root
reject untrusted-missing-intermediate "$W/carol-alone.chain" untrusted
chain tls >"$W/tls.chain"
reject wrong-purpose "$W/tls.chain" wrong-purpose
chain signonly >"$W/signonly.chain"
reject unusable-key "$W/signonly.chain" unusable-key
# wrong-address needs a submission that names an address: the JSON batch (see submit-batch).

# ---- HTTP errors -----------------------------------------------------------------------------
submit "$W/alice.chain" image/png
check unsupported-media-type-415 "415 unsupported-media-type" "$STATUS $(jq -r .error <<<"$BODY")"
req POST /v1/certs -H "Content-Type: application/pem-certificate-chain" -H "Transfer-Encoding: chunked" --data-binary "@$W/alice.chain"
check length-required-411 "411 length-required" "$STATUS $(jq -r .error <<<"$BODY")"
head -c 300000 /dev/zero | tr '\0' a >"$W/big"
submit "$W/big" text/plain
check body-too-large-413 "413 too-large" "$STATUS $(jq -r .error <<<"$BODY")"
req DELETE /v1/certs/alice@example.org
check method-not-allowed-405 "405 method-not-allowed GET, HEAD" "$STATUS $(jq -r .error <<<"$BODY") $(hdr Allow)"
req GET /v1/certs
check method-not-allowed-submit "405 POST" "$STATUS $(hdr Allow)"
req GET /v1/certs/not-an-address
check bad-address-400 "400 bad-address" "$STATUS $(jq -r .error <<<"$BODY")"
for path in /v1/certs/ /v1/certs/sha256/ "/v1/certs/sha256/${ALICE:0:8}" "/v1/certs/*" /v1/certs/%25 /v1/addresses /v1/ / /v1/can-encrypt/; do
    req GET "$path"
    if [[ ($STATUS == 400 || $STATUS == 404) && $BODY != *alice* && $BODY != *CERTIFICATE* ]]; then
        pass "no-enumeration $path"
    else
        fail "no-enumeration $path" "$STATUS $BODY"
    fi
done

# ---- metrics and the access log --------------------------------------------------------------
req GET /metrics
if [[ $STATUS == 200 ]] && grep -q '^keydir_requests_total{endpoint="certs",status="200"} ' "$W/body" &&
    grep -q '^keydir_submissions_total{result="rejected",reason="expired"} 1$' "$W/body" &&
    grep -q '^keydir_request_duration_seconds_bucket{le="+Inf"} ' "$W/body" &&
    grep -q '^keydir_certificates [1-9]' "$W/body"; then
    pass metrics
else
    fail metrics "$STATUS $(head -c 2000 "$W/body")"
fi
stop
check graceful-stop-on-sigterm 0 $?
if grep -q '"GET /v1/certs/-" 200 ' "$W/stdout.log" && ! grep -q -e alice@example.org -e "$ALICE" "$W/stdout.log"; then
    pass access-log-without-addresses
else
    fail access-log-without-addresses "$(head -n 5 "$W/stdout.log")"
fi

# ---- rate limits -----------------------------------------------------------------------------
start --rate-client 0.01/3 # 100 s per token: no refill while the test runs
for _ in 1 2 3; do req GET /v1/health; done
req GET /v1/health
check client-rate-limit-429 "429 rate-limited $(hdr Retry-After)" "$STATUS $(jq -r .error <<<"$BODY") $(jq -r .retry_after <<<"$BODY")"
if [[ $(hdr Retry-After) =~ ^[1-9][0-9]*$ ]]; then pass retry-after-header; else fail retry-after-header "'$(hdr Retry-After)'"; fi
stop >/dev/null
start --rate-client 1000/1000 --rate-address 0.01/2
req GET /v1/certs/alice@example.org
req GET "/v1/can-encrypt/sha256/$ALICE"
req GET /v1/certs/alice@example.org
check address-rate-limit-429 "429 rate-limited" "$STATUS $(jq -r .error <<<"$BODY")"
req GET /v1/certs/bob@example.org
check other-address-not-limited "200" "$STATUS"
stop >/dev/null

# ---- HTTPS -----------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/tls.key" -out "$W/tls.pem" \
    -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
start --tls-cert "$W/tls.pem" --tls-key "$W/tls.key"
BASE="https://127.0.0.1:$PORT"
req GET /v1/health --cacert "$W/tls.pem"
check https-health "200 ok" "$STATUS $(jq -r .status <<<"$BODY")"
req GET /v1/certs/alice@example.org --cacert "$W/tls.pem"
check https-lookup "200 $(fingerprint alice)" "$STATUS $(jq -r '.certificates[0].fingerprint_sha256' <<<"$BODY")"
submit "$W/alice.chain" application/pem-certificate-chain "" --cacert "$W/tls.pem"
check https-submit "200 unchanged" "$STATUS $(jq -r '.results[0].status' <<<"$BODY")"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/health")
check https-refuses-plain-http 000 "$STATUS"
stop >/dev/null

# ---- the command line ------------------------------------------------------------------------
"$KEYDIR" --listen 127.0.0.1:0 --trust-anchors "$W/missing.pem" --database "$DB" >/dev/null 2>"$W/err"
rc=$?
check missing-anchors-file "1 yes" "$rc $(grep -q 'missing.pem' "$W/err" && echo yes)"
"$KEYDIR" --listen 127.0.0.1:0 --rate-client fast >/dev/null 2>"$W/err"
check bad-flag "2 yes" "$? $(grep -q -- '--rate-client' "$W/err" && echo yes)"
"$KEYDIR" --listen 127.0.0.1:0 --trust-anchors "$W/root.pem" --database "sqlite:$W/no/such/dir/db" >/dev/null 2>"$W/err"
check database-cannot-open "1 yes" "$? $(grep -q 'cannot open the database' "$W/err" && echo yes)"
"$KEYDIR" --listen 127.0.0.1:0 --tls-cert "$W/tls.pem" >/dev/null 2>"$W/err"
check tls-cert-without-key "2 yes" "$? $(grep -q -- '--tls-key' "$W/err" && echo yes)"
"$KEYDIR" --listen 127.0.0.1:0 --trust-anchors "$W/root.pem" --database "$DB" --tls-cert "$W/missing.pem" \
    --tls-key "$W/tls.key" >/dev/null 2>"$W/err"
check tls-cert-missing "1 yes" "$? $(grep -q 'missing.pem' "$W/err" && echo yes)"
if "$KEYDIR" --version | grep -q '^sealpost-keydir [0-9]'; then pass version; else fail version "$("$KEYDIR" --version 2>&1)"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
