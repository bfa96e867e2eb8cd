#!/usr/bin/env bash
# Installs everything Sealpost needs to build, test and benchmark, from Debian 12 packages only.
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build ccache pkg-config clang clang-tidy clang-format libclang-rt-14-dev git
    # libraries
    libssl-dev libmimetic-dev libcurl4-openssl-dev libexpat1-dev libsqlcipher-dev nlohmann-json3-dev
    # the CA checks DKIM signatures on challenge replies
    libopendkim-dev
    # the directory server: Boost.Beast/Asio for HTTP, libpq for its PostgreSQL back end
    libboost-dev libpq-dev
    qt6-base-dev qt6-base-dev-tools
    libgtest-dev libgmock-dev libbenchmark-dev
    # interop peers and test tools
    openssl libnss3-tools gpgsm gnupg jq faketime time xvfb xauth
    # throwaway mail servers for the transport's integration tests (tests/mail)
    dovecot-imapd dovecot-lmtpd postfix curl python3
    # a DNS server on loopback for the SRV discovery test (the binary only, no system service)
    dnsmasq-base
    # the directory's PostgreSQL back end is tested against a throwaway server (tests/server/keydir)
    postgresql
    # the directory benchmark: a load generator and a static-file peer
    wrk nginx-light
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
# Postfix's debconf would otherwise ask how to configure the system's mail setup; the tests run
# their own instances from a temporary directory and leave the system's configuration alone.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
