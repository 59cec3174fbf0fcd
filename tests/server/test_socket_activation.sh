#!/bin/bash
# SPDX-License-Identifier: MIT
# test_socket_activation.sh - `tlspolicy serve` on sockets passed by
# socket activation (LISTEN_FDS/LISTEN_PID, what tlspolicy.socket does),
# tested without systemd as init through systemd-socket-activate, which
# passes its listening sockets exactly like systemd:
#  - the daemon answers Postfix's postmap -q on the inherited TCP and
#    unix sockets and does not bind its own setting listen;
#  - restarted (SIGTERM and SIGKILL, like Restart=always) under a running
#    loop of postmap -q lookups and a persistent postmap -q - client, it
#    loses no lookup: the socket stays open in the supervisor and the
#    kernel queues connections while no daemon runs;
#  - a passed datagram socket is refused with a clear message;
#  - LISTEN_FDS meant for another process (LISTEN_PID) is ignored;
#  - readiness and stop reach NOTIFY_SOCKET (sd_notify, Type=notify).
. "$(dirname "$0")/lib.sh"

command -v systemd-socket-activate >/dev/null ||
    skip_or_fail "systemd-socket-activate (Debian systemd) not installed"
command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
"$TLSPOLICY" serve --help | grep -q LISTEN_FDS || fail "serve --help does not mention socket activation"
read -r P_SA P_OWN P_DGRAM <<<"$(free_port 3 | paste -sd " ")"

mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
pm() { postmap -c "$T/postfix" -q "$1" "$2"; }
TCP=socketmap:inet:127.0.0.1:$P_SA:tlspolicy
UNIX=socketmap:unix:$T/sa.sock:tlspolicy

db_init
seed example.com secure match=.example.com
seed example.net encrypt
# The setting listen names a port that must stay unused.
write_config <<CONF
listen = inet:127.0.0.1:$P_OWN
CONF
port_listening() { ss -Hltn "sport = :$1" | grep -q LISTEN; }

# --- the supervisor: systemd's part, Restart=always on a held socket --
# systemd-socket-activate binds the sockets, waits for the first
# connection and execs this script with LISTEN_FDS=2; the script keeps
# the sockets open and starts the daemon again whenever it exits, each
# time with LISTEN_PID set to the daemon's pid (as systemd does).
cat > "$T/supervise.sh" <<'SH'
T=$1; shift
while [ ! -e "$T/stop" ]; do
    (export LISTEN_PID=$BASHPID; echo "$BASHPID" >> "$T/pids"; exec "$@") \
        >> "$T/daemon.log" 2>&1
    sleep 0.3   # no daemon runs: connections queue in the kernel
done
SH
# (systemd-socket-activate passes only the variables named with -E)
systemd-socket-activate -l 127.0.0.1:$P_SA -l "$T/sa.sock" \
    -E ASAN_OPTIONS -E UBSAN_OPTIONS -E PATH bash "$T/supervise.sh" "$T" "$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f \
    > "$T/activate.log" 2>&1 &
SUP_PID=$!
stop_all() {
    touch "$T/stop"
    if [ -s "$T/pids" ]; then
        kill -TERM "$(tail -1 "$T/pids")" 2>/dev/null || true
    fi
    for _ in $(seq 1 50); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$SUP_PID" 2>/dev/null || true
    wait "$SUP_PID" 2>/dev/null || true
}
trap 'stop_all; cleanup' EXIT
for _ in $(seq 1 50); do [ -S "$T/sa.sock" ] && break; sleep 0.1; done

# The first connection starts the daemon (activation on demand).
expect_eq "postmap on the inherited TCP socket" "$(pm example.com "$TCP")" \
    "secure match=.example.com"
expect_eq "postmap on the inherited unix socket" "$(pm example.net "$UNIX")" "encrypt"
ready() { grep -c " ready: " "$T/daemon.log" 2>/dev/null || true; }
grep -q "listening on inet:127.0.0.1:$P_SA (socket activation" "$T/daemon.log" &&
    ok "daemon logs the inherited TCP socket" || fail "no inherited TCP socket in the log"
grep -q "listening on unix:$T/sa.sock (socket activation" "$T/daemon.log" &&
    ok "daemon logs the inherited unix socket" || fail "no inherited unix socket in the log"
port_listening $P_OWN && fail "the setting listen was bound too" ||
    ok "setting listen not used when sockets are passed"

# --- restarts under load -------------------------------------------------
# A loop of postmap -q (a new connection each) and one persistent client
# (postmap -q - keeps its connection, like Postfix's smtp processes; as
# under Postfix's master, SIGPIPE is ignored), both running from before the first restart until after the last.
(
    i=0
    while [ ! -e "$T/restarts-done" ]; do
        i=$((i + 1))
        out=$(pm example.com "$TCP" 2>&1) && rc=0 || rc=$?
        [ "$rc:$out" = "0:secure match=.example.com" ] && echo ok || echo "lookup $i: rc=$rc [$out]"
    done > "$T/loop.out"
) &
LOOP_PID=$!
(
    while [ ! -e "$T/restarts-done" ]; do
        echo example.net; echo sent >> "$T/persist.sent"; sleep 0.02
    done | (trap '' PIPE; exec postmap -c "$T/postfix" -q - "$UNIX") \
        > "$T/persist.out" 2> "$T/persist.err"
) &
PERSIST_PID=$!

