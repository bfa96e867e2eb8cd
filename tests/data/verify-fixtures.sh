#!/usr/bin/env bash
# Sanity check of the golden messages using only the openssl CLI.
#
# For every .eml it walks the S/MIME layers the way a client would
# (decrypt with whichever of alice/bob/carol's keys works, verify signatures
# against root-ca.cert.pem at 2026-06-01T00:00:00Z), derives the observed
# result and compares it with the expectation documented in README.md.
# Prints one OK/FAIL line per file; exits non-zero if anything differs.
#
# Note: multipart/signed entities are verified WITHOUT -binary: with -binary,
# OpenSSL 3.0's MIME splitter keeps the CR of the CRLF that precedes the
# boundary as part of the content, which is wrong per RFC 2046/1847. The
# signed content is already canonical CRLF, so text mode hashes the same bytes.
set -euo pipefail
export TZ=UTC LC_ALL=C

D="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AT=1780272000   # 2026-06-01T00:00:00Z
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT

# Expectations (must match README.md):
# file | encryption | signature | signer | signer matches From | covers whole | decrypting keys | displayed subject
EXPECT=$(cat <<'EOF'
plain.eml|none|none|-|-|n/a|-|Plain message
signed-detached.eml|none|valid|alice@example.org|yes|yes|-|Signed (detached)
signed-opaque.eml|none|valid|alice@example.org|yes|yes|-|Signed (opaque)
encrypted-cbc-bob.eml|decrypted|none|-|-|yes|bob|Encrypted (CBC, to Bob)
encrypted-gcm-alice.eml|decrypted|none|-|-|yes|alice|Encrypted (GCM, to Alice)
encrypted-oaep-alice.eml|decrypted|none|-|-|yes|alice|Encrypted (RSA-OAEP, to Alice)
encrypted-multi.eml|decrypted|none|-|-|yes|alice,bob,carol|Encrypted (three recipients)
signed-then-encrypted.eml|decrypted|valid|alice@example.org|yes|yes|alice,bob|Signed then encrypted
encrypted-then-signed.eml|decrypted|valid|alice@example.org|yes|yes|bob|Encrypted then signed
triple-wrapped.eml|decrypted|valid|alice@example.org|yes|yes|bob|Triple wrapped
signed-from-mismatch.eml|none|valid|alice@example.org|no|yes|-|Signed, From does not match signer
signed-expired.eml|none|expired|eve@example.org|yes|yes|-|Signed with expired certificate
signed-untrusted.eml|none|untrusted|dave@example.org|yes|yes|-|Signed by untrusted root
signed-noemail-usage.eml|none|untrusted|mallory@example.org|yes|yes|-|Signed without emailProtection EKU
signed-tampered.eml|none|invalid|alice@example.org|yes|yes|-|Signed (tampered)
signed-partial.eml|none|valid|alice@example.org|yes|no|-|Partially signed
signed-three-parts.eml|none|error|-|-|no|-|Signed with extra third part
signed-header-protected.eml|none|valid|alice@example.org|yes|yes|-|Protected subject
encrypted-header-protected.eml|decrypted|valid|alice@example.org|yes|yes|bob|Secret subject
EOF
)

# ----------------------------------------------------------------- helpers

# header FILE NAME: unfolded value of the first NAME header of an entity.
header() {
    perl -0777 -ne '
        my ($h) = split /\r?\n\r?\n/, $_, 2;
        $h =~ s/\r?\n[ \t]+/ /g;
        for (split /\r?\n/, $h) { if (/^\Q'"$2"'\E:\s*(.*)$/i) { print $1; last } }
    ' "$1"
}
addr() { sed -E 's/.*<([^>]*)>.*/\1/; s/^ *//; s/ *$//' | tr 'A-Z' 'a-z'; }

# split_parts FILE OUTPREFIX: writes the body parts of a multipart entity to
# OUTPREFIX.0, OUTPREFIX.1, ... and prints the number of parts.
split_parts() {
    perl -0777 -e '
        my ($f, $pfx) = @ARGV;
        open my $fh, "<", $f or die; binmode $fh; local $/; my $s = <$fh>;
        my ($h, $body) = split /\r\n\r\n/, $s, 2;
        $h =~ s/\r\n[ \t]+/ /g;
        my ($b) = $h =~ /boundary="?([^";\r\n]+)"?/i or die "no boundary\n";
        $body = "\r\n" . $body;
        my @d;
        while ($body =~ /\r\n--\Q$b\E(--)?[ \t]*(?:\r\n|\z)/g) {
            push @d, [$-[0], $+[0]];
            last if defined $1;
        }
        my $n = 0;
        for my $i (0 .. $#d - 1) {
            open my $o, ">", "$pfx.$n" or die; binmode $o;
            print $o substr($body, $d[$i][1], $d[$i + 1][0] - $d[$i][1]);
            $n++;
        }
        print $n;
    ' "$1" "$2"
}

