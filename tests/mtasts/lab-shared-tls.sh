#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-shared-tls.sh - the MTA-STS fetcher shares one trust store and one
# TLS session cache between all its transfers (issue 20).  This proves
# that sharing weakens no check: on ONE fetcher, one transfer after the
# other, against the lab's nginx (tests/lab, real certificates):
#
#   good host, then the untrusted issuer, the name mismatch, the expired
#   certificate (each still refused after a good fetch on the same
#   context), the good host again (accepted; its TLS session offered),
#   the mismatch again; then the CA file replaced by the untrusted CA
#   and the store reloaded: the good host is refused now (no session
#   verified against the old store is resumed) and the untrusted host
#   accepted; the lab CA back: good again.  The same with the system
#   bundle plus the lab CA as the CA file, and with the system store
#   (no CA file: the lab CA is unknown, the good host is refused).  A CA
#   file that is missing at start fails each fetch (not the fetcher),
#   and is used once it appears.
#
# Usage: lab-shared-tls.sh FETCH_TOOL  (BUILDDIR/tests/mtasts/sts_fetch_tool)
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is set.
set -u
TOOL=${1:?usage: lab-shared-tls.sh FETCH_TOOL}
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
TOOL=$(realpath "$TOOL")
T=$(mktemp -d /tmp/tlspolicy-shared-tls.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }

u() { echo "https://mta-sts.$1.sts.example/.well-known/mta-sts.txt"; }
GOOD=$(u enforce) UNTR=$(u untrusted) MISM=$(u mismatch) EXPD=$(u expired)
OTHER=$LAB_CERT_DIR/other-root.crt
[ -r "$OTHER" ] || { echo "no $OTHER in the lab"; exit 1; }

# expect LINE KIND WHAT: KIND ok|refused (fail with a certificate reason)
expect() {
    local line=$1 kind=$2 what=$3
    case $kind in
    ok) [[ $line == *" ok 200 "* ]] && ok "$what: $line" || notok "$what: $line" ;;
    refused) [[ $line == *" fail "*"certificate not accepted"* ]] && ok "$what: $line" ||
                 notok "$what (want: certificate not accepted): $line" ;;
    reloaded) [[ $line == *" reloaded" ]] && ok "$what" || notok "$what: $line" ;;
    esac
}

run_seq() { # CAFILE_OR_EMPTY URL... -> lines in $T/out
    local ca=$1
    shift
    if [ -n "$ca" ]; then
        ip netns exec "$LAB_NS" "$TOOL" -s -p 1 -t 5000 -C "$ca" "$@" >"$T/out" 2>"$T/err"
    else
        ip netns exec "$LAB_NS" "$TOOL" -s -p 1 -t 5000 "$@" >"$T/out" 2>"$T/err"
    fi
    mapfile -t L <"$T/out"
    [ "${#L[@]}" = $# ] || notok "one line per step: got ${#L[@]} of $#: $(cat "$T/out" "$T/err")"
}

for variant in lab system+lab; do
    if [ $variant = lab ]; then
        cp "$LAB_CA_FILE" "$T/ca.pem"
    else
        cat /etc/ssl/certs/ca-certificates.crt "$LAB_CA_FILE" >"$T/ca.pem"
    fi
    cp "$T/ca.pem" "$T/ca-orig.pem"
    run_seq "$T/ca.pem" "$GOOD" "$UNTR" "$MISM" "$EXPD" "$GOOD" "$MISM" \
        "trust:$OTHER" "$GOOD" "$UNTR" "trust:$T/ca-orig.pem" "$GOOD" "$UNTR"
    expect "${L[0]-}" ok "$variant: good host first"
    expect "${L[1]-}" refused "$variant: untrusted issuer after a good fetch"
    expect "${L[2]-}" refused "$variant: name mismatch after a good fetch"
    expect "${L[3]-}" refused "$variant: expired certificate after a good fetch"
    expect "${L[4]-}" ok "$variant: good host again"
    expect "${L[5]-}" refused "$variant: name mismatch after the good host again"
    expect "${L[6]-}" reloaded "$variant: CA file replaced by the untrusted CA, reloaded"
    expect "${L[7]-}" refused "$variant: good host refused under the new store (no old session resumed)"
    expect "${L[8]-}" ok "$variant: untrusted-CA host accepted under the new store"
    expect "${L[9]-}" reloaded "$variant: CA file restored, reloaded"
    expect "${L[10]-}" ok "$variant: good host accepted again"
    expect "${L[11]-}" refused "$variant: untrusted issuer refused again"
done

# The system store (no CA file): built once as well, and it does not
# know the lab CA.
run_seq "" "$GOOD" "$UNTR" "$GOOD"
expect "${L[0]-}" refused "system store: the lab CA is unknown"
expect "${L[1]-}" refused "system store: untrusted issuer"
expect "${L[2]-}" refused "system store: the lab CA still unknown on the same fetcher"

# Missing at start: every fetch fails with the reason; then it appears.
run_seq "$T/late.pem" "$GOOD" "trust:$LAB_CA_FILE" "$GOOD" "$UNTR"
expect "${L[0]-}" refused "CA file missing at start: the fetch fails"
[[ ${L[0]-} == *"CA file $T/late.pem"* ]] && ok "the reason names the CA file" ||
    notok "the reason names the CA file: ${L[0]-}"
grep -q "every policy fetch fails until it can be loaded" "$T/err" &&
    ok "a warning at start" || notok "a warning at start: $(cat "$T/err")"
expect "${L[1]-}" reloaded "the CA file appeared, reloaded"
expect "${L[2]-}" ok "good host accepted once the CA file is there"
expect "${L[3]-}" refused "untrusted issuer still refused"

echo "$checks checks, $fails failed"
[ $fails = 0 ]
