#!/bin/bash
# SPDX-License-Identifier: MIT
# probe-lab.sh - `tlspolicy probe` against the real SMTP servers of the
# lab (tests/lab: Postfix smtpd listeners with lab-CA certificates, real
# DNSSEC with TLSA records):
#  - golden text output for mx.tls.example, the expectation filled in
#    from openssl (fingerprints, validity dates) and the lab's files;
#  - JSON facts for a valid certificate, a name mismatch, a self-signed,
#    an expired and an untrusted-CA certificate, no STARTTLS, a closed
#    port, a name without address, IPv6 ([::1] and an AAAA-only host),
#    SNI, and the DANE cases (EE match, TA match at depth 1, mismatch,
#    insecure zone, only PKIX usages, TLSA behind a CNAME);
#  - Postfix as the judge: for ~30 (destination, policy) pairs the
#    verdict of `probe --policy` must equal what Postfix's own TLS code
#    decides (posttls-finger, "Verified" / TLS established), including
#    the provider look-alikes, ".domain" against a wildcard certificate
#    and fingerprints of certificate and public key;
#  - many hosts probed at once.
#
# Needs the lab ($LAB_DIR/env, default /tmp/tlspolicy-lab): without it
# exit 77, or fail when CI is set.  Changes nothing in the lab.
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
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fails=0
checks=0
T=$(mktemp -d /tmp/tlspolicy-probe-lab.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

in_ns() { ip netns exec "$LAB_NS" "$@"; }
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
tp()    { in_ns ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/lab.cf" "$@"; }
cat > "$T/lab.cf" <<EOF
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
dns_resolvers = $LAB_RESOLVER
smtp_ca_file = $LAB_CA_FILE
probe_timeout = 5s
EOF

# pycheck FILE EXPR: EXPR (Python, j = the JSON object) must be true.
pycheck() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("    bad JSON: %s" % e); sys.exit(2)
ok = eval("(" + sys.argv[2] + "\n)", {}, {"j": j})
if not ok:
    print("    failed: %s\n    json: %s" % (sys.argv[2], json.dumps(j)[:600]))
sys.exit(0 if ok else 1)
EOF
}

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
pk() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
       openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F | sed 's/../&:/g; s/:$//'; }
