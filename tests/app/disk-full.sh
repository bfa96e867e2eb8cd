#!/usr/bin/env bash
# The profile when the disk fills up: commands that cannot write fail with a clear one-line error
# (exit 2, no crash, no "malformed"), and the profile afterwards opens and holds exactly the
# content from before the failed command (same content digest; after a failed passwd the old
# passphrase still works and the new one does not).
#   1. File size limit (RLIMIT_FSIZE, no privileges needed; SIGXFSZ ignored so write() fails with
#      EFBIG): a harvest of 40 new certificates and a passwd that must rewrite every page.
#   2. A full filesystem (a small tmpfs in a private mount namespace, `unshare -rm`; skipped when
#      that is not allowed): identity import, trust add, harvest and passwd with ENOSPC.
# Usage: disk-full.sh SEALPOST_CLI DATA_DIR [MAIL_DIR from make-test-mail.sh]
set -uo pipefail
cli=$1
data=$2
mail=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
skipped=0

if [ "${SEALPOST_DISKFULL_INSIDE:-}" = 1 ]; then
    work=$4 # the tmpfs variant, re-executed inside a private mount namespace
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

check() { # name, condition (command string evaluated), detail
    if eval "$2"; then
        passed=$((passed + 1)); echo "PASS $1"
    else
        failed=$((failed + 1)); echo "FAIL $1: ${3:-}"
    fi
}

pw=$work/pw
new=$work/pw-new
p12pw=$data/p12.password.txt
at=(--at 2026-06-01T00:00:00Z)

# profile check --json of profile $1 with passphrase file $2: sets crc, prints the digest.
content() {
    "$cli" --profile "$1" --passphrase-file "$2" profile check --json >"$work/check.json" 2>"$work/check.err"
    crc=$?
    if [ "$crc" -eq 0 ] && [ "$(jq -r .ok "$work/check.json")" = true ]; then
        jq -r .content_sha256 "$work/check.json"
    else
        echo "unusable: $(cat "$work/check.err")"
    fi
}

# The checks after a command that had to fail for lack of space (rc, stderr in $work/err).
expect_clean_failure() { # name, profile dir, digest before
    local err now want=$3
    err=$(cat "$work/err")
    check "$1-fails-with-exit-2" '[ $rc -eq 2 ]' "rc=$rc $err"
    check "$1-clear-one-line-error" '[ "$(wc -l <"$work/err")" -eq 1 ] && grep -Eq "disk full|file size limit|cannot write" "$work/err" && ! grep -Eqi "malformed|damaged" "$work/err"' "$err"
    now=$(content "$2" "$pw")
    check "$1-profile-unchanged" '[ "$now" = "$want" ]' "$now"
    echo "     error was: $err"
}

if [ "${SEALPOST_DISKFULL_INSIDE:-}" = 1 ]; then
    # ---- 2. a full filesystem: the caller made $work/fs a tmpfs and prepared $work/base ----
    users=$mail/users
    for cmd in identity-import trust-add harvest passwd; do
        rm -rf "$work/fs/p"
        cp -a "$work/base" "$work/fs/p"
        before=$(content "$work/fs/p" "$pw")
        # Fill the filesystem, leaving 36 KiB: the 32 KiB WAL index and less than one WAL frame.
        avail=$(df -k --output=avail "$work/fs" | tail -n 1)
        fallocate -l "$(((avail - 36) * 1024))" "$work/fs/filler" 2>/dev/null ||
            dd if=/dev/zero of="$work/fs/filler" bs=1k count="$((avail - 36))" 2>/dev/null
        case $cmd in
        identity-import) args=(identity import "$users/u3.p12" --p12-password-file "$p12pw") ;;
        trust-add) args=(trust add "$users/u4.cert.pem") ;;
        harvest) args=(harvest --mbox "$work/batch.mbox" --no-system-trust --quiet "${at[@]}") ;;
        passwd) args=(profile passwd --new-passphrase-file "$new") ;;
        esac
        "$cli" --profile "$work/fs/p" --passphrase-file "$pw" "${args[@]}" >/dev/null 2>"$work/err"
        rc=$?
        rm -f "$work/fs/filler" # space is freed again, as a user would do
        expect_clean_failure "enospc-$cmd" "$work/fs/p" "$before"
        check "enospc-$cmd-says-disk-full" 'grep -q "disk full" "$work/err"' "$(cat "$work/err")"
        if [ "$cmd" = passwd ]; then
            "$cli" --profile "$work/fs/p" --passphrase-file "$new" profile check >/dev/null 2>"$work/err2"
            check "enospc-passwd-new-passphrase-refused" 'grep -q wrong-password "$work/err2"' "$(cat "$work/err2")"
        fi
        "$cli" --profile "$work/fs/p" --passphrase-file "$pw" "${args[@]}" >/dev/null 2>"$work/err"
        check "enospc-$cmd-works-with-space" '[ $? -eq 0 ]' "$(cat "$work/err")"
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

