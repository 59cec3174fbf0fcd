#!/bin/bash
# SPDX-License-Identifier: MIT
# logscan on a log a REAL Postfix wrote with smtp_tls_loglevel = 0, its
# default (issue 17 item 10): the lab's sender delivers over verified
# DANE TLS (dane-ee.example), trusted TLS (tls.example) and plaintext
# (plain.example) at loglevel 0; logscan must not call any of it
# plaintext: TLS unknown, a warning naming smtp_tls_loglevel, no
# suggestion, and logscan --apply (with the lab's discovery) writes no
# row.  The same deliveries at loglevel 1 are classified (Verified,
# Trusted, plaintext), so the test tells the two apart.  Input without a
# Postfix line (/etc/passwd) exits 1.
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
T=$(mktemp -d /tmp/tlspolicy-logscan-ll0.XXXXXX)
cleanup() { "$L/sender-reset" -d >/dev/null 2>&1; [ -n "${KEEP_T:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cat >"$T/tp.cf" <<CF
database = sqlite:$T/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
smtp_ca_file = $LAB_CA_FILE
https_ca_file = $LAB_CA_FILE
lookup_deadline = 30s
CF
"$TLSPOLICY" -c "$T/tp.cf" db init >/dev/null || { echo "FAIL: db init"; exit 1; }
TP() { "$L/run" "$TLSPOLICY" -c "$T/tp.cf" "$@"; }

# deliver LOG LOGLEVEL: 3 messages to dane-ee.example, 2 to tls.example,
# 2 to plain.example, all sent, with smtp_tls_loglevel = LOGLEVEL; the
# log lines of those deliveries into LOG
deliver() {
	local log=$1 level=$2 d q off
	"$L/sender-reset" -d >/dev/null || { echo "FAIL: sender-reset"; exit 1; }
	"$L/sender-set" "smtp_tls_loglevel = $level" 'smtp_tls_security_level = dane' \
		>/dev/null || { echo "FAIL: sender-set"; exit 1; }
	sleep 1
	off=$("$L/log-offset")
	for d in dane-ee.example dane-ee.example dane-ee.example tls.example tls.example \
		 plain.example plain.example; do
		q=$("$L/send" logscan@lab.example "ll$level@$d") || fail "send $d"
		"$L/wait-log" -s "$off" "$q: to=<[^>]*@$d>.*status=sent" 30 >/dev/null ||
			fail "loglevel $level: no status=sent for $d ($q)"
	done
	tail -c +$((off + 1)) "$LAB_SENDER_LOG" >"$log"
}

deliver "$T/level0.log" 0
deliver "$T/level1.log" 1
n0=$(grep -c "TLS connection established" "$T/level0.log")
n1=$(grep -c "TLS connection established" "$T/level1.log")
[ "$n0" = 0 ] && [ "$n1" -ge 5 ] && ok "Postfix logged $n0 TLS lines at level 0, $n1 at level 1" ||
	fail "the lab's Postfix logged $n0 TLS lines at level 0, $n1 at level 1"

# level 0: unknown, never plaintext
TP logscan --json --min-deliveries 2 "$T/level0.log" >"$T/l0.json" 2>"$T/l0.err" ||
	fail "logscan level 0: exit $?: $(cat "$T/l0.err")"
grep -q 'warning: 7 deliveries but not one "TLS connection established" line in the whole input: Postfix logs them only with smtp_tls_loglevel = 1 or more' "$T/l0.err" &&
	ok "level 0: warning names smtp_tls_loglevel" || fail "level 0: no warning: $(cat "$T/l0.err")"
python3 - "$T/l0.json" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
bad = []
if d.get("tls_logged") is not False:
    bad.append("tls_logged: %r" % d.get("tls_logged"))
for name, n in (("dane-ee.example", 3), ("tls.example", 2), ("plain.example", 2)):
    x = dom.get(name)
    if x is None:
        bad.append("%s missing" % name)
        continue
    if not (x["deliveries"] == n and x["plaintext"] is None and x["tls_unknown"] == n and
            x["share"]["plaintext"] is None and x["share"]["encrypted"] is None and
            x["suggestion"] is None and "TLS not logged" in x["reason"]):
        bad.append("%s: %s" % (name, {k: x[k] for k in ("deliveries", "plaintext",
                   "tls_unknown", "share", "suggestion", "reason")}))
for b in bad:
    print("FAIL: level 0: " + b)
if not bad:
    print("ok: level 0: dane-ee 3, tls 2, plain 2 deliveries, TLS unknown, none plaintext, no suggestion")
sys.exit(1 if bad else 0)
PY
TP logscan --min-deliveries 2 "$T/level0.log" >"$T/l0.table" 2>/dev/null
row=$(grep '^dane-ee.example ' "$T/l0.table")
read -r _ del ver enc plain _ <<<"$row"
[ "$del $ver $enc $plain" = "3 ? ? ?" ] && ok "level 0 table: dane-ee.example 3 ? ? ?" ||
	fail "level 0 table row: [$row]"
# --apply with the lab's discovery: nothing to write from such a log
TP logscan --apply --min-deliveries 2 "$T/level0.log" >"$T/apply.out" 2>&1 ||
	fail "logscan --apply level 0: exit $?: $(cat "$T/apply.out")"
rows=$("$TLSPOLICY" -c "$T/tp.cf" policy export 2>&1 | grep -v "^#")
[ -z "$rows" ] && ok "level 0: --apply wrote no row" || fail "level 0: --apply wrote: $rows"

# level 1, same deliveries: classified
TP logscan --json --min-deliveries 2 "$T/level1.log" >"$T/l1.json" 2>"$T/l1.err" ||
	fail "logscan level 1: exit $?: $(cat "$T/l1.err")"
grep -q "smtp_tls_loglevel" "$T/l1.err" && fail "level 1: warning: $(cat "$T/l1.err")"
python3 - "$T/l1.json" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
want = {"dane-ee.example": ("verified", 3), "tls.example": ("trusted", 2),
        "plain.example": ("plaintext", 2)}
bad = [name for name, (k, n) in want.items()
       if name not in dom or dom[name].get(k) != n or "tls_unknown" in dom[name]]
if "tls_logged" in d:
    bad.append("tls_logged present")
for b in bad:
    print("FAIL: level 1: %s: %s" % (b, dom.get(b)))
if not bad:
    print("ok: level 1: dane-ee 3 Verified, tls 2 Trusted, plain 2 plaintext")
sys.exit(1 if bad else 0)
PY

# control: the same deliveries logged at level 1 do give a row to write
# (tls.example publishes nothing: encrypt), so "no row" above means something
TP logscan --apply --min-deliveries 2 "$T/level1.log" >"$T/apply1.out" 2>&1 ||
	fail "logscan --apply level 1: exit $?: $(cat "$T/apply1.out")"
rows=$("$TLSPOLICY" -c "$T/tp.cf" policy export 2>&1 | grep -v "^#")
grep -q "^tls.example " <<<"$rows" && ok "level 1: --apply writes tls.example ($rows)" ||
	fail "level 1: --apply wrote [$rows]: $(cat "$T/apply1.out")"

# no Postfix line at all
out=$("$TLSPOLICY" -c "$T/tp.cf" logscan /etc/passwd 2>&1) && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "not one Postfix log line" <<<"$out" && ok "/etc/passwd: exit 1, says so" ||
	fail "/etc/passwd: exit $rc: $out"

if [ $fails != 0 ]; then
	echo "--- level 0 log:"
	grep -E 'postfix/(smtp|lmtp)\[' "$T/level0.log" | cut -c1-200
	exit 1
fi
echo "logscan lab loglevel 0: never plaintext from missing TLS lines"
