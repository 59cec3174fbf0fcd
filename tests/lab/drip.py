#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# drip.py: an HTTPS server for the tlspolicy lab that answers every request
# with "200 OK" headers (text/plain) at once and then the body one byte a
# second, to test fetch timeouts.  One thread per connection.
#
# Usage: drip.py ADDRESS PORT CERTCHAIN KEY BODYFILE
# LIMITS: at most 64 connections at a time; a connection ends after the
# body or when the client goes away.
import socket
import ssl
import sys
import threading
import time

MAX_CONN = 64


def serve(ctx, raw, peer, body, sem):
    conn = raw
    try:
        raw.settimeout(30)
        conn = ctx.wrap_socket(raw, server_side=True)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 16384:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        for i in range(len(body)):
            conn.sendall(body[i:i + 1])
            time.sleep(1)
    except (OSError, ssl.SSLError) as e:
        print("drip: %s: %s" % (peer[0], e), flush=True)
    finally:
        try:
            conn.close()
        except OSError:
            pass
        sem.release()


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: drip.py ADDRESS PORT CERTCHAIN KEY BODYFILE")
    addr, port, cert, key, bodyfile = sys.argv[1:]
    with open(bodyfile, "rb") as f:
        body = f.read()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsock = socket.create_server((addr, int(port)), reuse_port=False)
    sem = threading.Semaphore(MAX_CONN)
    print("drip: listening on %s:%s" % (addr, port), flush=True)
    while True:
        raw, peer = lsock.accept()
        if not sem.acquire(blocking=False):
            raw.close()
            continue
        threading.Thread(target=serve, args=(ctx, raw, peer, body, sem),
                         daemon=True).start()


if __name__ == "__main__":
    main()
