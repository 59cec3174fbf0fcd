#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsrpt intake: reports in the formats of large senders (fixtures in
# intake/, written from their published samples: Google's gzip'ed report
# mail, Microsoft's pretty-printed JSON with date-times without a zone and
# an empty sending-mta-ip, a provider sending +json with a BOM, fractions,
# mx-host as a string and unknown members) are stored once each and
# summarised per own domain, MX and result; bad input (truncated gzip,
# wrong JSON types, a 10 MB report, a gzip bomb, a report for a domain
# that is not ours, not a report at all) gets a clear error and changes
# nothing; a Maildir is read and its messages moved to cur/.
# With TLSRPT_MYSQL=1 the same on MariaDB (TLSPOLICY_TEST_MYSQL_URL, a
# database of its own; integration suite).
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/tlspolicy-tlsrpt-intake.XXXXXX)
trap 'rm -rf "$T"' EXIT
F=$SRCDIR/tests/tlsrpt/intake
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if [ "${TLSRPT_MYSQL:-0}" = 1 ]; then
	if [ -z "${TLSPOLICY_TEST_MYSQL_URL:-}" ]; then
		[ -n "${CI:-}" ] && { echo "FAIL: TLSPOLICY_TEST_MYSQL_URL not set (CI)"; exit 1; }
		echo "SKIP: no TLSPOLICY_TEST_MYSQL_URL (tests/lib/mariadb-start)"
		exit 77
	fi
	MDB=tlspolicy_test_tlsrpt_intake
	sql_root() { mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot "$@"; }
	sql_root -e "DROP DATABASE IF EXISTS $MDB; CREATE DATABASE $MDB" || exit 1
	trap 'sql_root -e "DROP DATABASE IF EXISTS $MDB"; rm -rf "$T"' EXIT
	DBURL=${TLSPOLICY_TEST_MYSQL_URL%/*}/$MDB
	sql() { sql_root -N "$MDB" -e "$1"; }
else
	DBURL=sqlite:$T/t.db
	sql() { sqlite3 "$T/t.db" "$1"; }
fi
printf 'database = %s\ntlsrpt_own_domains = own.example\n' "$DBURL" > "$T/t.cf"
tp() { "$TLSPOLICY" -c "$T/t.cf" tlsrpt intake "$@"; }
rows() { sql "SELECT count(*) FROM tlspolicy_tlsrpt_received"; }
"$TLSPOLICY" -c "$T/t.cf" db init >/dev/null || { echo "FAIL: db init"; exit 1; }

expect() { # WHAT RC PATTERN -- ARGS...: exit code and a line matching PATTERN
	local what=$1 rc=$2 pat=$3 out got
	shift 4
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$rc" ]; then
		fail "$what: exit $got, want $rc: $out"
	elif ! grep -Eq -- "$pat" <<<"$out"; then
		fail "$what: output does not match '$pat': $out"
	else
		echo "ok: $what"
	fi
}
expect "Google report mail (stdin, as a pipe transport)" 0 \
	"stdin: stored report 2026-11-30T00:00:00Z_own.example from Google Inc.: 1 policies, 1520 successful, 3 failed" \
	-- sh -c "\"$TLSPOLICY\" -c \"$T/t.cf\" tlsrpt intake < \"$F/google.eml\""
expect "Microsoft report mail (no zone, empty sending-mta-ip)" 0 \
	"stored report 133775232000000000\+own.example from Microsoft Corporation: 1 policies, 811 successful, 2 failed" \
	-- tp "$F/microsoft.eml"
expect "a +json part with BOM, fractions, mx-host string" 0 \
	"stored report abc-123 from Example Mail Provider: 2 policies, 14 successful, 1 failed" \
	-- tp "$F/other-json.eml"
expect "the same Google report again, as JSON" 0 "already stored report 2026-11-30T00:00:00Z_own.example" \
	-- tp "$F/google.json"
n=$(rows)
[ "$n" = 7 ] && echo "ok: 7 rows" || fail "$n rows, want 7 (3 success rows + 4 failure details)"
# the received times as stored (no zone: UTC)
W="FROM tlspolicy_tlsrpt_received WHERE organization = 'Microsoft Corporation'"
got="$(sql "SELECT DISTINCT start_time $W")-$(sql "SELECT DISTINCT end_time $W")"
[ "$got" = "1795996800-1796083199" ] && echo "ok: Microsoft date-range read as UTC" || fail "Microsoft date-range $got"
got=$(sql "SELECT sending_ip FROM tlspolicy_tlsrpt_received WHERE organization = 'Microsoft Corporation' AND result <> 'success'")
[ "$got" = "" ] && echo "ok: empty sending-mta-ip kept empty" || fail "sending ip '$got'"

# the summary per own domain, MX and result
"$TLSPOLICY" -c "$T/t.cf" tlsrpt intake --summary --days 3650 > "$T/summary" || fail "summary"
cat > "$T/want" <<'W'
DOMAIN                          MX                                    RESULT                        SESSIONS   ORGS
own.example                     -                                     success                              4      1
own.example                     *.own.example                         success                            811      1
own.example                     mx1.own.example                       starttls-not-supported               2      1
own.example                     mx1.own.example mx2.own.example       success                           1520      1
own.example                     mx2.own.example                       certificate-expired                  3      1
sub.own.example                 mx.sub.own.example                    success                             10      1
sub.own.example                 mx.sub.own.example                    tlsa-invalid                         1      1
W
diff -u "$T/want" "$T/summary" && echo "ok: summary" || fail "summary differs"
"$TLSPOLICY" -c "$T/t.cf" --json tlsrpt intake --summary --days 3650 | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 7 and sum(r["sessions"] for r in rows) == 2351, rows
' && echo "ok: summary --json" || fail "summary --json"

# own check reads them per own domain and MX (check tlsrpt-rx; on both
# backends).  DNS is a closed port on loopback: the MX and record lookups
# fail (could not check), the received reports are judged all the same,
# with no claim about which MX is current.
printf 'dns_resolvers = 127.0.0.1@9\ndns_timeout = 1s\nown_tlsrpt_days = 30\n' >> "$T/t.cf"
"$TLSPOLICY" -c "$T/t.cf" own check --only tlsrpt --no-save --now 1796256000 own.example > "$T/own" 2>&1
rc=$?
if [ "$rc" = 3 ] &&
	grep -Eq '^  tlsrpt-rx +own\.example +warning +3 reports in the last 30 days \(newest for 2026-1[12]-[0-9]+; from .*\): 2335 sessions ok, 5 failed \(0\.2%\)$' "$T/own" &&
	grep -Eq '^  tlsrpt-rx +mx1\.own\.example +warning +senders report 2 failed sessions: starttls-not-supported 2 \(Microsoft Corporation\); make the host offer STARTTLS' "$T/own" &&
	grep -Eq '^  tlsrpt-rx +mx2\.own\.example +warning +senders report 3 failed sessions: certificate-expired 3 \(Google Inc\.\); check the certificate' "$T/own" &&
	! grep -q "not a current MX" "$T/own"; then
	echo "ok: own check: the received reports per own domain and MX"
else
	fail "own check (exit $rc): $(cat "$T/own")"
fi

# ---- bad input: a clear error, nothing stored ------------------------------
before=$(rows)
gzip -n -c "$F/google.json" > "$T/g.json.gz"
head -c 200 "$T/g.json.gz" > "$T/truncated.json.gz"
expect "truncated gzip" 1 "truncated gzip data \(nothing stored\)" -- tp "$T/truncated.json.gz"
sed 's/"total-successful-session-count":1520/"total-successful-session-count":"1520"/' "$F/google.json" > "$T/type1.json"
expect "a count as a string" 1 '"total-successful-session-count" is a string, not a non-negative integer' -- tp "$T/type1.json"
sed 's/"policies":\[/"policies":{"x":[/; s/\]}$/]}}/' "$F/google.json" > "$T/type2.json"
expect "policies not an array" 1 '"policies" is object, not an array' -- tp "$T/type2.json"
sed 's/"failed-session-count":3/"failed-session-count":-3/' "$F/google.json" > "$T/type3.json"
expect "a negative count" 1 '"failed-session-count" is -3, not a non-negative integer' -- tp "$T/type3.json"
sed 's/"report-id":"[^"]*"/"report-id":7/' "$F/google.json" > "$T/type4.json"
expect "report-id a number" 1 '"report-id" is a number, not a string' -- tp "$T/type4.json"
sed 's/"end-datetime":"2026-11-30T23:59:59Z"/"end-datetime":"2026-11-29T23:59:59Z"/' "$F/google.json" > "$T/range.json"
expect "end before start" 1 "end-datetime before start-datetime" -- tp "$T/range.json"
sed 's/"own.example","mx-host"/"other.example","mx-host"/' "$F/google.json" > "$T/notours.json"
expect "a domain that is not ours" 1 "policy-domain other.example is not in tlsrpt_own_domains" -- tp "$T/notours.json"
head -c 300 "$F/google.json" > "$T/cut.json"
expect "JSON cut short" 1 "JSON: .* at byte" -- tp "$T/cut.json"
printf 'From: a@b\nSubject: hello\n\nnot a report\n' > "$T/plain.eml"
expect "a mail without a report" 1 "no application/tlsrpt\+gzip or application/tlsrpt\+json part" -- tp "$T/plain.eml"
python3 - "$T" <<'PY'
import gzip, sys
t = sys.argv[1]
# 10 MB of JSON (a string member of 10 MiB)
big = b'{"organization-name":"x","x-pad":"' + b"A" * (10 * 1024 * 1024) + b'"}'
open(t + "/big.json", "wb").write(big)
# a gzip bomb: 10 MB of gzip that inflates to ~10 GB is slow to make;
# this one is 60 KB and inflates to 64 MiB, past the 5 MiB limit alike
open(t + "/bomb.json.gz", "wb").write(gzip.compress(b'{"a":"' + b" " * (64 << 20) + b'"}', 9))
PY
expect "a 10 MB report" 1 "report larger than 5242880 bytes" -- tp "$T/big.json"
expect "a gzip bomb" 1 "decompressed report larger than 5242880 bytes \(a gzip bomb\?\)" -- tp "$T/bomb.json.gz"
head -c $((21 * 1024 * 1024)) /dev/zero > "$T/huge.eml"
expect "input over 20 MiB" 1 "huge.eml: larger than 20971520 bytes \(nothing stored\)" -- tp "$T/huge.eml"
after=$(rows)
[ "$after" = "$before" ] && echo "ok: bad input changed nothing ($after rows)" || fail "rows $before -> $after"

# ---- Maildir ---------------------------------------------------------------
sql "DELETE FROM tlspolicy_tlsrpt_received"
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
cp "$F/google.eml" "$T/md/new/1.host"
cp "$F/microsoft.eml" "$T/md/new/2.host"
cp "$T/type1.json" "$T/md/new/3.host"
expect "Maildir: two stored, one refused" 1 "3.host: .* \(nothing stored\)" -- tp --maildir "$T/md"
[ "$(ls "$T/md/new" | wc -l)" = 0 ] && [ -f "$T/md/cur/1.host:2,S" ] && [ -f "$T/md/cur/3.host:2,F" ] &&
	echo "ok: Maildir messages moved to cur/ (S stored, F refused)" || fail "Maildir: $(ls -R "$T/md")"
[ "$(rows)" = 4 ] && echo "ok: Maildir rows" || fail "Maildir: $(rows) rows, want 4"
[ "$fails" = 0 ] && echo "all checks passed"
exit $((fails > 0))
