#!/usr/bin/env bash
# sealpost-cli directory, lookup, publish and encrypt --to through a directory, against
# tests/core/directory/directory-stub.py (a local HTTP server answering what each step writes to
# its response file). The end-to-end test against the real sealpost-keydir is
# directory-e2e-test.sh. Usage: directory-cli-test.sh SEALPOST-CLI DATA-DIR STUB.py
set -u
cli=$1
data=$2
stub=$3
work=$(mktemp -d)
stub_pid=
cleanup() {
    [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null && wait "$stub_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/testlib.sh"

export SEALPOST_PROFILE=$work/profile SEALPOST_PASSPHRASE=directory-test
mkdir -p "$work/stub"
python3 "$stub" "$work/stub" >"$work/stub.out" &
stub_pid=$!
for _ in $(seq 300); do grep -q listening "$work/stub.out" 2>/dev/null && break; sleep 0.1; done
url="http://$(sed -n 's/^listening on //p' "$work/stub.out")"

# answer STATUS JSON-BODY: what the stub says to every request from now on.
answer() {
    python3 -c 'import json,sys; json.dump({"status": int(sys.argv[1]), "headers": {"Content-Type": "application/json"}, "body": sys.argv[2]}, open(sys.argv[3], "w"))' "$1" "$2" "$work/stub/response.json"
}
# lookup_body ADDRESS [CERT.pem [CHAIN.pem]]: a batch lookup answer for one address.
lookup_body() {
    python3 - "$@" <<'PY'
import base64, hashlib, json, sys
def der(pem):
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    return base64.b64decode(body)
address = sys.argv[1]
certs = []
if len(sys.argv) > 2:
    pem = open(sys.argv[2]).read()
    chain = [open(sys.argv[3]).read()] if len(sys.argv) > 3 else []
    certs.append({"fingerprint_sha256": hashlib.sha256(der(pem)).hexdigest(), "certificate": pem, "chain": chain,
                  "not_before": "2025-01-01T00:00:00Z", "not_after": "2035-01-01T00:00:00Z",
                  "provenance": "enrolled", "first_published": "2026-01-01T00:00:00Z"})
print(json.dumps({"results": [{"address": address, "address_sha256": hashlib.sha256(address.encode()).hexdigest(),
                               "certificates": certs}]}))
PY
}

run profile init
run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
run trust add "$data/root-ca.cert.pem"

run lookup bob@example.org
check "lookup without a directory is refused with a hint" '[ $rc -eq 2 ] && grep -q "directory set-url" "$work/stderr"' "$rc $(cat "$work/stderr")"
run directory show
check "show says directory features are off" 'grep -q "directory features are off" "$work/stdout" && grep -q "1 queued" "$work/stdout"' "$(cat "$work/stdout")"

run directory set-url "$url"
check "set-url" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"

answer 200 "$(lookup_body bob@example.org "$data/bob.cert.pem" "$data/intermediate-ca.cert.pem")"
run lookup Bob@Example.org --json
check "lookup finds a valid certificate (exit 0)" '[ $rc -eq 0 ] && grep -q "\"outcome\": \"found\"" "$work/stdout" && grep -q "\"source\": \"network\"" "$work/stdout"' "$rc $(cat "$work/stdout" "$work/stderr")"
run cert list bob@example.org --json
check "the found certificate is stored with provenance directory" 'grep -q "\"provenance\": \"directory\"" "$work/stdout"' "$(cat "$work/stdout")"
run lookup bob@example.org --json
check "a second lookup answers from the cache" '[ $rc -eq 0 ] && grep -q "\"source\": \"cache\"" "$work/stdout"' "$(cat "$work/stdout")"
requests=$(wc -l <"$work/stub/requests.jsonl")
check "the cache hit asked nobody" '[ "$requests" -eq 1 ]' "$requests requests"

answer 200 "$(lookup_body grace@example.org)"
run lookup grace@example.org
check "nothing in the directory: exit 7" '[ $rc -eq 7 ] && grep -q "not-found" "$work/stdout"' "$rc $(cat "$work/stdout")"

answer 200 "$(lookup_body dave@example.org "$data/dave-untrusted.cert.pem")"
run lookup dave@example.org
check "an untrusted certificate is rejected with its reason (exit 7)" '[ $rc -eq 7 ] && grep -q "rejected .*untrusted" "$work/stdout"' "$rc $(cat "$work/stdout")"
run cert list dave@example.org --json
check "the rejected certificate is not stored" '! grep -q fingerprint "$work/stdout"' "$(cat "$work/stdout")"

run lookup dave@example.org --offline --json
check "offline answers from the cache" '[ $rc -eq 7 ] && grep -q "\"source\": \"cache\"" "$work/stdout"' "$rc $(cat "$work/stdout")"
run lookup erin@example.org --offline
check "offline without a cached answer: exit 4" '[ $rc -eq 4 ]' "$rc"

# encrypt --to resolves a recipient the profile does not know through the directory.
printf 'From: alice@example.org\r\nTo: carol@example.org\r\nSubject: hi\r\n\r\nsecret words\r\n' >"$work/plain.eml"
answer 200 "$(lookup_body carol@example.org "$data/carol.cert.pem" "$data/intermediate-ca.cert.pem")"
run encrypt --to carol@example.org -i "$work/plain.eml" -o "$work/enc.eml"
check "encrypt --to looks an unknown recipient up in the directory" '[ $rc -eq 0 ] && grep -q "carol@example.org: directory: found (network)" "$work/stderr"' "$rc $(cat "$work/stderr")"
"$cli" open --key "$data/carol.key.pem" --cert "$data/carol.cert.pem" -i "$work/enc.eml" -o "$work/dec.eml" >/dev/null 2>&1
check "carol decrypts it" 'grep -q "secret words" "$work/dec.eml"'

rm -f "$work/stub/requests.jsonl"
answer 200 "$(lookup_body frank@example.org)"
run encrypt --to frank@example.org -i "$work/plain.eml" -o "$work/enc2.eml"
check "encrypt to an address nobody has a certificate for fails, naming the directory's answer" '[ $rc -eq 2 ] && grep -q "frank@example.org: directory: not-found" "$work/stderr"' "$rc $(cat "$work/stderr")"

fp=$(python3 -c 'import base64,hashlib,sys; p=open(sys.argv[1]).read(); print(hashlib.sha256(base64.b64decode("".join(l for l in p.splitlines() if l and not l.startswith("-----")))).hexdigest())' "$data/alice.cert.pem")
rm -f "$work/stub/requests.jsonl"
answer 201 "{\"results\": [{\"status\": \"accepted\", \"fingerprint_sha256\": \"$fp\", \"addresses_sha256\": []}]}"
cat "$data/alice.cert.pem" "$data/chain.pem" >"$work/alice-chain.pem"
run publish "$work/alice-chain.pem"
check "publish FILE: accepted" '[ $rc -eq 0 ] && grep -q "accepted" "$work/stdout"' "$rc $(cat "$work/stdout" "$work/stderr")"
check "publish FILE sends the chain as self" 'grep -q "provenance=self" "$work/stub/requests.jsonl" && grep -q "pem-certificate-chain" "$work/stub/requests.jsonl"' "$(cat "$work/stub/requests.jsonl")"

answer 422 '{"error": "rejected", "reason": "untrusted", "detail": "unable to get local issuer certificate"}'
run publish "$data/dave-untrusted.cert.pem" --json
check "publish FILE: a rejection is reported with its reason (exit 6)" '[ $rc -eq 6 ] && grep -q "\"reason\": \"untrusted\"" "$work/stdout"' "$rc $(cat "$work/stdout")"

answer 201 "{\"results\": [{\"status\": \"accepted\", \"fingerprint_sha256\": \"$fp\", \"addresses_sha256\": []}]}"
run publish --pending --json
check "publish --pending uploads the imported identity" '[ $rc -eq 0 ] && grep -q "\"status\": \"accepted\"" "$work/stdout" && grep -q "\"provenance\": \"self\"" "$work/stdout"' "$rc $(cat "$work/stdout" "$work/stderr")"
run directory show --json
check "the queue entry is done" 'grep -q "\"done\": 1" "$work/stdout"' "$(cat "$work/stdout")"

run directory publish-harvested off
run directory show
check "publishing harvested certificates can be turned off" 'grep -q "publish harvested: off" "$work/stdout"' "$(cat "$work/stdout")"
run directory unset-url
run directory show
check "unset-url turns the directory off" 'grep -q "directory features are off" "$work/stdout"' "$(cat "$work/stdout")"

finish
