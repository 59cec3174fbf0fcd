#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""syslog_sink.py PATH OUTFILE - a /dev/log stand-in: receives syslog
datagrams on the unix socket PATH and appends them, one per line, to
OUTFILE (used inside a private mount namespace by test_daemon.sh)."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    f.write(b"sink ready\n")
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\0\n") + b"\n")
