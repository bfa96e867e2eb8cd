#!/usr/bin/env bash
# End-to-end tests of the profile commands that use the engine: harvest (.eml, mbox, Maildir) and
# profile mode of sign/encrypt/open (--from/--to, a named profile for open).
# Usage: profile-mode-test.sh SEALPOST_CLI DATA_DIR
set -uo pipefail
cli=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/testlib.sh"
at=(--at 2026-06-01T00:00:00Z)

export SEALPOST_PROFILE="$work/alice" SEALPOST_PASSPHRASE=alice-profile
run profile init
run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
run trust add "$data/root-ca.cert.pem"
check "setup" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"

# Harvest: a good message signed by Alice herself teaches Alice's profile nothing (her own
# certificate is not a correspondent's), a bad one is refused with its verdict, JSON carries the
# details.
run harvest -i "$data/signed-detached.eml" "${at[@]}" --no-system-trust --json -
check "harvest-own-mail" '[ $rc -eq 0 ] && [ "$(jq -r ".results[0].verdict" "$work/stdout")" = nothing-to-learn ] &&
    [ "$(jq -r ".certificates.inserted" "$work/stdout")" = 0 ] &&
    [ "$(jq -r ".results[0].ignored[0].reason" "$work/stdout")" = "one of this profile'"'"'s own certificates" ] &&
    [ "$(jq -r ".results[0].message_id" "$work/stdout")" = "<signed-detached@sealpost.test>" ]' "$(cat "$work/stdout" "$work/stderr")"
for case in signed-tampered:signature-not-good signed-from-mismatch:signer-not-from signed-untrusted:signature-not-good \
            signed-expired:signature-not-good signed-partial:signature-not-covering plain:not-signed; do
    file=${case%%:*}
    verdict=${case#*:}
    run harvest -i "$data/$file.eml" "${at[@]}" --no-system-trust --json -
    check "harvest-refuses-$file" '[ $rc -eq 0 ] && [ "$(jq -r ".results[0].verdict" "$work/stdout")" = "$verdict" ] &&
        [ "$(jq -r ".results[0].learned | length" "$work/stdout")" = 0 ]' "$(cat "$work/stdout")"
done
run harvest -i "$data/signed-detached.eml" "${at[@]}" --no-system-trust
check "harvest-own-mail-text-output" '[ $rc -eq 0 ] &&
    grep -q "not harvested: nothing-to-learn (one of this profile.s own certificates)" "$work/stdout"' "$(cat "$work/stdout")"
run harvest -i "$work/missing.eml"
check "harvest-missing-file" '[ $rc -eq 2 ] && grep -q "missing.eml" "$work/stderr"'
run harvest --mbox "$data/plain.eml"
check "harvest-not-an-mbox" '[ $rc -eq 2 ] && grep -q "not an mbox" "$work/stderr"' "$(cat "$work/stderr")"
run harvest -i "$data/plain.eml" --mbox "$data/plain.eml"
check "harvest-one-source" '[ $rc -eq 2 ] && grep -q "exactly one" "$work/stderr"'
SEALPOST_PASSPHRASE=wrong run harvest -i "$data/signed-detached.eml"
check "harvest-wrong-passphrase" '[ $rc -eq 2 ] && grep -qi "passphrase" "$work/stderr"' "$(cat "$work/stderr")"

# Bob's certificate arrives by a message he signed; mbox and Maildir give the same result.
printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: hi\r\nMessage-ID: <bob-1@example.org>\r\n\r\nHello Alice\r\n' >"$work/bob.eml"
SEALPOST_PROFILE= run sign --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --chain "$data/intermediate-ca.cert.pem" \
    -i "$work/bob.eml" -o "$work/bob.signed.eml"
{
    for f in "$work/bob.signed.eml" "$data/plain.eml" "$data/signed-tampered.eml" "$data/signed-opaque.eml"; do
        printf 'From sender@example.org Thu Jan 15 12:00:00 2026\n'
        sed 's/\r$//; s/^From />From /' "$f"
        printf '\n'
    done
} >"$work/box.mbox"
run harvest --mbox "$work/box.mbox" --no-system-trust --json "$work/mbox.json"
check "harvest-mbox" '[ $rc -eq 0 ] && [ "$(jq -r ".messages" "$work/mbox.json")" = 4 ] &&
    [ "$(jq -r ".verdicts.harvested" "$work/mbox.json")" = 1 ] && [ "$(jq -r ".verdicts[\"nothing-to-learn\"]" "$work/mbox.json")" = 1 ] &&
    [ "$(jq -r ".certificates.inserted" "$work/mbox.json")" = 1 ] &&
    [ "$(jq -r ".results[0].learned[0].address" "$work/mbox.json")" = bob@example.org ]' "$(cat "$work/mbox.json" "$work/stderr")"
mkdir -p "$work/md/cur" "$work/md/new" "$work/md/tmp"
cp "$work/bob.signed.eml" "$work/md/new/1.host"
cp "$data/signed-detached.eml" "$work/md/cur/2.host:2,S"
run harvest --maildir "$work/md" --no-system-trust --json -
check "harvest-maildir" '[ $rc -eq 0 ] && [ "$(jq -r ".messages" "$work/stdout")" = 2 ] &&
    [ "$(jq -r ".certificates.inserted + .certificates.updated" "$work/stdout")" = 0 ]' "$(cat "$work/stdout")"
run harvest -i "$work/bob.signed.eml" --no-system-trust --json -
check "harvest-again-is-a-no-op" '[ $rc -eq 0 ] && [ "$(jq -r ".certificates.inserted + .certificates.updated" "$work/stdout")" = 0 ] &&
    [ "$(jq -r ".certificates.unchanged" "$work/stdout")" = 1 ]' "$(cat "$work/stdout")"
run harvest -i "$work/bob.signed.eml" --no-system-trust
check "harvest-text-output" '[ $rc -eq 0 ] && grep -q "unchanged bob@example.org" "$work/stdout" &&
    grep -q "^1 messages, 1 with certificates: 0 new, 0 updated, 1 unchanged$" "$work/stdout"' "$(cat "$work/stdout")"

# Profile mode: Alice writes to Bob without naming a single file.
printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: secret\r\n\r\nThe secret\r\n' >"$work/secret.eml"
run encrypt --from alice@example.org --to bob@example.org -i "$work/secret.eml" -o "$work/secret.p7m.eml"
check "encrypt-from-to" '[ $rc -eq 0 ] && grep -q "smime-type=authEnveloped-data" "$work/secret.p7m.eml"' "$(cat "$work/stderr")"
SEALPOST_PROFILE= run open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --trust "$data/root-ca.cert.pem" \
    -i "$work/secret.p7m.eml" -o "$work/bob-reads.eml" --json "$work/bob.json"
check "bob-reads-it" '[ $rc -eq 0 ] && [ "$(jq -r .encryption "$work/bob.json")" = decrypted ] &&
    [ "$(jq -r .signature "$work/bob.json")" = valid ] && grep -q "The secret" "$work/bob-reads.eml"' "$(cat "$work/bob.json")"
run open --no-system-trust -i "$work/secret.p7m.eml" -o "$work/alice-reads.eml" --json "$work/alice.json"
check "open-uses-profile-keys-and-anchors" '[ $rc -eq 0 ] && [ "$(jq -r .encryption "$work/alice.json")" = decrypted ] &&
    [ "$(jq -r .signature "$work/alice.json")" = valid ]' "$(cat "$work/alice.json" "$work/stderr")"
run encrypt --from alice@example.org --to bob@example.org --to carol@example.org -i "$work/secret.eml" -o "$work/no.eml"
check "encrypt-refuses-unknown-recipient" '[ $rc -eq 2 ] && grep -q "carol@example.org: no usable certificate (no-certificate)" "$work/stderr" &&
    [ ! -e "$work/no.eml" ]' "$(cat "$work/stderr")"
run sign --from carol@example.org -i "$work/secret.eml" -o "$work/no.eml"
check "sign-without-identity" '[ $rc -eq 2 ] && grep -q "no current, valid signing identity for carol@example.org" "$work/stderr"'
run sign --from alice@example.org -i "$work/secret.eml" -o "$work/signed.eml"
SEALPOST_PROFILE= run open --trust "$data/root-ca.cert.pem" -i "$work/signed.eml" -o /dev/null --json "$work/s.json"
check "sign-from" '[ $rc -eq 0 ] && [ "$(jq -r .signature "$work/s.json")" = valid ]' "$(cat "$work/s.json")"
# Output to a device or a pipe is written in place: /dev/null stays a device (renaming a
# ".partial" over it would replace it, as root, by a plain file), a FIFO stays a FIFO.
check "output-to-dev-null-keeps-the-device" '[ $rc -eq 0 ] && [ -c /dev/null ] && [ ! -e /dev/null.partial ]'
mkfifo "$work/fifo"
timeout 20 cat "$work/fifo" >"$work/fifo.out" &
reader=$!
SEALPOST_PROFILE= run open --trust "$data/root-ca.cert.pem" -i "$work/signed.eml" -o "$work/fifo"
wait "$reader"
check "output-to-a-fifo" '[ $rc -eq 0 ] && [ -p "$work/fifo" ] && grep -q "^Subject:" "$work/fifo.out" && [ ! -e "$work/fifo.partial" ]' \
    "$(cat "$work/stderr")"

finish
