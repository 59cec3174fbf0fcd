#!/bin/bash
# SPDX-License-Identifier: MIT
# logscan --discover / --probe against the lab: the lab's real Postfix
# (sender) delivers, all Verified, to a DANE domain (dane-ee.example), an
# MTA-STS enforce domain (enforce.sts.example), a self-hosted domain with a
# valid certificate (tls.example) and one whose certificate names another
# host (mismatch.example, delivered with "verify match=wrong-name.example");
# then from that log:
#  1. plain logscan: each domain gets "verify";
#  2. --discover: dane-ee and enforce get none ("publishes DANE" /
#     "publishes MTA-STS enforce"), PUBLISHED shows dane-only / mta-sts;
#     tls.example and mismatch.example keep verify (published none);
#  3. --probe: tls.example gets "secure match=mx.tls.example", which the
#     real Postfix then delivers with (Verified, sent); mismatch.example
#     keeps verify with the reason the secure policy fails;
#  4. --format postmap carries the match= parameter; bad input;
#  5. writing never weakens what a domain publishes (issue 17 item 1):
#     the lab Postfix at its default level (may) delivers, Trusted, to
#     dane-ee.example (DANE), enforce.sts.example (MTA-STS enforce),
#     gmail-hosted.example (the Google provider template), tls.example
#     (nothing published) and untrusted.sts.example (MTA-STS published,
#     policy host with an untrusted certificate); logscan suggests
#     "encrypt" for each, and --apply WITHOUT --discover writes only
#     tls.example: the other rows would be weaker than what the daemon
#     answers (still the published policy afterwards, query shows it) or
#     (untrusted.sts.example) their publication is unknown; --format
#     postmap/sql print only tls.example; --force-weaker DOMAIN writes
#     that one row, recorded as forced in policy list -v.
#
# Needs the lab (tests/lab/README.md): exit 77 when $LAB_DIR/env is missing,
# unless CI is set (then it fails).  env: TLSPOLICY, SRCDIR, LAB_DIR/LAB_NS.
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
: "${LAB_DIR:=/tmp/tlspolicy-lab}" "${LAB_NS:=tplab}"
export LAB_DIR LAB_NS
L=$SRCDIR/tests/lab
if [ ! -r "$LAB_DIR/env" ]; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL: no lab at $LAB_DIR (CI is set)"
		exit 1
	fi
	echo "SKIP: no lab at $LAB_DIR (run tests/lab/setup)"
	exit 77
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"
T=$(mktemp -d /tmp/tlspolicy-logscan-disc.XXXXXX)
cleanup() { "$L/sender-reset" -d >/dev/null 2>&1; [ -n "${KEEP_T:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$T/tp.cf" <<CF
database = sqlite:$T/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
smtp_ca_file = $LAB_CA_FILE
https_ca_file = $LAB_CA_FILE
lookup_deadline = 30s
check_concurrency = 2
CF
"$TLSPOLICY" --db "sqlite:$T/t.db" db init >/dev/null || { echo "FAIL: db init"; exit 1; }
TP() { "$L/run" "$TLSPOLICY" -c "$T/tp.cf" "$@"; }

"$L/sender-reset" -d >/dev/null || { echo "FAIL: sender-reset"; exit 1; }
"$L/sender-set" 'smtp_tls_security_level = dane' \
	'smtp_tls_policy_maps = inline:{ tls.example=verify, enforce.sts.example=verify, {mismatch.example = verify match=wrong-name.example} }' \
	>/dev/null || { echo "FAIL: sender-set"; exit 1; }
# deliver LOG PREFIX DOMAINS...: two messages to each domain (PREFIX1@,
# PREFIX2@), all sent; their log lines into LOG
deliver() {
	local log=$1 p=$2 d i q off n
	shift 2
	sleep 1
	off=$("$L/log-offset")
	for d in "$@"; do
		for i in 1 2; do
			q=$("$L/send" logscan@lab.example "$p$i@$d") || fail "send $d"
			"$L/wait-log" -s "$off" "$q: to=<$p$i@$d>.*status=(sent|deferred|bounced)" 30 \
				>/dev/null || fail "no delivery record for $d ($q)"
		done
	done
	tail -c +$((off + 1)) "$LAB_SENDER_LOG" >"$log"
	for d in "$@"; do
		n=$(grep -c "to=<$p[12]@$d>.*status=sent" "$log")
		[ "$n" = 2 ] || fail "$d: $n of 2 messages sent by the lab Postfix"
	done
}
domains="dane-ee.example enforce.sts.example tls.example mismatch.example"
# shellcheck disable=SC2086
deliver "$T/maillog" r $domains

scan() { # NAME ARGS...: JSON into $T/NAME.json
	local name=$1
	shift
	TP logscan --min-deliveries 2 "$@" "$T/maillog" >"$T/$name.out" 2>"$T/$name.err" ||
		fail "logscan $*: exit $?: $(cat "$T/$name.err")"
}
scan plain --json
scan disc --json --discover
scan probe --json --discover --probe
scan table --discover --probe
scan postmap --format postmap --discover --probe

python3 - "$T" <<'PY' || fails=$((fails + 1))
import json, sys
t = sys.argv[1]
bad = []
def load(name):
    try:
        d = json.load(open("%s/%s.out" % (t, name)))
        return {x["domain"]: x for x in d["domains"]}
    except Exception as e:
        bad.append("%s: no JSON (%s)" % (name, e))
        return {}
def want(run, dom, name, cond, what):
    x = dom.get(name)
    if x is None:
        bad.append("%s %s: missing" % (run, name))
    elif not cond(x):
        bad.append("%s %s: want %s; got verified=%d/%d published=%s suggestion=%s reason=%s" % (
            run, name, what, x["verified"], x["deliveries"], x.get("published"),
            x["suggestion"], x["reason"]))
p = load("plain")
for n in ("dane-ee.example", "enforce.sts.example", "tls.example", "mismatch.example"):
    want("plain", p, n, lambda x: x["verified"] == 2 and x["suggestion"] == "verify" and
         "published" not in x, "2 Verified -> verify, no published member")
d = load("disc")
want("discover", d, "dane-ee.example", lambda x: x["suggestion"] is None and
     x.get("published") == "dane-only" and "publishes DANE" in x["reason"] and
     "served automatically" in x["reason"], "no suggestion, publishes DANE")
want("discover", d, "enforce.sts.example", lambda x: x["suggestion"] is None and
     x.get("published") == "mta-sts" and "publishes MTA-STS" in x["reason"] and
     "mx.enforce.sts.example" in x["reason"], "no suggestion, publishes MTA-STS")
for n in ("tls.example", "mismatch.example"):
    want("discover", d, n, lambda x: x["suggestion"] == "verify" and
         x.get("published") == "none", "verify, published none")
pr = load("probe")
want("probe", pr, "tls.example", lambda x: x["suggestion"] == "secure match=mx.tls.example"
     and "probe: delivers on the 1 MX" in x["reason"], "secure match=mx.tls.example")
want("probe", pr, "mismatch.example", lambda x: x["suggestion"] == "verify" and
     "probe: secure fails on mx.mismatch.example" in x["reason"],
     "verify kept, secure fails")
want("probe", pr, "dane-ee.example", lambda x: x["suggestion"] is None, "still none")
tab = open(t + "/table.out").read().splitlines()
if not tab or "PUBLISHED" not in tab[0].split():
    bad.append("table: no PUBLISHED column: %r" % tab[:1])
elif not any(l.split()[:1] == ["tls.example"] and "secure match=mx.tls.example" in l
             for l in tab):
    bad.append("table: no secure row for tls.example")
pm = open(t + "/postmap.out").read().splitlines()
if "tls.example secure match=mx.tls.example" not in pm or \
   any(l.startswith(("dane-ee.example", "enforce.sts.example")) for l in pm):
    bad.append("postmap: %r" % pm)
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY

# The suggestion is real: the lab Postfix delivers with it, Verified.
sug=$(python3 -c 'import json,sys
d={x["domain"]: x for x in json.load(open(sys.argv[1]))["domains"]}
print(d["tls.example"]["suggestion"] or "")' "$T/probe.out" 2>/dev/null)
if [ -n "$sug" ]; then
	"$L/sender-set" "smtp_tls_policy_maps = inline:{ {tls.example = $sug} }" >/dev/null ||
		fail "sender-set $sug"
	sleep 1
	off2=$("$L/log-offset")
	q=$("$L/send" logscan@lab.example "s@tls.example") || fail "send with $sug"
	"$L/wait-log" -s "$off2" "$q: to=<s@tls.example>.*status=(sent|deferred|bounced)" 30 \
		>"$T/final" || fail "no record for the $sug delivery"
	grep -q "status=sent" "$T/final" || fail "tls.example with \"$sug\": $(cat "$T/final")"
	"$L/wait-log" -s "$off2" "Verified TLS connection established to mx.tls.example" 5 \
		>/dev/null || fail "tls.example with \"$sug\" not Verified"
fi

# --apply writes the secure suggestion with its match= parameter.
TP logscan --min-deliveries 2 --discover --probe --apply "$T/maillog" >"$T/apply.out" 2>&1 ||
	fail "--apply: $(cat "$T/apply.out")"
grep -q "^added tls.example secure match=mx.tls.example$" "$T/apply.out" ||
	fail "--apply: $(cat "$T/apply.out")"
"$TLSPOLICY" -c "$T/tp.cf" policy list >"$T/list.out" 2>&1
grep -Eq "^tls.example +secure +match=mx.tls.example$" "$T/list.out" ||
	fail "table after --apply: $(cat "$T/list.out")"
grep -q "^dane-ee.example" "$T/list.out" && fail "--apply wrote the DANE domain"

# --discover without a table works (discovery needs none) and creates
# nothing.
out=$(TP --db "sqlite:$T/missing.db" logscan --min-deliveries 2 --discover "$T/maillog" 2>&1)
rc=$?
[ $rc = 0 ] || fail "--discover without a table: exit $rc: $out"
case $out in *"no policy table at sqlite:$T/missing.db; CURRENT left empty"*) ;;
	*) fail "--discover without a table: $out" ;; esac
[ ! -e "$T/missing.db" ] || fail "--discover created $T/missing.db"
TP --db "sqlite:$T/missing.db" logscan --apply "$T/maillog" >/dev/null 2>&1 &&
	fail "--apply without a table: exit 0"
[ ! -e "$T/missing.db" ] || fail "--apply created $T/missing.db"

# ---- 5. writing never weakens what a domain publishes ------------------
"$L/sender-reset" -d >/dev/null || { echo "FAIL: sender-reset"; exit 1; }
wdomains="dane-ee.example enforce.sts.example gmail-hosted.example tls.example untrusted.sts.example"
# shellcheck disable=SC2086
deliver "$T/maillog2" w $wdomains
rm -f "$T/t.db"
"$TLSPOLICY" --db "sqlite:$T/t.db" db init >/dev/null || fail "db init"
# what the log alone says: encrypt for every domain
TP logscan --min-deliveries 2 --json "$T/maillog2" >"$T/w-plain.json" 2>"$T/w-plain.err" ||
	fail "logscan: $(cat "$T/w-plain.err")"
python3 - "$T/w-plain.json" $wdomains <<'PY' || fails=$((fails + 1))
import json, sys
d = {x["domain"]: x for x in json.load(open(sys.argv[1]))["domains"]}
bad = [n for n in sys.argv[2:] if d.get(n, {}).get("suggestion") != "encrypt"]
for n in bad:
    print("FAIL: log alone: %s: %s" % (n, d.get(n)))
sys.exit(1 if bad else 0)
PY
# --format prints only what may be written; the rest is named on stderr
TP logscan --min-deliveries 2 --format postmap "$T/maillog2" >"$T/w-pm.out" 2>"$T/w-pm.err"
[ "$(grep -v '^#' "$T/w-pm.out")" = "tls.example encrypt" ] || fail "--format postmap: $(cat "$T/w-pm.out")"
[ "$(grep -c '^tlspolicy logscan: not written ' "$T/w-pm.err")" = 4 ] ||
	fail "--format postmap stderr: $(cat "$T/w-pm.err")"
TP logscan --min-deliveries 2 --format sql "$T/maillog2" >"$T/w-sql.out" 2>/dev/null
[ "$(grep '^INSERT' "$T/w-sql.out")" = "INSERT INTO tlspolicies (domain, policy, params) VALUES ('tls.example', 'encrypt', NULL);" ] ||
	fail "--format sql: $(cat "$T/w-sql.out")"
TP logscan --min-deliveries 2 --apply "$T/maillog2" >"$T/w-apply.out" 2>"$T/w-apply.err" ||
	fail "--apply: $(cat "$T/w-apply.err")"
for pat in '^added tls\.example encrypt$' \
	'^not written dane-ee\.example: publishes DANE: served automatically \(dane-only\); encrypt would be weaker' \
	'^not written enforce\.sts\.example: publishes MTA-STS enforce: served automatically \(secure match=mx\.enforce\.sts\.example servername=hostname\); encrypt would be weaker' \
	'^not written gmail-hosted\.example: publishes a provider template: served automatically \(secure match=mx\.google\.com\); encrypt would be weaker' \
	'^not written untrusted\.sts\.example: not suggested \(encrypt\): cannot tell what it publishes: MTA-STS: policy fetch failed: .*certificate' \
	'^logscan --apply: 1 added, 0 changed, 0 unchanged, 0 kept, 0 served automatically, 4 not written$'; do
	grep -Eq "$pat" "$T/w-apply.out" || fail "--apply output lacks /$pat/"
done
TP policy list >"$T/w-list.out" 2>&1
[ "$(tail -n +2 "$T/w-list.out" | awk '{print $1, $2}')" = "tls.example encrypt" ] ||
	fail "table after --apply: $(cat "$T/w-list.out")"
# the daemon's answers stay the published ones
for pair in "dane-ee.example|OK dane-only" \
	"enforce.sts.example|OK secure match=mx.enforce.sts.example servername=hostname" \
	"gmail-hosted.example|OK secure match=mx.google.com" "tls.example|OK encrypt"; do
	got=$(TP query "${pair%%|*}" 2>/dev/null)
	[ "$got" = "${pair#*|}" ] || fail "query ${pair%%|*}: \"$got\", want \"${pair#*|}\""
done
# --force-weaker names the one domain that may be written weaker
TP logscan --min-deliveries 2 --apply --force-weaker dane-ee.example "$T/maillog2" \
	>"$T/w-force.out" 2>&1 || fail "--force-weaker: $(cat "$T/w-force.out")"
grep -q '^added dane-ee.example encrypt (--force-weaker)$' "$T/w-force.out" ||
	fail "--force-weaker: $(cat "$T/w-force.out")"
grep -q '^not written enforce.sts.example' "$T/w-force.out" || fail "--force-weaker wrote more than its domain"
TP policy list -v >"$T/w-prov.out" 2>&1
grep -Eq '^dane-ee\.example +encrypt .*logscan --apply \(.*\) +.*maillog2: all 2 deliveries encrypted .*forced although weaker than the published DANE \(dane-only\)' \
	"$T/w-prov.out" || fail "provenance of the forced row: $(grep dane-ee "$T/w-prov.out")"
grep -Eq '^tls\.example +encrypt .*logscan --apply' "$T/w-prov.out" || fail "provenance: $(cat "$T/w-prov.out")"

if [ $fails != 0 ]; then
	for f in "$T"/*.out "$T"/*.err; do echo "--- $f"; cut -c1-250 "$f"; done
	echo "--- the sender's log:"
	grep -E 'postfix/(smtp|lmtp)\[' "$T/maillog" | cut -c1-220
	exit 1
fi
echo "logscan lab: --discover and --probe as expected"
