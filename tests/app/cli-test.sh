#!/usr/bin/env bash
# End-to-end tests of sealpost-cli's contract: exit codes (0 processed, 1 not decryptable,
# 2 unusable input), one-line errors naming the file, atomic output files, --help everywhere.
# Usage: cli-test.sh SEALPOST_CLI DATA_DIR
set -uo pipefail
cli=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
at=(--at 2026-06-01T00:00:00Z)

source "$(dirname "$0")/testlib.sh"

printf 'From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: t\r\n\r\nhello\r\n' >"$work/msg.eml"

for c in sign encrypt open; do
    run "$c" --help
    check "help-$c" '[ $rc -eq 0 ] && grep -q "^Usage: sealpost-cli '"$c"'" "$work/stdout"'
done
run
check "no-command-is-usage-error" '[ $rc -eq 2 ]'
run frobnicate
check "unknown-command" '[ $rc -eq 2 ] && grep -q "unknown command" "$work/stderr"'
run open --bogus
check "unknown-option" '[ $rc -eq 2 ] && grep -q "unknown option: --bogus" "$work/stderr"'

run open -i "$work/does-not-exist.eml"
check "missing-input-names-file" '[ $rc -eq 2 ] && grep -q "does-not-exist.eml" "$work/stderr" && [ $(wc -l <"$work/stderr") -eq 1 ]' "$(cat "$work/stderr")"

run sign --key "$data/alice.key.enc.pem" --cert "$data/alice.cert.pem" -i "$work/msg.eml" -o "$work/s.eml"
check "encrypted-key-without-password" '[ $rc -eq 2 ] && grep -q "alice.key.enc.pem" "$work/stderr" && [ ! -e "$work/s.eml" ]'

printf 'wrong' >"$work/wrong.txt"
run sign --key "$data/alice.key.enc.pem" --key-password-file "$work/wrong.txt" --cert "$data/alice.cert.pem" -i "$work/msg.eml" -o "$work/s.eml"
check "wrong-key-password" '[ $rc -eq 2 ] && grep -qi "password" "$work/stderr" && [ ! -e "$work/s.eml" ] && [ ! -e "$work/s.eml.partial" ]'

run sign --key "$data/bob.key.pem" --cert "$data/alice.cert.pem" -i "$work/msg.eml" -o "$work/s.eml"
check "key-not-matching-certificate" '[ $rc -eq 2 ] && grep -q "does not belong" "$work/stderr"'

run sign --key "$data/alice.key.enc.pem" --key-password-file "$data/alice.password.txt" --cert "$data/alice.cert.pem" \
    --chain "$data/chain.pem" -i "$work/msg.eml" -o "$work/s.eml"
check "sign-with-encrypted-key" '[ $rc -eq 0 ] && [ -s "$work/s.eml" ] && [ ! -e "$work/s.eml.partial" ]'

run open --trust "$data/root-ca.cert.pem" "${at[@]}" -i "$work/s.eml" -o "$work/o.eml" --json "$work/r.json"
check "open-signed" '[ $rc -eq 0 ] && grep -q "\"signature\": \"valid\"" "$work/r.json" && grep -q "hello" "$work/o.eml"'

run sign --p12 "$data/alice-legacy.p12" --p12-password-file "$data/p12.password.txt" -i "$work/msg.eml" -o "$work/p.eml"
check "sign-with-legacy-p12" '[ $rc -eq 0 ] && [ -s "$work/p.eml" ]' "$(cat "$work/stderr")"

run sign --p12 "$data/alice.p12" --p12-password-file "$work/wrong.txt" -i "$work/msg.eml" -o "$work/p2.eml"
check "wrong-p12-password" '[ $rc -eq 2 ] && grep -q "alice.p12" "$work/stderr" && grep -qi "password" "$work/stderr"'

run encrypt --to-cert "$data/bob.cert.pem" -i "$work/msg.eml" -o "$work/e.eml"
check "encrypt" '[ $rc -eq 0 ] && grep -q "authEnveloped-data" "$work/e.eml"'

run encrypt --to-cert "$data/bob.cert.pem" --cipher rot13 -i "$work/msg.eml" -o "$work/e2.eml"
check "unknown-cipher" '[ $rc -eq 2 ] && grep -q "unknown cipher: rot13" "$work/stderr"'

run encrypt -i "$work/msg.eml" -o "$work/e3.eml"
check "no-recipient" '[ $rc -eq 2 ] && grep -q "no recipient" "$work/stderr"'

