#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-promise.sh - "never weaker than published" on the paths of issue 10,
# items 2, 3, 5 and 6, through the daemon and Postfix's postmap, with a
# `_default may` row in the table (the answer a downgrade would give):
#
#   2. a lookup that misses lookup_deadline is answered from cache, else
#      NOTFOUND - never `_default` (lookup_deadline = 0: every cold lookup
#      misses it; then DNS slowed down: the lab resolver replaced by a
#      black hole that never answers);
#   3. a TEMP is only ever answered fresh: an expired TEMP whose
#      rediscovery hangs (black hole) gives NOTFOUND, not the stale TEMP;
#   5. a secure MX and host whose TLSA lookup fails (SERVFAIL) is `dane`,
#      so that Postfix defers "TLSA lookup error" as it would alone; the
#      lab's sender Postfix confirms the deferral;
#   6. MTA-STS policies too large for the TLSRPT attributes of
#      postfix_compatibility >= 3.10 (40 mx lines; 60 extension lines)
#      keep their enforcement; the TLSRPT extras are shortened, logged
#      once per policy.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set _default may >/dev/null || exit 1

# --- 2: deadlines -------------------------------------------------------
# lookup_deadline = 0: every lookup that needs the network misses it
daemon_start lookup_deadline=0 "https_ca_file=$LAB_CA_FILE" || exit 1
for d in dane-ee.example enforce.sts.example; do
	expect "$d" NOTFOUND            # cold: the deadline passed at once
done
expect_within 5 dane-ee.example "OK dane-only"   # the discovery went on
expect_within 5 enforce.sts.example "OK secure match=mx.enforce.sts.example servername=hostname"
expect tls.example NOTFOUND                      # cold again
expect_within 5 tls.example "OK may"             # nothing published: _default
daemon_stop

# --- 2 and 3 with DNS slowed down by an attacker: the lab resolver
# replaced by a black hole (queries are taken and never answered).
T_CLEANUP_EXTRA="$T_CLEANUP_EXTRA; blackhole_stop; lab service unbound start >/dev/null 2>&1"
BH_PID=
blackhole_start() {
	lab service unbound stop >/dev/null || return 1
	ip netns exec "$LAB_NS" python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 53))
t.listen(128)
print("ready", flush=True)
time.sleep(300)
' >"$T_DIR/blackhole.out" 2>&1 &
	BH_PID=$!
	for _ in $(seq 1 50); do
		grep -q ready "$T_DIR/blackhole.out" && return 0
		sleep 0.1
	done
	return 1
}
blackhole_stop() {
	if [ -n "$BH_PID" ]; then
		kill "$BH_PID" 2>/dev/null
		wait "$BH_PID" 2>/dev/null
		BH_PID=
	fi
}
# TEMP answers are cached for 1 s (cache_min_ttl = negative_cache_ttl)
daemon_start lookup_deadline=1s cache_min_ttl=1s negative_cache_ttl=1s \
	dns_timeout=5s "https_ca_file=$LAB_CA_FILE" || exit 1
expect_within 5 dane-ee.example "OK dane-only"
got=
for _ in $(seq 1 100); do
	got=$(q dane-bogus.example)
	[[ "$got" == TEMP* ]] && break
	sleep 0.05
done
if [[ "$got" == "TEMP DNSSEC validation failure for MX dane-bogus.example"* ]]; then
	ok "dane-bogus.example -> TEMP while fresh"
else
	fail "dane-bogus.example: no fresh TEMP (last: \"$got\")"
fi
blackhole_start || { fail "black hole resolver did not start"; finish; }
if in_ns dig +time=1 +tries=1 @127.0.0.1 MX dane-ee.example >/dev/null 2>&1; then
	fail "the lab resolver still answers"
fi
# 2. a cold DANE domain: the deadline passes: NOTFOUND, not `_default`
for d in dane-ta.example dane-mxcname.example; do
	t0=$(now_ms)
	expect "$d" NOTFOUND
	ms=$(($(now_ms) - t0))
	[ "$ms" -lt 4000 ] || fail "$d: answered after $ms ms (lookup_deadline 1 s)"
