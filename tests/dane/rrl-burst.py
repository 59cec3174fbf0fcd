#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# rrl-burst.py SERVER N - sends N AAAA queries for mx.dI.bulk.example
# (NODATA answers of one zone, what the DANE benchmark asks) to the
# authoritative SERVER:53 at once over UDP and prints how many came
# back complete (NOERROR, TC clear) within 3 s.  Response rate limiting
# drops or truncates most of them.
import random, select, socket, struct, sys, time

server, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
ids = {}
for i in range(1, n + 1):
    qid = random.randrange(65536)
    while qid in ids:
        qid = random.randrange(65536)
    ids[qid] = i
    name = b"".join(bytes([len(l)]) + l for l in
                    ("mx.d%d.bulk.example" % (i % 1000 + 1)).encode().split(b".")) + b"\0"
    s.sendto(struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 28, 1),
             (server, 53))
good = seen = 0
end = time.time() + 3
while time.time() < end and seen < n:
    r, _, _ = select.select([s], [], [], max(0, end - time.time()))
    if not r:
        break
    data = s.recv(4096)
    qid, flags = struct.unpack(">HH", data[:4])
    if qid not in ids:
        continue
    del ids[qid]
    seen += 1
    if not flags & 0x0200 and flags & 0xF == 0:
        good += 1
print(good)
