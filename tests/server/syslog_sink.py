#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""syslog_sink.py [--notify] PATH OUTFILE - a /dev/log stand-in: receives
syslog datagrams on the unix socket PATH (mode 0666) and appends them, one
per line, to OUTFILE after a first line "sink ready" (used inside a private
mount namespace by test_daemon.sh).
--notify: systemd's side of sd_notify(3) instead (NOTIFY_SOCKET, for tests
without systemd as init): a message's newlines are written as "|"; stops
after 600 s at most."""
import os
import signal
import socket
import sys

notify = sys.argv[1] == "--notify"
path, out = sys.argv[1 + notify], sys.argv[2 + notify]
if notify:
    signal.alarm(600)
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
        d = s.recv(65536).rstrip(b"\0\n")
        f.write((d.replace(b"\n", b"|") if notify else d) + b"\n")
