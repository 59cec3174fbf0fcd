#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-check.sh - `tlspolicy check --probe` against the lab:
#  1. --json: provider, published and recommended policy of the provider
#     look-alikes (Google, Microsoft 365), the self-hosted valid /
#     name-mismatch / self-signed / expired / no-STARTTLS / no-MX
#     domains, a DANE and an MTA-STS domain; exit 0 (no warning);
#  2. golden files of the table and of the JSON (volatile fields masked);
#  3. --save writes the recommendations, keeps existing rows, --force
#     replaces them (listed); only what discovery cannot give (issue 17
#     item 2): the provider templates the daemon serves are not saved,
#     nor "verify" for domains whose MTA-STS is published but not
#     fetchable (untrusted certificate, redirect) -- unless
#     --force-weaker names the domain; each row's provenance (command,
#     evidence) in policy list -v;
#  4. the daemon on that table: postmap -q gives the provider template
#     for the provider-hosted domains and the saved recommendations;
#  5. real deliveries by the lab's sender Postfix with every recommended
#     policy (through the daemon): Verified, or Trusted/Untrusted for
#     encrypt; sent;
#  6. warnings, exit 1: table weaker than DANE / MTA-STS enforce / the
#     provider template the daemon would serve (policy_weaker(), the rule
#     of the writing commands: also verify for a DANE domain), a table
#     entry failing on today's certificate, a provider template that does
#     not fit the MX;
#  7. bad input.
# `lab-check.sh --update-golden` (what scripts/update-golden check runs)
# rewrites the golden files of step 2 instead of comparing them and ends
# with status 3 after step 2: never a passing test run.  The environment
# never switches the mode.
update_golden=0
case ${1:-} in
--update-golden) update_golden=1 ;;
'') ;;
*) echo "usage: lab-check.sh [--update-golden]" >&2; exit 2 ;;
esac
if [ -n "${CHECK_UPDATE_GOLDEN:-}" ]; then
	echo "FAIL: CHECK_UPDATE_GOLDEN is not read any more: scripts/update-golden check rewrites the references"
	exit 1
fi

# shellcheck source=tests/dane/lab-lib.sh
. "${SRCDIR:-.}/tests/dane/lab-lib.sh"
GOLDEN=${SRCDIR:-.}/tests/check/golden

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
TP() { in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" "$@"; }

cat >"$T_DIR/check.cf" <<CF
database = sqlite:$T_DIR/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
smtp_ca_file = $LAB_CA_FILE
https_ca_file = $LAB_CA_FILE
check_concurrency = 4
CF
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1

domains="gmail-hosted.example m365-hosted.example tls.example nomx.example mismatch.example
 selfsigned.example expired.example plain.example dane-ee.example enforce.sts.example"

# ---- 1. --json
# shellcheck disable=SC2086
TP check --probe --json $domains >"$T_DIR/out.json" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 0 ] || fail "check --probe --json exit $rc: $(cat "$T_DIR/err")"
python3 - "$T_DIR/out.json" <<'PY' || T_FAILS=$((T_FAILS + 1))
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {r["domain"]: r for r in rows}
bad = 0
def check(c, m):
    global bad
    if not c:
        print("FAIL:", m); bad += 1
# domain: provider id (None: column), provider column, published, policy text shown, recommendation
want = {
 "gmail-hosted.example": ("google", None, "none", "secure match=mx.google.com", "secure match=mx.google.com"),
 "m365-hosted.example": ("microsoft365", None, "none", "secure match=.mail.protection.outlook.com",
                         "secure match=.mail.protection.outlook.com"),
 "tls.example": (None, "self", "none", "verify", "verify"),
 "nomx.example": (None, "self", "none", "verify", "verify"),
 "mismatch.example": (None, "self", "none", "encrypt", "encrypt"),
 "selfsigned.example": (None, "self", "none", "encrypt", "encrypt"),
 "expired.example": (None, "self", "none", "encrypt", "encrypt"),
 "plain.example": (None, "self", "none", "-", None),
 "dane-ee.example": (None, "self", "DANE", "dane-only", None),
 "enforce.sts.example": (None, "self", "MTA-STS (enforce)", "(automatic) -", None),
}
check([r["domain"] for r in rows] == list(want), "order %s" % [r["domain"] for r in rows])
for d, (pid, pcol, pub, pol, rec) in want.items():
    r = by.get(d)
    if r is None:
        check(False, "%s missing" % d); continue
    if pid:
        check(r["provider"]["id"] == pid, "%s provider %s, want %s" % (d, r["provider"]["id"], pid))
    else:
        check(r["provider"]["column"] == pcol and r["provider"]["id"] is None,
              "%s provider %s, want %s" % (d, r["provider"], pcol))
    check(r["published"] == pub, "%s published %r, want %r" % (d, r["published"], pub))
    shown = (r["policy"] + " " + r["parameter"]).strip()
    check(shown == pol, "%s policy %r, want %r" % (d, shown, pol))
    got = r["recommendation"]["policy"] if r["recommendation"] else None
    check(got == rec, "%s recommendation %r, want %r" % (d, got, rec))
    check(r["warning"] is False, "%s warning: %s" % (d, r["notes"]))
    check(isinstance(r["probe"], list) and len(r["probe"]) >= 1, "%s: no probe" % d)
    # a recommended policy delivers on every MX
    for p in r["probe"]:
        for c in p["policies"]:
            if rec and c["policy"] == rec:
                check(c["delivers"], "%s: recommended %s fails on %s: %s" % (d, rec, p["host"], c["why"]))
