#!/usr/bin/env bash
# End-to-end tests of `sealpost-cli status`: a fresh profile, one with an imported identity (no
# enrollment), and one whose identity has renewal state (written by enrollment-fixture through
# the store), in text and JSON.
# Usage: status-test.sh SEALPOST_CLI ENROLLMENT_FIXTURE DATA_DIR
set -uo pipefail
cli=$1
fixture=$2
data=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/testlib.sh"

export SEALPOST_PROFILE="$work/alice" SEALPOST_PASSPHRASE=alice-profile
run profile init
check "setup" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"

run status
check "fresh-text" '[ $rc -eq 0 ] && grep -q "^no identities" "$work/stdout"' "$(cat "$work/stdout" "$work/stderr")"
run status --json
check "fresh-json" '[ $rc -eq 0 ] && [ "$(jq -r ".identities | length" "$work/stdout")" = 0 ]' "$(cat "$work/stdout")"

run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
check "import" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
run status
check "imported-text" '[ $rc -eq 0 ] &&
    grep -q "^alice@example.org rsa2048 not-after 2035-01-01T00:00:00Z current$" "$work/stdout" &&
    grep -q "^  no enrollment$" "$work/stdout"' "$(cat "$work/stdout" "$work/stderr")"
run status --json
check "imported-json" '[ $rc -eq 0 ] && [ "$(jq -r ".identities[0].address" "$work/stdout")" = alice@example.org ] &&
    [ "$(jq -r ".identities[0].key_type" "$work/stdout")" = rsa2048 ] &&
    [ "$(jq -r ".identities[0].not_after" "$work/stdout")" = 2035-01-01T00:00:00Z ] &&
    [ "$(jq -r ".identities[0].state" "$work/stdout")" = current ] &&
    [ "$(jq -r ".identities[0].enrollment" "$work/stdout")" = null ]' "$(cat "$work/stdout")"

"$fixture" "$work/alice/profile.db" alice@example.org
fixture_rc=$?
check "fixture" '[ $fixture_rc -eq 0 ]'
run profile check --json
check "profile-check-counts-renewals" '[ $rc -eq 0 ] && [ "$(jq -r ".renewal_records" "$work/stdout")" = 1 ] &&
    [ "$(jq -r ".acme_accounts" "$work/stdout")" = 0 ] && [ "$(jq -r ".schema_version" "$work/stdout")" = 7 ]' "$(cat "$work/stdout")"

# Two failures at 2026-06-01T00:00Z: the second backs off 10 minutes.
run status --at 2026-06-01T00:05:00Z
check "backing-off-text" '[ $rc -eq 0 ] &&
    grep -q "^  enrolled at https://ca.example/directory (ARI)$" "$work/stdout" &&
    grep -q "^  renewal: nothing until 2026-06-01T00:10:00Z (backing-off); renew at 2026-07-02T00:00:00Z$" "$work/stdout" &&
    grep -q "^  ARI window: 2026-07-01T00:00:00Z .. 2026-07-03T00:00:00Z (https://ca.example/why)$" "$work/stdout" &&
    grep -q "^  last failure: 2026-06-01T00:00:00Z at order (2 in a row): rateLimited: too many orders$" "$work/stdout" &&
    grep -q "^  last success: never$" "$work/stdout" && ! grep -q "no enrollment" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
run status --json --at 2026-06-01T00:05:00Z
check "backing-off-json" '[ $rc -eq 0 ] && [ "$(jq -r ".at" "$work/stdout")" = 2026-06-01T00:05:00Z ] &&
    [ "$(jq -r ".identities[0].enrollment.action" "$work/stdout")" = nothing ] &&
    [ "$(jq -r ".identities[0].enrollment.reason" "$work/stdout")" = backing-off ] &&
    [ "$(jq -r ".identities[0].enrollment.at" "$work/stdout")" = 2026-06-01T00:10:00Z ] &&
    [ "$(jq -r ".identities[0].enrollment.ari" "$work/stdout")" = true ] &&
    [ "$(jq -r ".identities[0].enrollment.ari_cert_id" "$work/stdout")" = fixture.certid ] &&
    [ "$(jq -r ".identities[0].enrollment.consecutive_failures" "$work/stdout")" = 2 ] &&
    [ "$(jq -r ".identities[0].enrollment.last_failure.step" "$work/stdout")" = order ] &&
    [ "$(jq -r ".identities[0].enrollment.last_failure.message" "$work/stdout")" = "rateLimited: too many orders" ] &&
    [ "$(jq -r ".identities[0].enrollment.last_success" "$work/stdout")" = null ]' "$(cat "$work/stdout")"

