#!/usr/bin/env bash
# Checks the mail server fixture (mailserver.sh) itself with the curl command-line tool: IMAP
# logins over implicit TLS and STARTTLS, refusal of wrong passwords and of plaintext logins,
# submission with STARTTLS + AUTH, delivery into the Maildir, rejection of unknown recipients
# at RCPT time, a Postfix restart with mail in the queue, and a complete shutdown.
# Exits 77 (skipped) when not run as root. Usage: fixture-test.sh
# shellcheck disable=SC2016 # check() evaluates its condition later
# shellcheck disable=SC2154 # MAIL_* come from the fixture's env file
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixture=$here/mailserver.sh
work=$(mktemp -d)
mail=$(mktemp -d)
cleanup() {
    "$fixture" stop "$mail" >/dev/null 2>&1
    rm -rf "$work" "$mail"
}
trap cleanup EXIT

# shellcheck source=tests/app/testlib.sh
source "$here/../app/testlib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the mail fixture needs root (Postfix and Dovecot drop privileges to their own users)"
    exit 77
fi
if ! command -v curl >/dev/null; then
    echo "SKIP: curl missing (scripts/install-deps.sh installs it)"
    exit 77
fi

t0=$(date +%s%N)
"$fixture" start "$mail"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL start: exit code $rc"; exit 1; }
echo "fixture started in $((($(date +%s%N) - t0) / 1000000)) ms"
# shellcheck disable=SC1091
source "$mail/env"

c() { # curl with output, exit code and protocol trace captured
    curl -sS --max-time 20 "$@" >"$work/stdout" 2>"$work/stderr"
    rc=$?
}

check "env-complete" '[ -n "${MAIL_HOST:-}" ] && [ -n "${MAIL_IMAPS_PORT:-}" ] && [ -n "${MAIL_IMAP_PORT:-}" ] &&
    [ -n "${MAIL_SUBMISSIONS_PORT:-}" ] && [ -n "${MAIL_SUBMISSION_PORT:-}" ] && [ -n "${MAIL_SMTP_PORT:-}" ] &&
    [ -r "${MAIL_CERT:-}" ] && [ "${MAIL_DIR:-}" = "$mail" ] && [ "${MAIL_DOMAIN:-}" = example.org ] &&
    [ -n "${MAIL_PASSWORD_carol:-}" ] && [ -d "${MAIL_MAILDIR_carol:-}/new" ]'
