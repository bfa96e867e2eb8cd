#!/usr/bin/env bash
# S/MIME interoperability tests between sealpost-cli and one peer implementation.
#
#   run-interop.sh --peer openssl|nss|gpgsm SEALPOST_CLI TEST_DATA_DIR
#
# Direction (a): the peer produces signed / encrypted messages and
#   `sealpost-cli open` must report the right status and return the exact body.
# Direction (b): sealpost-cli produces messages and the peer must verify and
#   decrypt them back to the exact canonical MIME entity.
#
# Every message is generated at test time in a private `mktemp -d` directory
# (NSS databases and GNUPGHOME included), which is removed on exit.
#
# What a peer cannot do is found out by *probes* that use only the peer and the
# openssl CLI (never sealpost-cli), so a Sealpost bug can never turn into a
# SKIP: when a probe fails, the dependent cases are skipped with the peer's own
# error message; when a future peer version gains the feature, they run.
#
# Output: one line per case (`PASS name`, `FAIL name: reason`,
# `SKIP name: reason`), then `N passed, N failed, N skipped`.
# Exit status: 0 if nothing failed, 1 if a case failed, 2 on usage/setup error.

set -u -o pipefail
export LC_ALL=C TZ=UTC

usage() {
    echo "usage: $0 --peer openssl|nss|gpgsm SEALPOST_CLI TEST_DATA_DIR" >&2
    exit 2
}

PEER=""
if [[ $# -ge 2 && $1 == --peer ]]; then
    PEER=$2
    shift 2
fi
[[ $# -eq 2 ]] || usage
case "$PEER" in openssl | nss | gpgsm) ;; *) usage ;; esac
CLI=$1
DATA=$2
[[ -x $CLI ]] || { echo "error: sealpost-cli not found or not executable: $CLI" >&2; exit 2; }
[[ -f $DATA/root-ca.cert.pem ]] || { echo "error: test data not found in $DATA" >&2; exit 2; }

AT=2026-06-01T00:00:00Z   # the test clock (tests/data/README.md)
AT_EPOCH=1780272000
GPGSM_TIME=20260601T000000 # gpgsm --faked-system-time (same instant)
# shellcheck source=tests/interop/gpgsm-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/gpgsm-lib.sh"

# ------------------------------------------------------------ requirements ---

need() { # need TOOL DEBIAN_PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "error: '$1' is required for the $PEER interop tests; install the Debian package '$2'" >&2
        exit 2
    fi
}
need openssl openssl   # used by every peer to prepare keys and by the probes
need perl perl-base
need base64 coreutils
if command -v jq >/dev/null 2>&1; then
    JSON=jq
elif command -v python3 >/dev/null 2>&1; then
    JSON=python3
else
    echo "error: 'jq' is required to read sealpost-cli's JSON report; install the Debian package 'jq'" >&2
    exit 2
fi
case "$PEER" in
nss)
    need cmsutil libnss3-tools
    need certutil libnss3-tools
    need pk12util libnss3-tools
    ;;
gpgsm)
    need gpgsm gpgsm
    need gpgconf gpgconf
    need gpg-agent gpg-agent
    ;;
esac

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-interop.XXXXXX") || exit 2
GH="$W/gnupg"
cleanup() {
    if [[ -d $GH ]]; then
        gpgconf --homedir "$GH" --kill all >/dev/null 2>&1 || true
    fi
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---------------------------------------------------------------- results ---

NPASS=0 NFAIL=0 NSKIP=0
REASON=""
fail() { REASON="$*"; return 1; }
skip() { REASON="$*"; return 77; }

run() { # run CASE_NAME FUNCTION [ARGS...]
    local name=$1 fn=$2 rc
    shift 2
    REASON=""
    C="$W/cases/$name"
    mkdir -p "$C"
    "$fn" "$@"
    rc=$?
    case $rc in
    0) echo "PASS $name"; NPASS=$((NPASS + 1)) ;;
    77) echo "SKIP $name: $REASON"; NSKIP=$((NSKIP + 1)) ;;
    *) echo "FAIL $name: ${REASON:-exit status $rc}"; NFAIL=$((NFAIL + 1)) ;;
    esac
}

# First line of a file (peer error messages in reasons), flattened.
firstline() {
    tr -d '\r' <"$1" 2>/dev/null | grep -v -e '^$' -e 'CRLs not checked' -e 'DBG:' -e 'faked system time' -e 'encrypted to ' |
        head -n 2 | tr '\n' ' ' | sed 's/ *$//'
}

# --------------------------------------------------------------- JSON ---

# The report fields the tests check, in this order, one per line
# (null for an absent value, true/false for booleans):
JFIELDS=(encryption cipher signature covers_whole_message signers signers.0.email signers.0.status signer_matches_from)
jfields() { # jfields FILE
    if [[ $JSON == jq ]]; then
        jq -r '.encryption, .cipher, .signature, .covers_whole_message, (.signers | length),
               .signers[0].email, .signers[0].status, .signer_matches_from' <"$1"
    else
        python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r.get("signers") or []
vals = [r.get("encryption"), r.get("cipher"), r.get("signature"), r.get("covers_whole_message"),
        len(s), s[0].get("email") if s else None, s[0].get("status") if s else None,
        r.get("signer_matches_from")]
for v in vals:
    print("null" if v is None else ("true" if v else "false") if isinstance(v, bool) else v)
EOF
    fi
}

