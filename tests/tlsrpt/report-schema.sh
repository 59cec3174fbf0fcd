#!/bin/bash
# SPDX-License-Identifier: MIT
# The report JSON field by field against RFC 8460 section 4: reports made
# by `tlsrpt report --print` from the lab's real Postfix 3.7 log
# (fixtures/postfix37-lab.log) and journal rows of all three policy types
# are checked by check_report.py (rfc8460-schema.json + the cross-field
# rules); then broken copies must be refused, so the check can fail.
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/tlspolicy-tlsrpt-schema.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
CHECK="python3 $SRCDIR/tests/tlsrpt/check_report.py"

cat > "$T/t.cf" <<CF
database = sqlite:$T/t.db
tlsrpt_mta = mx-a.example.org
tlsrpt_sending_mta_ip = 192.0.2.25
tlsrpt_organization = Example Org
tlsrpt_contact = mailto:postmaster@example.org
tlsrpt_submitter = example.org
CF
"$TLSPOLICY" -c "$T/t.cf" db init >/dev/null || { echo "FAIL: db init"; exit 1; }
cp "$SRCDIR/tests/tlsrpt/fixtures/postfix37-lab.log" "$T/mail.log"
touch -d 2026-12-03 "$T/mail.log"
TZ=UTC "$TLSPOLICY" -c "$T/t.cf" tlsrpt collect "$T/mail.log" >/dev/null || fail "collect"
# journal rows as the daemon writes them (tlsrpt/journal.c): tlsa, sts with
# the policy lines it answered from, an MTA-STS fetch failure (answered
# over the whole day: 2026-12-03 00:00:00Z = 1796256000).  The policy
# cached in tlspolicy_sts has changed since (another id, mode testing):
# the report must show the journal's lines, recorded when it answered.
sqlite3 "$T/t.db" <<'SQL'
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('dane-mismatch.example','2026-12-03','mx-a.example.org','k1','tlsa','_25._tcp.mx.dane-mismatch.example TLSA 3 1 1 0123abcd','mx.dane-mismatch.example','',3,1796256000,1796342399);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('enforce.sts.example','2026-12-03','mx-a.example.org','k2','sts',
  'version: STSv1' || char(10) || 'mode: enforce' || char(10) || 'mx: mx.enforce.sts.example' || char(10) || 'max_age: 86400','mx.enforce.sts.example','',1,1796256000,1796342399);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('untrusted.sts.example','2026-12-03','mx-a.example.org','k3','sts','','','sts-webpki-invalid',1,1796256000,1796342399);
INSERT INTO tlspolicy_sts VALUES ('enforce.sts.example','enforce2',
  'version: STSv1' || char(13,10) || 'mode: testing' || char(13,10) || 'mx: mx2.enforce.sts.example' || char(13,10) || 'max_age: 600' || char(13,10), 1, 2);