fp=$(openssl x509 -in "$MAIL_CERT" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
check "cert-sha256" '[ "$fp" = "$MAIL_CERT_SHA256" ]' "$fp vs $MAIL_CERT_SHA256"
check "cert-san" 'openssl x509 -in "$MAIL_CERT" -noout -ext subjectAltName | grep -q "DNS:localhost, IP Address:127.0.0.1"'

imaps=imaps://localhost:$MAIL_IMAPS_PORT/
imap=imap://localhost:$MAIL_IMAP_PORT/
c --cacert "$MAIL_CERT" -u "alice@example.org:$MAIL_PASSWORD_alice" "$imaps"
check "imaps-login" '[ $rc -eq 0 ] && grep -q INBOX "$work/stdout"' "$(cat "$work/stderr")"
check "special-use-folders" 'grep -q "\\\\Sent" "$work/stdout" && grep -q "\\\\Drafts" "$work/stdout" &&
    grep -q "\\\\Trash" "$work/stdout" && grep -q "\\\\Junk" "$work/stdout"' "$(cat "$work/stdout")"
c --cacert "$MAIL_CERT" -u "alice@example.org:wrong-password" "$imaps"
check "imaps-wrong-password-refused" '[ $rc -eq 67 ]' "curl exit $rc"
c --cacert "$MAIL_CERT" -u "nobody@example.org:$MAIL_PASSWORD_alice" "$imaps"
check "imaps-unknown-user-refused" '[ $rc -eq 67 ]' "curl exit $rc"
c --ssl-reqd --cacert "$MAIL_CERT" -u "bob@example.org:$MAIL_PASSWORD_bob" "$imap"
check "imap-starttls-login" '[ $rc -eq 0 ] && grep -q INBOX "$work/stdout"' "$(cat "$work/stderr")"
c -u "bob@example.org:$MAIL_PASSWORD_bob" "imap://$MAIL_HOST:$MAIL_IMAP_PORT/"
check "imap-plaintext-login-refused" '[ $rc -eq 67 ]' "curl exit $rc"
c --cacert "$MAIL_CERT" -u "alice:$MAIL_PASSWORD_alice" "$imaps"
check "login-needs-full-address" '[ $rc -eq 67 ]' "curl exit $rc"

body=$work/body.txt
{
    printf 'Hello Bob,\r\n\r\nline with trailing space \r\n'
    for i in $(seq 1 200); do printf 'line %03d of the fixture test message, %s\r\n' "$i" "$RANDOM"; done
    printf '.leading dot\r\n-- \r\nAlice\r\n'
} >"$body"
msg=$work/msg.eml
{
    printf 'From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n'
    printf 'Subject: fixture test %s\r\nMessage-ID: <fixture-%s@example.org>\r\n\r\n' "$$" "$$"
    cat "$body"
} >"$msg"

smtp_send() { # url rcpt [curl options]
    local url=$1 rcpt=$2
    shift 2
    c "$@" --mail-from alice@example.org --mail-rcpt "$rcpt" --upload-file "$msg" "$url"
}
wait_files() { # dir count: waits up to 30 s for count files in dir/new
    local i
    for i in $(seq 1 300); do
        [ "$(find "$1/new" -type f | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
body_of() { sed '1,/^\r\{0,1\}$/d' "$1"; }

submission=smtp://localhost:$MAIL_SUBMISSION_PORT
smtp_send "$submission" bob@example.org --ssl-reqd --cacert "$MAIL_CERT" -u "alice@example.org:$MAIL_PASSWORD_alice"
check "submission-starttls-auth-send" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
wait_files "$MAIL_MAILDIR_bob" 1
delivered=$(find "$MAIL_MAILDIR_bob/new" -type f | head -n 1)
check "delivered-to-bob" '[ -n "$delivered" ]' "$(tail -n 20 "$MAIL_POSTFIX_LOG")"
check "body-byte-identical" '[ -n "$delivered" ] && cmp -s <(body_of "$delivered") "$body"' \
    "$(diff <(body_of "${delivered:-/dev/null}") "$body" | head -n 5)"
check "delivered-headers" '[ -n "$delivered" ] && grep -q "^Delivered-To: bob@example.org" "$delivered" &&
    grep -q "^Message-ID: <fixture-$$@example.org>" "$delivered"'

smtp_send "$submission" nobody@example.org --ssl-reqd --cacert "$MAIL_CERT" -u "alice@example.org:$MAIL_PASSWORD_alice"
check "unknown-recipient-rejected-at-rcpt" '[ $rc -eq 55 ] && grep -q "RCPT failed: 550" "$work/stderr"' "$(cat "$work/stderr")"
smtp_send "$submission" carol@example.org -u "alice@example.org:$MAIL_PASSWORD_alice"
check "submission-auth-needs-starttls" '[ $rc -ne 0 ]' "curl exit $rc"
smtp_send "$submission" carol@example.org --ssl-reqd --cacert "$MAIL_CERT"
check "submission-needs-auth" '[ $rc -eq 55 ]' "curl exit $rc"
smtp_send "$submission" carol@example.org --ssl-reqd --cacert "$MAIL_CERT" -u "alice@example.org:wrong"
check "submission-wrong-password" '[ $rc -eq 67 ]' "curl exit $rc"
smtp_send "smtps://localhost:$MAIL_SUBMISSIONS_PORT" carol@example.org --cacert "$MAIL_CERT" \
    -u "alice@example.org:$MAIL_PASSWORD_alice"
check "submissions-implicit-tls-send" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
check "delivered-to-carol" 'wait_files "$MAIL_MAILDIR_carol" 1'
smtp_send "smtp://$MAIL_HOST:$MAIL_SMTP_PORT" alice@example.org
check "mx-port-accepts-local-domain" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
check "delivered-to-alice" 'wait_files "$MAIL_MAILDIR_alice" 1'
smtp_send "smtp://$MAIL_HOST:$MAIL_SMTP_PORT" someone@elsewhere.test
check "mx-port-no-relay" '[ $rc -eq 55 ] && grep -q "RCPT failed: 554" "$work/stderr"' "$(cat "$work/stderr")"

# Restart of Postfix with a message queued while Dovecot's LMTP was unreachable is covered by the
# transport's own fault tests; here only stop-smtp/start-smtp/flush themselves.
"$fixture" stop-smtp "$mail"
smtp_send "smtp://$MAIL_HOST:$MAIL_SMTP_PORT" bob@example.org
check "stop-smtp-stops-smtp" '[ $rc -eq 7 ]' "curl exit $rc"
c --cacert "$MAIL_CERT" -u "alice@example.org:$MAIL_PASSWORD_alice" "$imaps"
check "stop-smtp-keeps-imap" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
"$fixture" start-smtp "$mail"
check "start-smtp" '[ $? -eq 0 ]'
smtp_send "smtp://$MAIL_HOST:$MAIL_SMTP_PORT" bob@example.org
check "smtp-after-restart" '[ $rc -eq 0 ]' "$(cat "$work/stderr")"
check "flush" '"$fixture" flush "$mail"'
check "delivered-after-restart" 'wait_files "$MAIL_MAILDIR_bob" 2'

t0=$(date +%s%N)
"$fixture" stop "$mail"
check "stop" '[ $? -eq 0 ]'
echo "fixture stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
"$fixture" stop "$mail"
check "stop-idempotent" '[ $? -eq 0 ]'
left=$(for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)/ $(readlink "$p/root" 2>/dev/null)/" in
        *"$mail"/*) echo "${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" ;;
    esac
done)
check "no-process-left" '[ -z "$left" ] && ! pgrep -f -- "$mail/" >/dev/null' "$left $(pgrep -af -- "$mail/")"
for port in "$MAIL_IMAPS_PORT" "$MAIL_IMAP_PORT" "$MAIL_SUBMISSION_PORT" "$MAIL_SUBMISSIONS_PORT" "$MAIL_SMTP_PORT"; do
    check "port-$port-closed" '! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null'
done
finish
