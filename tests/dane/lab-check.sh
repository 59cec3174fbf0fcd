#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-check.sh - `tlspolicy check` against the lab: every DANE scenario
# checked concurrently in one run, the --json facts and verdicts
# compared with the scenario table (MX/host/TLSA DNSSEC status, usable
# and unusable records, CNAME'd names, implicit and null MX), the text
# output aligned, the admin's table in the answer, and bad input.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

cat >"$T_DIR/check.cf" <<EOF
database = sqlite:$T_DIR/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
check_concurrency = 4
EOF
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set dane-notlsa.example encrypt >/dev/null || exit 1

domains="dane-ee.example dane-ta.example dane-mismatch.example dane-insecure.example
 dane-bogus.example dane-expired.example dane-mxinsecure.example dane-partial.example
 dane-mxcname.example dane-cnamefb.example dane-tlsacname.example dane-nullmx.example dane-nomx.example
 dane-usage01.example dane-ipv6.example dane-notlsa.example sts-dane.example
 nonexistent.example"
# shellcheck disable=SC2086
in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" check --json $domains >"$T_DIR/out.json" 2>"$T_DIR/err"
rc=$?
# 3: mail to dane-bogus.example defers (TEMP), issue 17 item 9
[ "$rc" = 3 ] || fail "check --json exit $rc, want 3: $(cat "$T_DIR/err")"

python3 - "$T_DIR/out.json" <<'EOF' || T_FAILS=$((T_FAILS + 1))
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
by = {r["domain"]: r for r in rows}
bad = 0

def check(cond, msg):
    global bad
    if not cond:
        print("FAIL:", msg)
        bad += 1

order = [r["domain"] for r in rows]
check(order[0] == "dane-ee.example" and order[-1] == "nonexistent.example",
      "output not in argument order: %s" % order)

# domain: (verdict, level, answer status, answer text, answer source)
want = {
  "dane-ee.example":        ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-ta.example":        ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-mismatch.example":  ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-insecure.example":  ("not applicable", None, "NOTFOUND", "", "none"),
  "dane-bogus.example":     ("temporary failure", None, "TEMP", None, "error"),
  "dane-expired.example":   ("temporary failure", None, "TEMP", None, "error"),
  "dane-mxinsecure.example":("not applicable", None, "NOTFOUND", "", "none"),
  "dane-partial.example":   ("applies", "dane", "OK", "dane", "dane"),
  "dane-mxcname.example":   ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-cnamefb.example":   ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-tlsacname.example": ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-nullmx.example":    ("not applicable", None, "NOTFOUND", "", "none"),
  "dane-nomx.example":      ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-usage01.example":   ("applies", "dane", "OK", "dane", "dane"),
  "dane-ipv6.example":      ("applies", "dane-only", "OK", "dane-only", "dane"),
  "dane-notlsa.example":    ("not applicable", None, "OK", "encrypt", "table"),
  "sts-dane.example":       ("applies", "dane-only", "OK", "dane-only", "dane"),
  "nonexistent.example":    ("not applicable", None, "NOTFOUND", "", "none"),
}
for d, (verdict, level, st, text, src) in want.items():
    r = by.get(d)
    if r is None:
        check(False, "%s missing" % d)
        continue
    check(r["dane"]["verdict"] == verdict, "%s verdict %s, want %s" % (d, r["dane"]["verdict"], verdict))
    check(r["dane"]["level"] == level, "%s level %s, want %s" % (d, r["dane"]["level"], level))
    check(r["answer"]["status"] == st, "%s answer %s, want %s" % (d, r["answer"]["status"], st))
    if text is not None:
        check(r["answer"]["text"] == text, "%s answer text %r, want %r" % (d, r["answer"]["text"], text))
    check(r["answer"]["source"] == src, "%s source %s, want %s" % (d, r["answer"]["source"], src))
    check(r["answer"]["table_read"] is True, "%s: table not read" % d)

def host(d, i=0):
    return by[d]["hosts"][i]

# DNSSEC status of each RRset
check(by["dane-ee.example"]["mx"]["dnssec"] == "secure", "dane-ee MX not secure")
check(by["dane-insecure.example"]["mx"]["dnssec"] == "insecure", "dane-insecure MX not insecure")
check(by["dane-bogus.example"]["mx"]["dnssec"] == "bogus", "dane-bogus MX not bogus")
check("DNSSEC validation failure for MX dane-bogus.example" in by["dane-bogus.example"]["answer"]["text"],
      "bogus TEMP reason does not name the MX record")
check(by["dane-expired.example"]["mx"]["dnssec"] == "bogus", "dane-expired MX not bogus")
check(host("dane-mxinsecure.example")["a"]["dnssec"] == "insecure", "insecure host A not insecure")
check(host("dane-mxinsecure.example")["tlsa_lookups"] == [], "TLSA looked up below insecure addresses")
# behind an insecure MX RRset the hosts are looked up (RFC 7672 2.2.1, issue
# 11 item 0); this one's addresses are insecure too: no TLSA lookup
check(host("dane-insecure.example")["looked_up"] is True, "hosts of an insecure MX not looked up")
check(host("dane-insecure.example")["a"]["dnssec"] == "insecure", "dane-insecure host A not insecure")
check(host("dane-insecure.example")["tlsa_lookups"] == [], "TLSA looked up below insecure addresses")
check(host("dane-insecure.example")["state"] == "address insecure",
      "dane-insecure host state %s" % host("dane-insecure.example")["state"])
