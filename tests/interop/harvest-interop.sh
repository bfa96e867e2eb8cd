#!/usr/bin/env bash
# Certificate harvesting from mail signed by other S/MIME implementations.
#
#   harvest-interop.sh SEALPOST_CLI TEST_DATA_DIR
#
# The openssl CLI, NSS (cmsutil, the CMS code of Thunderbird) and GnuPG (gpgsm)
# sign messages with the test PKI (tests/data/README.md); `sealpost-cli harvest`
# must learn exactly the signer's certificate from each, into a fresh profile
# that trusts only the test root. Messages that must not teach anything (body
# altered after signing, expired signer, signer other than the From address,
# signer under another root) must get their verdict and store nothing. The same
# messages as an mbox and as a Maildir give the same counts, and harvesting
# them again changes nothing.
#
# Every message, profile, NSS database and GNUPGHOME is made at test time in a
# private `mktemp -d` directory, removed on exit.
#
# Output: one line per case (`PASS name`, `FAIL name: reason`), then
# `N passed, N failed, N skipped`. Exit status: 0 if nothing failed, 1 if a
# case failed, 2 on usage/setup error.

set -u -o pipefail
export LC_ALL=C TZ=UTC

usage() {
    echo "usage: $0 SEALPOST_CLI TEST_DATA_DIR" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
CLI=$1
DATA=$2
[[ -x $CLI ]] || { echo "error: sealpost-cli not found or not executable: $CLI" >&2; exit 2; }
[[ -f $DATA/root-ca.cert.pem ]] || { echo "error: test data not found in $DATA" >&2; exit 2; }

AT=2026-06-01T00:00:00Z    # the test clock (tests/data/README.md)
GPGSM_TIME=20260601T000000 # gpgsm --faked-system-time (same instant)
# shellcheck source=tests/interop/gpgsm-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/gpgsm-lib.sh"

need() { # need TOOL DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 ||
        { echo "error: '$1' is required for the harvest interop test; install the Debian package '$2'" >&2; exit 2; }
}
need openssl openssl
need perl perl-base
need cmsutil libnss3-tools
need certutil libnss3-tools
need pk12util libnss3-tools
need gpgsm gpgsm
need gpgconf gpgconf
need gpg-agent gpg-agent
if command -v jq >/dev/null 2>&1; then
    JSON=jq
elif command -v python3 >/dev/null 2>&1; then
    JSON=python3
else
    echo "error: 'jq' is required to read sealpost-cli's JSON output; install the Debian package 'jq'" >&2
    exit 2
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-harvest-interop.XXXXXX") || exit 2
GH="$W/gnupg"
cleanup() {
    [[ -d $GH ]] && gpgconf --homedir "$GH" --kill all >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---------------------------------------------------------------- results ---

NPASS=0 NFAIL=0 NSKIP=0
REASON=""
fail() { REASON="$*"; return 1; }

run() { # run CASE_NAME FUNCTION [ARGS...]
    local name=$1 fn=$2 rc
    shift 2
    REASON=""
    C="$W/cases/$name"
    mkdir -p "$C"
    "$fn" "$@"
    rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "PASS $name"
        NPASS=$((NPASS + 1))
    else
        echo "FAIL $name: ${REASON:-exit status $rc}"
        NFAIL=$((NFAIL + 1))
    fi
}

firstline() { tr -d '\r' <"$1" 2>/dev/null | grep -v -e '^$' -e 'faked system time' | head -n 2 | tr '\n' ' ' | sed 's/ *$//'; }

# ------------------------------------------------------------------ JSON ---

# The run summary, one "name value" line each: messages, the certificate counts, every verdict.
summary() { # summary JSON_FILE
    if [[ $JSON == jq ]]; then
        jq -r '"messages \(.messages)", (.certificates | to_entries[] | "\(.key) \(.value)"),
               (.verdicts | to_entries[] | "\(.key) \(.value)")' <"$1"
    else
        python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("messages", r["messages"])
for group in ("certificates", "verdicts"):
    for k, v in r[group].items():
        print(k, v)
EOF
    fi
}

# One line per message, tab-separated: message_id, verdict, detail, then the learned
# certificates as "address fingerprint source action" (comma-separated, "-" when none).
results() { # results JSON_FILE
    if [[ $JSON == jq ]]; then
        jq -r '.results[] | [.message_id, .verdict, .detail,
               ((.learned | map("\(.address) \(.fingerprint_sha256) \(.source) \(.action)") | join(",")) // "")]
               | map(if . == "" then "-" else . end) | @tsv' <"$1"
    else
        python3 - "$1" <<'EOF2'
import json, sys
for m in json.load(open(sys.argv[1]))["results"]:
    learned = ",".join(" ".join((l["address"], l["fingerprint_sha256"], l["source"], l["action"])) for l in m["learned"])
    print("\t".join(v or "-" for v in (m["message_id"], m["verdict"], m["detail"], learned)))
EOF2
    fi
}

# result JSON_FILE NAME FIELD: one field (2 verdict, 3 detail, 4 learned) of message NAME's result
result() { results "$1" | awk -F '\t' -v id="<$2@harvest.sealpost.test>" -v f="$3" '$1 == id { print $f }'; }

# expect_counts JSON_FILE name=value...: the summary must have exactly these values.
expect_counts() {
    local f=$1 kv name want got
    shift
    summary "$f" >"$f.summary" 2>/dev/null || fail "unreadable JSON output $(basename "$f")" || return
    for kv in "$@"; do
        name=${kv%%=*} want=${kv#*=}
        got=$(awk -v n="$name" '$1 == n { print $2 }' "$f.summary")
        [[ $got == "$want" ]] || fail "$name: expected $want, got '${got:-missing}' ($(tr '\n' ' ' <"$f.summary"))" || return
    done
}

# --------------------------------------------------------------- profile ---

printf 'harvest-interop-passphrase' >"$W/passphrase"

sp() { # sp PROFILE_DIR ARGS...: sealpost-cli on that profile
    local p=$1
    shift
    "$CLI" --profile "$p" --passphrase-file "$W/passphrase" "$@"
}

new_profile() { # new_profile DIR: a profile that trusts only the test root
    sp "$1" profile init >"$1.log" 2>&1 && sp "$1" trust add "$DATA/root-ca.cert.pem" >>"$1.log" 2>&1 ||
        fail "cannot set up a profile: $(firstline "$1.log")"
}

harvest() { # harvest PROFILE_DIR OUT_JSON SOURCE_ARGS...
    local p=$1 out=$2
    shift 2
    sp "$p" harvest "$@" --at "$AT" --no-system-trust --quiet --json "$out" >"$out.stdout" 2>"$out.err" ||
        fail "sealpost-cli harvest $* exited $?: $(firstline "$out.err")"
}

fingerprint() { openssl x509 -in "$DATA/$1.cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f'; }
declare -A FP=()
for u in alice bob carol eve-expired dave-untrusted; do FP[$u]=$(fingerprint "$u"); done

# --------------------------------------------------------------- messages ---

# The signed entity: text/plain, CRLF, with a line that an mbox must quote.
INNER="$W/inner.mime"
printf '%s\r\n' \
    'Content-Type: text/plain; charset=utf-8' \
    'Content-Transfer-Encoding: 7bit' \
    '' \
    'Hello,' \
    '' \
    'From now on this line starts with "From " (mbox quoting must be undone).' \
    '>From this one too, already quoted once.' \
    'Please pay the invoice of 100 EUR by Friday.' >"$INNER"

hdr() { # hdr OUT FROM_NAME FROM_ADDRESS NAME: the outer header of message NAME
    printf 'From: %s <%s>\r\nTo: Bob Test <bob@example.org>\r\nSubject: Harvest interop %s\r\nDate: Mon, 01 Jun 2026 00:00:00 +0000\r\nMessage-ID: <%s@harvest.sealpost.test>\r\nMIME-Version: 1.0\r\n' \
        "$2" "$3" "$4" "$4" >"$1"
}

B64() { base64 -w 76 | sed 's/$/\r/'; }

# wrap_detached OUT HEADER CONTENT SIG_DER: multipart/signed around a detached signature.
wrap_detached() {
    local b="----=_harvest_interop_5c1d"
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

M="$W/msgs" # one NAME.eml per message
mkdir -p "$M"
declare -A SIGNER=() # NAME -> whose certificate a harvested message must teach

# openssl's own S/MIME writer (multipart/signed), our header in front of its MIME-Version line.
openssl_sign() { # NAME SIGNER FROM_NAME FROM_ADDRESS [extra openssl cms args]
    local n=$1 who=$2
    hdr "$M/$n.hdr" "$3" "$4" "$n"
    shift 4
    openssl cms -sign -binary -crlfeol -md sha256 -signer "$DATA/$who.cert.pem" -inkey "$DATA/$who.key.pem" \
        -in "$INNER" -out "$M/$n.ent" "$@" 2>"$M/$n.err" ||
        { echo "error: openssl cms -sign ($n): $(firstline "$M/$n.err")" >&2; return 1; }
    { cat "$M/$n.hdr"; perl -0777 -pe 's/\AMIME-Version: 1\.0\r?\n//' "$M/$n.ent"; } >"$M/$n.eml"
}

# NSS: one database per signer holding its key, the root as trusted e-mail CA.
nss_sign() { # NAME SIGNER FROM_NAME FROM_ADDRESS
    local n=$1 who=$2 db="$W/nss-$2"
    if [[ ! -d $db ]]; then
        mkdir -p "$db"
        printf '%s' "$(cat "$DATA/p12.password.txt")" >"$W/p12pw"
        { certutil -N -d "sql:$db" --empty-password &&
            openssl pkcs12 -export -in "$DATA/$who.cert.pem" -inkey "$DATA/$who.key.pem" -certfile "$DATA/chain.pem" \
                -name "$who" -passout "file:$W/p12pw" -out "$W/$who.p12" &&
            pk12util -i "$W/$who.p12" -d "sql:$db" -w "$W/p12pw" -K '' &&
            certutil -A -d "sql:$db" -n "Sealpost Test Root CA" -t ',C,' -i "$DATA/root-ca.cert.pem"; } \
            >"$W/nss-$who.log" 2>&1 || { echo "error: NSS database setup failed:" >&2; cat "$W/nss-$who.log" >&2; return 1; }
    fi
    hdr "$M/$n.hdr" "$3" "$4" "$n"
    # -G signingTime, -P SMIMECapabilities, -T detached (what Thunderbird sends)
    cmsutil -S -N "$who" -H SHA256 -G -P -T -d "sql:$db" -i "$INNER" -o "$M/$n.p7s" 2>"$M/$n.err" ||
        { echo "error: cmsutil -S ($n): $(firstline "$M/$n.err")" >&2; return 1; }
    wrap_detached "$M/$n.eml" "$M/$n.hdr" "$INNER" "$M/$n.p7s"
}

gpgsm_setup() {
    gpgsm_home "$W/gpgsm-setup.log" || return 1
    gpgsm_import_3des alice "$W/alice-3des.p12" "$W/gpgsm-setup.log" &&
        gpgsm_import_3des carol "$W/carol-3des.p12" "$W/gpgsm-setup.log"
}
gpgsm_sign() { # NAME SIGNER FROM_NAME FROM_ADDRESS
    local n=$1 who=$2
    if [[ ! -d $GH ]]; then
        gpgsm_setup || { echo "error: gpgsm setup failed:" >&2; cat "$W/gpgsm-setup.log" >&2; return 1; }
    fi
    hdr "$M/$n.hdr" "$3" "$4" "$n"
    G --pinentry-mode loopback --passphrase-fd 3 -u "$who@example.org" --detach-sign -o "$M/$n.p7s" "$INNER" \
        3<"$DATA/p12.password.txt" 2>"$M/$n.err" ||
        { echo "error: gpgsm --detach-sign ($n): $(firstline "$M/$n.err")" >&2; return 1; }
    wrap_detached "$M/$n.eml" "$M/$n.hdr" "$INNER" "$M/$n.p7s"
}

ALICE=("Alice Test" alice@example.org)
BOB=("Bob Test" bob@example.org)
CAROL=("Carol Test" carol@example.org)
CHAIN=(-certfile "$DATA/chain.pem")
# Good signatures: harvested, the signer's certificate learned.
openssl_sign openssl-rsa alice "${ALICE[@]}" "${CHAIN[@]}" || exit 2
openssl_sign openssl-ecdsa bob "${BOB[@]}" "${CHAIN[@]}" || exit 2
nss_sign nss-ecdsa bob "${BOB[@]}" || exit 2
nss_sign nss-rsa carol "${CAROL[@]}" || exit 2
gpgsm_sign gpgsm-rsa carol "${CAROL[@]}" || exit 2
SIGNER=([openssl-rsa]=alice [openssl-ecdsa]=bob [nss-ecdsa]=bob [nss-rsa]=carol [gpgsm-rsa]=carol)
# Nothing to learn from these: the body altered after signing, a signer whose certificate has
# expired, alice signing mail "from" carol, a signer under a root the profile does not trust.
openssl_sign forged alice "${ALICE[@]}" "${CHAIN[@]}" || exit 2
perl -0777 -pi -e 's/of 100 EUR/of 900 EUR/ or die "nothing to tamper with\n"' "$M/forged.eml" || exit 2
openssl_sign expired eve-expired "Eve Test" eve@example.org "${CHAIN[@]}" || exit 2
gpgsm_sign wrong-from alice "${CAROL[@]}" || exit 2
openssl_sign untrusted dave-untrusted "Dave Test" dave@example.org || exit 2
declare -A BAD_VERDICT=([forged]=signature-not-good [expired]=signature-not-good [wrong-from]=signer-not-from
    [untrusted]=signature-not-good)
declare -A BAD_DETAIL=([forged]="invalid: " [expired]="expired: " [untrusted]="untrusted: "
    [wrong-from]="the signer's certificate does not name carol@example.org")

GOOD=(openssl-rsa openssl-ecdsa nss-ecdsa nss-rsa gpgsm-rsa)
BAD=(forged expired wrong-from untrusted)
ALL=("${GOOD[@]}" "${BAD[@]}")

# The counts for ALL: alice, bob and carol are new once; bob's and carol's second message
# finds the certificate known (updated or unchanged, depending on the peers' signingTime).
ALL_VERDICTS=(messages=9 harvested=5 signature-not-good=3 signer-not-from=1 not-signed=0
    signature-not-covering=0 multiple-signers=0 nothing-to-learn=0 unreadable=0 certificate_changed=0)

# ------------------------------------------------------------------ cases ---

# expect_good JSON_FILE NAME ACTION (a pattern): harvested, exactly the signer's certificate learned
expect_good() {
    local who=${SIGNER[$2]} verdict learned
    verdict=$(result "$1" "$2" 2) learned=$(result "$1" "$2" 4)
    [[ $verdict == harvested ]] || fail "$2: verdict '$verdict' ($(result "$1" "$2" 3))" || return
    # shellcheck disable=SC2053 # ACTION may be a pattern
    [[ $learned == "$who@example.org ${FP[$who]} signer "$3 ]] ||
        fail "$2: expected to learn $who's certificate ${FP[$who]} ($3), learned '$learned'"
}

# expect_bad JSON_FILE NAME: the expected verdict and detail, nothing learned
expect_bad() {
    local verdict detail learned
    verdict=$(result "$1" "$2" 2) detail=$(result "$1" "$2" 3) learned=$(result "$1" "$2" 4)
    [[ $verdict == "${BAD_VERDICT[$2]}" && $detail == "${BAD_DETAIL[$2]}"* ]] ||
        fail "$2: expected ${BAD_VERDICT[$2]} (${BAD_DETAIL[$2]}...), got $verdict ($detail)" || return
    [[ $learned == - ]] || fail "$2: learned '$learned'"
}

h_good() { # NAME: into a fresh profile, the signer's certificate is learned as new
    new_profile "$C/profile" || return
    harvest "$C/profile" "$C/h.json" -i "$M/$1.eml" || return
    expect_counts "$C/h.json" messages=1 harvested=1 inserted=1 updated=0 unchanged=0 certificate_changed=0 || return
    expect_good "$C/h.json" "$1" inserted
}

h_bad() { # NAME: the expected verdict, nothing learned (one profile for these: it stays empty)
    [[ -d $W/profile-bad ]] || new_profile "$W/profile-bad" || return
    harvest "$W/profile-bad" "$C/h.json" -i "$M/$1.eml" || return
    expect_counts "$C/h.json" messages=1 harvested=0 inserted=0 updated=0 unchanged=0 || return
    expect_bad "$C/h.json" "$1"
}

# Every message of a multi-message run has its verdict, each harvested one the right certificate.
check_all_results() { # JSON_FILE
    local n
    [[ $(results "$1" | wc -l) -eq ${#ALL[@]} ]] || fail "expected ${#ALL[@]} results, got $(results "$1" | wc -l)" || return
    for n in "${GOOD[@]}"; do expect_good "$1" "$n" '*' || return; done
    for n in "${BAD[@]}"; do expect_bad "$1" "$n" || return; done
}

# mboxrd: "From " separator lines, LF line ends (as mail tools store them), ">From " quoting
# (one more ">" on every line that starts with zero or more ">" and "From ").
make_mbox() { # OUT
    local n
    for n in "${ALL[@]}"; do
        printf 'From sender@example.org Mon Jun  1 00:00:00 2026\n'
        tr -d '\r' <"$M/$n.eml" | perl -pe 's/^(>*From )/>$1/'
        printf '\n'
    done >"$1"
}

# Maildir: messages in cur/ (seen, with flags) and new/, as delivered (CRLF kept); a delivery in
# progress in tmp/ must be ignored.
make_maildir() { # DIR
    local n i=0
    mkdir -p "$1/cur" "$1/new" "$1/tmp"
    for n in "${ALL[@]}"; do
        i=$((i + 1))
        if ((i % 2)); then
            cp "$M/$n.eml" "$1/cur/17802720$i.M${i}P1.host:2,S"
        else
            cp "$M/$n.eml" "$1/new/17802720$i.M${i}P1.host"
        fi
    done
    cp "$M/openssl-rsa.eml" "$1/tmp/1780272099.M99P1.host"
}

h_mbox() {
    make_mbox "$C/mail.mbox"
    grep -q '^>From now on' "$C/mail.mbox" && grep -q '^>>From this one' "$C/mail.mbox" ||
        fail "the test mbox is not quoted" || return
    new_profile "$C/profile" || return
    harvest "$C/profile" "$C/h.json" --mbox "$C/mail.mbox" || return
    expect_counts "$C/h.json" "${ALL_VERDICTS[@]}" inserted=3 || return
    check_all_results "$C/h.json"
}

h_maildir() {
    make_maildir "$C/Maildir"
    new_profile "$C/profile" || return
    harvest "$C/profile" "$C/h.json" --maildir "$C/Maildir" || return
    expect_counts "$C/h.json" "${ALL_VERDICTS[@]}" inserted=3 || return
    check_all_results "$C/h.json"
}

# The same mail again (the mbox twice, then the same messages as a Maildir): nothing new,
# nothing updated, and every message gets the same verdict and certificate as the first time.
h_idempotent() {
    local r
    make_mbox "$C/mail.mbox"
    make_maildir "$C/Maildir"
    new_profile "$C/profile" || return
    harvest "$C/profile" "$C/1.json" --mbox "$C/mail.mbox" || return
    expect_counts "$C/1.json" "${ALL_VERDICTS[@]}" inserted=3 || return
    harvest "$C/profile" "$C/2.json" --mbox "$C/mail.mbox" || return
    expect_counts "$C/2.json" "${ALL_VERDICTS[@]}" inserted=0 updated=0 unchanged=5 ||
        { REASON="second mbox run: $REASON"; return 1; }
    harvest "$C/profile" "$C/3.json" --maildir "$C/Maildir" || return
    expect_counts "$C/3.json" "${ALL_VERDICTS[@]}" inserted=0 updated=0 unchanged=5 ||
        { REASON="Maildir after the mbox: $REASON"; return 1; }
    for r in 2 3; do check_all_results "$C/$r.json" || { REASON="run $r: $REASON"; return 1; }; done
    # the action aside, the same results as the first time
    for r in 1 2 3; do results "$C/$r.json" | sed 's/ [a-z]*$//' | sort >"$C/$r.cmp"; done
    cmp -s "$C/1.cmp" "$C/2.cmp" || fail "second run: $(diff "$C/1.cmp" "$C/2.cmp" | head -n 3 | tr '\n\t' '  ')" || return
    cmp -s "$C/1.cmp" "$C/3.cmp" || fail "Maildir run: $(diff "$C/1.cmp" "$C/3.cmp" | head -n 3 | tr '\n\t' '  ')"
}

# ------------------------------------------------------------------ main ---

for n in "${GOOD[@]}"; do run "harvest_$n" h_good "$n"; done
for n in "${BAD[@]}"; do run "not_harvested_$n" h_bad "$n"; done
run harvest_mbox h_mbox
run harvest_maildir h_maildir
run harvest_again_changes_nothing h_idempotent

echo "$NPASS passed, $NFAIL failed, $NSKIP skipped"
[[ $NFAIL -eq 0 ]]
