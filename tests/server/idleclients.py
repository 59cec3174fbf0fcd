#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""idleclients.py - many idle socketmap connections against a daemon.

usage: idleclients.py HOST PORT DAEMON_PID LOGFILE N CAP IDLE_TIMEOUT

Opens N idle connections (N = CAP, the daemon's max_connections), checks
the daemon holds them all (its SIGUSR1 statistics), prints its RSS, checks
that connection N+1 is closed at once and logged, that a good client is
answered once a slot is free, and that idle_timeout closes the idle
connections.  Exit 0 when all checks pass.
"""
import re
import resource
import signal
import socket
import sys
import time

HOST, PORT, PID, LOG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
N, CAP, IDLE = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok: %s" if cond else "FAIL: %s " + detail) % name)
    if not cond:
        failures += 1


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def daemon_connections():
    """The daemon's connection count from a fresh SIGUSR1 stats line."""
    with open(LOG, errors="replace") as f:
        before = len(f.read())
    import os
    os.kill(PID, signal.SIGUSR1)
    deadline = time.time() + 5
    while time.time() < deadline:
        with open(LOG, errors="replace") as f:
            text = f.read()[before:]
        m = re.search(r"stats: connections=(\d+)", text)
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    return -1


def ns(payload):
    return str(len(payload)).encode() + b":" + payload + b","


def ask(key):
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.sendall(ns(b"tlspolicy " + key))
    data = s.recv(1000)
    s.close()
    return data


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if hard < N + 100:
    print("SKIP: open files hard limit %d < %d" % (hard, N + 100))
    sys.exit(77)

rss_start = rss_kb(PID)
socks = []
t0 = time.time()
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((HOST, PORT))
    socks.append(s)
print("opened %d connections in %.1fs" % (N, time.time() - t0))

held = -1
for _ in range(100):
    held = daemon_connections()
    if held >= N:
        break
    time.sleep(0.1)
check("daemon holds %d idle connections" % N, held == N, "(holds %d)" % held)
rss = rss_kb(PID)
print("daemon RSS: %d kB at start, %d kB with %d idle connections (%.0f bytes each)"
      % (rss_start, rss, N, (rss - rss_start) * 1024.0 / N))
check("RSS under 100 MB with %d idle connections" % N, rss < 100 * 1024, "(%d kB)" % rss)

# over the cap: closed at once, logged
extra = socket.create_connection((HOST, PORT), timeout=5)
try:
    d = extra.recv(10)
except ConnectionResetError:
    d = b""
check("connection over max_connections closed at once", d == b"")
extra.close()
with open(LOG, errors="replace") as f:
    check("cap logged", "max_connections (%d) reached" % CAP in f.read())

# a free slot: a good client is answered
socks.pop().close()
for _ in range(100):  # until the daemon saw the close, not a guessed time
    if 0 <= daemon_connections() < N:
        break
    time.sleep(0.1)
r = ask(b"example.com")
check("good client answered with %d connections open" % (N - 1), r == b"9:OK secure,", repr(r))

# idle_timeout closes the idle ones
deadline = time.time() + IDLE + 15
left = -1
while time.time() < deadline:
    left = daemon_connections()
    if left == 0:
        break
    time.sleep(1)
check("idle_timeout closed the idle connections", left == 0, "(%d left)" % left)
s0 = socks[0]
s0.settimeout(2)
try:
    check("an idle client sees EOF", s0.recv(10) == b"")
except ConnectionResetError:
    check("an idle client sees EOF (reset)", True)
for s in socks:
    s.close()
print("daemon RSS after: %d kB" % rss_kb(PID))
sys.exit(1 if failures else 0)
