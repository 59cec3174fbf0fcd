#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-sts.sh - `tlspolicy own check` on the lab's own-domain MTA-STS and
# TLSRPT scenarios (zone ownsts.example, tests/lab/README.md "Own
# domains"), one defect each, through real DNS (nsd + unbound), nginx
# with lab-CA certificates and the same strict fetcher as discovery:
#
#   good      every check ok, exit 0
#   wild      MX a.mx.wild.ownsts.example is two labels below the
#             policy's "*.wild.ownsts.example": sts-mx error; the fix
#             (policy + new id) published makes it ok
#   idbump    policy text changed, id kept: sts-id error (and still on
#             the next run: the last text+id are kept in tlspolicy_own);
#             the id bumped: ok
#   testing   mode testing: ok now, a warning with --now 5 weeks later
#   maxage    max_age 86400: warning; no TLSRPT record: warning
#   soon      web certificate expires in 10 days: warning; two TLSRPT
#             records: error
#   redirect  301: sts-policy error; rua http: : error
#   ctype     text/html: sts-policy error
# Exit codes 0/1/2 as the worst verdict; --json parsed; own_domains from
# the configuration; own sts-policy.
#
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is
# set.  Changes (policy files, TXT ids) are undone on exit.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

Z=ownsts.example
CF=$T_DIR/own.cf
{
	echo "database = sqlite:$T_DIR/own.db"
	echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR"
	echo "dns_resolvers = $LAB_RESOLVER"
	echo "https_ca_file = $LAB_CA_FILE"
} >"$CF"
"$TLSPOLICY" -c "$CF" db init >/dev/null || { fail "db init"; finish; }
T_CLEANUP_EXTRA='restore'
restore() {
	lab set-sts-policy "idbump.$Z" "$LAB_SRC/sts/own-idbump.txt" >/dev/null 2>&1
	lab set-sts-id "idbump.$Z" idbump1 >/dev/null 2>&1
	lab set-sts-policy "wild.$Z" "$LAB_SRC/sts/own-wild.txt" >/dev/null 2>&1
	lab set-sts-id "wild.$Z" wild1 >/dev/null 2>&1
}

# own [ARGS]: runs own check --json --only sts,tlsrpt in the namespace;
# $RC its exit code, $T_DIR/out.json its output
own() {
	in_ns "$TLSPOLICY" -c "$CF" own check --json --only sts,tlsrpt "$@" \
		>"$T_DIR/out.json" 2>"$T_DIR/err"
	RC=$?
}
# v CHECK [SUBJECT]: the verdicts of CHECK (for SUBJECT), space-separated
v() {
	python3 - "$T_DIR/out.json" "$1" "${2:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = [c["verdict"] for dom in d["domains"] for c in dom["checks"]
       if c["check"] == sys.argv[2] and (not sys.argv[3] or c["subject"] == sys.argv[3])]
print(" ".join(out))
PY
}
# field CHECK KEY: message or fix of the first CHECK finding
field() {
	python3 - "$T_DIR/out.json" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for dom in d["domains"]:
    for c in dom["checks"]:
        if c["check"] == sys.argv[2]:
            print(c[sys.argv[3]] or ""); sys.exit(0)
PY
}
expect_rc() { [ "$RC" = "$1" ] && ok "$2: exit $RC" || fail "$2: exit $RC, want $1 ($(cat "$T_DIR/err"))"; }
expect_v() { local got; got=$(v "$1" "${3:-}"); [ "$got" = "$2" ] && ok "$1${3:+ $3}: $got" || fail "$1${3:+ $3}: '$got', want '$2'"; }
expect_in() { case $(field "$1" "$2") in *"$3"*) ok "$1 $2 says: $3" ;; *) fail "$1 $2 lacks '$3': $(field "$1" "$2")" ;; esac; }

# --- good --------------------------------------------------------------
own "good.$Z"
expect_rc 0 good
for c in sts-txt sts-policy sts-mx sts-mode sts-max-age sts-id sts-cert tlsrpt; do
	expect_v $c ok
done