# expect_report FILE VALUE... (one per JFIELDS entry; "*" = any)
expect_report() {
    local f=$1 i=0 got=() v
    shift
    mapfile -t got < <(jfields "$f" 2>/dev/null)
    [[ ${#got[@]} -eq ${#JFIELDS[@]} ]] || fail "unreadable JSON report $(basename "$f")" || return
    for v in "$@"; do
        [[ $v == "*" || ${got[$i]} == "$v" ]] ||
            fail "report field ${JFIELDS[$i]}: expected '$v', got '${got[$i]}'" || return
        i=$((i + 1))
    done
}

# --------------------------------------------------------- test material ---

HDR="$W/hdr" # outer header (From..MIME-Version) of the alice -> bob, carol test message
printf 'From: Alice Test <alice@example.org>\r\nTo: Bob Test <bob@example.org>, Carol Test <carol@example.org>\r\nSubject: Interop test\r\nDate: Mon, 01 Jun 2026 00:00:00 +0000\r\nMessage-ID: <interop@sealpost.test>\r\nMIME-Version: 1.0\r\n' >"$HDR"
HDR_BOB="$W/hdr-bob" # the same from bob (for ECDSA signatures)
sed 's/^From: Alice Test <alice@example.org>/From: Bob Test <bob@example.org>/' "$HDR" >"$HDR_BOB"

# The canonical inner entity every peer and Sealpost must end up with, byte for byte.
INNER="$W/inner.mime"
printf '%s\r\n' \
    'Content-Type: text/plain; charset=utf-8' \
    'Content-Transfer-Encoding: 7bit' \
    '' \
    'Hello Bob and Carol,' \
    '' \
    'From here on this line starts with "From " (mbox escaping must not touch it).' \
    '.' \
    '--not-a-boundary' \
    'A long line: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 abcdefghijklmnopqrstuvwxyz' \
    '' \
    'Alice' >"$INNER"
MSG="$W/msg.eml" # the plain RFC 5322 message handed to sealpost-cli
cat "$HDR" "$INNER" >"$MSG"
MSG_BOB="$W/msg-bob.eml"
cat "$HDR_BOB" "$INNER" >"$MSG_BOB"

TRUST="$DATA/root-ca.cert.pem"
PW="$DATA/p12.password.txt"

# ------------------------------------------------------------ MIME helpers ---

B64() { base64 -w 76 | sed 's/$/\r/'; }

# wrap_pkcs7 OUT HEADER SMIME_TYPE DER: an application/pkcs7-mime message.
wrap_pkcs7() {
    {
        cat "$2"
        printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name="smime.p7m"\r\n' "$3"
        printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
        B64 <"$4"
    } >"$1"
}

# wrap_detached OUT HEADER CONTENT SIG_DER: a multipart/signed message.
wrap_detached() {
    local b="----=_interop_boundary_7f3a"
    {
        cat "$2"
        printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="%s"\r\n\r\n' "$b"
        printf 'This is an S/MIME signed message\r\n\r\n--%s\r\n' "$b"
        cat "$3"
        printf '\r\n--%s\r\n' "$b"
        printf 'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
        B64 <"$4"
        printf '\r\n--%s--\r\n' "$b"
    } >"$1"
}

# prepend_header OUT HEADER ENTITY: openssl's S/MIME output starts with its own
# MIME-Version line; put our outer header in front of the rest.
prepend_header() {
    { cat "$2"; perl -0777 -pe 's/\AMIME-Version: 1\.0\r?\n//' "$3"; } >"$1"
}

# split_detached EML CONTENT_OUT SIG_DER_OUT: the exact signed bytes and the
# decoded signature of a multipart/signed message (top level or entity).
split_detached() {
    perl -0777 -e '
        my ($in, $co, $so) = @ARGV;
        open my $f, "<:raw", $in or die "cannot read $in\n"; my $m = <$f>;
        my ($h, $body) = split /\r\n\r\n/, $m, 2;
        $h =~ s/\r\n[ \t]+/ /g;
        $h =~ /^Content-Type:\s*multipart\/signed\b[^\r\n]*?\bboundary="?([^";\r\n]+)"?/mi
            or die "not multipart/signed\n";
        my $b = $1;
        my @p = split /(?:^|\r\n)--\Q$b\E(?:--)?[ \t]*\r\n/, $body, -1;
        die "expected 2 parts, got " . (@p - 2) . "\n" unless @p >= 3;
        open my $c, ">:raw", $co or die; print $c $p[1]; close $c;
        my ($sh, $sb) = split /\r\n\r\n/, $p[2], 2;
        $sb =~ s/\r\n--\Q$b\E--.*\z//s;
        open my $s, ">", "$so.b64" or die; print $s $sb; close $s;
    ' "$1" "$2" "$3" || return 1
    tr -d '\r' <"$3.b64" | base64 -d >"$3"
}

# extract_p7m EML DER_OUT: decoded body of an application/pkcs7-mime message.
extract_p7m() {
    perl -0777 -ne 'my ($h, $b) = split /\r?\n\r?\n/, $_, 2; print $b' "$1" | tr -d '\r' | base64 -d >"$2"
}

# ---------------------------------------------------------- Sealpost open ---

# sp_open NAME EML [key args...]: open with the test trust anchor and clock.
# Leaves $C/NAME.json, $C/NAME.out, $C/NAME.err, OPEN_RC.
sp_open() {
    local n=$1 eml=$2
    shift 2
    "$CLI" open --trust "$TRUST" --at "$AT" "$@" --json "$C/$n.json" -i "$eml" -o "$C/$n.out" 2>"$C/$n.err"
    OPEN_RC=$?
}

KEY_ALICE=(--key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem")
KEY_BOB=(--key "$DATA/bob.key.pem" --cert "$DATA/bob.cert.pem")
KEY_CAROL=(--key "$DATA/carol.key.pem" --cert "$DATA/carol.cert.pem")

# check_open NAME HEADER ENC CIPHER SIG SIGNER: assert the report and the exact body.
check_open() {
    local n=$1 hdr=$2 enc=$3 cipher=$4 sig=$5 signer=$6 from
    [[ $OPEN_RC -eq 0 ]] || fail "sealpost-cli open exited $OPEN_RC: $(firstline "$C/$n.err")" || return
    [[ -s $C/$n.json ]] || fail "no JSON report" || return
    if [[ $sig == none ]]; then
        expect_report "$C/$n.json" "$enc" "$cipher" none true 0 null null null || return
    else
        expect_report "$C/$n.json" "$enc" "$cipher" "$sig" true 1 "$signer" "$sig" true || return
    fi
    cat "$hdr" "$INNER" >"$C/$n.expected"
    cmp -s "$C/$n.expected" "$C/$n.out" ||
        fail "opened message differs from the original ($(cmp "$C/$n.expected" "$C/$n.out" 2>&1 | head -n 1))"
}

# ---------------------------------------------------------- Sealpost make ---

# sp NAME ARGS...: run sealpost-cli; output in $C/NAME.eml
sp() {
    local n=$1
    shift
    "$CLI" "$@" -i "$MSG" -o "$C/$n.eml" 2>"$C/$n.sperr" ||
        fail "sealpost-cli $1 failed: $(firstline "$C/$n.sperr")"
}
SIGN_ALICE=(sign --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --chain "$DATA/chain.pem")
TO_ALICE=(--to-cert "$DATA/alice.cert.pem")
TO_BOB=(--to-cert "$DATA/bob.cert.pem")
TO_CAROL=(--to-cert "$DATA/carol.cert.pem")

same_as_inner() { # same_as_inner FILE WHAT
    cmp -s "$INNER" "$1" || fail "$2 differs from the original entity ($(cmp "$INNER" "$1" 2>&1 | head -n 1))"
}

# The top-level smime-type of a message made by Sealpost, to catch a wrong label.
expect_smime_type() { # FILE TYPE
    grep -qi "^Content-Type: application/pkcs7-mime;.*smime-type=\"\?$2\"\?" "$1" ||
        fail "expected smime-type=$2 in $(basename "$1"), got: $(grep -i -m1 '^Content-Type:' "$1" | tr -d '\r')"
}

# cms_info DER: content type and algorithms as openssl sees them (for reasons).
cms_algs() { openssl cms -cmsout -print -inform DER -in "$1" 2>/dev/null | grep -E 'contentType|algorithm:' | sed 's/^ *//' | tr '\n' ' '; }

# ======================================================================
# Peer: openssl
# ======================================================================

o_sign() { # o_sign OUT HEADER SIGNER [openssl cms args]: openssl's own S/MIME writer
    local out=$1 hdr=$2 who=$3
    shift 3
    openssl cms -sign -binary -crlfeol -md sha256 -signer "$DATA/$who.cert.pem" -inkey "$DATA/$who.key.pem" \
        -certfile "$DATA/chain.pem" -in "$INNER" -out "$out.ent" "$@" 2>"$out.err" ||
        fail "openssl cms -sign: $(firstline "$out.err")" || return
    prepend_header "$out" "$hdr" "$out.ent"
}

o_encrypt() { # o_encrypt OUT IN CIPHER [recipient args]
    local out=$1 in=$2 cipher=$3
    shift 3
    openssl cms -encrypt -binary -crlfeol "-$cipher" -in "$in" -out "$out.ent" "$@" 2>"$out.err" ||
        fail "openssl cms -encrypt: $(firstline "$out.err")" || return
    prepend_header "$out" "$HDR" "$out.ent"
}

a_openssl_sign() { # MODE(detached|opaque) SIGNER
    local hdr=$HDR
    [[ $2 == bob ]] && hdr=$HDR_BOB
    if [[ $1 == opaque ]]; then o_sign "$C/m.eml" "$hdr" "$2" -nodetach || return
    else o_sign "$C/m.eml" "$hdr" "$2" || return; fi
    sp_open o "$C/m.eml"
    check_open o "$hdr" none null valid "$2@example.org"
}

a_openssl_encrypt() { # CIPHER "recipients" OPEN_AS [extra openssl args...]
    local cipher=$1 recips=$2 as=$3 r args=()
    shift 3
    for r in $recips; do args+=(-recip "$DATA/$r.cert.pem" "$@"); done
    o_encrypt "$C/m.eml" "$INNER" "$cipher" "${args[@]}" || return
    local who
    for who in $as; do
        local keyvar="KEY_${who^^}[@]"
        sp_open "o-$who" "$C/m.eml" "${!keyvar}"
        check_open "o-$who" "$HDR" decrypted "$cipher" none - || { REASON="as $who: $REASON"; return 1; }
    done
}

a_openssl_encrypt_wrong_key() { # a message to bob must not open with carol's key
    o_encrypt "$C/m.eml" "$INNER" aes-256-gcm -recip "$DATA/bob.cert.pem" || return
    sp_open o "$C/m.eml" "${KEY_CAROL[@]}"
    [[ $OPEN_RC -eq 1 ]] || fail "expected exit status 1 (not decryptable), got $OPEN_RC" || return
    [[ ! -s $C/o.json ]] || expect_report "$C/o.json" failed "*" "*" "*" "*" "*" "*" "*"
}

a_openssl_sign_then_encrypt() { # CIPHER RECIPIENT
    o_sign "$C/s.eml" "$HDR" alice || return
    perl -0777 -pe 's/\A(?:(?!Content-)[^\r\n]*\r\n)*//' "$C/s.eml.ent" >"$C/s.ent" # the signed entity, no MIME-Version
    o_encrypt "$C/m.eml" "$C/s.ent" "$1" -recip "$DATA/$2.cert.pem" || return
    local keyvar="KEY_${2^^}[@]"
    sp_open o "$C/m.eml" "${!keyvar}"
    check_open o "$HDR" decrypted "$1" valid alice@example.org
}

# ---- direction (b) with openssl
# multipart/signed is verified in text mode (no -binary): with -binary,
# OpenSSL 3.0's MIME splitter keeps the CR of the CRLF before the boundary in
# the signed content (RFC 2046 says it belongs to the boundary), so every
# correct detached signature fails. The content is already canonical CRLF,
# so text mode hashes and outputs exactly the same bytes.

b_openssl_verify() { # detached|opaque
    local args=()
    [[ $1 == opaque ]] && args=(--opaque)
    sp m "${SIGN_ALICE[@]}" "${args[@]}" || return
    [[ $1 == opaque ]] && { expect_smime_type "$C/m.eml" signed-data || return; }
    local bin=()
    [[ $1 == opaque ]] && bin=(-binary)
    openssl cms -verify "${bin[@]}" -in "$C/m.eml" -CAfile "$TRUST" -attime "$AT_EPOCH" -purpose smimesign \
        -out "$C/content" 2>"$C/err" || fail "openssl cms -verify: $(firstline "$C/err")" || return
    same_as_inner "$C/content" "verified content"
}

b_openssl_verify_ec() {
    "$CLI" sign --key "$DATA/bob.key.pem" --cert "$DATA/bob.cert.pem" --chain "$DATA/chain.pem" \
        -i "$MSG_BOB" -o "$C/m.eml" 2>"$C/sperr" || fail "sealpost-cli sign failed: $(firstline "$C/sperr")" || return
    openssl cms -verify -in "$C/m.eml" -CAfile "$TRUST" -attime "$AT_EPOCH" -purpose smimesign \
        -out "$C/content" 2>"$C/err" || fail "openssl cms -verify: $(firstline "$C/err")" || return
    same_as_inner "$C/content" "verified content"
}

b_openssl_decrypt() { # CIPHER SMIME_TYPE "recipients" [extra sealpost args]
    local cipher=$1 type=$2 recips=$3 r args=()
    shift 3
    for r in $recips; do args+=(--to-cert "$DATA/$r.cert.pem"); done
    sp m encrypt --cipher "$cipher" "${args[@]}" "$@" || return
    expect_smime_type "$C/m.eml" "$type" || return
    for r in $recips; do
        openssl cms -decrypt -binary -in "$C/m.eml" -recip "$DATA/$r.cert.pem" -inkey "$DATA/$r.key.pem" \
            -out "$C/plain-$r" 2>"$C/err-$r" || fail "openssl cms -decrypt as $r: $(firstline "$C/err-$r")" || return
        same_as_inner "$C/plain-$r" "content decrypted by $r" || return
    done
}

b_openssl_oaep() {
    b_openssl_decrypt aes-256-cbc enveloped-data "alice carol" --rsa-oaep || return
    extract_p7m "$C/m.eml" "$C/m.der"
    openssl cms -cmsout -print -inform DER -in "$C/m.der" 2>/dev/null | grep -q 'rsaesOaep' ||
        fail "--rsa-oaep did not produce RSAES-OAEP key transport: $(cms_algs "$C/m.der")"
}

b_openssl_sign_encrypt() { # CIPHER RECIPIENT
    sp m encrypt --cipher "$1" --to-cert "$DATA/$2.cert.pem" \
        --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --chain "$DATA/chain.pem" || return
    openssl cms -decrypt -binary -in "$C/m.eml" -recip "$DATA/$2.cert.pem" -inkey "$DATA/$2.key.pem" \
        -out "$C/signed.ent" 2>"$C/err" || fail "openssl cms -decrypt: $(firstline "$C/err")" || return
    openssl cms -verify -in "$C/signed.ent" -CAfile "$TRUST" -attime "$AT_EPOCH" -purpose smimesign \
        -out "$C/content" 2>"$C/err2" || fail "openssl cms -verify of the inner layer: $(firstline "$C/err2")" || return
    same_as_inner "$C/content" "decrypted and verified content"
}

peer_openssl() {
    run a_openssl_sign_detached_rsa a_openssl_sign detached alice
    run a_openssl_sign_opaque_rsa a_openssl_sign opaque alice
    run a_openssl_sign_detached_ecdsa a_openssl_sign detached bob
    run a_openssl_sign_opaque_ecdsa a_openssl_sign opaque bob
    run a_openssl_encrypt_gcm_rsa a_openssl_encrypt aes-256-gcm alice alice
    run a_openssl_encrypt_gcm_ecdh a_openssl_encrypt aes-256-gcm bob bob
    run a_openssl_encrypt_cbc_rsa a_openssl_encrypt aes-256-cbc alice alice
    run a_openssl_encrypt_cbc_ecdh a_openssl_encrypt aes-256-cbc bob bob
    run a_openssl_encrypt_cbc_ecdh_sha256kdf a_openssl_encrypt aes-256-cbc bob bob -keyopt ecdh_kdf_md:sha256
    run a_openssl_encrypt_aes128gcm_rsa a_openssl_encrypt aes-128-gcm alice alice
    run a_openssl_encrypt_oaep_sha1 a_openssl_encrypt aes-256-cbc alice alice -keyopt rsa_padding_mode:oaep
    run a_openssl_encrypt_oaep_sha256 a_openssl_encrypt aes-256-cbc alice alice -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256
    run a_openssl_encrypt_multi_gcm a_openssl_encrypt aes-256-gcm "alice bob carol" "alice bob carol"
    run a_openssl_encrypt_multi_cbc a_openssl_encrypt aes-256-cbc "alice bob carol" "alice bob carol"
    run a_openssl_encrypt_wrong_key a_openssl_encrypt_wrong_key
    run a_openssl_sign_then_encrypt_gcm a_openssl_sign_then_encrypt aes-256-gcm bob
    run a_openssl_sign_then_encrypt_cbc a_openssl_sign_then_encrypt aes-256-cbc carol

    run b_openssl_verify_detached_rsa b_openssl_verify detached
    run b_openssl_verify_opaque_rsa b_openssl_verify opaque
    run b_openssl_verify_detached_ecdsa b_openssl_verify_ec
    run b_openssl_decrypt_gcm_rsa b_openssl_decrypt aes-256-gcm authEnveloped-data alice
    run b_openssl_decrypt_gcm_ecdh b_openssl_decrypt aes-256-gcm authEnveloped-data bob
    run b_openssl_decrypt_aes128gcm_rsa b_openssl_decrypt aes-128-gcm authEnveloped-data carol
    run b_openssl_decrypt_cbc_rsa b_openssl_decrypt aes-256-cbc enveloped-data alice
    run b_openssl_decrypt_cbc_ecdh b_openssl_decrypt aes-256-cbc enveloped-data bob
    run b_openssl_decrypt_aes128cbc_rsa b_openssl_decrypt aes-128-cbc enveloped-data carol
    run b_openssl_decrypt_oaep b_openssl_oaep
    run b_openssl_decrypt_multi_gcm b_openssl_decrypt aes-256-gcm authEnveloped-data "alice bob carol"
    run b_openssl_decrypt_multi_cbc b_openssl_decrypt aes-256-cbc enveloped-data "alice bob carol"
    run b_openssl_sign_encrypt_gcm_ecdh b_openssl_sign_encrypt aes-256-gcm bob
    run b_openssl_sign_encrypt_cbc_rsa b_openssl_sign_encrypt aes-256-cbc carol
}

# ======================================================================
# Peer: NSS (cmsutil)
# ======================================================================
# One NSS database per user (like one Thunderbird profile each), holding the
# user's key and certificate, the root as trusted e-mail CA, and the other
# users' certificates (the address book).

nss_setup() {
    local u db
    printf '%s' "$(cat "$PW")" >"$W/p12pw"
    for u in alice bob carol; do
        db="$W/nss-$u"
        mkdir -p "$db"
        certutil -N -d "sql:$db" --empty-password >"$W/nss-setup.log" 2>&1 || { cat "$W/nss-setup.log" >&2; return 1; }
        # p12 made here: the files in tests/data are for other purposes; NSS reads OpenSSL 3 defaults.
        openssl pkcs12 -export -in "$DATA/$u.cert.pem" -inkey "$DATA/$u.key.pem" -certfile "$DATA/chain.pem" \
            -name "$u" -passout "file:$W/p12pw" -out "$W/$u.p12" 2>>"$W/nss-setup.log" &&
            pk12util -i "$W/$u.p12" -d "sql:$db" -w "$W/p12pw" -K '' >>"$W/nss-setup.log" 2>&1 &&
            certutil -A -d "sql:$db" -n "Sealpost Test Root CA" -t ',C,' -i "$TRUST" >>"$W/nss-setup.log" 2>&1 ||
            { echo "error: NSS database setup failed:" >&2; cat "$W/nss-setup.log" >&2; return 1; }
    done
    for u in alice bob carol; do
        local o
        for o in alice bob carol; do
            [[ $o == "$u" ]] || certutil -A -d "sql:$W/nss-$u" -n "$o-cert" -t ',,' -i "$DATA/$o.cert.pem" >>"$W/nss-setup.log" 2>&1 || return 1
        done
    done
}

# Probes (openssl-made objects only): NSS_CAN[feature]=1, or NSS_WHY[feature]=peer error.
declare -A NSS_CAN=() NSS_WHY=()
nss_probe_decrypt() { # FEATURE USER CIPHER recipient-args...
    local f=$1 u=$2 cipher=$3
    shift 3
    openssl cms -encrypt -binary -outform DER "-$cipher" -in "$INNER" -out "$W/probe-$f.der" "$@" 2>/dev/null || return
    if cmsutil -D -d "sql:$W/nss-$u" -i "$W/probe-$f.der" -o "$W/probe-$f.out" 2>"$W/probe-$f.err" &&
        cmp -s "$INNER" "$W/probe-$f.out"; then
        NSS_CAN[$f]=1
    else
        NSS_WHY[$f]="cmsutil -D: $(firstline "$W/probe-$f.err")"
    fi
}
nss_probes() {
    nss_probe_decrypt authenv alice aes-256-gcm -recip "$DATA/alice.cert.pem"
    nss_probe_decrypt ecdh bob aes-256-cbc -recip "$DATA/bob.cert.pem"
    nss_probe_decrypt mixed alice aes-256-cbc -recip "$DATA/alice.cert.pem" -recip "$DATA/bob.cert.pem"
    nss_probe_decrypt oaep alice aes-256-cbc -recip "$DATA/alice.cert.pem" -keyopt rsa_padding_mode:oaep
    if cmsutil -E -r bob@example.org -d "sql:$W/nss-alice" -i "$INNER" -o "$W/probe-ecenc.der" 2>"$W/probe-ecenc.err"; then
        NSS_CAN[ecdh_encrypt]=1
    else
        NSS_WHY[ecdh_encrypt]="cmsutil -E -r bob@example.org: $(firstline "$W/probe-ecenc.err")"
    fi
}
nss_need() { # nss_need FEATURE WHAT
    [[ -n ${NSS_CAN[$1]:-} ]] || skip "NSS${NSS_VERSION:+ $NSS_VERSION} cannot $2 (${NSS_WHY[$1]:-unsupported})"
}

a_nss_sign() { # MODE SIGNER
    local u=$2 hdr=$HDR args=(-T)
    [[ $u == bob ]] && hdr=$HDR_BOB
    [[ $1 == opaque ]] && args=()
    cmsutil -S -N "$u" -H SHA256 -G -P "${args[@]}" -d "sql:$W/nss-$u" -i "$INNER" -o "$C/sig.der" 2>"$C/err" ||
        fail "cmsutil -S: $(firstline "$C/err")" || return
    if [[ $1 == opaque ]]; then wrap_pkcs7 "$C/m.eml" "$hdr" signed-data "$C/sig.der"
    else wrap_detached "$C/m.eml" "$hdr" "$INNER" "$C/sig.der"; fi
    sp_open o "$C/m.eml"
    check_open o "$hdr" none null valid "$u@example.org"
}

# NSS chooses the content cipher itself (cmsutil has no option for it): the
# strongest one enabled in the application that every recipient's S/MIME
# profile allows. cmsutil enables nothing beyond NSS's default, which is
# AES-128-CBC in NSS 3.87 (even after verifying SMIMECapabilities that list
# AES-256-CBC). The case asserts that Sealpost reports the cipher NSS really used.
a_nss_encrypt() { # "recipients"
    local recips=$1 r list="" want
    for r in $recips; do list+="${list:+,}$r@example.org"; done
    cmsutil -E -r "$list" -d "sql:$W/nss-alice" -i "$INNER" -o "$C/env.der" 2>"$C/err" ||
        fail "cmsutil -E: $(firstline "$C/err")" || return
    want=$(cms_algs "$C/env.der" | grep -o 'algorithm: aes-[0-9]*-[a-z]*' | cut -d' ' -f2)
    [[ -n $want ]] || fail "cannot tell which cipher NSS used: $(cms_algs "$C/env.der")" || return
    wrap_pkcs7 "$C/m.eml" "$HDR" enveloped-data "$C/env.der"
    for r in $recips; do
        local keyvar="KEY_${r^^}[@]"
        sp_open "o-$r" "$C/m.eml" "${!keyvar}"
        check_open "o-$r" "$HDR" decrypted "$want" none - || { REASON="as $r: $REASON"; return 1; }
    done
}

a_nss_encrypt_ecdh() {
    nss_need ecdh_encrypt "encrypt to an EC (ECDH) recipient" || return
    a_nss_encrypt bob
}

a_nss_sign_then_encrypt() {
    cmsutil -S -N alice -H SHA256 -G -P -T -d "sql:$W/nss-alice" -i "$INNER" -o "$C/sig.der" 2>"$C/err" ||
        fail "cmsutil -S: $(firstline "$C/err")" || return
    : >"$C/empty"
    wrap_detached "$C/signed.full" "$C/empty" "$INNER" "$C/sig.der"
    cmsutil -E -r carol@example.org -d "sql:$W/nss-alice" -i "$C/signed.full" -o "$C/env.der" 2>"$C/err2" ||
        fail "cmsutil -E: $(firstline "$C/err2")" || return
    wrap_pkcs7 "$C/m.eml" "$HDR" enveloped-data "$C/env.der"
    sp_open o "$C/m.eml" "${KEY_CAROL[@]}"
    local c
    c=$(jfields "$C/o.json" 2>/dev/null | sed -n 2p)
    check_open o "$HDR" decrypted "$c" valid alice@example.org
}

# ---- direction (b) with NSS

nss_verify_detached() { # EML USER -> $C/content
    split_detached "$1" "$C/content" "$C/sig.der" 2>"$C/split.err" ||
        fail "cannot split multipart/signed: $(firstline "$C/split.err")" || return
    cmsutil -D -d "sql:$W/nss-$2" -h 1 -c "$C/content" -i "$C/sig.der" -o "$C/nss.out" 2>"$C/err" ||
        fail "cmsutil -D (verify): $(firstline "$C/err")" || return
    grep -q 'signer0.status=GoodSignature' "$C/nss.out" ||
        fail "NSS signer status: $(grep -o 'signer0.status=[A-Za-z]*' "$C/nss.out")"
}

b_nss_verify() { # detached|opaque
    if [[ $1 == detached ]]; then
        sp m "${SIGN_ALICE[@]}" || return
        nss_verify_detached "$C/m.eml" bob || return
    else
        sp m "${SIGN_ALICE[@]}" --opaque || return
        expect_smime_type "$C/m.eml" signed-data || return
        extract_p7m "$C/m.eml" "$C/m.der"
        cmsutil -D -d "sql:$W/nss-bob" -h 1 -i "$C/m.der" -o "$C/nss.out" 2>"$C/err" ||
            fail "cmsutil -D (verify): $(firstline "$C/err")" || return
        grep -q 'signer0.status=GoodSignature' "$C/nss.out" ||
            fail "NSS signer status: $(grep -o 'signer0.status=[A-Za-z]*' "$C/nss.out")" || return
        perl -0777 -pe 's/\ASMIME:.*?\n(?=Content-)//s' "$C/nss.out" >"$C/content"
    fi
    same_as_inner "$C/content" "verified content"
}

b_nss_verify_ec() {
    "$CLI" sign --key "$DATA/bob.key.pem" --cert "$DATA/bob.cert.pem" --chain "$DATA/chain.pem" \
        -i "$MSG_BOB" -o "$C/m.eml" 2>"$C/sperr" || fail "sealpost-cli sign failed: $(firstline "$C/sperr")" || return
    nss_verify_detached "$C/m.eml" alice || return
    same_as_inner "$C/content" "verified content"
}

b_nss_decrypt() { # CIPHER SMIME_TYPE "recipients" NEED_FEATURE [sealpost args]
    local cipher=$1 type=$2 recips=$3 need=$4 r args=()
    shift 4
    local f
    for f in ${need//,/ }; do
        case $f in
        authenv) nss_need authenv "decrypt AuthEnvelopedData (AES-GCM)" || return ;;
        ecdh) nss_need ecdh "decrypt for an EC (ECDH key agreement) recipient" || return ;;
        mixed) nss_need mixed "decrypt an EnvelopedData that also has an ECDH (KeyAgreeRecipientInfo) recipient, even with its own RSA key" || return ;;
        oaep) nss_need oaep "decrypt RSAES-OAEP key transport" || return ;;
        esac
    done
    for r in $recips; do args+=(--to-cert "$DATA/$r.cert.pem"); done
    sp m encrypt --cipher "$cipher" "${args[@]}" "$@" || return
    expect_smime_type "$C/m.eml" "$type" || return
    extract_p7m "$C/m.eml" "$C/m.der"
    for r in $recips; do
        cmsutil -D -d "sql:$W/nss-$r" -i "$C/m.der" -o "$C/plain-$r" 2>"$C/err-$r" ||
            fail "cmsutil -D as $r: $(firstline "$C/err-$r")" || return
        same_as_inner "$C/plain-$r" "content decrypted by $r" || return
    done
}

