#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-fault.sh - the lab resolver stopped: domains the daemon has cached
# are still answered, uncached ones get NOTFOUND (never TEMP) within
# lookup_deadline, the admin's table keeps working and the daemon stays
# alive; resolver back: normal answers again.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

DEADLINE=2      # lookup_deadline, seconds
SLACK_MS=1500   # process start-up of postmap etc.

# Whatever happens, the lab resolver is running again afterwards.
T_CLEANUP_EXTRA='lab service unbound start >/dev/null 2>&1'

"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" policy set table.example encrypt >/dev/null || exit 1
# dns_timeout (5 s) > lookup_deadline: the engine's deadline bounds the wait
daemon_start dns_timeout=5s lookup_deadline=${DEADLINE}s cache_min_ttl=5s || exit 1

# 1. warm the cache
expect dane-ee.example "OK dane-only"
expect dane-partial.example "OK dane"
expect dane-bogus.example "TEMP dane-bogus.example"

# 2. resolver down
lab service unbound stop >/dev/null || exit 1
if in_ns dig +time=1 +tries=1 @127.0.0.1 MX dane-ee.example >/dev/null 2>&1; then
	fail "the lab resolver still answers after 'service unbound stop'"
fi
expect dane-ee.example "OK dane-only"
expect dane-partial.example "OK dane"
expect table.example "OK encrypt"
# uncached domains: NOTFOUND within the deadline, DANE or not, never TEMP
for d in dane-ta.example dane-mxcname.example dane-notlsa.example tls.example; do
	t0=$(now_ms)
	got=$(q "$d")
	ms=$(($(now_ms) - t0))
	if [ "$got" != NOTFOUND ]; then
		fail "$d with the resolver down: \"$got\", want NOTFOUND"
	elif [ "$ms" -gt $((DEADLINE * 1000 + SLACK_MS)) ]; then
		fail "$d: NOTFOUND after $ms ms, deadline ${DEADLINE}s"
	else
		ok "$d -> NOTFOUND in $ms ms (resolver down)"
	fi
done
# several at once, still within the deadline
t0=$(now_ms)
pids=
for d in a b c d e f g h; do
	q "$d.dane-ipv6.example" >"$T_DIR/par.$d" &
	pids="$pids $!"
done
# shellcheck disable=SC2086  # (not a bare `wait`: the daemon is a child too)
wait $pids
ms=$(($(now_ms) - t0))
if grep -qv '^NOTFOUND$' "$T_DIR"/par.*; then
	fail "parallel lookups with the resolver down: $(cat "$T_DIR"/par.* | sort | uniq -c | tr '\n' ' ')"
elif [ "$ms" -gt $((DEADLINE * 1000 + 3 * SLACK_MS)) ]; then
	fail "8 parallel lookups took $ms ms"
else
	ok "8 parallel uncached lookups -> NOTFOUND in $ms ms"
fi
sleep 6 # past cache_min_ttl: the cached entries are now stale
expect dane-ee.example "OK dane-only"
if daemon_alive; then ok "daemon alive"; else fail "daemon died"; fi

# 3. resolver back: normal answers (failed discoveries are cached only
# briefly: min(cache_min_ttl, 60 s))
lab service unbound start >/dev/null || exit 1
# each domain within 30 s: its failed discovery is cached for at most
# min(cache_min_ttl, 60 s) = 5 s here, and libunbound probes again
expect_within 30 dane-ta.example "OK dane-only"
expect_within 30 dane-mxcname.example "OK dane-only"
expect_within 30 dane-ipv6.example "OK dane-only"
expect dane-notlsa.example "NOTFOUND"
expect_within 30 dane-expired.example "TEMP dane-expired.example"
if daemon_alive; then ok "daemon alive"; else fail "daemon died"; fi

finish
