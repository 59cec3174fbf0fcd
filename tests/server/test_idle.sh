#!/bin/bash
# SPDX-License-Identifier: MIT
# test_idle.sh - 10,000 idle connections (idleclients.py): all held with
# daemon RSS under 100 MB; with max_connections reached, a new client
# (and Postfix's postmap -q) is still answered: the connection idle
# longest is closed for it and logged (a local user holding idle
# connections cannot make lookups fail); idle_timeout closes them all.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_or_fail "python3 not installed"
command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
PORT=$(free_port)
N=10000
db_init
seed example.com secure
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
max_connections = $N
idle_timeout = 25s
EOF2
start_daemon
rc=0
python3 "$SRCDIR/tests/server/idleclients.py" 127.0.0.1 "$PORT" "$DAEMON_PID" \
    "$T/daemon.log" "$N" "$N" 25 "$T/postfix" || rc=$?
[ "$rc" = 77 ] && skip_or_fail "not enough file descriptors for $N connections"
[ "$rc" = 0 ] && ok "idle connection checks" || fail "idle connection checks"
daemon_alive && ok "daemon alive" || fail "daemon died"
finish
