#!/usr/bin/env bash
# Time from `sealpost-cli enroll` to a stored certificate through the local stack: Dovecot and
# Postfix (tests/mail/mailserver.sh), sealpost-ca on loopback. RUNS fresh profiles enroll one after
# another (the fixture's users in turn); prints each run's wall time, the median, and how long each
# step took (from the time stamps of the progress lines enroll writes to standard error: a step
# lasts from its first line to the next step's first line).
# Usage: bench/enroll-time.sh BUILD_DIR [RUNS] [KEY_TYPE]   (root: the mail servers need it)
set -euo pipefail
build=$1
runs=${2:-10}
key_type=${3:-rsa3072}
here=$(cd "$(dirname "$0")/.." && pwd)
cli=$build/app/cli/sealpost-cli
ca=$build/app/ca/sealpost-ca
[ "$(id -u)" -eq 0 ] || { echo "needs root (the mail servers)" >&2; exit 2; }
work=$(mktemp -d)
chmod 755 "$work"
ca_pid=
cleanup() {
    [ -n "$ca_pid" ] && kill "$ca_pid" 2>/dev/null && wait "$ca_pid" 2>/dev/null
    bash "$here/tests/mail/mailserver.sh" stop "$work/mail" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
bash "$here/tests/mail/mailserver.sh" start "$work/mail" >"$work/mail.log" 2>&1
# shellcheck source=/dev/null
. "$work/mail/env"
# shellcheck source=../tests/app/ca-fixture.sh
. "$here/tests/app/ca-fixture.sh"
port=$(free_port)
write_ca_config "$work" "$port" "orders_per_address_per_hour = 1000"
"$ca" init --config "$work/ca.conf" >/dev/null
start_ca "$work"
users=(alice bob carol dave)
printf 'bench profile\n' >"$work/profile-pw"
echo "run ms" >"$work/runs.txt"
: >"$work/steps.txt"
for i in $(seq "$runs"); do
    who=${users[$(((i - 1) % ${#users[@]}))]}
    pw="MAIL_PASSWORD_$who"
    printf '%s' "${!pw}" >"$work/mail-pw"
    p=(--profile "$work/profile-$i" --passphrase-file "$work/profile-pw")
    "$cli" "${p[@]}" profile init >/dev/null
    "$cli" "${p[@]}" account add "$who@$MAIL_DOMAIN" --password-file "$work/mail-pw" \
        --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" \
        --allow-self-signed-fingerprint "$MAIL_CERT_SHA256" >/dev/null
    start=$(date +%s%N)
    "$cli" "${p[@]}" enroll --ca "http://127.0.0.1:$port/directory" --ca-root "$work/ca/root-cert.pem" \
        --key-type "$key_type" 2>&1 >/dev/null | while IFS= read -r line; do echo "$(date +%s%N) $line"; done \
        >"$work/progress-$i.txt"
    end=$(date +%s%N)
    echo "$i $(((end - start) / 1000000))" >>"$work/runs.txt"
    # Step durations: from a step's first line to the next step's first line (the last step to the end).
    awk -v end="$end" '
        { t = $1; sub(/^[0-9]+ enroll: /, ""); step = $0; sub(/:.*/, "", step)
          if (step != current) { if (current != "") d[current] += t - since; current = step; since = t; order[++n] = step } }
        END { if (current != "") d[current] += end - since; for (k = 1; k <= n; ++k) if (!(order[k] in seen)) { seen[order[k]] = 1; printf "%s\t%d\n", order[k], d[order[k]] / 1000000 } }
    ' "$work/progress-$i.txt" >>"$work/steps.txt"
done
echo "== enrollment wall time per run (ms), $key_type"
cat "$work/runs.txt"
echo "== median (ms)"
tail -n +2 "$work/runs.txt" | awk '{print $2}' | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
echo "== median per step (ms), largest first"
python3 - "$work/steps.txt" <<'PY'
import statistics, sys
steps = {}
for line in open(sys.argv[1]):
    name, ms = line.rstrip("\n").split("\t")
    steps.setdefault(name, []).append(int(ms))
for name, values in sorted(steps.items(), key=lambda kv: -statistics.median(kv[1])):
    print(f"{name:<34} {statistics.median(values):8.0f}")
PY
