#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-selfcheck.sh - tlspolicy's own DNSSEC failures never defer mail.
#
# A daemon whose trust anchor is wrong (a DS of a freshly made key, not
# the lab root's) gets a bogus answer for everything, including the
# root; it must answer NOTFOUND (not TEMP) for the DANE and the bogus
# scenarios alike and log the cause (check dns_trust_anchor_file /
# dns_resolvers) once, not per lookup.  The same daemon with the right
# anchor still answers TEMP for the bogus domain (its own data is
# broken) and dane-only for the DANE domain, without that log line.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

# A root KSK the lab never used, and its DS.
(cd "$T_DIR" && ldns-keygen -a ECDSAP256SHA256 -k . >keyname) || { echo "FAIL: ldns-keygen" >&2; exit 1; }
ldns-key2ds -n -2 "$T_DIR/$(cat "$T_DIR/keyname").key" >"$T_DIR/wrong-anchor.ds" ||
	{ echo "FAIL: ldns-key2ds" >&2; exit 1; }
if cmp -s "$T_DIR/wrong-anchor.ds" "$LAB_TRUST_ANCHOR"; then
	echo "FAIL: the generated DS equals the lab's" >&2
	exit 1
fi

MSG="check dns_trust_anchor_file and dns_resolvers"

daemon_start "dns_trust_anchor_file=$T_DIR/wrong-anchor.ds" || exit 1
while read -r domain want; do
	[ -z "$domain" ] && continue
	expect "$domain" "$want"
done <<'EOF2'
dane-ee.example           NOTFOUND
dane-bogus.example        NOTFOUND
dane-expired.example      NOTFOUND
dane-ta.example           NOTFOUND
dane-partial.example      NOTFOUND
tls.example               NOTFOUND
EOF2
# failed discoveries are cached briefly (cache_min_ttl): ask fresh names
# too, and again later, all within the root check's validity
expect d1.bulk.example NOTFOUND
expect d2.bulk.example NOTFOUND
n=$(grep -c "$MSG" "$T_DIR/serve.log")
if [ "$n" = 1 ]; then
	ok "the cause is logged once: $(grep -o "the root zone's DNSKEY does not validate ([^)]*" "$T_DIR/serve.log" | head -1))"
else
	fail "want one log line naming $MSG, got $n"
	grep "dane" "$T_DIR/serve.log" | head -5 >&2
fi
daemon_alive && ok "daemon alive" || fail "daemon died"
daemon_stop

# The right anchor: the bogus domain's own data is broken -> TEMP.
daemon_start || exit 1
expect dane-bogus.example "TEMP DNSSEC validation failure for MX dane-bogus.example"
expect dane-expired.example "TEMP DNSSEC validation failure for MX dane-expired.example"
expect dane-ee.example "OK dane-only"
if grep -q "$MSG" "$T_DIR/serve.log"; then
	fail "root check failed with the right anchor: $(grep "$MSG" "$T_DIR/serve.log" | head -1)"
else
	ok "no self-check warning with the right anchor"
fi

finish
