#!/usr/bin/env bash
# Crash safety of the encrypted profile: sealpost-cli is killed with SIGKILL at random moments
# during `trust add`, `identity import`, `harvest --mbox` (300 signed messages from 40 senders, two
# batches) and `profile passwd`. After every kill the next open must recover the profile:
#   - it opens with the right passphrase (after a killed passwd: exactly one of the old and the
#     new passphrase, the other is refused as wrong-password);
#   - `profile check` passes (PRAGMA integrity_check reads and authenticates every page);
#   - the content is the state before the command or the state after it, never a mix: the trust
#     and identity lists are the old list or the old list plus the new entry; after a harvest the
#     content digest equals that of an uninterrupted run stopped at a batch boundary (nothing, the
#     first 200 messages, or everything); after passwd the digest is unchanged;
#   - harvesting again to completion gives exactly the digest of an uninterrupted harvest.
# Kill delays are drawn from a seeded generator (printed first) between 5 ms and the duration of
# an uninterrupted run of the same command, so a failure can be replayed with the same seed. A
# round that finishes before its kill shrinks that window to the delay it outlived (the first
# duration may have been measured on a busy machine), and each command runs until it has its
# quota of kills, so the total does not depend on the machine's load.
# Usage: [SEALPOST_CRASH_SEED=N] crash-safety.sh SEALPOST_CLI DATA_DIR [MAIL_DIR from make-test-mail.sh]
set -uo pipefail
cli=$1
data=$2
mail=${3:-}
seed=${SEALPOST_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
here=$(cd "$(dirname "$0")" && pwd)
echo "crash-safety: seed $seed (replay: SEALPOST_CRASH_SEED=$seed $0 $*)"
RANDOM=$seed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
at=(--at 2026-06-01T00:00:00Z)
passed=0
failed=0
kills=0
min_kills=${SEALPOST_CRASH_MIN_KILLS:-50}

check() { # name, condition (command string evaluated), detail
    if eval "$2"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "FAIL $1: ${3:-}"
    fi
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Draws a delay in ms, uniform in [5, window].
draw_delay() { # window_ms
    local span=$(($1 > 10 ? $1 - 5 : 5))
    echo $((5 + (RANDOM * 32768 + RANDOM) % span))
}

# profile check --json with passphrase file $1 into $work/check.json; sets crc.
profile_check() {
    "$cli" --profile "$work/p" --passphrase-file "$1" profile check --json >"$work/check.json" 2>"$work/check.err"
    crc=$?
}

digest() { jq -r .content_sha256 "$work/check.json"; }

sorted() { "$cli" --profile "$work/p" --passphrase-file "$pw" "$@" | LC_ALL=C sort; }

fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

sleep_ms() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

# Runs the CLI in the background and sends SIGKILL after $1 ms. Sets rc (137 when killed).
run_killed() { # delay_ms, cli args...
    local delay=$1
    shift
    "$cli" "$@" >"$work/out" 2>"$work/err" &
    local pid=$!
    sleep_ms "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null # no "Killed" job notice
    rc=$?
}

# Counts the kill (rc 137) or checks the command finished normally; returns 1 for anything else.
# A command that finished before its kill makes the window (variable named $2) that delay.
account() { # what, window variable
    if [ "$rc" -eq 137 ]; then
        kills=$((kills + 1))
        return 0
    fi
    check "$1-finished-cleanly" '[ $rc -eq 0 ]' "rc=$rc $(head -c 300 "$work/err")"
    [ "$rc" -eq 0 ] || return 1
    local -n window=$2
    [ "$delay" -lt "$window" ] && window=$delay
    return 0
}

if [ -z "$mail" ]; then
    mail=$work/mail
    bash "$here/make-test-mail.sh" "$data" "$mail" 40 300 24 || { echo "FAIL cannot generate test mail"; exit 1; }
fi
users=$mail/users
mbox=$mail/mail.mbox
# The first batch of the harvest (200 messages, one transaction) on its own.
awk '/^From /{n++} n<=200' "$mbox" >"$work/first-batch.mbox"

pw=$work/pw0
printf 'passphrase number 0' >"$pw"
"$cli" --profile "$work/p" --passphrase-file "$pw" profile init >/dev/null || { echo "FAIL profile init"; exit 1; }
t0=$(now_ms)
"$cli" --profile "$work/p" --passphrase-file "$pw" trust add "$data/root-ca.cert.pem" >/dev/null || exit 1
trust_ms=$(($(now_ms) - t0))

# --- trust add: each round adds another certificate as an anchor ---
echo "== trust add (window ${trust_ms} ms)"
for ((i = 0, n = 0; n < 15 && i < 40; i++)); do
    before=$(sorted trust list | cut -d' ' -f1)
    cert=$users/u$i.cert.pem
    expected=$(printf '%s\n%s\n' "$before" "$(fingerprint "$cert")" | LC_ALL=C sort)
    delay=$(draw_delay "$trust_ms")
    run_killed "$delay" --profile "$work/p" --passphrase-file "$pw" trust add "$cert"
    account trust-add trust_ms || continue
    [ "$rc" -eq 137 ] && n=$((n + 1))
    profile_check "$pw"
    check "trust-add-$i-opens-and-checks" '[ $crc -eq 0 ] && [ "$(jq -r .ok "$work/check.json")" = true ]' "delay=$delay $(cat "$work/check.err")"
    after=$(sorted trust list | cut -d' ' -f1)
    state=other
    [ "$after" = "$before" ] && state=old
    [ "$after" = "$expected" ] && state=new
    echo "trust add #$i: delay ${delay} ms, rc $rc, state $state"
    check "trust-add-$i-old-or-new" '[ $state != other ]' "before=[$before] after=[$after]"
done

# --- identity import: each round imports another user's PKCS#12 ---
t0=$(now_ms)
"$cli" --profile "$work/p" --passphrase-file "$pw" identity import "$data/alice.p12" --p12-password-file "$data/p12.password.txt" >/dev/null || exit 1
identity_ms=$(($(now_ms) - t0))
echo "== identity import (window ${identity_ms} ms)"
for ((i = 0, n = 0; n < 14 && i < 40; i++)); do
    before=$(sorted identity list)
    expected=$(printf '%s\nuser%d@example.org both current %s\n' "$before" "$i" "$(fingerprint "$users/u$i.cert.pem")" | LC_ALL=C sort)
    delay=$(draw_delay "$identity_ms")
    run_killed "$delay" --profile "$work/p" --passphrase-file "$pw" identity import "$users/u$i.p12" --p12-password-file "$data/p12.password.txt"
    account identity-import identity_ms || continue
    [ "$rc" -eq 137 ] && n=$((n + 1))
    profile_check "$pw"
    check "identity-import-$i-opens-and-checks" '[ $crc -eq 0 ] && [ "$(jq -r .ok "$work/check.json")" = true ]' "delay=$delay $(cat "$work/check.err")"
    after=$(sorted identity list)
    state=other
    [ "$after" = "$before" ] && state=old
    [ "$after" = "$expected" ] && state=new
    echo "identity import #$i: delay ${delay} ms, rc $rc, state $state"
    check "identity-import-$i-old-or-new" '[ $state != other ]' "before=[$before] after=[$after] expected=[$expected]"
done

# --- harvest: every round starts from the same profile; references from uninterrupted runs ---
harvest=(harvest --mbox "$mbox" --no-system-trust --quiet "${at[@]}")
cp -a "$work/p" "$work/p-before-harvest"
profile_check "$pw"
d_before=$(digest)
reference() { # mbox -> digest after an uninterrupted harvest of a copy of the pre-harvest profile
    rm -rf "$work/ref" && cp -a "$work/p-before-harvest" "$work/ref"
    "$cli" --profile "$work/ref" --passphrase-file "$pw" harvest --mbox "$1" --no-system-trust --quiet "${at[@]}" >/dev/null || echo "FAIL reference harvest of $1" >&2
    "$cli" --profile "$work/ref" --passphrase-file "$pw" profile check --json | jq -r .content_sha256
}
d_batch=$(reference "$work/first-batch.mbox")
t0=$(now_ms)
d_final=$(reference "$mbox")
harvest_ms=$(($(now_ms) - t0))
harvest_window=$((harvest_ms * 9 / 10))
certs_final=$("$cli" --profile "$work/ref" --passphrase-file "$pw" profile check --json | jq .correspondent_certificates)
# Every sender but those whose identity the profile holds (the identity rounds imported some):
# a profile's own certificate is not learned from its own mail.
own_senders=$("$cli" --profile "$work/ref" --passphrase-file "$pw" identity list --json |
    grep -o '"address": *"user[0-9]*@example.org"' | sort -u | wc -l)
check "harvest-reference-learns-every-sender" '[ $((certs_final + own_senders)) -eq 40 ]' "certs=$certs_final own=$own_senders"
check "harvest-reference-states-differ" '[ "$d_before" != "$d_batch" ] && [ "$d_batch" != "$d_final" ]'
echo "== harvest (window ${harvest_window} ms)"
for ((i = 0, n = 0; n < 10 && i < 40; i++)); do
    rm -rf "$work/p" && cp -a "$work/p-before-harvest" "$work/p"
    delay=$(draw_delay "$harvest_window")
    run_killed "$delay" --profile "$work/p" --passphrase-file "$pw" "${harvest[@]}"
    account harvest harvest_window || continue
    [ "$rc" -eq 137 ] && n=$((n + 1))
    profile_check "$pw"
    check "harvest-$i-opens-and-checks" '[ $crc -eq 0 ] && [ "$(jq -r .ok "$work/check.json")" = true ]' "delay=$delay $(cat "$work/check.err")"
    d=$(digest)
    state=other
    [ "$d" = "$d_before" ] && state=before
    [ "$d" = "$d_batch" ] && state=first-batch
    [ "$d" = "$d_final" ] && state=complete
    check "harvest-$i-batch-boundary" '[ $state != other ]' "delay=$delay digest=$d"
    echo "harvest #$i: delay ${delay} ms, rc $rc, state $state"
    [ "$rc" -eq 0 ] && continue # not interrupted: nothing to resume
    "$cli" --profile "$work/p" --passphrase-file "$pw" "${harvest[@]}" >/dev/null 2>"$work/err"
    rc2=$?
    profile_check "$pw"
    check "harvest-$i-rerun-equals-uninterrupted" '[ $rc2 -eq 0 ] && [ "$(digest)" = "$d_final" ]' "rc=$rc2 $(head -c 300 "$work/err")"
done

# --- profile passwd: a new passphrase each round ---
profile_check "$pw"
d_content=$(digest)
next=$work/pw-next
printf 'a new passphrase' >"$next"
t0=$(now_ms)
"$cli" --profile "$work/p" --passphrase-file "$pw" profile passwd --new-passphrase-file "$next" >/dev/null || exit 1
passwd_ms=$(($(now_ms) - t0))
cp "$next" "$work/pw-current"
pw=$work/pw-current
echo "== profile passwd (window ${passwd_ms} ms)"
for ((i = 1, n = 0; n < 12 && i < 50; i++)); do
    new=$work/pw$i
    printf 'passphrase number %d' "$i" >"$new"
    delay=$(draw_delay "$passwd_ms")
    run_killed "$delay" --profile "$work/p" --passphrase-file "$pw" profile passwd --new-passphrase-file "$new"
    account passwd passwd_ms || continue
    [ "$rc" -eq 137 ] && n=$((n + 1))
    # Try the two passphrases in a random order: the failed attempt must not harm the profile.
    if ((RANDOM % 2)); then order=("$pw" "$new"); else order=("$new" "$pw"); fi
    works=()
    for p in "${order[@]}"; do
        profile_check "$p"
        if [ "$crc" -eq 0 ]; then
            works+=("$p")
            check "passwd-$i-checks" '[ "$(jq -r .ok "$work/check.json")" = true ] && [ "$(digest)" = "$d_content" ]' "$(cat "$work/check.json")"
        else
            check "passwd-$i-other-is-wrong-password" 'grep -q "wrong-password" "$work/check.err"' "$(cat "$work/check.err")"
        fi
    done
    state=none
    [ ${#works[@]} -eq 1 ] && [ "${works[0]}" = "$pw" ] && state=old
    [ ${#works[@]} -eq 1 ] && [ "${works[0]}" = "$new" ] && state=new
    echo "passwd #$i: delay ${delay} ms, rc $rc, passphrase $state"
    check "passwd-$i-exactly-one-passphrase" '[ $state != none ]' "working: ${works[*]:-none}"
    [ "$state" = new ] && { cp "$new" "$work/pw-current"; }
done

echo "$kills kills, $passed checks passed, $failed failed"
check "enough-kills" '[ $kills -ge $min_kills ]' "only $kills kills (want $min_kills)"
[ "$failed" -eq 0 ]
