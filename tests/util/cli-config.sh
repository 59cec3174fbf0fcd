#!/bin/bash
# SPDX-License-Identifier: MIT
# cli-config.sh - tlspolicy.cf as the admin meets it (issue 17 item 11):
# every value is checked when any command reads the file, and the error
# names FILE:LINE (config, serve, query, check, logscan, policy,
# postfix-config, probe, sts, db, provider); `config -d` prints the
# built-in defaults, `config NAME` the bare value, `config -n` what the
# file sets (postconf's habits).
. "$SRCDIR/tests/store/lib.sh"

T=$(mktemp -d /tmp/tlspolicy-cliconfig.XXXXXX)
trap 'rm -rf "$T"' EXIT
TMP=$T

# ---- bad values: FILE:LINE, exit 1, for every command --------------------
printf '# test\nsts_testing = may\n\ndane_answer = daneonly\n' >"$T/bad.cf"
want="tlspolicy: $T/bad.cf:4: dane_answer: invalid value \"daneonly\" (use dane-only, dane or notfound)"
for c in "config" "config -d" "config dane_answer" "serve -f" "query example.com" \
         "check example.com" "logscan /dev/null" "policy list" "postfix-config --role mx" \
         "probe 127.0.0.1" "sts show" "db check" "provider list"; do
    # shellcheck disable=SC2086
    expect_err "$c refuses the bad file with FILE:LINE" 1 "$want" -- tp -c "$T/bad.cf" $c
done

# the values of the issue, and one of each checked type
check_bad() { # NAME LINE-IN-FILE WANT-MESSAGE
    printf '# line 1\n%s\n' "$2" >"$T/one.cf"
    expect_err "$1" 1 "tlspolicy: $T/one.cf:2: $3" -- tp -c "$T/one.cf" config
}
check_bad "sts_testing enum" "sts_testing = mayy" \
    'sts_testing: invalid value "mayy" (use ignore or may)'
check_bad "listen without port" "listen = inet:127.0.0.1" \
    'listen: "inet:127.0.0.1": no port (expected inet:HOST:PORT, e.g. inet:127.0.0.1:8461)'
check_bad "listen: relative unix path" "listen = unix:private/tlspolicy" \
    'listen: "unix:private/tlspolicy": unix: needs an absolute path (unix:/PATH)'
check_bad "listen: bad port" "listen = inet:127.0.0.1:84610" \
    'listen: "inet:127.0.0.1:84610": invalid port "84610" (1 to 65535)'
check_bad "syslog_facility enum" "syslog_facility = mial" \
    'syslog_facility: invalid value "mial" (use mail, daemon, user, local0, local1, local2, local3, local4, local5, local6 or local7)'
check_bad "time range" "dns_timeout = 0" 'dns_timeout: 0 is out of range (1s to 300s)'
check_bad "number range" "check_concurrency = 0" 'check_concurrency: 0 is out of range (1 to 1024)'
check_bad "octal mode" "unix_socket_mode = rw" 'unix_socket_mode: "rw" is not an octal mode (e.g. 0660)'
check_bad "map name" "map_names = a:b" "map_names: invalid map name \"a:b\" (letters, digits, '_', '.', '-')"
check_bad "resolver" "dns_resolvers = 192.0.2.1:53" 'dns_resolvers: "192.0.2.1:53" is not IP or IP@PORT'
check_bad "database URL (password not shown)" "database = mysq://u:secret@h/db" \
    'database: expected sqlite:/PATH or mysql://USER[:PASSWORD]@HOST[:PORT]/DB'
check_bad "path" "provider_file = providers.conf" 'provider_file: "providers.conf" is not an absolute path'
check_bad "min above max" "cache_min_ttl = 2d" 'cache_min_ttl (172800s) is greater than cache_max_ttl (86400s)'
# a continued line is reported at its first line
printf 'listen = inet:127.0.0.1:8461\n  unix:x\n' >"$T/cont.cf"
expect_err "continued listen: the setting's line" 1 \
    "tlspolicy: $T/cont.cf:1: listen: \"unix:x\": unix: needs an absolute path (unix:/PATH)" \
    -- tp -c "$T/cont.cf" config

# ---- postconf's habits ---------------------------------------------------
printf 'dane_answer = dane\nlisten = inet:[::1]:8461 unix:/run/tlspolicy/s\n' >"$T/good.cf"
expect "config NAME: the bare value" 0 "dane" "" -- tp -c "$T/good.cf" config dane_answer
expect "config NAME NAME: one a line" 0 "dane
inet:[::1]:8461 unix:/run/tlspolicy/s" "" -- tp -c "$T/good.cf" config dane_answer listen
expect "config -d NAME: the default" 0 "dane-only" "" -- tp -c "$T/good.cf" config -d dane_answer
expect "config -n: what the file sets" 0 "listen = inet:[::1]:8461 unix:/run/tlspolicy/s
dane_answer = dane" "" -- tp -c "$T/good.cf" config -n
expect "config: the effective value" 0 "*" "" -- tp -c "$T/good.cf" config
tp -c "$T/good.cf" config | grep -qx 'dane_answer = dane' && ok "config shows dane_answer = dane" ||
    notok "config: $(tp -c "$T/good.cf" config | grep dane_answer)"
tp -c "$T/good.cf" config -d | grep -qx 'dane_answer = dane-only' && ok "config -d shows the default" ||
    notok "config -d: $(tp -c "$T/good.cf" config -d | grep dane_answer)"
same "config -d = config with no file" "$(tp -c "$T/good.cf" config -d)" "$(tp -c /dev/null config)"
expect "config unknown NAME" 1 "" 'tlspolicy config: unknown setting "nosuch"' -- tp -c "$T/good.cf" config nosuch
expect "config -n -d" 2 "" "-n and -d exclude each other" -- tp -c "$T/good.cf" config -n -d
# the valid forms of every checked type load
cat >"$T/all.cf" <<'EOF'
listen = inet::8461, inet:[::]:8461 inet:localhost:8462 unix:/var/spool/postfix/private/tlspolicy
unix_socket_mode = 0666
unix_socket_owner = :postfix
map_names = tlspolicy tls.policy
dns_resolvers = 192.0.2.1@5353 2001:db8::53
database = mysql://tlspolicy:secret@db.example/tlspolicy?socket=/run/mysqld/mysqld.sock
lookup_deadline = 0
syslog_facility = local3
https_ca_file =
EOF
expect "valid values of every type load" 0 "*" "" -- tp -c "$T/all.cf" config -n
same "config -n lists them" "$(tp -c "$T/all.cf" config -n | wc -l)" "9"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