rank() { case "$1" in valid) echo 0 ;; expired) echo 1 ;; untrusted) echo 2 ;; invalid) echo 3 ;; error) echo 4 ;; *) echo -1 ;; esac; }
set_sig() { if (( $(rank "$1") > $(rank "$SIG") )); then SIG="$1"; fi; }

# verify_layer FILE OUT: verify one signedData layer, write content to OUT.
verify_layer() {
    local in="$1" out="$2" st
    rm -f "$T/signer.pem"
    # Signer certificate (without checking anything), then the signature itself.
    if openssl cms -verify -noverify -nosigs -in "$in" -signer "$T/signer.pem" -out /dev/null \
        >/dev/null 2>&1; then
        SIGNER="$(openssl x509 -in "$T/signer.pem" -noout -ext subjectAltName | sed -n 's/.*email://p' | head -1)"
    fi
    if ! openssl cms -verify -noverify -in "$in" -out "$out" >/dev/null 2>"$T/err"; then
        if grep -q 'verification failure' "$T/err"; then st=invalid; else st=error; fi
        set_sig "$st"
        return 1
    fi
    if openssl cms -verify -in "$in" -CAfile "$D/root-ca.cert.pem" -attime "$AT" \
        -out /dev/null >/dev/null 2>"$T/err"; then
        st=valid
    elif grep -q 'certificate has expired' "$T/err"; then st=expired
    elif grep -Eq 'unable to get local issuer|self-signed certificate|unsuitable certificate purpose|unsupported certificate purpose' "$T/err"; then st=untrusted
    else st=error; fi
    set_sig "$st"
    return 0
}

# walk FILE DEPTH: process one MIME entity recursively.
walk() {
    local f="$1" n="$2" ct k nparts
    ct="$(header "$f" Content-Type | tr 'A-Z' 'a-z')"
    case "$ct" in
    multipart/signed*)
        nparts="$(split_parts "$f" "$T/ms$n")"
        if [[ "$nparts" != 2 ]]; then
            set_sig error; WHOLE=no; return
        fi
        verify_layer "$f" "$T/l$n" || return 0
        walk "$T/l$n" $((n + 1))
        ;;
    application/pkcs7-mime*signed-data* | application/x-pkcs7-mime*signed-data*)
        verify_layer "$f" "$T/l$n" || return 0
        walk "$T/l$n" $((n + 1))
        ;;
    application/pkcs7-mime*enveloped-data* | application/x-pkcs7-mime*enveloped-data*)
        # covers enveloped-data and authEnveloped-data
        local ok=""
        for k in alice bob carol; do
            if openssl cms -decrypt -in "$f" -recip "$D/$k.cert.pem" -inkey "$D/$k.key.pem" \
                -out "$T/d$n.$k" >/dev/null 2>&1; then
                KEYS="${KEYS:+$KEYS,}$k"
                ok="$k"
            fi
        done
        if [[ -z "$ok" ]]; then ENC=failed; return; fi
        ENC=decrypted
        walk "$T/d$n.$ok" $((n + 1))
        ;;
    multipart/mixed*)
        nparts="$(split_parts "$f" "$T/mm$n")"
        local i protected=0
        for ((i = 0; i < nparts; i++)); do
            case "$(header "$T/mm$n.$i" Content-Type | tr 'A-Z' 'a-z')" in
            multipart/signed* | application/pkcs7-mime* | application/x-pkcs7-mime*)
                protected=$((protected + 1))
                walk "$T/mm$n.$i" $((n + 1))
                ;;
            *) LEAF="$T/mm$n.$i" ;;
            esac
        done
        if (( protected > 0 && protected < nparts )); then WHOLE=no; fi
        ;;
    *)
        LEAF="$f"
        if [[ "$ct" == *'hp="'* ]]; then HPSUBJ="$(header "$f" Subject)"; fi
        ;;
    esac
}