b_nss_sign_encrypt() {
    sp m encrypt --cipher aes-256-cbc --to-cert "$DATA/carol.cert.pem" \
        --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --chain "$DATA/chain.pem" || return
    extract_p7m "$C/m.eml" "$C/m.der"
    cmsutil -D -d "sql:$W/nss-carol" -i "$C/m.der" -o "$C/signed.ent" 2>"$C/err" ||
        fail "cmsutil -D (decrypt): $(firstline "$C/err")" || return
    nss_verify_detached "$C/signed.ent" carol || return
    same_as_inner "$C/content" "decrypted and verified content"
}

peer_nss() {
    NSS_VERSION=$(dpkg-query -W -f '${Version}' libnss3 2>/dev/null | sed 's/^[0-9]*://; s/-.*//')
    nss_setup || exit 2
    nss_probes

    run a_nss_sign_detached_rsa a_nss_sign detached alice
    run a_nss_sign_opaque_rsa a_nss_sign opaque alice
    run a_nss_sign_detached_ecdsa a_nss_sign detached bob
    run a_nss_sign_opaque_ecdsa a_nss_sign opaque bob
    run a_nss_encrypt_gcm skip "cmsutil (NSS) has no way to create AuthEnvelopedData/AES-GCM; NSS only writes EnvelopedData"
    run a_nss_encrypt_oaep skip "cmsutil (NSS) cannot create RSAES-OAEP recipients (always PKCS#1 v1.5)"
    run a_nss_encrypt_cbc_rsa a_nss_encrypt alice
    run a_nss_encrypt_cbc_ecdh a_nss_encrypt_ecdh
    run a_nss_encrypt_multi_cbc a_nss_encrypt "alice carol"
    run a_nss_sign_then_encrypt a_nss_sign_then_encrypt

    run b_nss_verify_detached_rsa b_nss_verify detached
    run b_nss_verify_opaque_rsa b_nss_verify opaque
    run b_nss_verify_detached_ecdsa b_nss_verify_ec
    run b_nss_decrypt_gcm_rsa b_nss_decrypt aes-256-gcm authEnveloped-data alice authenv
    run b_nss_decrypt_gcm_ecdh b_nss_decrypt aes-256-gcm authEnveloped-data bob authenv,ecdh
    run b_nss_decrypt_cbc_rsa b_nss_decrypt aes-256-cbc enveloped-data alice -
    run b_nss_decrypt_aes128cbc_rsa b_nss_decrypt aes-128-cbc enveloped-data carol -
    run b_nss_decrypt_cbc_ecdh b_nss_decrypt aes-256-cbc enveloped-data bob ecdh
    run b_nss_decrypt_oaep b_nss_decrypt aes-256-cbc enveloped-data alice oaep --rsa-oaep
    run b_nss_decrypt_multi_cbc_rsa b_nss_decrypt aes-256-cbc enveloped-data "alice carol" -
    run b_nss_decrypt_multi_cbc_rsa_ec b_nss_decrypt aes-256-cbc enveloped-data "alice bob carol" mixed
    run b_nss_sign_encrypt_cbc_rsa b_nss_sign_encrypt
}

