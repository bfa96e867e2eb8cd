# Shared GnuPG (gpgsm) set-up for the interop scripts; sourced, not run. The caller sets GH (an
# absent directory), GPGSM_TIME (for --faked-system-time) and DATA (tests/data).

G() { gpgsm --homedir "$GH" --batch --no-tty --disable-crl-checks --faked-system-time "$GPGSM_TIME" "$@"; }

# gpgsm_home LOG: a fresh GNUPGHOME that trusts the test root and knows the intermediate.
gpgsm_home() {
    mkdir -m 700 "$GH"
    echo allow-loopback-pinentry >"$GH/gpg-agent.conf"
    printf 'disable-crl-checks\nno-common-certs-import\n' >"$GH/gpgsm.conf"
    G --import "$DATA/root-ca.cert.pem" "$DATA/chain.pem" >"$1" 2>&1 || return 1
    printf '%s S\n' "$(openssl x509 -in "$DATA/root-ca.cert.pem" -noout -fingerprint -sha1 | cut -d= -f2)" \
        >"$GH/trustlist.txt"
}

# gpgsm_import_3des USER OUT_P12 LOG: USER's key and certificate into gpgsm through a PKCS#12 that
# OpenSSL writes with 3DES/SHA-1, the newest protection gpgsm 2.2 reads. gpgsm 2.2 derives the
# wrong 3DES key for about 1 random salt in 100 (its key derivation loses a leading zero byte; see
# docs/interop.md), so a refused file is written again with fresh salts, up to four times.
gpgsm_import_3des() {
    local u=$1 out=$2 log=$3 attempt
    for attempt in 1 2 3 4; do
        openssl pkcs12 -export -in "$DATA/$u.cert.pem" -inkey "$DATA/$u.key.pem" -certfile "$DATA/chain.pem" \
            -name "$u" -passout "file:$DATA/p12.password.txt" -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES \
            -macalg sha1 -out "$out" >>"$log" 2>&1 || return 1
        G --pinentry-mode loopback --passphrase-fd 3 --import "$out" 3<"$DATA/p12.password.txt" >>"$log" 2>&1 &&
            G --list-secret-keys "$u@example.org" >/dev/null 2>&1 && return 0
        echo "gpgsm refused $u's PKCS#12 (attempt $attempt)" >>"$log"
    done
    return 1
}
