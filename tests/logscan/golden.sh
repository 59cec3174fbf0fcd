#!/bin/bash
# SPDX-License-Identifier: MIT
# logscan golden tests: every fixture log (one scenario in every input
# format) gives the expected table and JSON; gzip, multi-member gzip,
# several files in order and stdin give the same table as the plain file;
# --since/--until, --domain, --format postmap|sql, --apply [--force]; bad
# input fails with one line and exit 1, changing nothing.
# The writing modes (--apply, --format) always ask discovery; here it can
# find out nothing (no DNSSEC trust anchor, no reachable resolver: no
# traffic leaves the machine), so every suggestion is refused as
# "cannot tell what it publishes" unless --force-weaker names its domain
# (the lab test logscan-lab-discover has the real discovery).
#
# env: TLSPOLICY (binary), SRCDIR.
# `golden.sh --update` (what scripts/update-golden runs) rewrites the
# fixture .ref files instead of comparing them and ends with status 3:
# it is never a passing test run.  Review every change by hand before
# committing it.  The environment never switches the mode.
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
update=0
case ${1:-} in
--update) update=1 ;;
'') ;;
*) echo "usage: golden.sh [--update]" >&2; exit 2 ;;
esac
if [ -n "${UPDATE:-}" ]; then
	echo "FAIL: UPDATE=$UPDATE is not read any more: scripts/update-golden logscan rewrites the references"
	exit 1
fi
updated=0
F=$SRCDIR/tests/logscan/fixtures
T=$(mktemp -d /tmp/tlspolicy-logscan-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=UTC
unset CI_DEBUG
fails=0 checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# check NAME REF -- CMD...: stdout of CMD must equal REF (exit 0)
check() {
	local name=$1 ref=$2; shift 3
	checks=$((checks + 1))
	if ! "$@" >"$T/out" 2>"$T/err"; then
		fail "$name: exit $?: $(head -c 300 "$T/err")"
		return
	fi
	if [ $update = 1 ] && [ "$ref" != "${ref#"$F"/}" ]; then
		cmp -s "$T/out" "$ref" || { cp "$T/out" "$ref"; updated=$((updated + 1)); echo "rewrote $ref"; }
	elif ! diff -u "$ref" "$T/out" >"$T/diff"; then
		fail "$name differs from $(basename "$ref"):"
		head -40 "$T/diff"
	fi
}

# expect_fail NAME CODE PATTERN -- CMD...: exit CODE, one stderr line
# matching PATTERN, nothing on stdout
expect_fail() {
	local name=$1 code=$2 pat=$3; shift 4
	checks=$((checks + 1))
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc != "$code" ]; then
		fail "$name: exit $rc, want $code: $(head -c 300 "$T/err")"
	elif ! grep -Eq "$pat" "$T/err"; then
		fail "$name: stderr does not match /$pat/: $(head -c 300 "$T/err")"
	elif [ "$(wc -l <"$T/err")" != 1 ]; then
		fail "$name: more than one error line: $(cat "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$name: output on stdout"
	fi
}

# Offline: DANE cannot be looked for, nothing to ask.
OFF=$T/offline.cf
printf 'dns_trust_anchor_file =\ndns_resolvers = 127.0.0.1@1\n' >"$OFF"
# The admin's table the fixtures are judged against.
DB=sqlite:$T/policy.db
"$TLSPOLICY" --db "$DB" db init >/dev/null || { echo "FAIL: db init"; exit 1; }
while read -r key level params; do
	case $key in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	"$TLSPOLICY" --db "$DB" policy set "$key" "$level" $params >/dev/null ||
		{ echo "FAIL: policy set $key"; exit 1; }
done <"$F/table.rows"
cp "$T/policy.db" "$T/pristine.db"

scan() { "$TLSPOLICY" -c "$OFF" --db "$DB" logscan --year 2024 --min-deliveries 2 "$@"; }
# every domain with a suggestion in the fixtures
FW=""
for d in verified bounce dane expired iponly ipv6 untrusted; do FW="$FW --force-weaker $d.example"; done

