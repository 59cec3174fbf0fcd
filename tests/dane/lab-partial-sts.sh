#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-partial-sts.sh - partial DANE plus MTA-STS enforce (issue 10, item 4).
#
# dane-sts-partial.example has two MX hosts: mx1 with usable TLSA (and
# unreachable), mx2 without TLSA, and an MTA-STS enforce policy naming
# both.  The answer "dane" would leave mx2 to opportunistic TLS although
# the domain's MTA-STS policy demands a verified certificate for it; the
# daemon must answer the MTA-STS policy instead.  Judged by the lab's
# sender Postfix (own level `may`, so only the daemon's answer makes it
# authenticate): the delivery to mx2 is Verified; with mx2 moved to a
# server whose certificate for the same name is self-signed, the mail is
# deferred.  Without MTA-STS (dane-partial.example) the answer stays
# "dane".

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

D=dane-sts-partial.example
DE=${D//./\\.}          # as an ERE
T_CLEANUP_EXTRA="lab sender-reset -d >/dev/null 2>&1; lab zone-set mx2.$D A 300 127.0.3.61 >/dev/null 2>&1"
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set _default may >/dev/null || exit 1

for mode in dane-only dane notfound; do
	daemon_stop
	daemon_start "https_ca_file=$LAB_CA_FILE" "dane_answer=$mode" || exit 1
	expect "$D" "OK secure match=mx1.$D:mx2.$D servername=hostname"
	expect "$D" "OK secure match=mx1.$D:mx2.$D servername=hostname"   # cached
	expect dane-partial.example "OK dane"
	expect sts-dane.example "$([ $mode = notfound ] && echo NOTFOUND || echo "OK $mode")"
done
# the log says why MTA-STS answered
if grep -q "$D: partial DANE" "$T_DIR/serve.log"; then
	ok "daemon log names the partial DANE"
else
	fail "no \"$D: partial DANE\" line in the daemon log"
fi

lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" 'smtp_connection_cache_on_demand = no' >/dev/null || exit 1
off=$(lab log-offset)
qid=$(lab send test@lab.example "you@$D" "partial dane, mx2") || fail "send to $D"
if lab wait-log -s "$off" "Verified TLS connection established to mx2\\.$DE\\[127\\.0\\.3\\.61\\]" 40 >/dev/null &&
	lab wait-log -s "$off" "$qid: to=<you@$DE>, relay=mx2\\.$DE\\[127\\.0\\.3\\.61\\]:25.*status=sent" 10 >/dev/null; then
	ok "$D: delivered to mx2 (no TLSA), Verified"
else
	fail "$D: no Verified delivery to mx2"
fi

# mx2's certificate replaced by a self-signed one (same name): deferred
lab zone-set "mx2.$D" A 300 127.0.3.62 >/dev/null || exit 1
off=$(lab log-offset)
qid=$(lab send test@lab.example "you@$D" "partial dane, mx2 self-signed") || fail "send to $D"
if lab wait-log -s "$off" "$qid: to=<you@$DE>.*status=deferred \\(Server certificate not verified" 40 >/dev/null; then
	ok "$D: mx2 self-signed: deferred, Server certificate not verified"
else
	fail "$D: mx2 self-signed: not deferred"
fi
if lab wait-log -s "$off" "certificate verification failed for mx2\\.$DE\\[127\\.0\\.3\\.62\\]:25: .*self-signed certificate" 5 >/dev/null; then
	ok "$D: Postfix refused mx2's self-signed certificate"
else
	fail "$D: no certificate verification failure for mx2 logged"
fi
if tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | grep -Eq "$qid: to=<you@$DE>.*status=sent"; then
	fail "$D: delivered although mx2's certificate is self-signed"
fi
lab zone-set "mx2.$D" A 300 127.0.3.61 >/dev/null || fail "zone-set restore"
finish
