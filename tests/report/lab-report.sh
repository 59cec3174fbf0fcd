#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-report.sh - `tlspolicy report --probe` from the lab's real Postfix
# log and domains, opened in headless Chromium inside the lab's
# namespace (tests/report/browser.py: every request goes to a recording
# proxy):
#  1. the lab's sender delivers to verified, self-signed, expired,
#     plain-text, DANE, MTA-STS and provider-hosted destinations; the
#     report reads that log plus a copy of it moved one day back (two
#     days, two files);
#  2. through the DOM: one bar per day whose data attributes equal
#     `logscan --json` over the same files (and the drawn heights match
#     them); one table row per destination whose domain, provider,
#     published, policy and parameters equal `check --probe --json`,
#     whose evidence columns equal logscan's;
#  3. findings equal what check reports: the table row weaker than DANE
#     (dane-ee.example may), the table policy failing on the probed MX
#     (selfsigned.example verify), the expired certificate; the own-domain
#     section says `own check` is not part of the report;
#  4. the page loads nothing (no request reached the recorder, no
#     src/href to the network in the DOM, the CSP meta element), and the
#     screenshot is kept in BUILDDIR/meson-logs/report/lab-report.png
#     (scripts/test copies it to build-test-results/report-LABEL/);
#  5. the second report, after the admin deleted a row, lists the change;
#     a third with --top 3 lists the destinations that left it.

# shellcheck source=tests/dane/lab-lib.sh
. "${SRCDIR:-.}/tests/dane/lab-lib.sh"
: "${BUILDDIR:?}"
ART=$BUILDDIR/meson-logs/report
mkdir -p "$ART"
B=$SRCDIR/tests/report/browser.py
T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
TP() { in_ns "$TLSPOLICY" -c "$T_DIR/report.cf" "$@"; }

cat >"$T_DIR/report.cf" <<CF
database = sqlite:$T_DIR/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
smtp_ca_file = $LAB_CA_FILE
https_ca_file = $LAB_CA_FILE
check_concurrency = 4
CF
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set dane-ee.example may >/dev/null &&
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set selfsigned.example verify >/dev/null ||
	{ fail "policy set"; exit 1; }

# ---- 1. deliveries by the lab's Postfix -----------------------------------
lab sender-reset -d >/dev/null || { fail "sender-reset"; exit 1; }
sleep 1
off=$(lab log-offset)
domains="tls.example selfsigned.example expired.example plain.example dane-ee.example
 enforce.sts.example gmail-hosted.example"
n=0
for d in $domains tls.example tls.example plain.example; do
	q=$(lab send report@lab.example "r$n@$d") || fail "send $d"
	n=$((n + 1))
	lab wait-log -s "$off" "$q: to=<[^>]*@$d>.*status=(sent|deferred|bounced)" 60 >/dev/null ||
		fail "no delivery record for $d ($q)"
done
tail -c +$((off + 1)) "$LAB_SENDER_LOG" >"$T_DIR/today.log"
python3 - "$T_DIR/today.log" "$T_DIR/yesterday.log" <<'PY'
import datetime, sys
# the same lines one day earlier (syslog time stamps "Dec 03 12:00:00")
year = datetime.date.today().year
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for l in f:
        try:
            t = datetime.datetime.strptime("%d %s" % (year, l[:15]), "%Y %b %d %H:%M:%S")
        except ValueError:
            continue
        o.write((t - datetime.timedelta(days=1)).strftime("%b %d %H:%M:%S") + l[15:])
PY
LOGS="$T_DIR/yesterday.log $T_DIR/today.log"

# ---- the report and its two sources ----------------------------------------
# shellcheck disable=SC2086
TP report --probe --from-logs $LOGS --html "$T_DIR/report.html" --json \
	>"$T_DIR/report.json" 2>"$T_DIR/report.err"
rc=$?
[ "$rc" = 0 ] || fail "report exit $rc: $(tail -5 "$T_DIR/report.err")"
# shellcheck disable=SC2086
TP logscan --json $LOGS >"$T_DIR/logscan.json" 2>/dev/null || fail "logscan --json"
# check on the report's destinations, in its order
python3 -c 'import json,sys; print("\n".join(d["domain"] for d in json.load(open(sys.argv[1]))["destinations"]))' \
	"$T_DIR/report.json" >"$T_DIR/dests" || fail "report --json"
