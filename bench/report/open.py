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
   prints min / median / max wall and CPU seconds (all of Chromium's
   processes) of each and the median of the pairwise differences: the
   page's own cost beyond Chromium's start;
4. the page's own time inside the renderer, which a loaded machine
   disturbs less than the whole process: a copy of the page without its
   CSP and with a timing script (navigation timing: the response read,
   domInteractive = the HTML parsed, the load event, then a forced
   layout), RUNS times, median and min in milliseconds;
5. the page opened in a Chromium that is already running (as an admin
   opens it: a new tab of the browser they have open), driven over the
   DevTools pipe: from Page.navigate until the page's main thread is
   free after the load event (a Runtime.evaluate answered), and
   Chromium's own layout / style / task seconds for it
   (Performance.getMetrics), page and reference alternating in one
   browser, a fresh tab each time.
Never run as a test; results in docs/benchmarks.md.
"""
import argparse
import json
import os
import re
import resource
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


TIMING = ("<script>addEventListener('load',function(){var a=performance.now();"
          "document.body.offsetHeight;var b=performance.now();"
          "var n=performance.getEntriesByType('navigation')[0];"
          "document.body.setAttribute('data-t',[n.responseEnd,n.domInteractive,a,b]"
          ".map(function(x){return x.toFixed(0);}).join(' '));});</script>")


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def dump(page, ud, out=None):
    c0 = cpu()
    t0 = time.monotonic()
    r = subprocess.run(["chromium"] + FLAGS + ["--user-data-dir=" + ud, "--dump-dom",
                                               "file://" + page],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    dt = time.monotonic() - t0
    if r.returncode != 0 or b"</html>" not in r.stdout:
        sys.exit("chromium failed on %s (exit %d)" % (page, r.returncode))
    if out is not None:
        out.append(r.stdout)
    return dt, cpu() - c0


class Browser:
    """A headless Chromium driven over --remote-debugging-pipe (the
    DevTools protocol, NUL-separated JSON on fds 3 and 4)."""

    def __init__(self, ud):
        r1, self.w = os.pipe()
        self.r, w2 = os.pipe()

        def fds():
            a, b = os.dup(r1), os.dup(w2)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.p = subprocess.Popen(["chromium"] + FLAGS + ["--user-data-dir=" + ud,
                                                         "--remote-debugging-pipe", "about:blank"],
                                  preexec_fn=fds, close_fds=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r1)
        os.close(w2)
        self.buf, self.n = b"", 0

    def send(self, method, params=None, session=None):
        self.n += 1
        m = {"id": self.n, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.w, json.dumps(m).encode() + b"\0")
        return self.n

    def recv(self):
        while b"\0" not in self.buf:
            d = os.read(self.r, 1 << 16)
            if not d:
                sys.exit("chromium closed the DevTools pipe")
            self.buf += d
        m, self.buf = self.buf.split(b"\0", 1)
        return json.loads(m)

    def call(self, method, params=None, session=None):
        i = self.send(method, params, session)
        while True:
            m = self.recv()
            if m.get("id") == i:
                if "error" in m:
                    sys.exit("%s: %s" % (method, m["error"]))
                return m["result"]

    def open(self, page):
        """Seconds from navigating a new tab to the page until its main
        thread is free after the load event, and Chromium's metrics."""
        tid = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = self.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        self.call("Page.enable", session=s)
        self.call("Performance.enable", session=s)
        t0 = time.monotonic()
        self.send("Page.navigate", {"url": "file://" + page}, session=s)
        while self.recv().get("method") != "Page.loadEventFired":
            pass
        self.call("Runtime.evaluate", {"expression": "1"}, session=s)
        dt = time.monotonic() - t0
        m = {x["name"]: x["value"] for x in
             self.call("Performance.getMetrics", session=s)["metrics"]}
        self.call("Target.closeTarget", {"targetId": tid})
        return dt, m

    def close(self):
        self.send("Browser.close")
        self.p.wait()


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
        with open(page) as f:
            timed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", f.read())
        tpage = os.path.join(T, "timed.html")
        with open(tpage, "w") as f:
            f.write(timed.replace("<head>", "<head>" + TIMING, 1))
        A, B, doms = [], [], []
        with tempfile.TemporaryDirectory(prefix="bench-chromium-") as ud:
            dump(page, ud)
            dump(ref, ud)
            for _ in range(a.n):
                A.append(dump(page, ud))
                B.append(dump(ref, ud))
                dump(tpage, ud, doms)
        for name, v in (("report page", A), ("reference page", B)):
            for k, what in ((0, "wall"), (1, "cpu ")):
                x = [r[k] for r in v]
                print("%-15s %s s: min %.3f  median %.3f  max %.3f  (%d runs)"
                      % (name, what, min(x), statistics.median(x), max(x), len(x)))
        for k, what in ((0, "wall"), (1, "cpu")):
            d = [x[k] - y[k] for x, y in zip(A, B)]
            print("page's own cost beyond Chromium's start (median of pairwise A-B), %s: "
                  "%.3f s" % (what, statistics.median(d)))
        t = []
        for dom in doms:
            m = re.search(rb'data-t="([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+)"', dom)
            if m is None:
                sys.exit("the timing script gave no numbers")
            t.append([int(x) for x in m.groups()])
        C, R = [], []
        with tempfile.TemporaryDirectory(prefix="bench-chromium-") as ud:
            br = Browser(ud)
            br.open(page)
            br.open(ref)
            for _ in range(a.n):
                C.append(br.open(page))
                R.append(br.open(ref))
            br.close()
        print("opened in a running Chromium (navigate -> main thread free after load), "
              "median / min / max:")
        for name, v in (("report page", C), ("reference page", R)):
            x = [r[0] for r in v]
            print("  %-15s %.3f / %.3f / %.3f s; layout %.3f s, style %.3f s, tasks %.3f s"
                  % (name, statistics.median(x), min(x), max(x),
                     statistics.median([r[1]["LayoutDuration"] for r in v]),
                     statistics.median([r[1]["RecalcStyleDuration"] for r in v]),
                     statistics.median([r[1]["TaskDuration"] for r in v])))
        print("inside the renderer, ms from the navigation's start (median / min):")
        for i, what in enumerate(("response read", "HTML parsed (domInteractive)",
                                  "load event", "load + forced layout")):
            x = [r[i] for r in t]
            print("  %-30s %6.0f / %6.0f" % (what, statistics.median(x), min(x)))


if __name__ == "__main__":
    main()
