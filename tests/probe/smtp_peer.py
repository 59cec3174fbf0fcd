#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""smtp_peer.py - a scripted SMTP server for tests/probe/probe-peer.sh.

It plays the server side of an SMTP session with STARTTLS (Python's ssl
module, i.e. OpenSSL) and misbehaves on purpose, one behaviour per port,
so that the probe's handling of broken servers can be tested without a
lab: multi-line banners, 5xx banners, refused EHLO or STARTTLS, closing
or talking garbage during the handshake, silence, overlong lines, bytes
injected after the STARTTLS reply.  Real Postfix servers are tested in
the lab (probe-lab.sh).

usage: smtp_peer.py CERT KEY BASEPORT PIDFILE
Listens on 127.0.0.1 (and ::1 for the "ok" behaviour) at BASEPORT+N for
every behaviour N in BEHAVIOURS; writes PIDFILE when all are listening.
"""
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

BEHAVIOURS = [
    "ok",              # +0  3-line banner, EHLO, STARTTLS, TLS, EHLO, QUIT
    "banner554",       # +1  554 banner
    "ehlo502",         # +2  EHLO refused
    "starttls454",     # +3  STARTTLS refused
    "close-after-220", # +4  closes after "220 go ahead"
    "silent",          # +5  accepts, says nothing
    "garbage",         # +6  HTTP instead of SMTP
    "inject",          # +7  extra line after the STARTTLS reply
    "not-tls",         # +8  plaintext instead of a ServerHello
    "long-line",       # +9  2000-byte banner line
    "stall-ehlo",      # +10 half an EHLO reply, then silence
    "no-ehlo-tls",     # +11 TLS ok, then closes instead of answering EHLO
    "many-lines",      # +12 EHLO reply of 150 lines
    "no-starttls",     # +13 EHLO without STARTTLS
]


def readline(f):
    line = f.readline(4096)
    return line.decode("latin-1").strip() if line else None


def session(sock, behaviour, ctx):
    f = sock.makefile("rwb", buffering=0)

    def send(s):
        f.write(s.encode("latin-1"))

    if behaviour == "silent":
        time.sleep(30)
        return
    if behaviour == "garbage":
        send("HTTP/1.1 400 Bad Request\r\n\r\n")
        time.sleep(1)
        return
    if behaviour == "banner554":
        send("554 5.7.1 peer.test no service for you\r\n")
        readline(f)
        return
    if behaviour == "long-line":
        send("220 " + "x" * 2000 + "\r\n")
        time.sleep(1)
        return
    send("220-peer.test ESMTP scripted\r\n220-second banner line\r\n220 third\r\n")
    while True:
        line = readline(f)
        if line is None:
            return
        cmd = line.split(" ")[0].upper()
        if cmd in ("EHLO", "HELO"):
            if behaviour == "ehlo502":
                send("502 5.5.2 EHLO not implemented\r\n")
                continue
            if behaviour == "stall-ehlo":
                send("250-peer.test\r\n250-PIPE")
                time.sleep(30)
                return
            if behaviour == "many-lines":
                send("".join("250-EXT%d\r\n" % i for i in range(150)) + "250 LAST\r\n")
                continue
            ext = ["PIPELINING", "SIZE 1000000", "8BITMIME"]
            if behaviour != "no-starttls":
                ext.insert(1, "STARTTLS")
            send("250-peer.test greets " + line[5:] + "\r\n")
            send("".join("250-%s\r\n" % e for e in ext[:-1]) + "250 %s\r\n" % ext[-1])
        elif cmd == "STARTTLS":
            if behaviour == "starttls454":
                send("454 4.7.0 TLS not available\r\n")
                continue
            if behaviour == "close-after-220":
                send("220 2.0.0 go ahead\r\n")
                return
            if behaviour == "inject":
                send("220 2.0.0 go ahead\r\n250 injected\r\n")
                time.sleep(1)
                return
            if behaviour == "not-tls":
                send("220 2.0.0 go ahead\r\n")
                time.sleep(0.2)
                send("this is not a TLS ServerHello\r\n" * 5)
                time.sleep(1)
                return
            send("220 2.0.0 Ready to start TLS\r\n")
            try:
                tls = ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
            ft = tls.makefile("rwb", buffering=0)
            line = readline(ft)
            if line is None or behaviour == "no-ehlo-tls":
                tls.close()
                return
            ft.write(b"250-peer.test after TLS\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n")
            line = readline(ft)
            if line and line.upper().startswith("QUIT"):
                ft.write(b"221 2.0.0 bye\r\n")
            tls.close()
            return
        elif cmd == "QUIT":
            send("221 2.0.0 bye\r\n")
            return
        else:
            send("502 5.5.1 unknown command\r\n")


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            session(self.request, self.server.behaviour, self.server.ctx)
        except (OSError, ssl.SSLError):
            pass


class Server4(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


class Server6(Server4):
    address_family = socket.AF_INET6


def main():
    cert, key, base, pidfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    servers = []
    for i, b in enumerate(BEHAVIOURS):
        addrs = [(Server4, "127.0.0.1")]
        if b == "ok":
            addrs.append((Server6, "::1"))
        for cls, host in addrs:
            s = cls((host, base + i), Handler)
            s.behaviour = b
            s.ctx = ctx
            servers.append(s)
            threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
