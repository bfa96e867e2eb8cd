#!/usr/bin/env bash
# Throwaway mail servers for integration tests of the mail transport: Dovecot (IMAP, IMAPS,
# LMTP, SASL auth) and Postfix (MX-style SMTP, submission with STARTTLS, implicit-TLS
# submission) on free loopback ports, with all configuration, queues, mailboxes and logs in DIR.
# The system's own Dovecot/Postfix configuration and services are neither used nor modified.
#
# Usage: mailserver.sh start|stop|flush|stop-smtp|start-smtp DIR
#   start DIR       configure and start both servers, wait for all ports, write DIR/env
#   stop DIR        stop the servers of DIR (idempotent)
#   flush DIR       ask Postfix to attempt delivery of its whole queue now
#   stop-smtp DIR   stop only Postfix (the queue is kept)
#   start-smtp DIR  start Postfix again on the same ports
# Needs root (Postfix and Dovecot switch to their service users); exits 77 (skip) otherwise.
# Optional, for tests with many recipients (both unset: the behaviour above, unchanged):
#   MAIL_FIXTURE_RECIPIENT_DELIMITER=+   user+anything@example.org is delivered to user's INBOX
#   MAIL_FIXTURE_DISCARD_DOMAIN=DOMAIN   mail to any address @DOMAIN is accepted (authenticated
#                                        submission only) and discarded: benchmarks of sending
# See docs/testing-mail.md.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|flush|stop-smtp|start-smtp DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
me="mailserver.sh"

die() {
    echo "$me: $*" >&2
    exit 1
}

skip() {
    echo "$me: SKIP: $*" >&2
    exit 77
}

users=(alice bob carol dave acme) # acme: the CA's challenge mailbox
domain=example.org
timeout_s=${MAIL_FIXTURE_TIMEOUT:-20}

require_root_and_tools() {
    [ "$(id -u)" -eq 0 ] || skip "must run as root (Postfix and Dovecot drop privileges to their service users)"
    local t missing=()
    for t in dovecot doveconf postfix postconf postqueue openssl python3; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] || skip "missing ${missing[*]} (scripts/install-deps.sh installs them)"
    local u
    for u in mail postfix dovecot dovenull; do
        getent passwd "$u" >/dev/null || skip "system user '$u' missing (packages postfix, dovecot-core)"
    done
}

# Python helper: free ports, and waiting until servers answer with the expected banner or certificate.
pyhelper() {
    python3 - "$@" <<'EOF'
import hashlib, socket, ssl, sys, time

def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()

def probe(kind, port, fp):
    # kind: "smtp"/"imap" read the greeting; "tls" does a handshake and compares the certificate.
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        if kind == "tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with ctx.wrap_socket(s) as t:
                der = t.getpeercert(binary_form=True)
                ok = hashlib.sha256(der).hexdigest() == fp
                # Say goodbye politely so the servers do not log aborted sessions.
                t.settimeout(2)
                try:
                    banner = t.recv(512)
                    t.sendall(b"QUIT\r\n" if banner.startswith(b"220") else b"a LOGOUT\r\n")
                except OSError:
                    pass
                return ok
        s.settimeout(2)
        banner = s.recv(512)
        if kind == "smtp":
            s.sendall(b"QUIT\r\n")
            return banner.startswith(b"220 localhost")
        s.sendall(b"a LOGOUT\r\n")
        return banner.startswith(b"* OK") and b"STARTTLS" in banner

if sys.argv[1] == "ports":
    free_ports(int(sys.argv[2]))
elif sys.argv[1] == "wait":
    timeout, fp = float(sys.argv[2]), sys.argv[3]
    pending = [a.split(":") for a in sys.argv[4:]]
    deadline = time.monotonic() + timeout
    while pending:
        still = []
        for kind, port in pending:
            try:
                ok = probe(kind, int(port), fp)
            except (OSError, ssl.SSLError):
                ok = False
            if not ok:
                still.append((kind, port))
        pending = still
        if not pending:
            break
        if time.monotonic() > deadline:
            print("not answering as expected: " + ", ".join(k + ":" + p for k, p in pending), file=sys.stderr)
            sys.exit(1)
        time.sleep(0.1)
EOF
}