run open --key "$data/carol.key.pem" --cert "$data/carol.cert.pem" -i "$work/e.eml" -o "$work/o2.eml" --json "$work/r2.json"
check "wrong-key-exit-1" '[ $rc -eq 1 ] && grep -q "\"encryption\": \"failed\"" "$work/r2.json" && grep -q "could not decrypt" "$work/stderr"'

run open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" -i "$work/e.eml" -o "$work/o3.eml" --json "$work/r3.json"
check "right-key" '[ $rc -eq 0 ] && grep -q "\"encryption\": \"decrypted\"" "$work/r3.json" && grep -q "hello" "$work/o3.eml"'

# Garbled S/MIME is still processed (exit 0) and reported, never an error or a crash.
sed 's/^\([A-Za-z0-9+/]\{10\}\)[A-Za-z0-9+/]/\1!/' "$work/s.eml" >"$work/garbled.eml"
run open --trust "$data/root-ca.cert.pem" "${at[@]}" -i "$work/garbled.eml" -o "$work/o4.eml" --json "$work/r4.json"
check "garbled-signature-processed" '[ $rc -eq 0 ] && ! grep -q "\"signature\": \"valid\"" "$work/r4.json"'

head -c 300 "$work/e.eml" >"$work/truncated.eml"
run open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" -i "$work/truncated.eml" -o "$work/o5.eml" --json "$work/r5.json"
check "truncated-encrypted" '[ $rc -le 1 ] && ! grep -q "\"encryption\": \"decrypted\"" "$work/r5.json"'

# Cut inside the base64 body (the streamed path's BER reader runs out): reported, not decrypted.
head -c "$(( $(wc -c <"$work/e.eml") * 2 / 3 ))" "$work/e.eml" >"$work/cut.eml"
run open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" -i "$work/cut.eml" -o "$work/o5b.eml" --json "$work/r5b.json"
check "truncated-inside-body" '[ $rc -eq 0 ] && grep -q "broken-smime-part" "$work/r5b.json" && ! grep -q "\"encryption\": \"decrypted\"" "$work/r5b.json" && ! grep -q "hello" "$work/o5b.eml"' "rc=$rc $(cat "$work/stderr")"

# Standard input: a pipe cannot rewind (read whole), a redirected file can (streamed).
cat "$work/e.eml" | "$cli" open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --json "$work/r5c.json" >"$work/o5c.eml" 2>"$work/stderr"; rc=$?
check "encrypted-from-pipe" '[ $rc -eq 0 ] && grep -q "\"encryption\": \"decrypted\"" "$work/r5c.json" && cmp -s "$work/o3.eml" "$work/o5c.eml"'
"$cli" open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --json "$work/r5d.json" <"$work/e.eml" >"$work/o5d.eml" 2>"$work/stderr"; rc=$?
check "encrypted-from-redirect" '[ $rc -eq 0 ] && grep -q "\"encryption\": \"decrypted\"" "$work/r5d.json" && cmp -s "$work/o3.eml" "$work/o5d.eml"'

run open --at yesterday -i "$work/msg.eml"
check "bad-time" '[ $rc -eq 2 ] && grep -q "RFC 3339" "$work/stderr"'

run open --json - -i "$work/msg.eml"
check "json-and-message-both-stdout" '[ $rc -eq 2 ]'

cat "$work/msg.eml" | "$cli" open --json "$work/r6.json" >"$work/o6.eml" 2>"$work/stderr"; rc=$?
check "stdin-stdout" '[ $rc -eq 0 ] && cmp -s "$work/msg.eml" "$work/o6.eml" && grep -q "\"signature\": \"none\"" "$work/r6.json"'

