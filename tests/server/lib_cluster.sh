# SPDX-License-Identifier: MIT
# lib_cluster.sh - several MariaDB servers and several daemons for the
# replication and Galera tests (sourced after lib.sh).
#
# Servers: tests/lib/mariadb-start, one directory and port each
# (my_start NAME PORT [mariadbd options...]; as the user MY_RUN_USER,
# default root), every server with the
# same test user and password ($MYPASS); my_stop NAME stops one (by its
# pid file), all are stopped at exit.  my_sql NAME [mariadb options]:
# SQL as root on its socket.
# Daemons: d_start N (config $T/dN/tlspolicy.cf written by d_config N),
# d_stop N, d_pm N KEY (postmap -q against daemon N), d_wait N KEY WANT
# (up to 20 s for that answer: the daemons reload every second; no
# timing is asserted, the bound only ends a test that failed).

LIB=${SRCDIR:-$(dirname "$0")/../..}/tests/lib
command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
command -v mariadb >/dev/null || skip_or_fail "mariadb client not installed"
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    skip_or_fail "mariadbd (Debian mariadb-server) not installed"
MYPASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
MYSERVERS=""
declare -A DPID=()
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"

my_start() {
    local name=$1 port=$2
    shift 2
    MYSQL_TEST_DIR=$T/$name MYSQL_TEST_PORT=$port MYSQL_TEST_PASSWORD=$MYPASS \
        MYSQL_TEST_USER=${MY_RUN_USER:-root} \
        MYSQL_TEST_ARGS="$*" "$LIB/mariadb-start" > "$T/$name.start.log" 2>&1 || {
        cat "$T/$name.start.log" >&2
        return 1
    }
    case " $MYSERVERS " in *" $name "*) ;; *) MYSERVERS="$MYSERVERS $name" ;; esac
    eval "MYPORT_$name=$port"
}
my_stop() { MYSQL_TEST_DIR=$T/$1 "$LIB/mariadb-stop" > /dev/null 2>&1; }
my_sql() {
    local name=$1
    shift
    mariadb --no-defaults -S "$T/$name/mysqld.sock" -uroot -N -B "$@"
}
# my_url NAME: the test user's URL of server NAME (TCP)
my_url() { eval "echo mysql://tlspolicy:$MYPASS@127.0.0.1:\$MYPORT_$1/tlspolicy_test"; }

# d_config N PORT: daemon N's configuration; more lines on stdin
d_config() {
    local n=$1 port=$2
    mkdir -p "$T/d$n"
    {
        echo "user = root"
        echo "listen = inet:127.0.0.1:$port"
        echo "pidfile = $T/d$n/tlspolicy.pid"
        echo "discovery = no"
        echo "reload_interval = 1s"
        echo "table_snapshot = $T/d$n/table.snapshot"
        echo "tlsrpt_journal_flush = 1s"
        cat
    } > "$T/d$n/tlspolicy.cf"
    eval "DPORT_$n=$port"
}
d_start() {
    local n=$1
    : > "$T/d$n/daemon.log"
    "$TLSPOLICY" -c "$T/d$n/tlspolicy.cf" serve -f > "$T/d$n/daemon.log" 2>&1 &
    DPID[$n]=$!
    for _ in $(seq 1 100); do
        grep -q " ready: " "$T/d$n/daemon.log" && return 0
        kill -0 "${DPID[$n]}" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/d$n/daemon.log" >&2
    fail "daemon $n did not start"
    return 1
}
d_stop() {
    local n=$1 st=0
    [ -n "${DPID[$n]:-}" ] || return 0
    kill -TERM "${DPID[$n]}" 2>/dev/null || true
    wait "${DPID[$n]}" 2>/dev/null || st=$?
    unset "DPID[$n]"
    [ "$st" = 0 ] || fail "daemon $n exit status $st after SIGTERM"
    if grep -Eq "Sanitizer|runtime error:" "$T/d$n/daemon.log"; then
        fail "sanitizer report in daemon $n's log"
    fi
}
d_alive() { kill -0 "${DPID[$1]}" 2>/dev/null; }
d_pm() { eval "postmap -c \"\$T/postfix\" -q \"\$2\" socketmap:inet:127.0.0.1:\$DPORT_$1:tlspolicy"; }
# d_wait N KEY WANT: sets $got
d_wait() {
    got=""
    for _ in $(seq 1 200); do
        got=$(d_pm "$1" "$2" 2>/dev/null) || got="(NOTFOUND)"
        [ "$got" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}
# both_see WHAT KEY WANT: every running daemon answers WANT for KEY
both_see() {
    local n
    for n in "${!DPID[@]}"; do
        d_wait "$n" "$2" "$3" && ok "$1: daemon $n answers $2 -> $3" ||
            fail "$1: daemon $n answers $2 -> [$got], want [$3]"
    done
}

cluster_cleanup() {
    local n s
    for n in "${!DPID[@]}"; do d_stop "$n"; done
    for s in $MYSERVERS; do my_stop "$s"; done
    if [ "$FAILS" != 0 ]; then
        for n in $T/d*/daemon.log; do echo "--- $n" >&2; tail -30 "$n" >&2; done
    fi
    cleanup
}
trap cluster_cleanup EXIT

cluster_finish() {
    local n
    for n in "${!DPID[@]}"; do d_stop "$n"; done
    finish
}