# ======================================================================
# Peer: gpgsm (GnuPG)
# ======================================================================

GPASS() { G --pinentry-mode loopback --passphrase-fd 3 "$@" 3<"$PW"; }

declare -A GPG_CAN=() GPG_WHY=()
gpgsm_setup() {
    gpgsm_home "$W/gpgsm-setup.log" ||
        { echo "error: gpgsm cannot import the CA certificates:" >&2; cat "$W/gpgsm-setup.log" >&2; return 1; }
    local u p12
    for u in alice bob carol; do
        G --import "$DATA/$u.cert.pem" >>"$W/gpgsm-setup.log" 2>&1
        # gpgsm 2.2 cannot read OpenSSL 3's default PKCS#12 (PBES2/PBKDF2-HMAC-SHA256/AES);
        # probe that, then fall back to the widely supported 3DES/SHA-1 protection.
        p12="$DATA/$u.p12"
        if [[ -f $p12 ]] && GPASS --import "$p12" >"$W/gpgsm-import-$u.log" 2>&1 && G --list-secret-keys "$u@example.org" >/dev/null 2>&1; then
            GPG_CAN[p12_pbes2]=1
            continue
        fi
        [[ -f $p12 ]] && GPG_WHY[p12_pbes2]="gpgsm --import $(basename "$p12"): $(firstline "$W/gpgsm-import-$u.log")"
        if gpgsm_import_3des "$u" "$W/$u-3des.p12" "$W/gpgsm-import-$u.log"; then
            GPG_CAN[key_$u]=1
        else
            GPG_WHY[key_$u]="gpgsm --import of $u's PKCS#12: $(firstline "$W/gpgsm-import-$u.log")"
        fi
    done
    [[ -n ${GPG_CAN[p12_pbes2]:-} ]] && GPG_CAN[key_alice]=1 GPG_CAN[key_bob]=1 GPG_CAN[key_carol]=1
    [[ -n ${GPG_CAN[key_alice]:-} && -n ${GPG_CAN[key_carol]:-} ]] ||
        { echo "error: gpgsm cannot import the RSA test keys:" >&2; cat "$W"/gpgsm-import-*.log >&2; return 1; }
}

