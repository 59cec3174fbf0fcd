#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""summary.py - the table of bench/cold/run from its results.jsonl
(medians per trust store and daemon, ratios mta-sts-daemon / tlspolicy).

Usage: summary.py RESULTS.jsonl NSYS N M CONC
"""
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
nsys, n, m, conc = sys.argv[2:6]
med = lambda v: statistics.median(v) if v else float("nan")
whos = []
for r in rows:
    if r["who"] not in whos:
        whos.append(r["who"])
tps = [w for w in whos if w != "mta-sts-daemon"]
nruns = max([len([r for r in rows if r["who"] == w and r["kind"] == "sts" and r["store"] == s])
             for w in whos for s in ("lab", "system")] + [0])
print("cold discovery, %s MTA-STS + %s no-policy domains (DANE: %s), %s parallel clients, %d runs each" %
      (n, m, n, conc, nruns))
print()
print("| trust store | daemon | wall (runs) | wall median | daemon CPU (runs) | CPU median | CPU/domain | OK / NOTFOUND |")
print("|---|---|---|---:|---|---:|---:|---|")
def line(store, who, kind):
    rs = [r for r in rows if r["store"] == store and r["who"] == who and r["kind"] == kind]
    if not rs:
        return None
    w, c = med([r["wall_s"] for r in rs]), med([r["cpu_s"] for r in rs])
    rep = sorted({"%d / %d" % (r["replies"].get("OK", 0), r["replies"].get("NOTFOUND", 0)) for r in rs})
    name = {"lab": "lab CA (1)", "system": "system (%s) + lab CA" % nsys}[store]
    print("| %s | %s%s | %s | %.2f s | %s | %.2f s | %.2f ms | %s |" % (
        name, who, " (DANE)" if kind == "dane" else "",
        ", ".join("%.2f" % r["wall_s"] for r in rs), w,
        ", ".join("%.2f" % r["cpu_s"] for r in rs), c, c * 1000 / rs[0]["keys"], ", ".join(rep)))
    return w, c / rs[0]["keys"]
ratios = []
for store in ("lab", "system"):
    b = None
    got = {}
    for w in tps:
        got[w] = line(store, w, "sts")
    b = line(store, "mta-sts-daemon", "sts")
    for w in tps:
        if got[w] and b:
            ratios.append((store, w, b[1] / got[w][1], b[0] / got[w][0]))
for w in tps:
    line("lab", w, "dane")
print()
for store, w, cr, wr in ratios:
    print("%s: mta-sts-daemon / %s: CPU per domain %.2fx, wall %.2fx (targets: >= 6x, >= 3x)" % (store, w, cr, wr))

# The machine in the clients' window (rows of runs that recorded it):
# the wall time is bounded below by the CPU that is not the daemon's
# (the lab's servers and the client) spread over every core; no daemon
# can answer faster than that floor on this machine.
mrows = [r for r in rows if "machine_busy_s" in r]
if mrows:
    print()
    print("| trust store | daemon | wall median | daemon CPU | lab servers' CPU | client CPU | machine busy | floor: (lab + client) / %d cores | best wall ratio vs mta-sts-daemon |" % mrows[0]["cores"])
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for store in ("lab", "system"):
        mts = [r for r in mrows if r["store"] == store and r["who"] == "mta-sts-daemon" and r["kind"] == "sts"]
        for w in whos:
            rs = [r for r in mrows if r["store"] == store and r["who"] == w and r["kind"] == "sts"]
            if not rs:
                continue
            floor = med([(r["lab_cpu_s"] + r["client_cpu_s"]) / r["cores"] for r in rs])
            best = "%.2fx" % (med([r["wall_s"] for r in mts]) / floor) if mts and w != "mta-sts-daemon" and floor > 0 else "-"
            print("| %s | %s | %.2f s | %.2f s | %.2f s | %.2f s | %.0f %% | %.2f s | %s |" % (
                store, w, med([r["wall_s"] for r in rs]), med([r["cpu_s"] for r in rs]),
                med([r["lab_cpu_s"] for r in rs]), med([r["client_cpu_s"] for r in rs]),
                100 * med([r["machine_busy_frac"] for r in rs]), floor, best))
    qs = ["%s %s %.1f" % (store, w, med([r["resolver_queries"] / r["keys"] for r in rs]))
          for store in ("lab", "system") for w in whos
          for rs in [[r for r in mrows if r["store"] == store and r["who"] == w and r["kind"] == "sts"
                      and "resolver_queries" in r]] if rs]
    if qs:
        print()
        print("queries to the lab's resolver per domain (median): " + "; ".join(qs))
    # where the lab's CPU went, by process name (medians)
    names = sorted({k for r in mrows for k in r.get("lab_cpu_by_name", {})})
    if names:
        print()
        print("lab servers' CPU by process (median s): " + "; ".join(
            "%s %s: %s" % (store, w, ", ".join(
                "%s %.2f" % (k, med([r["lab_cpu_by_name"].get(k, 0) for r in rs]))
                for k in names if med([r["lab_cpu_by_name"].get(k, 0) for r in rs]) >= 0.01))
            for store in ("lab", "system") for w in whos
            for rs in [[r for r in mrows if r["store"] == store and r["who"] == w and r["kind"] == "sts"]] if rs))
