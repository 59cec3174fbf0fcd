#!/bin/bash
# SPDX-License-Identifier: MIT
# store-mysql.sh - the policy CLI on a real MariaDB server (started by
# tests/lib/mariadb-start; TLSPOLICY_TEST_MYSQL_URL).  The ViMbAdmin table
# is created by hand with the exact DDL first (existing-table case) and
# must come out of every command unaltered; then set/get/list/import/
# export/delete, rows written by another tool, all-or-nothing import
# when the server rejects a row mid-transaction, a missing table, and an
# unreachable server / wrong password (one-line error, exit 1, table
# unchanged).
. "$(dirname "$0")/lib.sh"

[ -n "${TLSPOLICY_TEST_MYSQL_URL:-}" ] \
    || skip_or_fail "TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)"
command -v mariadb >/dev/null || skip_or_fail "mariadb client not installed"

mysql_parts "$TLSPOLICY_TEST_MYSQL_URL"
TDB=tlspolicy_test_store
export DB="mysql://$MY_USER:$MY_PASS@$MY_HOST:$MY_PORT/$TDB"
DESC="mysql://$MY_USER@$MY_HOST:$MY_PORT/$TDB"
t() { tp --db "$DB" "$@"; }

sql "$MY_DB" -e "DROP DATABASE IF EXISTS $TDB; CREATE DATABASE $TDB" \
    || skip_or_fail "cannot create database $TDB on $MY_HOST:$MY_PORT"

# The table exactly as mail admins have it (ViMbAdmin), made by hand.
DDL='CREATE TABLE `tlspolicies` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `domain` varchar(255) NOT NULL,
  `policy` enum('"'none','may','encrypt','dane','dane-only','fingerprint','verify','secure'"') NOT NULL,
  `params` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`), UNIQUE KEY `domain` (`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1'
sql $TDB -e "$DDL"
sql $TDB -e "INSERT INTO tlspolicies (domain, policy, params) VALUES ('legacy.example', 'secure', 'match=nexthop'), ('plain.example', 'may', NULL), ('empty.example', 'dane', '')"
shape() { sql $TDB -e 'SHOW CREATE TABLE tlspolicies' | cut -f2- | sed 's/ AUTO_INCREMENT=[0-9]*//'; }
SHAPE=$(shape)

# ---- existing table --------------------------------------------------
expect "db init keeps the existing table" 0 "using the existing table tlspolicies in $DESC
created table tlspolicy_sts in $DESC
created table tlspolicy_sts_lease in $DESC
created table tlspolicy_provenance in $DESC
created table tlspolicy_own in $DESC
created table tlspolicy_report in $DESC
created table tlspolicy_bypass in $DESC
TLSRPT tables tlspolicy_tlsrpt_* ready in $DESC
created table tlspolicy_meta in $DESC" "" -- t db init
expect "get existing row" 0 "secure match=nexthop" "" -- t policy get legacy.example
expect "get row with NULL params" 0 "may" "" -- t policy get plain.example
expect "get row with empty params" 0 "dane" "" -- t policy get empty.example

# ---- set / get / list / delete ---------------------------------------
expect "set" 0 "example.com: added: secure match=nexthop:dot-nexthop" "" \
    -- t policy set example.com secure match=nexthop:dot-nexthop
expect "set same (case, trailing dot)" 0 "example.com: unchanged: secure match=nexthop:dot-nexthop" "" \
    -- t policy set Example.COM. secure match=nexthop:dot-nexthop
expect "set replace" 0 "example.com: changed: secure match=hostname" "" \
    -- t policy set example.com secure match=hostname
expect "set host:port" 0 "[mx.example.net]:25: added: fingerprint match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1" "" \
    -- t policy set '[mx.example.net]:25' fingerprint match=3d:95:34:51:24:66:33:b9:d2:40:99:c0:c1:17:0b:d1
expect "set _default" 0 "_default: added: dane-only" "" -- t policy set _default dane-only
expect "get" 0 "secure match=hostname" "" -- t policy get EXAMPLE.com
expect "get missing" 1 "" "tlspolicy policy: no entry for nope.example" -- t policy get nope.example
same "no params stored as NULL" \
    "$(sql $TDB -e "SELECT params IS NULL FROM tlspolicies WHERE domain = '_default'")" 1
LIST="DOMAIN               POLICY       PARAMS
[mx.example.net]:25  fingerprint  match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1
_default             dane-only
empty.example        dane
example.com          secure       match=hostname
legacy.example       secure       match=nexthop
plain.example        may"
expect "list" 0 "$LIST" "" -- t policy list
if [ -n "${TLSPOLICY_TEST_MYSQL_SOCKET_URL:-}" ]; then
    expect "list over the unix socket" 0 "$LIST" "" \
        -- tp --db "${TLSPOLICY_TEST_MYSQL_SOCKET_URL%%/tlspolicy_test*}/$TDB?socket=${TLSPOLICY_TEST_MYSQL_SOCKET_URL##*socket=}" policy list
