#!/bin/bash
# SPDX-License-Identifier: MIT
# test_replica.sh - several mail servers, one policy table (issue 14
# items 2 and 3): a real MariaDB primary and a real replica (two
# mariadbd, binlog replication on loopback ports), two daemons reading
# the replica, each with its own configuration, port and table_snapshot;
# the CLI writes to the primary through database_write.
#   - policy set (CLI, database_write = the primary) and rows written by
#     plain SQL on the primary (another admin tool) reach both daemons
#     (postmap -q, the parent walk too);
#   - a write on the read-only replica (no database_write) fails with a
#     message naming database_write and changes nothing;
#   - db check shows the replica's state (text and --json), a stopped
#     replication thread exits 1;
#   - primary down: daemons keep answering, CLI writes fail clearly and
#     change nothing; back: replication catches up;
#   - replica down: the daemons keep serving their snapshot; a daemon
#     started while it is down serves its persisted table_snapshot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_cluster.sh"

read -r PPORT RPORT D1 D2 M1 <<<"$(free_port 5 | tr '\n' ' ')"
my_start primary "$PPORT" --log-bin="$T/primary/binlog" --server-id=1 \
    --binlog-format=ROW || skip_or_fail "cannot start the primary MariaDB"
my_start replica "$RPORT" --server-id=2 --read-only --relay-log="$T/replica/relay" \
    --slave-net-timeout=5 || skip_or_fail "cannot start the replica MariaDB"
PRIMARY=$(my_url primary)
REPLICA=$(my_url replica)

# Replication from the primary's current position: both already have
# the test database and user (mariadb-start, same password).
my_sql primary -e "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '$MYPASS';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
    GRANT SLAVE MONITOR ON *.* TO 'tlspolicy'@'127.0.0.1';"
my_sql replica -e "GRANT SLAVE MONITOR ON *.* TO 'tlspolicy'@'127.0.0.1';"
read -r BFILE BPOS _ <<<"$(my_sql primary -e 'SHOW MASTER STATUS')"
my_sql replica -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PPORT,
    MASTER_USER='repl', MASTER_PASSWORD='$MYPASS', MASTER_LOG_FILE='$BFILE',
    MASTER_LOG_POS=$BPOS, MASTER_CONNECT_RETRY=1; START SLAVE;"

