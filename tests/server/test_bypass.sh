#!/bin/bash
# SPDX-License-Identifier: MIT
# test_bypass.sh - the emergency bypass (issue 13 item 5) through
# Postfix's postmap -q: `tlspolicy bypass DOMAIN` makes the daemon answer
# the level (default may) above the table row and `_default`, logged when
# the daemon sees it; it expires by the daemon's own clock (reload_interval
# = 0 here: no reload after it was seen, no table change) and is logged
# then; `bypass delete` ends it at the next reload; `bypass list` aligned
# and --json; bad arguments refused (exit 2) with nothing written.  With
# the harness's MariaDB (TLSPOLICY_TEST_MYSQL_URL): the same commands on
# the MariaDB table.
. "$(dirname "$0")/lib.sh"

command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
PORT=$(free_port)
MAP="socketmap:inet:127.0.0.1:$PORT:tlspolicy"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
pm() { postmap -c "$T/postfix" -q "$1" "$MAP"; }
bp() { "$TLSPOLICY" --db "$DB" bypass "$@"; }
wait_log() {
    for _ in $(seq 1 100); do grep -qF "$1" "$T/daemon.log" && return 0; sleep 0.1; done
    return 1
}

db_init
seed example.com secure match=.example.com:example.com
seed _default dane-only
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
reload_interval = 0
EOF2
start_daemon
expect_eq "before: table row" "$(pm example.com)" "secure match=.example.com:example.com"
expect_eq "before: _default" "$(pm other.example)" "dane-only"

out=$(bp Example.COM. --for 3s --reason "their DANE is broken, ticket 42")
grep -q "^example.com: bypass set: the daemon answers may until 20" <<<"$out" &&
    ok "bypass set: says so" || fail "bypass set: [$out]"
bp other.example --for 1h --level encrypt >/dev/null
kill -HUP "$DAEMON_PID"
wait_log "bypass for example.com: answering may until" && ok "daemon logs the bypass it sees" ||
    fail "no bypass log line"
grep -qF "(reason: their DANE is broken, ticket 42)" "$T/daemon.log" &&
    ok "the log names the reason" || fail "no reason in the log"
expect_eq "bypass above the table row" "$(pm example.com)" "may"
expect_eq "bypass --level encrypt above _default" "$(pm other.example)" "encrypt"
expect_eq "no bypass for the parent walk" "$(pm sub.example.com || true)" "dane-only"

# list, aligned and --json
list=$(bp list)
expect_eq "list header" "$(head -n 1 <<<"$list")" "DOMAIN         LEVEL    EXPIRES               LEFT       REASON"
grep -Eq '^example\.com    may      20[0-9-]+T[0-9:]+Z  0m[0-3]s +their DANE is broken, ticket 42$' <<<"$list" &&
    ok "list row" || fail "list: [$list]"
# 1h0m when listed within the second it was set, 59m59s (or less) after
grep -Eq '^other\.example  encrypt  20[0-9-]+T[0-9:]+Z  (1h0m|59m[0-9]+s)$' <<<"$list" &&
    ok "list row without a reason: no trailing blanks" || fail "list: [$list]"
"$TLSPOLICY" --db "$DB" --json bypass list | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["domain"] for r in rows] == ["example.com", "other.example"], rows
assert rows[0]["level"] == "may" and rows[0]["active"] is True, rows
assert rows[1]["level"] == "encrypt", rows
assert rows[0]["expires_unix"] - rows[0]["created_unix"] == 3, rows
' && ok "list --json" || fail "list --json"

# expiry by the daemon's clock: no reload, no table change
for _ in $(seq 1 60); do [ "$(pm example.com)" = "may" ] || break; sleep 0.1; done
expect_eq "expired: the table row again" "$(pm example.com)" "secure match=.example.com:example.com"
wait_log "bypass for example.com expired: answering its policy as before" &&
    ok "expiry logged" || fail "expiry not logged"
expect_eq "expiry logged once" "$(pm example.com >/dev/null; grep -c 'bypass for example.com expired' "$T/daemon.log")" 1
grep -Eq '^example\.com +may +[^ ]+ +expired ' <<<"$(bp list)" && ok "list: expired" || fail "list after expiry"

# delete: ends at the next reload
expect_eq "delete" "$(bp delete other.example)" \
    "other.example: bypass deleted (the daemon answers as before from its next reload)"
kill -HUP "$DAEMON_PID"
wait_log "bypass for other.example deleted" && ok "deletion logged" || fail "deletion not logged"
expect_eq "deleted: _default again" "$(pm other.example)" "dane-only"
out=$(bp delete other.example 2>&1) && rc=0 || rc=$?
expect_eq "delete missing: exit" "$rc" 1
expect_eq "delete missing: message" "$out" "tlspolicy bypass: no bypass for other.example"

# bad arguments: exit 2, nothing written
for args in "x.example --for 0" "x.example --for 31d" "x.example --for soon" \
            "x.example --level bogus" "x.example --level fingerprint" ".example.com" "_default"; do
    # shellcheck disable=SC2086
    out=$(bp $args 2>&1) && rc=0 || rc=$?
    expect_eq "refused: $args" "$rc" 2
done
expect_eq "nothing written by refused commands" "$(bp list | grep -c x.example || true)" 0
stop_daemon

# ---- MariaDB -----------------------------------------------------------
if [ -n "${TLSPOLICY_TEST_MYSQL_URL:-}" ]; then
    # a database of this run's own (the harness's user may create
    # tlspolicy_test*): the test runs beside others that use the
    # harness's database
    command -v mariadb >/dev/null || skip_or_fail "mariadb client not installed"
    mysql_parts "$TLSPOLICY_TEST_MYSQL_URL"
    TDB=tlspolicy_test_bypass_$$
    sql "$MY_DB" -e "DROP DATABASE IF EXISTS $TDB; CREATE DATABASE $TDB" ||
        skip_or_fail "cannot create database $TDB"
    trap 'sql "$MY_DB" -e "DROP DATABASE IF EXISTS $TDB" 2>/dev/null; cleanup' EXIT
    DB="mysql://$MY_USER:$MY_PASS@$MY_HOST:$MY_PORT/$TDB"
    "$TLSPOLICY" --db "$DB" db init | grep -q "table tlspolicy_bypass in" &&
        ok "MariaDB: db init creates tlspolicy_bypass" || fail "MariaDB: db init"
    bp delete mx-test.example >/dev/null 2>&1 || true
    bp mx-test.example --for 2h --level none --reason "MariaDB row" >/dev/null
    grep -Eq '^mx-test\.example +none +.*MariaDB row$' <<<"$(bp list)" &&
        ok "MariaDB: set and list" || fail "MariaDB: list [$(bp list)]"
    seed mx-test.example dane-only
    write_config <<EOF2
listen = inet:127.0.0.1:$PORT
reload_interval = 0
EOF2
    start_daemon
    expect_eq "MariaDB: daemon answers the bypass" "$(pm mx-test.example)" "none"
    stop_daemon
    expect_eq "MariaDB: delete" "$(bp delete mx-test.example | cut -d: -f1)" "mx-test.example"
    "$TLSPOLICY" --db "$DB" policy delete mx-test.example >/dev/null
else
    skip_part "MariaDB: TLSPOLICY_TEST_MYSQL_URL not set (tests/lib/mariadb-start)"
fi
finish
