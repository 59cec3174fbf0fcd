#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""diff.py - the decision matrix's differential run (called by tests/matrix/run).

For every setting: a fresh table (the generated rows, plus the setting's
_default row) and a fresh `tlspolicy serve` inside the lab's namespace;
every destination asked through Postfix's own socketmap client
(`postmap -q`), first cold (discovery starts), then settled, with every
parent key Postfix walks; then, for the settings that deliver, one message
per destination through the lab's sender Postfix using the daemon
(smtp_tls_policy_maps = socketmap:inet:...), all queued at once, and the
final status line of each read from the sender's log.  Everything is
compared with oracle.py; a summary table and every mismatch are printed.

Exit: 0 everything equal to the oracle, 1 mismatches, 2 the run failed.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

LAB = {}


def lab_env(lab_dir):
    env = {}
    for line in open(os.path.join(lab_dir, "env")):
        m = re.match(r"export (\w+)=(.*)$", line.strip())
        if m:
            env[m.group(1)] = m.group(2)
    return env


def ns(*cmd):
    return ["ip", "netns", "exec", LAB["LAB_NS"]] + list(cmd)


def labcmd(name, *args, check=True):
    r = subprocess.run([os.path.join(LAB["LAB_SRC"], name)] + list(args),
                       capture_output=True, text=True,
                       env=dict(os.environ, LAB_NS=LAB["LAB_NS"], LAB_DIR=LAB["LAB_DIR"]))
    if check and r.returncode != 0:
        raise RuntimeError("%s %s: %s" % (name, " ".join(args), r.stderr.strip()[-400:]))
    return r.stdout


def log(msg):
    print("matrix: " + msg, file=sys.stderr, flush=True)


