#!/bin/bash
# SPDX-License-Identifier: MIT
# test_change.sh BACKEND - change detection instead of blind reloads
# (issue 14 item 1), BACKEND sqlite or mysql (the harness's MariaDB,
# TLSPOLICY_TEST_MYSQL_URL; a database of this test's own).
#
# The daemon runs with reload_interval = 1s and is never signalled (the
# CLI has a config of its own whose pidfile names no daemon, as on
# another mail server).  What is counted comes from the daemon itself
# (SIGUSR1 "stats:" line: reloads, reload_unchanged), never from timing:
#   - no change: checks go on (reload_unchanged grows), reloads stay 0,
#     no "policy table reloaded" line;
#   - a change by `tlspolicy policy set`, by plain SQL (sqlite3 shell /
#     mariadb client: UPDATE, INSERT, DELETE) and a bypass row written by
#     plain SQL are each answered by postmap -q socketmap:... (with the
#     parent walk key) after the next check;
#   - afterwards the checks find nothing again (reloads stay put);
#   - mysql: a check that fails (SELECT on tlspolicy_meta revoked from
#     the daemon's own user) is a failed reload: the last snapshot keeps
#     answering, the failure is logged once, and the recovery too;
#   - mysql: a user without the TRIGGER privilege: db init warns and makes
#     no counter row; the daemon compares CHECKSUM TABLE, still reloads
#     only on change and serves a plain-SQL change.
. "$(dirname "$0")/lib.sh"

BACKEND=${1:?usage: test_change.sh sqlite|mysql}
command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
PORT=$(free_port)
MAP="socketmap:inet:127.0.0.1:$PORT:tlspolicy"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
pm() { postmap -c "$T/postfix" -q "$1" "$MAP"; }
# wait_answer KEY WANT: up to 20 s for postmap to answer WANT
wait_answer() {
    got=""
    for _ in $(seq 1 200); do
        got=$(pm "$1" 2>/dev/null) && [ "$got" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# stat NAME: the daemon's counter NAME from a fresh SIGUSR1 stats line
STATN=0
stat() {
    local n
    STATN=$((STATN + 1))
    kill -USR1 "$DAEMON_PID"
    for _ in $(seq 1 50); do
        n=$(grep -c ' stats: table_rows=' "$T/daemon.log" || true)
        [ "$n" -ge "$STATN" ] && break
        sleep 0.1
    done
    grep ' stats: table_rows=' "$T/daemon.log" | tail -n 1 |
        sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}
# wait_unchanged N: until reload_unchanged has grown by N (up to 30 s)
wait_unchanged() {
    local start now
    start=$(stat reload_unchanged)
    for _ in $(seq 1 60); do
        sleep 0.5
        now=$(stat reload_unchanged)
        [ "$now" -ge $((start + $1)) ] && return 0
    done
    return 1
}
# the CLI as on another server: no daemon holds its pid file
printf 'pidfile = %s\n' "$T/other-server.pid" > "$T/cli.cf"
cli() { "$TLSPOLICY" -c "$T/cli.cf" --db "$DB" "$@"; }

case $BACKEND in
sqlite)
    command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 shell not installed"
    plain() { sqlite3 "$T/policy.db" "$1"; }
    ;;
mysql)
    [ -n "${TLSPOLICY_TEST_MYSQL_URL:-}" ] \
        || skip_or_fail "TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)"
    command -v mariadb >/dev/null || skip_or_fail "mariadb client not installed"
    mysql_parts "$TLSPOLICY_TEST_MYSQL_URL"
    TDB=tlspolicy_test_change
    DB="mysql://$MY_USER:$MY_PASS@$MY_HOST:$MY_PORT/$TDB"
    sqlu() { mariadb --no-defaults --protocol=TCP -h "$MY_HOST" -P "$MY_PORT" \
        -u "$MY_USER" -p"$MY_PASS" -N -B "$@"; }
    plain() { sqlu "$TDB" -e "$1"; }
    sqlu -e "DROP DATABASE IF EXISTS $TDB; CREATE DATABASE $TDB" \
        || skip_or_fail "cannot create database $TDB"
    ;;
*) echo "usage: test_change.sh sqlite|mysql" >&2; exit 2 ;;
esac

cli db init > "$T/init.out" 2> "$T/init.err" || { cat "$T/init.err" >&2; fail "db init"; finish; }
grep -q "table tlspolicy_meta in" "$T/init.out" && ok "db init makes tlspolicy_meta" ||
    fail "db init: $(cat "$T/init.out")"