# 1. every input format: table and JSON
for log in "$F"/*.log; do
	name=$(basename "$log" .log)
	check "$name table" "$F/$name.ref" -- scan "$log"
	check "$name json" "$F/$name.json.ref" -- scan --json "$log"
done

# The scenario is the same in every format: the tables must agree too.
for log in "$F"/*.log; do
	name=$(basename "$log" .log)
	checks=$((checks + 1))
	cmp -s "$F/classic.ref" "$F/$name.ref" || fail "$name.ref differs from classic.ref"
done

# 2. the same lines, delivered differently
C=$F/classic.log
n=$(wc -l <"$C")
head -n $((n / 2)) "$C" >"$T/part1"
tail -n +$((n / 2 + 1)) "$C" >"$T/part2"
gzip -c "$C" >"$T/classic.gz"
gzip -c "$T/part1" >"$T/m.gz" && gzip -c "$T/part2" >>"$T/m.gz"   # two members
gzip -c "$T/part1" >"$T/part1.gz"
check "gzip" "$F/classic.ref" -- scan "$T/classic.gz"
check "gzip members" "$F/classic.ref" -- scan "$T/m.gz"
check "files in order" "$F/classic.ref" -- scan "$T/part1" "$T/part2"
check "gzip and plain" "$F/classic.ref" -- scan "$T/part1.gz" "$T/part2"
check "stdin" "$F/classic.ref" -- \
	sh -c '"$TLSPOLICY" -c "$3" --db "$1" logscan --year 2024 --min-deliveries 2 <"$2"' _ "$DB" "$C" "$OFF"
check "stdin gzip" "$F/classic.ref" -- \
	sh -c '"$TLSPOLICY" -c "$3" --db "$1" logscan --year 2024 --min-deliveries 2 - <"$2"' _ "$DB" "$T/classic.gz" "$OFF"
# CRLF line ends and a last line without newline
sed 's/$/\r/' "$C" | head -c -2 >"$T/crlf.log"
check "crlf" "$F/classic.ref" -- scan "$T/crlf.log"
# lines of every format mixed in one file (same events, same result)
awk 'NR % 2' "$F/classic.log" >"$T/odd"; awk 'NR % 2 == 0' "$F/rfc3339.log" >"$T/even"
paste -d '\n' "$T/odd" "$T/even" | grep . >"$T/mixed.log"
check "mixed formats" "$F/classic.ref" -- scan "$T/mixed.log"

# 3. options
check "since/until" "$F/classic.since.ref" -- \
	scan --since 2024-12-05T09:58:30Z --until "2024-12-05 09:59:00" "$C"
check "domain filter" "$F/classic.domain.ref" -- \
	scan --domain expired.example --domain EXAMPLE.ORG. --json "$C"
check "min-deliveries" "$F/classic.min3.ref" -- \
	"$TLSPOLICY" -c "$OFF" --db "$DB" logscan --year 2024 --min-deliveries 3 "$C"
# nothing is known about what the domains publish: nothing to write
check "postmap, unknown" "$F/classic.postmap-unknown.ref" -- scan --format postmap "$C"
checks=$((checks + 1))
scan --format postmap "$C" 2>"$T/err" >/dev/null
[ "$(grep -c '^tlspolicy logscan: not written [a-z0-9.]*: not suggested (.*): cannot tell what it publishes: DNSSEC validation is off' "$T/err")" = 7 ] ||
	fail "postmap, unknown: stderr: $(cat "$T/err")"
check "sql, unknown" "$F/classic.sql-unknown.ref" -- scan --format sql "$C"
# --force-weaker for each of them: the rows as the log suggests them
check "postmap" "$F/classic.postmap.ref" -- scan --format postmap $FW "$C"
check "sql" "$F/classic.sql.ref" -- scan --format sql $FW "$C"
check "sql force" "$F/classic.sql-force.ref" -- scan --format sql --force $FW "$C"
checks=$((checks + 1))
scan --format postmap --force-weaker nobody.example $FW "$C" 2>"$T/err" >/dev/null
grep -q '^tlspolicy logscan: --force-weaker nobody.example: no suggestion for it needed it$' "$T/err" ||
	fail "unused --force-weaker: $(cat "$T/err")"
# the setting is the default for --min-deliveries
printf 'logscan_min_deliveries = 3\ndns_trust_anchor_file =\ndns_resolvers = 127.0.0.1@1\n' >"$T/tp.cf"
check "setting" "$F/classic.min3.ref" -- \
	"$TLSPOLICY" -c "$T/tp.cf" --db "$DB" logscan --year 2024 "$C"
# Postfix's postmap accepts the postmap output
if command -v postmap >/dev/null; then
	checks=$((checks + 1))
	mkdir -p "$T/pf" && : >"$T/pf/main.cf"
	scan --format postmap $FW "$C" >"$T/tls_policy" 2>/dev/null
	if ! postmap -c "$T/pf" "hash:$T/tls_policy" 2>"$T/err"; then
		fail "postmap rejects the postmap output: $(cat "$T/err")"
	elif [ "$(postmap -c "$T/pf" -q verified.example "hash:$T/tls_policy")" != verify ] ||
	     [ "$(postmap -c "$T/pf" -q untrusted.example "hash:$T/tls_policy")" != encrypt ]; then
		fail "postmap -q gives other answers than the suggestions"
	fi
fi

# 4. --apply: nothing while what the domains publish is unknown; with
# --force-weaker new rows only; --force replaces; a second run changes nothing
check "apply, unknown" "$F/classic.apply-unknown.ref" -- scan --apply "$C"
checks=$((checks + 1))
cmp -s "$T/policy.db" "$T/pristine.db" || fail "--apply wrote rows whose publication is unknown"
check "apply" "$F/classic.apply.ref" -- scan --apply $FW "$C"
check "apply table" "$F/classic.apply-table.ref" -- "$TLSPOLICY" --db "$DB" policy list
checks=$((checks + 1))
"$TLSPOLICY" --db "$DB" policy list -v >"$T/prov" 2>&1
grep -Eq "^bounce\.example +encrypt +[0-9-]+ [0-9:]+ +logscan --apply \(.*\) +$C: all 2 deliveries encrypted \(2 Trusted\); forced although what it publishes is unknown: DNSSEC validation is off" "$T/prov" ||
	fail "provenance of --apply: $(grep bounce "$T/prov")"
check "apply again" "$F/classic.apply2.ref" -- scan --apply $FW "$C"
check "apply force" "$F/classic.apply-force.ref" -- scan --apply --force $FW "$C"
check "apply force table" "$F/classic.apply-force-table.ref" -- "$TLSPOLICY" --db "$DB" policy list
cp "$T/pristine.db" "$T/policy.db"

# 5. bad input: one line, exit 1 (2 for usage), table unchanged
printf 'garbage' | gzip -c | head -c 20 >"$T/trunc.gz"
printf '\037\213\010\000garbage-not-deflate' >"$T/corrupt.gz"
{ gzip -c "$T/part1"; printf 'trailing junk'; } >"$T/junk.gz"
mkdir -p "$T/dir"
expect_fail "missing file" 1 'logscan: .*/nonexistent: No such file' -- scan "$T/nonexistent"
expect_fail "directory" 1 'is a directory' -- scan "$T/dir"
expect_fail "truncated gzip" 1 'gzip: unexpected end' -- scan "$T/trunc.gz"
expect_fail "corrupt gzip" 1 'gzip: ' -- scan "$T/corrupt.gz"
expect_fail "gzip junk" 1 'gzip: trailing garbage' -- scan "$T/junk.gz"
expect_fail "bad since" 2 'invalid time' -- scan --since yesterday "$C"
expect_fail "bad until" 2 'not after --since' -- scan --since 2024-12-06 --until 2024-12-05 "$C"
expect_fail "bad domain" 2 'invalid domain' -- scan --domain 'a b' "$C"
expect_fail "bad min" 2 'invalid --min-deliveries' -- scan --min-deliveries -1 "$C"
expect_fail "bad format" 2 'postmap or sql' -- scan --format csv "$C"
expect_fail "json and format" 2 'exclude each other' -- scan --json --format sql "$C"
expect_fail "force alone" 2 'needs --apply' -- scan --force "$C"
expect_fail "bad year" 2 'invalid --year' -- scan --year 12 "$C"
expect_fail "apply without table" 1 'no policy table' -- \
	"$TLSPOLICY" -c "$OFF" --db "sqlite:$T/none.db" logscan --apply "$C"