SQL
"$TLSPOLICY" -c "$T/t.cf" tlsrpt report --print --day 2026-12-03 > "$T/reports.json" || fail "report --print"
n=$(wc -l < "$T/reports.json")
[ "$n" = 11 ] || fail "11 reports expected (one per domain), got $n"
$CHECK json "$T/reports.json" || fail "the reports are not valid RFC 8460 JSON"
# the counts of the log, by domain (the same as the unit test's outcomes)
python3 - "$T/reports.json" <<'PY' || fail "report contents"
import json, sys
want = {
 "tls.example": ("no-policy-found", 1, {}),
 "plain.example": ("no-policy-found", 0, {"starttls-not-supported": 2}),
 "selfsigned.example": ("no-policy-found", 0, {"certificate-not-trusted": 2}),
 "mismatch.example": ("no-policy-found", 0, {"certificate-host-mismatch": 1}),
 "expired.example": ("no-policy-found", 0, {"certificate-expired": 1}),
 "untrusted.example": ("no-policy-found", 0, {"certificate-not-trusted": 1}),
 "dane-ee.example": ("no-policy-found", 1, {}),
 "dane-mismatch.example": ("tlsa", 0, {"tlsa-invalid": 1}),
 "dane-tlsafail.example": ("no-policy-found", 0, {"dnssec-invalid": 1}),
 "enforce.sts.example": ("sts", 1, {}),
 "untrusted.sts.example": ("sts", 0, {"sts-webpki-invalid": 1}),
}
bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    p = r["policies"][0]
    d = p["policy"]["policy-domain"]
    res = {}
    for x in p.get("failure-details", []):
        res[x["result-type"]] = res.get(x["result-type"], 0) + x["failed-session-count"]
        assert x.get("sending-mta-ip") == "192.0.2.25", x
    got = (p["policy"]["policy-type"], p["summary"]["total-successful-session-count"], res)
    if got != want.pop(d, None):
        print("FAIL: %s: got %r" % (d, got)); bad = 1
    if d == "enforce.sts.example" and (p["policy"]["policy-string"] != ["version: STSv1", "mode: enforce", "mx: mx.enforce.sts.example", "max_age: 86400"] or p["policy"]["mx-host"] != ["mx.enforce.sts.example"]):
        print("FAIL: sts policy-string/mx-host: %r" % p["policy"]); bad = 1
    if r["report-id"] != "2026-12-03T00:00:00Z_%s@example.org" % d or r["organization-name"] != "Example Org":
        print("FAIL: report-id/organization %r" % r); bad = 1
if want:
    print("FAIL: no report for %r" % sorted(want)); bad = 1
sys.exit(bad)
PY
# the check must refuse broken reports
i=0
while IFS='|' read -r what from to; do
	i=$((i + 1))
	grep "\"policy-domain\":\"expired.example\"" "$T/reports.json" | sed "s/$from/$to/" > "$T/bad$i.json"
	if grep -qxF -f "$T/bad$i.json" "$T/reports.json"; then
		fail "mutation '$what' changed nothing"
	elif ! grep -q . "$T/bad$i.json"; then
		fail "no expired.example report to mutate"
	elif $CHECK json "$T/bad$i.json" >/dev/null; then
		fail "a report with $what passed the check"
	else
		echo "ok: refused: $what"
	fi
done <<'MUT'
a count as a string|"failed-session-count":\([0-9]*\)|"failed-session-count":"\1"
a wrong result type|"certificate-expired"|"cert-expired"
a date-range that is not a UTC day|T23:59:59Z|T23:59:58Z
a time without zone|T00:00:00Z"|T00:00:00"
an unknown member|"report-id"|"x-extra":1,"report-id"
an empty organization|"organization-name":"[^"]*"|"organization-name":""
a summary that does not add up|"total-failure-session-count":1|"total-failure-session-count":2
no policies|"policies":\[.*\]}$|"policies":[]}
MUT
# a policy change during the day (RFC 8460 4.4: one policies[] entry per
# policy in force): mx-a answered policy p1 from 07:00 to 12:00 and p2
# (another mx) from 12:30 on; mx-b answered p3 all day.  collect ties each
# session to the policy mx-a answered at its time (12:10, in the gap:
# the one answered last before), the report splits the counts.
C=$T/chg
mkdir -p "$C"
sed "s|^database = .*|database = sqlite:$C/t.db|" "$T/t.cf" > "$C/t.cf"
"$TLSPOLICY" -c "$C/t.cf" db init >/dev/null || fail "db init (policy change)"
sqlite3 "$C/t.db" <<'SQL'
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('change.sts.example','2026-12-03','mx-a.example.org','p1','sts',
  'version: STSv1' || char(10) || 'mode: enforce' || char(10) || 'mx: mx1.change.sts.example' || char(10) || 'max_age: 86400','mx1.change.sts.example','',40,1796281200,1796299200);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('change.sts.example','2026-12-03','mx-a.example.org','p2','sts',
  'version: STSv1' || char(10) || 'mode: enforce' || char(10) || 'mx: mx2.change.sts.example' || char(10) || 'max_age: 86400','mx2.change.sts.example','',2,1796301000,1796328000);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('change.sts.example','2026-12-03','mx-b.example.org','p3','sts',
  'version: STSv1' || char(10) || 'mode: enforce' || char(10) || 'mx: mx3.change.sts.example' || char(10) || 'max_age: 86400','mx3.change.sts.example','',9,1796256000,1796342399);
