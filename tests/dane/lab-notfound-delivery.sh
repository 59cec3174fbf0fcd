#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-notfound-delivery.sh - `dane_answer = notfound` with a `_default may`
# row, judged by real deliveries: the lab's sender Postfix (its own level
# `dane`, as dane_answer = notfound requires, smtp_tls_policy_maps = the
# daemon) delivers, defers or bounces every lab domain exactly as with the
# default settings (dane_answer = dane-only, same table).
#
# The trap (issue 10, item 1): for a DANE domain the daemon answers
# NOTFOUND so that Postfix's own dane level decides; Postfix then walks up
# (".example") and a daemon that answered that key with `_default may`
# turned a TLSA mismatch (must defer) into an opportunistic delivery.
# Parent keys get the admin's explicit ".parent" rows only.
#
# Also confirms, from the daemon's request log (-v), exactly which keys
# Postfix 3.7 asks while walking up: mx.dane-ee.example (an implicit-MX
# DANE domain three labels deep), then .dane-ee.example, then .example.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
T_SERVE_OPTS=-v
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set _default may >/dev/null || exit 1

# DOMAIN | status (ERE after "status=") | TLS line: LEVEL HOST-ERE, or "-" (none)
CASES='
dane-ee.example           | sent                                  | Verified mx\.dane-ee\.example\[
dane-ta.example           | sent                                  | Verified mx\.dane-ta\.example\[
dane-mismatch.example     | deferred \(Server certificate not verified | Untrusted mx\.dane-mismatch\.example\[
dane-insecure.example     | sent                                  | Trusted mx\.dane-insecure\.example\[
dane-bogus.example        | deferred \(Host or domain name not found | -
dane-mxinsecure.example   | sent                                  | Trusted mx\.insecure-hosts\.example\[
dane-partial.example      | sent                                  | Verified mx1\.dane-partial\.example\[
dane-mxcname.example      | sent                                  | Verified mx\.dane-mxcname\.example\[
dane-cnamefb.example      | sent                                  | Verified mx\.dane-cnamefb\.example\[
dane-tlsacname.example    | sent                                  | Verified mx\.dane-tlsacname\.example\[
dane-nullmx.example       | bounced \(.*nullMX                    | -
dane-nomx.example         | sent                                  | Verified dane-nomx\.example\[
dane-usage01.example      | sent                                  | Trusted mx\.dane-usage01\.example\[
dane-ipv6.example         | sent                                  | Verified mx\.dane-ipv6\.example\[
dane-notlsa.example       | sent                                  | Trusted mx\.dane-notlsa\.example\[
dane-tlsafail.example     | deferred .*TLSA lookup error          | -
dane-sts-partial.example  | sent                                  | Verified mx2\.dane-sts-partial\.example\[
sts-dane.example          | sent                                  | Verified mx\.sts-dane\.example\[
nonexistent.example       | bounced \(Host or domain name not found | -
tls.example               | sent                                  | Trusted mx\.tls\.example\[
plain.example             | sent                                  | -
selfsigned.example        | sent                                  | Untrusted mx\.selfsigned\.example\[
dead.example              | deferred .*Connection refused         | -
gmail-hosted.example      | sent                                  | Verified aspmx\.l\.google\.com\[
enforce.sts.example       | sent                                  | Verified mx\.enforce\.sts\.example\[
testing.sts.example       | sent                                  | Trusted mx\.testing\.sts\.example\[
'

# run_config NAME SETTING...: a daemon with these settings, one message
# per case; writes "DOMAIN STATUS-WORD TLS-LEVEL" lines to $T_DIR/NAME.out
run_config() {
	local name=$1 d st tls line word level off
	shift
	daemon_stop
	daemon_start "https_ca_file=$LAB_CA_FILE" "$@" || exit 1
	lab sender-reset -d >/dev/null || exit 1
	lab sender-set 'smtp_tls_security_level = dane' \
		"smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
	off=$(lab log-offset)
	declare -A qid=()
	while IFS='|' read -r d _ _; do
		d=$(echo $d)
		[ -n "$d" ] || continue
		qid[$d]=$(lab send "test@lab.example" "you@$d" "$name $d") ||
			fail "$name: could not submit a message to $d"
	done <<<"$CASES"
	: >"$T_DIR/$name.out"
	while IFS='|' read -r d st tls; do
		d=$(echo $d)
		st=$(echo "$st" | sed 's/ *$//; s/^ *//')
		tls=$(echo $tls)
		[ -n "$d" ] && [ -n "${qid[$d]:-}" ] || continue
		if line=$(lab wait-log -s "$off" "${qid[$d]}: to=<you@$d>.*status=$st" 40 2>/dev/null); then
			ok "$name: $d: status=${st%% *}"
		else
			line=$(tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | grep -E "${qid[$d]}: to=<you@$d>.*status=" | head -1)
			fail "$name: $d: want status=$st, got: ${line##*status=}"
		fi
		word=$(echo "$line" | sed -n 's/.*status=\([a-z]*\).*/\1/p' | head -1)
		level=-
		if [ "$tls" != - ]; then
			if lab wait-log -s "$off" "${tls%% *} TLS connection established to ${tls#* }" 5 >/dev/null 2>&1; then
				level=${tls%% *}
				ok "$name: $d: $level TLS"
			else
				fail "$name: $d: no \"${tls%% *} TLS connection established to ${tls#* }\""
			fi
		fi
		echo "$d ${word:-none} $level" >>"$T_DIR/$name.out"
	done <<<"$CASES"
	cp "$T_DIR/serve.log" "$T_DIR/$name.serve.log"
}

run_config defaults
run_config notfound dane_answer=notfound

# The answers were really different (else this test proves nothing) ...
got=$(q dane-mismatch.example)
[ "$got" = NOTFOUND ] && ok "notfound: dane-mismatch.example -> NOTFOUND" ||
	fail "notfound: dane-mismatch.example: \"$got\", want NOTFOUND"
got=$(q .example)
[ "$got" = NOTFOUND ] && ok "notfound: .example -> NOTFOUND (never _default)" ||
	fail "notfound: .example: \"$got\", want NOTFOUND"
# ... and the outcomes the same.
if diff -u "$T_DIR/defaults.out" "$T_DIR/notfound.out" >"$T_DIR/diff"; then
	ok "every domain: the same outcome with dane_answer = notfound as with the defaults ($(wc -l <"$T_DIR/notfound.out") domains)"
else
	fail "outcomes differ between the defaults and dane_answer = notfound:"
	cat "$T_DIR/diff" >&2
fi
# the mismatch was checked against its TLSA records, by Postfix itself
if grep -Eq 'verification failed for mx\.dane-mismatch\.example.*no matching DANE TLSA' "$LAB_SENDER_LOG"; then
	ok "dane-mismatch.example: Postfix checked it against TLSA"
else
	fail "dane-mismatch.example: no \"no matching DANE TLSA\" in the sender log"
fi

# The keys Postfix asks, from the daemon's request log: one delivery to a
# DANE domain three labels deep (no MX: the host itself, implicit MX).
# The log offset is taken after the reset and the reload: until then an
# smtp process of the rounds above may still (re)deliver the deferred
# dane-mismatch.example mail and ask its keys (seen in CI on a busy
# machine: "dane-mismatch.example .example" before the three keys).
lab sender-reset -d >/dev/null || exit 1
lab sender-set 'smtp_tls_security_level = dane' \
	"smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
off=$(wc -c <"$T_DIR/serve.log")
qd=$(lab send "test@lab.example" "you@mx.dane-ee.example" "parent walk") || fail "send to mx.dane-ee.example"
if lab wait-log "$qd: to=<you@mx.dane-ee.example>.*status=sent" 40 >/dev/null &&
	lab wait-log "Verified TLS connection established to mx\\.dane-ee\\.example\\[" 5 >/dev/null; then
	ok "mx.dane-ee.example: sent, Verified (Postfix's own dane level after NOTFOUND)"
else
	fail "mx.dane-ee.example: not sent Verified"
fi
keys=$(tail -c +"$((off + 1))" "$T_DIR/serve.log" | sed -n 's/.*: tlspolicy \([^ ]*\): lookup.*/\1/p' | uniq | tr '\n' ' ')
if [ "$keys" = "mx.dane-ee.example .dane-ee.example .example " ]; then
	ok "Postfix asked, in order: $keys"
else
	fail "keys Postfix asked: \"$keys\", want \"mx.dane-ee.example .dane-ee.example .example \""
fi
finish