gpg_probe_decrypt() { # FEATURE USER CIPHER recipient-args...
    local f=$1 u=$2 cipher=$3
    shift 3
    openssl cms -encrypt -binary -outform DER "-$cipher" -in "$INNER" -out "$W/probe-$f.der" "$@" 2>/dev/null || return
    if GPASS --decrypt -o "$W/probe-$f.out" "$W/probe-$f.der" 2>"$W/probe-$f.err" && cmp -s "$INNER" "$W/probe-$f.out"; then
        GPG_CAN[$f]=1
    else
        GPG_WHY[$f]="gpgsm --decrypt: $(firstline "$W/probe-$f.err")"
    fi
}
gpgsm_probes() {
    gpg_probe_decrypt authenv alice aes-256-gcm -recip "$DATA/alice.cert.pem"
    gpg_probe_decrypt oaep alice aes-256-cbc -recip "$DATA/alice.cert.pem" -keyopt rsa_padding_mode:oaep
    if [[ -n ${GPG_CAN[key_bob]:-} ]]; then
        gpg_probe_decrypt ecdh bob aes-256-cbc -recip "$DATA/bob.cert.pem"
    else
        GPG_WHY[ecdh]=${GPG_WHY[key_bob]}
    fi
    if G -r bob@example.org --encrypt -o "$W/probe-ecenc.der" "$INNER" 2>"$W/probe-ecenc.err"; then
        GPG_CAN[ecdh_encrypt]=1
    else
        GPG_WHY[ecdh_encrypt]="gpgsm -r bob@example.org --encrypt: $(firstline "$W/probe-ecenc.err")"
    fi
    if [[ -n ${GPG_CAN[key_bob]:-} ]] && G -u bob@example.org --detach-sign -o "$W/probe-ecsign.der" "$INNER" 2>"$W/probe-ecsign.err"; then
        GPG_CAN[ecdsa_sign]=1
    else
        GPG_WHY[ecdsa_sign]=${GPG_WHY[key_bob]:-"gpgsm --detach-sign: $(firstline "$W/probe-ecsign.err")"}
    fi
    # Does --cipher-algo with the AES-256-GCM OID give a standard AuthEnvelopedData that openssl reads?
    if G --cipher-algo 2.16.840.1.101.3.4.1.46 -r alice@example.org --encrypt -o "$W/probe-gcmenc.der" "$INNER" 2>/dev/null &&
        openssl cms -decrypt -binary -inform DER -in "$W/probe-gcmenc.der" -recip "$DATA/alice.cert.pem" \
            -inkey "$DATA/alice.key.pem" -out "$W/probe-gcmenc.out" 2>"$W/probe-gcmenc.err" &&
        cmp -s "$INNER" "$W/probe-gcmenc.out"; then
        GPG_CAN[gcm_encrypt]=1
    else
        GPG_WHY[gcm_encrypt]="with --cipher-algo 2.16.840.1.101.3.4.1.46 it writes: $(cms_algs "$W/probe-gcmenc.der" | grep -o 'contentType: [^ ]*\|algorithm: aes[^ ]*' | tr '\n' ' ')- not AuthEnvelopedData"
    fi
}
gpg_need() {
    [[ -n ${GPG_CAN[$1]:-} ]] || skip "gpgsm $(gpgsm --version | head -n1 | awk '{print $3}') cannot $2 (${GPG_WHY[$1]:-unsupported})"
}

