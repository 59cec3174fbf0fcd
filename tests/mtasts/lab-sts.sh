#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-sts.sh - MTA-STS discovery against the lab (tests/lab): real DNS
# (nsd + unbound, the lab's trust anchor) and real HTTPS (nginx, the
# drip server, the lab CA), through `tlspolicy sts refresh`, which runs
# the daemon's code path (sts_cache + TXT lookup + sts_fetch + parser +
# answer).  The answers are then judged by real Postfix: posttls-finger
# with the match patterns, and deliveries by the lab's sender Postfix
# with the answer as its TLS policy (an inline: table), including the
# deferral when the MX moves to a host the policy does not allow.
#
# Scenarios (tests/lab/conf/sts.conf, zones/sts.example.zone): enforce
# (exact and wildcard mx), testing (ignore / may), none, untrusted
# issuer, expired certificate, name mismatch, 301, 404, wrong content
# type, body over 64 KiB, drip (timeout), no TXT, two TXT, max_age 0,
# an id change with a new policy behind it, the HTTPS server down,
# Postfix 3.10 TLSRPT attributes, a domain with DANE and MTA-STS.
#
# With sts_engine_tool as argument, the same through the real engine
# with the DANE and MTA-STS sources (precedence: the admin's table, DANE,
# MTA-STS; failures NOTFOUND, never TEMP) and a restart with the policy
# hosts down (the persisted cache answers).
#
# Usage: lab-sts.sh [ENGINE_TOOL]
# Needs the lab ($LAB_DIR/env, default /tmp/tlspolicy-lab): without it
# exit 77, or fail when CI is set.  Changes it makes (TXT id, policy
# file, MX, nginx stopped, sender policy map) are undone on exit.
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
LAB_SRC=${LAB_SRC:-${SRCDIR:-.}/tests/lab}
ENGINE_TOOL=${1:-}   # BUILDDIR/tests/mtasts/sts_engine_tool (optional)
D=sts.example
fails=0
checks=0