# After the backoff: the next ARI check (Retry-After) comes before the renewal time; then ARI is
# due; on the chosen day, renew.
run status --json --at 2026-06-01T03:00:00Z
check "waiting-for-ari" '[ "$(jq -r ".identities[0].enrollment.reason" "$work/stdout")" = waiting-for-ari-check ] &&
    [ "$(jq -r ".identities[0].enrollment.at" "$work/stdout")" = 2026-06-01T06:00:00Z ]' "$(cat "$work/stdout")"
run status --json --at 2026-06-01T06:00:00Z
check "ari-due" '[ "$(jq -r ".identities[0].enrollment.action" "$work/stdout")" = check-ari ] &&
    [ "$(jq -r ".identities[0].enrollment.reason" "$work/stdout")" = ari-check-due ]' "$(cat "$work/stdout")"
run status --at 2026-07-02T00:00:00Z
check "renew-now-text" '[ $rc -eq 0 ] && grep -q "^  renewal: renew now (ari-window-reached); renew at 2026-07-02T00:00:00Z$" "$work/stdout"' \
    "$(cat "$work/stdout")"

# A new generation (an EC key, issued by the test intermediate) retires the enrolled one: only the
# current identity shows enrollment, and the new one has none.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/a2.key" \
    -subj "/CN=alice@example.org" -out "$work/a2.csr" 2>/dev/null
printf 'subjectAltName=email:alice@example.org\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n' \
    >"$work/a2.ext"
openssl x509 -req -in "$work/a2.csr" -CA "$data/intermediate-ca.cert.pem" -CAkey "$data/intermediate-ca.key.pem" \
    -days 30 -extfile "$work/a2.ext" -out "$work/a2.pem" 2>/dev/null
printf 'a2\n' >"$work/a2.pw"
openssl pkcs12 -export -inkey "$work/a2.key" -in "$work/a2.pem" -passout file:"$work/a2.pw" -out "$work/a2.p12"
run identity import "$work/a2.p12" --p12-password-file "$work/a2.pw"
check "import-new-generation" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
run status
check "retired-text" '[ $rc -eq 0 ] && [ "$(wc -l <"$work/stdout")" -eq 3 ] &&
    grep -q "^alice@example.org p256 not-after [0-9T:-]*Z current$" "$work/stdout" &&
    [ "$(sed -n 2p "$work/stdout")" = "  no enrollment" ] &&
    [ "$(sed -n 3p "$work/stdout")" = "alice@example.org rsa2048 not-after 2035-01-01T00:00:00Z retired" ]' \
    "$(cat "$work/stdout" "$work/stderr")"
run status --json
check "retired-json" '[ $rc -eq 0 ] && [ "$(jq -r ".identities | length" "$work/stdout")" = 2 ] &&
    [ "$(jq -r ".identities[0].key_type" "$work/stdout")" = p256 ] &&
    [ "$(jq -r ".identities[0].enrollment" "$work/stdout")" = null ] &&
    [ "$(jq -r ".identities[1].state" "$work/stdout")" = retired ] &&
    [ "$(jq -r ".identities[1] | has(\"enrollment\")" "$work/stdout")" = false ]' "$(cat "$work/stdout")"

run status --at yesterday
check "bad-at" '[ $rc -eq 2 ] && grep -q "RFC 3339" "$work/stderr"' "$(cat "$work/stderr")"
run status --help
check "help" '[ $rc -eq 0 ] && grep -q "no enrollment" "$work/stdout"'
SEALPOST_PASSPHRASE=wrong run status
check "wrong-passphrase" '[ $rc -eq 2 ]' "$(cat "$work/stderr")"

finish