restarts=0
lookups() { cat "$T/loop.out" 2>/dev/null | wc -l; }
sent() { cat "$T/persist.sent" 2>/dev/null | wc -l; }
for sig in TERM KILL TERM KILL TERM; do
    before=$(ready)
    # at least 10 lookups of each client since the last restart (not a
    # guessed time: on a busy machine each postmap takes longer), so that
    # the lookups are spread over all restarts (50 and more in all)
    l0=$(lookups) s0=$(sent)
    sleep 0.5
    for _ in $(seq 1 200); do
        [ "$(lookups)" -ge $((l0 + 10)) ] && [ "$(sent)" -ge $((s0 + 10)) ] && break
        sleep 0.1
    done
    pid=$(tail -1 "$T/pids")
    kill -"$sig" "$pid"
    # the next daemon (new pid) must come up
    for _ in $(seq 1 100); do
        [ "$(ready)" -gt "$before" ] && [ "$(tail -1 "$T/pids")" != "$pid" ] && break
        sleep 0.1
    done
    [ "$(tail -1 "$T/pids")" != "$pid" ] && restarts=$((restarts + 1))
done
sleep 0.5
touch "$T/restarts-done"
wait "$LOOP_PID" || true
wait "$PERSIST_PID" || true
expect_eq "daemon restarted 5 times (SIGTERM and SIGKILL)" "$restarts" 5
expect_eq "daemons started" "$(wc -l < "$T/pids")" 6
expect_eq "three SIGTERM stops finished in-flight replies" \
    "$(grep -c "stopping (signal 15)" "$T/daemon.log")" 3
n=$(wc -l < "$T/loop.out")
[ "$n" -ge 50 ] && ok "postmap -q loop: $n lookups across the restarts" ||
    fail "postmap -q loop: only $n lookups"
expect_eq "postmap -q loop: every lookup answered" "$(grep -c '^ok$' "$T/loop.out")" "$n"
grep -v '^ok$' "$T/loop.out" | head -5 >&2
n=$(wc -l < "$T/persist.sent")
[ "$n" -ge 50 ] && ok "persistent postmap -q -: $n lookups across the restarts" ||
    fail "persistent postmap -q -: only $n lookups"
expect_eq "persistent postmap -q -: every lookup answered" \
    "$(grep -c "^example.net	encrypt$" "$T/persist.out")" "$n"
[ -s "$T/persist.err" ] && { echo "postmap -q - stderr:" >&2; head -5 "$T/persist.err" >&2; }
if grep -Eq "Sanitizer|runtime error:" "$T/daemon.log"; then
    fail "sanitizer report in the daemon log"
fi
stop_all
trap cleanup EXIT
kill -0 "$SUP_PID" 2>/dev/null && fail "supervisor still running"

# --- a datagram socket is refused ----------------------------------------
: > "$T/dgram.log"
systemd-socket-activate --datagram -l 127.0.0.1:$P_DGRAM \
    -E ASAN_OPTIONS -E UBSAN_OPTIONS "$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f > "$T/dgram.log" 2>&1 &
DG_PID=$!
# the datagram must come after systemd-socket-activate bound the socket
# (else it is lost and no daemon starts): wait for the socket, not for a
# guessed time
for _ in $(seq 1 100); do ss -Hlun "sport = :$P_DGRAM" | grep -q . && break; sleep 0.05; done
echo x > /dev/udp/127.0.0.1/$P_DGRAM
st=0
for _ in $(seq 1 50); do kill -0 "$DG_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DG_PID" 2>/dev/null; then
    kill "$DG_PID"; fail "daemon on a datagram socket did not exit"
fi
wait "$DG_PID" || st=$?
expect_eq "datagram socket: exit status" "$st" 1
grep -q "descriptor 3 is not a listening stream socket" "$T/dgram.log" &&
    ok "datagram socket: clear message" || fail "datagram: $(cat "$T/dgram.log")"

# --- LISTEN_FDS for another pid is not ours; sd_notify (Type=notify) ----
python3 "$SRCDIR/tests/server/syslog_sink.py" --notify "$T/notify.sock" "$T/notify.out" &
SINK_PID=$!
trap 'kill "$SINK_PID" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 50); do grep -q "sink ready" "$T/notify.out" 2>/dev/null && break; sleep 0.1; done
LISTEN_FDS=1 LISTEN_PID=1 NOTIFY_SOCKET=$T/notify.sock start_daemon
expect_eq "LISTEN_PID of another process: own listen used" \
    "$(pm example.net socketmap:inet:127.0.0.1:$P_OWN:tlspolicy)" "encrypt"
grep -q "socket activation" "$T/daemon.log" && fail "foreign LISTEN_FDS adopted" ||
    ok "foreign LISTEN_FDS ignored"
grep -q "^READY=1|STATUS=answering: 2 table rows$" "$T/notify.out" &&
    ok "sd_notify: READY=1 with status once ready" || fail "notify: $(cat "$T/notify.out")"
stop_daemon
for _ in $(seq 1 20); do grep -q "^STOPPING=1$" "$T/notify.out" && break; sleep 0.1; done
grep -q "^STOPPING=1$" "$T/notify.out" && ok "sd_notify: STOPPING=1 on SIGTERM" ||
    fail "notify: $(cat "$T/notify.out")"
kill "$SINK_PID"
finish
