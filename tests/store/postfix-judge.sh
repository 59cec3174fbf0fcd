#!/bin/bash
# SPDX-License-Identifier: MIT
# postfix-judge.sh sqlite|mysql - real Postfix as the judge.  For a set of
# rows (every level, match lists, fingerprints, protocols, _default,
# .parent, [host]:port, addresses, an IDN), `postmap -q KEY` on
#   1. the exported file, after `postmap hash:` built it,
#   2. the mysql: or sqlite: table file that `postfix-config --write-maps`
#      wrote (Postfix reading the policy table itself),
# must give exactly what `tlspolicy policy get KEY` gives, and keys
# without a row must be missing in all three.
. "$(dirname "$0")/lib.sh"

backend=${1:?usage: postfix-judge.sh sqlite|mysql}
command -v postmap >/dev/null || skip_or_fail "postfix (postmap) not installed"
CONF=$(postfix_confdir)
postconf -c "$CONF" -m | grep -qx hash || skip_or_fail "postfix has no hash: maps"

case $backend in
sqlite)
    postconf -c "$CONF" -m | grep -qx sqlite || skip_or_fail "postfix-sqlite not installed"
    export DB="sqlite:$TMP/judge.db"
    maptype=sqlite
    ;;
mysql)
    [ -n "${TLSPOLICY_TEST_MYSQL_URL:-}" ] \
        || skip_or_fail "TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)"
    postconf -c "$CONF" -m | grep -qx mysql || skip_or_fail "postfix-mysql not installed"
    mysql_parts "$TLSPOLICY_TEST_MYSQL_URL"
    TDB=tlspolicy_test_judge
    sql "$MY_DB" -e "DROP DATABASE IF EXISTS $TDB; CREATE DATABASE $TDB" \
        || skip_or_fail "cannot create database $TDB"
    export DB="mysql://$MY_USER:$MY_PASS@$MY_HOST:$MY_PORT/$TDB"
    maptype=mysql
    ;;
*)
    echo "usage: postfix-judge.sh sqlite|mysql" >&2
    exit 2
    ;;
esac
t() { tp --db "$DB" "$@"; }

expect "db init" 0 "*" "" -- t db init
FP1=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1
FP2=EC:3B:2D:B0:5B:0B:05:DC:2E:B7:CE:22:83:E6:2A:84:5E:0A:D8:B4:1A:D5:37:37:CC:60:E8:9A:F4:7E:25:7A
while read -r key policy; do
    # shellcheck disable=SC2086
    expect "set $key" 0 "*" "" -- t policy set "$key" $policy
done <<EOF
_default dane
example.com secure match=nexthop:dot-nexthop servername=hostname
.example.com verify match=hostname:.example.com tafile=/etc/ssl/certs/ca-certificates.crt
example.org fingerprint match=$FP1|$FP2
.example.org fingerprint match=$FP1 match=$FP2
[mx.example.net]:25 encrypt protocols=>=TLSv1.2 ciphers=high exclude=aNULL:MD5
[mx.example.net] may protocols=!SSLv2:!SSLv3
[192.0.2.1] none
[2001:db8::1]:587 encrypt protocols=TLSv1.2:TLSv1.3
dane.example dane-only
dane2.example dane
xn--bcher-kva.example secure match=nexthop connection_reuse=yes
sub.example.com may
EOF

# 1. the exported file, built by postmap
t policy export >"$TMP/tls_policy" && ok "export" || notok "export"
if postmap -c "$CONF" "hash:$TMP/tls_policy" 2>"$TMP/err" && [ ! -s "$TMP/err" ]; then
    ok "postmap accepts the export"
else
    notok "postmap accepts the export: $(cat "$TMP/err")"
fi

# 2. the table file postfix-config writes
mkdir "$TMP/maps"
out=$(t postfix-config --role mx --write-maps "$TMP/maps" 2>"$TMP/err") && ok "postfix-config --write-maps" \
    || notok "postfix-config --write-maps: $(cat "$TMP/err")"
mapfile_=$TMP/maps/tlspolicy-$maptype.cf
grep -qx "#smtp_tls_policy_maps = $maptype:$mapfile_" <<<"$out" \
    && ok "prints the $maptype: line" || notok "prints the $maptype: line: $out"
same "table file mode" "$(stat -c '%a %G' "$mapfile_")" "640 postfix"
out=$(t postfix-config --role mx --write-maps "$TMP/maps" --direct 2>/dev/null)
grep -qx "smtp_tls_policy_maps = $maptype:$mapfile_" <<<"$out" \
    && ok "--direct makes it the active line" || notok "--direct: $out"

# The judge: every key, and keys without a row, in all three.
for key in _default example.com .example.com example.org .example.org \
    '[mx.example.net]:25' '[mx.example.net]' '[192.0.2.1]' '[2001:db8::1]:587' \
    dane.example dane2.example xn--bcher-kva.example sub.example.com \
    EXAMPLE.COM nope.example .nope.example '[mx.example.net]:587' '[192.0.2.2]'; do
    want=$(t policy get "$key" 2>/dev/null) && wrc=0 || wrc=$?
    lkey=${key,,}
    got1=$(postmap -c "$CONF" -q "$lkey" "hash:$TMP/tls_policy" 2>"$TMP/err1") && rc1=0 || rc1=$?
    got2=$(postmap -c "$CONF" -q "$lkey" "$maptype:$mapfile_" 2>"$TMP/err2") && rc2=0 || rc2=$?
    if [ -s "$TMP/err1" ] || [ -s "$TMP/err2" ]; then
        notok "$key: postmap errors: $(cat "$TMP/err1" "$TMP/err2")"
        continue
    fi
    same "$key: postmap -q on the export (rc $rc1) = policy get (rc $wrc)" "$rc1 $got1" "$wrc $want"
    same "$key: postmap -q on $maptype: (rc $rc2) = policy get (rc $wrc)" "$rc2 $got2" "$wrc $want"
done
# the judge must see what was set: a known answer for one key
same "example.com as Postfix sees it" \
    "$(postmap -c "$CONF" -q example.com "$maptype:$mapfile_")" \
    "secure match=nexthop:dot-nexthop servername=hostname"

# a row changed in the table is seen by Postfix's table at once
t policy set dane2.example encrypt >/dev/null
same "change visible to $maptype:" "$(postmap -c "$CONF" -q dane2.example "$maptype:$mapfile_")" \
    "$(t policy get dane2.example)"

[ "$backend" = mysql ] && sql "$MY_DB" -e "DROP DATABASE $TDB"
finish
