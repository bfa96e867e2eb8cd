# shellcheck shell=bash
# Helpers of send-e2e-test.sh (sourced after testlib.sh and the mail fixture's env). Expects $cli,
# $ca, $keydir and $work.

now_ms() { echo $(($(date +%s%N) / 1000000)); }

use() { # WHO: the profile the next `run`s use
    export SEALPOST_PROFILE=$work/$1 SEALPOST_PASSPHRASE=$1-profile
}

new_profile() { # WHO: a new profile that knows only its mailbox credentials
    local pw="MAIL_PASSWORD_$1"
    printf '%s' "${!pw}" >"$work/$1-mail-pw"
    run profile init
    run account add "$1@example.org" --password-file "$work/$1-mail-pw" --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" \
        --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
    check "$1's account is added" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"
}

# A CA made with openssl, unrelated to Sealpost, and carol's certificate from it (DIR/root.pem,
# DIR/carol.pem, DIR/carol.key).
make_other_ca() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/root.key" -out "$d/root.pem" -days 30 \
        -subj "/O=Other Test CA/CN=Other Test Root" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$d/carol.key" -out "$d/carol.csr" \
        -subj "/CN=Carol/emailAddress=carol@example.org" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=emailProtection" "subjectAltName=email:carol@example.org" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$d/carol.ext"
    openssl x509 -req -in "$d/carol.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial -days 20 \
        -extfile "$d/carol.ext" -out "$d/carol.pem" 2>/dev/null
}

# sealpost-keydir trusting $work/anchors.pem plus the CA's root, and sealpost-ca publishing to it.
# Sets root, keydir_address, ca_address.
start_services() {
    local ca_port
    ca_port=$(free_port)
    printf 'publisher-token-for-the-e2e-test\n' >"$work/keydir-token"
    write_ca_config "$work" "$ca_port"
    "$ca" init --config "$work/ca.conf" >"$work/ca-init.out" 2>&1
    root="$work/ca/root-cert.pem"
    check "sealpost-ca init" '[ -s "$root" ]' "$(cat "$work/ca-init.out")"
    cat "$root" >>"$work/anchors.pem"
    start_keydir "$work" "$work/anchors.pem" --publisher-token-file "$work/keydir-token"
    check "sealpost-keydir starts" '[ -n "$keydir_address" ]' "$(cat "$work/keydir.log")"
    printf 'keydir_url = http://%s\nkeydir_token_file = keydir-token\n' "$keydir_address" >>"$work/ca.conf"
    start_ca "$work"
    check "sealpost-ca serves ACME" '[ -n "$ca_address" ]' "$(cat "$work/ca.log")"
    # A profile that only looks things up, so that the others learn certificates only as tested.
    (
        use observer
        run profile init
        run trust add "$work/anchors.pem"
        run directory set-url "http://$keydir_address"
    )
}

current_fingerprint() { # of the current profile's current identity
    "$cli" identity list --json | jq -r '[.[] | select(.state == "current")][0].fingerprint_sha256 // empty'
}

current_certificate() { # PEM of the current profile's current certificate
    printf 'export-pw\n' >"$work/p12pw"
    "$cli" identity export "$(current_fingerprint)" -o "$work/current.p12" --p12-password-file "$work/p12pw" \
        >/dev/null 2>&1
    openssl pkcs12 -in "$work/current.p12" -passin "file:$work/p12pw" -nokeys -clcerts 2>/dev/null | openssl x509
    rm -f "$work/current.p12"
}

current_serial() { # hex serial of the current profile's current certificate
    current_certificate | openssl x509 -noout -serial | cut -d= -f2
}

wait_published() { # ADDRESS FINGERPRINT: until the directory has it (the CA publishes on its own thread)
    local found=no
    for _ in $(seq 50); do
        if SEALPOST_PROFILE=$work/observer SEALPOST_PASSPHRASE=observer-profile "$cli" lookup "$1" --refresh --json 2>/dev/null |
            grep -q "$2"; then
            found=yes
            break
        fi
        sleep 0.2
    done
    check "the directory has $1's certificate" '[ $found = yes ]' "$(grep keydir "$work/ca.log")"
}

mail_count() { # WHO: messages in the INBOX Maildir
    local dir="MAIL_MAILDIR_$1"
    find "${!dir}/new" "${!dir}/cur" -type f 2>/dev/null | wc -l
}

wait_mail() { # WHO COUNT-BEFORE: prints the newest message file once there are more than before
    local dir="MAIL_MAILDIR_$1"
    for _ in $(seq 100); do
        if [ "$(mail_count "$1")" -gt "$2" ]; then
            find "${!dir}/new" "${!dir}/cur" -type f -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-
            return
        fi
        sleep 0.2
    done
}

header_of() { # FILE: its top-level header, line ends without CR
    tr -d '\r' <"$1" | sed '/^$/q'
}

# carol signs a mail with openssl (detached, multipart/signed), outside Sealpost.
carol_signed_mail() { # OUT TO SUBJECT TEXT [FROM]
    printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$4" >"$work/carol-body.txt"
    openssl cms -sign -signer "$work/other/carol.pem" -inkey "$work/other/carol.key" -in "$work/carol-body.txt" \
        -from "${5:-carol@example.org}" -to "$2" -subject "$3" -out "$work/carol-signed.eml"
    {
        printf 'Date: %s\r\nMessage-ID: <carol-%s@example.org>\r\n' "$(date -R)" "$(date +%s%N)"
        cat "$work/carol-signed.eml"
    } >"$1"
}

signed_text_contains() { # FILE TEXT: the content of an opaque-signed or multipart/signed message
    openssl cms -verify -noverify -in "$1" 2>/dev/null | grep -q "$2"
}

names_serial() { # CMS-PRINT HEX-SERIAL: a recipientInfo names this serial (printed in decimal or hex)
    local dec
    dec=$(python3 -c 'import sys; print(int(sys.argv[1], 16))' "$2")
    grep -Eiq "serialNumber: (0x)?($2|$dec)\$" "$1"
}

recipients_of() { # FILE: the CMS structure of an encrypted message (recipientInfos with issuer and serial)
    openssl cms -cmsout -print -in "$1" 2>&1
}
