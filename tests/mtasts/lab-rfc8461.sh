#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-rfc8461.sh - MTA-STS that RFC 8461 allows and tlspolicy rejected
# before issue 18, enforced end to end: `tlspolicy serve -f` inside the
# lab's namespace (real DNS, nginx with lab-CA certificates), asked by
# Postfix itself.  The lab domains (tests/lab/README.md, MTA-STS table):
#
#   modefirst.sts.example  policy lists mode and mx before version
#   txtwsp.sts.example     the only TXT record is "v=STSv1 ; id=txtwsp1"
#   longline.sts.example   the policy has a 2,000-byte extension line
#
#   1. `postmap -q DOMAIN socketmap:...` gives `secure match=mx.DOMAIN
#      servername=hostname` for each (postfix_compatibility 3.7, the
#      default), and with postfix_compatibility = 3.10 the same policy
#      with its TLSRPT attributes (policy_string lines as published);
#   2. the lab's sender Postfix, with smtp_tls_policy_maps = the daemon,
#      delivers to each domain "Verified" to its MX (127.0.3.80).
#
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is
# set.  Lab changes (sender policy map) are undone on exit; the daemon is
# stopped by pid (tests/dane/lab-lib.sh).

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

D=sts.example
NAMES="modefirst txtwsp longline"
SETTINGS=("dns_resolvers=$LAB_RESOLVER" "https_ca_file=$LAB_CA_FILE"
	"https_timeout=10s" "lookup_deadline=15s")
T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'

want() { echo "OK secure match=mx.$1.$D servername=hostname"; }

# --- 1. postmap, Postfix 3.7 syntax (default) ------------------------------
daemon_start "${SETTINGS[@]}" || exit 1
for n in $NAMES; do
	expect "$n.$D" "$(want "$n")"
done
# The reason a policy was refused would be logged; none may be.
if grep -E "modefirst|txtwsp|longline" "$T_DIR/serve.log" | grep -Eiq "invalid|no record begins|longer than"; then
	fail "the daemon logged a refusal: $(grep -E 'modefirst|txtwsp|longline' "$T_DIR/serve.log" | head -3)"
fi
daemon_stop

# --- 1b. postfix_compatibility = 3.10: the TLSRPT attributes ---------------
daemon_start "${SETTINGS[@]}" "postfix_compatibility=3.10" || exit 1
for n in $NAMES; do
	got=$(q "$n.$D")
	pre="$(want "$n") policy_type=sts policy_domain=$n.$D"
	if [[ "$got" == "$pre "* && "$got" == *" mx_host_pattern=mx.$n.$D"* ]]; then
		ok "3.10: $n.$D -> ${got:0:100}..."
	else
		fail "3.10: $n.$D: got \"${got:0:200}\", want \"$pre ...\" with mx_host_pattern=mx.$n.$D"
	fi
	case $n in
	modefirst) line="{ policy_string = mode: enforce } { policy_string = mx: mx.$n.$D } { policy_string = version: STSv1 }" ;;
	longline) line="{ policy_string = x-comment: $(printf 'x%.0s' $(seq 1989)) }" ;;
	*) line="{ policy_string = version: STSv1 }" ;;
	esac
	if [[ "$got" == *"$line"* ]]; then
		ok "3.10: $n.$D carries its policy lines as published"
	else
		fail "3.10: $n.$D: \"${line:0:80}...\" missing from the answer"
	fi
done
daemon_stop

# --- 2. deliveries by the lab's sender through the daemon -------------------
daemon_start "${SETTINGS[@]}" || exit 1
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
off=$(lab log-offset)
declare -A qid
for n in $NAMES; do
	qid[$n]=$(lab send probe@lab.example "user@$n.$D" "rfc8461 $n" 2>"$T_DIR/send.err")
	[ -n "${qid[$n]}" ] || fail "could not submit to $n.$D: $(cat "$T_DIR/send.err")"
done
for n in $NAMES; do
	[ -n "${qid[$n]}" ] || continue
	if lab wait-log -s "$off" "${qid[$n]}: to=<user@$n\\.$D>.*relay=mx\\.$n\\.$D\\[127\\.0\\.3\\.80\\].*status=sent" 60 >/dev/null &&
		lab wait-log -s "$off" "Verified TLS connection established to mx\\.$n\\.$D\\[127\\.0\\.3\\.80\\]" 10 >/dev/null; then
		ok "delivery to $n.$D: Verified, sent"
	else
		fail "delivery to $n.$D: not Verified and sent"
	fi
done
lab sender-reset -d >/dev/null 2>&1
daemon_alive || fail "daemon died"
daemon_stop
finish
