#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ab.py - open several HTML pages alternately in headless Chromium, cold
(a new chromium --dump-dom process each time) and in one running browser
(a new tab each time, over the DevTools pipe), and print the medians:

    bench/report/ab.py RUNS PAGE.html [PAGE.html ...]

e.g. a one-line reference page, the report page of main's binary and the
one of a branch (pages made as bench/report/open.py makes them).  Never
run as a test; results in docs/benchmarks.md."""
import os
import statistics
import sys
import tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import open as o  # noqa: E402
if len(sys.argv) < 3:
    sys.exit(__doc__)
pages = [os.path.abspath(p) for p in sys.argv[2:]]
n = int(sys.argv[1])
cold = {p: [] for p in pages}; warm = {p: [] for p in pages}
with tempfile.TemporaryDirectory() as ud:
    for p in pages: o.dump(p, ud)
    for _ in range(n):
        for p in pages: cold[p].append(o.dump(p, ud))
with tempfile.TemporaryDirectory() as ud:
    br = o.Browser(ud)
    for p in pages: br.open(p)
    for _ in range(n):
        for p in pages: warm[p].append(br.open(p))
    br.close()
for p in pages:
    w = [x[0] for x in cold[p]]; c = [x[1] for x in cold[p]]; v = [x[0] for x in warm[p]]
    print("%-12s cold wall %.3f (%.3f)  cpu %.3f (%.3f) | running browser %.3f (%.3f) s, layout %.3f s, tasks %.3f s" % (
        p.rsplit("/",1)[1], statistics.median(w), min(w), statistics.median(c), min(c), statistics.median(v), min(v),
        statistics.median([x[1]["LayoutDuration"] for x in warm[p]]), statistics.median([x[1]["TaskDuration"] for x in warm[p]])))