TP check --probe --json --from-file "$T_DIR/dests" >"$T_DIR/check.json" 2>/dev/null
# (exit 1: the warnings the table rows above cause)

# ---- 2.-4. through the browser ----------------------------------------------
in_ns python3 "$B" selftest "$T_DIR/selftest" && ok "recording proxy sees a page's request" ||
	fail "recording proxy self-test"
if in_ns python3 - "$B" "$T_DIR" "$ART/lab-report.png" <<'PY'
import json, re, sys, time
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
import browser
T, shot = sys.argv[2], sys.argv[3]
dom, reqs, _ = browser.render(T + "/report.html", T + "/dom", shot)
root = browser.parse(dom)
ls = json.load(open(T + "/logscan.json"))
chk = {r["domain"]: r for r in map(json.loads, open(T + "/check.json"))}
bad = []
grades = ["verified", "trusted", "untrusted", "anonymous", "plaintext"]
# the chart: one bar per day, the numbers of logscan --json
bars = root.find("g", cls="bar")
if len(ls["days"]) != 2 or len(bars) != 2:
    bad.append("days: logscan %d, bars %d (want 2)" % (len(ls["days"]), len(bars)))
for g, d in zip(bars, ls["days"]):
    got = [g.attrs.get("data-label")] + [int(g.attrs["data-" + k]) for k in grades] + \
          [int(g.attrs["data-total"])]
    want = [d["date"]] + [d[k] for k in grades] + [d["deliveries"]]
    if got != want:
        bad.append("bar %s != logscan %s" % (got, want))
    top = int(g.parent.attrs["data-max"])
    for r in g.find("rect"):
        if abs(float(r.attrs["height"]) - 268.0 * int(r.attrs["data-n"]) / top) > 0.02:
            bad.append("bar %s: rect height %s for %s" % (d["date"], r.attrs["height"],
                                                           r.attrs["data-n"]))
if sum(d["deliveries"] for d in ls["days"]) < 2 * 9:
    bad.append("too few deliveries in the log: %s" % ls["days"])
# the table: check's columns, logscan's evidence
lsd = {d["domain"]: d for d in ls["domains"]}
rows = root.find("tr", cls="dest")
if [tr.attrs["data-domain"] for tr in rows] != list(chk):
    bad.append("rows %s != check %s" % ([tr.attrs["data-domain"] for tr in rows], list(chk)))
for tr in rows:
    c = [td.all_text() for td in tr.find("td")]
    r = chk.get(c[0])
    if r is None:
        continue
    want = [r["domain"], r["provider"]["column"], r["published"], r["policy"], r["parameter"]]
    if c[:5] != want:
        bad.append("row %s != check %s" % (c[:5], want))
    rec = r["recommendation"]["policy"] if r["recommendation"] else None
    if rec and not c[13].startswith(rec):
        bad.append("%s recommendation %r, check %r" % (c[0], c[13], rec))
    if ("warn" in tr.classes()) != r["warning"]:
        bad.append("%s warning mark" % c[0])
    d = lsd[c[0]]
    if [int(x) for x in c[5:11]] != [d["deliveries"]] + [d[k] for k in grades]:
        bad.append("%s evidence %s" % (c[0], c[5:11]))
# findings: what check says
def listed(fid):
    div = root.find("div", id=fid)[0]
    return int(div.attrs["data-count"]), [[td.all_text() for td in tr.find("td")]
                                          for tr in div.find("tr")[1:]]
n, weaker = listed("f-weaker")
want = sorted(d for d, r in chk.items() if any("is weaker than" in x["text"] for x in r["notes"]))
if sorted(w[0] for w in weaker) != want or n != len(want) or "dane-ee.example" not in want:
    bad.append("weaker %s, check %s" % (weaker, want))
n, defer = listed("f-defer")
want = sorted((d, p["host"]) for d, r in chk.items() for p in r["probe"] or []
              for x in p["policies"] if x["role"] == "answer" and not x["delivers"])