done
expect dane-ee.example "OK dane-only"            # cached: still served
# 3. the TEMP expired (ours after 1 s, libunbound's bogus cache after
# val-bogus-ttl 10 s): its rediscovery hangs; NOTFOUND, not the stale TEMP
sleep 11
expect dane-bogus.example NOTFOUND
blackhole_stop
lab service unbound start >/dev/null || fail "lab resolver restart"
expect_within 20 dane-ta.example "OK dane-only"  # back to normal
daemon_stop

# --- 5: TLSA lookup failure --------------------------------------------
daemon_start "https_ca_file=$LAB_CA_FILE" || exit 1
expect dane-tlsafail.example "OK dane"
expect dane-tlsafail.example "OK dane"           # cached
expect .example NOTFOUND
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
off=$(lab log-offset)
qid=$(lab send test@lab.example you@dane-tlsafail.example "tlsa lookup error") ||
	fail "send to dane-tlsafail.example"
if lab wait-log -s "$off" "$qid: to=<you@dane-tlsafail.example>.*status=deferred \\(TLSA lookup error for mx\\.dane-tlsafail\\.example:25" 40 >/dev/null; then
	ok "dane-tlsafail.example: deferred by Postfix, TLSA lookup error"
else
	fail "dane-tlsafail.example: not deferred with \"TLSA lookup error\""
fi
daemon_stop

# --- 6: large MTA-STS policies with postfix_compatibility 3.10 ----------
daemon_start "https_ca_file=$LAB_CA_FILE" postfix_compatibility=3.10 || exit 1
pats=$(for i in $(seq -w 1 40); do printf 'mx%s.large-mx.sts.example:' "$i"; done)
pats=${pats%:}
hosts=$(for i in $(seq -w 1 40); do printf ' mx_host_pattern=mx%s.large-mx.sts.example' "$i"; done)
expect large-mx.sts.example "OK secure match=$pats servername=hostname policy_type=sts policy_domain=large-mx.sts.example$hosts"
expect large-ext.sts.example "OK secure match=mx.large-ext.sts.example servername=hostname policy_type=sts policy_domain=large-ext.sts.example mx_host_pattern=mx.large-ext.sts.example"
# a policy that fits keeps every TLSRPT attribute
got=$(q enforce.sts.example)
if [[ "$got" == "OK secure match=mx.enforce.sts.example servername=hostname policy_type=sts policy_domain=enforce.sts.example { policy_string = version: STSv1 } { policy_string = mode: enforce }"*" mx_host_pattern=mx.enforce.sts.example" ]]; then
	ok "enforce.sts.example -> full TLSRPT attributes"
else
	fail "enforce.sts.example: \"$got\""
fi
for d in large-mx.sts.example large-ext.sts.example; do
	expect "$d" "$(q "$d")"                      # again, from the cache
	n=$(grep -c "sts $d: .*TLSRPT attributes shortened" "$T_DIR/serve.log")
	if [ "$n" = 1 ]; then
		ok "$d: shortening logged once: $(grep "sts $d: .*TLSRPT" "$T_DIR/serve.log" | sed 's/^.*sts /sts /' | cut -c1-140)"
	else
		fail "$d: \"TLSRPT attributes shortened\" logged $n times, want once"
	fi
done
if grep -q "enforce.sts.example.*TLSRPT attributes shortened" "$T_DIR/serve.log"; then
	fail "enforce.sts.example: shortened although it fits"
fi
daemon_stop
# with the default postfix_compatibility (3.7): no TLSRPT attributes at all
daemon_start "https_ca_file=$LAB_CA_FILE" || exit 1
expect large-mx.sts.example "OK secure match=$pats servername=hostname"
if grep -q "TLSRPT" "$T_DIR/serve.log"; then
	fail "postfix_compatibility 3.7: TLSRPT mentioned in the log"
fi
finish
