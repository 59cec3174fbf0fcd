#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-bypass.sh - the emergency bypass (issue 13 item 5) judged by real
# deliveries of the lab's sender Postfix (smtp_tls_policy_maps = the
# daemon): mail to the TLSA-mismatch domain is deferred ("Server
# certificate not verified"); under `tlspolicy bypass dane-mismatch.example
# --for 6s` the daemon answers may and the deferred message is delivered;
# once the bypass has expired (by the daemon's clock, no table change)
# the daemon answers dane-only again and a new message is deferred again.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/lab-lib.sh"

T_CLEANUP_EXTRA='lab sender-reset -d >/dev/null 2>&1'
# shellcheck disable=SC2119
daemon_start reload_interval=1s || exit 1
lab sender-reset -d >/dev/null || exit 1
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || exit 1
D=dane-mismatch.example

wait_serve_log() {
	for _ in $(seq 1 100); do grep -qF "$1" "$T_DIR/serve.log" && return 0; sleep 0.1; done
	return 1
}

expect "$D" "OK dane-only"
off=$(lab log-offset)
qid1=$(lab send "test@lab.example" "you@$D" "bypass test 1")
[ -n "$qid1" ] || fail "could not submit a message to $D"
wait_for "without bypass: deferred" \
	"$qid1: to=<you@$D>.*status=deferred \\(Server certificate not verified"

# check flags a bypass (a warning: exit 1); on another domain, so that
# the short one above is not spent waiting for check
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" bypass dane-ee.example --for 1h --reason "lab: check" >/dev/null
out=$(in_ns "$TLSPOLICY" -c "$T_DIR/tp.cf" check dane-ee.example 2>&1) && rc=0 || rc=$?
[ "$rc" = 1 ] && ok "check: exit 1 (a warning)" || fail "check: exit $rc"
grep -q "WARNING: emergency bypass: the daemon answers may until .* (lab: check); end it with tlspolicy bypass delete dane-ee.example" <<<"$out" &&
	ok "check: flags the bypass" || fail "check: [$out]"
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" bypass delete dane-ee.example >/dev/null
out=$(in_ns "$TLSPOLICY" -c "$T_DIR/tp.cf" check dane-ee.example 2>&1) || true
grep -q "emergency bypass" <<<"$out" && fail "check: bypass flagged after delete" ||
	ok "check: no flag after bypass delete"

# the bypass
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" bypass "$D" --for 6s --reason "lab: TLSA mismatch" >/dev/null ||
	fail "bypass command failed"
wait_serve_log "bypass for $D: answering may until" && ok "daemon logs the bypass" ||
	fail "daemon did not log the bypass"
expect "$D" "OK may"
off=$(lab log-offset)
lab flush >/dev/null 2>&1
wait_for "under bypass: delivered" "$qid1: to=<you@$D>.*status=sent"

# expiry: the daemon's clock, no reload needed for the answer
for _ in $(seq 1 80); do [ "$(q "$D")" = "OK may" ] || break; sleep 0.1; done
expect "$D" "OK dane-only"
wait_serve_log "bypass for $D expired" && ok "expiry logged" || fail "expiry not logged"
off=$(lab log-offset)
qid2=$(lab send "test@lab.example" "you@$D" "bypass test 2")
[ -n "$qid2" ] || fail "could not submit the second message"
wait_for "after expiry: deferred again" \
	"$qid2: to=<you@$D>.*status=deferred \\(Server certificate not verified"
if tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | grep -Eq "$qid2: to=<you@$D>.*status=sent"; then
	fail "$D: delivered after the bypass expired"
fi
daemon_stop
finish