[ ! -s "$T/init.err" ] && ok "db init: no warning (triggers made)" || fail "db init: $(cat "$T/init.err")"
cli policy set a.example encrypt > /dev/null
cli policy set .parent.example verify > /dev/null
cli policy set _default may > /dev/null

DAEMON_DB=$DB
if [ "$BACKEND" = mysql ] && [ -n "${TLSPOLICY_TEST_MYSQL_SOCKET:-}" ]; then
    # the daemon's own user, with grants per table (a table-level REVOKE
    # takes effect at the next statement of an open connection)
    DPASS=chg$$pw
    DUSER=tlspolicy_chg
    mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot <<SQL || fail "daemon user"
DROP USER IF EXISTS '$DUSER'@'127.0.0.1';
CREATE USER '$DUSER'@'127.0.0.1' IDENTIFIED BY '$DPASS';
GRANT SELECT ON $TDB.tlspolicies TO '$DUSER'@'127.0.0.1';
GRANT SELECT ON $TDB.tlspolicy_bypass TO '$DUSER'@'127.0.0.1';
GRANT SELECT ON $TDB.tlspolicy_meta TO '$DUSER'@'127.0.0.1';
SQL
    DAEMON_DB="mysql://$DUSER:$DPASS@$MY_HOST:$MY_PORT/$TDB"
    trap 'mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot -e "DROP USER IF EXISTS '"'$DUSER'@'127.0.0.1'"'" 2>/dev/null; cleanup' EXIT
fi
write_config <<EOF2
database = $DAEMON_DB
listen = inet:127.0.0.1:$PORT
reload_interval = 1s
EOF2
start_daemon
expect_eq "start: a table row" "$(pm a.example)" "encrypt"

# ---- no change: no reload --------------------------------------------
wait_unchanged 3 && ok "no change: checks go on (reload_unchanged grows)" ||
    fail "no change: reload_unchanged did not grow"
expect_eq "no change: no reload" "$(stat reloads)" 0
grep -q "policy table reloaded" "$T/daemon.log" && fail "no change: a reload was logged" ||
    ok "no change: no reload logged"
expect_eq "no change: no failure" "$(stat reload_failures)" 0

# ---- a change by the CLI (no signal reaches the daemon) ---------------
cli policy set a.example dane-only > "$T/cli.out" 2>&1
grep -q "was told" "$T/cli.out" && fail "the CLI signalled the daemon: $(cat "$T/cli.out")"
wait_answer a.example dane-only && ok "policy set: served" || fail "policy set: [$got]"
r1=$(stat reloads)
[ "$r1" -ge 1 ] && ok "policy set: a reload ($r1)" || fail "policy set: reloads $r1"

# ---- changes by plain SQL ---------------------------------------------
plain "UPDATE tlspolicies SET policy = 'secure', params = 'match=.a.example' WHERE domain = 'a.example'"
wait_answer a.example "secure match=.a.example" && ok "plain SQL UPDATE: served" ||
    fail "plain SQL UPDATE: [$got]"
plain "INSERT INTO tlspolicies (domain, policy, params) VALUES ('b.example', 'encrypt', 'protocols=>=TLSv1.2')"
wait_answer b.example "encrypt protocols=>=TLSv1.2" && ok "plain SQL INSERT: served" ||
    fail "plain SQL INSERT: [$got]"
plain "UPDATE tlspolicies SET policy = 'dane-only', params = NULL WHERE domain = '.parent.example'"
wait_answer .parent.example dane-only && ok "plain SQL UPDATE of a .parent row: served" ||
    fail "plain SQL .parent: [$got]"
expect_eq "plain SQL .parent row: a subdomain walks up to it" "$(pm mx.parent.example)" dane-only
plain "DELETE FROM tlspolicies WHERE domain = 'b.example'"
wait_answer b.example may && ok "plain SQL DELETE: _default again" || fail "plain SQL DELETE: [$got]"
# a bypass (table tlspolicy_bypass) written by plain SQL
now=$(date +%s)
plain "INSERT INTO tlspolicy_bypass (domain, level, reason, created, expires) VALUES ('a.example', 'encrypt', 'test', $now, $((now + 3600)))"
wait_answer a.example encrypt && ok "plain SQL bypass row: served" || fail "plain SQL bypass: [$got]"
grep -q "bypass" "$T/daemon.log" && ok "the bypass is logged" || fail "bypass not logged"

