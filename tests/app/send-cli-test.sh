#!/usr/bin/env bash
# `sealpost-cli send` and `account policy` without a mail server: the plan (text and JSON), the
# refusals (exit 12, nothing queued), the copies it queues (the SMTP server is unreachable, so
# they wait in the outbox) and what they contain.
# Usage: send-cli-test.sh SEALPOST_CLI DATA_DIR
set -uo pipefail
cli=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/testlib.sh"

export SEALPOST_PROFILE="$work/alice" SEALPOST_PASSPHRASE=alice-profile
run profile init
run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
echo "not used" >"$work/pw"
run account add alice@example.org --name "Alice Test" --password-file "$work/pw" --no-verify \
    --imap imaps://127.0.0.1:1 --smtp smtps://127.0.0.1:1
check "setup" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
run cert import "$data/bob.cert.pem"
run cert import "$data/carol.cert.pem"
check "setup-certs" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"

run account policy alice@example.org
check "policy-default" '[ $rc -eq 0 ] && grep -qx "alice@example.org: encrypt-when-possible" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
run account policy alice@example.org never
check "policy-unknown" '[ $rc -eq 2 ]'

printf 'Hello Bob,\nsee you.\n' >"$work/body.txt"
run send --to bob@example.org --subject "Hi" --body-file "$work/body.txt" --dry-run
check "plan-text" '[ $rc -eq 0 ] && grep -q "^  bob@example.org (to): encrypt, only-candidate, from store, certificate " "$work/stdout" &&
    grep -qx "will be: signed and encrypted (aes-256-cbc)" "$work/stdout"' "$(cat "$work/stdout" "$work/stderr")"

run send --to bob@example.org --cc erin@example.org --subject "Hi" --body x --dry-run --json
check "plan-json" '[ $rc -eq 0 ] && [ "$(jq -r ".plan.encrypt" "$work/stdout")" = false ] &&
    [ "$(jq -r ".plan.sign" "$work/stdout")" = true ] &&
    [ "$(jq -r ".plan.reason" "$work/stdout")" = recipient-without-key ] &&
    [ "$(jq -r ".plan.recipients[1].field + \" \" + .plan.recipients[1].status + \" \" + .plan.recipients[1].reason" "$work/stdout")" = "cc no-key no-certificate" ] &&
    [ "$(jq -r ".plan.recipients[0].fingerprint | length" "$work/stdout")" = 64 ] &&
    [ "$(jq -r "keys | length" "$work/stdout")" = 1 ]' "$(cat "$work/stdout" "$work/stderr")"

run account policy alice@example.org require-encryption
check "policy-set" '[ $rc -eq 0 ] && grep -qx "alice@example.org: require-encryption" "$work/stdout"'
run send --to bob@example.org --to erin@example.org --subject "Hi" --body x
check "refused-exit-12" '[ $rc -eq 12 ] && grep -qx "will be: REFUSED: encryption-required" "$work/stdout" &&
    grep -q "refused by policy: encryption-required" "$work/stderr"' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run outbox list --json
check "refused-nothing-queued" '[ "$(jq -r ".messages | length" "$work/stdout")" = 0 ]' "$(cat "$work/stdout")"
run send --to bob@example.org --to erin@example.org --remove erin@example.org --subject "Hi" --body x --dry-run
check "remove-recipient" '[ $rc -eq 0 ] && ! grep -q erin "$work/stdout" && grep -q "signed and encrypted" "$work/stdout"' \
    "$(cat "$work/stdout")"
run account policy alice@example.org encrypt-when-possible

# Encrypted with a Bcc recipient: two copies, both waiting (the server is unreachable: exit 4).
run send --to bob@example.org --bcc carol@example.org --subject "Numbers" --body-file "$work/body.txt" --json
check "send-queues-copies" '[ $rc -eq 4 ] && [ "$(jq -r ".plan.warnings[0]" "$work/stdout")" = bcc-separate-copies ] &&
    [ "$(jq -r ".results | length" "$work/stdout")" = 2 ]' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run outbox list --json
check "outbox-copies" '[ "$(jq -r "[.messages[].copy] | join(\",\")" "$work/stdout")" = ",bcc:carol@example.org" ] &&
    [ "$(jq -r ".messages[0].recipients | join(\",\")" "$work/stdout")" = bob@example.org ] &&
    [ "$(jq -r ".messages[1].recipients | join(\",\")" "$work/stdout")" = carol@example.org ] &&
    [ "$(jq -r ".messages[0].message_id" "$work/stdout")" = "$(jq -r ".messages[1].message_id" "$work/stdout")" ]' \
    "$(cat "$work/stdout")"

# A message given whole, without an identity for its From address: queued unchanged.
printf 'From: dave@example.org\nTo: erin@example.org\nSubject: as is\nMessage-ID: <asis@example.org>\n\nbody\n' >"$work/asis.eml"
run send -i "$work/asis.eml" --account alice@example.org
check "raw-plain" '[ $rc -eq 4 ] && grep -qx "will be: neither signed nor encrypted: recipient-without-key" "$work/stdout" &&
    grep -qx "warning: no-signing-identity" "$work/stdout"' "rc=$rc $(cat "$work/stdout" "$work/stderr")"
run send -i "$work/asis.eml" --to bob@example.org
check "raw-with-fields-is-usage" '[ $rc -eq 2 ]'
run send --to bob@example.org --subject x
check "no-body-is-usage" '[ $rc -eq 2 ]'

finish
