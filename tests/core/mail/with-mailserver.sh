#!/usr/bin/env bash
# Runs COMMAND with the Dovecot + Postfix fixture up and SEALPOST_MAIL_ENV naming its env file.
# Exits 77 (skip) when the fixture cannot run here. Usage: with-mailserver.sh MAILSERVER_SH COMMAND...
set -u
mailserver=$1
shift
work=$(mktemp -d)
chmod 711 "$work" # the servers drop privileges and must reach $work/srv
trap 'bash "$mailserver" stop "$work/srv" >/dev/null 2>&1; rm -rf "$work"' EXIT
bash "$mailserver" start "$work/srv" >"$work/fixture.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    cat "$work/fixture.log"
    exit $rc
fi
SEALPOST_MAIL_ENV=$work/srv/env "$@"