# facts behind the columns
g = by["gmail-hosted.example"]["probe"][0]
check(g["host"] == "aspmx.l.google.com" and g["tls"] == "ok" and g["verified"], "google probe %s" % g)
check(not g["host_match"], "google MX cert should not name aspmx.l.google.com")
v = {c["role"]: c for c in g["policies"]}
check(v["verify"]["verdict"] == "fails", "google: plain verify should fail (cert for mx.google.com)")
m = by["mismatch.example"]["probe"][0]
check(m["verified"] and not m["host_match"], "mismatch probe %s" % m)
s = by["selfsigned.example"]["probe"][0]
check(not s["verified"] and s["tls"] == "ok", "selfsigned probe %s" % s)
p = by["plain.example"]["probe"][0]
check(p["tls"] == "not-offered", "plain probe tls %s" % p["tls"])
check({c["role"]: c["verdict"] for c in p["policies"]}.get("encrypt") == "fails", "plain: encrypt should fail")
check(by["dane-ee.example"]["answer"]["source"] == "dane" and by["dane-ee.example"]["dane"]["level"] == "dane-only",
      "dane-ee answer %s" % by["dane-ee.example"]["answer"])
check(by["dane-ee.example"]["hosts"][0]["tlsa"][0]["usable"], "dane-ee DANE facts kept")
check(by["dane-ee.example"]["probe"][0]["dane"] == "ee-match", "dane-ee probe TLSA %s" % by["dane-ee.example"]["probe"][0]["dane"])
st = by["enforce.sts.example"]
check(st["mta_sts"]["mode"] == "enforce" and st["answer"]["source"] == "sts"
      and st["answer"]["text"] == "secure match=mx.enforce.sts.example servername=hostname", "sts %s %s" % (st["mta_sts"], st["answer"]))
sys.exit(1 if bad else 0)
PY
[ "$T_FAILS" = 0 ] && ok "check --probe --json: providers, published, recommendations"

