#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""idleclients.py - many idle socketmap connections against a daemon.

usage: idleclients.py HOST PORT DAEMON_PID LOGFILE N CAP IDLE_TIMEOUT POSTFIX_CONFIG_DIR

Opens N idle connections (N = CAP, the daemon's max_connections), checks
the daemon holds them all (its SIGUSR1 statistics), prints its RSS, checks
that a client over the cap (a plain one, then Postfix's postmap -q) is
answered while the daemon closes the connection idle longest for it (and
logs that), and that idle_timeout closes the idle connections.  Exit 0 when all checks pass.
"""
import re
import resource
import signal
import socket
import subprocess
import sys
import time

HOST, PORT, PID, LOG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
N, CAP, IDLE = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
PFDIR = sys.argv[8]
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


def closed_by_daemon(s, wait=5):
    """b"" when the daemon closed s within wait seconds, None if not."""
    s.settimeout(wait)
    try:
        return s.recv(10)
    except ConnectionResetError:
        return b""
    except socket.timeout:
        return None


def ask(key):
    """One request on a new connection; b"" when the daemon closed it."""
    s = socket.create_connection((HOST, PORT), timeout=5)
    try:
        s.sendall(ns(b"tlspolicy " + key))
        data = s.recv(1000)
    except OSError:
        data = b""
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

# At the cap a new client is still served: the daemon closes the
# connection idle longest (socks[0], the first opened) instead of the
# new one, and logs it.
r = ask(b"example.com")
check("client over max_connections answered (%d idle held)" % N, r == b"9:OK secure,", repr(r))
d = closed_by_daemon(socks[0])
check("the connection idle longest was closed for it", d == b"", repr(d))
if d == b"":
    socks[0].close()     # else it stays held: the cap is still reached
with open(LOG, errors="replace") as f:
    check("cap logged", "max_connections (%d) reached; closing the connection idle longest" % CAP in f.read())

# Postfix's own client, with the cap reached again (one more idle
# connection in place of the closed one): answered
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((HOST, PORT))
socks.append(s)
for _ in range(100):
    if daemon_connections() >= N:
        break
    time.sleep(0.1)
pm = subprocess.run(["postmap", "-c", PFDIR, "-q", "example.com",
                     "socketmap:inet:%s:%d:tlspolicy" % (HOST, PORT)],
                    capture_output=True, text=True, timeout=30)
check("postmap -q answered with %d idle connections held" % N,
      pm.returncode == 0 and pm.stdout.strip() == "secure",
      "(rc %d, %r %r)" % (pm.returncode, pm.stdout, pm.stderr))
d = closed_by_daemon(socks[1])
check("then the next idle one was closed", d == b"", repr(d))
socks = socks[2:]
# the others are still held
held = daemon_connections()
check("the other %d idle connections are still held" % (N - 1), held >= N - 1, "(holds %d)" % held)

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
