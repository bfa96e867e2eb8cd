#!/usr/bin/env bash
# A first look at Sealpost: installs dependencies, builds sealpost-cli, then signs and encrypts a
# sample message from Alice to Bob and opens it as Bob, printing the security report.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF -DSEALPOST_BUILD_UI=OFF >/dev/null
cmake --build build/demo --target sealpost-cli
cli=build/demo/app/cli/sealpost-cli
data=tests/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf 'From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: Lunch?\r\nDate: %s\r\nMessage-ID: <demo@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Bob, lunch at noon? -- Alice\r\n' \
    "$(date -R)" >"$work/message.eml"

echo "== 1. Alice signs and encrypts to Bob (and herself), AES-256-GCM"
"$cli" encrypt --key "$data/alice.key.pem" --cert "$data/alice.cert.pem" --chain "$data/chain.pem" \
    --to-cert "$data/bob.cert.pem" --to-cert "$data/alice.cert.pem" -i "$work/message.eml" -o "$work/protected.eml"
head -n 12 "$work/protected.eml"
echo "   [...]"

echo "== 2. Bob opens it (the test PKI's certificates are valid from 2025 to 2035)"
"$cli" open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --trust "$data/root-ca.cert.pem" \
    -i "$work/protected.eml" -o "$work/opened.eml" --json "$work/status.json"
cat "$work/opened.eml"
echo "== 3. What Sealpost reports"
cat "$work/status.json"