# ---- 2. golden files
mask_json() {
	python3 -c '
import json, re, sys
def m(o, k=None):
    if isinstance(o, dict):
        return {k2: m(v, k2) for k2, v in o.items()}
    if isinstance(o, list):
        return [m(v) for v in o]
    if k in ("ttl",) and isinstance(o, int):
        return 0
    if k in ("data", "fingerprint", "pkey_fingerprint", "not_after") and isinstance(o, str):
        return "MASKED"
    if isinstance(o, str):
        o = re.sub(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", "FP", o)
        o = re.sub(r"ttl \d+", "ttl N", o)
    return o
for l in sys.stdin:
    print(json.dumps(m(json.loads(l)), sort_keys=True))
'
}
# shellcheck disable=SC2086
TP check --probe $domains >"$T_DIR/out.txt" 2>"$T_DIR/err"
mask_json <"$T_DIR/out.json" >"$T_DIR/out.json.masked"
if [ $update_golden = 1 ]; then
	cp "$T_DIR/out.txt" "$GOLDEN/table.ref"
	cp "$T_DIR/out.json.masked" "$GOLDEN/json.ref"
	echo "rewrote $GOLDEN/table.ref and $GOLDEN/json.ref; not a test run (status 3)"
	exit 3
fi
if diff -u "$GOLDEN/table.ref" "$T_DIR/out.txt"; then ok "golden table"; else fail "table differs from golden/table.ref"; fi
if diff -u "$GOLDEN/json.ref" "$T_DIR/out.json.masked" >"$T_DIR/json.diff"; then
	ok "golden JSON"
else
	head -40 "$T_DIR/json.diff"
	fail "JSON differs from golden/json.ref"
fi

# ---- 3. --save / --force
TP policy set mismatch.example may >/dev/null || fail "policy set"
# shellcheck disable=SC2086
TP check --probe --save $domains >"$T_DIR/save.txt" 2>"$T_DIR/err"
for pat in '^not saved gmail-hosted.example: the daemon already answers "secure match=mx.google.com" from the provider template$' \
	'^not saved m365-hosted.example: the daemon already answers "secure match=.mail.protection.outlook.com" from the provider template$' \
	'^added tls.example: verify$' '^added selfsigned.example: encrypt$' \
	'^kept mismatch.example: may \(recommended encrypt; --force replaces it\)$' \
	'^saved: 4 added, 0 replaced, 1 kept, 2 served automatically, 0 not saved$'; do
	grep -Eq "$pat" "$T_DIR/save.txt" || fail "--save output lacks /$pat/: $(cat "$T_DIR/save.txt" "$T_DIR/err")"
done
[ "$(TP policy get mismatch.example)" = "may" ] || fail "--save changed an existing row"
for d in gmail-hosted.example m365-hosted.example; do
	TP policy get $d >/dev/null 2>&1 && fail "--save froze the provider template of $d"
done
TP check --probe --save --force mismatch.example tls.example >"$T_DIR/save2.txt" 2>&1
grep -q '^replaced mismatch.example: may -> encrypt$' "$T_DIR/save2.txt" || fail "--force: $(cat "$T_DIR/save2.txt")"
grep -q '^saved: 0 added, 1 replaced, 0 kept, 0 served automatically, 0 not saved$' "$T_DIR/save2.txt" ||
	fail "--force count: $(cat "$T_DIR/save2.txt")"
[ "$(TP policy get mismatch.example)" = "encrypt" ] || fail "--force did not replace"
[ "$(TP policy get plain.example 2>/dev/null)" = "" ] || fail "plain.example saved without a recommendation"
# MTA-STS published but broken: check recommends verify (the MX has a
# valid certificate), but a row would outrank the policy once it is fixed
broken="untrusted.sts.example redirect.sts.example"
# shellcheck disable=SC2086
TP check --probe --save $broken >"$T_DIR/save3.txt" 2>"$T_DIR/err3"
for d in $broken; do
	# PUBLISHED says the policy could not be fetched, with the reason
	# (issue 17 item 6), not "none"
	grep -Eq "^$d +self +MTA-STS \(failed\) +- +- +verify +WARNING: MTA-STS failed: policy fetch failed" \
		"$T_DIR/save3.txt" || fail "$d: not recommended verify: $(cat "$T_DIR/save3.txt")"
	grep -Eq "^not saved $d: cannot tell what $d publishes: MTA-STS: .*fetch failed .* \(--force-weaker $d saves it\)$" \
		"$T_DIR/save3.txt" || fail "$d saved: $(cat "$T_DIR/save3.txt")"
	TP policy get $d >/dev/null 2>&1 && fail "--save wrote $d"
done
grep -q '^saved: 0 added, 0 replaced, 0 kept, 0 served automatically, 2 not saved$' "$T_DIR/save3.txt" ||
	fail "broken MTA-STS count: $(cat "$T_DIR/save3.txt")"
# shellcheck disable=SC2086
TP check --probe --save --force-weaker redirect.sts.example $broken >"$T_DIR/save4.txt" 2>&1
grep -q '^added redirect.sts.example: verify (--force-weaker)$' "$T_DIR/save4.txt" ||
	fail "--force-weaker: $(cat "$T_DIR/save4.txt")"
grep -q '^not saved untrusted.sts.example' "$T_DIR/save4.txt" || fail "--force-weaker saved another domain"
TP check --force-weaker tls.example tls.example >/dev/null 2>&1; [ $? = 2 ] || fail "--force-weaker without --save: want 2"
# provenance: which command, from what evidence
TP policy list -v >"$T_DIR/prov.txt" 2>&1
grep -Eq '^tls\.example +verify +[0-9-]+ [0-9:]+ +check --save \(.*\) +check --probe: "verify" delivers on the 1 MX \(mx\.tls\.example\)$' \
	"$T_DIR/prov.txt" || fail "provenance of tls.example: $(grep '^tls' "$T_DIR/prov.txt")"
grep -Eq '^redirect\.sts\.example +verify .*check --save .*; forced \(--force-weaker\): cannot tell what redirect\.sts\.example publishes: MTA-STS: .*fetch failed .*HTTP status 301' \
	"$T_DIR/prov.txt" || fail "provenance of the forced row: $(grep '^redirect' "$T_DIR/prov.txt")"
TP policy delete redirect.sts.example >/dev/null
[ "$T_FAILS" = 0 ] && ok "--save / --force / --force-weaker: only what discovery cannot give"

# ---- 4. the daemon on that table
cp "$T_DIR/t.db" "$T_DIR/t.db.saved"
daemon_start "smtp_ca_file=$LAB_CA_FILE" "https_ca_file=$LAB_CA_FILE" || exit 1
# no provider rows: the provider source answers
expect gmail-hosted.example "OK secure match=mx.google.com"
expect m365-hosted.example "OK secure match=.mail.protection.outlook.com"
expect tls.example "OK verify"
expect selfsigned.example "OK encrypt"
expect enforce.sts.example "OK secure match=mx.enforce.sts.example servername=hostname"

# ---- 5. deliveries with every recommended policy
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
off=$(lab log-offset)
declare -A qid
deliver="gmail-hosted.example m365-hosted.example tls.example nomx.example mismatch.example
 selfsigned.example expired.example dane-ee.example enforce.sts.example"
for d in $deliver; do
	qid[$d]=$(lab send "test@lab.example" "you@$d" "check test $d")
	[ -n "${qid[$d]}" ] || fail "could not submit to $d"
done
declare -A mxof=([gmail-hosted.example]=aspmx.l.google.com
	[m365-hosted.example]=m365-hosted-example.mail.protection.outlook.com
	[tls.example]=mx.tls.example [nomx.example]=nomx.example
	[mismatch.example]=mx.mismatch.example [selfsigned.example]=mx.selfsigned.example
	[expired.example]=mx.expired.example [dane-ee.example]=mx.dane-ee.example
	[enforce.sts.example]=mx.enforce.sts.example)
for d in $deliver; do
	mx=${mxof[$d]//./\\.}
	case $d in
	mismatch.example | selfsigned.example | expired.example)
		wait_for "$d encrypt" "(Trusted|Untrusted|Anonymous) TLS connection established to $mx\\[" ;;
	*)
		wait_for "$d verified" "Verified TLS connection established to $mx\\[" ;;
	esac
	wait_for "$d sent" "${qid[$d]}: to=<you@$d>.*status=sent"
