#!/bin/bash
# SPDX-License-Identifier: MIT
# test_peercap.sh - max_connections_per_peer on an inet listener, in a
# network namespace of its own with three non-loopback addresses
# (192.0.2.1 the daemon, .2 and .3 two clients): one address holding its
# cap of idle connections and opening more only closes its own idle
# ones (the other address keeps all of its connections), and Postfix's
# postmap -q from that address is answered; loopback clients share one
# address and are not counted per address.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_or_fail "needs root (a network namespace of its own)"
command -v python3 >/dev/null || skip_or_fail "python3 not installed"
command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
NS=tlspolicy-peercap-$$
PORT=18464
CAP=3
ip netns add "$NS" || skip_or_fail "cannot create a network namespace"
trap 'cleanup; ip netns delete "$NS" 2>/dev/null' EXIT
ip netns exec "$NS" ip link set lo up
for a in 192.0.2.1 192.0.2.2 192.0.2.3; do
    ip netns exec "$NS" ip addr add "$a/32" dev lo
done
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"

db_init
seed example.com secure
# ns_daemon CAP: the daemon inside the namespace (directly, so that $! is
# its pid), max_connections_per_peer = CAP
ns_daemon() {
    write_config <<EOF2
listen = inet:192.0.2.1:$PORT inet:127.0.0.1:$PORT
max_connections_per_peer = $1
EOF2
    : > "$T/daemon.log"   # not only in the background child: see tests/server/lib.sh
    ip netns exec "$NS" "$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f > "$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 100); do
        grep -q " ready: " "$T/daemon.log" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$T/daemon.log" >&2
    echo "FAIL: no daemon" >&2
    exit 1
}
ns_daemon "$CAP"

rc=0
ip netns exec "$NS" python3 - "$PORT" "$CAP" "$T/daemon.log" > "$T/py.out" 2>&1 <<'EOF2' || rc=$?
import socket, sys, time
PORT, CAP, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fails = 0

def check(name, cond, detail=""):
    global fails
    print(("ok: %s" if cond else "FAIL: %s " + detail) % name)
    fails += not cond

def conn(src, dst="192.0.2.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect((dst, PORT))
    return s

def closed(s, wait=2.0):
    """True when the daemon closed s (EOF within wait seconds)."""
    s.settimeout(wait)
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

def ask(s):
    s.settimeout(5)
    try:
        s.sendall(b"21:tlspolicy example.com,")
        return s.recv(100)
    except OSError:
        return b""

a = [conn("192.0.2.2") for _ in range(CAP)]
time.sleep(0.3)
b = [conn("192.0.2.3") for _ in range(CAP)]
time.sleep(0.3)
# a's cap is reached: its new connection closes a's oldest idle one
extra = conn("192.0.2.2")
check("a new connection of 192.0.2.2 at its cap is answered", ask(extra) == b"9:OK secure,")
check("192.0.2.2's connection idle longest was closed for it", closed(a[0]))
check("192.0.2.2's other connections are held", not any(closed(s, 0.3) for s in a[1:]))
check("192.0.2.3's connections are all held", not any(closed(s, 0.3) for s in b))
with open(LOG, errors="replace") as f:
    check("per-peer cap logged",
          "max_connections_per_peer (%d) reached; closing the connection idle longest" % CAP in f.read())
# loopback clients are not counted per address
lo = [conn("127.0.0.1", "127.0.0.1") for _ in range(CAP + 3)]
time.sleep(0.3)
check("loopback: %d connections held" % (CAP + 3), not any(closed(s, 0.3) for s in lo))
check("loopback: all answered", all(ask(s) == b"9:OK secure," for s in lo))
for s in a + b + lo + [extra]:
    s.close()
sys.exit(1 if fails else 0)
EOF2
cat "$T/py.out"
[ "$rc" = 0 ] && ok "per-peer cap checks" || fail "per-peer cap checks"

# Postfix's own client from an address that holds its cap: answered
# (postmap's source address is the daemon's, 192.0.2.1, so the idle
# connection is held from that address); the smallest cap, 1
stop_daemon
CAP=1
ns_daemon "$CAP"
ip netns exec "$NS" python3 -c '
import os, socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(); s.bind(("192.0.2.1", 0)); s.connect(("192.0.2.1", int(sys.argv[1])))
    socks.append(s)
print("held", flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
socks[0].settimeout(2)
try:
    print("evicted" if socks[0].recv(10) == b"" else "data", flush=True)
except ConnectionResetError:
    print("evicted", flush=True)
except socket.timeout:
    print("kept", flush=True)
' "$PORT" "$CAP" "$T/postmap.done" > "$T/hold.out" 2>&1 &
HOLD=$!
for _ in $(seq 1 50); do grep -q held "$T/hold.out" 2>/dev/null && break; sleep 0.1; done
out=$(ip netns exec "$NS" postmap -c "$T/postfix" -q example.com "socketmap:inet:192.0.2.1:$PORT:tlspolicy" 2>&1) && rc=0 || rc=$?
expect_eq "postmap -q from an address at its cap" "$rc:$out" "0:secure"
touch "$T/postmap.done"
wait "$HOLD" 2>/dev/null || true
expect_eq "that address's connection idle longest closed for postmap" "$(tail -1 "$T/hold.out")" "evicted"
finish
