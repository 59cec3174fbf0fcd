#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""open.py - how long headless Chromium takes to open the report page of
50,000 destinations, side by side with a reference page in the same run.

    bench/report/open.py [-n RUNS] [--top N] [--tlspolicy BUILD/src/tlspolicy]

1. makes the log of tests/report/gen-bulk.py (50,000 domains, 30 days,
   100,000 deliveries) and renders `tlspolicy report --no-check --top 1000
   --domains` of it (the page the issue names; its size is printed);
2. the reference: the same Chromium opening a minimal page (one line of
   text), which is Chromium's own start-up and teardown;
3. runs `chromium --headless --dump-dom` of each, in turn (A B A B ...,
   so a drift of the machine hits both), RUNS times after one warm-up,
   every request sent to a dead proxy (nothing leaves the machine), and
   prints min / median / max wall seconds of each and the median of the
   pairwise differences: the page's own cost beyond Chromium's start.
Never run as a test; results in docs/benchmarks.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps",
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def dump(page, ud):
    t0 = time.monotonic()
    r = subprocess.run(["chromium"] + FLAGS + ["--user-data-dir=" + ud, "--dump-dom",
                                               "file://" + page],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    dt = time.monotonic() - t0
    if r.returncode != 0 or b"</html>" not in r.stdout:
        sys.exit("chromium failed on %s (exit %d)" % (page, r.returncode))
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--top", type=int, default=1000,
                    help="report --top (1000: the largest table; the default is 50)")
    ap.add_argument("--tlspolicy", default=os.path.join(SRC, "build", "src", "tlspolicy"))
    a = ap.parse_args()
    if shutil.which("chromium") is None:
        sys.exit("chromium is not installed (scripts/install-deps)")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as T:
        log, doms = os.path.join(T, "bulk.log"), os.path.join(T, "bulk.domains")
        subprocess.run([sys.executable, os.path.join(SRC, "tests", "report", "gen-bulk.py"),
                        log, doms, "50000", "30"], check=True)
        cf = os.path.join(T, "off.cf")
        with open(cf, "w") as f:
            f.write("dns_trust_anchor_file =\n")
        page = os.path.join(T, "report.html")
        t0 = time.monotonic()
        subprocess.run([a.tlspolicy, "-c", cf, "--db", "sqlite:" + os.path.join(T, "none.db"),
                        "report", "--no-check", "--no-snapshot", "--year", "2025", "--top",
                        str(a.top), "--from-logs", log, "--domains", doms, "--html", page],
                       check=True, env=dict(os.environ, TZ="UTC"))
        gen = time.monotonic() - t0
        ref = os.path.join(T, "ref.html")
        with open(ref, "w") as f:
            f.write("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ref</title>"
                    "</head><body><p>reference</p></body></html>\n")
        print("page: %d bytes (50,000 domains, %d rows, 30 days); tlspolicy report made "
              "it in %.2f s" % (os.path.getsize(page), a.top, gen))
        A, B = [], []
        with tempfile.TemporaryDirectory(prefix="bench-chromium-") as ud:
            dump(page, ud)
            dump(ref, ud)
            for _ in range(a.n):
                A.append(dump(page, ud))
                B.append(dump(ref, ud))
        for name, v in (("report page", A), ("reference page", B)):
            print("%-15s wall s: min %.3f  median %.3f  max %.3f  (%d runs)"
                  % (name, min(v), statistics.median(v), max(v), len(v)))
        d = [x - y for x, y in zip(A, B)]
        print("page's own cost beyond Chromium's start (median of pairwise A-B): %.3f s"
              % statistics.median(d))


if __name__ == "__main__":
    main()
