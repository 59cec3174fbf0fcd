#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-daemon.sh - MTA-STS through the daemon: `tlspolicy serve -f`
# inside the lab's namespace (tests/lab: real DNSSEC, nginx, the drip
# server, the lab CA via https_ca_file), asked by Postfix itself.
#
#   1. every STS scenario of the lab through `postmap -q DOMAIN
#      socketmap:inet:...:tlspolicy`: enforce (exact and wildcard mx),
#      testing, none, untrusted issuer, expired certificate, name
#      mismatch, 301, 404, wrong content type, body over 64 KiB, drip
#      (timeout), no TXT, two TXT, max_age 0, DANE+MTA-STS (DANE's
#      answer wins) and a domain with no policy; failures are NOTFOUND,
#      never TEMP;
#   2. real deliveries by the lab's sender Postfix with
#      smtp_tls_policy_maps = the daemon: to the enforce domain through
#      the allowed MX "Verified" and sent; after the MX moves to a host
#      with a valid lab-CA certificate that the policy does not name
#      (tests/lab/set-mx) and the daemon is restarted on its persisted
#      cache, deferred;
#   3. restart with the HTTPS server (nginx) stopped: the persisted
#      enforce policy is still answered;
#   4. https_proxy in the environment: no resolver context of its own
#      for the policy hosts (the proxy resolves them).
#
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is
# set.  Lab changes (MX, sender policy map, nginx) are undone on exit;
# the daemon is stopped by pid (tests/dane/lab-lib.sh).

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

D=sts.example
# The drip server bounds the first lookups: fetch timeout under the
# lookup deadline, so the discovery itself decides (not the deadline).
HT=3
[ -n "${TLSPOLICY_WRAP:-}" ] && HT=10
SETTINGS=("dns_resolvers=$LAB_RESOLVER" "https_ca_file=$LAB_CA_FILE"
	"https_timeout=${HT}s" "lookup_deadline=$((HT + 5))s")

T_CLEANUP_EXTRA='lab service nginx start >/dev/null 2>&1;
	lab set-mx enforce.sts.example 10 mx.enforce.sts.example >/dev/null 2>&1;
	lab sender-reset -d >/dev/null 2>&1'

restart() {
	daemon_stop
	daemon_start "${SETTINGS[@]}"
}

# --- 1. every scenario through postmap ------------------------------------
T_SERVE_OPTS=-v   # debug lines: how each policy host was resolved
daemon_start "${SETTINGS[@]}" || exit 1

# Expected answers as in lab-sts.sh (the DANE+STS domain: DANE's).
want() {
	case $1 in
	enforce) echo "OK secure match=mx.enforce.$D servername=hostname" ;;
	wildcard) echo "OK secure match=.wildcard.$D servername=hostname" ;;
	maxage0) echo "OK secure match=mx.maxage0.$D servername=hostname" ;;
	sts-dane) echo "OK dane-only" ;;
	*) echo "NOTFOUND" ;;
	esac
}
names="enforce wildcard testing none untrusted expired mismatch redirect notfound ctype big
       drip notxt twotxt maxage0 nosuch sts-dane"
dom() { if [ "$1" = sts-dane ]; then echo sts-dane.example; else echo "$1.$D"; fi; }

# First lookups in parallel (the daemon discovers them at once; the drip
# server makes one wait for the fetch timeout), then every one again:
# now from the caches, and the same answer.
pids=()
for n in $names; do
	(q "$(dom "$n")" >"$T_DIR/first.$n") &
	pids+=($!)
done
wait "${pids[@]}"    # not plain `wait`: the daemon is a child too
for n in $names; do
	d=$(dom "$n")
	got=$(cat "$T_DIR/first.$n")
	w=$(want "$n")
	if [ "$got" = "$w" ]; then
		ok "first lookup: $d -> $got"
	else
		fail "first lookup: $d: got \"$got\", want \"$w\""
	fi
	expect "$d" "$w"
done
daemon_alive || fail "daemon died during the lookups"

# The policy hosts' addresses came from the daemon's own resolver (issue
# 20: no libcurl resolver thread per fetch), the ones the lab's DNS has.
addr=$(in_ns dig +short A "mta-sts.enforce.$D" | head -1)
if [ -n "$addr" ] && grep -q "MTA-STS: https://mta-sts\.enforce\.$D/.well-known/mta-sts.txt: connecting to $addr (tlspolicy's resolver)" "$T_DIR/serve.log"; then
	ok "policy host mta-sts.enforce.$D resolved in-process: $addr"
else
	fail "policy host mta-sts.enforce.$D ($addr) not resolved in-process: $(grep 'MTA-STS: https://mta-sts.enforce' "$T_DIR/serve.log" | head -2)"
fi
n=$(grep -c "(tlspolicy's resolver)" "$T_DIR/serve.log")
if [ "$n" -ge 10 ] && ! grep -q "libcurl resolves" "$T_DIR/serve.log"; then
	ok "$n policy hosts resolved in-process, none left to libcurl"
else
	fail "policy hosts: $n resolved in-process; left to libcurl: $(grep "libcurl resolves" "$T_DIR/serve.log" | head -3)"
fi

