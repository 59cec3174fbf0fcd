#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-notfound.sh - dane_answer = notfound: DANE applies and the daemon
# says NOTFOUND so that Postfix's own dane level decides.  MTA-STS must
# not answer instead for a domain that has both (sts-dane.example:
# DANE-EE TLSA and an MTA-STS enforce policy), nor `_default`; domains
# without DANE still get MTA-STS and `_default`.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set _default may >/dev/null || exit 1
daemon_start dane_answer=notfound "https_ca_file=$LAB_CA_FILE" || exit 1

# MTA-STS works in this daemon (else the check below proves nothing)
got=$(q enforce.sts.example)
if [[ "$got" == "OK secure match=mx.enforce.sts.example"* ]]; then
	ok "enforce.sts.example -> $got"
else
	fail "enforce.sts.example: got \"$got\", want MTA-STS's secure answer"
fi
while read -r domain want; do
	[ -z "$domain" ] && continue
	expect "$domain" "$want"
done <<'EOF2'
sts-dane.example          NOTFOUND
dane-ee.example           NOTFOUND
dane-nomx.example         NOTFOUND
dane-partial.example      OK dane
dane-bogus.example        TEMP DNSSEC validation failure for MX dane-bogus.example
dane-insecure.example     OK may
tls.example               OK may
EOF2
# from the cache: the same
expect sts-dane.example NOTFOUND

finish
