#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-parentwalk.sh - postmap -q transcripts: for a domain and each of the
# parent keys Postfix asks while walking up after NOTFOUND (mail.a.b ->
# .a.b -> .b, smtp_tls_policy.c tls_policy_lookup(); lab-notfound-delivery.sh
# confirms the walk from the daemon's request log), exactly which key gets
# which answer, for every kind of answer: a table row (exact and
# ".parent"), DANE, MTA-STS, a provider template, NOTFOUND on purpose
# (dane_answer = notfound) and `_default`.  Rule (issue 10, item 1): a
# key that begins with a dot is answered from the admin's explicit
# ".parent" row for exactly that key, else NOTFOUND - never `_default`,
# never discovery.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

tp() { "$TLSPOLICY" --db "sqlite:$T_DIR/t.db" "$@" >/dev/null; }
tp db init || exit 1
tp policy set _default may || exit 1
tp policy set tls.example secure match=mx.tls.example || exit 1
tp policy set .plain.example encrypt || exit 1

# restart SETTING...: a fresh daemon with these settings
restart() {
	daemon_stop
	daemon_start "https_ca_file=$LAB_CA_FILE" "$@" || exit 1
}

# transcript: "KEY -> ANSWER" for every key of $KEYS
transcript() {
	local k
	for k in $KEYS; do
		echo "$k -> $(q "$k")"
	done
}

check_transcript() {
	if [ "$1" = "$2" ]; then
		ok "$3:"
		sed 's/^/    /' <<<"$1"
	else
		fail "$3: transcript differs (got, then want):"
		diff <(echo "$1") <(echo "$2") >&2
	fi
}

KEYS='tls.example .example
x.y.plain.example .y.plain.example .plain.example .example
dane-ee.example .example
mx.dane-ee.example .dane-ee.example .example
enforce.sts.example .sts.example .example
gmail-hosted.example .example
plain.example .example
[tls.example] [mx.tls.example]:25'
restart
got=$(transcript)
want='tls.example -> OK secure match=mx.tls.example
.example -> NOTFOUND
x.y.plain.example -> OK encrypt
.y.plain.example -> NOTFOUND
.plain.example -> OK encrypt
.example -> NOTFOUND
dane-ee.example -> OK dane-only
.example -> NOTFOUND
mx.dane-ee.example -> OK dane-only
.dane-ee.example -> NOTFOUND
.example -> NOTFOUND
enforce.sts.example -> OK secure match=mx.enforce.sts.example servername=hostname
.sts.example -> NOTFOUND
.example -> NOTFOUND
gmail-hosted.example -> OK secure match=mx.google.com
.example -> NOTFOUND
plain.example -> OK may
.example -> NOTFOUND
[tls.example] -> OK may
[mx.tls.example]:25 -> OK may'
check_transcript "$got" "$want" "table, DANE, MTA-STS, provider, _default (defaults)"

# NOTFOUND on purpose: dane_answer = notfound lets Postfix's own dane
# level decide; the walk must not end in `_default`.
KEYS='dane-mismatch.example .example
mx.dane-ee.example .dane-ee.example .example
testing.sts.example .sts.example .example'
restart dane_answer=notfound
got=$(transcript)
want='dane-mismatch.example -> NOTFOUND
.example -> NOTFOUND
mx.dane-ee.example -> NOTFOUND
.dane-ee.example -> NOTFOUND
.example -> NOTFOUND
testing.sts.example -> OK may
.sts.example -> NOTFOUND
.example -> NOTFOUND'
check_transcript "$got" "$want" "NOTFOUND on purpose (dane_answer = notfound)"

# The other documented settings that change answers: the parent keys
# stay NOTFOUND whatever the first key got.
KEYS='dane-ee.example .example
testing.sts.example .sts.example .example
gmail-hosted.example .example'
restart dane_answer=dane sts_testing=may provider_policies=no
got=$(transcript)
want='dane-ee.example -> OK dane
.example -> NOTFOUND
testing.sts.example -> OK may
.sts.example -> NOTFOUND
.example -> NOTFOUND
gmail-hosted.example -> OK may
.example -> NOTFOUND'
check_transcript "$got" "$want" "dane_answer = dane, sts_testing = may, provider_policies = no"
KEYS='dane-ee.example .example
x.y.plain.example .y.plain.example .plain.example'
restart discovery=no
got=$(transcript)
want='dane-ee.example -> OK may
.example -> NOTFOUND
x.y.plain.example -> OK encrypt
.y.plain.example -> NOTFOUND
.plain.example -> OK encrypt'
check_transcript "$got" "$want" "discovery = no (table and _default only)"

# Without a `_default` row: NOTFOUND for every key of a domain that
# publishes nothing, so Postfix's main.cf level applies.
tp policy delete _default || exit 1
KEYS='plain.example .example
testing.sts.example .sts.example .example'
restart
got=$(transcript)
want='plain.example -> NOTFOUND
.example -> NOTFOUND
testing.sts.example -> NOTFOUND
.sts.example -> NOTFOUND
.example -> NOTFOUND'
check_transcript "$got" "$want" "nothing published, no _default"
finish
