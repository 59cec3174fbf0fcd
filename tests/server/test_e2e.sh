#!/bin/bash
# SPDX-License-Identifier: MIT
# test_e2e.sh - end to end with a real Postfix: the lab's sender instance
# (tests/lab) has smtp_tls_policy_maps = socketmap:... pointing at the
# daemon running in the lab namespace, and delivers to the lab receivers:
#   plain.example (no STARTTLS), table `encrypt`: deferred with
#       "TLS is required, but was not offered";
#   plain.example, table changed to `none` (SIGHUP): the deferred message
#       is delivered in clear;
#   tls.example (STARTTLS, lab CA), table `may`: delivered over TLS.
# Uses the lab named by $LAB_DIR when it is up (the harness's), otherwise
# sets up its own (namespace tplab-server) and tears it down at the end.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_or_fail "needs root (network namespace lab)"
LAB_SRC=$SRCDIR/tests/lab
[ -r "$LAB_SRC/README.md" ] || skip_or_fail "tests/lab is missing"
PORT=$(free_port)
OWN_LAB=0
if [ -n "${LAB_DIR:-}" ] && [ -r "$LAB_DIR/env" ]; then
    echo "using the lab in $LAB_DIR"
else
    export LAB_NS=tplab-server LAB_DIR=$TESTROOT/lab
    echo "setting up a lab ($LAB_NS in $LAB_DIR)"
    if ! "$LAB_SRC/setup" -q > "$T/lab-setup.log" 2>&1; then
        tail -20 "$T/lab-setup.log" >&2
        skip_or_fail "tests/lab/setup failed (packages missing?)"
    fi
    OWN_LAB=1
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"

e2e_cleanup() {
    "$LAB_SRC/sender-reset" -d >/dev/null 2>&1 || true
    [ "$OWN_LAB" = 1 ] && "$LAB_SRC/teardown" -q -p >/dev/null 2>&1
    cleanup
}
trap e2e_cleanup EXIT

db_init
seed plain.example encrypt
seed tls.example may
write_config <<CONF
listen = inet:127.0.0.1:$PORT
discovery = yes
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
CONF
# The daemon lives in the lab namespace, where the sender can reach it.
ip netns exec "$LAB_NS" "$TLSPOLICY" -v -c "$T/tlspolicy.cf" serve -f > "$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do grep -q " ready: " "$T/daemon.log" && break; sleep 0.1; done
grep -q " ready: " "$T/daemon.log" || { cat "$T/daemon.log" >&2; fail "daemon did not start"; finish; }
q() { ip netns exec "$LAB_NS" "$TLSPOLICY" query --server "inet:127.0.0.1:$PORT" "$@"; }
expect_eq "daemon answers in the lab" "$(q plain.example)" "OK encrypt"

"$LAB_SRC/sender-set" "smtp_tls_policy_maps = socketmap:inet:127.0.0.1:$PORT:tlspolicy" ||
    fail "sender-set"
# Postfix itself, as the client, sees the table:
expect_eq "lab postmap -q" \
    "$(ip netns exec "$LAB_NS" postmap -c "$LAB_SENDER_CONFIG" -q tls.example \
        "socketmap:inet:127.0.0.1:$PORT:tlspolicy")" "may"

# 1. encrypt to a server without STARTTLS: deferred
off=$("$LAB_SRC/log-offset")
qid=$("$LAB_SRC/send" sender@lab.example rcpt@plain.example "e2e encrypt") || fail "send 1"
if "$LAB_SRC/wait-log" -s "$off" \
    "$qid: to=<rcpt@plain.example>.*status=deferred.*TLS is required, but was not offered" 60 >/dev/null; then
    ok "encrypt + no STARTTLS: deferred, TLS is required, but was not offered"
else
    fail "encrypt: no deferral"
fi
grep -q "tlspolicy plain.example: lookup" "$T/daemon.log" &&
    ok "the sender asked the daemon for plain.example" || fail "no lookup in the daemon log"

# 2. the admin lowers it to none; the deferred message goes out in clear
"$TLSPOLICY" --db "$DB" policy set plain.example none >/dev/null
kill -HUP "$DAEMON_PID"
got=""
for _ in $(seq 1 50); do
    got=$(q plain.example) && [ "$got" = "OK none" ] && break
    sleep 0.1
done
expect_eq "reloaded policy" "$got" "OK none"
off2=$("$LAB_SRC/log-offset")
"$LAB_SRC/flush" >/dev/null 2>&1 || true
if "$LAB_SRC/wait-log" -s "$off2" "$qid: to=<rcpt@plain.example>.*status=sent" 60 >/dev/null; then
    ok "none: delivered"
else
    fail "none: not delivered"
fi
tail -c +$((off2 + 1)) "$LAB_SENDER_LOG" | grep -q "TLS connection established to mx.plain.example" &&
    fail "none: TLS was used" || ok "none: in clear (no TLS connection)"

# 3. may to a STARTTLS server: delivered over TLS
off3=$("$LAB_SRC/log-offset")
qid3=$("$LAB_SRC/send" sender@lab.example rcpt@tls.example "e2e may") || fail "send 3"
if "$LAB_SRC/wait-log" -s "$off3" "$qid3: to=<rcpt@tls.example>.*status=sent" 60 >/dev/null; then
    ok "may: delivered"
else
    fail "may: not delivered"
fi
tail -c +$((off3 + 1)) "$LAB_SENDER_LOG" |
    grep -Eq "(Trusted|Untrusted|Anonymous|Verified) TLS connection established to mx.tls.example" &&
    ok "may: over TLS" || fail "may: no TLS connection line"

stop_daemon
finish
