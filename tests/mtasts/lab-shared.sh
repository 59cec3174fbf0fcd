#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-shared.sh - one MTA-STS cache for several mail servers (issue 14
# item 4): two daemons (own configuration, own socket, own snapshot) on
# one database - an SQLite file, then MariaDB (tests/lib/mariadb-start,
# through its unix socket: the daemons run in the lab's namespace) - in
# the netns lab, nginx serving the policies.  nginx's access log counts
# the HTTPS fetches per policy host (the lab gives each its own address).
#
#   1. the same domains asked of both daemons, one after the other and
#      both at once: every answer is the published policy, and each
#      policy was fetched once (the other daemon read it from
#      tlspolicy_sts, or waited for the daemon holding the fetch lease);
#   2. refresh: the policy and its TXT id change (TTL 1 s, so the
#      daemons' own resolvers see it; sts_refresh_interval = 2 s): both
#      daemons answer the new policy, fetched once;
#   3. a lease left by a daemon that died (a row written by hand, expiring
#      in a second): the daemon asked waits (a lookup with nothing cached
#      waits at most 2 s), then fetches itself - one fetch, the published
#      answer;
#   4. the shared cache failing (the lease table dropped): the daemon
#      fetches itself and answers the published policy, never NOTFOUND
#      or TEMP because of the database.
#
# Needs the lab ($LAB_DIR/env; exit 77 without, or fail when CI is set)
# and for the MariaDB half TLSPOLICY_TEST_MYSQL_URL (skipped without,
# unless CI is set).  Lab changes are undone on exit; the daemons are
# stopped by pid.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

D=sts.example
HT=3
[ -n "${TLSPOLICY_WRAP:-}" ] && HT=10
SETTINGS=("dns_resolvers=$LAB_RESOLVER" "https_ca_file=$LAB_CA_FILE"
	"https_timeout=${HT}s" "lookup_deadline=$((HT + 15))s"
	"sts_refresh_interval=2s" "cache_min_ttl=1s"
	"dns_trust_anchor_file=$LAB_TRUST_ANCHOR")
ADDR_ENFORCE=127.0.2.1
ADDR_WILDCARD=127.0.2.2
ADDR_TESTING=127.0.2.3
ADDR_MODEFIRST=127.0.2.40
ADDR_TXTWSP=127.0.2.41
ORIG_WILDCARD=$(cat "$LAB_DIR/www/mta-sts.wildcard.$D.txt")
printf '%s\n' "$ORIG_WILDCARD" > "$T_DIR/wildcard.orig"

declare -A PID=()
# shellcheck disable=SC2317  # run through T_CLEANUP_EXTRA (eval)
undo() {
	local n
	for n in "${!PID[@]}"; do stop_d "$n"; done
	lab set-sts-policy "wildcard.$D" "$T_DIR/wildcard.orig" >/dev/null 2>&1
	lab set-sts-id "wildcard.$D" wildcard1 >/dev/null 2>&1
}
T_CLEANUP_EXTRA=undo

# start_d NAME PORT DATABASE: a daemon with its own files and socket
start_d() {
	local n=$1 s
	{
		echo "database = $3"
		echo "listen = inet:127.0.0.1:$2"
		echo "user = root"
		echo "pidfile = $T_DIR/$n.pid"
		echo "table_snapshot = $T_DIR/$n.snapshot"
		for s in "${SETTINGS[@]}"; do echo "${s%%=*} = ${s#*=}"; done
	} > "$T_DIR/$n.cf"
	: > "$T_DIR/$n.log"
	# shellcheck disable=SC2086  # TLSPOLICY_WRAP: words (valgrind ...)
	ip netns exec "$LAB_NS" ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T_DIR/$n.cf" serve -f \
		> "$T_DIR/$n.log" 2>&1 &
	PID[$n]=$!
	for _ in $(seq 1 200); do
		grep -q "listening on" "$T_DIR/$n.log" 2>/dev/null && return 0
		kill -0 "${PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	fail "daemon $n did not start: $(tail -5 "$T_DIR/$n.log")"
	return 1
}

stop_d() {
	local n=$1 p=${PID[$1]:-}
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset "PID[$n]"
	if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR/$n.log"; then
		fail "sanitizer report in daemon $n's log: $(grep -E -A5 'AddressSanitizer|LeakSanitizer|runtime error:' "$T_DIR/$n.log" | head -12)"
	fi
}

# qd PORT DOMAIN: the answer of the daemon on PORT through postmap
qd() {
	local out rc
	out=$(in_ns postmap -q "$2" "socketmap:inet:127.0.0.1:$1:tlspolicy" 2>"$T_DIR/pm.$1.err")
	rc=$?
	if [ "$rc" = 0 ]; then echo "OK $out"
	elif [ -s "$T_DIR/pm.$1.err" ]; then echo "ERROR $(tr '\n' ' ' < "$T_DIR/pm.$1.err")"
	else echo "NOTFOUND"; fi
}