a_gpgsm_sign() { # MODE SIGNER
    local u=$2 hdr=$HDR
    [[ $u == bob ]] && { hdr=$HDR_BOB; gpg_need ecdsa_sign "sign with an EC key" || return; }
    if [[ $1 == opaque ]]; then
        GPASS -u "$u@example.org" --sign -o "$C/sig.der" "$INNER" 2>"$C/err" || fail "gpgsm --sign: $(firstline "$C/err")" || return
        wrap_pkcs7 "$C/m.eml" "$hdr" signed-data "$C/sig.der"
    else
        GPASS -u "$u@example.org" --detach-sign -o "$C/sig.der" "$INNER" 2>"$C/err" || fail "gpgsm --detach-sign: $(firstline "$C/err")" || return
        wrap_detached "$C/m.eml" "$hdr" "$INNER" "$C/sig.der"
    fi
    sp_open o "$C/m.eml"
    check_open o "$hdr" none null valid "$u@example.org"
}

a_gpgsm_encrypt() { # ALGO EXPECTED_CIPHER "recipients"
    local algo=$1 want=$2 recips=$3 r args=()
    for r in $recips; do args+=(-r "$r@example.org"); done
    G --cipher-algo "$algo" "${args[@]}" --encrypt -o "$C/env.der" "$INNER" 2>"$C/err" ||
        fail "gpgsm --encrypt: $(firstline "$C/err")" || return
    wrap_pkcs7 "$C/m.eml" "$HDR" enveloped-data "$C/env.der"
    for r in $recips; do
        local keyvar="KEY_${r^^}[@]"
        sp_open "o-$r" "$C/m.eml" "${!keyvar}"
        check_open "o-$r" "$HDR" decrypted "$want" none - || { REASON="as $r: $REASON"; return 1; }
    done
}