resolve_dir() {
    case $dir in
        /*) ;;
        *) dir=$PWD/$dir ;;
    esac
    dir=${dir%/}
}

# Creates DIR (and missing parents) and makes the path traversable by the service users.
make_dir() {
    local d=$dir created=()
    while [ ! -e "$d" ]; do
        created+=("$d")
        d=$(dirname "$d")
    done
    [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    mkdir -p "$dir"
    for d in "${created[@]}" "$dir"; do
        chmod 755 "$d"
    done
    # Every ancestor must be searchable by the service users. Directories below the temp directory
    # (e.g. a test's 0700 mktemp -d) get o+x (search, not listing); anything else is an error.
    local tmp
    tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
    d=$dir
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        case $(stat -c %A "$d") in *x | *t) continue ;; esac
        case $(cd "$d" && pwd -P)/ in
            "$tmp"/?*) chmod o+x "$d" ;;
            *) die "$d is not searchable by other users; postfix/dovecot could not reach $dir" ;;
        esac
    done
}

# Master pids from the pid files, only if that process still runs in this fixture's directory (a
# stale pid file must not make "stop" signal an unrelated process that got the same pid).
master_pid() { # pid file, the master's working directory
    local pid
    [ -r "$1" ] || return 1
    pid=$(tr -dc 0-9 <"$1")
    [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$2" ] && echo "$pid"
}
pf_master_pid() { master_pid "$dir/postfix/queue/pid/master.pid" "$dir/postfix/queue"; }
dc_master_pid() { master_pid "$dir/dovecot/run/master.pid" "$dir/dovecot/run"; }

wait_gone() { # pid, seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Processes belonging to this fixture: Postfix daemons run in the queue directory, Dovecot's in its
# base_dir (login processes chrooted below it) or, for imap processes, in the user's home.
fixture_pids() { # postfix|dovecot|all
    local dirs=() d expr=()
    case $1 in postfix | all) dirs+=("$dir/postfix/queue") ;; esac
    case $1 in dovecot | all) dirs+=("$dir/dovecot/run" "$dir/home") ;; esac
    for d in "${dirs[@]}"; do
        expr+=(-o -lname "$d" -o -lname "$d/*")
    done
    find /proc -mindepth 2 -maxdepth 2 \( -name cwd -o -name root \) \( "${expr[@]:1}" \) 2>/dev/null |
        cut -d/ -f3 | sort -u || true
}

show_logs() {
    local f
    for f in "$dir/dovecot/log" "$dir/postfix/log" "$dir/postfix/start.log" "$dir/dovecot/start.log"; do
        [ -s "$f" ] || continue
        echo "----- $f" >&2
        tail -n 60 "$f" >&2
    done
}

load_env() {
    [ -r "$dir/env" ] || [ -r "$dir/ports" ] || die "$dir is not a fixture directory (no env)"
    # shellcheck disable=SC1091
    source "$dir/ports"
}

write_certificate() {
    mkdir -p "$dir/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" 2>"$dir/tls/openssl.log" ||
        { cat "$dir/tls/openssl.log" >&2; die "could not create the certificate"; }
    chmod 644 "$dir/tls/cert.pem"
    chmod 600 "$dir/tls/key.pem"
    cert_sha256=$(openssl x509 -in "$dir/tls/cert.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
}

write_dovecot() {
    local d=$dir/dovecot u
    mkdir -p "$d" "$d/state" "$dir/maildirs" "$dir/home"
    chmod 755 "$d"
    : >"$d/users"
    for u in "${users[@]}"; do
        echo "$u@$domain:{PLAIN}$u-pw-1:8:8::$dir/home/$u::" >>"$d/users"
        mkdir -p "$dir/maildirs/$u/cur" "$dir/maildirs/$u/new" "$dir/maildirs/$u/tmp" "$dir/home/$u"
    done
    echo "secured-imap:" >"$d/deny-without-tls"
    chmod 644 "$d/deny-without-tls"
    chmod 640 "$d/users"
    chgrp dovecot "$d/users"
    chown -R mail:mail "$dir/maildirs" "$dir/home"
    chmod 700 "$dir/maildirs"/* "$dir/home"/*
    cat >"$d/dovecot.conf" <<EOF
# Generated by tests/mail/mailserver.sh; complete on its own (nothing from /etc/dovecot).
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = sealpost-test-$port_imap
log_path = $d/log
info_log_path = $d/log
debug_log_path = $d/log
auth_verbose = yes

ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
# No LOGIN/AUTHENTICATE on the plain IMAP port before STARTTLS (also from loopback).
disable_plaintext_auth = yes
auth_mechanisms = plain login
# No delay after failed logins: tests try wrong passwords and run in parallel.
auth_failure_delay = 0
login_greeting = Dovecot ready (sealpost test fixture)

first_valid_uid = 8
last_valid_uid = 8
first_valid_gid = 8
last_valid_gid = 8
mail_location = maildir:$dir/maildirs/%n
# Store messages exactly as received on the wire (CRLF), so tests can compare bytes.
mail_save_crlf = yes
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

# Dovecot treats loopback connections (remote IP = local IP) as secure and would accept LOGIN
# on the plain port without STARTTLS. The fixture must behave like a remote server, so refuse
# IMAP logins of connections that are "secured" only by being local (TLS ones expand to "TLS").
passdb {
  driver = passwd-file
  deny = yes
  args = username_format=%{secured}-%s $d/deny-without-tls
}
passdb {
  driver = passwd-file
  args = username_format=%u $d/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port_imap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $port_imaps
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# Auth penalty (growing delays for an IP after failed logins) is disabled by making anvil's
# penalty socket unusable; otherwise a test's wrong-password check slows all later logins.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@$domain
}
EOF
    doveconf -c "$d/dovecot.conf" -n >"$d/doveconf.out" 2>&1 ||
        { cat "$d/doveconf.out" >&2; die "doveconf rejects the generated configuration"; }
}

write_postfix() {
    local p=$dir/postfix u maps=""
    mkdir -p "$p" "$p/conf" "$p/queue" "$p/data"
    chmod 755 "$p" "$p/conf" "$p/queue"
    chown postfix:postfix "$p/data"
    chmod 700 "$p/data"
    for u in "${users[@]}"; do
        maps="$maps $u@$domain=$u"
    done
    cat >"$p/conf/main.cf" <<EOF
# Generated by tests/mail/mailserver.sh; complete on its own (nothing from /etc/postfix).
compatibility_level = 3.6
# the transport tests send 25 MB attachments (base64: about 35 MB on the wire)
message_size_limit = 52428800
queue_directory = $p/queue
data_directory = $p/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-sealpost-test
maillog_file = $p/log
maillog_file_prefixes = $p

myhostname = localhost
mydomain = $domain
myorigin = \$mydomain
mydestination =
mynetworks = 127.0.0.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_bind_address = 127.0.0.1
biff = no
append_dot_mydomain = no
readme_directory = no
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the test fixture
relay_domains =
relayhost =
# Nothing leaves the machine: smtpd refuses recipients in other domains at RCPT time with 550
# (they resolve to the error transport), also for authenticated users.
default_transport = error:5.7.1 no outbound delivery from the test fixture
relay_transport = \$default_transport

virtual_mailbox_domains = $domain
# Unknown recipients are refused with 550 at RCPT time (smtpd_reject_unlisted_recipient).
virtual_mailbox_maps = inline:{$maps }
virtual_transport = lmtp:unix:$dir/dovecot/run/lmtp

smtpd_banner = \$myhostname ESMTP sealpost test fixture
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_sasl_auth_enable = no
smtpd_tls_cert_file = $dir/tls/cert.pem
smtpd_tls_key_file = $dir/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = none
lmtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
# Retry quickly: fault tests stop and start the servers and expect delivery within seconds.
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
delay_warning_time = 0h
EOF
    if [ -n "${MAIL_FIXTURE_RECIPIENT_DELIMITER:-}" ]; then
        echo "recipient_delimiter = $MAIL_FIXTURE_RECIPIENT_DELIMITER" >>"$p/conf/main.cf"
    fi
    if [ -n "${MAIL_FIXTURE_DISCARD_DOMAIN:-}" ]; then
        echo "transport_maps = inline:{$MAIL_FIXTURE_DISCARD_DOMAIN=discard:}" >>"$p/conf/main.cf"
    fi
    local sasl="-o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes -o smtpd_sasl_type=dovecot"
    sasl="$sasl -o smtpd_sasl_path=$dir/dovecot/run/auth-postfix -o smtpd_sasl_security_options=noanonymous"
    sasl="$sasl -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
    sasl="$sasl -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
    cat >"$p/conf/master.cf" <<EOF
# Generated by tests/mail/mailserver.sh. No chroot (column 5 = n): paths point into the test directory.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port_smtp inet n - n - - smtpd
127.0.0.1:$port_submission inet n - n - - smtpd
  -o syslog_name=postfix-sealpost-test/submission
  -o smtpd_tls_security_level=encrypt
  $sasl
127.0.0.1:$port_submissions inet n - n - - smtpd
  -o syslog_name=postfix-sealpost-test/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  $sasl
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# These return 0 when started, 2 when a port was taken meanwhile (the caller retries with new
# ports) and 1 otherwise.
start_postfix() {
    local p=$dir/postfix
    postfix -c "$p/conf" start >"$p/start.log" 2>&1 && return 0
    grep -qs "Address already in use" "$p/log" "$p/start.log" && return 2
    return 1
}

start_dovecot() {
    local d=$dir/dovecot
    dovecot -c "$d/dovecot.conf" >"$d/start.log" 2>&1 && return 0
    grep -qs "Address already in use" "$d/log" "$d/start.log" && return 2
    return 1
}

wait_ports() { # kind:port ...
    pyhelper wait "$timeout_s" "$MAIL_CERT_SHA256" "$@" || {
        show_logs
        die "servers did not come up within ${timeout_s}s"
    }
}

# Both masters take 1-3 s to wind down their children, so signal first and wait afterwards.
term_postfix() {
    local pid
    pid=$(pf_master_pid) || return 0
    # Not "postfix stop": its postfix-script polls with sleep 1; the master handles SIGTERM itself.
    kill -TERM "$pid" 2>/dev/null || true
    echo "$pid"
}

term_dovecot() {
    local pid
    pid=$(dc_master_pid) || return 0
    kill -TERM "$pid" 2>/dev/null || true
    echo "$pid"
}

reap() { # which pid...: waits for the masters, then kills children that outlived them
    local which=$1 pid
    shift
    for pid in "$@"; do
        [ -n "$pid" ] || continue
        wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    done
    kill_leftovers "$which"
}

kill_leftovers() { # postfix|dovecot: children that outlived their master
    local pids i
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        pids=$(fixture_pids "$1")
        [ -n "$pids" ] || return 0
        [ "$i" -lt 20 ] || break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

resolve_dir
case $cmd in
    start)
        require_root_and_tools
        make_dir
        # Ports are picked free but only bound later by the servers, so another fixture starting
        # at the same moment can take one first: then start afresh with new ports.
        for attempt in 1 2 3; do
            read -r port_imap port_imaps port_smtp port_submission port_submissions < <(pyhelper ports 5)
            cat >"$dir/ports" <<EOF
port_imap=$port_imap
port_imaps=$port_imaps
port_smtp=$port_smtp
port_submission=$port_submission
port_submissions=$port_submissions
EOF
            write_certificate
            MAIL_CERT_SHA256=$cert_sha256
            write_dovecot
            write_postfix
            rc=0
            start_dovecot || rc=$?
            [ $rc -ne 0 ] || start_postfix || rc=$?
            [ $rc -eq 0 ] && break
            if [ $rc -eq 2 ] && [ $attempt -lt 3 ]; then
                echo "$me: a port was taken meanwhile, retrying with other ports" >&2
                reap all "$(term_postfix)" "$(term_dovecot)"
                find "$dir" -mindepth 1 -delete
                continue
            fi
            show_logs
            die "could not start the servers (exit code $rc)"
        done
        wait_ports "imap:$port_imap" "tls:$port_imaps" "smtp:$port_smtp" "smtp:$port_submission" "tls:$port_submissions"
        {
            echo "# Sourced by tests; written by tests/mail/mailserver.sh start."
            printf 'MAIL_DIR=%q\n' "$dir"
            echo "MAIL_HOST=127.0.0.1"
            echo "MAIL_IMAP_PORT=$port_imap"
            echo "MAIL_IMAPS_PORT=$port_imaps"
            echo "MAIL_SMTP_PORT=$port_smtp"
            echo "MAIL_SUBMISSION_PORT=$port_submission"
            echo "MAIL_SUBMISSIONS_PORT=$port_submissions"
            printf 'MAIL_CERT=%q\n' "$dir/tls/cert.pem"
            echo "MAIL_CERT_SHA256=$cert_sha256"
            echo "MAIL_DOMAIN=$domain"
            echo "MAIL_USERS=\"${users[*]}\""
            for u in "${users[@]}"; do
                echo "MAIL_USER_$u=$u@$domain"
                echo "MAIL_PASSWORD_$u=$u-pw-1"
                printf "MAIL_MAILDIR_$u=%q\n" "$dir/maildirs/$u"
            done
            printf 'MAIL_POSTFIX_CONFIG=%q\n' "$dir/postfix/conf"
            printf 'MAIL_DOVECOT_CONFIG=%q\n' "$dir/dovecot/dovecot.conf"
            printf 'MAIL_POSTFIX_LOG=%q\n' "$dir/postfix/log"
            printf 'MAIL_DOVECOT_LOG=%q\n' "$dir/dovecot/log"
        } >"$dir/env.tmp"
        mv "$dir/env.tmp" "$dir/env"
        ;;
    stop)
        [ -d "$dir" ] || exit 0
        [ "$(id -u)" -eq 0 ] || skip "must run as root"
        pids="$(term_postfix) $(term_dovecot)"
        # shellcheck disable=SC2086
        reap all $pids
        ;;
    stop-smtp)
        require_root_and_tools
        load_env
        reap postfix "$(term_postfix)"
        ;;
    start-smtp)
        require_root_and_tools
        load_env
        pf_master_pid >/dev/null && exit 0
        MAIL_CERT_SHA256=$(openssl x509 -in "$dir/tls/cert.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
        # The ports are fixed now (the tests know them). While Postfix was down, a client's
        # ephemeral port may have landed on one of them: wait for it to be released.
        for attempt in $(seq 20); do
            rc=0
            start_postfix || rc=$?
            [ "$rc" -eq 2 ] && [ "$attempt" -lt 20 ] && { sleep 0.5; continue; }
            [ "$rc" -eq 0 ] || { show_logs; die "postfix failed to start"; }
            break
        done
        wait_ports "smtp:$port_smtp" "smtp:$port_submission" "tls:$port_submissions"
        ;;
    flush)
        require_root_and_tools
        load_env
        postqueue -c "$dir/postfix/conf" -f
        ;;
    *) usage ;;
esac
