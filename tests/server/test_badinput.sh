#!/bin/bash
# SPDX-License-Identifier: MIT
# test_badinput.sh - hostile clients (badclient.py): malformed netstrings,
# bad requests, a trickling client, a client that never reads; each gets
# PERM or a closed connection, is logged with its peer address, and the
# daemon keeps answering good clients with bounded memory.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_or_fail "python3 not installed"
PORT=$(free_port)
db_init
seed example.com secure
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
request_timeout = 3s
idle_timeout = 4s
EOF2
start_daemon
rss0=$(rss_kb "$DAEMON_PID")
if python3 "$SRCDIR/tests/server/badclient.py" 127.0.0.1 "$PORT" "$T/daemon.log"; then
    ok "badclient cases"
else
    fail "badclient cases"
fi
daemon_alive && ok "daemon survived" || fail "daemon died"
rss1=$(rss_kb "$DAEMON_PID")
echo "daemon RSS before ${rss0} kB, after ${rss1} kB"
if ldd "$TLSPOLICY" | grep -q libasan; then
    echo "ASan build: its quarantine keeps freed memory; RSS not checked"
else
    [ "$rss1" -lt $((rss0 + 20000)) ] && ok "memory bounded" || fail "RSS grew from $rss0 to $rss1 kB"
fi
got=$("$TLSPOLICY" query --server "inet:127.0.0.1:$PORT" example.com)
expect_eq "still answering" "$got" "OK secure"
kill -USR1 "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q "closed_malformed=" "$T/daemon.log" && break; sleep 0.1; done
grep -q "closed_malformed=" "$T/daemon.log" && ok "statistics logged on SIGUSR1" || fail "no statistics"
finish
