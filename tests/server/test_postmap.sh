#!/bin/bash
# SPDX-License-Identifier: MIT
# test_postmap.sh - Postfix's own socketmap client (postmap -q) against
# the daemon on inet: and unix: listeners at once: table policies, parent
# domain entries, _default, NOTFOUND (postmap exit 1), map names, and
# `tlspolicy query` (in-process and --server) printing the same replies.
. "$(dirname "$0")/lib.sh"

command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
PORT=$(free_port)
SOCK=$T/s.sock
mkdir -p "$T/postfix"
# postmap needs a config directory; a minimal main.cf keeps it quiet.
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
pm() { postmap -c "$T/postfix" -q "$1" "$2"; }

db_init
seed example.com secure match=.example.com:example.com
seed .example.org encrypt
seed '[mx.example.net]:25' verify
seed mail.example.net dane-only
write_config <<EOF2
listen = inet:127.0.0.1:$PORT unix:$SOCK
map_names = tlspolicy other
EOF2
start_daemon

for map in "socketmap:inet:127.0.0.1:$PORT:tlspolicy" "socketmap:unix:$SOCK:other"; do
    expect_eq "$map exact" "$(pm example.com "$map")" "secure match=.example.com:example.com"
    expect_eq "$map parent" "$(pm sub.example.org "$map")" "encrypt"
    expect_eq "$map grandparent" "$(pm a.b.example.org "$map")" "encrypt"
    expect_eq "$map [host]:port" "$(pm '[mx.example.net]:25' "$map")" "verify"
    expect_eq "$map case" "$(pm MAIL.Example.NET "$map")" "dane-only"
    out=$(pm nothing.example "$map") && rc=0 || rc=$?
    expect_eq "$map NOTFOUND exit" "$rc" 1
    expect_eq "$map NOTFOUND output" "$out" ""
    out=$(pm example.org "$map") && rc=0 || rc=$?
    expect_eq "$map .example.org does not match example.org" "$rc" 1
done

# An unknown map name is a configuration error: postmap reports it.
out=$(pm example.com "socketmap:inet:127.0.0.1:$PORT:nosuchmap" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && ok "unknown map: postmap fails ($rc)" || fail "unknown map: postmap exit 0"
echo "$out" | grep -q "permanent error: unknown map nosuchmap" &&
    ok "unknown map: PERM reason reaches postmap" || fail "unknown map: [$out]"

# _default: added while running, picked up by SIGHUP
seed _default may
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do
    out=$(pm nothing.example "socketmap:inet:127.0.0.1:$PORT:tlspolicy") && break
    sleep 0.1
done
expect_eq "_default after SIGHUP" "$out" "may"
expect_eq "_default for [host]" "$(pm '[other.example]:25' "socketmap:unix:$SOCK:tlspolicy")" "may"

# tlspolicy query: same replies in-process and through the daemon
want=$(printf 'OK secure match=.example.com:example.com\nOK encrypt\nOK may')
got=$("$TLSPOLICY" -c "$T/tlspolicy.cf" query example.com x.example.org nothing.example)
expect_eq "query in-process" "$got" "$want"
got=$("$TLSPOLICY" query --server "inet:127.0.0.1:$PORT" example.com x.example.org nothing.example)
expect_eq "query --server inet" "$got" "$want"
got=$("$TLSPOLICY" query --server "unix:$SOCK" --name other example.com)
expect_eq "query --server unix --name" "$got" "OK secure match=.example.com:example.com"
"$TLSPOLICY" --db "$DB" policy delete _default >/dev/null
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do
    got=$("$TLSPOLICY" query --server "inet:127.0.0.1:$PORT" nothing.example) && rc=0 || rc=$?
    [ "$rc" = 1 ] && break
    sleep 0.1
done
expect_eq "query NOTFOUND output (with its space)" "$got" "NOTFOUND "
expect_eq "query NOTFOUND exit" "$rc" 1
got=$("$TLSPOLICY" query --server "inet:127.0.0.1:$PORT" --name nosuchmap example.com) && rc=0 || rc=$?
expect_eq "query PERM output" "$got" "PERM unknown map nosuchmap"
expect_eq "query PERM exit" "$rc" 1
got=$("$TLSPOLICY" -c "$T/tlspolicy.cf" query nothing.example) && rc=0 || rc=$?
expect_eq "query in-process NOTFOUND" "$got|$rc" "NOTFOUND |1"

grep -q "unknown map nosuchmap" "$T/daemon.log" && ok "refusal logged" || fail "refusal not logged"
finish