T=$(mktemp -d /tmp/tlspolicy-sts-lab.XXXXXX)
chmod 755 "$T"
UNDO=()
cleanup() {
    local i
    for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do eval "${UNDO[$i]}" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

lab() { "$LAB_SRC/$1" "${@:2}"; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }

# A slow wrapper (valgrind) needs a longer fetch timeout and no timing.
HT=3
[ -n "${TLSPOLICY_WRAP:-}" ] && HT=30
conf() { # FILE [EXTRA SETTING LINES...]
    local f=$1; shift
    {
        echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR"
        echo "dns_resolvers = $LAB_RESOLVER"
        echo "https_ca_file = $LAB_CA_FILE"
        echo "https_timeout = ${HT}s"
        echo "database = sqlite:$T/sts.db"
        printf '%s\n' "$@"
    } > "$f"
}
conf "$T/lab.cf"
tp() { in_ns ${TLSPOLICY_WRAP:-} "$TLSPOLICY" "$@"; }
"$TLSPOLICY" -c "$T/lab.cf" db init > /dev/null || { echo "db init failed"; exit 1; }
conf "$T/may.cf" "sts_testing = may" "postfix_compatibility = 3.10" "sts_servername = no"

# The answer line ("answer    ...") or the error/none line of a domain
# in `sts refresh` output.
field() { # OUTPUT-FILE DOMAIN LABEL
    awk -v d="$2" -v l="$3" '
        /^[^ ]/ { cur = $0; next }
        cur == d { sub(/^  /, ""); if (index($0, l " ") == 1) { sub(/^[a-z_]+ +/, ""); print; exit } }
    ' "$1"
}

# --- every scenario at once --------------------------------------------
names="enforce wildcard testing none untrusted expired mismatch redirect notfound ctype big
       drip notxt twotxt maxage0"
args=()
for n in $names; do args+=("$n.$D"); done
args+=(sts-dane.example)
nginx_count() { grep -c "^$1 " "$LAB_NGINX_LOG" 2>/dev/null || true; }
enf0=$(nginx_count 127.0.2.1)
red0=$(nginx_count 127.0.2.8)
t0=$(date +%s%N)
tp -c "$T/lab.cf" sts refresh "${args[@]}" > "$T/all.out" 2> "$T/all.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 1 ] && ok "sts refresh of 16 domains: exit 1 (some have no policy), $ms ms" ||
    notok "sts refresh exit $rc, want 1: $(head -3 "$T/all.err")"
# The drip server bounds the run (https_timeout 3s); everything else ran
# in parallel.
if [ -z "${TLSPOLICY_WRAP:-}" ]; then
    [ "$ms" -lt 6000 ] && ok "ran in parallel ($ms ms < 6 s)" || notok "took $ms ms"
fi

check() { # DOMAIN LABEL GLOB
    local got
    got=$(field "$T/all.out" "$1" "$2")
    # shellcheck disable=SC2053
    if [[ "$got" == $3 ]]; then ok "$1: $2 $got"
    else notok "$1: $2 \"$got\", want $3"; fi
}
check enforce.$D answer "secure match=mx.enforce.$D servername=hostname"
check enforce.$D id enforce1
check enforce.$D max_age 86400
check wildcard.$D answer "secure match=.wildcard.$D servername=hostname"
check wildcard.$D mx "\*.wildcard.$D"
check testing.$D answer "(none: mode testing (sts_testing = ignore))"
check none.$D answer "(none: mode none)"
check untrusted.$D error "policy fetch failed: certificate not accepted: *unable to get local issuer certificate"
check expired.$D error "policy fetch failed: certificate not accepted: *certificate has expired"
check mismatch.$D error "policy fetch failed: certificate not accepted: *no alternative certificate subject name matches*"
check redirect.$D error "policy fetch failed: HTTP status 301 (redirects are not followed)"
check notfound.$D error "policy fetch failed: HTTP status 404"
check ctype.$D error "policy fetch failed: Content-Type \"text/html\", text/plain required"
check big.$D error "policy fetch failed: body larger than 65536 bytes*"
check drip.$D error "policy fetch failed: timed out after ${HT}000 ms*"
check notxt.$D none "no MTA-STS policy: no TXT record at _mta-sts.notxt.$D (nxdomain)"
check twotxt.$D none "no MTA-STS policy: 2 records begin with \"v=STSv1;\", exactly one is allowed"
check maxage0.$D answer "secure match=mx.maxage0.$D servername=hostname"
check maxage0.$D max_age 0
check sts-dane.example answer "secure match=mx.sts-dane.example servername=hostname"
# The 301 (to the enforce host, 127.0.2.1) was not followed: in this run
# the enforce host got exactly one request (its own), the redirect host one.
enf=$(( $(nginx_count 127.0.2.1) - enf0 ))
red=$(( $(nginx_count 127.0.2.8) - red0 ))
[ "$enf" = 1 ] && [ "$red" = 1 ] && ok "301 not followed (nginx: 1 request each)" ||
    notok "nginx requests: enforce host $enf, redirect host $red (want 1 and 1)"

# JSON and exit codes of single domains.
out=$(tp -c "$T/lab.cf" sts refresh --json enforce.$D 2>&1); rc=$?
case $out in
    '{"domain":"enforce.sts.example","status":"policy","id":"enforce1","mode":"enforce","max_age":86400,"mx":["mx.enforce.sts.example"],"fetched":'*',"answer":"secure match=mx.enforce.sts.example servername=hostname","reason":""}')
        [ $rc = 0 ] && ok "json, exit 0" || notok "json exit $rc" ;;
    *) notok "json: $out" ;;
esac
tp -c "$T/lab.cf" sts refresh notxt.$D >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "no policy: exit 1" || notok "no policy: exit $rc"

# --- the persisted cache: refresh saved what it fetched ------------------
# (max_age 0 is never kept; failures leave nothing)
got=$(tp -c "$T/lab.cf" sts show --json | sed 's/^{"domain":"\([^"]*\)".*/\1/' | paste -sd' ')
want="enforce.$D none.$D sts-dane.example testing.$D wildcard.$D"
[ "$got" = "$want" ] && ok "sts show lists what refresh fetched: $got" || notok "sts show: \"$got\", want \"$want\""
out=$(tp -c "$T/lab.cf" sts show enforce.$D 2>&1); rc=$?
[[ $rc = 0 && "$out" == *"answer    secure match=mx.enforce.$D servername=hostname"* &&
   "$out" == *"fetched   "*"s ago)"* ]] && ok "sts show enforce: answer and age" || notok "sts show enforce: exit $rc: $out"
out=$(tp -c "$T/may.cf" sts show testing.$D 2>&1)
[[ "$out" == *"answer    may"* ]] && ok "sts show uses the current settings (sts_testing = may)" ||
    notok "sts show with may: $out"
out=$(tp -c "$T/lab.cf" sts show notxt.$D 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "tlspolicy sts: notxt.$D: not cached" ] && ok "sts show of an uncached domain: exit 1" ||
    notok "sts show notxt: exit $rc: $out"