# --- wild: one-label wildcard miss -------------------------------------
own "wild.$Z"
expect_rc 2 wild
expect_v sts-mx error "a.mx.wild.$Z"
expect_in sts-mx message "covers exactly one label"
expect_in sts-mx fix "mx: a.mx.wild.$Z"
# the fix as tlspolicy own sts-policy prints it, published, is ok
in_ns "$TLSPOLICY" -c "$CF" own sts-policy "wild.$Z" >"$T_DIR/fix.txt" || fail "own sts-policy"
id=$(sed -n 's/.*id=\([0-9A-Za-z]*\)".*/\1/p' "$T_DIR/fix.txt" | head -1)
sed -n '/^version: STSv1$/,$p' "$T_DIR/fix.txt" >"$T_DIR/wild.txt"
grep -qx "mx: a.mx.wild.$Z" "$T_DIR/wild.txt" && grep -qx "mx: mx2.wild.$Z" "$T_DIR/wild.txt" ||
	fail "own sts-policy: not both MX hosts: $(cat "$T_DIR/fix.txt")"
lab set-sts-policy "wild.$Z" "$T_DIR/wild.txt" >/dev/null && lab set-sts-id "wild.$Z" "$id" >/dev/null
own "wild.$Z"
expect_rc 0 "wild with the generated policy and id $id"

# --- idbump: policy changed, id not bumped ------------------------------
own "idbump.$Z"
expect_rc 0 "idbump first run"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.idbump.%s\r\nmx: backup.idbump.%s\r\nmax_age: 604800\r\n' "$Z" "$Z" |
	lab set-sts-policy "idbump.$Z" >/dev/null
own "idbump.$Z"
expect_rc 2 "idbump changed policy, same id"
expect_v sts-id error
expect_in sts-id message "id is still idbump1"
expect_in sts-id fix "_mta-sts.idbump.$Z. IN TXT \"v=STSv1; id="
own "idbump.$Z"
expect_v sts-id error   # kept until the id changes, not forgotten after one run
lab set-sts-id "idbump.$Z" idbump2 >/dev/null
own "idbump.$Z"
expect_rc 0 "idbump with id bumped"
expect_v sts-id ok
[ "$(sqlite3 "$T_DIR/own.db" "SELECT substr(value, 1, 7) FROM tlspolicy_own WHERE subject = 'idbump.$Z' AND fact = 'sts-policy'")" = idbump2 ] &&
	ok "tlspolicy_own keeps the last id and text" || fail "tlspolicy_own: last id not idbump2"

# --- testing left on ---------------------------------------------------
own "testing.$Z"
expect_rc 0 "testing, first seen now"
expect_v sts-mode ok
own --now +5w "testing.$Z"
expect_rc 1 "testing 5 weeks later"
expect_v sts-mode warning
expect_in sts-mode message "longer than own_sts_testing_max"
expect_in sts-mode fix "mode: enforce"

# --- short max_age, no TLSRPT -------------------------------------------
own "maxage.$Z"
expect_rc 1 maxage
expect_v sts-max-age warning
expect_in sts-max-age fix "max_age: 604800"
expect_v tlsrpt warning
expect_in tlsrpt fix "_smtp._tls.maxage.$Z. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@maxage.$Z\""

# --- web certificate expiring, two TLSRPT records -----------------------
own "soon.$Z"
expect_rc 2 soon
expect_v sts-cert warning
expect_in sts-cert message "< 21 days"
expect_v tlsrpt error
expect_in tlsrpt message "2 records"
in_ns "$TLSPOLICY" -c "$CF" own check --only sts "soon.$Z" >/dev/null 2>&1
RC=$?
expect_rc 1 "soon without the tlsrpt check (the certificate warning only)"

# --- redirect, bad rua ---------------------------------------------------
own "redirect.$Z"
expect_rc 2 redirect
expect_v sts-policy error
expect_in sts-policy message "301 (redirects are not followed)"
expect_v tlsrpt error
expect_in tlsrpt message "only mailto: and https:"

# --- wrong content type --------------------------------------------------
own "ctype.$Z"
expect_rc 2 ctype
expect_v sts-policy error
expect_in sts-policy message 'Content-Type "text/html"'

# --- own_domains from the configuration, the table ----------------------
echo "own_domains = good.$Z, maxage.$Z" >>"$CF"
in_ns "$TLSPOLICY" -c "$CF" own check --only sts,tlsrpt >"$T_DIR/out.txt" 2>&1
RC=$?
expect_rc 1 "own_domains good + maxage (worst: warning)"
grep -q "^good.$Z: ok$" "$T_DIR/out.txt" && grep -q "^maxage.$Z: warning$" "$T_DIR/out.txt" &&
	grep -q "^  CHECK  *SUBJECT  *VERDICT  FINDING$" "$T_DIR/out.txt" && grep -q "^  To fix:$" "$T_DIR/out.txt" &&
	ok "table: one section per domain, the fixes" || fail "table: $(head -20 "$T_DIR/out.txt")"

finish
