#!/bin/bash
# SPDX-License-Identifier: MIT
# probe-domain.sh - issue 17 item 17 against the lab:
#  - `probe DOMAIN` looks up the MX hosts, as posttls-finger does, and
#    probes each in preference order (text: a "DOMAIN: MX PREF HOST" line
#    before each report; JSON: {domain, mx_host: {name, preference},
#    probe}); a name without MX records is its own host (as before);
#    [HOST] and HOST:PORT probe the host without an MX lookup; a null MX
#    is an error naming RFC 7505;
#  - `check --probe` warns about an MX certificate that expires within
#    check_cert_expiry_days (default 21; 0: never), with the date.
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is set.
set -u
LAB_DIR=${LAB_DIR:-/tmp/tlspolicy-lab}
if [ ! -r "$LAB_DIR/env" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: no lab at $LAB_DIR and CI is set"; exit 1; }
    echo "SKIP: no lab at $LAB_DIR (run tests/lab/setup; set LAB_DIR/LAB_NS)"; exit 77
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"
: "${TLSPOLICY:?}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/tlspolicy-probe-domain.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()    { echo "ok - $*"; }
notok() { fails=$((fails + 1)); echo "not ok - $*"; }
cat > "$T/lab.cf" <<EOF
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
dns_resolvers = $LAB_RESOLVER
smtp_ca_file = $LAB_CA_FILE
probe_timeout = 5s
EOF
tp() { ip netns exec "$LAB_NS" ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/lab.cf" "$@"; }

# ---- probe DOMAIN: every MX host, by preference ----------------------
tp probe --json dane-partial.example >"$T/p.json" 2>"$T/err"; rc=$?
if [ $rc = 0 ] && python3 - "$T/p.json" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert [(j["domain"], j["mx_host"], j["probe"]["host"], j["probe"]["status"]) for j in L] == [
    ("dane-partial.example", {"name": "mx1.dane-partial.example", "preference": 10}, "mx1.dane-partial.example", "ok"),
    ("dane-partial.example", {"name": "mx2.dane-partial.example", "preference": 20}, "mx2.dane-partial.example", "ok")], L
PY
then ok "probe --json DOMAIN: both MX hosts in preference order"; else notok "probe DOMAIN json (rc $rc): $(cat "$T/err")"; fi
"$SRCDIR/tests/lib/json-schema-check" "$SRCDIR/docs/json.md" probe_mx --lines <"$T/p.json" 2>"$T/chk" \
    && ok "probe DOMAIN --json: MX host shape of docs/json.md" || notok "probe schema: $(cat "$T/chk")"
tp probe dane-partial.example >"$T/p.txt" 2>"$T/err"; rc=$?
[ $rc = 0 ] && [ "$(grep -c '^dane-partial.example: MX' "$T/p.txt")" = 2 ] \
    && [ "$(sed -n 1p "$T/p.txt")" = "dane-partial.example: MX 10 mx1.dane-partial.example" ] \
    && [ "$(sed -n 2p "$T/p.txt" | cut -d' ' -f1-4)" = "probe mx1.dane-partial.example port 25" ] \
    && grep -q '^dane-partial.example: MX 20 mx2.dane-partial.example$' "$T/p.txt" \
    && ok "probe DOMAIN text: a 'DOMAIN: MX PREF HOST' line before each report" \
    || notok "probe DOMAIN text (rc $rc): $(head -3 "$T/p.txt") $(cat "$T/err")"
# tls.example's MX is mx.tls.example: the domain and [host] reach the same server
tp probe --json tls.example >"$T/d.json" 2>/dev/null
tp probe --json '[mx.tls.example]' >"$T/h.json" 2>/dev/null; rc=$?
python3 - "$T/d.json" "$T/h.json" <<'PY' && [ $rc = 0 ] && ok "[mx.tls.example]: the host itself, no MX lookup" || notok "[host] probe (rc $rc)"
import json, sys
d = json.loads(open(sys.argv[1]).read()); h = json.loads(open(sys.argv[2]).read())
assert d["mx_host"]["name"] == "mx.tls.example" and "mx_host" not in h, (d, h)
assert h["host"] == "mx.tls.example" and h["address"] == d["probe"]["address"], (d, h)
PY
# a name without MX records is its own host (probe HOST as before)
tp probe --json mx.tls.example >"$T/m.json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert "mx_host" not in j and j["host"]=="mx.tls.example" and j["status"]=="ok", j' "$T/m.json" \
    && [ $rc = 0 ] && ok "probe HOST (no MX records): the host, as before" || notok "probe HOST (rc $rc)"
tp probe --json 'mx.tls.example:25' >"$T/m.json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert "mx_host" not in j and j["port"]==25, j' "$T/m.json" \
    && [ $rc = 0 ] && ok "HOST:PORT: the host" || notok "HOST:PORT (rc $rc)"
# null MX: an error, exit 1
tp probe dane-nullmx.example >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'dane-nullmx.example: null MX (RFC 7505)' "$T/err" && [ ! -s "$T/out" ] \
    && ok "probe of a null-MX domain: exit 1, says so" || notok "null MX (rc $rc): $(cat "$T/err")"
# --policy judges each MX host with the domain as the next hop
tp probe --policy 'secure match=nexthop:dot-nexthop' tls.example >"$T/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'would deliver' "$T/out" && ok "--policy with DOMAIN: the next hop is the domain" \
    || notok "--policy DOMAIN (rc $rc): $(grep policy: "$T/out")"

# check --json: the same MX host shape (docs/json.md), one line per domain
ip netns exec "$LAB_NS" "$TLSPOLICY" -c "$T/lab.cf" --db "sqlite:$T/none.db" check --json \
    dane-partial.example tls.example >"$T/c.json" 2>/dev/null
"$SRCDIR/tests/lib/json-schema-check" "$SRCDIR/docs/json.md" check_result --lines <"$T/c.json" 2>"$T/chk" \
    && [ "$(wc -l <"$T/c.json")" = 2 ] && ok "check --json: hosts[] of MX host objects, JSON Lines" \
    || notok "check schema: $(cat "$T/chk")"

# ---- check --probe: certificates that expire soon --------------------
ck() { # CF_LINES...: check --probe DOMAIN with these settings added
    local dom=$1
    shift
    { cat "$T/lab.cf"; printf '%s\n' "$@"; } >"$T/c.cf"
    ip netns exec "$LAB_NS" ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/c.cf" --db "sqlite:$T/none.db" \
        check --probe "$dom" >"$T/ck.out" 2>"$T/ck.err"
}
end=$(openssl x509 -in "$LAB_CERT_DIR/mx.tls.example.crt" -noout -enddate | cut -d= -f2)
left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
day=$(date -u -d "$end" +%Y-%m-%d)
ck tls.example; rc=$?
[ $rc = 0 ] && ! grep -q 'certificate expires' "$T/ck.out" \
    && ok "default 21 days: a certificate valid $left more days gives no warning" || notok "default: rc $rc $(cat "$T/ck.out")"
ck tls.example "check_cert_expiry_days = $((left + 2))"; rc=$?
[ $rc = 1 ] && grep -q "WARNING: mx.tls.example: certificate expires in $left days ($day; check_cert_expiry_days = $((left + 2)))" "$T/ck.out" \
    && ok "check_cert_expiry_days = $((left + 2)): WARNING with days and date, exit 1" || notok "expiry warning: rc $rc $(cat "$T/ck.out")"
ck tls.example "check_cert_expiry_days = $left"; rc=$?
[ $rc = 0 ] && ! grep -q 'certificate expires' "$T/ck.out" \
    && ok "check_cert_expiry_days = $left: no warning (the certificate outlives it)" || notok "edge: rc $rc $(cat "$T/ck.out")"
ck tls.example "check_cert_expiry_days = 0"; rc=$?
[ $rc = 0 ] && ! grep -q 'certificate expire' "$T/ck.out" && ok "check_cert_expiry_days = 0: never" || notok "0: rc $rc"
# an expired certificate: no expiry note (its failed verification decides)
ck expired.example
! grep -q "certificate expire" "$T/ck.out" && grep -Eq "^expired.example .* encrypt( |$)" "$T/ck.out" \
    && ok "expired certificate: no expiry warning, recommendation encrypt" || notok "expired: $(cat "$T/ck.out")"

echo "# $fails failed"
[ "$fails" = 0 ]
