# shellcheck shell=bash
# sealpost-ca and sealpost-keydir on loopback next to the mail fixture (tests/mail/mailserver.sh),
# for the end-to-end tests and benchmarks (sourced after the fixture's env file). start_keydir and
# start_ca run the binaries named by $keydir and $ca.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_listening() { # LOG: prints HOST:PORT once the server said it listens
    for _ in $(seq 600); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.05; done
    sed -n 's/^listening on //p' "$1" | head -n1
}

# WORK ANCHORS [ARG...]: sealpost-keydir ($keydir) on a free loopback port, its database and its log
# (keydir.log) in WORK; extra ARGs go to it. Sets keydir_pid, and keydir_address (HOST:PORT, empty
# if it did not start).
start_keydir() {
    local work=$1 anchors=$2
    shift 2
    "$keydir" --listen 127.0.0.1:0 --database "sqlite:$work/keydir.sqlite" --trust-anchors "$anchors" "$@" \
        >"$work/keydir.log" 2>&1 &
    keydir_pid=$!
    keydir_address=$(wait_listening "$work/keydir.log")
}

# WORK: `sealpost-ca serve` ($ca) with WORK/ca.conf, logging to WORK/ca.log. Sets ca_pid, and
# ca_address (HOST:PORT, empty if it did not start). The port was picked before the CA could bind
# it: if something else took it meanwhile, another is picked (ca.conf and ca_port are updated).
start_ca() {
    local attempt
    for attempt in 1 2 3 4 5; do
        "$ca" serve --config "$1/ca.conf" >"$1/ca.log" 2>&1 &
        ca_pid=$!
        ca_address=$(wait_listening "$1/ca.log")
        [ -z "$ca_address" ] && grep -q "cannot listen on" "$1/ca.log" || return 0
        wait "$ca_pid" 2>/dev/null
        ca_port=$(free_port)
        sed -i "s|^external_url = http://127.0.0.1:[0-9]*\$|external_url = http://127.0.0.1:$ca_port|; \
                s|^listen = 127.0.0.1:[0-9]*\$|listen = 127.0.0.1:$ca_port|" "$1/ca.conf"
        echo "start_ca: port taken, attempt $((attempt + 1)) on $ca_port" >&2
    done
}

# WORK PORT [LINE...]: WORK/ca.conf for a CA on 127.0.0.1:PORT whose challenge mailbox is the
# fixture's acme@ (files next to it: ca-pass, ca-mail-pw; data in WORK/ca). Extra LINEs
# ("key = value") are appended.
write_ca_config() {
    local work=$1 port=$2
    shift 2
    printf 'ca-key-passphrase\n' >"$work/ca-pass"
    printf '%s\n' "$MAIL_PASSWORD_acme" >"$work/ca-mail-pw"
    cat >"$work/ca.conf" <<CONF
data_dir = ca
key_passphrase_file = ca-pass
external_url = http://127.0.0.1:$port
listen = 127.0.0.1:$port
database = sqlite:ca.sqlite
challenge_from = $MAIL_USER_acme
smtp_url = smtp://127.0.0.1:$MAIL_SUBMISSION_PORT
imap_url = imaps://127.0.0.1:$MAIL_IMAPS_PORT
mail_password_file = ca-mail-pw
mail_ca_file = $MAIL_CERT
mail_poll_seconds = 1
CONF
    [ $# -eq 0 ] || printf '%s\n' "$@" >>"$work/ca.conf"
}
