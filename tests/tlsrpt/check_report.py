#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks RFC 8460 reports: the JSON field by field against
rfc8460-schema.json (written from RFC 8460 section 4) plus the rules a
schema cannot say, and, given expectations, every count.

  check_report.py json FILE...                  JSON files (or .json.gz)
  check_report.py mail MAILDIR ORG EXPECT...    report mails in MAILDIR/new
  check_report.py https DIR ORG EXPECT...       POST bodies DIR/*.body (+ .ctype)

EXPECT: DOMAIN:PTYPE:OK:FAILED[:RESULT=N[+RESULT=N...]]
  every domain given must have exactly one report from ORG (organization-
  name), with that policy-type and these totals and failure counts by
  result-type; reports from ORG for domains not given are errors too.
Exit 0 when everything holds, 1 with one line per problem.
"""
import datetime
import email
import email.policy
import gzip
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(HERE, "rfc8460-schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
problems = []


def problem(where, msg):
    problems.append("%s: %s" % (where, msg))


def parse_dt(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_json(where, data):
    try:
        rep = json.loads(data)
    except ValueError as e:
        problem(where, "not JSON: %s" % e)
        return None
    errs = sorted(VALIDATOR.iter_errors(rep), key=lambda e: list(e.path))
    for e in errs:
        problem(where, "schema: %s: %s" % ("/".join(str(p) for p in e.path) or "(top)", e.message))
    if errs:
        return None
    # 4.1: one UTC day, 00:00:00Z .. 23:59:59Z
    s, e = parse_dt(rep["date-range"]["start-datetime"]), parse_dt(rep["date-range"]["end-datetime"])
    if s.utcoffset() != datetime.timedelta(0) or (s.hour, s.minute, s.second) != (0, 0, 0):
        problem(where, "date-range: start is not 00:00:00Z")
    if e - s != datetime.timedelta(seconds=86399):
        problem(where, "date-range: not one whole UTC day (%s .. %s)" % (s, e))
    for i, p in enumerate(rep["policies"]):
        pol = p["policy"]
        t = pol["policy-type"]
        if t in ("sts", "tlsa") and "policy-string" not in pol:
            problem(where, "policies[%d]: %s policy without policy-string" % (i, t))
        if t == "no-policy-found" and pol.get("policy-string"):
            problem(where, "policies[%d]: no-policy-found with a policy-string" % i)
        if t == "sts":
            for line in pol.get("policy-string", []):
                if not re.match(r"^[A-Za-z0-9_]+:", line):
                    problem(where, "policies[%d]: sts policy-string line %r is not a policy field" % (i, line))
        if t == "tlsa":
            for line in pol.get("policy-string", []):
                if not re.search(r"\bTLSA [0-3] [01] [0-2] [0-9a-f]+$", line):
                    problem(where, "policies[%d]: tlsa policy-string %r is not a TLSA record" % (i, line))
        fd = p.get("failure-details", [])
        total = sum(d["failed-session-count"] for d in fd)
        if total != p["summary"]["total-failure-session-count"]:
            problem(where, "policies[%d]: failure-details sum to %d, summary says %d" %
                    (i, total, p["summary"]["total-failure-session-count"]))
        seen = set()
        for d in fd:
            key = (d["result-type"], d.get("sending-mta-ip"), d.get("receiving-mx-hostname"),
                   d.get("receiving-ip"))
            if key in seen:
                problem(where, "policies[%d]: failure detail %r twice" % (i, key))
            seen.add(key)
    return rep


def parse_expect(args):
    exp = {}
    for a in args:
        f = a.split(":")
        if len(f) not in (4, 5):
            sys.exit("bad EXPECT %r" % a)
        res = {}
        if len(f) == 5 and f[4]:
            for kv in f[4].split("+"):
                k, v = kv.split("=")
                res[k] = int(v)
        exp[f[0]] = (f[1], int(f[2]), int(f[3]), res)
    return exp


def compare(org, reports, exp):
    mine = [(w, r) for w, r in reports if r and r["organization-name"] == org]
    by_dom = {}
    for w, r in mine:
        for p in r["policies"]:
            by_dom.setdefault(p["policy"]["policy-domain"], []).append((w, p))
    for dom, (pt, ok, failed, res) in sorted(exp.items()):
        got = by_dom.get(dom, [])
        if len(got) != 1:
            problem(dom, "%d reports from %s, want exactly 1" % (len(got), org))
            continue
        w, p = got[0]
        if p["policy"]["policy-type"] != pt:
            problem(dom, "policy-type %s, want %s" % (p["policy"]["policy-type"], pt))
        s = p["summary"]
        if (s["total-successful-session-count"], s["total-failure-session-count"]) != (ok, failed):
            problem(dom, "sessions ok=%d failed=%d, want ok=%d failed=%d" %
                    (s["total-successful-session-count"], s["total-failure-session-count"], ok, failed))
        byres = {}
        for d in p.get("failure-details", []):
            byres[d["result-type"]] = byres.get(d["result-type"], 0) + d["failed-session-count"]
        if byres != res:
            problem(dom, "failures by result %r, want %r" % (byres, res))
        print("ok: %s %s ok=%d failed=%d %r (%s)" % (dom, pt, s["total-successful-session-count"],
                                                     s["total-failure-session-count"], byres, w))
    for dom in sorted(set(by_dom) - set(exp)):
        problem(dom, "a report from %s for a domain no delivery went to" % org)


def check_mail(path, data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    dom = msg["TLS-Report-Domain"]
    sub = msg["TLS-Report-Submitter"]
    if not dom or not sub:
        problem(path, "no TLS-Report-Domain / TLS-Report-Submitter header")
        return None
    if msg["TLS-Required"] != "No":
        problem(path, "TLS-Required: %r, want No" % msg["TLS-Required"])
    m = re.match(r"^Report Domain: (\S+) Submitter: (\S+) Report-ID: <([^>]+)>$",
                 " ".join(str(msg["Subject"]).split()))
    if not m or m.group(1) != dom or m.group(2) != sub:
        problem(path, "Subject %r is not 'Report Domain: %s Submitter: %s Report-ID: <...>'" %
                (msg["Subject"], dom, sub))
    if msg.get_content_type() != "multipart/report" or msg.get_param("report-type") != "tlsrpt":
        problem(path, "Content-Type %s report-type=%s, want multipart/report tlsrpt" %
                (msg.get_content_type(), msg.get_param("report-type")))
    parts = [p for p in msg.iter_parts()]
    if not parts or parts[0].get_content_type() != "text/plain":
        problem(path, "the first part is not the human-readable text/plain")
    att = [p for p in parts if p.get_content_type() == "application/tlsrpt+gzip"]
    if len(att) != 1:
        problem(path, "%d application/tlsrpt+gzip parts, want 1" % len(att))
        return None
    fn = att[0].get_filename() or ""
    fm = re.match(r"^([^!]+)!([^!]+)!([0-9]+)!([0-9]+)(![^!.]+)?\.json\.gz$", fn)
    if not fm or fm.group(1) != sub or fm.group(2) != dom or int(fm.group(4)) - int(fm.group(3)) != 86399:
        problem(path, "attachment name %r is not submitter!domain!begin!end.json.gz" % fn)
    body = gzip.decompress(att[0].get_content())
    rep = check_json(path, body)
    if rep:
        if rep["policies"][0]["policy"]["policy-domain"] != dom:
            problem(path, "TLS-Report-Domain %s but policy-domain %s" %
                    (dom, rep["policies"][0]["policy"]["policy-domain"]))
        if m and m.group(3) != rep["report-id"]:
            problem(path, "Subject Report-ID %s, JSON report-id %s" % (m.group(3), rep["report-id"]))
    return rep


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mode = sys.argv[1]
    reports = []
    if mode == "json":
        for f in sys.argv[2:]:
            data = open(f, "rb").read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for n, line in enumerate(data.splitlines()):
                if line.strip():
                    rep = check_json("%s:%d" % (f, n + 1), line)
                    if rep:
                        print("ok: %s:%d valid (%s)" % (f, n + 1, rep["policies"][0]["policy"]["policy-domain"]))
    elif mode == "mail":
        d, org, exp = sys.argv[2], sys.argv[3], parse_expect(sys.argv[4:])
        for f in sorted(os.listdir(os.path.join(d, "new"))):
            p = os.path.join(d, "new", f)
            reports.append((p, check_mail(p, open(p, "rb").read())))
        compare(org, reports, exp)
    elif mode == "https":
        d, org, exp = sys.argv[2], sys.argv[3], parse_expect(sys.argv[4:])
        for f in sorted(os.listdir(d)):
            if not f.endswith(".body"):
                continue
            p = os.path.join(d, f)
            ct = open(p[:-5] + ".ctype").read().strip()
            if ct != "application/tlsrpt+gzip":
                problem(p, "Content-Type %r, want application/tlsrpt+gzip" % ct)
            reports.append((p, check_json(p, gzip.decompress(open(p, "rb").read()))))
        compare(org, reports, exp)
    else:
        sys.exit(__doc__)
    for p in problems:
        print("FAIL: " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
