#!/usr/bin/env bash
# The directory end to end, with the real sealpost-keydir: Bob's profile harvests Alice's signed
# mail and publishes what it knows (Alice's certificate as harvested, its own as self); Carol's
# profile looks both up, validates them and encrypts to Bob; Bob's profile decrypts.
# Usage: directory-e2e-test.sh SEALPOST-CLI SEALPOST-KEYDIR DATA-DIR
set -u
cli=$1
keydir=$2
data=$3
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/testlib.sh"

"$keydir" --listen 127.0.0.1:0 --database "sqlite:$work/keydir.db" --trust-anchors "$data/root-ca.cert.pem" \
    >"$work/keydir.out" 2>"$work/keydir.err" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/keydir.out" 2>/dev/null && break; sleep 0.1; done
address=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$work/keydir.out" | head -n1)
check "sealpost-keydir starts" '[ -n "$address" ]' "$(cat "$work/keydir.out" "$work/keydir.err")"
[ -n "$address" ] || { finish; exit 1; }
url="http://$address"

# PKCS#12 files for Bob and Carol (the fixtures have only Alice's).
for who in bob carol; do
    openssl pkcs12 -export -inkey "$data/$who.key.pem" -in "$data/$who.cert.pem" -certfile "$data/chain.pem" \
        -passout pass:e2e -out "$work/$who.p12"
done
printf e2e >"$work/p12pass"

profile() { # NAME: the profile the next commands use
    export SEALPOST_PROFILE=$work/$1 SEALPOST_PASSPHRASE=e2e-$1
}

profile bob
run profile init
run identity import "$work/bob.p12" --p12-password-file "$work/p12pass"
run trust add "$data/root-ca.cert.pem"
run directory set-url "$url"
run harvest -i "$data/signed-detached.eml" --quiet
check "bob harvests alice's certificate" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"
run directory show --json
check "bob's queue holds his own and alice's certificate" 'grep -q "\"queued\": 2" "$work/stdout"' "$(cat "$work/stdout")"
run publish --pending --json
check "bob publishes both" '[ $rc -eq 0 ] && [ "$(grep -c "\"status\": \"accepted\"" "$work/stdout")" -eq 2 ]' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
run publish --pending --all
check "nothing is left to publish" '[ $rc -eq 0 ] && grep -q "nothing due" "$work/stdout"' "$(cat "$work/stdout")"
run publish "$data/dave-untrusted.cert.pem" --json
check "the directory rejects a certificate outside its trust anchors" \
    '[ $rc -eq 6 ] && grep -q "\"reason\": \"untrusted\"" "$work/stdout"' "$rc $(cat "$work/stdout" "$work/stderr")"

profile carol
run profile init
run identity import "$work/carol.p12" --p12-password-file "$work/p12pass"
run trust add "$data/root-ca.cert.pem"
run directory set-url "$url"
run lookup alice@example.org Bob@Example.org --json
check "carol finds alice (harvested) and bob (self)" \
    '[ $rc -eq 0 ] && grep -q "\"provenance\": \"harvested\"" "$work/stdout" && grep -q "\"provenance\": \"self\"" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
run lookup nobody@example.org
check "an unknown address is not found (exit 7)" '[ $rc -eq 7 ]' "$rc $(cat "$work/stdout" "$work/stderr")"
printf 'From: carol@example.org\r\nTo: bob@example.org\r\nSubject: e2e\r\n\r\nfound you in the directory\r\n' \
    >"$work/plain.eml"
run encrypt --to bob@example.org --from carol@example.org -i "$work/plain.eml" -o "$work/enc.eml"
check "carol encrypts to bob" '[ $rc -eq 0 ]' "$rc $(cat "$work/stderr")"

profile carol
printf 'From: carol@example.org\r\nTo: alice@example.org\r\nSubject: e2e\r\n\r\nbob told the directory about you\r\n' \
    >"$work/plain-alice.eml"
run encrypt --to alice@example.org --from carol@example.org -i "$work/plain-alice.eml" -o "$work/enc-alice.eml"
check "carol encrypts to alice with the certificate bob harvested" '[ $rc -eq 0 ]' "$rc $(cat "$work/stderr")"

profile bob
run open -i "$work/enc.eml" -o "$work/opened.eml"
check "bob decrypts it" '[ $rc -eq 0 ] && grep -q "found you in the directory" "$work/opened.eml"' \
    "$rc $(cat "$work/stderr")"

# The harvested certificate's owner, who never published anything, reads what carol sent.
profile alice
run profile init
run identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt"
run open -i "$work/enc-alice.eml" -o "$work/opened-alice.eml"
check "alice decrypts mail encrypted to her harvested certificate" \
    '[ $rc -eq 0 ] && grep -q "bob told the directory about you" "$work/opened-alice.eml"' "$rc $(cat "$work/stderr")"

finish
