#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""coldgen - asks a socketmap server for every key of a list exactly
once (benchmark only), with at most C requests in flight on C
persistent connections, one request at a time on each (as Postfix's
smtp(8) processes do).  Prints one JSON object: keys, wall time,
lookups/s, latency percentiles and the replies by kind (and by reply
text for OK), so a cold-cache discovery run can be timed end to end.

Usage: coldgen.py -s HOST:PORT -k KEYFILE [-c CONC] [-m MAP] [-t TIMEOUT]
"""
import argparse
import asyncio
import json
import sys
import time


def netstring(b):
    return str(len(b)).encode() + b":" + b + b","


async def read_netstring(reader):
    head = await reader.readuntil(b":")
    n = int(head[:-1])
    if n > 100000:
        raise ValueError("reply too long")
    body = await reader.readexactly(n + 1)
    if body[-1:] != b",":
        raise ValueError("bad netstring")
    return body[:-1].decode(errors="replace")


async def worker(host, port, mapname, queue, results, timeout):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                key = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.monotonic()
            writer.write(netstring(f"{mapname} {key}".encode()))
            try:
                reply = await asyncio.wait_for(read_netstring(reader), timeout)
            except asyncio.TimeoutError:
                reply = "TIMEOUT"
            results.append((key, time.monotonic() - t0, reply))
    finally:
        writer.close()


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    i = min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))
    return sorted_vals[i]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", "--server", required=True)
    ap.add_argument("-k", "--keys", required=True)
    ap.add_argument("-c", "--concurrency", type=int, default=100)
    ap.add_argument("-m", "--map", default="tlspolicy")
    ap.add_argument("-t", "--timeout", type=float, default=60.0)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    keys = [l.strip() for l in open(a.keys) if l.strip() and not l.startswith("#")]
    queue = asyncio.Queue()
    for k in keys:
        queue.put_nowait(k)
    results = []
    conc = max(1, min(a.concurrency, len(keys)))
    t0 = time.monotonic()
    await asyncio.gather(*(worker(host, int(port), a.map, queue, results, a.timeout)
                           for _ in range(conc)))
    wall = time.monotonic() - t0
    lat = sorted(r[1] for r in results)
    kinds, texts = {}, {}
    for _, _, reply in results:
        kind = reply.split(" ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "OK":
            texts[reply[3:]] = texts.get(reply[3:], 0) + 1
    out = {
        "keys": len(keys), "answered": len(results), "concurrency": conc,
        "wall_s": round(wall, 3), "lookups_per_s": round(len(results) / wall, 1),
        "latency_ms": {p: round(pct(lat, float(p)) * 1000, 1)
                       for p in ("50", "90", "99", "100")},
        "replies": kinds, "ok_texts": texts,
        "not_ok": [[k, r] for k, _, r in results if not r.startswith("OK")][:10],
    }
    print(json.dumps(out))
    return 0 if len(results) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