# TLSA records, usable or not and why
t = host("dane-ee.example")["tlsa"]
check(len(t) == 1 and t[0]["usage"] == 3 and t[0]["selector"] == 1 and t[0]["matching_type"] == 1
      and t[0]["usable"] and len(t[0]["data"]) == 64, "dane-ee TLSA: %s" % t)
t = host("dane-ta.example")["tlsa"]
check(len(t) == 1 and t[0]["usage"] == 2 and t[0]["usable"], "dane-ta TLSA: %s" % t)
t = host("dane-usage01.example")["tlsa"]
check(len(t) == 2 and not any(x["usable"] for x in t) and all("PKIX" in x["why"] for x in t),
      "usage01 TLSA: %s" % t)
check(host("dane-usage01.example")["state"] == "TLSA unusable", "usage01 host state")
# partial: two hosts, TLSA only at mx1
p = by["dane-partial.example"]["hosts"]
check([h["name"] for h in p] == ["mx1.dane-partial.example", "mx2.dane-partial.example"]
      and [h["preference"] for h in p] == [10, 20], "partial hosts %s" % p)
check(p[0]["state"] == "TLSA usable" and p[1]["state"] == "no TLSA", "partial states")
# CNAME'd MX host: TLSA at the expanded name
h = host("dane-mxcname.example")
check(h["a"]["canonical"] == "host.dane-hosts.example", "mxcname canonical %s" % h["a"]["canonical"])
check(h["tlsa_lookups"][0]["name"] == "_25._tcp.host.dane-hosts.example", "mxcname TLSA base %s" % h["tlsa_lookups"])
# CNAME'd MX host whose expanded name has no TLSA: the original name's
# (RFC 7672 2.2.2), both lookups shown, the expanded one first
h = host("dane-cnamefb.example")
tl = h["tlsa_lookups"]
check(h["a"]["canonical"] == "host2.dane-hosts.example", "cnamefb canonical %s" % h["a"]["canonical"])
check([x["name"] for x in tl] == ["_25._tcp.host2.dane-hosts.example", "_25._tcp.mx.dane-cnamefb.example"]
      and tl[0]["status"] in ("nodata", "nxdomain") and tl[0]["dnssec"] == "secure"
      and tl[1]["status"] == "data" and tl[1]["dnssec"] == "secure", "cnamefb TLSA lookups %s" % tl)
check(h["state"] == "TLSA usable" and len(h["tlsa"]) == 1 and h["tlsa"][0]["usable"],
      "cnamefb host %s, TLSA %s" % (h["state"], h["tlsa"]))
# CNAME'd TLSA name
h = host("dane-tlsacname.example")
check(h["tlsa_lookups"][0]["canonical"] == "tlsa-for-tlsacname.dane-hosts.example",
      "tlsacname canonical %s" % h["tlsa_lookups"])
# implicit and null MX, IPv6
check(by["dane-nomx.example"]["implicit_mx"] and host("dane-nomx.example")["name"] == "dane-nomx.example",
      "implicit MX")
check(by["dane-nullmx.example"]["null_mx"], "null MX not recognised")
check(host("dane-ipv6.example")["addresses"] == ["::1"], "ipv6 addresses %s" % host("dane-ipv6.example")["addresses"])
check(by["nonexistent.example"]["mx"]["status"] == "nxdomain", "nonexistent not nxdomain")
sys.exit(1 if bad else 0)
EOF
[ "$T_FAILS" = 0 ] && ok "check --json: every scenario as in the table"

# text output: one block per domain, aligned columns
in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" check --details dane-partial.example dane-usage01.example \
	>"$T_DIR/out.txt" 2>"$T_DIR/err" || fail "check (text) failed: $(cat "$T_DIR/err")"
for pat in '^dane-partial.example$' '^  MX        secure +ttl [0-9]+ +10 mx1.dane-partial.example, 20 mx2' \
	'^  host      mx1.dane-partial.example: TLSA usable$' '^    TLSA    secure ' \
	'^            usable +3 1 1 [0-9a-f]{64}$' '^  DANE      dane +1 of 2 MX hosts' \
	'^  answer    OK dane  \(source DANE\)$' '^            unusable +0 1 1 [0-9a-f]{64}  \(usage PKIX'; do
	grep -Eq "$pat" "$T_DIR/out.txt" || fail "text output lacks /$pat/"
done
[ "$T_FAILS" = 0 ] && ok "check text output"

# bad input: one-line error, exit 1, the other domains still checked
in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" check --details "bad domain" dane-ee.example >"$T_DIR/out.txt" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 1 ] || fail "invalid name: exit $rc, want 1"
grep -q 'invalid domain name "bad domain"' "$T_DIR/err" || fail "invalid name: error \"$(cat "$T_DIR/err")\""
grep -q '^dane-ee.example$' "$T_DIR/out.txt" || fail "valid domain not checked next to an invalid one"
in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" check >/dev/null 2>&1
[ $? = 2 ] || fail "no domain: want exit 2"
[ "$T_FAILS" = 0 ] && ok "check bad input"

finish