SQL
v() { # TIME QID HOST: a verified TLS session and its delivery
	echo "Dec 03 $1 sender postfix/smtp[100]: Verified TLS connection established to $3[127.0.3.50]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
	echo "Dec 03 $1 sender postfix/smtp[100]: $2: to=<a@change.sts.example>, relay=$3[127.0.3.50]:25, delay=0.02, delays=0/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
}
{
	v 08:00:05 C0FFEE00A01 mx1.change.sts.example
	v 08:00:06 C0FFEE00A02 mx1.change.sts.example
	v 12:10:00 C0FFEE00A03 mx1.change.sts.example
	v 15:00:00 C0FFEE00A04 mx2.change.sts.example
	echo "Dec 03 15:00:01 sender postfix/smtp[100]: C0FFEE00A05: to=<a@change.sts.example>, relay=mx2.change.sts.example[127.0.3.51]:25, delay=0.02, delays=0.01/0/0.01/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx2.change.sts.example[127.0.3.51])"
} > "$C/mail.log"
touch -d 2026-12-03 "$C/mail.log"
TZ=UTC "$TLSPOLICY" -c "$C/t.cf" tlsrpt collect "$C/mail.log" >/dev/null || fail "collect (policy change)"
"$TLSPOLICY" -c "$C/t.cf" tlsrpt report --print --day 2026-12-03 > "$C/r.json" || fail "report (policy change)"
$CHECK json "$C/r.json" || fail "the policy-change report is not valid RFC 8460 JSON"
python3 - "$C/r.json" <<'PY' && echo "ok: a policy change splits policies[] and the counts" || fail "policy change"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1, r
got = [(p["policy"]["mx-host"], p["policy"]["policy-string"][2], p["summary"]["total-successful-session-count"],
        p["summary"]["total-failure-session-count"],
        [(x["result-type"], x["failed-session-count"]) for x in p.get("failure-details", [])]) for p in r[0]["policies"]]
want = [(["mx1.change.sts.example"], "mx: mx1.change.sts.example", 3, 0, []),
        (["mx2.change.sts.example"], "mx: mx2.change.sts.example", 1, 1, [("starttls-not-supported", 1)])]
if got != want:
    print("FAIL: policies %r, want %r" % (got, want)); sys.exit(1)
PY

# days older than tlsrpt_max_days are never sent: report deletes them (a
# fresh database holding only such a day, so nothing is looked up in DNS)
sed -i "s|^database = .*|database = sqlite:$T/old.db|" "$T/t.cf"
"$TLSPOLICY" -c "$T/t.cf" db init >/dev/null
sqlite3 "$T/old.db" "INSERT INTO tlspolicy_tlsrpt_sessions VALUES ('old.example','2000-01-01','mx-a','mx.old.example','192.0.2.1','success','',5,'');
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('old.example','2000-01-01','mx-a','k','sts','','','',1,0,0);
INSERT INTO tlspolicy_tlsrpt_sent VALUES ('old.example','2000-01-01','mailto:a@old.example','r','sent','o',1,'')"
out=$("$TLSPOLICY" -c "$T/t.cf" -v tlsrpt report 2>&1) || fail "report: $out"
n=$(sqlite3 "$T/old.db" "SELECT (SELECT count(*) FROM tlspolicy_tlsrpt_sessions) + (SELECT count(*) FROM tlspolicy_tlsrpt_policies) + (SELECT count(*) FROM tlspolicy_tlsrpt_sent)")
[ "$n" = 0 ] && echo "ok: old days purged ($out)" || fail "old days: $n rows left: $out"
[ "$fails" = 0 ] && echo "all checks passed"
exit $((fails > 0))