# The cached policies are in the store (`tlspolicy sts show` reads it);
# max_age 0 and failures are not kept.  (Not asserted: none.sts.example,
# kept as a mode-none record as in lab-sts.sh, and sts-dane.example, whose
# MTA-STS policy the daemon need not fetch because DANE answers first.)
got=$("$TLSPOLICY" -c "$T_DIR/tp.cf" sts show --json 2>&1 |
	sed 's/^{"domain":"\([^"]*\)".*/\1/' | paste -sd' ')
for d in enforce.$D wildcard.$D testing.$D; do
	if [[ " $got " == *" $d "* ]]; then ok "persisted: $d"; else fail "$d not persisted: \"$got\""; fi
done
for d in maxage0.$D untrusted.$D expired.$D drip.$D big.$D; do
	if [[ " $got " == *" $d "* ]]; then fail "$d persisted: \"$got\""; else ok "not persisted: $d"; fi
done

# --- 2. real deliveries through the daemon --------------------------------
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
off=$(lab log-offset)
qid=$(lab send probe@lab.example "user@enforce.$D" "sts daemon enforce" 2>"$T_DIR/send.err")
if [ -z "$qid" ]; then
	fail "could not submit to enforce.$D: $(cat "$T_DIR/send.err")"
elif lab wait-log -s "$off" "Verified TLS connection established to mx\\.enforce\\.sts\\.example\\[" 60 >/dev/null &&
	lab wait-log -s "$off" "$qid: to=<user@enforce\\.$D>.*status=sent" 60 >"$T_DIR/m"; then
	ok "delivery to enforce.$D: Verified, sent"
else
	fail "delivery to enforce.$D: not Verified and sent"
fi

# The MX moves to mx-bad (valid lab-CA certificate for another name).
# The daemon is restarted on its persisted cache: the policy still applies.
lab set-mx enforce.$D 10 mx-bad.enforce.$D >/dev/null 2>&1 || fail "set-mx failed"
restart || exit 1
expect "enforce.$D" "$(want enforce)"
off=$(lab log-offset)
qid=$(lab send probe@lab.example "user@enforce.$D" "sts daemon mx-bad" 2>"$T_DIR/send.err")
if [ -z "$qid" ]; then
	fail "could not submit to enforce.$D (mx-bad): $(cat "$T_DIR/send.err")"
elif lab wait-log -s "$off" "$qid: to=<user@enforce\\.$D>.*relay=mx-bad\\.enforce\\.$D.*status=deferred" 60 >"$T_DIR/m"; then
	ok "delivery through mx-bad.enforce.$D deferred: $(sed 's/.*status=deferred //' "$T_DIR/m" | head -1 | cut -c1-100)"
	if lab wait-log -s "$off" "certificate verification failed for mx-bad\\.enforce\\.$D|Server certificate not verified" 5 >/dev/null; then
		ok "deferred because the certificate did not match the policy"
	else
		fail "deferred, but not for the certificate"
	fi
else
	fail "delivery through mx-bad.enforce.$D was not deferred"
fi
if tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | grep -Eq "$qid: to=<user@enforce\\.$D>.*status=sent"; then
	fail "delivered through mx-bad although the policy forbids it"
fi
lab set-mx enforce.$D 10 mx.enforce.$D >/dev/null 2>&1 || fail "set-mx back failed"
lab sender-reset -d >/dev/null 2>&1

# --- 3. restart with the HTTPS server down ---------------------------------
lab service nginx stop >/dev/null 2>&1 || fail "could not stop nginx"
restart || exit 1
expect "enforce.$D" "$(want enforce)"
expect "wildcard.$D" "$(want wildcard)"
# not cached, so not answerable now: NOTFOUND, never TEMP
expect "maxage0.$D" "NOTFOUND"
if grep -q "[1-9][0-9]* cached MTA-STS policies loaded" "$T_DIR/serve.log"; then
	ok "$(grep -o '[0-9]* cached MTA-STS policies loaded' "$T_DIR/serve.log" | tail -1)"
else
	fail "the restart did not load the cached policies"
fi
lab service nginx start >/dev/null 2>&1 || fail "could not start nginx again"
daemon_alive || fail "daemon died"

# --- 4. an https proxy in the environment -------------------------------------
# The proxy resolves the policy hosts: the daemon says so at start (and
# makes no resolver context for them), resolves none in-process, and
# after a lookup that fetched (a fresh database each time) runs one
# thread fewer than without (that context's libunbound thread starts
# with its first query).
threads() { ls "/proc/$T_PID/task" | wc -l; }
daemon_stop
rm -f "$T_DIR/t.db"*
daemon_start "${SETTINGS[@]}" || exit 1
expect "enforce.$D" "$(want enforce)"
n_plain=$(threads)
daemon_stop
rm -f "$T_DIR/t.db"*
https_proxy=http://127.0.0.1:9 daemon_start "${SETTINGS[@]}" || exit 1
expect "enforce.$D" "NOTFOUND"   # the proxy is not there: the fetch fails
n_proxy=$(threads)
if grep -q "MTA-STS: an https proxy from the environment fetches the policies and resolves their hosts" "$T_DIR/serve.log" &&
   ! grep -q "(tlspolicy's resolver)" "$T_DIR/serve.log" &&
   [ "$n_proxy" = $((n_plain - 1)) ]; then
	ok "https_proxy set: no resolver context for the policy hosts ($n_proxy threads, $n_plain without)"
else
	fail "https_proxy set: $n_proxy threads ($n_plain without); log: $(grep "https proxy\|tlspolicy's resolver" "$T_DIR/serve.log")"
fi
daemon_stop
finish
