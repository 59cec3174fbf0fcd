#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-reload.sh - SIGHUP reloads tlspolicy.cf and the table, CLI writes
# reach the running daemon, the daemon's log says what changed, SIGTERM
# stops an idle daemon (issue 17 items 13 and 14).  In the lab
# (tests/lab), asked through Postfix's own client (postmap -q):
#
#   1. dane_answer and sts_testing edited in the file + HUP: the answers
#      for dane-ee.example (dane-only -> dane) and testing.sts.example
#      (NOTFOUND -> may) change; the log names both settings;
#   2. a setting that needs a restart (listen) is logged as such and
#      keeps its value (the daemon still answers on the old address);
#   3. a file with an error (dane_answer = daneonly) + HUP: refused with
#      FILE:LINE in the log, the daemon keeps running and answering as
#      before;
#   4. `policy set` / `policy delete` (reload_interval = 1h, so only the
#      CLI's signal can make it prompt): the CLI says it told the daemon
#      (pid), the answer changes within a few seconds, the log names the
#      rows added / changed / removed;
#      `sts flush DOMAIN`: the daemon forgets that MTA-STS policy (USR2)
#      and fetches it again;
#   5. -v: one log line per answer with its source; foreground lines carry
#      a time stamp;
#   6. SIGTERM when idle: the daemon exits (the time is printed, not
#      asserted; 10 s is only a hang guard);
#   7. SIGHUPs sent while the daemon starts (the pid file exists before
#      the loop's handlers) do not end it.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

T_SERVE_OPTS=-v
SETTINGS=("dns_resolvers=$LAB_RESOLVER" "https_ca_file=$LAB_CA_FILE" "reload_interval=1h"
	"cache_min_ttl=1s")
CF="$T_DIR/tp.cf"
CLI=("$TLSPOLICY" -c "$CF")