a_gpgsm_sign_then_encrypt() {
    GPASS -u alice@example.org --detach-sign -o "$C/sig.der" "$INNER" 2>"$C/err" || fail "gpgsm --detach-sign: $(firstline "$C/err")" || return
    : >"$C/empty"
    wrap_detached "$C/signed.full" "$C/empty" "$INNER" "$C/sig.der"
    G --cipher-algo AES256 -r carol@example.org --encrypt -o "$C/env.der" "$C/signed.full" 2>"$C/err2" ||
        fail "gpgsm --encrypt: $(firstline "$C/err2")" || return
    wrap_pkcs7 "$C/m.eml" "$HDR" enveloped-data "$C/env.der"
    sp_open o "$C/m.eml" "${KEY_CAROL[@]}"
    check_open o "$HDR" decrypted aes-256-cbc valid alice@example.org
}

# ---- direction (b) with gpgsm

gpg_verify() { # SIG_DER [CONTENT]   (opaque: -o $C/content)
    local args=()
    [[ $# -eq 1 ]] && args=(-o "$C/content")
    G --status-fd 4 "${args[@]}" --verify "$@" 4>"$C/status" 2>"$C/err" >/dev/null ||
        fail "gpgsm --verify: $(firstline "$C/err")" || return
    grep -q '^\[GNUPG:\] GOODSIG' "$C/status" && grep -q '^\[GNUPG:\] TRUST_FULLY' "$C/status" ||
        fail "gpgsm status: $(grep '^\[GNUPG:\]' "$C/status" | cut -c 10- | tr '\n' ';')"
}

b_gpgsm_verify() { # detached|opaque
    if [[ $1 == detached ]]; then
        sp m "${SIGN_ALICE[@]}" || return
        split_detached "$C/m.eml" "$C/content" "$C/sig.der" 2>"$C/split.err" ||
            fail "cannot split multipart/signed: $(firstline "$C/split.err")" || return
        gpg_verify "$C/sig.der" "$C/content" || return
    else
        sp m "${SIGN_ALICE[@]}" --opaque || return
        expect_smime_type "$C/m.eml" signed-data || return
        extract_p7m "$C/m.eml" "$C/m.der"
        gpg_verify "$C/m.der" || return
    fi
    same_as_inner "$C/content" "verified content"
}

b_gpgsm_verify_ec() {
    "$CLI" sign --key "$DATA/bob.key.pem" --cert "$DATA/bob.cert.pem" --chain "$DATA/chain.pem" \
        -i "$MSG_BOB" -o "$C/m.eml" 2>"$C/sperr" || fail "sealpost-cli sign failed: $(firstline "$C/sperr")" || return
    split_detached "$C/m.eml" "$C/content" "$C/sig.der" 2>"$C/split.err" ||
        fail "cannot split multipart/signed: $(firstline "$C/split.err")" || return
    gpg_verify "$C/sig.der" "$C/content" || return
    same_as_inner "$C/content" "verified content"
}

b_gpgsm_decrypt() { # CIPHER SMIME_TYPE "recipients" NEED [sealpost args]
    local cipher=$1 type=$2 recips=$3 need=$4 r args=()
    shift 4
    local f
    for f in ${need//,/ }; do
        case $f in
        authenv) gpg_need authenv "decrypt AuthEnvelopedData (AES-GCM)" || return ;;
        ecdh) gpg_need ecdh "decrypt for an EC (ECDH) recipient" || return ;;
        oaep) gpg_need oaep "decrypt RSAES-OAEP key transport" || return ;;
        esac
    done
    for r in $recips; do args+=(--to-cert "$DATA/$r.cert.pem"); done
    sp m encrypt --cipher "$cipher" "${args[@]}" "$@" || return
    expect_smime_type "$C/m.eml" "$type" || return
    extract_p7m "$C/m.eml" "$C/m.der"
    # One GNUPGHOME holds alice's and carol's keys; gpgsm uses the first recipient it has a key for.
    GPASS --decrypt -o "$C/plain" "$C/m.der" 2>"$C/err" || fail "gpgsm --decrypt: $(firstline "$C/err")" || return
    same_as_inner "$C/plain" "decrypted content"
}