# ---- quiet again ---------------------------------------------------------
r2=$(stat reloads)
wait_unchanged 3 && ok "after the changes: checks find nothing" || fail "no unchanged checks"
expect_eq "after the changes: no more reloads" "$(stat reloads)" "$r2"

# ---- a failing check is a failed reload -----------------------------
if [ "$BACKEND" = mysql ] && [ "$DAEMON_DB" != "$DB" ]; then
    root() { mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot -N -B -e "$1"; }
    root "REVOKE SELECT ON $TDB.tlspolicy_meta FROM '$DUSER'@'127.0.0.1'"
    f0=$(stat reload_failures)
    for _ in $(seq 1 60); do
        [ "$(stat reload_failures)" -ge $((f0 + 2)) ] && break
        sleep 0.5
    done
    f1=$(stat reload_failures)
    [ "$f1" -ge $((f0 + 2)) ] && ok "revoked: the checks fail ($f1)" || fail "revoked: failures $f1"
    grep -q "policy table unavailable" "$T/daemon.log" && ok "revoked: logged" || fail "revoked: not logged"
    expect_eq "revoked: logged once" "$(grep -c 'policy table unavailable' "$T/daemon.log")" 1
    expect_eq "revoked: the last snapshot answers" "$(pm a.example)" "encrypt"
    expect_eq "revoked: ... its table rows too" "$(pm .parent.example)" "dane-only"
    root "GRANT SELECT ON $TDB.tlspolicy_meta TO '$DUSER'@'127.0.0.1'"
    plain "DELETE FROM tlspolicy_bypass"
    wait_answer a.example "secure match=.a.example" && ok "granted again: the change is served" ||
        fail "granted again: [$got]"
    grep -q "policy table available again" "$T/daemon.log" && ok "granted again: logged" ||
        fail "recovery not logged"
elif [ "$BACKEND" = mysql ]; then
    skip_part "a failing check (no root socket: TLSPOLICY_TEST_MYSQL_SOCKET)"
fi
stop_daemon

# ---- a user that may not create triggers: CHECKSUM TABLE --------------
if [ "$BACKEND" = mysql ] && [ "$DAEMON_DB" != "$DB" ]; then
    TDB2=tlspolicy_test_change2
    root "DROP DATABASE IF EXISTS $TDB2; CREATE DATABASE $TDB2;
          GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX ON $TDB2.* TO '$DUSER'@'127.0.0.1'"
    DB2="mysql://$DUSER:$DPASS@$MY_HOST:$MY_PORT/$TDB2"
    "$TLSPOLICY" -c "$T/cli.cf" --db "$DB2" db init > "$T/init2.out" 2> "$T/init2.err" &&
        ok "no TRIGGER privilege: db init succeeds" || fail "db init: $(cat "$T/init2.err")"
    grep -q "warning: cannot create the triggers of tlspolicy_meta.*TRIGGER privilege" "$T/init2.err" &&
        ok "no TRIGGER privilege: db init says so" || fail "db init warning: [$(cat "$T/init2.err")]"
    expect_eq "no TRIGGER privilege: no counter row" \
        "$(root "SELECT COUNT(*) FROM $TDB2.tlspolicy_meta" -N -B)" 0
    "$TLSPOLICY" -c "$T/cli.cf" --db "$DB2" policy set c.example encrypt > /dev/null
    sed -i "s|^database = .*|database = $DB2|" "$T/tlspolicy.cf"
    start_daemon -v
    expect_eq "checksum: start" "$(pm c.example)" "encrypt"
    wait_unchanged 2 && ok "checksum: no change, no reload" || fail "checksum: no unchanged checks"
    grep -q "change marker: checksum" "$T/daemon.log" && ok "checksum: the marker is CHECKSUM TABLE" ||
        fail "checksum: marker not logged"
    expect_eq "checksum: no reload" "$(stat reloads)" 0
    sqlu "$TDB2" -e "UPDATE tlspolicies SET policy = 'dane-only' WHERE domain = 'c.example'"
    wait_answer c.example dane-only && ok "checksum: plain SQL change served" || fail "checksum: [$got]"
    stop_daemon
    root "DROP DATABASE $TDB2"
fi
[ "$BACKEND" = mysql ] && sqlu -e "DROP DATABASE IF EXISTS $TDB" || true
finish
