#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-compare.sh - tlspolicy's MTA-STS answers side by side with
# Debian's postfix-mta-sts-resolver (mta-sts-daemon), both pointed at
# the same lab (tests/lab): its answer comes through Postfix's own
# socketmap client (postmap -q), ours from `tlspolicy sts refresh`
# (the daemon's discovery path).  On every scenario where RFC 8461 and
# the documented differences agree the answers must be equal (match
# lists compared as sets: the resolver prints them in hash order).
#
# Deliberate differences, not compared here: a domain with DANE (the
# engine answers DANE first), an unchanged id past max_age (we refetch,
# the resolver keeps the old policy), repeated fields (first wins here,
# last there), policies or TXT records outside the RFC 8461 grammar
# (rejected here, read leniently there), Postfix 3.10 TLSRPT attributes.
#
# Needs the lab ($LAB_DIR/env) and mta-sts-daemon (package
# postfix-mta-sts-resolver): without them exit 77, or fail when CI is
# set.  The resolver runs inside the lab namespace on 127.0.0.1:8462 and
# is stopped by pid.
set -u
LAB_DIR=${LAB_DIR:-/tmp/tlspolicy-lab}
skip_or_fail() {
    if [ -n "${CI:-}" ]; then echo "FAIL (CI is set): $*"; exit 1; fi
    echo "SKIP: $*"; exit 77
}
[ -r "$LAB_DIR/env" ] || skip_or_fail "no lab at $LAB_DIR (run tests/lab/setup)"
command -v mta-sts-daemon >/dev/null || skip_or_fail "mta-sts-daemon not installed (scripts/install-deps)"
# shellcheck disable=SC1091
. "$LAB_DIR/env"
: "${TLSPOLICY:?TLSPOLICY (path of the binary) must be set; run through meson test}"
D=sts.example
PORT=${STS_COMPARE_PORT:-8462}
fails=0
checks=0
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }

T=$(mktemp -d /tmp/tlspolicy-sts-compare.XXXXXX)
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat > "$T/mta-sts-daemon.yml" <<EOF
host: 127.0.0.1
port: $PORT
reuse_port: true
shutdown_timeout: 2
cache:
  type: internal
  options:
    cache_size: 10000
default_zone:
  strict_testing: false
  timeout: 4
EOF
# aiohttp verifies with OpenSSL's default paths: SSL_CERT_FILE names the
# lab root.  c-ares reads the namespace's resolv.conf (the lab resolver).
# (ip itself, not the in_ns function: $! must be the daemon's pid)
ip netns exec "$LAB_NS" env SSL_CERT_FILE="$LAB_CA_FILE" mta-sts-daemon \
    -c "$T/mta-sts-daemon.yml" > "$T/resolver.log" 2>&1 &
PID=$!
up=0
for _ in $(seq 50); do
    if in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then up=1; break; fi
    sleep 0.1
done
[ $up = 1 ] || { echo "mta-sts-daemon did not start:"; cat "$T/resolver.log"; exit 1; }

cat > "$T/lab.cf" <<EOF
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
dns_resolvers = $LAB_RESOLVER
https_ca_file = $LAB_CA_FILE
https_timeout = 4s
EOF

# "secure match=b:a rest" -> "secure match=a:b rest"
norm() {
    local first rest
    read -r first rest <<< "$1"
    if [[ $first == secure && $rest == match=* ]]; then
        local m=${rest%% *} tail=""
        [[ $rest == *" "* ]] && tail=" ${rest#* }"
        m=$(tr ':' '\n' <<< "${m#match=}" | sort -u | paste -sd:)
        echo "secure match=$m$tail"
    else
        echo "$1"
    fi
}

scen="enforce wildcard testing none untrusted expired mismatch redirect notfound ctype big drip
      notxt twotxt maxage0 nosuch"
doms=()
for s in $scen; do doms+=("$s.$D"); done

# Ours: every domain at once.
in_ns "$TLSPOLICY" -c "$T/lab.cf" sts refresh --json "${doms[@]}" > "$T/ours.json" 2>/dev/null
declare -A ours
while IFS= read -r line; do
    d=$(sed -n 's/^{"domain":"\([^"]*\)".*/\1/p' <<< "$line")
    a=$(sed -n 's/.*"answer":"\([^"]*\)".*/\1/p' <<< "$line")
    ours[$d]=${a:-NOTFOUND}
done < "$T/ours.json"

for d in "${doms[@]}"; do
    theirs=$(in_ns postmap -q "$d" "socketmap:inet:127.0.0.1:$PORT:postfix" 2>"$T/postmap.err")
    rc=$?
    if [ $rc = 1 ] && [ -z "$theirs" ]; then theirs=NOTFOUND
    elif [ $rc != 0 ]; then theirs="ERROR($rc: $(cat "$T/postmap.err"))"; fi
    o=$(norm "${ours[$d]:-MISSING}")
    t=$(norm "$theirs")
    if [ "$o" = "$t" ]; then ok "$d: both $o"
    else notok "$d: tlspolicy \"$o\", postfix-mta-sts-resolver \"$t\""; fi
done

echo "$checks checks, $fails failed"
[ $fails = 0 ]