if sorted((f[0], f[1]) for f in defer) != want or ("selfsigned.example", "mx.selfsigned.example") \
        not in want:
    bad.append("defer %s, check %s" % (defer, want))
n, exp = listed("f-expiry")
now = time.time()
def epoch(s):
    return time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
want = sorted((d, p["host"]) for d, r in chk.items() for p in r["probe"] or []
              if p.get("not_after") and epoch(p["not_after"]) - now < 21 * 86400)
if sorted((f[0], f[1]) for f in exp) != want or not any(d == "expired.example" for d, _ in want):
    bad.append("expiry %s, check %s" % (exp, want))
if not [f for f in exp if f[0] == "expired.example" and "has expired" in f[3]]:
    bad.append("expired.example not said expired: %s" % exp)
own = root.find("div", id="f-own")[0]
if "not part of this report yet: run tlspolicy own check" not in own.all_text():
    bad.append("own-domain section")
# nothing loaded, nothing that would load
if reqs:
    bad.append("requests reached the recorder: %s" % reqs)
if browser.external_refs(dom) or browser.EXTERNAL.search(dom):
    bad.append("external references: %s" % browser.external_refs(dom))
csp = [m for m in root.find("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
if not csp or not csp[0].attrs["content"].startswith("default-src 'none'"):
    bad.append("no CSP meta element")
if len(root.find("script")) != 1:
    bad.append("%d script elements" % len(root.find("script")))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
then ok "page: bars = logscan --json, rows = check --probe --json, findings, nothing loaded"
else fail "page checks"; fi
[ -s "$ART/lab-report.png" ] && ok "screenshot kept: $ART/lab-report.png" || fail "no screenshot"

# ---- 5. what changed ----------------------------------------------------------
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy delete dane-ee.example >/dev/null || fail "delete"
# shellcheck disable=SC2086
TP report --probe --from-logs $LOGS --html "$T_DIR/report2.html" --json >"$T_DIR/report2.json" \
	2>/dev/null || fail "second report"
if in_ns python3 - "$B" "$T_DIR" "$ART/lab-report-changes.png" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
import browser
T = sys.argv[2]
j1, j2 = json.load(open(T + "/report.json")), json.load(open(T + "/report2.json"))
dom, reqs, _ = browser.render(T + "/report2.html", T + "/dom2", sys.argv[3])
root = browser.parse(dom)
rows = [[td.all_text() for td in tr.find("td")] for tr in root.find("table", id="changelist")[0]
        .find("tr")[1:]]
ok = j2["previous"] == j1["generated"] and not reqs
ok = ok and ["dane-ee.example", "policy", "may", "dane-only"] in rows
ok = ok and rows == [[c["domain"], c["what"], c["before"], c["after"]] for c in j2["changes"]]
if not ok:
    print("FAIL: changes %s / %s" % (rows, j2["changes"]))
sys.exit(0 if ok else 1)
PY
then ok "second report: the deleted row shows as a change (dane-ee.example may -> dane-only)"
else fail "changes"; fi

# a third one showing 3 destinations: the others left the report, nothing else changed
# shellcheck disable=SC2086
TP report --probe --top 3 --from-logs $LOGS --json >"$T_DIR/report3.json" 2>/dev/null ||
	fail "third report"
if python3 - "$T_DIR/report2.json" "$T_DIR/report3.json" <<'PY'
import json, sys
j2, j3 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
shown = [d["domain"] for d in j3["destinations"]]
left = sorted(c["domain"] for c in j3["changes"] if c["what"] == "no longer in the report")
ok = (j3["previous"] == j2["generated"] and len(shown) == 3 and shown ==
      [d["domain"] for d in j2["destinations"]][:3] and
      left == sorted(d["domain"] for d in j2["destinations"][3:]) and
      len(j3["changes"]) == len(left) and j3["destinations_left_out"] == len(left))
if not ok:
    print("FAIL: %s" % j3["changes"])
sys.exit(0 if ok else 1)
PY
then ok "third report (--top 3): the other destinations left the report, nothing else changed"
else fail "changes with --top"; fi

[ "$T_FAILS" = 0 ] && echo "report lab: all passed"
exit $((T_FAILS > 0))