# ------------------------------------------------------------------- main
fail=0
printf '%-32s %-6s %s\n' FILE RESULT "observed: enc|sig|signer|matchFrom|whole|keys|subject"
while IFS='|' read -r file e_enc e_sig e_signer e_match e_whole e_keys e_subj; do
    ENC=none SIG=none SIGNER="" WHOLE=yes KEYS="" LEAF="" HPSUBJ=""
    rm -f "$T"/l* "$T"/d* "$T"/m*
    walk "$D/$file" 0
    from="$(header "$D/$file" From | addr)"
    subj="${HPSUBJ:-$(header "$D/$file" Subject)}"
    [[ "$SIG" == none && "$ENC" == none ]] && WHOLE=n/a
    [[ "$SIG" == error ]] && SIGNER=""
    match=-
    if [[ -n "$SIGNER" ]]; then [[ "$SIGNER" == "$from" ]] && match=yes || match=no; fi
    # Leaf payload must equal the stored plaintext (except for unsigned parts).
    payload="$D/parts/${file%.eml}.payload.mime"
    leafcheck=ok
    if [[ "$file" != signed-partial.eml && "$file" != signed-three-parts.eml && "$file" != plain.eml ]]; then
        if [[ "$SIG" != invalid && "$ENC" != failed ]] && ! cmp -s "$LEAF" "$payload"; then leafcheck=MISMATCH; fi
    fi
    obs="$ENC|$SIG|${SIGNER:--}|$match|$WHOLE|${KEYS:--}|$subj"
    exp="$e_enc|$e_sig|$e_signer|$e_match|$e_whole|$e_keys|$e_subj"
    if [[ "$obs" == "$exp" && "$leafcheck" == ok ]]; then
        printf '%-32s OK     %s\n' "$file" "$obs"
    else
        printf '%-32s FAIL   %s (expected %s, payload %s)\n' "$file" "$obs" "$exp" "$leafcheck"
        fail=1
    fi
done <<<"$EXPECT"

# Extra: signed-three-parts is only malformed because of the third part; with
# it removed, the remaining two-part multipart/signed verifies.
perl -0777 -pe 's/\r\n--([^\r\n]+)\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nUnsigned third part[^\r]*\r\n(?=\r\n--\1--)//' \
    "$D/signed-three-parts.eml" >"$T/3p.eml"
if openssl cms -verify -in "$T/3p.eml" -CAfile "$D/root-ca.cert.pem" -attime "$AT" -out /dev/null 2>/dev/null; then
    echo "info: signed-three-parts.eml minus its third part verifies (OK)"
else
    echo "info: signed-three-parts.eml minus its third part does NOT verify (FAIL)"; fail=1
fi

# Extra: key material consistency.
check() { if "$@" >/dev/null 2>&1; then echo "OK     ${CHECK}"; else echo "FAIL   ${CHECK}"; fail=1; fi; }
CHECK="chain: alice/bob/carol/mallory verify to root via chain.pem at $AT; eve fails only with 'certificate has expired'"
check bash -c "openssl verify -attime $AT -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/alice.cert.pem' '$D/bob.cert.pem' '$D/carol.cert.pem' '$D/mallory-noemail.cert.pem' &&
  openssl verify -attime $AT -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/eve-expired.cert.pem' 2>&1 | grep -q 'certificate has expired' &&
  openssl verify -no_check_time -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/eve-expired.cert.pem'"
CHECK="purpose smimesign: alice OK, mallory-noemail rejected"
check bash -c "openssl verify -purpose smimesign -attime $AT -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/alice.cert.pem' && ! openssl verify -purpose smimesign -attime $AT -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/mallory-noemail.cert.pem'"
CHECK="dave-untrusted verifies only against other-root-ca"
check bash -c "openssl verify -attime $AT -CAfile '$D/other-root-ca.cert.pem' '$D/dave-untrusted.cert.pem' && ! openssl verify -attime $AT -CAfile '$D/root-ca.cert.pem' -untrusted '$D/chain.pem' '$D/dave-untrusted.cert.pem'"
CHECK="alice.key.der / alice.key.enc.pem / alice.cert.der match alice.key.pem / alice.cert.pem"
check bash -c "
  a=\$(openssl pkey -in '$D/alice.key.pem' -pubout)
  [[ \$a == \$(openssl pkey -inform DER -in '$D/alice.key.der' -pubout) ]] &&
  [[ \$a == \$(openssl pkey -in '$D/alice.key.enc.pem' -passin file:'$D/alice.password.txt' -pubout) ]] &&
  [[ \$a == \$(openssl x509 -in '$D/alice.cert.pem' -noout -pubkey) ]] &&
  cmp -s <(openssl x509 -in '$D/alice.cert.pem' -outform DER) '$D/alice.cert.der'"
CHECK="alice.p12 (modern) and alice-legacy.p12 (-legacy) open with p12.password.txt"
check bash -c "openssl pkcs12 -in '$D/alice.p12' -noout -passin file:'$D/p12.password.txt' &&
  openssl pkcs12 -legacy -in '$D/alice-legacy.p12' -noout -passin file:'$D/p12.password.txt'"
CHECK="certs-only.p7c holds alice + intermediate"
check bash -c "[[ \$(openssl pkcs7 -inform DER -in '$D/certs-only.p7c' -print_certs | grep -c '^subject=') == 2 ]]"

exit "$fail"