done
daemon_stop

# ---- 6. warnings
rm -f "$T_DIR/t.db"
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
TP policy set dane-ee.example may >/dev/null
TP policy set enforce.sts.example dane >/dev/null
TP policy set selfsigned.example verify >/dev/null
TP policy set tls.example secure match=mx.google.com >/dev/null
TP policy set dane-partial.example dane-only >/dev/null
TP policy set dane-ta.example verify >/dev/null
TP policy set gmail-hosted.example encrypt >/dev/null
TP check --probe dane-ee.example enforce.sts.example selfsigned.example tls.example \
	dane-partial.example dane-ta.example gmail-hosted.example >"$T_DIR/warn.txt" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 1 ] || fail "warnings: exit $rc, want 1"
for pat in '^dane-ee\.example .*WARNING: table policy may is weaker than the published DANE \(dane-only\)' \
	'^enforce\.sts\.example .*WARNING: table policy dane is weaker than the published MTA-STS enforce' \
	'^selfsigned\.example .*WARNING: table policy "verify" would fail on mx\.selfsigned\.example' \
	'^tls\.example .*WARNING: table holds the Google.* template but the MX hosts are not' \
	'^tls\.example .*WARNING: table policy "secure match=mx.google.com" would fail on mx\.tls\.example' \
	'^dane-ta\.example .*WARNING: table policy verify is weaker than the published DANE \(dane-only\): verify ignores the published TLSA records' \
	'^gmail-hosted\.example .*WARNING: table policy encrypt is weaker than the Google.* provider template \(secure match=mx.google.com\) the daemon would answer: encrypt accepts any certificate'; do
	grep -Eq "$pat" "$T_DIR/warn.txt" || fail "warnings lack /$pat/"
