#!/bin/bash
# SPDX-License-Identifier: MIT
# test_galera.sh - the daemons against a 3-node Galera cluster on one
# machine (issue 14 item 3): three mariadbd with wsrep (Debian galera-4)
# on loopback ports, the first bootstrapped with --wsrep-new-cluster,
# the others joining by SST (rsync), mariadbd running as mysql.  Daemon 1 reads node 2, daemon 2
# reads node 3.
#   - policy set on node 1 and plain SQL on node 3 reach both daemons
#     (postmap -q, parent walk);
#   - db check shows each node's Galera state (text and --json);
#   - node 2 stopped: daemon 1 (reading it) and daemon 2 keep answering;
#     a write on node 1 meanwhile reaches daemon 2; node 2 rejoins (IST)
#     and daemon 1 then answers that write too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_cluster.sh"

PROVIDER=/usr/lib/galera/libgalera_smm.so
[ -f "$PROVIDER" ] || skip_or_fail "$PROVIDER missing (apt-get install galera-4)"
command -v rsync >/dev/null || skip_or_fail "rsync missing (the SST method)"

# mariadbd as mysql: the rsync daemon of the SST, started by root, would
# run as nobody and not reach the data directory
id mysql >/dev/null 2>&1 || skip_or_fail "no user mysql (Debian mariadb-server creates it)"
MY_RUN_USER=mysql
chmod 711 "$T"
read -r S1 S2 S3 G1 G2 G3 I1 I2 I3 R1 R2 R3 D1 D2 <<<"$(free_port 14 | tr '\n' ' ')"
GCOMM="gcomm://127.0.0.1:$G1,127.0.0.1:$G2,127.0.0.1:$G3"
# node_args N: node N's wsrep options (SQL port S_N, group G_N, IST I_N, SST R_N)
node_args() {
    local g i r
    eval "g=\$G$1 i=\$I$1 r=\$R$1"
    echo "--wsrep-on=ON --wsrep-provider=$PROVIDER --wsrep-cluster-address=$GCOMM" \
        "--wsrep-cluster-name=tlspolicy-test-$$ --wsrep-node-name=node$1" \
        "--wsrep-node-address=127.0.0.1:$g --wsrep-node-incoming-address=127.0.0.1" \
        "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$i;gcache.size=16M;evs.inactive_timeout=PT6S;evs.suspect_timeout=PT3S" \
        "--wsrep-sst-method=rsync --wsrep-sst-receive-address=127.0.0.1:$r" \
        "--binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB"
}
# shellcheck disable=SC2046
my_start node1 "$S1" $(node_args 1) --wsrep-new-cluster ||
    skip_or_fail "cannot bootstrap Galera node 1"
for n in 2 3; do
    # shellcheck disable=SC2046
    my_start node$n "$(eval echo \$S$n)" $(node_args $n) ||
        { fail "Galera node $n did not join"; cluster_finish; }
done
size=$(my_sql node1 -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)
expect_eq "cluster of 3 nodes" "$size" 3
my_sql node1 -e "GRANT SLAVE MONITOR ON *.* TO 'tlspolicy'@'127.0.0.1'"

d_config 1 "$D1" <<EOF2
database = $(my_url node2)
EOF2
d_config 2 "$D2" <<EOF2
database = $(my_url node3)
EOF2
# the admin's CLI writes on node 1 (any node takes writes in Galera)
printf 'database = %s\npidfile =\n' "$(my_url node1)" > "$T/cli.cf"
tpc() { "$TLSPOLICY" -c "$T/cli.cf" "$@"; }
out=$(tpc db init 2>&1) && ok "db init on node 1" || fail "db init: $out"
tpc policy set example.com secure match=.example.com:example.com >/dev/null
tpc policy set .example.org encrypt >/dev/null 2>&1
tpc policy set _default may >/dev/null
d_start 1
d_start 2
both_see "set on node 1" example.com "secure match=.example.com:example.com"
both_see "set on node 1, parent walk" sub.example.org encrypt
my_sql node3 tlspolicy_test -e "INSERT INTO tlspolicies (domain, policy, params)
    VALUES ('sql.example', 'dane-only', NULL)"
both_see "SQL insert on node 3" sql.example dane-only

out=$("$TLSPOLICY" -c "$T/d1/tlspolicy.cf" db check 2>&1) && ok "db check on node 2" ||
    fail "db check: $out"
grep -qx "galera: node Synced, ready, cluster size 3" <<<"$out" &&
    ok "db check shows the Galera state" || fail "db check output: $out"
json=$("$TLSPOLICY" -c "$T/d2/tlspolicy.cf" --json db check)
"$LIB/json-schema-check" "$SRCDIR/docs/json.md" db_check <<<"$json" &&
    ok "db check --json of a Galera node: docs/json.md's db_check" || fail "db check --json schema: $json"
python3 - "$json" <<'PY' && ok "db check --json: galera" || fail "db check --json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["galera"] == {"state": "Synced", "ready": True, "cluster_size": 3}, d
assert d["replication"] is None, d
PY

# ---- node 2 leaves and rejoins -------------------------------------------
my_stop node2
for _ in $(seq 1 100); do
    [ "$(my_sql node1 -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)" = 2 ] && break
    sleep 0.1
done
sleep 2.5   # daemon 1's reloads fail meanwhile
both_see "node 2 down: daemons keep answering" example.com "secure match=.example.com:example.com"
d_alive 1 && ok "node 2 down: daemon 1 runs" || fail "node 2 down: daemon 1 died"
tpc policy set example.com dane-only >/dev/null && ok "node 2 down: writes on node 1" ||
    fail "node 2 down: write on node 1"
d_wait 2 example.com dane-only && ok "node 2 down: daemon 2 (node 3) sees the write" ||
    fail "node 2 down: daemon 2 [$got]"
d_pm 1 sql.example >/dev/null && ok "node 2 down: daemon 1 still answers its table" ||
    fail "node 2 down: daemon 1 does not answer"
# shellcheck disable=SC2046
my_start node2 "$S2" $(node_args 2) || fail "node 2 did not rejoin"
expect_eq "node 2 rejoined: cluster of 3" \
    "$(my_sql node2 -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)" 3
d_wait 1 example.com dane-only && ok "node 2 back: daemon 1 sees the write made meanwhile" ||
    fail "node 2 back: daemon 1 [$got]"
my_sql node2 tlspolicy_test -e "UPDATE tlspolicies SET policy = 'dane' WHERE domain = '.example.org'"
both_see "SQL update on the rejoined node 2" sub.example.org dane
cluster_finish
