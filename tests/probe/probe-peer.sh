#!/bin/bash
# SPDX-License-Identifier: MIT
# probe-peer.sh - `tlspolicy probe` against servers that misbehave:
# tests/probe/smtp_peer.py (Python's ssl, i.e. OpenSSL, on 127.0.0.1 and
# ::1, 14 consecutive free ports from tests/lib/free-port) plays one broken server per port: 5xx banner,
# refused EHLO or STARTTLS, a close or plaintext where the TLS handshake
# should be, silence (timeouts per step), HTTP instead of SMTP, an
# overlong line, an EHLO reply that stalls or has too many lines, bytes
# injected after the STARTTLS reply.  Every case must end as a fact in
# the report (never a crash or a hang), with the exit code documented
# for `probe`.  Also: a multi-line banner, a certificate made here with
# openssl (fingerprints compared), IPv6 ::1, a golden text report, and
# 32 silent servers probed at once (queueing, per-step timeouts).
#
# No lab needed.  Needs python3 and openssl (scripts/install-deps).
set -u
: "${TLSPOLICY:?TLSPOLICY (path of the binary) must be set; run through meson test}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BASE=$("$SRCDIR/tests/lib/free-port" --block 14) || { echo "FAIL: no 14 free ports"; exit 1; }
CLOSED=$("$SRCDIR/tests/lib/free-port")   # nobody listens there
fails=0
checks=0
T=$(mktemp -d /tmp/tlspolicy-probe-peer.XXXXXX)
PEER_PID=
cleanup() {
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
tp()    { ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/empty.cf" "$@"; }
: > "$T/empty.cf"

for p in $(seq $BASE $((BASE + 13))); do
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
        echo "FAIL: port $p is in use (the test needs 127.0.0.1:$BASE-$((BASE + 13)))"; exit 1
    fi
done

# A CA and a leaf for peer.test (ECDSA), made here.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=probe test CA" -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=peer.test" \
    -keyout "$T/leaf.key" -out "$T/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:peer.test,DNS:*.peer.test\n' > "$T/ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
    -days 2 -extfile "$T/ext" -out "$T/leaf.crt" 2>/dev/null
cat "$T/leaf.crt" "$T/ca.crt" > "$T/chain.crt"
[ -s "$T/leaf.crt" ] || { echo "FAIL: openssl could not make the test certificates"; exit 1; }

# The block is free when free-port looks, but another process (an
# outgoing connection takes an ephemeral port) may bind one of its ports
# before the peer does: then a new block, a few times.
for try in 1 2 3 4 5; do
    python3 "$SRCDIR/tests/probe/smtp_peer.py" "$T/chain.crt" "$T/leaf.key" $BASE "$T/peer.pid" \
        > "$T/peer.log" 2>&1 &
    PEER_PID=$!
    for _ in $(seq 100); do
        [ -s "$T/peer.pid" ] && break
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$T/peer.pid" ] && break
    wait "$PEER_PID" 2>/dev/null
    grep -q "Address already in use" "$T/peer.log" && [ "$try" -lt 5 ] || break
    echo "# port block $BASE taken meanwhile (try $try): another block"
    BASE=$("$SRCDIR/tests/lib/free-port" --block 14) || { echo "FAIL: no 14 free ports"; exit 1; }
done
[ -s "$T/peer.pid" ] || { echo "FAIL: smtp_peer.py did not start: $(cat "$T/peer.log")"; exit 1; }

pycheck() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("    bad JSON: %s" % e); sys.exit(2)
ok = eval("(" + sys.argv[2] + "\n)", {}, {"j": j})
if not ok:
    print("    failed: %s\n    json: %s" % (sys.argv[2], json.dumps(j)[:800]))
sys.exit(0 if ok else 1)
EOF
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
pk() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
       openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F | sed 's/../&:/g; s/:$//'; }
dt() { date -u -d "$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }

case_() { # NAME OFFSET WANT_RC MAX_MS EXPR DESCRIPTION [EXTRA ARGS]
    local name=$1 off=$2 want=$3 maxms=$4 expr=$5 desc=$6 rc t0 ms
    shift 6
    t0=$(date +%s%N)
    tp probe --json --timeout 2s --ca-file "$T/ca.crt" "$@" "127.0.0.1:$((BASE + off))" \
        > "$T/$name.json" 2> "$T/$name.err"
    rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$rc" != "$want" ]; then
        notok "$name: exit $rc, want $want: $(cat "$T/$name.err")"
    elif [ -z "${TLSPOLICY_WRAP:-}" ] && [ "$ms" -gt "$maxms" ]; then
        notok "$name: took $ms ms (> $maxms)"
    elif pycheck "$T/$name.json" "$expr"; then
        ok "$name: $desc ($ms ms)"
    else
        notok "$name: $desc"
    fi
}

L=$T/leaf.crt
case_ ok 0 0 1500 "j['status']=='ok' and j['banner_code']==220 and len(j['banner'])==3
    and j['banner'][2]=='third' and j['tls']=='ok' and j['verified'] and j['chain_sent']==2
    and j['chain'][0]['sha256']=='$(fp "$L")' and j['chain'][0]['pkey_sha256']=='$(pk "$L")'
    and j['valid_for']==['peer.test','*.peer.test'] and 'STARTTLS' in j['extensions']
    and j['extensions_tls']==['PIPELINING','AUTH PLAIN'] and j['servername']==''" \
    "multi-line banner, STARTTLS, chain verified with --ca-file, fingerprints from openssl"
case_ sni 0 0 1500 "j['servername']=='peer.test' and j['tls']=='ok' and j['host_checked_name']=='peer.test'
    and j['host_match'] and j['host_match_name']=='peer.test'" "SNI sent, certificate checked for it" \
    --servername peer.test
case_ banner554 1 1 1500 "j['status']=='smtp-failed' and j['banner_code']==554
    and '554' in j['why'] and j['tls']=='none'" "554 banner: smtp-failed"
case_ ehlo502 2 0 1500 "j['status']=='ok' and j['tls']=='not-offered' and 'EHLO refused' in j['tls_why']
    and j['ehlo_code']==502" "EHLO refused: session, no TLS (Postfix falls back to HELO)"
case_ starttls454 3 0 1500 "j['status']=='ok' and j['tls']=='refused' and '454' in j['tls_why']
    and j['starttls_offered']" "STARTTLS refused: a fact"
case_ close220 4 0 1500 "j['status']=='ok' and j['tls']=='failed' and j['chain']==[]" \
    "closed after 220: handshake failed"
case_ silent 5 1 3500 "j['status']=='timeout' and 'banner' in j['why']" \
    "silent server: timeout waiting for the banner (2 s)"
case_ garbage 6 1 1500 "j['status']=='smtp-failed' and 'malformed' in j['why']" \
    "HTTP instead of SMTP: malformed reply"
case_ inject 7 0 1500 "j['tls']=='failed' and 'after its STARTTLS reply' in j['tls_why']" \
    "bytes after the STARTTLS reply: TLS refused"
case_ nottls 8 0 2500 "j['tls']=='failed' and j['tls_why']!=''" "plaintext instead of TLS: handshake failed"
case_ longline 9 1 1500 "j['status']=='smtp-failed' and 'longer than 1000' in j['why']" \
    "2000-byte line: refused at the line limit"
case_ stall 10 1 3500 "j['status']=='timeout' and 'EHLO' in j['why'] and j['banner_code']==220" \
    "EHLO reply stalls: timeout on that step, banner kept"
case_ noehlotls 11 0 1500 "j['status']=='ok' and j['tls']=='ok' and j['verified']
    and j['extensions_tls']==[]" "server closes after TLS: the TLS facts stay"
case_ manylines 12 1 1500 "j['status']=='smtp-failed' and 'more than 100 lines' in j['why']" \
    "150-line EHLO reply: refused at the line count limit"
case_ nostarttls 13 0 1500 "j['status']=='ok' and j['tls']=='not-offered' and not j['starttls_offered']" \
    "no STARTTLS offered"
case_ untrusted 0 0 1500 "j['tls']=='ok' and not j['verified'] and j['verify_why']!='ok'" \
    "without the CA: not verified" --ca-file /etc/ssl/certs/ca-certificates.crt

# IPv6 and a closed port
tp probe --json --timeout 2s --ca-file "$T/ca.crt" "[::1]:$BASE" > "$T/v6.json" 2>&1 &&
    pycheck "$T/v6.json" "j['address']=='::1' and j['tls']=='ok' and j['verified']" &&
    ok "IPv6 [::1]:$BASE: TLS verified" || notok "IPv6: $(head -c 300 "$T/v6.json")"
tp probe --json --timeout 2s "127.0.0.1:$CLOSED" > "$T/closed.json" 2>&1
rc=$?
[ $rc = 1 ] && pycheck "$T/closed.json" "j['status']=='connect-failed' and 'refused' in j['why']" &&
    ok "closed port: connect-failed, exit 1" || notok "closed port: exit $rc"

# Usage errors: exit 2, nothing probed
for bad in "" "host:0" "host:70000" "[::1" "[::1]x" "bad_host!:25" "host:2x"; do
    tp probe $bad > /dev/null 2>&1
    rc=$?
    [ $rc = 2 ] && ok "usage: probe '$bad' -> 2" || notok "usage: probe '$bad' -> $rc"
done
tp probe --timeout 0 127.0.0.1 > /dev/null 2>&1; [ $? = 2 ] && ok "--timeout 0: usage" || notok "--timeout 0"
tp probe --policy "secure bogus=1" 127.0.0.1 > "$T/pe" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "policy" "$T/pe" && ok "bad --policy: exit 1, one-line error" ||
    notok "bad --policy: exit $rc $(cat "$T/pe")"

# --policy against the peer: names, fingerprints, encrypt
pol() { # WANT_RC POLICY [NEXTHOP]
    local want=$1 p=$2 nh=${3:-peer.test} rc
    tp probe --timeout 2s --ca-file "$T/ca.crt" --policy "$p" --nexthop "$nh" \
        "127.0.0.1:$BASE" > "$T/pol.out" 2>&1
    rc=$?
    [ $rc = "$want" ] && ok "policy \"$p\" nexthop $nh: exit $rc ($(grep -o 'would[^(]*' "$T/pol.out"))" ||
        notok "policy \"$p\": exit $rc, want $want: $(grep policy: "$T/pol.out")"
}
pol 0 "secure"
pol 0 "secure match=.peer.test" other.test
pol 1 "secure match=other.test:nexthop" other.test
pol 0 "secure match=x.peer.test" other.test
pol 1 "secure match=a.b.peer.test" other.test
pol 0 "fingerprint match=$(fp "$L")"
pol 0 "fingerprint match=$(pk "$L" | tr -d : | tr A-F a-f)"
pol 1 "fingerprint match=$(fp "$T/ca.crt")"
pol 0 "encrypt"
tp probe --timeout 2s --policy encrypt "127.0.0.1:$((BASE + 13))" > /dev/null 2>&1
[ $? = 1 ] && ok "encrypt without STARTTLS: exit 1" || notok "encrypt without STARTTLS"

# Golden text of the "ok" server, the expectation filled in from openssl.
sed -e "s/@LEAF_FP@/$(fp "$L")/; s/@LEAF_PK@/$(pk "$L")/" \
    -e "s/@CA_FP@/$(fp "$T/ca.crt")/; s/@CA_PK@/$(pk "$T/ca.crt")/" \
    -e "s/@LEAF_NB@/$(dt "$L" startdate)/; s/@LEAF_NA@/$(dt "$L" enddate)/" \
    -e "s/@CA_NB@/$(dt "$T/ca.crt" startdate)/; s/@CA_NA@/$(dt "$T/ca.crt" enddate)/" \
    -e "s/@PORT@/$BASE/g; s/@LEAF_SERIAL@//" \
    "$SRCDIR/tests/probe/golden/peer-ok.txt" > "$T/want.txt"
tp probe --ca-file "$T/ca.crt" --helo probe.test "127.0.0.1:$BASE" > "$T/got.raw" 2>&1
sed 's/^  time: .*/  time:          @TIME@/' "$T/got.raw" > "$T/got.txt"
diff -u "$T/want.txt" "$T/got.txt" > "$T/diff" && ok "golden text report of a scripted server" ||
    notok "golden text: $(head -c 2500 "$T/diff")"

# 32 silent servers at once: 16 run in parallel (default), each waits 2 s
# for its banner, so about 2 x 2 s, not 32 x 2 s.
args=()
for _ in $(seq 32); do args+=("127.0.0.1:$((BASE + 5))"); done
t0=$(date +%s%N)
tp probe --json --timeout 2s "${args[@]}" > "$T/par.json" 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(grep -c '"status":"timeout"' "$T/par.json")
if [ "$n" = 32 ] && { [ -n "${TLSPOLICY_WRAP:-}" ] || [ "$ms" -lt 5500 ]; }; then
    ok "32 silent servers: 32 timeouts in $ms ms (16 at a time, 2 s each)"
else
    notok "32 silent servers: $n timeouts in $ms ms"
fi

echo "# $checks checks, $fails failed"
[ $fails = 0 ]
