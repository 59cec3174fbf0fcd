#!/bin/bash
# SPDX-License-Identifier: MIT
# test_persist.sh - the persisted table snapshot (setting table_snapshot,
# issue 13 item 6): the daemon writes the last good table to local disk
# and, when the database cannot be read at start, serves it (Postfix's
# postmap -q answers the table rows, the parent walk included) until the
# database answers again; then changes made meanwhile appear.  Both
# backends: SQLite missing or not a database; MariaDB stopped (a private
# server from tests/lib/mariadb-start on a free port, stopped and started
# again by this test).  A damaged (checksum mismatch, truncated) or
# missing snapshot with a dead database: the daemon refuses to start with
# a message naming both reasons, nothing listens.  Emergency bypasses
# and shadowed rows (issue 13) are kept in the snapshot and answered
# from it; a bypass read from it still expires by the daemon's clock.
. "$(dirname "$0")/lib.sh"

command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
PORT=$(free_port)
MAP="socketmap:inet:127.0.0.1:$PORT:tlspolicy"
SNAP=$T/state/table.snapshot
mkdir -p "$T/postfix" "$T/state"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
pm() { postmap -c "$T/postfix" -q "$1" "$MAP"; }
# wait_log TEXT: up to 10 s for TEXT in the daemon log
wait_log() {
    for _ in $(seq 1 100); do grep -qF "$1" "$T/daemon.log" && return 0; sleep 0.1; done
    return 1
}
# wait_answer KEY WANT: up to 10 s for postmap to answer WANT
wait_answer() {
    got=""
    for _ in $(seq 1 100); do
        got=$(pm "$1" 2>/dev/null) && [ "$got" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# refused WHAT WANT...: serve must exit non-zero, its message holding each WANT
refused() {
    local what=$1 out rc=0
    shift
    out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f 2>&1) || rc=$?
    [ "$rc" != 0 ] && ok "$what: serve refuses (exit $rc)" || fail "$what: serve started"
    for w in "$@"; do
        grep -qF -- "$w" <<<"$out" && ok "$what: says \"$w\"" || fail "$what: [$out] lacks [$w]"
    done
    out=$(pm example.com 2>&1) && fail "$what: something answers on $PORT" || ok "$what: nothing listens"
}
# served_from_snapshot WHAT: the rows seeded below, through postmap
served_from_snapshot() {
    wait_log "serving the persisted snapshot $SNAP (4 rows" &&
        ok "$1: logged: serving the persisted snapshot" || fail "$1: no log line"
    grep -qF "ready: 4 table rows (from the persisted snapshot: database unavailable)" \
        "$T/daemon.log" && ok "$1: ready line says so" || fail "$1: ready line"
    expect_eq "$1: exact" "$(pm example.com)" "secure match=.example.com:example.com"
    expect_eq "$1: parent walk .example.org" "$(pm sub.example.org)" "encrypt"
    expect_eq "$1: [host]:port" "$(pm '[mx.example.net]:25')" "verify"
    expect_eq "$1: _default" "$(pm nothing.example)" "may"
}
seed_rows() {
    seed example.com secure match=.example.com:example.com
    seed .example.org encrypt
    seed '[mx.example.net]:25' verify
    seed _default may
}

# ---- SQLite ----------------------------------------------------------
db_init
seed_rows
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
reload_interval = 1s
table_snapshot = $SNAP
EOF2
start_daemon
[ -s "$SNAP" ] && ok "snapshot written at start" || fail "no snapshot at $SNAP"
expect_eq "snapshot header" "$(head -n 3 "$SNAP" | tr '\n' '|')" \
    "tlspolicy-table-snapshot 1|written $(sed -n 's/^written //p' "$SNAP")|rows 4|"
mtime=$(stat -c %Y.%N "$SNAP")
# a reload that changed nothing does not rewrite it; one that did does
for _ in 1 2 3; do kill -HUP "$DAEMON_PID"; sleep 0.3; done
expect_eq "unchanged table: not rewritten" "$(stat -c %Y.%N "$SNAP")" "$mtime"
seed extra.example dane-only
wait_answer extra.example dane-only && ok "new row served" || fail "new row: [$got]"
for _ in $(seq 1 50); do grep -q '^rows 5$' "$SNAP" && break; sleep 0.1; done
grep -q '^extra.example dane-only$' "$SNAP" && ok "changed table: rewritten" || fail "snapshot not rewritten"
"$TLSPOLICY" --db "$DB" policy delete extra.example >/dev/null
for _ in $(seq 1 50); do grep -q '^rows 4$' "$SNAP" && break; sleep 0.1; done
grep -q '^rows 4$' "$SNAP" && ok "row deleted: rewritten" || fail "snapshot after delete"
ls "$T/state" | grep -q tmp && fail "temporary file left in $T/state" || ok "no temporary file left"
stop_daemon

# the database file is gone (a lost disk, a wrong path after an upgrade)
mv "$T/policy.db" "$T/policy.db.saved"
start_daemon
served_from_snapshot "SQLite missing"
sleep 2.5   # a few failed reloads (reload_interval = 1s): not logged again
expect_eq "SQLite missing: outage logged once" "$(grep -c 'unavailable' "$T/daemon.log")" 1
# the database comes back with a change: reloads keep retrying
mv "$T/policy.db.saved" "$T/policy.db"
seed example.com dane-only
wait_answer example.com dane-only && ok "SQLite back: the change appears" || fail "SQLite back: [$got]"
wait_log "policy table available again: 4 rows (no longer serving the persisted snapshot)" &&
    ok "SQLite back: logged" || fail "SQLite back: not logged"
for _ in $(seq 1 50); do grep -q '^example.com dane-only$' "$SNAP" && break; sleep 0.1; done
grep -q '^example.com dane-only$' "$SNAP" && ok "SQLite back: snapshot rewritten" || fail "snapshot after recovery"
stop_daemon
seed example.com secure match=.example.com:example.com
start_daemon
stop_daemon

# the database file is not a database (unreadable)
cp "$T/policy.db" "$T/policy.db.saved"
printf 'this is not an SQLite database, it is long enough to have a header\n%.0s' 1 2 3 > "$T/policy.db"
rm -f "$T/policy.db-wal" "$T/policy.db-shm"
start_daemon
served_from_snapshot "SQLite not a database"
stop_daemon

# a damaged snapshot with a dead database: the old behaviour, clearly
cp "$SNAP" "$T/snap.good"
sed -i 's/^\.example\.org encrypt$/.example.org none/' "$SNAP"
refused "checksum mismatch" "the persisted snapshot cannot be used either" "checksum mismatch" "$SNAP"
head -c 100 "$T/snap.good" > "$SNAP"
refused "truncated snapshot" "the persisted snapshot cannot be used either" "truncated" "$SNAP"
rm -f "$SNAP"
refused "missing snapshot" "$SNAP: No such file or directory" "not starting"
# table_snapshot empty: off (nothing written, nothing read)
cp "$T/snap.good" "$SNAP"
echo "table_snapshot =" >> "$T/tlspolicy.cf"
refused "table_snapshot empty" "policy table"
cp "$T/policy.db.saved" "$T/policy.db"
sed -i '$d' "$T/tlspolicy.cf"

# emergency bypasses and shadowed rows are kept in the snapshot too
# (issue 13): a start from it answers them, and a bypass still expires
"$TLSPOLICY" --db "$DB" bypass other.example --for 1h --level encrypt --reason "persist test" >/dev/null
"$TLSPOLICY" --db "$DB" bypass short.example --for 4s --level none >/dev/null
seed shadow.example dane-only testing
start_daemon
for _ in $(seq 1 50); do grep -q '^bypasses 2$' "$SNAP" && break; sleep 0.1; done
grep -q '^bypasses 2$' "$SNAP" && ok "bypasses: in the snapshot" || fail "bypasses: not in $SNAP"
grep -q '^shadow.example !dane-only$' "$SNAP" && ok "shadowed row: in the snapshot, marked" ||
    fail "shadowed row: not in $SNAP"
stop_daemon
mv "$T/policy.db" "$T/policy.db.saved2"
start_daemon
wait_log "serving the persisted snapshot $SNAP (5 rows, 2 bypasses" &&
    ok "bypasses: the start from the snapshot counts them" || fail "bypasses: no log line"
wait_log "bypass for other.example: answering encrypt until" &&
    ok "bypasses: logged as from the table" || fail "bypasses: not logged"
expect_eq "bypass served from the snapshot" "$(pm other.example)" "encrypt"
expect_eq "short bypass served from the snapshot" "$(pm short.example)" "none"
expect_eq "shadowed row from the snapshot: NOTFOUND" "$(pm shadow.example || echo NOTFOUND)" NOTFOUND
expect_eq "shadowed row from the snapshot: .shadow.example" "$(pm .shadow.example || echo NOTFOUND)" NOTFOUND
wait_answer short.example may && ok "short bypass expires while serving the snapshot (_default again)" ||
    fail "short bypass: [$got]"
stop_daemon
mv "$T/policy.db.saved2" "$T/policy.db"
"$TLSPOLICY" --db "$DB" bypass delete other.example >/dev/null
"$TLSPOLICY" --db "$DB" bypass delete short.example >/dev/null
"$TLSPOLICY" --db "$DB" policy delete shadow.example >/dev/null

# ---- MariaDB stopped ---------------------------------------------------
command -v mariadbd >/dev/null || command -v mysqld >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    { skip_part "MariaDB: mariadb-server not installed"; finish; }
LIB=${SRCDIR:-$(dirname "$0")/../..}/tests/lib
export MYSQL_TEST_DIR=$T/mysql MYSQL_TEST_PORT=$(free_port)
my_start() { "$LIB/mariadb-start" > "$T/mariadb.out" 2>&1; }
my_stop() { "$LIB/mariadb-stop" >/dev/null 2>&1; }
trap 'my_stop; cleanup' EXIT
if ! my_start; then
    cat "$T/mariadb.out" >&2
    skip_part "MariaDB: cannot start a private server"
    finish
fi
. "$MYSQL_TEST_DIR/env"
DB=$TLSPOLICY_TEST_MYSQL_URL
db_init
seed_rows
rm -f "$SNAP"
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
reload_interval = 1s
table_snapshot = $SNAP
EOF2
start_daemon
[ -s "$SNAP" ] && ok "MariaDB: snapshot written" || fail "MariaDB: no snapshot"
stop_daemon
my_stop
# a reboot while MariaDB is down
start_daemon
served_from_snapshot "MariaDB stopped"
# still down for a few reloads: still serving, not logged again
sleep 2.5
expect_eq "MariaDB stopped: still answering" "$(pm example.com)" "secure match=.example.com:example.com"
expect_eq "MariaDB stopped: outage logged once" "$(grep -c 'serving the persisted snapshot' "$T/daemon.log")" 1
my_start || fail "MariaDB did not start again"
seed example.com dane-only
seed new.example encrypt
wait_answer new.example encrypt && ok "MariaDB back: new row appears" || fail "MariaDB back: [$got]"
expect_eq "MariaDB back: changed row" "$(pm example.com)" "dane-only"
# (4 or 5 rows: the first reload that reaches the server may come between the two seeds)
wait_log "policy table available again: " && ok "MariaDB back: logged" || fail "MariaDB back: not logged"
stop_daemon
finish
