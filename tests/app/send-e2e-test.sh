#!/usr/bin/env bash
# Transparent protection end to end through the real stack: Dovecot + Postfix
# (tests/mail/mailserver.sh), sealpost-ca and sealpost-keydir. Scenarios:
#  1. alice and bob enroll from empty profiles; alice sends to bob, encrypted to the key the
#     directory has for him; bob receives and reads it (decrypted, valid signature, protected
#     Subject) and replies with a quote, encrypted to alice, who reads it decrypted.
#  2. carol's certificate comes from another CA (made here with openssl); she signs a mail to alice
#     with `openssl cms` and submits it with curl; alice's receive harvests it and publishes it to
#     the directory; bob, who never heard from carol, sends to her encrypted, and openssl decrypts it
#     with carol's key. Signed with carol's key but From dave: nothing learned, read says NOT signed.
#  3. dave has no certificate: a message to bob and dave goes signed only (dave `no-key`); with the
#     policy require-encryption the same send is refused (exit 12) and nothing is queued or delivered.
#     A reply to dave's (openssl-)encrypted mail is refused until --plain, then sent without the quote.
#  4. Bcc: carol's copy decrypts with her key, bob's copy neither names carol nor is encrypted to her,
#     alice's Sent copy keeps the Bcc field.
# Usage: send-e2e-test.sh SEALPOST-CLI SEALPOST-CA SEALPOST-KEYDIR MAILSERVER.SH
# Needs root (the mail fixture) and curl; exits 77 (skipped) otherwise.
set -u
cli=$1
ca=$2
keydir=$3
mailserver=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for the mail servers"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
work=$(mktemp -d)
chmod 755 "$work"
ca_pid=
keydir_pid=
cleanup() {
    [ -n "$ca_pid" ] && kill "$ca_pid" 2>/dev/null && wait "$ca_pid" 2>/dev/null
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    bash "$mailserver" stop "$work/mail" >/dev/null 2>&1
    [ -n "${KEEP_WORK:-}" ] && { echo "kept $work"; return; }
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/ca-fixture.sh"
. "$(dirname "$0")/send-e2e-lib.sh"

bash "$mailserver" start "$work/mail" >"$work/mail.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { cat "$work/mail.log"; exit 77; }
[ $rc -eq 0 ] || { cat "$work/mail.log"; echo "FAIL: the mail servers did not start"; exit 1; }
# shellcheck source=/dev/null
. "$work/mail/env"

# carol's CA, outside Sealpost: its root is a trust anchor of the directory and of the profiles.
make_other_ca "$work/other"
cat "$work/other/root.pem" >"$work/anchors.pem"
start_services # sealpost-keydir (anchors: the other root and the CA's), sealpost-ca
[ -n "$keydir_address" ] && [ -n "$ca_address" ] || { finish; exit 1; }

#### 1. enroll, send encrypted, receive, read, reply
t0=$(now_ms)
for who in alice bob; do
    use "$who"
    new_profile "$who"
    # The deployment (what a packaged client ships with): its CA and its directory. Nothing else.
    SEALPOST_CA_URL="http://$ca_address/directory" SEALPOST_CA_ROOT=$root \
        SEALPOST_DIRECTORY_URL="http://$keydir_address" run enroll --json
    check "1: $who enrolls" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr") $(tail -n 20 "$work/ca.log")"
    check "1: enrolling sets up the deployment's directory" \
        'jqe ".directory_url == \"http://$keydir_address\"" "$work/stdout"' \
        "$(cat "$work/stdout")"
    # carol's CA stands for a CA the system already trusts (a public one): a trust anchor here.
    run trust add "$work/other/root.pem"
done
use bob
bob_fpr=$(current_fingerprint)
use alice
wait_published bob@example.org "$bob_fpr"
bob_before=$(mail_count bob)
run send --to bob@example.org --subject "Quarterly numbers" --body "The numbers are in the attachment. -- Alice" --json
check "1: alice's send succeeds" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr")"
check "1: the plan says encrypt, bob's key from the directory" \
    'jqe "[.. | objects | select(.address? == \"bob@example.org\")][0] | .status == \"encrypt\" and .source == \"directory\"" "$work/stdout"' \
    "$(cat "$work/stdout")"
msg=$(wait_mail bob "$bob_before")
check "1: the message reaches bob's mailbox" '[ -n "$msg" ]'
check "1: it is application/pkcs7-mime with the outer Subject [...]" \
    'header_of "$msg" | grep -qi "^Content-Type: application/pkcs7-mime" && header_of "$msg" | grep -qx "Subject: \[\.\.\.\]"' \
    "$(header_of "$msg")"
check "1: the real subject is not readable on the server" '[ -n "$msg" ] && ! grep -q "Quarterly numbers" "$msg"'
use bob
run receive --json
check "1: bob receives" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr")"
uid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Quarterly numbers")][0].uid // empty' "$work/stdout")
check "1: receive lists the new message with its protected subject, encrypted and signed" \
    '[ -n "$uid" ] && jqe "[.accounts[0].new[] | select(.folder == \"INBOX\" and .uid == $uid)][0] | .encryption == \"decrypted\" and .signature == \"valid\" and .signer_matches_from == true" "$work/stdout"' \
    "$(cat "$work/stdout")"
run receive
check "1: a second receive finds nothing new" '[ $rc -eq 0 ] && grep -q "bob@example.org: 0 new" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
run read "${uid:-0}" --json
check "1: read: decrypted, signature valid, signer is the sender, whole message covered" \
    'jqe ".security.encryption == \"decrypted\" and .security.signature == \"valid\" and .security.signer_matches_from == true and .security.covers_whole_message == true" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
check "1: read: the protected Subject and the text" \
    'jqe ".headers.Subject == \"Quarterly numbers\" and (.body_text | contains(\"The numbers are in the attachment\")) and (.body_text | contains(\"Subject:\") | not)" "$work/stdout"' \
    "$(cat "$work/stdout")"
run read "${uid:-0}"
check "1: read (text): the banner first says encrypted and signed by alice" \
    'head -n1 "$work/stdout" | grep -q "^Security: encrypted, signed by alice@example.org (valid)$" && grep -qx "Subject: Quarterly numbers" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/stderr")"
alice_before=$(mail_count alice)
run reply "${uid:-0}" --quote --body "Thanks, looks good. -- Bob" --json
check "1: bob's reply succeeds, encrypted" \
    '[ $rc -eq 0 ] && jqe "[.. | objects | select(has(\"encrypt\"))][0].encrypt == true" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
msg=$(wait_mail alice "$alice_before")
check "1: the reply reaches alice encrypted" \
    '[ -n "$msg" ] && header_of "$msg" | grep -qi "^Content-Type: application/pkcs7-mime" && header_of "$msg" | grep -qi "^In-Reply-To: <"' \
    "$(header_of "$msg")"
use alice
run receive --json
ruid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Re: Quarterly numbers")][0].uid // empty' "$work/stdout")
check "1: alice receives the reply" '[ -n "$ruid" ]' "$(cat "$work/stdout" "$work/stderr")"
cp "$work/stdout" "$work/alice-receive.json"
run cert list alice@example.org --json
check "1: alice's receive opened her own signed copy in Sent and learned nothing from it" \
    'jqe "[.accounts[0].new[] | select(.folder == \"Sent\" and .subject == \"Quarterly numbers\")] | length == 1" "$work/alice-receive.json" &&
     [ $rc -eq 0 ] && jqe "length == 0" "$work/stdout"' "$(cat "$work/alice-receive.json" "$work/stdout")"
run read "${ruid:-0}" --json
check "1: alice reads it decrypted and signed by bob, with the quote" \
    'jqe ".security.encryption == \"decrypted\" and .security.signature == \"valid\" and .security.signer_matches_from == true and (.body_text | contains(\"Thanks, looks good\")) and (.body_text | contains(\"> The numbers are in the attachment\"))" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
bob_before=$(mail_count bob)
run reply "${ruid:-0}" --body "Great." --json
msg=$(wait_mail bob "$bob_before")
use bob
run receive --json
check "1: a reply to the reply is \"Re: Quarterly numbers\", not \"Re: Re: ...\"" \
    '[ -n "$msg" ] && jqe "[.accounts[0].new[] | select(.folder == \"INBOX\" and .subject == \"Re: Quarterly numbers\")] | length == 1" "$work/stdout"' \
    "$(cat "$work/stdout")"
rruid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Re: Quarterly numbers")][0].uid // empty' "$work/stdout")
run read "${rruid:-0}" --json
check "1: it is threaded: In-Reply-To and both earlier Message-IDs in References (protected)" \
    'jqe "(.headers[\"In-Reply-To\"] | startswith(\"<\")) and (.headers.References | [scan(\"<[^>]*>\")] | length == 2)" "$work/stdout"' \
    "$(cat "$work/stdout")"
# A subject beyond ASCII travels as RFC 2047 encoded words; people see it decoded, in receive and
# read, and the legacy display element (for readers without header protection) shows it decoded too.
use alice
bob_before=$(mail_count bob)
run send --to bob@example.org --subject "Grüße aus Köln" --body "Bis bald."
msg=$(wait_mail bob "$bob_before")
use bob
printf 'export-pw\n' >"$work/p12pw"
"$cli" identity export "$(current_fingerprint)" -o "$work/bob.p12" --p12-password-file "$work/p12pw" >/dev/null 2>&1
openssl pkcs12 -in "$work/bob.p12" -passin "file:$work/p12pw" -nocerts -nodes 2>/dev/null >"$work/bob-key.pem"
openssl cms -decrypt -in "$msg" -inkey "$work/bob-key.pem" -out "$work/utf8.dec" 2>"$work/utf8.err"
element=$(python3 -c 'import email, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
parts = [p for p in m.walk() if p.get_param("hp-legacy-display") == "1"]
print(parts[0].get_payload(decode=True).decode("utf-8").splitlines()[0] if parts else "")' "$work/utf8.dec")
check "1: for readers without header protection, the legacy display element shows the subject decoded" \
    '[ "$element" = "Subject: Grüße aus Köln" ]' "$element $(cat "$work/utf8.err")"
rm -f "$work/bob-key.pem" "$work/bob.p12"
run receive --json
uuid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Grüße aus Köln")][0].uid // empty' "$work/stdout")
check "1: receive shows a UTF-8 subject decoded" '[ -n "$msg" ] && [ -n "$uuid" ]' "$(cat "$work/stdout")"
run read "${uuid:-0}"
check "1: read shows it decoded, and the body once (no legacy display element)" \
    'grep -qx "Subject: Grüße aus Köln" "$work/stdout" && [ "$(grep -c "Grüße" "$work/stdout")" -eq 1 ]' \
    "$(cat "$work/stdout")"
echo "scenario 1 took $(($(now_ms) - t0)) ms"

#### 2. a certificate from another CA: harvested, published, used by someone who never met carol
t0=$(now_ms)
alice_before=$(mail_count alice)
carol_signed_mail "$work/carol-hello.eml" alice@example.org "Hello from Carol" "Hi Alice, this is Carol."
curl -sS --url "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --ssl-reqd -k --user "carol@example.org:$MAIL_PASSWORD_carol" \
    --mail-from carol@example.org --mail-rcpt alice@example.org --upload-file "$work/carol-hello.eml" >"$work/curl.out" 2>&1
rc=$?
check "2: carol's mail signed by openssl is submitted with curl" '[ $rc -eq 0 ]' "$(cat "$work/curl.out")"
msg=$(wait_mail alice "$alice_before")
check "2: it reaches alice as multipart/signed" '[ -n "$msg" ] && header_of "$msg" | grep -qi "multipart/signed"' \
    "$(header_of "$msg")"
use alice
run receive --json
check "2: alice's receive harvests carol's certificate and publishes it" \
    'jqe ".accounts[0].certificates_learned >= 1 and .accounts[0].published >= 1" "$work/stdout" &&
     jqe "[.accounts[0].new[] | select(.folder == \"INBOX\" and .subject == \"Hello from Carol\")][0] | .signature == \"valid\" and .signer_matches_from == true" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
SEALPOST_PROFILE=$work/observer SEALPOST_PASSPHRASE=observer-profile run lookup carol@example.org --json
check "2: the directory now has carol's certificate" '[ $rc -eq 0 ] && grep -q "carol@example.org" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
use bob
run cert list --json
check "2: bob has never heard of carol" '[ $rc -eq 0 ] && ! grep -q "carol@example.org" "$work/stdout"' "$(cat "$work/stdout")"
carol_before=$(mail_count carol)
run send --to carol@example.org --subject "Nice to meet you" --body "Hi Carol, Bob here." --json
check "2: bob's send to carol is encrypted with the key from the directory" \
    '[ $rc -eq 0 ] && jqe "[.. | objects | select(.address? == \"carol@example.org\")][0] | .status == \"encrypt\" and .source == \"directory\"" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
msg=$(wait_mail carol "$carol_before")
openssl cms -decrypt -recip "$work/other/carol.pem" -inkey "$work/other/carol.key" -in "$msg" -out "$work/carol-dec.eml" \
    >"$work/openssl.out" 2>&1
rc=$?
check "2: carol decrypts it with openssl and her key" \
    '[ $rc -eq 0 ] && (grep -q "Hi Carol, Bob here." "$work/carol-dec.eml" || signed_text_contains "$work/carol-dec.eml" "Hi Carol, Bob here.")' \
    "$rc $(cat "$work/openssl.out") $(header_of "${msg:-/dev/null}")"
# The same key, but a From that is not the certificate's: never shown as signed, nothing learned.
alice_before=$(mail_count alice)
carol_signed_mail "$work/carol-as-dave.eml" alice@example.org "Not from Carol" "Signed by Carol, From Dave." dave@example.org
curl -sS --url "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --ssl-reqd -k --user "dave@example.org:$MAIL_PASSWORD_dave" \
    --mail-from dave@example.org --mail-rcpt alice@example.org --upload-file "$work/carol-as-dave.eml" >"$work/curl.out" 2>&1
wait_mail alice "$alice_before" >/dev/null
use alice
run receive --json
duid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Not from Carol")][0].uid // empty' "$work/stdout")
check "2: a signature by someone else than From teaches nothing" \
    '[ -n "$duid" ] && jqe "[.accounts[0].new[] | select(.folder == \"INBOX\" and .uid == $duid)][0].learned == 0" "$work/stdout"' "$(cat "$work/stdout" "$work/curl.out")"
run read "${duid:-0}"
check "2: read says NOT signed when the signer is not the sender" \
    'head -n1 "$work/stdout" | grep -qx "Security: NOT signed: the signer carol@example.org is not the sender"' \
    "$(cat "$work/stdout" "$work/stderr")"
run read "${duid:-0}" --json
check "2: read --json: signature valid but signer_matches_from false" \
    'jqe ".security.signature == \"valid\" and .security.signer_matches_from == false" "$work/stdout"' "$(cat "$work/stdout")"
echo "scenario 2 took $(($(now_ms) - t0)) ms"

#### 3. a recipient without a key: signed only; require-encryption refuses
t0=$(now_ms)
use alice
run send --to bob@example.org --to dave@example.org --subject "Lunch" --body "Lunch at noon?" --dry-run --json
check "3: the dry run plans signed only, dave no-key with a reason" \
    '[ $rc -eq 0 ] && jqe "([.. | objects | select(has(\"encrypt\"))][0].encrypt == false) and ([.. | objects | select(.address? == \"dave@example.org\")][0] | .status == \"no-key\" and (.reason | length > 0))" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
run outbox list --json
queued_before=$(jq '.messages | length' "$work/stdout")
check "3: the dry run queued nothing" '[ -n "$queued_before" ] && [ "$queued_before" = "$(jq ".messages | length" "$work/stdout")" ]'
bob_before=$(mail_count bob)
run send --to bob@example.org --to dave@example.org --subject "Lunch" --body "Lunch at noon?"
check "3: the real send succeeds" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr")"
msg=$(wait_mail bob "$bob_before")
check "3: bob gets it multipart/signed, readable subject" \
    '[ -n "$msg" ] && header_of "$msg" | grep -qi "^Content-Type: multipart/signed" && header_of "$msg" | grep -qx "Subject: Lunch"' \
    "$(header_of "${msg:-/dev/null}")"
run account policy alice@example.org require-encryption
check "3: the policy is set" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr")"
run outbox list --json
queued_before=$(jq '.messages | length' "$work/stdout")
bob_before=$(mail_count bob)
run send --to bob@example.org --to dave@example.org --subject "Lunch again" --body "Lunch at one?"
check "3: require-encryption refuses with exit 12 and says why" \
    '[ $rc -eq 12 ] && grep -q "encryption-required" "$work/stdout" "$work/stderr"' "$rc $(cat "$work/stdout" "$work/stderr")"
run outbox list --json
check "3: nothing was queued" '[ -n "$queued_before" ] && [ "$queued_before" = "$(jq ".messages | length" "$work/stdout")" ]' "$(cat "$work/stdout")"
sleep 2
check "3: nothing was delivered" '[ "$(mail_count bob)" = "$bob_before" ]'
run account policy alice@example.org encrypt-when-possible
# dave (no certificate) encrypts to bob with openssl; bob's reply cannot be encrypted: refused
# until --plain, and then without the quote.
use bob
current_certificate >"$work/bob-cert.pem"
{
    printf 'From: dave@example.org\r\nTo: bob@example.org\r\nSubject: Secret plans\r\nDate: %s\r\nMessage-ID: <dave-%s@example.org>\r\n' \
        "$(date -R)" "$(date +%s%N)"
    openssl cms -encrypt -aes256 -in <(printf 'Content-Type: text/plain\r\n\r\nThe secret plans are ready.\r\n') "$work/bob-cert.pem"
} >"$work/dave-encrypted.eml"
bob_before=$(mail_count bob)
curl -sS --url "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --ssl-reqd -k --user "dave@example.org:$MAIL_PASSWORD_dave" \
    --mail-from dave@example.org --mail-rcpt bob@example.org --upload-file "$work/dave-encrypted.eml" >"$work/curl.out" 2>&1
wait_mail bob "$bob_before" >/dev/null
run receive --json
euid=$(jq -r '[.accounts[0].new[] | select(.folder == "INBOX" and .subject == "Secret plans")][0].uid // empty' "$work/stdout")
check "3: bob receives dave's encrypted, unsigned mail" \
    '[ -n "$euid" ] && jqe "[.accounts[0].new[] | select(.folder == \"INBOX\" and .uid == ${euid:-0})][0].encryption == \"decrypted\"" "$work/stdout"' \
    "$(cat "$work/stdout" "$work/curl.out")"
run read "${euid:-0}"
check "3: read: encrypted, not signed" 'head -n1 "$work/stdout" | grep -qx "Security: encrypted, not signed"' \
    "$(cat "$work/stdout" "$work/stderr")"
dave_before=$(mail_count dave)
run reply "${euid:-0}" --quote --body "Tell me more."
check "3: the reply to encrypted mail that would go plain is refused (exit 12)" \
    '[ $rc -eq 12 ] && grep -q "reply-to-encrypted-would-go-plain" "$work/stdout" "$work/stderr"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
run reply "${euid:-0}" --quote --plain --body "Tell me more."
msg=$(wait_mail dave "$dave_before")
check "3: with --plain it goes signed, to dave, without the decrypted quote" \
    '[ $rc -eq 0 ] && [ -n "$msg" ] && header_of "$msg" | grep -qi "^Content-Type: multipart/signed" &&
     header_of "$msg" | grep -qx "Subject: Re: Secret plans" && grep -q "Tell me more." "$msg" && ! grep -q "secret plans are ready" "$msg"' \
    "$rc $(cat "$work/stdout" "$work/stderr") $(cat "${msg:-/dev/null}")"
echo "scenario 3 took $(($(now_ms) - t0)) ms"

#### 4. Bcc: a separate copy for carol; bob's copy neither names her nor is encrypted to her
t0=$(now_ms)
use alice
bob_before=$(mail_count bob)
carol_before=$(mail_count carol)
run send --to bob@example.org --bcc carol@example.org --subject "Board meeting" --body "Agenda attached." --json
check "4: the send with Bcc succeeds, encrypted" \
    '[ $rc -eq 0 ] && jqe "[.. | objects | select(has(\"encrypt\"))][0].encrypt == true" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
carol_msg=$(wait_mail carol "$carol_before")
bob_msg=$(wait_mail bob "$bob_before")
openssl cms -decrypt -recip "$work/other/carol.pem" -inkey "$work/other/carol.key" -in "$carol_msg" \
    -out "$work/carol-bcc.eml" >"$work/openssl.out" 2>&1
rc=$?
check "4: carol's copy decrypts with her key" \
    '[ $rc -eq 0 ] && (grep -q "Agenda attached." "$work/carol-bcc.eml" || signed_text_contains "$work/carol-bcc.eml" "Agenda attached.")' \
    "$rc $(cat "$work/openssl.out")"
check "4: bob's copy has no Bcc field" '[ -n "$bob_msg" ] && ! header_of "$bob_msg" | grep -qi "^Bcc:"' \
    "$(header_of "${bob_msg:-/dev/null}")"
recipients_of "$bob_msg" >"$work/bob-recipients.txt"
carol_serial=$(openssl x509 -in "$work/other/carol.pem" -noout -serial | cut -d= -f2)
use bob
bob_serial=$(current_serial)
check "4: bob's copy is encrypted to bob" 'names_serial "$work/bob-recipients.txt" "$bob_serial"' \
    "bob $bob_serial: $(cat "$work/bob-recipients.txt")"
check "4: bob's copy is not encrypted to carol" \
    'names_serial "$work/bob-recipients.txt" "$bob_serial" && ! names_serial "$work/bob-recipients.txt" "$carol_serial" &&
     ! grep -q "Other Test" "$work/bob-recipients.txt"' \
    "carol $carol_serial: $(cat "$work/bob-recipients.txt")"
use alice
run receive --json
run list --folders
sent_folder=$(grep -i "sent" "$work/stdout" | head -n1 | cut -f1)
run list --folder "${sent_folder:-Sent}" --json
suid=$(jq -r '[.[] | select(.subject == "[...]" or .subject == "Board meeting")] | last | .uid // empty' "$work/stdout")
run read "${suid:-0}" --folder "${sent_folder:-Sent}" --json
check "4: alice's Sent copy keeps the Bcc field" \
    'jqe "(.headers.Bcc // \"\" | contains(\"carol@example.org\")) and .headers.Subject == \"Board meeting\"" "$work/stdout"' \
    "$rc $(cat "$work/stdout" "$work/stderr")"
echo "scenario 4 took $(($(now_ms) - t0)) ms"
finish