dt() { date -u -d "$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
C=$LAB_CERT_DIR

# --- golden text -----------------------------------------------------------
L=$C/mx.tls.example.crt
I=$C/ca-issuing.crt
sed -e "s/@LEAF_FP@/$(fp "$L")/; s/@LEAF_PK@/$(pk "$L")/" \
    -e "s/@CA_FP@/$(fp "$I")/; s/@CA_PK@/$(pk "$I")/" \
    -e "s/@LEAF_NB@/$(dt "$L" startdate)/; s/@LEAF_NA@/$(dt "$L" enddate)/" \
    -e "s/@CA_NB@/$(dt "$I" startdate)/; s/@CA_NA@/$(dt "$I" enddate)/" \
    "$SRCDIR/tests/probe/golden/lab-tls.example.txt" > "$T/want.txt"
tp probe mx.tls.example > "$T/got.raw" 2> "$T/err"; rc=$?
sed 's/^  time: .*/  time:          @TIME@/' "$T/got.raw" > "$T/got.txt"
if [ $rc = 0 ] && diff -u "$T/want.txt" "$T/got.txt" > "$T/diff"; then
    ok "golden text: probe mx.tls.example (expectation from openssl)"
else
    notok "golden text (exit $rc): $(head -c 2000 "$T/diff") $(cat "$T/err")"
fi

# --- JSON facts ------------------------------------------------------------
probe_json() { # NAME WANT_RC ARGS...
    local name=$1 want=$2
    shift 2
    tp probe --json "$@" > "$T/$name.json" 2> "$T/$name.err"
    local rc=$?
    [ "$rc" = "$want" ] || notok "$name: exit $rc, want $want: $(cat "$T/$name.err")"
}
fact() { # NAME DESCRIPTION EXPR
    if pycheck "$T/$1.json" "$3"; then ok "$1: $2"; else notok "$1: $2"; fi
}

probe_json valid 0 mx.tls.example
fact valid "TLS, verified, host name matches, fingerprints from openssl" \
    "j['status']=='ok' and j['tls']=='ok' and j['starttls_offered'] and j['verified'] and j['host_match']
     and j['chain'][0]['sha256']=='$(fp "$L")' and j['chain'][0]['pkey_sha256']=='$(pk "$L")'
     and j['chain'][1]['sha256']=='$(fp "$I")' and j['valid_for']==['mx.tls.example','tls.example']
     and j['address']=='127.0.3.20' and 'STARTTLS' in j['extensions'] and 'STARTTLS' not in j['extensions_tls']
     and j['chain'][0]['not_after']=='$(dt "$L" enddate)' and j['chain'][0]['key_type']=='EC'"

probe_json mismatch 0 mx.mismatch.example
fact mismatch "chain trusted, certificate for wrong-name.example only" \
    "j['verified'] and not j['host_match'] and j['valid_for']==['wrong-name.example']
     and j['chain'][0]['sha256']=='$(fp "$C/wrong-name.example.crt")'"

probe_json selfsigned 0 mx.selfsigned.example
fact selfsigned "not verified: self-signed, names still listed" \
    "not j['verified'] and j['verify_why']=='self-signed certificate' and j['chain_sent']==1
     and j['chain'][0]['self_issued'] and j['host_match']
     and j['chain'][0]['sha256']=='$(fp "$C/mx.selfsigned.example.crt")'"

probe_json expired 0 mx.expired.example
fact expired "not verified: expired; validity says so" \
    "not j['verified'] and j['verify_why']=='certificate has expired'
     and j['chain'][0]['validity']=='EXPIRED' and j['chain'][0]['not_after']=='$(dt "$C/mx.expired.example.crt" enddate)'"

probe_json untrusted 0 mx.untrusted.example
fact untrusted "not verified: issuer not in the CA file" \
    "not j['verified'] and 'issuer' in j['verify_why'] and j['host_match']"

probe_json plain 0 mx.plain.example
fact plain "no STARTTLS offered: a fact, exit 0" \
    "j['status']=='ok' and j['tls']=='not-offered' and not j['starttls_offered'] and j['chain']==[]
     and j['banner_code']==220 and j['ehlo_code']==250"

probe_json dead 1 mx.dead.example
fact dead "closed port: connect-failed, exit 1" \
    "j['status']=='connect-failed' and 'refused' in j['why'] and j['attempts'][0]['address']=='127.0.3.250'
     and j['tls']=='none'"

probe_json nxdomain 1 nonexistent.example
fact nxdomain "no address: resolve-failed" "j['status']=='resolve-failed' and j['attempts']==[]"

probe_json ipv6 0 '[::1]:25'
fact ipv6 "IPv6 literal ::1: TLS ok" \
    "j['status']=='ok' and j['address']=='::1' and j['tls']=='ok' and j['valid_for']==['mx.dane-ipv6.example']"

probe_json aaaa 0 mx.dane-ipv6.example
fact aaaa "AAAA-only name: ::1, DANE-EE match, addresses secure" \
    "j['address']=='::1' and j['dane']=='ee-match' and j['address_dnssec']=='secure' and j['host_match']"

probe_json sni 0 --servername mx.tls.example 127.0.3.20
fact sni "address literal with --servername: SNI sent, TLSA looked up for the name" \
    "j['servername']=='mx.tls.example' and j['tlsa_name']=='_25._tcp.mx.tls.example' and j['verified']
     and j['host_checked_name']=='mx.tls.example' and j['host_match']"

probe_json daneee 0 mx.dane-ee.example
fact daneee "DANE-EE 3 1 1 matches the leaf" \
    "j['dane']=='ee-match' and j['tlsa_dnssec']=='secure' and j['tlsa'][0]['usage']==3
     and j['tlsa'][0]['match']=='match' and j['tlsa'][0]['depth']==0
     and j['tlsa'][0]['data']=='$(pk "$C/mx.dane-ee.example.crt" | tr -d : | tr A-F a-f)'"

probe_json daneta 0 mx.dane-ta.example
fact daneta "DANE-TA 2 1 1 matches the issuing CA at depth 1" \
    "j['dane']=='ta-match' and j['tlsa'][0]['usage']==2 and j['tlsa'][0]['depth']==1"

probe_json danemis 0 mx.dane-mismatch.example
fact danemis "TLSA of another key: no-match" "j['dane']=='no-match' and j['tlsa'][0]['match']=='no-match'"

probe_json daneins 0 mx.dane-insecure.example
fact daneins "TLSA in an unsigned zone: insecure (Postfix ignores it)" \
    "j['dane']=='insecure' and j['tlsa_dnssec']=='insecure' and j['tlsa'][0]['match']=='match'"

probe_json dane01 0 mx.dane-usage01.example
fact dane01 "only PKIX-TA/EE records: none usable" \
    "j['dane']=='none' and len(j['tlsa'])==2 and not any(t['usable'] for t in j['tlsa'])
     and all(t['match']=='ignored' for t in j['tlsa'])"

probe_json danecname 0 mx.dane-tlsacname.example
fact danecname "TLSA owner behind a CNAME: followed, EE match" "j['dane']=='ee-match'"

probe_json google 0 aspmx.l.google.com
fact google "Google look-alike: certificate for mx.google.com only" \
    "j['verified'] and j['valid_for']==['mx.google.com'] and not j['host_match']"

probe_json m365 0 m365-hosted-example.mail.protection.outlook.com
fact m365 "Microsoft 365 look-alike: wildcard certificate matches the host name" \
    "j['verified'] and j['valid_for']==['*.mail.protection.outlook.com'] and j['host_match']
     and j['host_match_name']=='*.mail.protection.outlook.com'"

# --- Postfix judges the policy verdicts ----------------------------------
# verdict DOMAIN MXHOST LEVEL MATCH-ARGS(for posttls-finger, space-separated) POLICY
judge() {
    local dom=$1 mx=$2 level=$3 margs=$4 pol=$5 ours theirs line
    local -
    set -f  # match names like "*.x" go to posttls-finger as they are
    tp probe --policy "$pol" --nexthop "$dom" "$mx" > "$T/judge.out" 2>&1
    case $? in 0) ours=delivers ;; *) ours=fails ;; esac
    # shellcheck disable=SC2086
    line=$(in_ns posttls-finger -c -l "$level" -d sha256 -F "$LAB_CA_FILE" "$dom" $margs 2>&1 |
           grep -E "TLS connection established|Connection refused|Name service" | tail -1)
    case $level in
        encrypt) [[ $line == *"TLS connection established"* ]] && theirs=delivers || theirs=fails ;;
        *)       [[ $line == *"Verified TLS connection established"* ]] && theirs=delivers || theirs=fails ;;
    esac
    if [ "$ours" = "$theirs" ]; then
        ok "judge $dom \"$pol\": $ours (Postfix agrees)"
    else
        notok "judge $dom \"$pol\": probe says $ours, Postfix ${theirs}: ${line:-no TLS} / $(grep policy: "$T/judge.out")"
    fi
}
G=aspmx.l.google.com
M=m365-hosted-example.mail.protection.outlook.com
judge gmail-hosted.example $G secure "mx.google.com" "secure match=mx.google.com"
judge gmail-hosted.example $G secure ".google.com" "secure match=.google.com"
judge gmail-hosted.example $G secure "google.com" "secure match=google.com"
judge gmail-hosted.example $G secure "" "secure"
judge gmail-hosted.example $G verify "" "verify"
judge gmail-hosted.example $G verify "hostname nexthop" "verify match=hostname:nexthop"
judge gmail-hosted.example $G encrypt "" "encrypt"
judge m365-hosted.example $M secure ".mail.protection.outlook.com" "secure match=.mail.protection.outlook.com"
judge m365-hosted.example $M secure "mail.protection.outlook.com" "secure match=mail.protection.outlook.com"
judge m365-hosted.example $M secure ".outlook.com" "secure match=.outlook.com"
judge m365-hosted.example $M secure ".protection.outlook.com" "secure match=.protection.outlook.com"
judge m365-hosted.example $M verify "" "verify"
judge m365-hosted.example $M secure "" "secure"
judge tls.example mx.tls.example secure "" "secure"
judge tls.example mx.tls.example secure "nexthop" "secure match=nexthop"
judge tls.example mx.tls.example secure "dot-nexthop" "secure match=dot-nexthop"
judge tls.example mx.tls.example verify "" "verify"
judge tls.example mx.tls.example secure ".example" "secure match=.example"
judge tls.example mx.tls.example fingerprint "$(fp "$L")" "fingerprint match=$(fp "$L")"
judge tls.example mx.tls.example fingerprint "$(pk "$L")" "fingerprint match=$(pk "$L")"
judge tls.example mx.tls.example fingerprint "$(fp "$I")" "fingerprint match=$(fp "$I")"
judge mismatch.example mx.mismatch.example verify "" "verify"
judge mismatch.example mx.mismatch.example secure "wrong-name.example" "secure match=wrong-name.example"
judge mismatch.example mx.mismatch.example encrypt "" "encrypt"
judge selfsigned.example mx.selfsigned.example verify "" "verify"
judge selfsigned.example mx.selfsigned.example encrypt "" "encrypt"
judge selfsigned.example mx.selfsigned.example fingerprint \
    "$(fp "$C/mx.selfsigned.example.crt")" "fingerprint match=$(fp "$C/mx.selfsigned.example.crt")"
