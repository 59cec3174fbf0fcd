#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-shadow.sh - shadow mode (issue 13 item 4) judged by real deliveries
# of the lab's sender Postfix (smtp_tls_policy_maps = the daemon,
# smtp_tls_security_level = may in main.cf).  With shadow = yes the
# TLSA-mismatch domain is answered NOTFOUND - for its key and for the
# .parent keys of Postfix's walk - so Postfix does what it would do alone
# (may: delivered), and the daemon logs once (per domain and UTC day)
# that it would have answered dane-only; `tlspolicy logscan --shadow` over
# the sender's log and the daemon's lines reports that delivery as one the
# shadowed policy would have deferred (table and --json).  A table row
# with the word testing is shadowed the same way.  With shadow = no the
# same domain is answered dane-only again and a new message is deferred:
# enforcement turned on, as the report said.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
# shellcheck disable=SC2119
daemon_start shadow=yes || exit 1
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
D=dane-mismatch.example

# --- shadow = yes: NOTFOUND for every key Postfix asks ------------------
expect "$D" "NOTFOUND"
expect ".$D" "NOTFOUND"
expect ".example" "NOTFOUND"
expect "$D" "NOTFOUND"
n=$(grep -cF "shadow: $D would answer \"dane-only\" (from dane); answered NOTFOUND" "$T_DIR/serve.log")
[ "$n" = 1 ] && ok "logged once: would answer dane-only" || fail "shadow log lines for $D: $n"

off=$(lab log-offset)
start=$off
qid1=$(lab send "test@lab.example" "you@$D" "shadow test 1")
[ -n "$qid1" ] || fail "could not submit a message to $D"
wait_for "shadowed: delivered as Postfix alone would" "$qid1: to=<you@$D>.*status=sent"
grep -cF "shadow: $D would answer" "$T_DIR/serve.log" | grep -qx 1 &&
	ok "the delivery's lookups logged nothing new (once per day)" || fail "logged again"

# --- logscan --shadow: the delivery the shadowed policy would have deferred
tail -c +"$((start + 1))" "$LAB_SENDER_LOG" > "$T_DIR/mail.log"
cat "$T_DIR/serve.log" >> "$T_DIR/mail.log"
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" logscan --shadow "$T_DIR/mail.log" > "$T_DIR/report" 2>&1 ||
	fail "logscan --shadow failed: $(cat "$T_DIR/report")"
if grep -Eq "^$D +dane-only +dane +1 +1 " "$T_DIR/report"; then
	ok "logscan --shadow: $(grep "^$D" "$T_DIR/report" | tr -s ' ')"
else
	fail "logscan --shadow: $(cat "$T_DIR/report")"
fi
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" --json logscan --shadow "$T_DIR/mail.log" 2>/dev/null |
	python3 -c '
import json, sys
d = {r["domain"]: r for r in json.load(sys.stdin)["shadow"]}[sys.argv[1]]
assert d["would_answer"] == "dane-only" and d["from"] == "dane", d
assert d["sent"] == 1 and d["would_defer"] == 1, d
assert d["sent_by_tls"]["verified"] == 0, d
' "$D" && ok "logscan --shadow --json: 1 sent, 1 would defer" || fail "logscan --shadow --json"

# --- a table row with the marker: shadowed the same way -----------------
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set dane-ee.example secure match=nosuch.example testing >/dev/null
kill -HUP "$T_PID"
for _ in $(seq 1 50); do grep -q "policy table reloaded" "$T_DIR/serve.log" && break; sleep 0.1; done
expect dane-ee.example "NOTFOUND"
expect .dane-ee.example "NOTFOUND"
grep -qF 'shadow: dane-ee.example would answer "secure match=nosuch.example" (from table dane-ee.example)' \
	"$T_DIR/serve.log" && ok "shadowed row logged" || fail "shadowed row not logged"
daemon_stop

# --- shadow = no: enforced, the next message is deferred -----------------
daemon_start shadow=no || exit 1
expect "$D" "OK dane-only"
off=$(lab log-offset)
qid2=$(lab send "test@lab.example" "you@$D" "shadow test 2")
[ -n "$qid2" ] || fail "could not submit the second message"
wait_for "enforced: deferred" "$qid2: to=<you@$D>.*status=deferred \\(Server certificate not verified"
daemon_stop
finish
