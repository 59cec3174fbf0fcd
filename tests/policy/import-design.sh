#!/bin/bash
# SPDX-License-Identifier: MIT
# import-design.sh - `tlspolicy policy import` of the design document's
# own provider files (tests/policy/fixtures: the Google and Hostpoint
# /etc/postfix/tls_policy files, byte for byte), issue 10 item 7, with
# Postfix's postmap as the judge:
#  - Google: two keys repeated with the same policy: imported, one
#    warning per repeat naming both lines, the first line kept -- the
#    rows equal what postmap makes of the file (postmap warns "duplicate
#    entry" and keeps the first);
#  - Hostpoint: "secure match=*.mail.hostpoint.ch" is accepted; the two
#    keys without a value (lines 8 and 11) are refused, both named in one
#    run, nothing imported (postmap warns and drops them); without those
#    two lines the file imports, and the export is read by postmap with
#    the same answers.
# env: TLSPOLICY, SRCDIR.  Skip (77) without postmap unless CI is set.
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
F=$SRCDIR/tests/policy/fixtures
if ! command -v postmap >/dev/null; then
	[ -n "${CI:-}" ] && { echo "FAIL: postmap not installed (CI is set)"; exit 1; }
	echo "SKIP: postmap not installed"
	exit 77
fi
T=$(mktemp -d /tmp/tlspolicy-import-design.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/pf" && : >"$T/pf/main.cf"
fails=0 checks=0
ok() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; diff <(echo "$3") <(echo "$2") | sed 's/^/#   /'; fi; }
DB=sqlite:$T/t.db
t() { "$TLSPOLICY" --db "$DB" "$@"; }
t db init >/dev/null || { echo "FAIL: db init"; exit 1; }

# ---- Google --------------------------------------------------------------
G=$F/google.tls_policy
cp "$G" "$T/google"
out=$(t policy import "$G" 2>"$T/err") && rc=0 || rc=$?
same "google: import succeeds" "$rc" 0
same "google: counts" "$out" "$G: 10 added, 0 changed, 0 unchanged"
same "google: a warning per repeated key, naming both lines" "$(cat "$T/err")" \
"tlspolicy policy: $G:24: warning: duplicate key \"[173.194.221.26]\" with the same policy as line 9: line 9 is kept, this one ignored (as postmap does)
tlspolicy policy: $G:33: warning: duplicate key \"[74.125.68.27]\" with the same policy as line 27: line 27 is kept, this one ignored (as postmap does)"
same "google: 10 rows" "$(t policy list | tail -n +2 | wc -l)" 10
# postmap makes the same of the file: two duplicate warnings, first kept
postmap -c "$T/pf" "hash:$T/google" 2>"$T/pm.err" || fail "postmap rejects the Google file"
same "postmap warns about the same two keys" "$(grep -o 'duplicate entry: "[^"]*"' "$T/pm.err")" \
'duplicate entry: "[173.194.221.26]"
duplicate entry: "[74.125.68.27]"'
diffs=0
while read -r key _; do
	case $key in ''|'#'*) continue ;; esac
	ours=$(t policy get "$key" 2>&1)
	theirs=$(postmap -c "$T/pf" -q "$key" "hash:$T/google")
	[ "$ours" = "$theirs" ] || { diffs=$((diffs + 1)); echo "#   $key: ours \"$ours\", postmap \"$theirs\""; }
done <"$G"
same "every key: our row = postmap's entry" "$diffs" 0
out=$(t policy import --dry-run "$G" 2>/dev/null)
same "google again (dry run): unchanged" "$out" "dry run, nothing written: $G: 0 added, 0 changed, 10 unchanged"
t policy list -v 2>/dev/null | grep -Eq "^\[173\.194\.221\.26\] +secure +match=mx\.google\.com +.* policy import .*google\.tls_policy:9$" &&
	ok "provenance names the line kept (9)" || fail "provenance: $(t policy list -v | grep 173.194.221.26)"

# ---- Hostpoint -------------------------------------------------------------
H=$F/hostpoint.tls_policy
before=$(t policy list)
out=$(t policy import "$H" 2>"$T/err") && rc=0 || rc=$?
same "hostpoint: refused" "$rc" 1
same "hostpoint: nothing on stdout" "$out" ""
same "hostpoint: both keys without a value, in one run; the '*.' lines accepted" "$(cat "$T/err")" \
"tlspolicy policy: $H:8: \"[217.26.48.124]\" has no value (expected \"KEY LEVEL [ATTR=VALUE ...]\")
tlspolicy policy: $H:11: \"[54.229.223.246]\" has no value (expected \"KEY LEVEL [ATTR=VALUE ...]\")
tlspolicy policy: $H: 2 invalid lines; nothing imported"
same "hostpoint: nothing imported" "$(t policy list)" "$before"
# postmap drops those two lines with a warning (an import must not)
cp "$H" "$T/hostpoint"
postmap -c "$T/pf" "hash:$T/hostpoint" 2>"$T/pm.err" || fail "postmap rejects the Hostpoint file"
same "postmap warns about lines 8 and 11" \
	"$(grep -o 'line [0-9]*: expected format: key whitespace value' "$T/pm.err")" \
	"line 8: expected format: key whitespace value
line 11: expected format: key whitespace value"
# the rest of the file, as the admin would fix it
grep -v -e '^\[217\.26\.48\.124\]$' -e '^\[54\.229\.223\.246\]' "$H" >"$T/hostpoint-fixed"
out=$(t policy import "$T/hostpoint-fixed" 2>"$T/err") && rc=0 || rc=$?
same "hostpoint fixed: imported" "$rc $out" "0 $T/hostpoint-fixed: 2 added, 0 changed, 0 unchanged"
same "hostpoint fixed: no message" "$(cat "$T/err")" ""
same "the '*.' match name is kept as written" "$(t policy get '[217.26.49.138]')" "secure match=*.mail.hostpoint.ch"
t policy export >"$T/export" 2>/dev/null
postmap -c "$T/pf" "hash:$T/export" 2>"$T/pm.err" && [ ! -s "$T/pm.err" ] &&
	ok "postmap reads the export without a warning" || fail "postmap on the export: $(cat "$T/pm.err")"
same "postmap -q on the export" "$(postmap -c "$T/pf" -q '[217.26.49.139]' "hash:$T/export")" \
	"secure match=*.mail.hostpoint.ch"
same "postmap -q on the original" "$(postmap -c "$T/pf" -q '[217.26.49.139]' "hash:$T/hostpoint")" \
	"secure match=*.mail.hostpoint.ch"

echo "# $checks checks, $fails failed"
[ $fails = 0 ]