# hup_wait PATTERN: HUP, then wait (5 s at most) for PATTERN in the log
# after the HUP.
hup_wait() {
	local before
	before=$(wc -l <"$T_DIR/serve.log")
	kill -HUP "$T_PID"
	for _ in $(seq 1 50); do
		tail -n +"$((before + 1))" "$T_DIR/serve.log" | grep -q -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
since_hup() { tail -n +"$1" "$T_DIR/serve.log"; }

daemon_start "${SETTINGS[@]}" || exit 1

# --- 1. live settings ------------------------------------------------------
expect dane-ee.example "OK dane-only"
expect testing.sts.example "NOTFOUND"
echo "dane_answer = dane" >>"$CF"
echo "sts_testing = may" >>"$CF"
mark=$(($(wc -l <"$T_DIR/serve.log") + 1))
if hup_wait "reloaded: .*dane_answer = dane (was dane-only)"; then
	ok "HUP: the log names the changed settings"
else
	fail "HUP: no 'reloaded: ... dane_answer' line"
fi
since_hup "$mark" | grep -q "sts_testing = may (was ignore)" \
	&& ok "HUP: sts_testing change logged" || fail "HUP: sts_testing change not logged"
expect dane-ee.example "OK dane"
expect testing.sts.example "OK may"

# --- 2. a setting that needs a restart ------------------------------------
echo "listen = inet:127.0.0.1:8472" >>"$CF"
if hup_wait "listen = inet:127.0.0.1:8472 (was inet:$DANE_TEST_ADDR:$DANE_TEST_PORT) needs a restart"; then
	ok "HUP: listen logged as needing a restart"
else
	fail "HUP: listen not logged as needing a restart"
fi
since_hup "$mark" | grep -q "tp.cf:[0-9]*: listen" \
	&& ok "restart-needed line names FILE:LINE" || fail "restart-needed line without FILE:LINE"
expect dane-ee.example "OK dane"
sed -i '/^listen = inet:127.0.0.1:8472$/d' "$CF"

# --- 3. a bad file is refused ---------------------------------------------
cp "$CF" "$T_DIR/good.cf"
echo "dane_answer = daneonly" >>"$CF"
line=$(wc -l <"$CF")
if hup_wait "configuration not reloaded: "; then
	ok "HUP with a bad file: refused"
else
	fail "HUP with a bad file: no refusal logged"
fi
grep -q "not reloaded: .*tp.cf:$line" "$T_DIR/serve.log" \
	&& ok "refusal names tp.cf:$line" || fail "refusal does not name tp.cf:$line"
daemon_alive && ok "daemon still running" || fail "daemon died on a bad file"
expect dane-ee.example "OK dane"
expect testing.sts.example "OK may"
cp "$T_DIR/good.cf" "$CF"

# --- 4. CLI writes reach the daemon ---------------------------------------
out=$("${CLI[@]}" policy set testing.sts.example encrypt 2>&1)
echo "$out" | grep -q "the running daemon (pid $T_PID) was told to reload" \
	&& ok "policy set: says it told the daemon (pid $T_PID)" \
	|| fail "policy set: no word about the daemon: $out"
expect_within 5 testing.sts.example "OK encrypt"
grep -q "policy table reloaded: 1 rows (1 added, 0 changed, 0 removed: +testing.sts.example)" \
	"$T_DIR/serve.log" && ok "reload logs the added row" || fail "reload does not log the added row"
"${CLI[@]}" policy set testing.sts.example secure >/dev/null 2>&1
expect_within 5 testing.sts.example "OK secure"
grep -q "(0 added, 1 changed, 0 removed: ~testing.sts.example)" "$T_DIR/serve.log" \
	&& ok "reload logs the changed row" || fail "reload does not log the changed row"
out=$("${CLI[@]}" policy delete testing.sts.example 2>&1)
echo "$out" | grep -q "was told to reload" && ok "policy delete: told the daemon" \
	|| fail "policy delete: $out"
expect_within 5 testing.sts.example "OK may"
grep -q "(0 added, 0 changed, 1 removed: -testing.sts.example)" "$T_DIR/serve.log" \
	&& ok "reload logs the removed row" || fail "reload does not log the removed row"
# without a daemon: the CLI says so
out=$("$TLSPOLICY" --db "sqlite:$T_DIR/t.db" -c /dev/null -v policy set x.example encrypt 2>&1)
echo "$out" | grep -Eq "no running daemon|no pid file|could not be told" \
	&& ok "without the daemon's pid file: ${out##*$'\n'}" || fail "no word without a daemon: $out"

# sts flush reaches the daemon (SIGUSR2): it forgets the flushed policy
expect enforce.sts.example "OK secure match=mx.enforce.sts.example servername=hostname"
for _ in $(seq 1 30); do
	"${CLI[@]}" sts show enforce.sts.example >/dev/null 2>&1 && break
	sleep 0.1
done
out=$("${CLI[@]}" sts flush enforce.sts.example 2>&1)
echo "$out" | grep -q "the running daemon (pid $T_PID) was told to forget the flushed MTA-STS policies" \
	&& ok "sts flush: says it told the daemon" || fail "sts flush: $out"
for _ in $(seq 1 50); do
	grep -q "MTA-STS: forgot 1 cached policy flushed from the database: enforce.sts.example" \
		"$T_DIR/serve.log" && break
	sleep 0.1
done
grep -q "MTA-STS: forgot 1 cached policy flushed from the database: enforce.sts.example" \
	"$T_DIR/serve.log" && ok "sts flush: the daemon forgot the policy" \
	|| fail "sts flush: the daemon did not forget the policy"
# fetched again (nginx still serves it): the same answer
expect enforce.sts.example "OK secure match=mx.enforce.sts.example servername=hostname"
# ... and persisted again by the daemon (the flush had deleted the row)
for _ in $(seq 1 30); do
	"${CLI[@]}" sts show enforce.sts.example >/dev/null 2>&1 && break
	sleep 0.1
done
"${CLI[@]}" sts show enforce.sts.example >/dev/null 2>&1 \
	&& ok "sts flush: the daemon fetched and saved the policy again" \
	|| fail "sts flush: the policy was not fetched again"

# --- 5. log lines ---------------------------------------------------------
grep -Eq "answer dane-ee.example: OK dane-only \(source dane\)" "$T_DIR/serve.log" \
	&& ok "-v: answer line with its source" || fail "-v: no answer line with its source"
grep -Eq "answer testing.sts.example: OK encrypt \(source table\)" "$T_DIR/serve.log" \
	&& ok "-v: table answer line" || fail "-v: no table answer line"
grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3} tlspolicy\[[0-9]+\]: listening on" \
	"$T_DIR/serve.log" && ok "foreground lines carry a time stamp" || fail "no time stamp"

