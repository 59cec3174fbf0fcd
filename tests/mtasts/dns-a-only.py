#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# dns-a-only.py PORT ADDR - a UDP DNS server on 127.0.0.1:PORT for
# fetch-nginx.sh: every A query is answered ADDR at once, every other
# query never (an AAAA that hangs, as at some broken name servers).
import socket, struct, sys

port, addr = int(sys.argv[1]), socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i] != 0:      # the question's name
        i += 1 + q[i]
    if i + 5 > len(q):
        continue
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    if qtype != 1:
        continue
    head = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + addr
    s.sendto(head + q[12:i + 5] + answer, peer)
