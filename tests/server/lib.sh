# SPDX-License-Identifier: MIT
# lib.sh - shared helpers of the server integration tests (sourced).
#
# Every test gets its own directory under /tmp/tlspolicy-server-test/,
# its own SQLite table and its own ports (free_port: chosen by the
# kernel, so parallel runs do not collide); the daemon is
# started in the foreground (-f) with its log in $T/daemon.log, stopped
# by pid at exit.

set -eu

: "${TLSPOLICY:?run through meson test (TLSPOLICY is the binary)}"
TESTROOT=/tmp/tlspolicy-server-test
mkdir -p "$TESTROOT"
T=$(mktemp -d "$TESTROOT/$(basename "$0" .sh).XXXXXX")
DB="sqlite:$T/policy.db"
DAEMON_PID=""
FAILS=0

# mysql_parts, sql (the MariaDB tests)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/mysql.sh"

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    if [ "$FAILS" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$T"
    else
        echo "kept $T for inspection" >&2
    fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], want [$3]"; fi
}

# skip_or_fail MESSAGE: exit 77 locally, fail under CI
skip_or_fail() {
    if [ -n "${CI:-}" ]; then echo "FAIL (CI): $*" >&2; exit 1; fi
    echo "SKIP: $*" >&2
    exit 77
}

# free_port [N]: N free loopback TCP ports, one a line (tests/lib/free-port)
free_port() { "${SRCDIR:-$(dirname "$0")/../..}/tests/lib/free-port" "$@"; }

# skip_part MESSAGE: a part of the test cannot run here: fails under CI;
# locally the test goes on, and finish() ends it as SKIP (exit 77, what
# meson and scripts/test count as skipped), naming the part, unless a
# check failed
SKIPPED_PARTS=""
skip_part() {
    if [ -n "${CI:-}" ]; then fail "(CI) cannot run: $*"; return; fi
    echo "SKIP (part): $*" >&2
    SKIPPED_PARTS="$SKIPPED_PARTS${SKIPPED_PARTS:+; }$*"
}

# seed KEY LEVEL [ATTR...]
seed() { "$TLSPOLICY" --db "$DB" policy set "$@" >/dev/null; }
db_init() { "$TLSPOLICY" --db "$DB" db init >/dev/null; }

# write_config: tlspolicy.cf with the test's database, user = root,
# discovery = no, then the lines on stdin (later lines win)
write_config() {
    {
        echo "database = $DB"
        echo "user = root"
        echo "pidfile = $T/tlspolicy.pid"
        # These tests are about the server: table answers only, no DNS.
        echo "discovery = no"
        # the persisted table of this test only (not the state directory)
        echo "table_snapshot = $T/table.snapshot"
        cat
    } > "$T/tlspolicy.cf"
}

# start_daemon [args]: foreground daemon; waits until it is ready
start_daemon() {
    # emptied here: the redirection below runs in the background child,
    # and an earlier daemon's " ready: " must not satisfy the wait
    : > "$T/daemon.log"
    "$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f "$@" > "$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 100); do
        if grep -q " ready: " "$T/daemon.log"; then
            return 0
        fi
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/daemon.log" >&2
    echo "FAIL: daemon did not start" >&2
    exit 1
}

# stop_daemon: SIGTERM; the daemon must exit 0 without sanitizer reports
stop_daemon() {
    if [ -n "$DAEMON_PID" ]; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        st=0
        wait "$DAEMON_PID" 2>/dev/null || st=$?
        DAEMON_PID=""
        [ "$st" = 0 ] || fail "daemon exit status $st after SIGTERM"
        if grep -Eq "Sanitizer|runtime error:" "$T/daemon.log" 2>/dev/null; then
            fail "sanitizer report in the daemon log"
        fi
    fi
}

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

finish() {
    stop_daemon
    if [ "$FAILS" != 0 ]; then
        echo "$FAILS check(s) failed; daemon log:" >&2
        cat "$T/daemon.log" >&2 2>/dev/null || true
        exit 1
    fi
    if [ -n "$SKIPPED_PARTS" ]; then
        echo "SKIP: the other checks passed; not run: $SKIPPED_PARTS"
        exit 77
    fi
    echo "all checks passed"
    exit 0
}