# --- the daemon ---------------------------------------------------------------
class Daemon:
    def __init__(self, binary, work, port, providers):
        self.binary, self.work, self.port, self.providers = binary, work, port, providers
        self.proc = None

    def start(self, cfg, rows):
        os.makedirs(self.work, exist_ok=True)
        db = os.path.join(self.work, "t.db")
        if os.path.exists(db):
            os.unlink(db)
        tbl = os.path.join(self.work, "table.txt")
        with open(tbl, "w") as f:
            for k, v in rows.items():
                f.write("%s %s\n" % (k, v))
        for cmd in (["db", "init"], ["policy", "import", tbl]):
            r = subprocess.run([self.binary, "--db", "sqlite:" + db] + cmd,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("tlspolicy %s: %s" % (" ".join(cmd), r.stderr.strip()))
        conf = os.path.join(self.work, "tp.cf")
        with open(conf, "w") as f:
            f.write("database = sqlite:%s\n" % db)
            f.write("listen = inet:127.0.0.1:%d\n" % self.port)
            f.write("user = root\npidfile = %s/tlspolicy.pid\n" % self.work)
            f.write("table_snapshot = %s/table.snapshot\n" % self.work)
            f.write("dns_trust_anchor_file = %s\n" % LAB["LAB_TRUST_ANCHOR"])
            f.write("https_ca_file = %s\n" % LAB["LAB_CA_FILE"])
            f.write("provider_file = %s\n" % self.providers)
            for k, v in cfg.items():
                f.write("%s = %s\n" % (k, v))
        self.logf = os.path.join(self.work, "serve.log")
        out = open(self.logf, "w")
        self.proc = subprocess.Popen(ns(self.binary, "-c", conf, "serve", "-f"),
                                     stdout=out, stderr=subprocess.STDOUT)
        for _ in range(100):
            if "listening on" in open(self.logf).read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("tlspolicy serve did not start: " + open(self.logf).read()[-600:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# --- answers through postmap ------------------------------------------------------
def postmap(mapname, key):
    r = subprocess.run(ns("postmap", "-q", key, mapname), capture_output=True, text=True,
                       timeout=60)
    err = " ".join(r.stderr.split())
    if r.returncode == 0:
        return "OK " + r.stdout.strip()
    if not err:
        return "NOTFOUND"
    if "temporary error" in err:
        return "TEMP " + err.split("temporary error: ", 1)[-1].split(" postmap: fatal")[0]
    return "ERROR " + err


def ask_all(mapname, keys, workers):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return dict(zip(keys, ex.map(lambda k: postmap(mapname, k), keys)))


# --- deliveries ---------------------------------------------------------------------
SUBMIT = r'''
import smtplib, sys, email.utils
addr = sys.argv[1]
s = smtplib.SMTP(addr, 25, local_hostname="client.lab.example", timeout=60)
for line in sys.stdin:
    dom = line.strip()
    if not dom:
        continue
    to = "you@" + dom
    msg = ("From: <matrix@lab.example>\r\nTo: <%s>\r\nSubject: matrix %s\r\nDate: %s\r\n"
           "Message-ID: %s\r\n\r\ndecision matrix\r\n" % (to, dom, email.utils.formatdate(),
           email.utils.make_msgid(domain="lab.example")))
    s.mail("matrix@lab.example")
    code, resp = s.rcpt(to)
    if code != 250:
        print(dom, "REJECTED", code, flush=True); s.rset(); continue
    code, resp = s.data(msg.encode())
    resp = resp.decode(errors="replace")
    print(dom, resp.rsplit("queued as ", 1)[1].strip() if "queued as " in resp else "REJECTED")
s.quit()
'''
RE_TLS = re.compile(r"postfix/smtp\[(\d+)\]: (Verified|Trusted|Untrusted|Anonymous) TLS connection "
                    r"established to ([^\[\s]+)\[([^\]]+)\]:\d+")
RE_STATUS = re.compile(r"postfix/(\w+)\[(\d+)\]: ([0-9A-F]+): to=<[^>]*>, relay=([^,]+), .*"
                       r"status=(sent|deferred|bounced) \((.*)\)$")


def deliver(dests, timeout):
    """One message per destination; {name: {'status', 'grade', 'relay', 'why'}}."""
    logf = LAB["LAB_SENDER_LOG"]
    off = os.path.getsize(logf)
    r = subprocess.run(ns("/usr/bin/python3", "-c", SUBMIT, LAB["LAB_SENDER_ADDR"]),
                       input="\n".join(dests) + "\n", capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("submission failed: " + r.stderr[-500:])
    qid = {}
    for line in r.stdout.splitlines():
        dom, q = line.split()[:2]
        qid[q] = dom
    res = {dom: {"status": "not queued"} for dom in dests if dom not in qid.values()}
    pending = dict(qid)
    tls = {}                # pid -> [(host, grade)] since its last status line
    deadline = time.time() + timeout
    pos = off
    buf = ""
    while pending and time.time() < deadline:
        with open(logf, errors="replace") as f:
            f.seek(pos)
            chunk = f.read()
            pos = f.tell()
        buf += chunk
        lines = buf.split("\n")
        buf = lines.pop()
        for line in lines:
            m = RE_TLS.search(line)
            if m:
                tls.setdefault(m.group(1), []).append((m.group(3), m.group(2)))
                continue
            m = RE_STATUS.search(line)
            if not m:
                continue
            prog, pid, q, relay, status, why = m.groups()
            events = tls.pop(pid, [])
            if q not in pending:
                continue
            dom = pending.pop(q)
            host = relay.split("[")[0]
            grade = "none"
            for h, g in events:
                if h == host:
                    grade = g
            e = {"status": status, "why": why[:160], "qid": q}
            if status == "sent":
                e.update(grade=grade, relay=host)
            res[dom] = e
        if pending:
            time.sleep(0.5)
    for q, dom in pending.items():
        res[dom] = {"status": "no status line", "qid": q}
    return res, time.time()


# --- comparison -----------------------------------------------------------------------
def compare(model, setting, exp, cold, got, deliveries):
    ignore = oracle.TLSRPT_ATTRS if setting == "postfix_compatibility=3.10" else ()
    _, _, sender_level, _, _ = oracle.SETTINGS[setting]
    by_name = {d["name"]: d for d in model["destinations"]}
    rows = []
    for e in exp:
        d = by_name[e["name"]]
        r = {"name": e["name"], "desc": e["desc"], "family": e["family"], "answers_ok": True,
             "keys": [], "cold_ok": True}
        walk = []
        for k in e["keys"]:
            g = got.get(k["key"])
            okk = oracle.canon(g, ignore) in [oracle.canon(x) for x in [k["want"]] + k["also"]]
            r["keys"].append({"key": k["key"], "got": g, "want": k["want"], "ok": okk,
                              "why": k["why"]})
            r["answers_ok"] &= okk
            walk.append((k["key"], g))
        first = e["keys"][0]
        c = cold.get(first["key"])
        if oracle.canon(c, ignore) not in [oracle.canon(x) for x in
                                           [first["want"]] + first["also"] + ["NOTFOUND"]]:
            r["cold_ok"] = False
            r["cold"] = c
        eff = oracle.effective(walk)
        r["effective"] = eff
        model_got = oracle.postfix_delivery(d, eff, sender_level, model)
        r["model_delivery"] = model_got
        s_got, s_want = oracle.strength(model_got), oracle.strength(e["delivery"])
        r["severity"] = ("weaker" if s_got < s_want else "stricter" if s_got > s_want
                         else "same outcome")
        if eff is not None and not eff.startswith(("OK", "NOTFOUND", "TEMP")):
            r["severity"] = "error"
        r["want_delivery"] = e["delivery"]
        if "limit" in e:
            r["limit"] = e["limit"]
        if deliveries is not None:
            act = deliveries.get(e["name"], {"status": "missing"})
            r["delivery"] = act
            r["delivery_ok"] = oracle.same_delivery(act, e["delivery"])
            # does Postfix do what the oracle's smtp(8) model says for the
            # answer tlspolicy really gave?  (no: the oracle's model is wrong)
            r["model_ok"] = oracle.same_delivery(act, model_got)
        rows.append(r)
    return rows


CUT = 110


def cut(v):
    v = "-" if v is None else v
    return v if len(v) <= CUT else v[:CUT - 3] + "..."


def fmt_delivery(x):
    if x is None:
        return "-"
    if x.get("status") == "sent":
        return "sent %s via %s" % (x.get("grade"), x.get("relay"))
    return "%s (%s)" % (x.get("status"), (x.get("why") or "")[:90])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gen", required=True, help="generator output directory")
    ap.add_argument("--lab-dir", required=True)
    ap.add_argument("--tlspolicy", required=True)
    ap.add_argument("--port", type=int, default=8491)
    ap.add_argument("--settings", default="", help="comma-separated (default: all of the set)")
    ap.add_argument("--answers-only", action="store_true", help="no deliveries")
    ap.add_argument("--workers", type=int, default=12)
    ap.add_argument("--settle", type=float, default=13.0,
                    help="seconds after the cold pass began before the settled pass "
                         "(> https_timeout, so failing fetches have failed)")
    a = ap.parse_args()
    LAB.update(lab_env(a.lab_dir))
    model = json.load(open(os.path.join(a.gen, "model.json")))
    if a.settings:
        settings = {s: oracle.SETTINGS[s][3] for s in a.settings.split(",")}
    elif model["set"] == "ci":
        settings = dict(oracle.CI_SETTINGS)
    else:
        settings = {s: v[3] for s, v in oracle.SETTINGS.items()}
    if a.answers_only:
        settings = {s: False for s in settings}
    mapname = "socketmap:inet:127.0.0.1:%d:tlspolicy" % a.port
    names = [d["name"] for d in model["destinations"]]
    work = os.path.join(a.gen, "run")
    shutil.rmtree(work, ignore_errors=True)
    report = {"set": model["set"], "destinations": len(names), "settings": {}}
    t_all = time.time()
    daemon = Daemon(a.tlspolicy, work, a.port, os.path.join(a.gen, "providers.conf"))
    try:
        labcmd("sender-reset", "-d")
        for setting, with_deliveries in settings.items():
            t0 = time.time()
            cfg, _, sender_level, _, _ = oracle.SETTINGS[setting]
            exp = oracle.expectations(model, setting)
            keys = sorted({k["key"] for e in exp for k in e["keys"]})
            daemon.work = os.path.join(work, re.sub(r"[^A-Za-z0-9_.=-]+", "_", setting))
            daemon.start(cfg, oracle.table_rows(model, setting))
            try:
                cold = ask_all(mapname, names, a.workers)
                t_cold = time.time()
                time.sleep(max(0.0, a.settle - (t_cold - t0)))
                got = ask_all(mapname, keys, a.workers)
                t_ans = time.time()
                deliveries, t_del = None, t_ans
                if with_deliveries:
                    labcmd("sender-reset", "-d")
                    labcmd("sender-set", "smtp_tls_policy_maps = " + mapname,
                           "smtp_tls_security_level = " + sender_level,
                           "smtp_connection_cache_on_demand = no")
                    deliveries, t_del = deliver(names, 240 if len(names) > 100 else 120)
                    labcmd("sender-reset", "-d")
            finally:
                daemon.stop()
            rows = compare(model, setting, exp, cold, got, deliveries)
            st = {"keys": len(keys), "destinations": len(rows),
                  "answers_equal": sum(r["answers_ok"] for r in rows),
                  "cold_equal": sum(r["cold_ok"] for r in rows),
                  "deliveries": None if deliveries is None else len(rows),
                  "deliveries_equal": None if deliveries is None else
                  sum(r["delivery_ok"] for r in rows),
                  "model_equal": None if deliveries is None else sum(r["model_ok"] for r in rows),
                  "seconds": {"cold": round(t_cold - t0, 1), "answers": round(t_ans - t_cold, 1),
                              "deliveries": round(t_del - t_ans, 1),
                              "total": round(time.time() - t0, 1)},
                  "rows": rows}
            report["settings"][setting] = st
            log("%-36s answers %3d/%d, deliveries %s, %.0fs" % (
                setting, st["answers_equal"], len(rows),
                "-" if deliveries is None else "%d/%d" % (st["deliveries_equal"], len(rows)),
                time.time() - t0))
    except Exception as e:     # noqa: BLE001 - report what broke the run
        log("run failed: %s" % e)
        daemon.stop()
        labcmd("sender-reset", "-d", check=False)
        return 2
    report["seconds"] = round(time.time() - t_all, 1)
    with open(os.path.join(a.gen, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    return summary(report)


def summary(report):
    fams = {}
    any_row = next(iter(report["settings"].values()))["rows"]
    for r in any_row:
        fams[r["family"]] = fams.get(r["family"], 0) + 1
    print("\nDecision matrix (%s set): %d destinations (%s), %d settings, %d combinations" % (
        report["set"], report["destinations"],
        ", ".join("%s %d" % kv for kv in fams.items()), len(report["settings"]),
        report["destinations"] * len(report["settings"])))
    print("%-36s %5s %5s %9s %9s %11s %8s %6s" % ("setting", "dests", "keys", "answers=",
                                                  "cold-ok", "deliveries=", "model=", "secs"))
    bad = 0
    for s, st in report["settings"].items():
        n = st["destinations"]
        dl = "-" if st["deliveries"] is None else "%d/%d" % (st["deliveries_equal"], n)
        md = "-" if st["deliveries"] is None else "%d/%d" % (st["model_equal"], n)
        print("%-36s %5d %5d %9s %9s %11s %8s %6.0f" % (
            s, n, st["keys"], "%d/%d" % (st["answers_equal"], n), "%d/%d" % (st["cold_equal"], n),
            dl, md, st["seconds"]["total"]))
    limits = set()
    classes = {}
    print("\nMismatches (one line per wrong key or delivery; values cut at %d characters):" % CUT)
    for s, st in report["settings"].items():
        for r in st["rows"]:
            wrong = not r["answers_ok"] or not r["cold_ok"] or r.get("delivery_ok") is False
            if r.get("limit") and r["answers_ok"]:
                limits.add((r["name"], r["desc"], fmt_delivery(r["want_delivery"]),
                            r["limit"]["rfc"], fmt_delivery(r["limit"]["delivery"])))
            if not wrong and r.get("model_ok", True):
                continue
            bad += 1
            head = "[%s] %s (%s)" % (s, r["name"], r["desc"])
            print(head)
            for k in r["keys"]:
                if not k["ok"]:
                    print("    key %s: got %s; want %s [%s]" % (k["key"], cut(k["got"]), cut(k["want"]),
                                                            k["why"]))
                    c = (s, "parent key" if k["key"].startswith(".") else "domain key",
                         k["why"], r["severity"])
                    if r["name"] not in classes.setdefault(c, []):
                        classes[c].append(r["name"])
            if not r["cold_ok"]:
                print("    cold %s: got %s; want %s or NOTFOUND" % (r["keys"][0]["key"], cut(r.get("cold")),
                                                               cut(r["keys"][0]["want"])))
                classes.setdefault((s, "cold answer", r["keys"][0]["why"], ""), []).append(r["name"])
            if not r["answers_ok"]:
                print("    effect: %s; Postfix then: %s" % (r["severity"], fmt_delivery(r.get("model_delivery"))))
            if r.get("delivery_ok") is False:
                print("    delivery: got %s; want %s" % (fmt_delivery(r["delivery"]),
                                                       fmt_delivery(r["want_delivery"])))
            if r.get("model_ok") is False:
                print("    oracle's smtp(8) model for the answer given: %s; Postfix did: %s" % (
                    fmt_delivery(r["model_delivery"]), fmt_delivery(r["delivery"])))
                classes.setdefault((s, "oracle's smtp(8) model", "", ""), []).append(r["name"])
    if classes:
        print("\nMismatch classes (setting, key, oracle's reason, effect on delivery: count, destinations):")
        for (s, kind, why, sev), names in sorted(classes.items()):
            print("  %-34s %-11s %-48s %-12s %3d  %s" % (s, kind, why[:48], sev, len(names),
                                                      " ".join(names[:6]) + (" ..." if len(names) > 6 else "")))
    if limits:
        print("\nKnown limits (docs/ARCHITECTURE.md \"Rules of the decision matrix\"): the "
              "answer equals the oracle and Postfix enforces it, but the RFC alone would "
              "deliver otherwise:")
        for name, desc, pf, rfc, rd in sorted(limits):
            print("  %-18s %s\n  %18s Postfix: %s; %s: %s" % (name, desc, "", pf, rfc, rd))
    print("\n%d mismatch(es); %.0f s" % (bad, report["seconds"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
