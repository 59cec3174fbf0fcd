#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsrpt collect reads incrementally: a second run reads only new lines; a
# line without its newline yet waits for the next run; after logrotate
# (LOG -> LOG.1, a new LOG) the rest of LOG.1 is read, then LOG from the
# start; a truncated log is read from the start; a database failure
# counts nothing and keeps the offset.  Lines are the lab's Postfix 3.7
# log (fixtures/postfix37-lab.log): 13 TLS sessions.
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/tlspolicy-tlsrpt-collect.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
FIX=$SRCDIR/tests/tlsrpt/fixtures/postfix37-lab.log
printf 'database = sqlite:%s/t.db\ntlsrpt_mta = mx-a\n' "$T" > "$T/t.cf"
"$TLSPOLICY" -c "$T/t.cf" db init >/dev/null || { echo "FAIL: db init"; exit 1; }
col() { TZ=UTC "$TLSPOLICY" -c "$T/t.cf" tlsrpt collect "$T/mail.log"; }
total() { sqlite3 "$T/t.db" "SELECT coalesce(sum(count), 0) FROM tlspolicy_tlsrpt_sessions"; }
check() { # WHAT WANT
	local got
	got=$(total)
	[ "$got" = "$2" ] && echo "ok: $1 ($got sessions)" || fail "$1: $got sessions, want $2"
}
L=$T/mail.log
head -n 20 "$FIX" > "$L"           # lines 1-20: 8 sessions
touch -d 2026-12-03 "$L"
col >/dev/null || fail "collect 1"
check "first run" 8
col >/dev/null
check "second run, nothing new" 8
# line 21 without its newline: not read yet
sed -n 21,23p "$FIX" >> "$L"
printf '%s' "$(sed -n 24p "$FIX")" >> "$L"
col >/dev/null
n1=$(total)
printf '\n' >> "$L"
col >/dev/null
n2=$(total)
[ "$n1" = 8 ] && [ "$n2" = 9 ] && echo "ok: a line without its newline waits ($n1 -> $n2)" ||
	fail "partial line: $n1 -> $n2, want 8 -> 9"
# rotation: more lines into the old file, then logrotate, then the new file
sed -n 25,30p "$FIX" >> "$L"         # +2 sessions (dane-tlsafail, enforce.sts)
mv "$L" "$L.1"
sed -n 31,37p "$FIX" > "$L"          # +2 sessions
touch -d 2026-12-03 "$L" "$L.1"
out=$(col)
check "after rotation: the rest of LOG.1, then LOG" 13
[[ "$out" == *"(and the rotated LOG.1)"* ]] && echo "ok: says it read LOG.1" || fail "rotation message: $out"
# truncated (copytruncate): read from the start
: > "$L"
sed -n 1,2p "$FIX" >> "$L"           # +1 session
out=$(col 2>&1)
check "truncated log read from the start" 14
# a database failure: nothing counted, the offset kept
sed -n 3,6p "$FIX" >> "$L"           # +2 sessions
sqlite3 "$T/t.db" "CREATE TRIGGER nope BEFORE UPDATE ON tlspolicy_tlsrpt_offsets BEGIN SELECT RAISE(FAIL, 'disk full'); END;"
col >/dev/null 2>&1 && fail "collect succeeded with a failing database"
check "a failed run counts nothing" 14
sqlite3 "$T/t.db" "DROP TRIGGER nope"
col >/dev/null || fail "collect after the failure"
check "the next run counts those lines once" 16
# a session split over two runs (the TLS line in one, its delivery in the
# next) counts as what it was, not as clear text
rm -f "$L.1"
sed -n 16p "$FIX" > "$L"             # Verified TLS connection ... dane-ee
touch -d 2026-12-03 "$L"
TZ=UTC "$TLSPOLICY" -c "$T/t.cf" tlsrpt collect --from-start "$L" >/dev/null
sed -n 17p "$FIX" >> "$L"            # ... its delivery, status=sent
col >/dev/null
got=$(sqlite3 "$T/t.db" "SELECT result || ' ' || count FROM tlspolicy_tlsrpt_sessions WHERE domain = 'dane-ee.example' ORDER BY result")
[ "$got" = "success 2" ] && echo "ok: a session split over two runs is a success" ||
	fail "split session: '$got', want 'success 2' (one from the first runs, one now)"
# a log that does not exist: an error naming it
out=$(TZ=UTC "$TLSPOLICY" -c "$T/t.cf" tlsrpt collect "$T/nope.log" 2>&1) && fail "missing log accepted"
[[ "$out" == *"nope.log: No such file or directory"* ]] && echo "ok: missing log: $out" || fail "missing log: $out"
[ "$fails" = 0 ] && echo "all checks passed"
exit $((fails > 0))