# Profile: create, wrong passphrase, trust anchors, re-key.
printf 'correct horse' >"$work/pw"; printf 'battery staple' >"$work/pw2"
run --profile "$work/p" --passphrase-file "$work/pw" profile init
check "profile-init" '[ $rc -eq 0 ] && [ -s "$work/p/profile.db" ] && [ "$(stat -c %a "$work/p/profile.db")" = 600 ]' "$(cat "$work/stderr")"
run --profile "$work/p" --passphrase-file "$work/pw" profile init
check "profile-init-twice" '[ $rc -eq 2 ] && grep -q "already exists" "$work/stderr"'
cp "$work/p/profile.db" "$work/before.db"
run --profile "$work/p" --passphrase-file "$work/pw2" trust list
check "profile-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr" && cmp -s "$work/p/profile.db" "$work/before.db"'
run --profile "$work/p" --passphrase-file "$work/pw" trust add "$data/root-ca.cert.pem"
check "trust-add" '[ $rc -eq 0 ] && grep -q "^added " "$work/stdout"'
SEALPOST_PASSPHRASE='correct horse' "$cli" --profile "$work/p" trust list --json >"$work/stdout" 2>"$work/stderr"; rc=$?
check "trust-list-json-env-passphrase" '[ $rc -eq 0 ] && grep -q "Sealpost Test Root CA" "$work/stdout"'
run --profile "$work/p" --passphrase-file "$work/pw" profile passwd --new-passphrase-file "$work/pw2"
check "profile-passwd" '[ $rc -eq 0 ]'
run --profile "$work/p" --passphrase-file "$work/pw" trust list
check "old-passphrase-refused" '[ $rc -eq 2 ]'
fp=$("$cli" --profile "$work/p" --passphrase-file "$work/pw2" trust list | cut -d" " -f1)
run --profile "$work/p" --passphrase-file "$work/pw2" trust remove "$fp"
check "trust-remove-after-rekey" '[ $rc -eq 0 ] && [ -n "$fp" ]'
run --profile "$work/p" --passphrase-file "$work/pw2" identity import "$data/alice-legacy.p12" --p12-password-file "$data/p12.password.txt"
check "identity-import-legacy-p12" '[ $rc -eq 0 ] && grep -q "^imported " "$work/stdout"' "$(cat "$work/stderr")"
run --profile "$work/p" --passphrase-file "$work/pw2" identity import "$data/alice.p12" --p12-password-file "$work/wrong.txt"
check "identity-import-wrong-password" '[ $rc -eq 2 ] && grep -q "alice.p12" "$work/stderr"'
run --profile "$work/p" --passphrase-file "$work/pw2" identity list --json
check "identity-list" '[ $rc -eq 0 ] && grep -q "\"address\": \"alice@example.org\"" "$work/stdout" && grep -q "\"state\": \"current\"" "$work/stdout"'
check "no-plaintext-key-in-profile" '! grep -q "PRIVATE KEY" "$work/p/profile.db" && ! ls "$work/p" | grep -qv "^profile.db"'
run --profile "$work/p" trust list </dev/null
check "no-passphrase-source" '[ $rc -eq 2 ] && grep -q "no passphrase" "$work/stderr"'

