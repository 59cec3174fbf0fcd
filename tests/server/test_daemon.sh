#!/bin/bash
# SPDX-License-Identifier: MIT
# test_daemon.sh - operations of `tlspolicy serve`: background start with
# pid file and lock, start-up errors on the terminal, syslog facility
# mail, privilege drop (setting user) and its errors, open-files limit,
# close-on-exec, unix socket mode/owner, IPv6, the non-loopback warning,
# timer reload, SIGTERM.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_or_fail "needs root (privilege drop)"
read -r P1 P2 <<<"$(free_port 2 | paste -sd " ")"
P3=18466   # inside a network namespace of its own (unshare -n)
db_init
seed example.com secure
chmod 755 "$T"  # the unprivileged user must reach the socket dir

# --- start-up errors are one clear line and exit 1 -------------------
write_config <<CONF
listen = inet:127.0.0.1:$P1
user = no-such-user-tlspolicy
CONF
out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f 2>&1) && rc=0 || rc=$?
expect_eq "missing user: exit" "$rc" 1
echo "$out" | grep -q 'user "no-such-user-tlspolicy" (setting user) does not exist' &&
    ok "missing user: message" || fail "missing user: [$out]"
write_config <<CONF
listen = inet:127.0.0.1:$P1
CONF
out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" --db sqlite:/dev/null/x.db serve 2>&1) && rc=0 || rc=$?
expect_eq "background start, bad database: exit" "$rc" 1
echo "$out" | grep -q "tlspolicy serve: " && ok "background start error on the terminal: $out" ||
    fail "no error on the terminal: [$out]"
out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f --listen bogus:1 2>&1) && rc=0 || rc=$?
expect_eq "bad listen spec: exit" "$rc" 1
echo "$out" | grep -q "expected inet:HOST:PORT or unix:PATH" && ok "bad listen spec: message" ||
    fail "bad listen spec: [$out]"

# --- background, pid file, lock, syslog (private /dev with a sink) ---
cat > "$T/bg.sh" <<SCRIPT
set -e
mount -t tmpfs tmpfs /dev
mknod -m 666 /dev/null c 1 3
python3 "$SRCDIR/tests/server/syslog_sink.py" /dev/log "$T/syslog.txt" &
sink=\$!
for i in \$(seq 1 50); do grep -q "sink ready" "$T/syslog.txt" 2>/dev/null && break; sleep 0.1; done
"$TLSPOLICY" -c "$T/tlspolicy.cf" serve
echo "started rc=\$?"
pid=\$(cat "$T/tlspolicy.pid")
"$TLSPOLICY" query --server inet:127.0.0.1:$P1 example.com
"$TLSPOLICY" -c "$T/tlspolicy.cf" serve 2>&1 || echo "second rc=\$?"
kill -USR1 \$pid
sleep 0.2
kill -TERM \$pid
for i in \$(seq 1 50); do kill -0 \$pid 2>/dev/null || break; sleep 0.1; done
kill -0 \$pid 2>/dev/null && echo "still running" || echo "stopped"
sleep 0.2
kill \$sink
SCRIPT
write_config <<CONF
listen = inet:127.0.0.1:$P1
CONF
out=$(unshare -m --propagation private bash "$T/bg.sh" 2>&1) || true
echo "$out" | grep -q "^started rc=0" && ok "background start exit 0" || fail "background: [$out]"
echo "$out" | grep -q "^OK secure" && ok "background daemon answers" || fail "background: [$out]"
echo "$out" | grep -q "already running (pid [0-9]*, pid file" && ok "pid file lock: second start refused" ||
    fail "second start: [$out]"
echo "$out" | grep -q "second rc=1" && ok "second start exit 1" || fail "second start rc: [$out]"
echo "$out" | grep -q "^stopped" && ok "SIGTERM stops the background daemon" || fail "not stopped: [$out]"
[ ! -e "$T/tlspolicy.pid" ] && ok "pid file removed" || fail "pid file left"
# <22> = facility mail (2) * 8 + info (6); <20> = mail.warning
grep -q '^<22>.*tlspolicy\[[0-9]*\]: tlspolicy .* ready' "$T/syslog.txt" &&
    ok "syslog facility mail" || fail "syslog: $(cat "$T/syslog.txt" 2>/dev/null)"
grep -q '<22>.*stats: connections=' "$T/syslog.txt" && ok "SIGUSR1 statistics in syslog" ||
    fail "no statistics in syslog"
grep -q '<20>.*running as root' "$T/syslog.txt" && ok "user = root warns" || fail "no root warning"