# MTA-STS fetch failures and DNSSEC failures: info, once per domain (a
# second discovery 2 s later, failed_ttl = cache_min_ttl = 1 s, logs at
# debug only)
expect untrusted.sts.example "NOTFOUND"
sleep 2
expect untrusted.sts.example "NOTFOUND"
n_info=$(grep -c "tlspolicy\[[0-9]*\]: sts untrusted.sts.example: failed .*policy fetch failed: certificate not accepted.*(logged once per" "$T_DIR/serve.log")
n_debug=$(grep -c "debug: sts untrusted.sts.example: failed" "$T_DIR/serve.log")
[ "$n_info" = 1 ] && [ "$n_debug" -ge 1 ] \
	&& ok "MTA-STS fetch failure: 1 info line, then debug ($n_debug)" \
	|| fail "MTA-STS fetch failure lines: info $n_info, debug $n_debug (want 1 and >= 1)"
expect dane-bogus.example "TEMP"
grep -q "tlspolicy\[[0-9]*\]: dane dane-bogus.example: TEMP (the domain's DNSSEC is broken)" "$T_DIR/serve.log" \
	&& ok "DNSSEC failure logged at info" || fail "DNSSEC failure not logged at info"

# --- 6. SIGTERM when idle -------------------------------------------------
sleep 1
t0=$(now_ms)
kill "$T_PID"
for _ in $(seq 1 500); do
	kill -0 "$T_PID" 2>/dev/null || break
	sleep 0.02
done
t1=$(now_ms)
kill -0 "$T_PID" 2>/dev/null && fail "SIGTERM: still running after 10 s (hang guard)"
echo "info: SIGTERM to exit: $((t1 - t0)) ms (idle daemon)"
wait "$T_PID" 2>/dev/null
grep -q "stopped" "$T_DIR/serve.log" && ok "SIGTERM: clean stop" || fail "SIGTERM: no clean stop"
T_PID=

# --- 7. a CLI write while the daemon starts: the pid file exists before the
# loop's signal handlers; a SIGHUP then must not end the daemon (it did).
: >"$T_DIR/serve.log"
rm -f "$T_DIR/tlspolicy.pid"
ip netns exec "$LAB_NS" "$TLSPOLICY" -c "$CF" serve -f >"$T_DIR/serve.log" 2>&1 &
T_PID=$!
nhup=0
for _ in $(seq 1 5000); do
	grep -q "listening on" "$T_DIR/serve.log" && break
	kill -0 "$T_PID" 2>/dev/null || break
	if [ -s "$T_DIR/tlspolicy.pid" ]; then
		kill -HUP "$(cat "$T_DIR/tlspolicy.pid")" 2>/dev/null && nhup=$((nhup + 1))
	fi
done
if daemon_alive && grep -q "listening on" "$T_DIR/serve.log"; then
	ok "SIGHUP during start-up ($nhup sent after the pid file appeared): the daemon runs"
else
	fail "SIGHUP during start-up ended the daemon ($nhup sent)"
fi
expect dane-ee.example "OK dane"
daemon_stop
if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR/serve.log"; then
	fail "sanitizer report in the daemon log"
	grep -E -A12 "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR/serve.log" | head -40 >&2
fi
finish