fi
t --json policy list | grep -q '"domain": "plain.example", "policy": "may", "params": null, "valid": true' \
    && ok "list --json" || notok "list --json"
expect "delete" 0 "plain.example: deleted" "" -- t policy delete plain.example
expect "delete missing" 1 "" "tlspolicy policy: no entry for plain.example" -- t policy delete plain.example

# ---- import / export -------------------------------------------------
cat >"$TMP/policy.txt" <<'EOF'
# from the old hash: table
example.com       secure match=hostname
.example.org      encrypt
    protocols=>=TLSv1.2
[192.0.2.1]:2525  none
legacy.example    verify match=hostname:nexthop
EOF
# --dry-run also prints the diff, aligned (issue 17 item 17)
expect "import --dry-run" 0 "dry run, nothing written: $TMP/policy.txt: 2 added, 1 changed, 1 unchanged
CHANGE   DOMAIN            OLD                   NEW
added    .example.org      -                     encrypt protocols=>=TLSv1.2
added    [192.0.2.1]:2525  -                     none
changed  legacy.example    secure match=nexthop  verify match=hostname:nexthop" "" \
    -- t policy import -n "$TMP/policy.txt"
expect "import" 0 "$TMP/policy.txt: 2 added, 1 changed, 1 unchanged" "" \
    -- t policy import "$TMP/policy.txt"
expect "import again" 0 "$TMP/policy.txt: 0 added, 0 changed, 4 unchanged" "" \
    -- t policy import "$TMP/policy.txt"
# --sync --dry-run on MariaDB: the removals run in the transaction and
# roll back (no domain row added or changed, so nothing is looked up)
before=$(t policy export)
printf '.example.org encrypt protocols=>=TLSv1.2\n[192.0.2.1]:2525 none\n' >"$TMP/sync.txt"
out=$(t policy import --sync --dry-run --json "$TMP/sync.txt" 2>/dev/null)
n=$(printf '%s\n' "$before" | grep -vc '^#')
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); n=int(sys.argv[2]); k=[c for c in d["changes"] if c["change"]=="kept"]
assert (d["added"], d["changed"], d["unchanged"]) == (0, 0, 2) and d["removed"] == n - 2 - len(k), d' "$out" "$n" \
    && [ "$before" = "$(t policy export)" ] && ok "sync --dry-run on MariaDB: removals counted, nothing written" \
    || notok "sync dry run on MariaDB: $out"
out=$(t policy export)
same "export" "$out" "# Postfix TLS policy table (smtp_tls_policy_maps), exported by
# tlspolicy $("$TLSPOLICY" --version | cut -d' ' -f2) from $DESC.
# 7 entries, sorted.  Build with: postmap hash:FILE
# Edit the table (tlspolicy policy set/import), not this file.
.example.org        encrypt protocols=>=TLSv1.2
[192.0.2.1]:2525    none
[mx.example.net]:25 fingerprint match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1
_default            dane-only
empty.example       dane
example.com         secure match=hostname
legacy.example      verify match=hostname:nexthop"
grep -q "$MY_PASS" <<<"$out" && notok "export hides the password" || ok "export hides the password"

# ---- all or nothing when the server rejects a row mid-transaction -----
# boom: a trigger that makes the server reject the row fail.example
boom() {
    sql $TDB <<'SQL'
DELIMITER //
CREATE TRIGGER boom BEFORE INSERT ON tlspolicies FOR EACH ROW
  IF NEW.domain = 'fail.example' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rejected by trigger';
  END IF//
DELIMITER ;
SQL
}
boom
printf 'first.example may\nexample.com secure match=nexthop\nfail.example may\nlast.example may\n' >"$TMP/rej.txt"
before=$(sql $TDB -e 'SELECT * FROM tlspolicies ORDER BY id')
expect "server rejects a row: nothing imported" 1 "" "rejected by trigger" \
    -- t policy import "$TMP/rej.txt"
same "rejected import changed nothing" "$(sql $TDB -e 'SELECT * FROM tlspolicies ORDER BY id')" "$before"
sql $TDB -e "DROP TRIGGER boom"