judge expired.example mx.expired.example secure "" "secure"
judge expired.example mx.expired.example encrypt "" "encrypt"
judge untrusted.example mx.untrusted.example verify "" "verify"
judge plain.example mx.plain.example encrypt "" "encrypt"

# A match name whose first label is "*" (the design document's Hostpoint
# template, issue 10 item 7b) is compared literally (OpenSSL through
# Postfix's add_namechecks()): it matches a certificate that names that
# wildcard, never a host under it.  The certificate of $M names
# *.mail.protection.outlook.com.
judge m365-hosted.example $M secure "*.mail.protection.outlook.com" "secure match=*.mail.protection.outlook.com"
judge m365-hosted.example $M secure "*.protection.outlook.com" "secure match=*.protection.outlook.com"
judge m365-hosted.example $M verify "*.mail.protection.outlook.com" "verify match=*.mail.protection.outlook.com"
judge gmail-hosted.example $G secure "*.google.com" "secure match=*.google.com"
judge tls.example mx.tls.example secure "*.tls.example" "secure match=*.tls.example"

# --- many at once ----------------------------------------------------------
hosts=(mx.tls.example mx.plain.example mx.selfsigned.example mx.mismatch.example
       mx.expired.example mx.untrusted.example mx.dead.example aspmx.l.google.com
       mx.dane-ee.example mx.dane-ta.example mx1.dane-partial.example 127.0.3.26
       mx.enforce.sts.example mx.sts.example mx.dane-notlsa.example '[::1]')
t0=$(date +%s%N)
tp probe --json "${hosts[@]}" > "$T/many.json" 2> "$T/many.err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(grep -c '"status":"ok"' "$T/many.json")
if [ $rc = 1 ] && [ "$n" = 15 ] && [ "$(wc -l < "$T/many.json")" = 16 ]; then
    ok "16 hosts at once: 15 sessions + 1 refused, output in argument order, $ms ms"
else
    notok "16 hosts: exit $rc, $n ok: $(cat "$T/many.err")"
fi
first=$(head -1 "$T/many.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"])')
[ "$first" = mx.tls.example ] && ok "first line is the first argument" || notok "first line: $first"

echo "# $checks checks, $fails failed"
[ $fails = 0 ]
