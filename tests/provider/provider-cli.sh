#!/bin/bash
# SPDX-License-Identifier: MIT
# provider-cli.sh - `tlspolicy provider list` and the admin's catalogue
# file without DNS: golden text of the shipped catalogue and of an admin
# layer (replace, disable, add), JSON, and bad input (a broken admin
# file, usage errors) giving a one-line error and the documented exit
# code with nothing on stdout.
set -u
: "${TLSPOLICY:?TLSPOLICY (path of the binary) must be set; run through meson test}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$SRCDIR/tests/provider/golden
fails=0
checks=0
T=$(mktemp -d /tmp/tlspolicy-provider-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
tp()    { ${TLSPOLICY_WRAP:-} "$TLSPOLICY" "$@"; }

: > "$T/none.conf"
echo "provider_file = $T/none.conf" > "$T/base.cf"

tp -c "$T/base.cf" provider list > "$T/list.txt" 2> "$T/err"; rc=$?
[ $rc = 0 ] && diff -u "$G/list.txt" "$T/list.txt" > "$T/diff" &&
    ok "provider list: golden" || notok "provider list (exit $rc): $(head -c 1500 "$T/diff") $(cat "$T/err")"

tp -c "$T/base.cf" provider list --json > "$T/list.json" 2> "$T/err"; rc=$?
if [ $rc = 0 ] && python3 - "$T/list.json" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in rows]
assert ids == ["google", "microsoft365", "outlook", "yahoo", "icloud", "fastmail", "zoho",
               "proton", "hostpoint"], ids
for r in rows:
    assert r["sources"], r["id"]
    assert r["mx"] and r["policy"] and r["pin"], r["id"]
    assert r["origin"] == "builtin"
p = {r["id"]: r for r in rows}
assert p["proton"]["pin"] == "dane-only"
assert p["microsoft365"]["policy"] == "secure match=.mail.protection.outlook.com"
EOF
then ok "provider list --json: 9 providers, each with sources"
else notok "provider list --json (exit $rc)"; fi

# The admin's layer: replace google, disable yahoo, add one.
cat > "$T/admin.conf" <<'EOF'
# admin overrides
provider google
name Google (pinned by us)
mx .l.google.com
policy secure match=mx.google.com:.google.com
provider yahoo
disabled yes
provider corp
name Our parent company
mx mx1.corp.example mx2.corp.example
policy verify
source internal
EOF
echo "provider_file = $T/admin.conf" > "$T/admin.cf"
tp -c "$T/admin.cf" provider list > "$T/admin.txt" 2> "$T/err"; rc=$?
sed "s|@ADMIN@|$T/admin.conf|g" "$G/list-admin.txt" > "$T/want-admin.txt"
[ $rc = 0 ] && diff -u "$T/want-admin.txt" "$T/admin.txt" > "$T/diff" &&
    ok "admin file: replace, disable, add (golden)" ||
    notok "admin file (exit $rc): $(head -c 1500 "$T/diff") $(cat "$T/err")"

# A broken admin file: exit 1, "file:line: reason", nothing on stdout.
bad() { # DESCRIPTION CONTENT WANT-IN-ERROR
    printf '%b' "$2" > "$T/bad.conf"
    echo "provider_file = $T/bad.conf" > "$T/bad.cf"
    tp -c "$T/bad.cf" provider list > "$T/out" 2> "$T/err"; local rc=$?
    if [ $rc = 1 ] && [ ! -s "$T/out" ] && [ "$(wc -l < "$T/err")" = 1 ] &&
       grep -qF "$3" "$T/err"; then
        ok "bad admin file: $1 -> $(cat "$T/err")"
    else
        notok "bad admin file: $1: exit $rc, stderr $(cat "$T/err"), stdout $(head -c 100 "$T/out")"
    fi
}
bad "unknown key" 'provider a\nname A\nmx a.example\ncolour red\n' "bad.conf:4: unknown key"
bad "bad pattern" 'provider a\nname A\nmx *.com\n' "bad.conf:3: mx pattern"
bad "policy Postfix refuses" 'provider a\nname A\nmx a.example\npolicy secure match=\n' "bad.conf:4: policy:"
bad "no mx" 'provider a\nname A\n' "provider a has no mx"
bad "NUL byte" 'provider a\nname A\0B\nmx a.example\n' "NUL"
echo "provider_file = $T/missing.conf" > "$T/missing.cf"
tp -c "$T/missing.cf" provider list > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -q "missing.conf" "$T/err" && ok "explicit provider_file missing: exit 1" ||
    notok "missing provider_file: exit $rc $(cat "$T/err")"

# Usage errors: exit 2.
for args in "" "bogus" "list extra" "template" "template google" \
            "template google a.example --transport $T/t" "template --check $T/x" \
            "match --check a.example"; do
    # shellcheck disable=SC2086
    tp -c "$T/base.cf" provider $args > /dev/null 2>&1; rc=$?
    [ $rc = 2 ] && ok "usage: provider $args -> 2" || notok "usage: provider $args -> $rc"
done

echo "# $checks checks, $fails failed"
[ $fails = 0 ]