out=$(tp -c "$T/lab.cf" sts flush enforce.$D 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "flushed enforce.$D" ] && ok "sts flush enforce" || notok "sts flush: exit $rc: $out"
tp -c "$T/lab.cf" sts show enforce.$D >/dev/null 2>&1 && notok "enforce still cached after flush" ||
    ok "enforce gone after flush"
out=$(tp -c "$T/lab.cf" sts flush 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "flushed 4 cached policies" ] && ok "sts flush (all): $out" || notok "sts flush all: exit $rc: $out"
out=$(tp -c "$T/lab.cf" sts show 2>&1); rc=$?
[ $rc = 0 ] && [ -z "$out" ] && ok "cache empty" || notok "after flush: exit $rc: $out"

# --- settings: sts_testing = may, Postfix 3.10, no servername ----------
tp -c "$T/may.cf" sts refresh testing.$D wildcard.$D > "$T/may.out" 2>&1
got=$(field "$T/may.out" testing.$D answer)
want="may policy_type=sts policy_domain=testing.$D { policy_string = version: STSv1 } { policy_string = mode: testing } { policy_string = mx: mx.testing.$D } { policy_string = max_age: 86400 } mx_host_pattern=mx.testing.$D"
[ "$got" = "$want" ] && ok "testing + may + 3.10: $got" || notok "testing + may + 3.10: \"$got\""
got=$(field "$T/may.out" wildcard.$D answer)
want="secure match=.wildcard.$D policy_type=sts policy_domain=wildcard.$D { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: *.wildcard.$D } { policy_string = max_age: 86400 } mx_host_pattern=*.wildcard.$D"
[ "$got" = "$want" ] && ok "wildcard + 3.10 keeps *. in mx_host_pattern" || notok "wildcard + 3.10: \"$got\""

# --- an id change with a new policy behind it -----------------------------
orig_policy=$(cat "$LAB_DIR/www/mta-sts.wildcard.$D.txt")
printf '%s\n' "$orig_policy" > "$T/wildcard.orig"
UNDO+=("lab set-sts-policy wildcard.$D '$T/wildcard.orig'; lab set-sts-id wildcard.$D wildcard1")
printf 'version: STSv1\nmode: enforce\nmx: *.wildcard.%s\nmx: backup.wildcard.%s\nmax_age: 3600\n' $D $D |
    lab set-sts-policy wildcard.$D
lab set-sts-id wildcard.$D wildcard2 >/dev/null 2>&1 || notok "set-sts-id failed"
tp -c "$T/lab.cf" sts refresh wildcard.$D > "$T/id2.out" 2>&1
got="$(field "$T/id2.out" wildcard.$D id) $(field "$T/id2.out" wildcard.$D max_age) $(field "$T/id2.out" wildcard.$D answer)"
want="wildcard2 3600 secure match=.wildcard.$D:backup.wildcard.$D servername=hostname"
[ "$got" = "$want" ] && ok "id change: $got" || notok "id change: \"$got\""

# --- the HTTPS server down ------------------------------------------------
UNDO+=("lab service nginx start")
lab service nginx stop >/dev/null 2>&1
tp -c "$T/lab.cf" sts refresh enforce.$D > "$T/down.out" 2>&1; rc=$?
got=$(field "$T/down.out" enforce.$D error)
[[ $rc = 1 && "$got" == "policy fetch failed: Couldn't connect to server"* ]] &&
    ok "HTTPS down: $got" || notok "HTTPS down: exit $rc \"$got\""
lab service nginx start >/dev/null 2>&1

# --- the engine: the admin's table, then DANE, then MTA-STS ---------------
# (sts_engine_tool: the daemon's set-up without the socket)
if [ -n "$ENGINE_TOOL" ]; then
    conf "$T/eng.cf" "database = sqlite:$T/eng.db"
    "$TLSPOLICY" -c "$T/eng.cf" db init > /dev/null
    "$TLSPOLICY" -c "$T/eng.cf" policy set wildcard.$D may > /dev/null
    eng() { in_ns ${TLSPOLICY_WRAP:-} "$ENGINE_TOOL" -c "$T/eng.cf" "$@" 2>>"$T/eng.err"; }
    eng enforce.$D wildcard.$D sts-dane.example testing.$D untrusted.$D drip.$D notxt.$D \
        maxage0.$D dane-ee.example > "$T/eng.out"
    while read -r d want; do
        got=$(awk -v d="$d" '$1 == d { $1 = ""; sub(/^ /, ""); print }' "$T/eng.out")
        [ "$got" = "$want" ] && ok "engine: $d: $got" || notok "engine: $d: \"$got\", want \"$want\""
    done <<EOF