expect_d() { # NAME PORT DOMAIN WANT
	local got
	got=$(qd "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1: $3 -> $got"; else fail "$1: $3: got \"$got\", want \"$4\""; fi
}

fetches() { grep -c "^$1 .*mta-sts.txt" "$LAB_NGINX_LOG" 2>/dev/null || true; }

# count_is WHAT ADDR BEFORE WANT: the fetches from ADDR since BEFORE
count_is() {
	local n=$(( $(fetches "$2") - $3 ))
	if [ "$n" = "$4" ]; then ok "$1: $n HTTPS fetch(es)"; else fail "$1: $n HTTPS fetches, want $4"; fi
}

ENF="OK secure match=mx.enforce.$D servername=hostname"
WILD="OK secure match=.wildcard.$D servername=hostname"
MODEFIRST="OK secure match=mx.modefirst.$D servername=hostname"
TXTWSP="OK secure match=mx.txtwsp.$D servername=hostname"

# run_pass LABEL DATABASE SQL-COMMAND NEWID: every case on one database
run_pass() {
	local label=$1 db=$2 sqlcmd=$3 newid=$4 e0 w0 t0 m0 x0 n f wild2 got1 got2 pids
	lab set-sts-policy "wildcard.$D" "$T_DIR/wildcard.orig" >/dev/null &&
	lab zone-set "_mta-sts.wildcard.$D" TXT 1 "\"v=STSv1; id=wildcard1;\"" >/dev/null ||
		{ fail "$label: lab: wildcard TXT"; return; }
	"$TLSPOLICY" --db "$db" db init > "$T_DIR/init.out" || { fail "$label: db init"; return; }
	grep -q "table tlspolicy_sts_lease in" "$T_DIR/init.out" ||
		fail "$label: db init made no lease table: $(cat "$T_DIR/init.out")"
	start_d a 8481 "$db" || return
	start_d b 8482 "$db" || return
	e0=$(fetches $ADDR_ENFORCE) w0=$(fetches $ADDR_WILDCARD) t0=$(fetches $ADDR_TESTING)

	# 1a. one after the other: a fetches, b reads a's row
	expect_d "$label a" 8481 "enforce.$D" "$ENF"
	expect_d "$label b" 8482 "enforce.$D" "$ENF"
	# 1b. both at once: one takes the lease and fetches, the other waits
	pids=()
	qd 8481 "wildcard.$D" > "$T_DIR/wa" & pids+=($!)
	qd 8482 "wildcard.$D" > "$T_DIR/wb" & pids+=($!)
	qd 8481 "testing.$D" > "$T_DIR/ta" & pids+=($!)
	qd 8482 "testing.$D" > "$T_DIR/tb" & pids+=($!)
	wait "${pids[@]}"   # not plain `wait`: the daemons are children too
	for f in wa wb; do
		got1=$(cat "$T_DIR/$f")
		[ "$got1" = "$WILD" ] && ok "$label at once ($f): wildcard.$D -> $got1" ||
			fail "$label at once ($f): wildcard.$D: got \"$got1\", want \"$WILD\""
	done
	for f in ta tb; do
		got1=$(cat "$T_DIR/$f")
		[ "$got1" = NOTFOUND ] && ok "$label at once ($f): testing.$D -> NOTFOUND (mode testing)" ||
			fail "$label at once ($f): testing.$D: got \"$got1\""
	done
	# from the caches now, on both
	expect_d "$label a" 8481 "wildcard.$D" "$WILD"
	expect_d "$label b" 8482 "wildcard.$D" "$WILD"
	expect_d "$label a" 8481 "testing.$D" NOTFOUND
	count_is "$label enforce.$D (asked a, then b)" $ADDR_ENFORCE "$e0" 1
	count_is "$label wildcard.$D (asked both at once)" $ADDR_WILDCARD "$w0" 1
	count_is "$label testing.$D (asked both at once)" $ADDR_TESTING "$t0" 1
	if grep -hq "enforce.$D: policy id enforce1 from the shared cache" "$T_DIR/a.log" "$T_DIR/b.log"; then
		ok "$label: the second daemon took enforce.$D from the shared cache"
	else
		fail "$label: no daemon logged enforce.$D from the shared cache"
	fi

	# 2. refresh: a new policy behind a new id, seen by both, fetched once
	w0=$(fetches $ADDR_WILDCARD)
	printf 'version: STSv1\nmode: enforce\nmx: *.wildcard.%s\nmx: %s.wildcard.%s\nmax_age: 3600\n' \
		$D "$newid" $D | lab set-sts-policy "wildcard.$D" >/dev/null &&
	lab zone-set "_mta-sts.wildcard.$D" TXT 1 "\"v=STSv1; id=$newid;\"" >/dev/null ||
		fail "$label: lab: new wildcard id"
	wild2="OK secure match=.wildcard.$D:$newid.wildcard.$D servername=hostname"
	for _ in $(seq 1 40); do
		got1=$(qd 8481 "wildcard.$D") got2=$(qd 8482 "wildcard.$D")
		[ "$got1" = "$wild2" ] && [ "$got2" = "$wild2" ] && break
		case "$got1$got2" in *TEMP*|*NOTFOUND*|*ERROR*) fail "$label refresh: \"$got1\" / \"$got2\""; break ;; esac
		sleep 0.5
	done
	[ "$got1" = "$wild2" ] && [ "$got2" = "$wild2" ] &&
		ok "$label refresh: both daemons answer id $newid: ${got1:3}" ||
		fail "$label refresh: a \"$got1\", b \"$got2\", want \"$wild2\""
	sleep 3   # another refresh round: nothing more is fetched
	count_is "$label refresh of wildcard.$D (id $newid)" $ADDR_WILDCARD "$w0" 1

	# 3. a dead daemon's lease: waited for until it expires, then ours.
	# The lease runs 4 s (whole seconds: "+1" could end a moment after
	# the INSERT, before a slow daemon under ASan even asks for it).
	m0=$(fetches $ADDR_MODEFIRST)
	$sqlcmd "INSERT INTO tlspolicy_sts_lease (domain, owner, expires)
		VALUES ('modefirst.$D', 'dead-mx:1:0', $(( $(date +%s) + 4 )))" ||
		fail "$label: could not write the dead daemon's lease"
	expect_d "$label a (lease of a dead daemon)" 8481 "modefirst.$D" "$MODEFIRST"
	expect_d "$label b" 8482 "modefirst.$D" "$MODEFIRST"
	count_is "$label modefirst.$D (after the dead lease expired)" $ADDR_MODEFIRST "$m0" 1
	if grep -q "modefirst.$D: dead-mx:1:0 is fetching policy id modefirst1; waiting" "$T_DIR/a.log"; then
		ok "$label: a waited for the dead daemon's lease before fetching"
	else
		fail "$label: a did not wait for the dead daemon's lease"
	fi

	# 4. the shared cache fails: each daemon fetches itself, same answers
	x0=$(fetches $ADDR_TXTWSP)
	$sqlcmd "DROP TABLE tlspolicy_sts_lease" || fail "$label: drop the lease table"
	expect_d "$label a (no lease table)" 8481 "txtwsp.$D" "$TXTWSP"
	expect_d "$label b (no lease table)" 8482 "txtwsp.$D" "$TXTWSP"
	n=$(( $(fetches $ADDR_TXTWSP) - x0 ))
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] && ok "$label without the lease table: $n fetch(es)" ||
		fail "$label without the lease table: $n fetches"
	if grep -q "cannot share MTA-STS policies through the database.*tlspolicy_sts_lease" "$T_DIR/a.log"; then
		ok "$label: the failure is logged: $(grep -o 'cannot share MTA-STS.*' "$T_DIR/a.log" | head -1 | cut -c1-120)"
	else
		fail "$label: the shared-cache failure was not logged"
	fi
	for n in a b; do
		kill -0 "${PID[$n]}" 2>/dev/null || fail "$label: daemon $n died"
		stop_d "$n"
	done
}

# --- one SQLite file --------------------------------------------------------
sq() { sqlite3 "$T_DIR/shared.db" "$1"; }
run_pass sqlite "sqlite:$T_DIR/shared.db" sq wildcard2

# --- one MariaDB database ---------------------------------------------------
if [ -z "${TLSPOLICY_TEST_MYSQL_URL:-}" ]; then
	if [ -n "${CI:-}" ]; then
		fail "TLSPOLICY_TEST_MYSQL_URL is not set (CI)"
	else
		echo "SKIP: two daemons on MariaDB (no TLSPOLICY_TEST_MYSQL_URL)"
	fi
	finish
fi
MYDB=${TLSPOLICY_TEST_MYSQL_SOCKET_URL/\/tlspolicy_test?/\/tlspolicy_test_stsshare?}
my() { mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot "$@"; }
my -e "DROP DATABASE IF EXISTS tlspolicy_test_stsshare; CREATE DATABASE tlspolicy_test_stsshare" ||
	{ fail "create the MariaDB database"; finish; }
mq() { my tlspolicy_test_stsshare -e "$1"; }
run_pass mariadb "$MYDB" mq wildcard3
my -e "DROP DATABASE tlspolicy_test_stsshare"
finish