# ---- provenance (issue 17 item 2), in the write's transaction ----------
prov() { sql $TDB -e "SELECT command, written_by, policy, evidence FROM tlspolicy_provenance WHERE domain = '$1'" | tr '\t' '|'; }
t policy set prov.example verify >/dev/null
same "set records provenance" "$(prov prov.example)" "policy set|$(id -un)@$(hostname)|verify|set by the admin"
printf 'prov2.example secure match=.prov2.example\nprov3.example may\n' >"$TMP/prov.txt"
t policy import "$TMP/prov.txt" >/dev/null
same "import records file:line" "$(prov prov3.example)" "policy import|$(id -un)@$(hostname)|may|$TMP/prov.txt:2"
t policy list -v | grep -Eq "^prov\.example +verify +[0-9-]+ [0-9:]+ +policy set \($(id -un)@$(hostname)\) +set by the admin$" \
    && ok "list -v" || notok "list -v: $(t policy list -v | grep '^prov.example')"
# the trigger again: a rejected import writes no provenance either
boom
printf 'prov4.example may\nfail.example may\n' >"$TMP/prov-rej.txt"
expect "rejected import" 1 "" "rejected by trigger" -- t policy import "$TMP/prov-rej.txt"
same "rejected import: no provenance" "$(prov prov4.example)" ""
sql $TDB -e "DROP TRIGGER boom"
t policy delete prov.example >/dev/null
same "delete removes the provenance" "$(prov prov.example)" ""
sql $TDB -e "DROP TABLE tlspolicy_provenance"
expect "set without provenance table" 0 "prov5.example: added: may" \
    "provenance not recorded: the database has no table tlspolicy_provenance" -- t policy set prov5.example may
expect "list -v without provenance table" 0 "*" "no table tlspolicy_provenance" -- t policy list -v
expect "delete without provenance table" 0 "prov5.example: deleted" "" -- t policy delete prov5.example
t db init >/dev/null
for d in prov2.example prov3.example; do t policy delete $d >/dev/null; done
before=$(sql $TDB -e 'SELECT * FROM tlspolicies ORDER BY id')

# ---- bad input: nothing changes --------------------------------------
printf 'new1.example may\nnew2.example encrypt match=nexthop\nnew3.example may\n' >"$TMP/corrupt.txt"
expect_err "corrupt import" 1 "tlspolicy policy: $TMP/corrupt.txt:2: new2.example: match is not allowed at level encrypt
tlspolicy policy: $TMP/corrupt.txt: 1 invalid line; nothing imported" \
    -- t policy import "$TMP/corrupt.txt"
expect "invalid policy" 1 "" "tlspolicy policy: match is not allowed at level encrypt" \
    -- t policy set example.com encrypt match=nexthop
expect "invalid key" 1 "" "tlspolicy policy: " -- t policy set 'a b.example' may
same "bad input changed nothing" "$(sql $TDB -e 'SELECT * FROM tlspolicies ORDER BY id')" "$before"

BADPORT="mysql://$MY_USER:$MY_PASS@127.0.0.1:1/$TDB"
expect "unreachable server" 1 "" \
    "tlspolicy policy: cannot connect to mysql://$MY_USER@127.0.0.1:1/$TDB: server not reachable: " \
    -- tp --db "$BADPORT" policy set example.com may
expect "unreachable server (list)" 1 "" "server not reachable" -- tp --db "$BADPORT" policy list
BADPW="mysql://$MY_USER:wrong-password@$MY_HOST:$MY_PORT/$TDB"
expect "wrong password" 1 "" "Access denied for user '$MY_USER'" \
    -- tp --db "$BADPW" policy import "$TMP/policy.txt"
out=$(tp --db "$BADPW" policy set example.com may 2>&1)
grep -q "wrong-password" <<<"$out" && notok "error hides the password" || ok "error hides the password"
expect "unknown database" 1 "" "Unknown database 'tlspolicy_test_nonexistent'" \
    -- tp --db "mysql://$MY_USER:$MY_PASS@$MY_HOST:$MY_PORT/tlspolicy_test_nonexistent" policy list
same "connection errors changed nothing" "$(sql $TDB -e 'SELECT * FROM tlspolicies ORDER BY id')" "$before"

# ---- rows written by another tool ------------------------------------
sql $TDB -e "INSERT INTO tlspolicies (domain, policy, params) VALUES ('bad.example', 'encrypt', 'match=nexthop')"
sql $TDB -e "SET SESSION sql_mode = ''; INSERT INTO tlspolicies (domain, policy) VALUES ('enum.example', 'bogus')" 2>/dev/null
bad1=$(sql $TDB -e "SELECT id FROM tlspolicies WHERE domain = 'bad.example'")
bad2=$(sql $TDB -e "SELECT id FROM tlspolicies WHERE domain = 'enum.example'")
expect "get invalid row" 1 "" "row id $bad1 (bad.example): match is not allowed at level encrypt" \
    -- t policy get bad.example
expect "get invalid enum value" 1 "" "row id $bad2 (enum.example): " -- t policy get enum.example
t policy list >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
same "list with invalid rows: exit 0" "$rc" 0
grep -q "row id $bad1 (bad.example)" "$TMP/err" && grep -q "row id $bad2 (enum.example)" "$TMP/err" \
    && ok "list warns with row ids" || notok "list warns with row ids: $(cat "$TMP/err")"