enforce.$D OK sts secure match=mx.enforce.$D servername=hostname
wildcard.$D OK table may
sts-dane.example OK dane dane-only
testing.$D NOTFOUND none
untrusted.$D NOTFOUND none
drip.$D NOTFOUND none
notxt.$D NOTFOUND none
maxage0.$D OK sts secure match=mx.maxage0.$D servername=hostname
dane-ee.example OK dane dane-only
EOF
    # Restarted with the policy hosts down: the persisted policy answers.
    lab service nginx stop >/dev/null 2>&1
    eng enforce.$D maxage0.$D > "$T/eng2.out"
    lab service nginx start >/dev/null 2>&1
    got=$(paste -sd'|' "$T/eng2.out")
    want="enforce.$D OK sts secure match=mx.enforce.$D servername=hostname|maxage0.$D NOTFOUND none "
    [ "$got" = "$want" ] && ok "restart with HTTPS down: cached enforce answered, max_age 0 not kept" ||
        notok "restart with HTTPS down: \"$got\""
    # sts-dane.example's policy too: its fetch starts while DANE decides
    # (issue 20 item 4) and the cache keeps what it fetched
    grep -q "3 cached MTA-STS policies loaded" "$T/eng.err" &&
        ok "the restart loaded 3 policies (enforce, testing, sts-dane)" ||
        notok "restart: $(grep loaded "$T/eng.err" | tail -1)"
fi

# --- Postfix judges the answers ------------------------------------------
# posttls-finger at level secure with our match patterns.
finger() { # DOMAIN MATCH...
    in_ns posttls-finger -c -l secure -F "$LAB_CA_FILE" "$@" 2>&1 | tail -1
}
m=$(field "$T/all.out" enforce.$D answer | sed -n 's/^secure match=\([^ ]*\).*/\1/p')
r=$(finger enforce.$D "${m//:/ }")
[[ $r == *"Verified TLS connection established to mx.enforce.$D"* ]] &&
    ok "posttls-finger enforce with $m: Verified" || notok "posttls-finger enforce: $r"
m=$(field "$T/all.out" wildcard.$D answer | sed -n 's/^secure match=\([^ ]*\).*/\1/p')
r=$(finger wildcard.$D "${m//:/ }")
[[ $r == *"Verified TLS connection established to mx1.wildcard.$D"* ]] &&
    ok "posttls-finger wildcard with $m: Verified" || notok "posttls-finger wildcard: $r"

# Deliveries by the lab's sender with the answer as its policy table.
ans=$(field "$T/all.out" enforce.$D answer)
UNDO+=("lab sender-reset -d" "lab set-mx enforce.$D 10 mx.enforce.$D")
if lab sender-set "smtp_tls_policy_maps = inline:{ { enforce.$D = $ans } }" 2>"$T/set.err"; then
    off=$(lab log-offset)
    q=$(lab send probe@lab.example "user@enforce.$D" "sts enforce" 2>"$T/send.err")
    if [ -n "$q" ] && lab wait-log -s "$off" "Verified TLS connection established to mx.enforce.$D" 30 >/dev/null &&
       lab wait-log -s "$off" "$q: to=<user@enforce.$D>.*status=sent" 30 >/dev/null; then
        ok "delivery to enforce.$D through the allowed MX: Verified, sent"
    else
        notok "delivery to enforce.$D: $(cat "$T/send.err")"
    fi
    # The MX moves to a host with a valid certificate (same CA) that the
    # policy does not allow: deferred.
    lab set-mx enforce.$D 10 mx-bad.enforce.$D >/dev/null 2>&1
    off=$(lab log-offset)
    q=$(lab send probe@lab.example "user@enforce.$D" "sts mismatch" 2>"$T/send.err")
    if [ -n "$q" ] && lab wait-log -s "$off" "$q: to=<user@enforce.$D>.*status=deferred" 30 > "$T/defer.log"; then
        ok "delivery through mx-bad.enforce.$D deferred: $(sed 's/.*status=deferred //' "$T/defer.log" | head -1)"
    else
        notok "delivery through mx-bad was not deferred"
    fi
else
    notok "sender-set refused the answer as a policy table: $(cat "$T/set.err")"
fi

echo "$checks checks, $fails failed"
[ $fails = 0 ]