checks=$((checks + 1))
[ ! -e "$T/none.db" ] || fail "--apply created a database file"
expect_fail "apply, bad db" 1 'database' -- \
	"$TLSPOLICY" -c "$OFF" --db "mysql://nobody:x@127.0.0.1:1/none" logscan --apply "$C"
expect_fail "force-weaker without writing" 2 'needs --apply or --format' -- \
	scan --force-weaker a.example "$C"
expect_fail "force-weaker, bad domain" 2 'force-weaker .1.2.3.4.: not a domain' -- scan --apply --force-weaker '[1.2.3.4]' "$C"
# an error in the second file: nothing applied from the first
expect_fail "apply, bad 2nd file" 1 'nonexistent' -- scan --apply "$C" "$T/nonexistent"
checks=$((checks + 1))
cmp -s "$T/policy.db" "$T/pristine.db" || fail "the table changed after failed runs"

# 6. the summary line on stderr only with -v (or on a terminal: cron
# mails nothing when all is well, issue 17 item 9); the table without a
# database
checks=$((checks + 1))
scan "$C" 2>"$T/err" >/dev/null
[ -s "$T/err" ] && fail "stderr without -v: $(cat "$T/err")"
checks=$((checks + 1))
scan -v "$C" 2>"$T/err" >/dev/null
grep -Eq '^tlspolicy logscan: 77 lines, 74 Postfix lines, 25 deliveries, 18 domains, [0-9.]+ s, [0-9.]+ MB/s$' "$T/err" ||
	fail "summary line: $(cat "$T/err")"
