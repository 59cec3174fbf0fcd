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
# its cached policy, an MTA-STS fetch failure
sqlite3 "$T/t.db" <<'SQL'
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('dane-mismatch.example','2026-12-03','mx-a.example.org','k1','tlsa','_25._tcp.mx.dane-mismatch.example TLSA 3 1 1 0123abcd','mx.dane-mismatch.example','',3);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('enforce.sts.example','2026-12-03','mx-a.example.org','k2','sts','','mx.enforce.sts.example','',1);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('untrusted.sts.example','2026-12-03','mx-a.example.org','k3','sts','','','sts-webpki-invalid',1);
INSERT INTO tlspolicy_sts VALUES ('enforce.sts.example','enforce1',
  'version: STSv1' || char(13,10) || 'mode: enforce' || char(13,10) || 'mx: mx.enforce.sts.example' || char(13,10) || 'max_age: 86400' || char(13,10), 1, 2);
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
# days older than tlsrpt_max_days are never sent: report deletes them (a
# fresh database holding only such a day, so nothing is looked up in DNS)
sed -i "s|^database = .*|database = sqlite:$T/old.db|" "$T/t.cf"
"$TLSPOLICY" -c "$T/t.cf" db init >/dev/null
sqlite3 "$T/old.db" "INSERT INTO tlspolicy_tlsrpt_sessions VALUES ('old.example','2000-01-01','mx-a','mx.old.example','192.0.2.1','success','',5);
INSERT INTO tlspolicy_tlsrpt_policies VALUES ('old.example','2000-01-01','mx-a','k','sts','','','',1);
INSERT INTO tlspolicy_tlsrpt_sent VALUES ('old.example','2000-01-01','mailto:a@old.example','r','sent','o',1,'')"
out=$("$TLSPOLICY" -c "$T/t.cf" -v tlsrpt report 2>&1) || fail "report: $out"
n=$(sqlite3 "$T/old.db" "SELECT (SELECT count(*) FROM tlspolicy_tlsrpt_sessions) + (SELECT count(*) FROM tlspolicy_tlsrpt_policies) + (SELECT count(*) FROM tlspolicy_tlsrpt_sent)")
[ "$n" = 0 ] && echo "ok: old days purged ($out)" || fail "old days: $n rows left: $out"
[ "$fails" = 0 ] && echo "all checks passed"
exit $((fails > 0))