grep -q "(INVALID, row id $bad1)" "$TMP/out" && ok "list marks invalid rows" || notok "list marks invalid rows"
t policy export >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
same "export with invalid rows: exit 1" "$rc" 1
grep -Eq "bad.example|enum.example" "$TMP/out" && notok "export leaves invalid rows out" \
    || ok "export leaves invalid rows out"
t db check >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
same "db check" "$rc $(head -n 1 "$TMP/out")" "1 $DESC: 9 rows, 2 invalid"
# the harness's user has no global privilege: the replication state is unknown
same "db check: replication line" "$(sed -n 2p "$TMP/out")" \
    "replication: state not readable by this user (GRANT SLAVE MONITOR ON *.* shows it), read_only OFF"
same "db check: two lines" "$(wc -l <"$TMP/out")" 2
same "db check names both rows" "$(grep -c "row id \($bad1\|$bad2\) " "$TMP/err")" 2
sql $TDB -e "DELETE FROM tlspolicies WHERE id IN ($bad1, $bad2)"

same "the table was never altered" "$(shape)" "$SHAPE"

# ---- missing table: clear error, then db init makes the same table -------
sql $TDB -e "DROP TABLE tlspolicies"
expect "missing table" 1 "" "table tlspolicies does not exist in $DESC (run 'tlspolicy db init')" \
    -- t policy list
expect "db init creates" 0 "created table tlspolicies in $DESC
using the existing table tlspolicy_sts in $DESC
using the existing table tlspolicy_sts_lease in $DESC
using the existing table tlspolicy_provenance in $DESC
using the existing table tlspolicy_own in $DESC
using the existing table tlspolicy_report in $DESC
using the existing table tlspolicy_bypass in $DESC
TLSRPT tables tlspolicy_tlsrpt_* ready in $DESC
using the existing table tlspolicy_meta in $DESC" "" -- t db init
same "db init made exactly the documented table" "$(shape)" "$SHAPE"

# ---- a wider table of another tool: values longer than any valid one,
# a NUL byte -- reported by row id, never cut and used --------------------
sql $TDB -e "DROP TABLE tlspolicies; CREATE TABLE tlspolicies (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  domain varchar(2000) NOT NULL, policy varchar(100) NOT NULL,
  params varchar(2000) DEFAULT NULL) ENGINE=InnoDB DEFAULT CHARSET=latin1"
sql $TDB -e "INSERT INTO tlspolicies (domain, policy, params) VALUES
  (REPEAT('a', 1024), 'may', NULL), ('long-params.example', 'may', REPEAT('b', 1024)),
  (CONCAT('nul.example', CHAR(0), 'x'), 'may', NULL), ('long-policy.example', REPEAT('c', 64), NULL),
  ('good.example', 'encrypt', NULL)"
t db check >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
same "wide table: db check" "$rc $(head -n 1 "$TMP/out")" "1 $DESC: 5 rows, 4 invalid"
same "wide table: over-long values named" \
    "$(grep -c 'a value longer than the column allows' "$TMP/err")" 3
grep -q "row id [0-9]* (nul.example): NUL byte in a value" "$TMP/err" \
    && ok "wide table: NUL byte named" || notok "wide table: NUL byte: $(cat "$TMP/err")"
expect "wide table: a good row still served" 0 "encrypt" "" -- t policy get good.example
t --json policy list >"$TMP/out" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if [x["valid"] for x in r].count(True) == 1 else 1)' \
    "$TMP/out" && ok "wide table: list --json is JSON, one valid row" || notok "wide table: list --json"

# ---- a percent-encoded password (needs root on the harness socket) -------
if [ -n "${TLSPOLICY_TEST_MYSQL_SOCKET:-}" ] && [ -S "$TLSPOLICY_TEST_MYSQL_SOCKET" ]; then
    PW='p@ss:w/rd%?#x'
    mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot -e "
      DROP USER IF EXISTS 'tlspolicy_pct'@'127.0.0.1';
      CREATE USER 'tlspolicy_pct'@'127.0.0.1' IDENTIFIED BY '$PW';
      GRANT ALL PRIVILEGES ON \`$TDB\`.* TO 'tlspolicy_pct'@'127.0.0.1';"
    expect "percent-encoded password" 0 "pct.example: added: may" "" \
        -- tp --db "mysql://tlspolicy_pct:p%40ss%3Aw%2Frd%25%3F%23x@127.0.0.1:$MY_PORT/$TDB" \
        policy set pct.example may
    mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot -e \
        "DROP USER 'tlspolicy_pct'@'127.0.0.1'"
fi

sql "$MY_DB" -e "DROP DATABASE $TDB"
finish
