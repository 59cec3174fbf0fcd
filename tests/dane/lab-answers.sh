#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-answers.sh - every DANE scenario of the lab (tests/lab/README.md)
# answered correctly by `tlspolicy serve`, asked through Postfix's own
# socketmap client (postmap -q) inside the lab's namespace; then the
# same with dane_answer = dane, and the admin's table before discovery.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

daemon_start || exit 1

# domain                    expected answer
while read -r domain want; do
	[ -z "$domain" ] && continue
	expect "$domain" "$want"
done <<'EOF'
dane-ee.example           OK dane-only
dane-ta.example           OK dane-only
dane-mismatch.example     OK dane-only
dane-insecure.example     NOTFOUND
dane-bogus.example        TEMP DNSSEC validation failure for MX dane-bogus.example
dane-expired.example      TEMP DNSSEC validation failure for MX dane-expired.example
dane-mxinsecure.example   NOTFOUND
dane-partial.example      OK dane
dane-mxcname.example      OK dane-only
dane-cnamefb.example      OK dane-only
dane-tlsacname.example    OK dane-only
dane-nullmx.example       NOTFOUND
dane-nomx.example         OK dane-only
dane-usage01.example      OK dane
dane-ipv6.example         OK dane-only
dane-notlsa.example       NOTFOUND
sts-dane.example          OK dane-only
nonexistent.example       NOTFOUND
tls.example               NOTFOUND
EOF

# The same answers a second time come from the cache, unchanged.
expect dane-ee.example "OK dane-only"
expect dane-bogus.example "TEMP dane-bogus.example"

# dane_answer = dane: every-MX-usable domains get "dane" too.
daemon_stop
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set dane-ta.example encrypt >/dev/null
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set .dane-hosts.example secure >/dev/null
daemon_start dane_answer=dane || exit 1
expect dane-ee.example "OK dane"
expect dane-partial.example "OK dane"
expect dane-insecure.example "NOTFOUND"
# the admin's table comes first, also over a DANE verdict
expect dane-ta.example "OK encrypt"
expect sub.dane-hosts.example "OK secure"

finish
