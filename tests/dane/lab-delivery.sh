#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-delivery.sh - real deliveries by the lab's sender Postfix using
# the daemon's answers (smtp_tls_policy_maps = socketmap:...).  The
# sender's own level is `may`, so only the daemon's answers make it
# authenticate or defer:
#   DANE-EE and DANE-TA domains: "Verified TLS connection established"
#   and sent; the TLSA-mismatch domain: deferred, certificate not
#   verified; the bogus domain: deferred.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
# shellcheck disable=SC2119
daemon_start || exit 1
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1

off=$(lab log-offset)
declare -A qid
for d in dane-ee.example dane-ta.example dane-mismatch.example dane-bogus.example; do
	qid[$d]=$(lab send "test@lab.example" "you@$d" "dane test $d")
	if [ -z "${qid[$d]}" ]; then
		fail "could not submit a message to $d"
	fi
done

# wait_for WHAT PATTERN: one log line after $off matching PATTERN.
for d in dane-ee.example dane-ta.example; do
	wait_for "$d verified" "Verified TLS connection established to mx\\.$d\\["
	wait_for "$d sent" "${qid[$d]}: to=<you@$d>.*status=sent"
done
wait_for "dane-mismatch.example deferred" \
	"${qid[dane-mismatch.example]}: to=<you@dane-mismatch.example>.*status=deferred \\(Server certificate not verified"
wait_for "dane-mismatch.example checked against TLSA" \
	"verification failed for mx\\.dane-mismatch\\.example.*no matching DANE TLSA"
wait_for "dane-bogus.example deferred" \
	"${qid[dane-bogus.example]}: to=<you@dane-bogus.example>.*status=deferred"

# and never delivered
for d in dane-mismatch.example dane-bogus.example; do
	if tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | grep -Eq "${qid[$d]}: to=<you@$d>.*status=sent"; then
		fail "$d: delivered although it must be deferred"
	fi
done
# Postfix's own MX lookup already fails for the bogus domain (the lab
# resolver validates), so its policy lookup is not reached; the daemon's
# TEMP for it is checked through postmap in lab-answers.sh.
finish
