# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lab-lib.sh - shared by the DANE lab tests (sourced, bash).
#
# Needs the lab of tests/lab (its env file at $LAB_DIR/env, default
# /tmp/tlspolicy-lab/env): without it the test is skipped (exit 77),
# unless CI is set, then it fails.  Starts `tlspolicy serve` inside the
# lab's namespace on DANE_TEST_LISTEN with the lab's trust anchor and
# resolver, and asks it through Postfix's own client (postmap -q).
# Everything started here is stopped by pid on exit.

set -u

LAB_DIR=${LAB_DIR:-/tmp/tlspolicy-lab}
DANE_TEST_ADDR=127.0.0.1
DANE_TEST_PORT=8471
DANE_TEST_MAP="socketmap:inet:$DANE_TEST_ADDR:$DANE_TEST_PORT:tlspolicy"

if [ ! -r "$LAB_DIR/env" ]; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL: the lab is not running ($LAB_DIR/env missing) and CI is set" >&2
		exit 1
	fi
	echo "SKIP: no lab at $LAB_DIR (run tests/lab/setup; set LAB_DIR/LAB_NS)" >&2
	exit 77
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"
: "${TLSPOLICY:?TLSPOLICY (path of the binary) must be set; run through meson test}"
LAB_SRC=${LAB_SRC:-${SRCDIR:-.}/tests/lab}

T_DIR=$(mktemp -d /tmp/tlspolicy-dane-test.XXXXXX)
T_PID=
T_FAILS=0
T_CLEANUP_EXTRA=
T_SANITIZER=0
T_SERVE_OPTS=         # e.g. -v: the daemon logs every request (the keys asked)

lab() { "$LAB_SRC/$1" "${@:2}"; }
in_ns() { ip netns exec "$LAB_NS" "$@"; }

cleanup() {
	local rc=$?
	if [ -n "$T_CLEANUP_EXTRA" ]; then
		eval "$T_CLEANUP_EXTRA" || true
	fi
	daemon_stop
	[ "$T_SANITIZER" = 1 ] && rc=1
	if [ "$rc" != 0 ] && [ -f "$T_DIR/serve.log" ]; then
		echo "--- tail of the daemon log:" >&2
		tail -20 "$T_DIR/serve.log" >&2
	fi
	rm -rf "$T_DIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	T_FAILS=$((T_FAILS + 1))
}

ok() { echo "ok: $*"; }

# daemon_start [SETTING=VALUE ...]: a fresh table and daemon.
daemon_start() {
	local s
	{
		echo "database = sqlite:$T_DIR/t.db"
		echo "listen = inet:$DANE_TEST_ADDR:$DANE_TEST_PORT"
		echo "user = root"
		echo "pidfile = $T_DIR/tlspolicy.pid"
		echo "table_snapshot = $T_DIR/table.snapshot"
		echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR"
		for s in "$@"; do
			echo "${s%%=*} = ${s#*=}"
		done
	} >"$T_DIR/tp.cf"
	if [ ! -f "$T_DIR/t.db" ]; then
		"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || return 1
	fi
	# The log is emptied here, not only by the redirection below: that runs
	# in the background child, and the wait loop could otherwise still
	# find the previous daemon's "listening on" and query too early.
	: >"$T_DIR/serve.log"
	# directly (not through a shell function) so that $! is the daemon
	# shellcheck disable=SC2086  # T_SERVE_OPTS: words
	ip netns exec "$LAB_NS" "$TLSPOLICY" -c "$T_DIR/tp.cf" serve -f $T_SERVE_OPTS >"$T_DIR/serve.log" 2>&1 &
	T_PID=$!
	for _ in $(seq 1 100); do
		grep -q "listening on" "$T_DIR/serve.log" 2>/dev/null && return 0
		kill -0 "$T_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not start:" >&2
	cat "$T_DIR/serve.log" >&2
	return 1
}

