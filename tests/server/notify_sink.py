#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# notify_sink.py SOCKET OUT: systemd's side of sd_notify(3) for tests run
# without systemd as init.  Binds the datagram socket SOCKET (mode 0666,
# so a daemon that dropped privileges can send), appends every message
# received to OUT, one line per message with newlines shown as "|", and
# writes "sink ready" first.  Stops on SIGTERM; at most 600 s.
import os, signal, socket, sys

path, out = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.alarm(600)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    f.write("sink ready\n")
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        f.write(msg.strip("\n").replace("\n", "|") + "\n")