b_gpgsm_sign_encrypt() {
    sp m encrypt --cipher aes-256-cbc --to-cert "$DATA/carol.cert.pem" \
        --key "$DATA/alice.key.pem" --cert "$DATA/alice.cert.pem" --chain "$DATA/chain.pem" || return
    extract_p7m "$C/m.eml" "$C/m.der"
    GPASS --decrypt -o "$C/signed.ent" "$C/m.der" 2>"$C/err" || fail "gpgsm --decrypt: $(firstline "$C/err")" || return
    split_detached "$C/signed.ent" "$C/content" "$C/sig.der" 2>"$C/split.err" ||
        fail "cannot split the inner multipart/signed: $(firstline "$C/split.err")" || return
    gpg_verify "$C/sig.der" "$C/content" || return
    same_as_inner "$C/content" "decrypted and verified content"
}

# ---- sealpost-cli identity export read by gpgsm

# b_gpgsm_import_export MODE(legacy|modern): alice's identity goes into a Sealpost profile, out
# again with `identity export`, and into an empty GNUPGHOME; gpgsm must then hold her secret key.
# A legacy export is repeated: gpgsm 2.2 misreads about 1 random 3DES salt in 100, which the
# writer avoids (the unit tests check every salt of 300 files against a model of that bug).
b_gpgsm_import_export() {
    local rounds=1 flag=() k
    [[ $1 == legacy ]] && flag=(--legacy) rounds=20
    printf 'interop profile passphrase' >"$C/profile-pw"
    "$CLI" --profile "$C/profile" --passphrase-file "$C/profile-pw" profile init >/dev/null 2>"$C/err" ||
        fail "profile init: $(firstline "$C/err")" || return
    "$CLI" --profile "$C/profile" --passphrase-file "$C/profile-pw" identity import "$DATA/alice.p12" \
        --p12-password-file "$PW" >/dev/null 2>"$C/err" || fail "identity import: $(firstline "$C/err")" || return
    local gh="$C/gnupg" rc=0
    mkdir -m 700 "$gh"
    echo allow-loopback-pinentry >"$gh/gpg-agent.conf"
    # One GNUPGHOME for every round: importing the same key again still decrypts the whole file.
    for ((k = 1; k <= rounds && rc == 0; k++)); do
        "$CLI" --profile "$C/profile" --passphrase-file "$C/profile-pw" identity export \
            "$(openssl x509 -in "$DATA/alice.cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)" \
            -o "$C/alice-$k.p12" --p12-password-file "$PW" "${flag[@]}" >/dev/null 2>"$C/err" ||
            { fail "identity export: $(firstline "$C/err")"; rc=1; break; }
        gpgsm --homedir "$gh" --batch --no-tty --pinentry-mode loopback --passphrase-fd 3 --import "$C/alice-$k.p12" \
            3<"$PW" >"$C/import.log" 2>&1 ||
            fail "gpgsm --import of exported file $k of $rounds: $(firstline "$C/import.log")" || rc=1
    done
    if [[ $rc -eq 0 ]] && ! gpgsm --homedir "$gh" --batch --no-tty --list-secret-keys alice@example.org >/dev/null 2>&1; then
        fail "gpgsm holds no secret key for alice after the import" || rc=1
    fi
    gpgconf --homedir "$gh" --kill all >/dev/null 2>&1 || true
    return "$rc"
}

peer_gpgsm() {
    gpgsm_setup || exit 2
    gpgsm_probes

    run a_gpgsm_import_p12_openssl3_default gpg_need p12_pbes2 "import OpenSSL 3 default PKCS#12 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC); the tests use a 3DES/SHA-1 PKCS#12 instead"
    run a_gpgsm_sign_detached_rsa a_gpgsm_sign detached alice
    run a_gpgsm_sign_opaque_rsa a_gpgsm_sign opaque alice
    run a_gpgsm_sign_detached_ecdsa a_gpgsm_sign detached bob
    run a_gpgsm_encrypt_gcm gpg_need gcm_encrypt "create AuthEnvelopedData (AES-GCM)"
    run a_gpgsm_encrypt_cbc_ecdh gpg_need ecdh_encrypt "encrypt to an EC (ECDH) recipient"
    run a_gpgsm_encrypt_oaep skip "gpgsm has no option to create RSAES-OAEP recipients (always PKCS#1 v1.5)"
    run a_gpgsm_encrypt_cbc_rsa a_gpgsm_encrypt AES256 aes-256-cbc alice
    run a_gpgsm_encrypt_aes128cbc_rsa a_gpgsm_encrypt AES aes-128-cbc carol
    run a_gpgsm_encrypt_multi_cbc a_gpgsm_encrypt AES256 aes-256-cbc "alice carol"
    run a_gpgsm_sign_then_encrypt a_gpgsm_sign_then_encrypt

    run b_gpgsm_verify_detached_rsa b_gpgsm_verify detached
    run b_gpgsm_verify_opaque_rsa b_gpgsm_verify opaque
    run b_gpgsm_verify_detached_ecdsa b_gpgsm_verify_ec
    run b_gpgsm_decrypt_gcm_rsa b_gpgsm_decrypt aes-256-gcm authEnveloped-data alice authenv
    run b_gpgsm_decrypt_gcm_ecdh b_gpgsm_decrypt aes-256-gcm authEnveloped-data bob authenv,ecdh
    run b_gpgsm_decrypt_cbc_rsa b_gpgsm_decrypt aes-256-cbc enveloped-data alice -
    run b_gpgsm_decrypt_aes128cbc_rsa b_gpgsm_decrypt aes-128-cbc enveloped-data carol -
    run b_gpgsm_decrypt_cbc_ecdh b_gpgsm_decrypt aes-256-cbc enveloped-data bob ecdh
    run b_gpgsm_decrypt_oaep b_gpgsm_decrypt aes-256-cbc enveloped-data alice oaep --rsa-oaep
    run b_gpgsm_decrypt_multi_cbc_rsa_ec b_gpgsm_decrypt aes-256-cbc enveloped-data "bob carol" -
    run b_gpgsm_sign_encrypt_cbc_rsa b_gpgsm_sign_encrypt
    run b_gpgsm_import_identity_export_legacy b_gpgsm_import_export legacy
    if [[ -n ${GPG_CAN[p12_pbes2]:-} ]]; then
        run b_gpgsm_import_identity_export_modern b_gpgsm_import_export modern
    else
        run b_gpgsm_import_identity_export_modern skip "gpgsm $(gpgsm --version | head -n1 | awk '{print $3}') cannot import AES/PBKDF2 PKCS#12 (${GPG_WHY[p12_pbes2]:-unsupported}); use identity export --legacy"
    fi
}

# ================================================================== main ===

"peer_$PEER"
echo "$NPASS passed, $NFAIL failed, $NSKIP skipped"
[[ $NFAIL -eq 0 ]]
