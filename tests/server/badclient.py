#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""badclient.py - hostile socketmap clients against a running daemon.

usage: badclient.py HOST PORT LOGFILE

Each case sends one kind of bad input and checks that it gets a PERM
reply or a closed connection, that the refusal is logged with the peer
address, and that a well-behaved client is answered right afterwards.
Exit 0 when every case passed, 1 otherwise.
"""
import os
import socket
import sys
import time

HOST, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
GOOD_KEY = b"example.com"
GOOD_REPLY = b"OK secure"
failures = 0


def ns(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


def connect(timeout=5.0):
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    return s


def read_netstring(s):
    """One reply payload, or None when the server closed."""
    data = b""
    while b":" not in data:
        c = s.recv(1)
        if not c:
            return None
        data += c
    n = int(data[:-1])
    body = b""
    while len(body) < n + 1:
        c = s.recv(n + 1 - len(body))
        if not c:
            return None
        body += c
    assert body[-1:] == b",", body
    return body[:-1]


def closed_by_server(s, timeout=8.0):
    """True when the server closes the connection within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def log_has(text, peer):
    # the daemon logs "HOST:PORT: reason"
    deadline = time.time() + 3
    want = "%s:%d: " % peer
    while time.time() < deadline:
        with open(LOG, errors="replace") as f:
            for line in f:
                if want in line and text in line:
                    return True
        time.sleep(0.1)
    return False


def check(name, cond, detail=""):
    global failures
    if cond:
        print("ok: %s" % name)
    else:
        failures += 1
        print("FAIL: %s %s" % (name, detail))


def good_client(name):
    s = connect()
    s.sendall(ns(b"tlspolicy " + GOOD_KEY))
    r = read_netstring(s)
    s.close()
    check("%s: a good client is answered afterwards" % name, r == GOOD_REPLY, repr(r))


def case_close(name, data, logtext, shut=False):
    s = connect()
    peer = s.getsockname()
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    check("%s: connection closed" % name, closed_by_server(s))
    s.close()
    check("%s: logged with peer address" % name, log_has(logtext, peer))
    good_client(name)


def case_perm(name, payload, logtext):
    s = connect()
    peer = s.getsockname()
    # the bad request and a good one behind it on the same connection
    s.sendall(ns(payload) + ns(b"tlspolicy " + GOOD_KEY))
    r = read_netstring(s)
    check("%s: PERM reply" % name, r is not None and r.startswith(b"PERM "), repr(r))
    r2 = read_netstring(s)
    check("%s: connection still serves" % name, r2 == GOOD_REPLY, repr(r2))
    s.close()
    check("%s: logged with peer address" % name, log_has(logtext, peer))
    good_client(name)


# --- malformed netstrings: closed --------------------------------------
case_close("non-digit length", b"x:abc,", "malformed netstring")
case_close("leading zero", b"01:a,", "leading zero")
case_close("length overflow", b"99999999999999999999999999:", "over the limit")
case_close("length over the limit", b"10001:" + b"a" * 100, "over the limit")
case_close("missing ':'", b"3abc,", "malformed netstring")
case_close("missing ','", b"3:abc;", "missing ','")
case_close("EOF mid-request", b"21:tlspolicy exa", "middle of a request", shut=True)

# --- malformed requests: PERM, connection stays ----------------------
case_perm("NUL in key", b"tlspolicy exa\x00mple.com", "NUL byte")
case_perm("control bytes in key", b"tlspolicy \x01\x02\x1b[0m", "control character")
case_perm("no space (no name)", b"tlspolicy", "expected")
case_perm("empty name", b" example.com", "empty map name")
case_perm("empty key", b"tlspolicy ", "empty key")

# --- 8-bit garbage key: answered like an unlisted key (never defers mail)
s = connect()
s.sendall(ns(b"tlspolicy \xff\xfe\x80garbage"))
r = read_netstring(s)
check("8-bit key: NOTFOUND (no _default)", r == b"NOTFOUND ", repr(r))
# the largest request the protocol allows is read and answered
s.sendall(ns(b"tlspolicy " + b"a" * (10000 - 10)))
r = read_netstring(s)
check("10000-byte request answered", r == b"NOTFOUND ", repr(r))
s.close()

# --- one byte a second: closed after request_timeout ------------------
s = connect()
peer = s.getsockname()
start = time.time()
closed = False
for b in ns(b"tlspolicy " + GOOD_KEY):
    try:
        s.send(bytes([b]))
    except (BrokenPipeError, ConnectionResetError):
        closed = True
        break
    s.settimeout(1.0)
    try:
        d = s.recv(100)
        if d == b"":
            closed = True
            break
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
        break
    if time.time() - start > 20:
        break
check("slow client: closed before its request completed", closed)
check("slow client: logged", log_has("request_timeout", peer))
good_client("slow client")

# --- a client that never reads its replies -----------------------------
s = connect()
peer = s.getsockname()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
req = ns(b"tlspolicy " + GOOD_KEY) * 1000
sent = 0
s.settimeout(1.0)
deadline = time.time() + 30
closed = False
while time.time() < deadline:
    try:
        sent += s.send(req)
    except socket.timeout:
        continue  # daemon stopped reading from us: keep trying
    except (BrokenPipeError, ConnectionResetError):
        closed = True
        break
check("non-reading client: closed (sent %d bytes)" % sent, closed)
check("non-reading client: logged", log_has("does not read its replies", peer))
s.close()
good_client("non-reading client")

sys.exit(1 if failures else 0)