# the tables on the primary (the CLI with database_write); they replicate
# daemon 1 writes (its MTA-STS cache, TLSRPT journal) to the primary;
# daemon 2 has no database_write: its writes hit the read-only replica
d_config 1 "$D1" <<EOF2
database = $REPLICA
database_write = $PRIMARY
metrics_listen = inet:127.0.0.1:$M1
EOF2
d_config 2 "$D2" <<EOF2
database = $REPLICA
EOF2
# metric NAME: daemon 1's sample of NAME ("" when it has none)
metric() { curl -s "http://127.0.0.1:$M1/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
# wait_metric NAME WANT: up to 20 s
wait_metric() {
    for _ in $(seq 1 200); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
    return 1
}
# the admin's CLI: the same two URLs, no pid file: no daemon is told
# (a SIGHUP would reload at once); the daemons see changes by reloading
{ grep '^database' "$T/d1/tlspolicy.cf"; echo "pidfile ="; } > "$T/cli.cf"
[ "$(grep -c '^database' "$T/cli.cf")" = 2 ] || fail "cli.cf: $(cat "$T/cli.cf")"
tpc() { "$TLSPOLICY" -c "$T/cli.cf" "$@"; }
out=$(tpc db init 2>&1) && ok "db init goes to database_write" || fail "db init: $out"
grep -q "in mysql://tlspolicy@127.0.0.1:$PPORT/" <<<"$out" &&
    ok "db init names the primary" || fail "db init output: $out"
for _ in $(seq 1 100); do
    [ "$(my_sql replica tlspolicy_test -e "SHOW TABLES LIKE 'tlspolicies'")" = tlspolicies ] && break
    sleep 0.1
done
tpc policy set example.com secure match=.example.com:example.com >/dev/null &&
    ok "policy set through database_write" || fail "policy set"
tpc policy set .example.org encrypt >/dev/null
tpc policy set _default may >/dev/null
d_start 1
d_start 2
both_see "CLI set" example.com "secure match=.example.com:example.com"
both_see "CLI set, parent walk" sub.example.org encrypt
both_see "CLI set, _default" nothing.example may

# a change while both run: CLI, then plain SQL on the primary
tpc policy set example.com dane-only >/dev/null
both_see "CLI change" example.com dane-only
my_sql primary tlspolicy_test -e "INSERT INTO tlspolicies (domain, policy, params)
    VALUES ('sql.example', 'verify', 'match=hostname')"
both_see "SQL insert on the primary" sql.example "verify match=hostname"
my_sql primary tlspolicy_test -e "UPDATE tlspolicies SET policy = 'dane' WHERE domain = '.example.org'"
both_see "SQL update on the primary" sub.example.org dane
my_sql primary tlspolicy_test -e "DELETE FROM tlspolicies WHERE domain = 'sql.example'"
both_see "SQL delete on the primary" sql.example may

# reads stay on the replica: policy get/list work with the primary's URL wrong
sed 's/^database_write = .*/database_write = mysql:\/\/tlspolicy:x@127.0.0.1:1\/none/' \
    "$T/cli.cf" > "$T/readonly.cf"
expect_eq "policy get reads database (the replica)" \
    "$("$TLSPOLICY" -c "$T/readonly.cf" policy get example.com 2>&1)" "dane-only"

# the daemons' own writes (at start the MTA-STS cache purges its expired
# rows): daemon 1's go to the primary; daemon 2's are refused by the
# replica with a warning naming database_write, its answers not affected
for _ in $(seq 1 100); do grep -q "sts store: cannot purge" "$T/d2/daemon.log" && break; sleep 0.1; done
grep "sts store: cannot purge expired rows: " "$T/d2/daemon.log" | grep -F "is read-only" |
    grep -qF "database_write" &&
    ok "daemon 2 (no database_write): its write refused, the warning names database_write" ||
    fail "daemon 2's log: $(grep 'sts store' "$T/d2/daemon.log")"
grep -q "sts store: cannot" "$T/d1/daemon.log" &&
    fail "daemon 1: $(grep 'sts store' "$T/d1/daemon.log")" || ok "daemon 1's writes (database_write) work"
d_wait 2 example.com dane-only && ok "daemon 2 answers after its refused write" || fail "daemon 2: [$got]"

# ---- a write on the replica itself ---------------------------------------
before=$(my_sql replica tlspolicy_test -e 'SELECT domain, policy FROM tlspolicies ORDER BY domain')
rc=0
err=$("$TLSPOLICY" --db "$REPLICA" policy set write.example encrypt 2>&1) || rc=$?
expect_eq "write on the replica: exit 1" "$rc" 1
for w in "is read-only" "nothing was changed" "database_write"; do
    grep -qF -- "$w" <<<"$err" && ok "write on the replica says \"$w\"" ||
        fail "write on the replica: [$err] lacks [$w]"
done
expect_eq "write on the replica: one line" "$(wc -l <<<"$err")" 1
rc=0
err=$("$TLSPOLICY" --db "$REPLICA" policy import - 2>&1 <<<"imp.example encrypt") || rc=$?
expect_eq "import on the replica: exit 1" "$rc" 1
grep -qF "database_write" <<<"$err" && ok "import on the replica names database_write" ||
    fail "import on the replica: [$err]"
expect_eq "replica unchanged" \
    "$(my_sql replica tlspolicy_test -e 'SELECT domain, policy FROM tlspolicies ORDER BY domain')" "$before"
expect_eq "primary unchanged" \
    "$(my_sql primary tlspolicy_test -e 'SELECT domain, policy FROM tlspolicies ORDER BY domain')" "$before"

# ---- db check ------------------------------------------------------------
out=$(tpc db check 2>&1) && ok "db check on the replica: exit 0" || fail "db check: $out"
grep -Eq "^replication: replica of 127.0.0.1:$PPORT, IO thread Yes, SQL thread Yes, [0-9]+ s behind the primary, read_only ON$" \
    <<<"$out" && ok "db check shows the replica's state" || fail "db check output: $out"
json=$(tpc --json db check)
"$LIB/json-schema-check" "$SRCDIR/docs/json.md" db_check <<<"$json" &&
    ok "db check --json of a replica: docs/json.md's db_check" || fail "db check --json schema: $json"
python3 - "$json" "$PPORT" <<'PY' && ok "db check --json" || fail "db check --json: $json"
import json, sys
d = json.loads(sys.argv[1])
r = d["replication"]
assert d["read_only"] is True and d["galera"] is None, d
assert r["primary"] == "127.0.0.1:" + sys.argv[2] and r["io_running"] == "Yes", r
assert r["sql_running"] == "Yes" and r["stopped"] is False, r
assert isinstance(r["seconds_behind_primary"], int) and r["last_error"] is None, r
PY
out=$("$TLSPOLICY" --db "$PRIMARY" db check 2>&1) || true
grep -qF "replication: none" <<<"$out" && grep -q "read_only OFF" <<<"$out" &&
    ok "db check on the primary: no replication" || fail "db check primary: $out"
wait_metric tlspolicy_database_replication_running 1 &&
    ok "metrics: replication running 1" || fail "metrics: running [$(metric tlspolicy_database_replication_running)]"
[[ "$(metric tlspolicy_database_replica_lag_seconds)" =~ ^[0-9]+$ ]] &&
    ok "metrics: replica lag" || fail "metrics: lag [$(metric tlspolicy_database_replica_lag_seconds)]"
my_sql replica -e "STOP SLAVE SQL_THREAD"
wait_metric tlspolicy_database_replication_running 0 &&
    ok "metrics: replication stopped: running 0" || fail "metrics: stopped [$(metric tlspolicy_database_replication_running)]"
expect_eq "metrics: replication stopped: no lag sample" "$(metric tlspolicy_database_replica_lag_seconds)" ""
grep -qF "replication stopped on mysql://tlspolicy@127.0.0.1:$RPORT/tlspolicy_test (IO thread Yes, SQL thread No)" \
    "$T/d1/daemon.log" && ok "the daemon logs the stopped replication" ||
    fail "no log line for the stopped replication"
rc=0
out=$(tpc db check 2>&1) || rc=$?
expect_eq "db check, SQL thread stopped: exit 1" "$rc" 1
grep -qF "replication stopped on" <<<"$out" && grep -qF "SQL thread No" <<<"$out" &&
    ok "db check says the replication stopped" || fail "db check stopped: $out"
[ "$(tpc --json db check 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["replication"]["stopped"])')" = True ] &&
    ok "db check --json: stopped true" || fail "db check --json stopped"
my_sql replica -e "START SLAVE SQL_THREAD"
wait_metric tlspolicy_database_replication_running 1 &&
    ok "metrics: replication running again" || fail "metrics: not running again"
grep -qF "replication running again on mysql://tlspolicy@127.0.0.1:$RPORT/" "$T/d1/daemon.log" &&
    ok "the daemon logs replication running again" || fail "no log line: running again"

# ---- the primary down ----------------------------------------------------
my_stop primary
sleep 2.5   # reloads against the replica go on; the journal's writes fail
both_see "primary down" example.com dane-only
rc=0
err=$(tpc policy set down.example encrypt 2>&1) || rc=$?
expect_eq "primary down: CLI write exit 1" "$rc" 1
grep -qF "cannot connect to mysql://tlspolicy@127.0.0.1:$PPORT/tlspolicy_test: server not reachable" \
    <<<"$err" && ok "primary down: the error names the primary" || fail "primary down: [$err]"
rc=0
out=$(tpc db check 2>&1) || rc=$?
expect_eq "primary down: db check on the replica exit 1" "$rc" 1
grep -Eq "IO thread (Connecting|No)" <<<"$out" && ok "primary down: db check shows the IO thread" ||
    fail "primary down: db check: $out"
for n in 1 2; do d_alive $n && ok "primary down: daemon $n runs" || fail "daemon $n died"; done
my_start primary "$PPORT" --log-bin="$T/primary/binlog" --server-id=1 --binlog-format=ROW ||
    fail "primary did not start again"
expect_eq "primary down: nothing was written" \
    "$(my_sql primary tlspolicy_test -e "SELECT COUNT(*) FROM tlspolicies WHERE domain = 'down.example'")" 0
tpc policy set back.example encrypt >/dev/null && ok "primary back: CLI writes" || fail "primary back: set"
both_see "primary back: replication catches up" back.example encrypt

# ---- the replica down ----------------------------------------------------
my_stop replica
sleep 2.5
both_see "replica down: daemons keep their table" example.com dane-only
both_see "replica down: parent walk" sub.example.org dane
d_stop 2
d_start 2
grep -qF "serving the persisted snapshot $T/d2/table.snapshot" "$T/d2/daemon.log" &&
    ok "replica down at start: daemon 2 serves its persisted snapshot" ||
    fail "replica down at start: $(cat "$T/d2/daemon.log")"
d_wait 2 example.com dane-only && ok "replica down at start: answers from the snapshot" ||
    fail "replica down at start: [$got]"
d_wait 2 back.example encrypt && ok "replica down at start: the latest row too" ||
    fail "replica down at start: back.example [$got]"
# a write meanwhile (to the primary) reaches both once the replica is back
tpc policy set late.example dane-only >/dev/null || fail "set while the replica is down"
my_start replica "$RPORT" --server-id=2 --read-only --relay-log="$T/replica/relay" \
    --slave-net-timeout=5 || fail "replica did not start again"
both_see "replica back" late.example dane-only
cluster_finish