done
grep -q '^dane-partial\.example .*weaker' "$T_DIR/warn.txt" && fail "dane-only for a DANE domain is not weaker"
# but it fails on the MX without TLSA
grep -Eq '^dane-partial\.example .*WARNING: table policy "dane-only" would fail on mx2\.dane-partial\.example' \
	"$T_DIR/warn.txt" || fail "dane-only on dane-partial: no failure note"
TP check dane-ee.example >/dev/null 2>&1
[ $? = 1 ] || fail "weaker-than-DANE without --probe: want exit 1"
[ "$T_FAILS" = 0 ] && ok "warnings and exit 1"

# ---- 6b. a "*." match name (the design document's Hostpoint template,
# issue 10 item 7b): check --probe judges it like Postfix, and the lab's
# Postfix delivers (or defers) exactly so with the same table row
rm -f "$T_DIR/t.db"
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
TP policy set m365-hosted.example secure 'match=*.mail.protection.outlook.com' >/dev/null ||
	fail "policy set match=*.mail.protection.outlook.com"
TP policy set tls.example secure 'match=*.tls.example' >/dev/null || fail "policy set match=*.tls.example"
TP check --probe m365-hosted.example tls.example >"$T_DIR/star.txt" 2>"$T_DIR/err"
grep -Eq '^m365-hosted\.example .*secure +match=\*\.mail\.protection\.outlook\.com' "$T_DIR/star.txt" ||
	fail "*.: m365 row not shown: $(cat "$T_DIR/star.txt")"
grep -q '^m365-hosted\.example .*would fail' "$T_DIR/star.txt" && fail "*.: m365 judged failing: $(cat "$T_DIR/star.txt")"
grep -Eq '^tls\.example .*WARNING: table policy "secure match=\*\.tls\.example" would fail on mx\.tls\.example' \
	"$T_DIR/star.txt" || fail "*.: tls.example not judged failing: $(cat "$T_DIR/star.txt")"
lab sender-reset -d >/dev/null || exit 1
lab sender-set 'smtp_tls_policy_maps = inline:{ {m365-hosted.example = secure match=*.mail.protection.outlook.com}, {tls.example = secure match=*.tls.example} }' \
	>/dev/null || exit 1
off=$(lab log-offset)
q1=$(lab send "test@lab.example" "star@m365-hosted.example" "star")
q2=$(lab send "test@lab.example" "star@tls.example" "star")
wait_for "*. match: m365-hosted.example verified" "Verified TLS connection established to m365-hosted-example\.mail\.protection\.outlook\.com\["
wait_for "*. match: m365-hosted.example sent" "$q1: to=<star@m365-hosted.example>.*status=sent"
wait_for "*. match: tls.example deferred" "$q2: to=<star@tls.example>.*status=deferred.*Server certificate not verified"
lab sender-reset -d >/dev/null
[ "$T_FAILS" = 0 ] && ok "*. match names: check --probe agrees with Postfix"

# ---- 7. bad input
TP check --force tls.example >/dev/null 2>&1; [ $? = 2 ] || fail "--force without --save: want 2"
TP check --pin tls.example >/dev/null 2>&1; [ $? = 2 ] || fail "--pin without --probe: want 2"
# --save creates no database (issue 17 item 3): only db init does
TP --db "sqlite:$T_DIR/none/x.db" check --save tls.example >/dev/null 2>"$T_DIR/err"
[ $? = 1 ] || fail "--save without a database: want 1"
grep -q "database $T_DIR/none/x.db does not exist (run tlspolicy db init)" "$T_DIR/err" ||
	fail "--save without a database: $(cat "$T_DIR/err")"
[ ! -e "$T_DIR/none" ] || fail "--save created $T_DIR/none"
TP check --from-file "$T_DIR/missing" >/dev/null 2>"$T_DIR/err"; [ $? = 1 ] || fail "missing file: want 1"
printf 'tls.example\n# comment\n\nplain.example\n' >"$T_DIR/list"
TP check --from-file "$T_DIR/list" >"$T_DIR/ff.txt" 2>&1
[ "$(grep -c '^\(tls\|plain\)\.example ' "$T_DIR/ff.txt")" = 2 ] || fail "--from-file: $(cat "$T_DIR/ff.txt")"
[ "$T_FAILS" = 0 ] && ok "bad input, --from-file"
finish