if [ -z "$mail" ]; then
    mail=$work/mail
    bash "$here/make-test-mail.sh" "$data" "$mail" 40 300 24 || { echo "FAIL cannot generate test mail"; exit 1; }
fi
users=$mail/users
# The first 200 messages: one harvest batch (one transaction) teaching all 40 certificates.
awk '/^From /{n++} n<=200' "$mail/mail.mbox" >"$work/batch.mbox"

printf 'disk full passphrase' >"$pw"
printf 'the new passphrase' >"$new"
p=$work/p
"$cli" --profile "$p" --passphrase-file "$pw" profile init >/dev/null &&
    "$cli" --profile "$p" --passphrase-file "$pw" trust add "$data/root-ca.cert.pem" >/dev/null &&
    "$cli" --profile "$p" --passphrase-file "$pw" identity import "$data/alice.p12" --p12-password-file "$p12pw" >/dev/null &&
    "$cli" --profile "$p" --passphrase-file "$pw" identity import "$users/u0.p12" --p12-password-file "$p12pw" >/dev/null ||
    { echo "FAIL profile setup"; exit 1; }
cp -a "$p" "$work/base"
before=$(content "$p" "$pw")
size_kb=$(($(stat -c %s "$p/profile.db") / 1024))
echo "profile: ${size_kb} KiB, content $before"

# ---- 1. RLIMIT_FSIZE: 36 KiB per file holds the 32 KiB WAL index but not 40 certificates ----
limited() { (trap '' XFSZ; ulimit -f 36; exec "$cli" --profile "$p" --passphrase-file "$pw" "$@") >/dev/null 2>"$work/err"; }
limited harvest --mbox "$work/batch.mbox" --no-system-trust --quiet "${at[@]}"
rc=$?
expect_clean_failure "fsize-harvest" "$p" "$before"
check "fsize-harvest-names-the-file" 'grep -q "$p/profile.db" "$work/err"' "$(cat "$work/err")"

check "fsize-passwd-needs-a-profile-above-the-limit" '[ "$size_kb" -gt 36 ]' "profile is only $size_kb KiB"
limited profile passwd --new-passphrase-file "$new"
rc=$?
expect_clean_failure "fsize-passwd" "$p" "$before"
"$cli" --profile "$p" --passphrase-file "$new" profile check >/dev/null 2>"$work/err2"
check "fsize-passwd-new-passphrase-refused" 'grep -q wrong-password "$work/err2"' "$(cat "$work/err2")"

"$cli" --profile "$p" --passphrase-file "$pw" harvest --mbox "$work/batch.mbox" --no-system-trust --quiet "${at[@]}" >/dev/null 2>"$work/err"
rc=$?
content "$p" "$pw" >/dev/null
# 40 senders, one of them u0, whose identity the profile holds: its own certificate is not learned.
check "fsize-harvest-works-without-limit" '[ $rc -eq 0 ] && [ "$(jq .correspondent_certificates "$work/check.json")" = 39 ]' "rc=$rc $(cat "$work/err")"

# ---- 2. ENOSPC on a small tmpfs, in a private mount namespace ----
mkdir -p "$work/fs"
if unshare -rm true 2>/dev/null; then
    unshare -rm bash -c 'mount -t tmpfs -o size=1m sealpost-test "$1/fs" && SEALPOST_DISKFULL_INSIDE=1 exec bash "$2" "$3" "$4" "$5" "$1"' \
        _ "$work" "$0" "$cli" "$data" "$mail"
    inside=$?
    check "enospc-variant" '[ $inside -eq 0 ]'
else
    echo "SKIP enospc variant: cannot create a mount namespace here (unshare -rm)"
    skipped=1
fi

echo "$passed passed, $failed failed, $skipped variants skipped"
[ "$failed" -eq 0 ]
