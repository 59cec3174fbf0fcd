# SPDX-License-Identifier: MIT
# lib.sh - helpers for the store integration tests (sourced by bash).
#
# TLSPOLICY is the binary under test; TLSPOLICY_WRAP (optional) runs it
# under a tool, e.g. TLSPOLICY_WRAP="valgrind -q --error-exitcode=99
# --leak-check=full".  Every check prints "ok - ..." or "not ok - ...";
# the script fails when any check failed.

set -u
: "${TLSPOLICY:?TLSPOLICY must name the tlspolicy binary}"
fails=0
checks=0

tp() { ${TLSPOLICY_WRAP:-} "$TLSPOLICY" "$@"; }

ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }

# skip_or_fail REASON: exit 77 locally, fail under CI.
skip_or_fail() {
    if [ -n "${CI:-}" ]; then
        echo "FAIL (CI is set): $*"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

# expect NAME WANT_RC WANT_STDOUT [WANT_STDERR_SUBSTRING] -- CMD...
# Runs CMD; checks exit code, exact stdout (unless WANT_STDOUT is "*"),
# and that stderr contains the substring (if given, else must be empty
# unless WANT_STDOUT is "*").
expect() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 5
    local out err rc
    out=$("$@" 2>"$TMP/stderr") && rc=0 || rc=$?
    err=$(cat "$TMP/stderr")
    if [ "$rc" != "$want_rc" ]; then
        notok "$name: exit $rc, want $want_rc (stderr: $err)"
        return
    fi
    if [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then
        notok "$name: stdout differs"
        diff <(printf '%s\n' "$want_out") <(printf '%s\n' "$out") | sed 's/^/#   /'
        return
    fi
    if [ -n "$want_err" ]; then
        case $err in
            *"$want_err"*) ;;
            *) notok "$name: stderr \"$err\" lacks \"$want_err\""; return ;;
        esac
        if [ "$(printf '%s\n' "$err" | grep -vc '^==' )" -gt 1 ] && [ "$want_rc" = 1 ]; then
            notok "$name: error is not one line: $err"
            return
        fi
    elif [ "$want_out" != "*" ] && [ -n "$(printf '%s' "$err" | grep -v '^==')" ]; then
        notok "$name: unexpected stderr: $err"
        return
    fi
    ok "$name"
}

# expect_err NAME RC STDERR -- CMD...: exit RC, nothing on stdout and
# exactly STDERR (every line) on stderr.
expect_err() {
    local name=$1 want_rc=$2 want_err=$3
    shift 4
    local out err rc
    out=$("$@" 2>"$TMP/stderr") && rc=0 || rc=$?
    err=$(grep -v '^==' "$TMP/stderr")
    if [ "$rc" != "$want_rc" ]; then
        notok "$name: exit $rc, want $want_rc (stderr: $err)"
    elif [ -n "$out" ]; then
        notok "$name: output on stdout: $out"
    elif [ "$err" != "$want_err" ]; then
        notok "$name: stderr differs"
        diff <(printf '%s\n' "$want_err") <(printf '%s\n' "$err") | sed 's/^/#   /'
    else
        ok "$name"
    fi
}

# same NAME A B: A and B must be equal.
same() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        notok "$1"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /'
    fi
}

finish() {
    echo "# $checks checks, $fails failed"
    [ "$fails" = 0 ]
}

TMP=$(mktemp -d /tmp/tp-store-it.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# A minimal Postfix config directory, so postmap needs no /etc/postfix/main.cf.
postfix_confdir() {
    mkdir -p "$TMP/postfix"
    printf 'compatibility_level = 3.6\n' >"$TMP/postfix/main.cf"
    echo "$TMP/postfix"
}

# mysql_parts, sql
. "$(dirname "${BASH_SOURCE[0]}")/../lib/mysql.sh"