daemon_stop() {
	if [ -n "$T_PID" ]; then
		kill "$T_PID" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$T_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$T_PID" 2>/dev/null
		wait "$T_PID" 2>/dev/null
		T_PID=
		# a sanitizer build reports leaks and errors at exit
		if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR/serve.log"; then
			echo "FAIL: sanitizer report in the daemon log:" >&2
			grep -E -A12 "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR/serve.log" | head -40 >&2
			T_FAILS=$((T_FAILS + 1))
			T_SANITIZER=1
		fi
	fi
}

daemon_alive() { [ -n "$T_PID" ] && kill -0 "$T_PID" 2>/dev/null; }

# wait_for NAME REGEX: ok when the sender's log, from byte $off on (the
# caller sets off=$(lab log-offset) before sending), gets a line matching
# REGEX within 60 s (the line in the message), else fail with the log's
# last lines.
wait_for() {
	if lab wait-log -s "$off" "$2" 60 >"$T_DIR/match" 2>&1; then
		ok "$1: $(head -1 "$T_DIR/match" | sed 's/^.*postfix[^:]*: //' | cut -c1-110)"
	else
		fail "$1: no log line matching: $2"
		tail -5 "$T_DIR/match" >&2
	fi
}

# q DOMAIN: the daemon's answer through postmap, as one line:
# "OK <policy>", "NOTFOUND", "TEMP <reason>" or "ERROR <stderr>".
q() {
	local out err rc
	out=$(in_ns postmap -q "$1" "$DANE_TEST_MAP" 2>"$T_DIR/postmap.err")
	rc=$?
	err=$(tr '\n' ' ' <"$T_DIR/postmap.err")
	if [ "$rc" = 0 ]; then
		echo "OK $out"
	elif [ -z "$err" ]; then
		echo "NOTFOUND"
	elif [[ "$err" == *"socketmap server temporary error: "* ]]; then
		err=${err#*socketmap server temporary error: }
		echo "TEMP ${err%% postmap: fatal*}"
	else
		echo "ERROR $err"
	fi
}

# expect DOMAIN WANT: WANT is "OK level", "NOTFOUND" or "TEMP substring".
expect() {
	local got
	got=$(q "$1")
	case "$2" in
	TEMP*)
		if [[ "$got" == TEMP* && "$got" == *"${2#TEMP }"* ]]; then
			ok "$1 -> ${got:0:90}"
		else
			fail "$1: got \"$got\", want \"$2\""
		fi
		;;
	*)
		if [ "$got" = "$2" ]; then
			ok "$1 -> $got"
		else
			fail "$1: got \"$got\", want \"$2\""
		fi
		;;
	esac
}

# expect_within SECS DOMAIN WANT: like expect, polling once a second
# for up to SECS (a failed discovery is cached briefly, so recovery
# after a fault is not instant).
expect_within() {
	local got i
	for i in $(seq 1 "$1"); do
		got=$(q "$2")
		case "$3" in
		TEMP*) [[ "$got" == TEMP* && "$got" == *"${3#TEMP }"* ]] && break ;;
		*)
			[ "$got" = "$3" ] && break
			# our own failures must never defer mail
			if [[ "$got" == TEMP* ]]; then
				fail "$2: TEMP while recovering: \"$got\""
				return
			fi
			;;
		esac
		sleep 1
	done
	local good=0
	case "$3" in
	TEMP*) [[ "$got" == TEMP* && "$got" == *"${3#TEMP }"* ]] && good=1 ;;
	*) [ "$got" = "$3" ] && good=1 ;;
	esac
	if [ "$good" = 1 ]; then
		ok "$2 -> ${got:0:90} (after ${i}s)"
	else
		fail "$2: got \"$got\" for ${1}s, want \"$3\""
	fi
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

finish() {
	if [ "$T_FAILS" -gt 0 ]; then
		echo "$T_FAILS check(s) failed" >&2
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
