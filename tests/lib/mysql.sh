# SPDX-License-Identifier: MIT
# mysql.sh - MariaDB helpers of the shell tests (sourced by
# tests/store/lib.sh and tests/server/lib.sh).

# mysql_parts URL: sets MY_USER MY_PASS MY_HOST MY_PORT MY_DB from a
# mysql://user:pass@host:port/db URL (no percent-escapes expected).
mysql_parts() {
    local rest=${1#mysql://}
    local auth=${rest%%@*} hp=${rest#*@}
    MY_USER=${auth%%:*}
    MY_PASS=${auth#*:}
    local hostport=${hp%%/*}
    MY_DB=${hp#*/}
    MY_DB=${MY_DB%%\?*}
    MY_HOST=${hostport%%:*}
    MY_PORT=${hostport#*:}
    [ "$MY_PORT" = "$hostport" ] && MY_PORT=3306
    return 0
}

# sql DB: runs SQL from stdin (or -e ...) as the test user over TCP.
sql() {
    local db=$1
    shift
    mariadb --no-defaults --protocol=TCP -h "$MY_HOST" -P "$MY_PORT" \
        -u "$MY_USER" -p"$MY_PASS" -N -B "$db" "$@"
}
