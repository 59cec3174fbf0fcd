#!/bin/bash
# SPDX-License-Identifier: MIT
# provider-lab.sh - provider templates against the lab (real DNSSEC,
# the provider look-alike zones, real Postfix servers and the lab's
# sender Postfix as the judge):
#  - `provider match`: the provider source's answer for the Google and
#    Microsoft 365 look-alikes, and why it does not apply elsewhere
#    (own MX, null MX, no such domain, no MX);
#  - the engine with the sources in their order (DANE, MTA-STS,
#    provider): the provider answer only where nothing else applies;
#  - `provider template`: transport(5) + tls_policy(5) files; the
#    sender Postfix delivers through the pinned [host] next hop with
#    "Verified" TLS, and with the domain-keyed template answer;
#  - `provider template --check`: clean, then after the domain's MX
#    moves away (stale pin, missing pin, host outside the provider), a
#    missing tls_policy line and an unused one.
#
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is
# set.  The MX change and the sender's settings are undone on exit.
set -u
LAB_DIR=${LAB_DIR:-/tmp/tlspolicy-lab}
if [ ! -r "$LAB_DIR/env" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL: the lab is not running ($LAB_DIR/env missing) and CI is set"; exit 1
    fi
    echo "SKIP: no lab at $LAB_DIR (run tests/lab/setup; set LAB_DIR/LAB_NS)"
    exit 77
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"
: "${TLSPOLICY:?TLSPOLICY (path of the binary) must be set; run through meson test}"
: "${PROVIDER_ENGINE:?PROVIDER_ENGINE (the test tool) must be set; run through meson test}"
LAB_SRC=${LAB_SRC:-${SRCDIR:-.}/tests/lab}
fails=0
checks=0
T=$(mktemp -d /tmp/tlspolicy-provider-lab.XXXXXX)
chmod 755 "$T"
UNDO=()
cleanup() {
    local i
    for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do eval "${UNDO[$i]}" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
lab()   { "$LAB_SRC/$1" "${@:2}"; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
tp()    { in_ns ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/lab.cf" "$@"; }
: > "$T/none.conf"
cat > "$T/lab.cf" <<EOF
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
dns_resolvers = $LAB_RESOLVER
https_ca_file = $LAB_CA_FILE
smtp_ca_file = $LAB_CA_FILE
provider_file = $T/none.conf
database = sqlite:$T/table.db
EOF

# --- provider match ---------------------------------------------------------
tp provider match --json gmail-hosted.example m365-hosted.example tls.example \
    dane-nullmx.example nonexistent.example nomx.example > "$T/match.json" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && python3 - "$T/match.json" <<'EOF'
import json, sys
r = {j["domain"]: j for j in map(json.loads, open(sys.argv[1]))}
g = r["gmail-hosted.example"]
assert g["verdict"] == "applies" and g["answer"] == "secure match=mx.google.com", g
assert g["hosts"] == [{"name": "aspmx.l.google.com", "preference": 5, "provider": "google"}], g
m = r["m365-hosted.example"]
assert m["answer"] == "secure match=.mail.protection.outlook.com", m
assert m["hosts"][0]["provider"] == "microsoft365"
t = r["tls.example"]
assert t["verdict"] == "not-applicable" and t["answer"] is None
assert "no catalogued provider" in t["reason"], t
assert r["dane-nullmx.example"]["null_mx"] and r["dane-nullmx.example"]["verdict"] == "not-applicable"
assert r["nonexistent.example"]["mx_status"] == "nxdomain"
assert r["nomx.example"]["implicit_mx"]
EOF
then ok "provider match: look-alikes get their template; own MX, null MX, NXDOMAIN, no MX do not"
else notok "provider match (exit $rc): $(cat "$T/err") $(head -c 800 "$T/match.json")"; fi

# --- the engine: DANE > MTA-STS > provider > NOTFOUND ----------------------
in_ns "$TLSPOLICY" --db "sqlite:$T/table.db" db init > /dev/null 2>&1
in_ns "$PROVIDER_ENGINE" "$T/lab.cf" "sqlite:$T/table.db" gmail-hosted.example \
    m365-hosted.example dane-ee.example enforce.sts.example tls.example \
    '[aspmx.l.google.com]' > "$T/engine.out" 2> "$T/engine.err"
eng() { # KEY WANT-SOURCE WANT-TEXT
    local line
    line=$(awk -F'\t' -v k="$1" '$1 == k' "$T/engine.out")
    if [ "$(cut -f2 <<< "$line")" = "$2" ] && [ "$(cut -f4 <<< "$line")" = "$3" ]; then
        ok "engine: $1 -> $2 \"$3\""
    else
        notok "engine: $1 -> \"$line\", want $2 \"$3\" $(cat "$T/engine.err")"
    fi
}
eng gmail-hosted.example provider "secure match=mx.google.com"
eng m365-hosted.example provider "secure match=.mail.protection.outlook.com"
eng dane-ee.example dane "dane-only"
eng enforce.sts.example sts "secure match=mx.enforce.sts.example servername=hostname"
eng tls.example none ""
eng '[aspmx.l.google.com]' none ""

# With provider_policies = no the source is not asked.
sed 's/^database.*/&\nprovider_policies = no/' "$T/lab.cf" > "$T/off.cf"
in_ns "$PROVIDER_ENGINE" "$T/off.cf" "sqlite:$T/table.db" gmail-hosted.example > "$T/off.out" 2>&1
[ "$(cut -f2 "$T/off.out")" = none ] && ok "provider_policies = no: gmail-hosted.example NOTFOUND" ||
    notok "provider_policies = no: $(cat "$T/off.out")"

# --- template files ---------------------------------------------------------
tp provider template google gmail-hosted.example --transport "$T/transport" \
    --tls-policy "$T/tls_policy" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc = 0 ] && grep -qx $'gmail-hosted.example\tsmtp:\\[aspmx.l.google.com\\]' "$T/transport" &&
   grep -qx $'\\[aspmx.l.google.com\\]\tsecure match=mx.google.com' "$T/tls_policy" &&
   grep -q '^# aspmx.l.google.com: MX of gmail-hosted.example$' "$T/tls_policy"; then
    ok "template google gmail-hosted.example: transport and tls_policy files"
else
    notok "template (exit $rc): $(cat "$T/err") / $(cat "$T/transport" "$T/tls_policy" 2>&1)"
fi
cp "$T/transport" "$T/transport.keep"
tp provider template google tls.example --transport "$T/transport" \
    --tls-policy "$T/tls_policy" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] && cmp -s "$T/transport" "$T/transport.keep" && grep -q "does not belong to google" "$T/err" &&
    ok "template for a domain not at the provider: exit 1, files unchanged" ||
    notok "template tls.example: exit $rc $(cat "$T/err")"
tp provider template microsoft365 m365-hosted.example > "$T/m365.out" 2>&1 &&
    grep -qx $'\\[m365-hosted-example.mail.protection.outlook.com\\]\tsecure match=.mail.protection.outlook.com' "$T/m365.out" &&
    ok "template microsoft365 to stdout" || notok "template microsoft365: $(cat "$T/m365.out")"

# --- Postfix delivers with them ---------------------------------------------
deliver() { # DESCRIPTION RCPT WANT-LOG-PATTERN SETTINGS...
    local desc=$1 rcpt=$2 pat=$3 off q
    shift 3
    if ! lab sender-set "$@" 2> "$T/set.err"; then
        notok "$desc: sender-set failed: $(cat "$T/set.err")"; return
    fi
    off=$(lab log-offset)
    q=$(lab send probe@lab.example "$rcpt" "$desc" 2> "$T/send.err")
    if [ -n "$q" ] && lab wait-log -s "$off" "$pat" 30 > /dev/null &&
       lab wait-log -s "$off" "$q: to=<$rcpt>.*status=sent" 30 > /dev/null; then
        ok "$desc"
    else
        notok "$desc: $(cat "$T/send.err") $(lab wait-log -s "$off" "$q" 1 2>&1 | tail -3)"
    fi
}
UNDO+=("lab sender-reset -d")
cp "$T/transport" "$T/tls_policy" "$LAB_DIR/" 2>/dev/null
chmod 644 "$LAB_DIR/transport" "$LAB_DIR/tls_policy"
UNDO+=("rm -f '$LAB_DIR/transport' '$LAB_DIR/tls_policy'")
deliver "pinned [aspmx.l.google.com] with the template: Verified, sent" user@gmail-hosted.example \
    "Verified TLS connection established to aspmx.l.google.com\\[127.0.3.30\\]" \
    "transport_maps = texthash:$LAB_DIR/transport" \
    "smtp_tls_policy_maps = texthash:$LAB_DIR/tls_policy"
lab sender-reset > /dev/null 2>&1
ans=$(tp provider match --json m365-hosted.example | python3 -c 'import json,sys; print(json.load(sys.stdin)["answer"])')
deliver "m365-hosted.example with the domain-keyed template answer: Verified, sent" \
    user@m365-hosted.example \
    "Verified TLS connection established to m365-hosted-example.mail.protection.outlook.com" \
    "smtp_tls_policy_maps = inline:{ { m365-hosted.example = $ans } }"
lab sender-reset > /dev/null 2>&1

# --- --check ----------------------------------------------------------------
tp provider template --check "$T/transport" "$T/tls_policy" google > "$T/check.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^ok  *gmail-hosted.example: pins match" "$T/check.out" &&
    ok "--check: pins match the MX" || notok "--check clean: exit $rc $(cat "$T/check.out")"
UNDO+=("lab set-mx gmail-hosted.example 5 aspmx.l.google.com")
lab set-mx gmail-hosted.example 10 mx.tls.example > /dev/null 2>&1 || notok "set-mx failed"
# a tls_policy line nothing pins, and a pin without a line
printf '[old.example]\tverify\n' >> "$T/tls_policy"
printf 'other.example\tsmtp:[mx.other.example]\n' >> "$T/transport"
tp provider template --check --json "$T/transport" "$T/tls_policy" google > "$T/check.json" 2>&1; rc=$?
if [ $rc = 1 ] && python3 - "$T/check.json" <<'EOF'
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
kinds = sorted((x["kind"], x["domain"], x["host"]) for x in f)
want = sorted([
    ("stale", "gmail-hosted.example", "aspmx.l.google.com"),
    ("missing", "gmail-hosted.example", "mx.tls.example"),
    ("elsewhere", "gmail-hosted.example", "mx.tls.example"),
    ("no-mx", "other.example", ""),
    ("unused", "", "[old.example]"),
])
assert kinds == want, kinds
EOF
then ok "--check after the MX moved: stale, missing, elsewhere, no-mx, unused; exit 1"
else notok "--check after MX change: exit $rc $(cat "$T/check.json")"; fi

echo "# $checks checks, $fails failed"
[ $fails = 0 ]