# --- privilege drop, limits, close-on-exec, unix socket owner --------
write_config <<CONF
listen = inet:127.0.0.1:$P2 unix:$T/s.sock
user = nobody
reload_interval = 1s
unix_socket_mode = 0660
unix_socket_owner = nobody:nogroup
CONF
(ulimit -Sn 1024; exec "$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f > "$T/daemon.log" 2>&1) &
DAEMON_PID=$!
for _ in $(seq 1 50); do grep -q " ready: " "$T/daemon.log" && break; sleep 0.1; done
grep -q "running as nobody" "$T/daemon.log" && ok "ready line names the user" || fail "ready line"
uids=$(awk '/^Uid:/ {print $2,$3,$4,$5}' /proc/$DAEMON_PID/status)
gids=$(awk '/^Gid:/ {print $2,$3,$4,$5}' /proc/$DAEMON_PID/status)
groups=$(awk '/^Groups:/ {print $2,$3}' /proc/$DAEMON_PID/status)
expect_eq "uid dropped (real effective saved fs)" "$uids" "65534 65534 65534 65534"
expect_eq "gid dropped" "$gids" "65534 65534 65534 65534"
expect_eq "supplementary groups" "$groups" "65534 "
soft=$(awk '/^Max open files/ {print $4}' /proc/$DAEMON_PID/limits)
hard=$(awk '/^Max open files/ {print $5}' /proc/$DAEMON_PID/limits)
expect_eq "RLIMIT_NOFILE soft raised to hard" "$soft" "$hard"
bad=""
for f in /proc/$DAEMON_PID/fdinfo/*; do
    fd=${f##*/}
    [ "$fd" -le 2 ] && continue
    flags=$(awk '/^flags:/ {print $2}' "$f")
    [ $((8#$flags & 8#2000000)) != 0 ] || bad="$bad $fd:$(readlink /proc/$DAEMON_PID/fd/$fd)"
done
expect_eq "every descriptor close-on-exec" "$bad" ""
expect_eq "unix socket mode and owner" "$(stat -c '%a %U %G' "$T/s.sock")" "660 nobody nogroup"
expect_eq "answers after the drop" "$("$TLSPOLICY" query --server unix:$T/s.sock example.com)" "OK secure"
# reload_interval: a new row is served without a signal (SIGHUP: test_postmap)
seed new.example dane-only
got=""
for _ in $(seq 1 50); do
    got=$("$TLSPOLICY" query --server "inet:127.0.0.1:$P2" new.example) && break
    sleep 0.1
done
expect_eq "timer reload (reload_interval) after the privilege drop" "$got" "OK dane-only"
# the table goes away: the last snapshot keeps serving, one log line per
# outage, one when it is back
command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 not installed"
sqlite3 "$T/policy.db" "ALTER TABLE tlspolicies RENAME TO tlspolicies_gone"
# wait for three failed reloads (counted in the SIGUSR1 statistics), not
# for a guessed time
failures=0
for _ in $(seq 1 150); do
    kill -USR1 "$DAEMON_PID"
    sleep 0.1
    failures=$(sed -n 's/.*reload_failures=\([0-9]*\).*/\1/p' "$T/daemon.log" | tail -n 1)
    [ "${failures:-0}" -ge 3 ] && break
done
[ "${failures:-0}" -ge 3 ] && ok "outage: $failures failed reloads" ||
    fail "outage: only ${failures:-0} failed reloads seen"
expect_eq "outage: still answering from the snapshot" \
    "$("$TLSPOLICY" query --server "inet:127.0.0.1:$P2" new.example)" "OK dane-only"
expect_eq "outage: logged once" "$(grep -c 'policy table unavailable' "$T/daemon.log")" 1
sqlite3 "$T/policy.db" "ALTER TABLE tlspolicies_gone RENAME TO tlspolicies"
for _ in $(seq 1 50); do grep -q "policy table available again" "$T/daemon.log" && break; sleep 0.1; done
grep -q "policy table available again: 2 rows" "$T/daemon.log" && ok "recovery logged" ||
    fail "no recovery line"
expect_eq "outage: still one outage line" "$(grep -c 'policy table unavailable' "$T/daemon.log")" 1
stop_daemon
grep -Eq "^[0-9T:.-]+ tlspolicy\[[0-9]+\]: stopped" "$T/daemon.log" && ok "SIGTERM: clean stop" || fail "no clean stop"

# --- IPv6 and a non-loopback address, in a private network namespace --
cat > "$T/ns.sh" <<SCRIPT
ip link set lo up
ip addr add 192.0.2.1/32 dev lo
"$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f --listen 'inet:[::1]:$P3' --listen inet:192.0.2.1:$P3 > "$T/ns.log" 2>&1 &
pid=\$!
for i in \$(seq 1 50); do grep -q " ready: " "$T/ns.log" && break; sleep 0.1; done
"$TLSPOLICY" query --server 'inet:[::1]:$P3' example.com
"$TLSPOLICY" query --server inet:192.0.2.1:$P3 example.com
kill \$pid; wait \$pid
SCRIPT
write_config <<CONF
user = root
CONF
if [ ! -e /proc/net/if_inet6 ]; then
    skip_part "IPv6 listener checks: the kernel has no IPv6 (/proc/net/if_inet6)"
elif ! unshare -n true 2>/dev/null; then
    skip_part "IPv6 and non-loopback listener checks: cannot create a network namespace (unshare -n)"
else
    out=$(unshare -n bash "$T/ns.sh" 2>&1) || true
    expect_eq "IPv6 and 192.0.2.1 listeners answer" "$out" "$(printf 'OK secure\nOK secure')"
    grep -q "warning: listening on a non-loopback address" "$T/ns.log" &&
        ok "non-loopback warning" || fail "no non-loopback warning: $(cat "$T/ns.log")"
    grep -q "listening on inet:\[::1\]:$P3" "$T/ns.log" && ok "IPv6 listener" || fail "IPv6 listener"
fi
finish
