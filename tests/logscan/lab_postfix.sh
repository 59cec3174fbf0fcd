#!/bin/bash
# SPDX-License-Identifier: MIT
# logscan against logs written by a REAL Postfix: the lab's sender
# (tests/lab, maillog_file = postlogd format) delivers to TLS-verified,
# untrusted-certificate, no-STARTTLS and failing destinations, first with
# its default "may", then with a policy map and "dane"; logscan must
# classify each destination from that log alone.
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
T=$(mktemp -d /tmp/tlspolicy-logscan-lab.XXXXXX)
cleanup() { "$L/sender-reset" -d >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$L/sender-reset" -d >/dev/null || { echo "FAIL: sender-reset"; exit 1; }
sleep 1
off=$("$L/log-offset")

# Sends one message with several recipients in one SMTP transaction;
# prints the queue id.
send_multi() {
	"$L/run" python3 - "$LAB_SENDER_ADDR" "$@" <<'PY'
import smtplib, sys, re
addr, rcpts = sys.argv[1], sys.argv[2:]
s = smtplib.SMTP(addr, 25, local_hostname="client.lab.example", timeout=30)
s.ehlo()
s.mail("logscan@lab.example")
for r in rcpts:
    code, resp = s.rcpt(r)
    if code != 250:
        sys.exit("RCPT %s: %d" % (r, code))
code, resp = s.data(b"Subject: logscan lab test\r\n\r\nbody\r\n")
s.quit()
m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
print(m.group(1).decode() if m else "")
PY
}

wait_final() { # QID DOMAIN: the first final record of the message
	"$L/wait-log" -s "$off" "$1: to=<[^>]*@$2>.*status=(sent|deferred|bounced)" 30 >/dev/null ||
		fail "no delivery record for $2 ($1)"
}

# --- phase 1: the sender's default, smtp_tls_security_level = may -------
for d in tls.example selfsigned.example plain.example nomx.example; do
	q=$("$L/send" logscan@lab.example "a@$d") || fail "send $d"
	wait_final "$q" "$d"
done
q=$(send_multi b@tls.example c@tls.example) || fail "send_multi tls.example"
wait_final "$q" tls.example
q=$(send_multi b@selfsigned.example c@plain.example) || fail "send_multi"
wait_final "$q" selfsigned.example
wait_final "$q" plain.example
q=$("$L/send" logscan@lab.example a@dead.example) || fail "send dead.example"
wait_final "$q" dead.example

# --- phase 2: required levels -------------------------------------------
"$L/sender-set" 'smtp_tls_security_level = dane' \
	'smtp_tls_policy_maps = inline:{ nomx.example=verify, mismatch.example=secure, expired.example=verify, untrusted.example=verify }' \
	>/dev/null || fail "sender-set"
sleep 1
for d in nomx.example mismatch.example expired.example untrusted.example dane-ee.example \
	 dane-mismatch.example; do
	q=$("$L/send" logscan@lab.example "z@$d") || fail "send $d"
	wait_final "$q" "$d"
done
q=$(send_multi x@dane-ee.example y@dane-ee.example) || fail "send_multi dane-ee.example"
wait_final "$q" dane-ee.example
# plain.example under "encrypt" (its phase 1 deliveries were plaintext)
"$L/sender-set" 'smtp_tls_policy_maps = inline:{ plain.example=encrypt }' >/dev/null ||
	fail "sender-set encrypt"
sleep 1
q=$("$L/send" logscan@lab.example e@plain.example) || fail "send plain.example"
wait_final "$q" plain.example

# The scan: only this test's part of the log.
tail -c +$((off + 1)) "$LAB_SENDER_LOG" >"$T/maillog"
"$TLSPOLICY" --db "sqlite:$T/none.db" logscan --json --min-deliveries 2 "$T/maillog" \
	>"$T/out.json" 2>"$T/err" || { fail "logscan: $(cat "$T/err")"; exit 1; }

# Judge with python: per domain what the real Postfix did.
python3 - "$T/out.json" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
dom = {x["domain"]: x for x in d["domains"]}
bad = []
def want(name, cond, what):
    if name not in dom:
        bad.append("%s: missing" % name)
    elif not cond(dom[name]):
        x = dom[name]
        bad.append("%s: want %s; got deliveries=%d v=%d t=%d u=%d a=%d p=%d deferred=%d "
                   "failures=%s suggestion=%s reason=%s" % (
                       name, what, x["deliveries"], x["verified"], x["trusted"],
                       x["untrusted"], x["anonymous"], x["plaintext"], x["deferred"],
                       x["failures"], x["suggestion"], x["reason"]))
# may: a lab-CA certificate gives Trusted (names are not checked at may)
want("tls.example", lambda x: x["trusted"] == 3 and x["deliveries"] == 3 and
     x["suggestion"] == "encrypt", "3 Trusted -> encrypt")
want("selfsigned.example", lambda x: x["untrusted"] == 2 and x["deliveries"] == 2 and
     x["suggestion"] == "encrypt", "2 Untrusted -> encrypt")
# no STARTTLS: plaintext, and later "not offered" under encrypt
want("plain.example", lambda x: x["plaintext"] == 2 and x["deliveries"] == 2 and
     x["failures"].get("starttls-not-offered", 0) >= 1 and x["suggestion"] is None,
     "2 plaintext, not-offered failure, no suggestion")
# one Trusted (may) and one Verified (verify) delivery
want("nomx.example", lambda x: x["trusted"] == 1 and x["verified"] == 1 and
     x["suggestion"] == "encrypt", "1 Trusted + 1 Verified -> encrypt")
want("dead.example", lambda x: x["deliveries"] == 0 and x["deferred"] >= 1,
     "deferred, no deliveries")
# required levels that fail: one failure per attempt, with the detail
want("mismatch.example", lambda x: x["deliveries"] == 0 and
     x["failures"].get("cert-name-mismatch", 0) >= 1, "cert-name-mismatch")
want("expired.example", lambda x: x["deliveries"] == 0 and
     x["failures"].get("cert-expired", 0) >= 1, "cert-expired")
want("untrusted.example", lambda x: x["deliveries"] == 0 and
     x["failures"].get("cert-untrusted", 0) >= 1, "cert-untrusted")
want("dane-mismatch.example", lambda x: x["deliveries"] == 0 and
     x["failures"].get("dane", 0) >= 1, "dane failure")
# DANE: Verified, three recipients in two messages -> verify
want("dane-ee.example", lambda x: x["verified"] == 3 and x["deliveries"] == 3 and
     x["suggestion"] == "verify" and x["mx"][0]["host"] == "mx.dane-ee.example",
     "3 Verified -> verify")
s = d["summary"]
if s["unknown_lines"] != 0:
    bad.append("unknown smtp lines in a real Postfix log: %d" % s["unknown_lines"])
if s["postfix_lines"] == 0 or s["tls_sessions"] < 8:
    bad.append("summary: %s" % s)
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY

if [ $fails != 0 ]; then
	echo "--- the sender's log:"
	grep -E 'postfix/(smtp|lmtp)\[' "$T/maillog" | cut -c1-220
	exit 1
fi
echo "logscan lab: real Postfix log classified as expected"