check "no table" "$F/classic.notable.ref" -- \
	"$TLSPOLICY" -c "$OFF" --db "sqlite:$T/missing.db" logscan --year 2024 --min-deliveries 2 "$C"
checks=$((checks + 1))
[ ! -e "$T/missing.db" ] || fail "a missing sqlite table file was created"

# 7. a log written with smtp_tls_loglevel = 0 (Postfix's default): the
# same deliveries without the TLS session lines and certificate details
# Postfix logs only at level 1 (issue 17 item 10).  Never plaintext: TLS
# unknown, nothing suggested, a warning; nothing written by --apply.
grep -Ev 'TLS connection (established|reused)|certificate verification failed for' "$C" >"$T/level0.log"
check "loglevel 0 table" "$F/loglevel0.ref" -- scan "$T/level0.log"
check "loglevel 0 json" "$F/loglevel0.json.ref" -- scan --json "$T/level0.log"
checks=$((checks + 1))
scan "$T/level0.log" 2>"$T/err" >"$T/out"
grep -q '^tlspolicy logscan: warning: 25 deliveries but not one "TLS connection established" line in the whole input: Postfix logs them only with smtp_tls_loglevel = 1 or more' "$T/err" ||
	fail "loglevel 0: no warning: $(cat "$T/err")"
checks=$((checks + 1))
! grep -Eq '[0-9]%' <(awk 'NR > 1 && $2 > 0 { print $4, $5 }' "$T/out") ||
	fail "loglevel 0: an ENCRYPTED/PLAINTEXT share shown: $(cat "$T/out")"
checks=$((checks + 1))
scan --apply $FW "$T/level0.log" >/dev/null 2>&1
cmp -s "$T/policy.db" "$T/pristine.db" || fail "loglevel 0: --apply wrote rows"
cp "$T/pristine.db" "$T/policy.db"
# and the classic log, with its TLS lines, still says the opposite
checks=$((checks + 1))
scan --json "$C" 2>/dev/null | grep -q '"tls_logged"' && fail "tls_logged in a log with TLS lines"
# input without one Postfix line: exit 1, one line, nothing on stdout
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' >"$T/passwd"
expect_fail "no Postfix lines" 1 '^tlspolicy logscan: not one Postfix log line in 2 lines \(is this Postfix.s mail log\?' -- scan "$T/passwd"
expect_fail "no Postfix lines, json" 1 'not one Postfix log line' -- scan --json "$T/passwd"
expect_fail "/etc/passwd" 1 'not one Postfix log line' -- scan /etc/passwd
: >"$T/empty.log"
expect_fail "empty input" 1 '^tlspolicy logscan: empty input' -- scan "$T/empty.log"
expect_fail "empty stdin" 1 'empty input' -- sh -c '"$TLSPOLICY" -c "$2" --db "$1" logscan </dev/null' _ "$DB" "$OFF"
checks=$((checks + 1))
cmp -s "$T/policy.db" "$T/pristine.db" || fail "the table changed after no-Postfix input"

echo "logscan golden: $checks checks, $fails failed"
if [ $update = 1 ]; then
	echo "logscan golden: --update rewrote $updated reference files; not a test run (status 3)"
	exit 3
fi
[ $fails = 0 ]