# identity export: PKCS#12 that openssl (both forms) and sealpost itself read back; 0600; errors.
P=(--profile "$work/p" --passphrase-file "$work/pw2")
printf 'export secret\n' >"$work/xpw"; : >"$work/empty-pw"
afp=$(openssl x509 -in "$data/alice.cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
run identity --help
check "help-identity" '[ $rc -eq 0 ] && grep -q "identity export FINGERPRINT" "$work/stdout"'
run "${P[@]}" identity export "${afp:0:12}" -o "$work/x.p12" --p12-password-file "$work/xpw"
check "identity-export" '[ $rc -eq 0 ] && [ -s "$work/x.p12" ] && [ ! -e "$work/x.p12.partial" ] && [ "$(stat -c %a "$work/x.p12")" = 600 ]' "$(cat "$work/stderr")"
openssl pkcs12 -in "$work/x.p12" -info -nodes -passin "file:$work/xpw" >"$work/x.pem" 2>"$work/x.info"; orc=$?
check "identity-export-openssl-reads-modern" '[ $orc -eq 0 ] && grep -q "BEGIN PRIVATE KEY" "$work/x.pem" && grep -q "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC" "$work/x.info" && grep -q "MAC: sha256" "$work/x.info"' "$(cat "$work/x.info")"
run "${P[@]}" identity export "$afp" -o "$work/xl.p12" --p12-password-file "$work/xpw" --legacy
check "identity-export-legacy" '[ $rc -eq 0 ] && [ "$(stat -c %a "$work/xl.p12")" = 600 ]' "$(cat "$work/stderr")"
openssl pkcs12 -in "$work/xl.p12" -info -nodes -passin "file:$work/xpw" >"$work/xl.pem" 2>"$work/xl.info"; orc=$?
check "identity-export-openssl-reads-legacy" '[ $orc -eq 0 ] && grep -q "BEGIN PRIVATE KEY" "$work/xl.pem" && grep -q "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" "$work/xl.info" && grep -q "MAC: sha1" "$work/xl.info"' "$(cat "$work/xl.info")"
check "identity-export-no-plaintext-key" '! grep -q "PRIVATE KEY" "$work/x.p12" "$work/xl.p12"'
run --profile "$work/q" --passphrase-file "$work/pw" profile init
run --profile "$work/q" --passphrase-file "$work/pw" identity import "$work/x.p12" --p12-password-file "$work/xpw"
check "identity-export-round-trip" '[ $rc -eq 0 ] && grep -q "^imported $afp " "$work/stdout"' "$(cat "$work/stderr")"
run --profile "$work/p" --passphrase-file "$work/pw" identity export "$afp" -o "$work/y.p12" --p12-password-file "$work/xpw"
check "identity-export-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr" && [ ! -e "$work/y.p12" ]'
run "${P[@]}" identity export 0123456789abcdef -o "$work/y.p12" --p12-password-file "$work/xpw"
check "identity-export-unknown-fingerprint" '[ $rc -eq 2 ] && grep -q "no identity with fingerprint 0123456789abcdef" "$work/stderr" && [ ! -e "$work/y.p12" ]'
run "${P[@]}" identity export abc -o "$work/y.p12" --p12-password-file "$work/xpw"
check "identity-export-short-prefix" '[ $rc -eq 2 ] && grep -q "not a fingerprint" "$work/stderr"'
run "${P[@]}" identity export "$afp" -o "$work/y.p12" --p12-password-file "$work/missing-pw"
check "identity-export-password-file-missing" '[ $rc -eq 2 ] && grep -q "missing-pw" "$work/stderr" && [ ! -e "$work/y.p12" ]'
run "${P[@]}" identity export "$afp" -o "$work/y.p12" --p12-password-file "$work/empty-pw"
check "identity-export-empty-password" '[ $rc -eq 2 ] && grep -q "empty" "$work/stderr" && [ ! -e "$work/y.p12" ]'
run "${P[@]}" identity export "$afp" -o "$work/y.p12" </dev/null
check "identity-export-no-password-source" '[ $rc -eq 2 ] && grep -q "no PKCS#12 password" "$work/stderr"'
run "${P[@]}" identity export "$afp" --p12-password-file "$work/xpw"
check "identity-export-needs-output" '[ $rc -eq 2 ] && grep -q -- "-o OUT.p12" "$work/stderr"'
run "${P[@]}" identity export "$afp" -o "$work/no-such-dir/y.p12" --p12-password-file "$work/xpw"
check "identity-export-unwritable" '[ $rc -eq 2 ] && grep -q "no-such-dir" "$work/stderr"'

# cert: import (PEM, DER, PKCS#7), list/show (--json shapes), change events, remove.
bfp=$(openssl x509 -in "$data/bob.cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
run cert --help
check "help-cert" '[ $rc -eq 0 ] && grep -q "cert show FINGERPRINT" "$work/stdout"'
run "${P[@]}" cert import "$data/bob.cert.pem"
check "cert-import-pem" '[ $rc -eq 0 ] && grep -q "^imported $bfp bob@example.org " "$work/stdout"' "$(cat "$work/stderr")"
run "${P[@]}" cert import "$data/certs-only.p7c"
check "cert-import-pkcs7-refuses-ca" '[ $rc -eq 0 ] && grep -q "^imported $afp alice@example.org" "$work/stdout" && grep -q "Intermediate CA.*names no e-mail address" "$work/stderr"' "$(cat "$work/stdout" "$work/stderr")"
run "${P[@]}" cert import "$data/alice.cert.der"
check "cert-import-der-again" '[ $rc -eq 0 ] && grep -q "^already known $afp" "$work/stdout"'
run "${P[@]}" cert import "$data/chain.pem"
check "cert-import-no-address" '[ $rc -eq 2 ] && grep -q "names no e-mail address" "$work/stderr"'
run "${P[@]}" cert import "$work/no-such.pem"
check "cert-import-file-not-found" '[ $rc -eq 2 ] && grep -q "no-such.pem" "$work/stderr"'
run "${P[@]}" cert import "$work/msg.eml"
check "cert-import-not-a-certificate" '[ $rc -eq 2 ] && grep -q "msg.eml" "$work/stderr"'
run --profile "$work/p" --passphrase-file "$work/pw" cert import "$data/carol.cert.pem"
check "cert-import-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr"'

run "${P[@]}" cert list --json
check "cert-list-json" '[ $rc -eq 0 ] && jqe "length == 2 and (map(.address) == [\"alice@example.org\", \"bob@example.org\"]) and (.[0] | keys_unsorted == [\"address\",\"fingerprint_sha256\",\"subject\",\"issuer\",\"not_before\",\"not_after\",\"provenance\",\"provenance_detail\",\"first_seen\",\"last_seen\",\"signing_time\",\"capabilities\",\"encryption_key_preference\"])" "$work/stdout" >/dev/null' "$(cat "$work/stdout" "$work/stderr")"
run "${P[@]}" cert list Bob@Example.org --json
check "cert-list-address-json" '[ $rc -eq 0 ] && jqe "length == 1 and .[0].fingerprint_sha256 == \"$bfp\" and .[0].provenance == \"imported\" and .[0].provenance_detail == \"bob.cert.pem\" and .[0].not_after == \"2035-01-01T00:00:00Z\" and .[0].capabilities == null and .[0].signing_time == null and .[0].encryption_key_preference == false" "$work/stdout" >/dev/null' "$(cat "$work/stdout")"
run "${P[@]}" cert list
check "cert-list-text" '[ $rc -eq 0 ] && grep -q "^alice@example.org $afp" "$work/stdout" && grep -q "provenance:   imported (bob.cert.pem)" "$work/stdout"'
run "${P[@]}" cert list nobody@example.org --json
check "cert-list-unknown-address" '[ $rc -eq 0 ] && jqe "length == 0" "$work/stdout" >/dev/null'
run --profile "$work/p" --passphrase-file "$work/pw" cert list
check "cert-list-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr"'

# A second, different key for bob while his first certificate is valid: certificate-changed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/bob2.key" -out "$work/bob2.pem" \
    -subj "/CN=Bob Again" -addext "subjectAltName=email:bob@example.org" -addext "keyUsage=digitalSignature,keyAgreement" \
    -addext "extendedKeyUsage=emailProtection" -days 3650 2>/dev/null
b2fp=$(openssl x509 -in "$work/bob2.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
run "${P[@]}" cert import "$work/bob2.pem"
check "cert-import-changed-key" '[ $rc -eq 0 ] && grep -q "certificate-changed" "$work/stdout"' "$(cat "$work/stdout" "$work/stderr")"
run "${P[@]}" cert show "$(echo "${b2fp:0:16}" | tr a-f A-F)" --json
check "cert-show-json" '[ $rc -eq 0 ] && jqe ".fingerprint_sha256 == \"$b2fp\" and .address == \"bob@example.org\" and .emails == [\"bob@example.org\"] and (.serial | length > 0) and (.pem | startswith(\"-----BEGIN CERTIFICATE-----\")) and (.events | length == 1) and .events[0].kind == \"certificate-changed\" and .events[0].old_fingerprint == \"$bfp\" and .events[0].new_fingerprint == \"$b2fp\" and (keys_unsorted[0:13] == [\"address\",\"fingerprint_sha256\",\"subject\",\"issuer\",\"not_before\",\"not_after\",\"provenance\",\"provenance_detail\",\"first_seen\",\"last_seen\",\"signing_time\",\"capabilities\",\"encryption_key_preference\"])" "$work/stdout" >/dev/null' "$(cat "$work/stdout" "$work/stderr")"
run "${P[@]}" cert show "$bfp"
check "cert-show-text" '[ $rc -eq 0 ] && grep -q "certificate-changed $bfp -> $b2fp" "$work/stdout" && grep -q "BEGIN CERTIFICATE" "$work/stdout"'
run "${P[@]}" cert show 0123456789abcdef
check "cert-show-unknown-fingerprint" '[ $rc -eq 2 ] && grep -q "no certificate with fingerprint" "$work/stderr"'
run "${P[@]}" cert show xyz
check "cert-show-not-a-fingerprint" '[ $rc -eq 2 ] && grep -q "not a fingerprint" "$work/stderr"'
run --profile "$work/p" --passphrase-file "$work/pw" cert show "$bfp"
check "cert-show-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr"'
run "${P[@]}" cert remove "${bfp:0:8}"
check "cert-remove-prefix" '[ $rc -eq 0 ] && grep -q "^removed $bfp" "$work/stdout"'
run "${P[@]}" cert list bob@example.org --json
check "cert-remove-keeps-others-and-events" '[ $rc -eq 0 ] && jqe "length == 1 and .[0].fingerprint_sha256 == \"$b2fp\"" "$work/stdout" >/dev/null && "$cli" "${P[@]}" cert show "$b2fp" --json | jqe ".events | length == 1" >/dev/null'
run "${P[@]}" cert remove "$bfp"
check "cert-remove-unknown-fingerprint" '[ $rc -eq 2 ] && grep -q "no certificate with fingerprint" "$work/stderr"'
run --profile "$work/p" --passphrase-file "$work/pw" cert remove "$b2fp"
check "cert-remove-wrong-passphrase" '[ $rc -eq 2 ] && grep -q "wrong-password" "$work/stderr"'

# A damaged profile: bytes changed in the middle of every page but the first (which holds the
# salt and the schema, so the passphrase is still verified). Commands fail with one clear line
# naming the file (never a crash), and none of them writes to the file.
run --profile "$work/p" --passphrase-file "$work/pw2" profile check --json
check "profile-check" '[ $rc -eq 0 ] && grep -q "\"ok\": true" "$work/stdout" && grep -q "\"identities\": 1" "$work/stdout"' "$(cat "$work/stderr")"
pages=$(($(stat -c %s "$work/p/profile.db") / 4096))
cp "$work/p/profile.db" "$work/intact.db"
for ((pg = 1; pg < pages; pg++)); do
    printf '\xde\xad\xbe\xef' | dd of="$work/p/profile.db" bs=1 seek=$((pg * 4096 + 2000)) conv=notrunc status=none
done
cp "$work/p/profile.db" "$work/damaged.db"
run --profile "$work/p" --passphrase-file "$work/pw2" profile check
check "damaged-profile-check" '[ $rc -eq 2 ] && [ $(wc -l <"$work/stderr") -eq 1 ] && grep -q "$work/p/profile.db is damaged" "$work/stderr" && grep -q "^sealpost-cli profile check: malformed-input: " "$work/stderr"' "pages=$pages rc=$rc $(cat "$work/stderr")"
for c in "trust list" "identity list" "harvest -i $data/signed-detached.eml --no-system-trust ${at[*]}"; do
    run --profile "$work/p" --passphrase-file "$work/pw2" $c
    check "damaged-profile-${c%% -*}" '[ $rc -eq 2 ] && [ $(wc -l <"$work/stderr") -eq 1 ] && grep -q "$work/p/profile.db is damaged" "$work/stderr" && cmp -s "$work/p/profile.db" "$work/damaged.db"' "rc=$rc $(cat "$work/stderr")"
done
cp "$work/intact.db" "$work/p/profile.db"

# Hostile structure: clear error or a processed report, bounded memory, no crash.
{ printf 'From: a@example.org\r\nSubject: '; head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\r\n\r\nbody\r\n'; } >"$work/huge-header.eml"
/usr/bin/time -f %M -o "$work/rss" "$cli" open -i "$work/huge-header.eml" -o "$work/o7.eml" 2>"$work/stderr"; rc=$?
check "100mb-header" '[ $rc -eq 2 ] && grep -q "maxHeaderBytes" "$work/stderr" && [ "$(tail -n 1 "$work/rss")" -lt 400000 ]' "rc=$rc rss=$(tail -n 1 "$work/rss") $(head -c 300 "$work/stderr")"
rm -f "$work/huge-header.eml"

{ printf 'From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n'
  for i in $(seq 1 1000); do printf -- '--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n' $((i - 1)) "$i"; done
} >"$work/deep.eml"
run open -i "$work/deep.eml" -o "$work/o8.eml"
check "1000-deep-nesting" '[ $rc -eq 2 ] && grep -q "maxDepth" "$work/stderr"' "rc=$rc $(cat "$work/stderr")"

printf 'From: a@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\r\n' >"$work/broken-asn1.eml"
run open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" -i "$work/broken-asn1.eml" -o "$work/o9.eml" --json "$work/r9.json"
check "broken-asn1" '[ $rc -eq 0 ] && grep -q "broken-smime-part" "$work/r9.json"' "rc=$rc $(cat "$work/stderr")"

printf 'From: a@example.org\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nunterminated\r\n' >"$work/no-closing-boundary.eml"
run open -i "$work/no-closing-boundary.eml" -o "$work/o10.eml" --json "$work/r10.json"
check "missing-boundaries" '[ $rc -eq 0 ] && ! grep -q "\"signature\": \"valid\"" "$work/r10.json"' "rc=$rc $(cat "$work/stderr")"

finish
