#!/bin/bash
# SPDX-License-Identifier: MIT
# postfix-config.sh - postfix-config --role mx|mta against a real Postfix
# configuration (MAIL_CONFIG: a scratch main.cf and master.cf read by
# Postfix's own postconf), issue 17 item 12:
#  - the role is asked for when it decides the level (no _default row,
#    or a dane-only _default row), and explained in --help;
#  - an mx never gets dane-only; an mta gets dane-only (design document);
#  - smtp_tls_CAfile (verify/secure answers) and smtp_tls_loglevel = 1
#    (logscan) are printed while Postfix lacks them, and shown as set once
#    the printed lines are applied with postconf -e; postfix reload last;
#  - a unix: listener outside queue_directory with a chrooted smtp(8)
#    is warned about; one below it is printed relative to queue_directory,
#    and that exact map line answers through Postfix's postmap -q from
#    the queue directory (a real daemon on the socket);
#  - a bad listen value never reaches a map line (FILE:LINE, exit 1).
. "$(dirname "$0")/lib.sh"

for tool in postconf postmap sqlite3; do
    command -v "$tool" >/dev/null || skip_or_fail "$tool not installed"
done
[ -r /etc/postfix/master.cf ] || skip_or_fail "no /etc/postfix/master.cf (postfix package)"
[ "$(id -u)" = 0 ] || skip_or_fail "needs root (serve binds a socket for Postfix's postmap)"

TMP=$(mktemp -d /tmp/tlspolicy-pfconf.XXXXXX)
SERVE_PID=""
cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
DB="sqlite:$TMP/t.db"
t() { tp --db "$DB" "$@"; }
PF=$TMP/postfix
Q=$TMP/queue
mkdir -p "$PF" "$Q/private"
printf 'queue_directory = %s\nsmtp_tls_loglevel = 0\ncompatibility_level = 3.6\n' "$Q" >"$PF/main.cf"
# Debian's master.cf: smtp(8) chrooted ("y" in the chroot column)
cp /etc/postfix/master.cf "$PF/master.cf"
postconf -c "$PF" -M smtp/unix | awk '{ print $5 }' | grep -qx y ||
    postconf -c "$PF" -F 'smtp/unix/chroot = y'
export MAIL_CONFIG=$PF
t db init >/dev/null

# ---- help and asking for the role ---------------------------------------
help=$(tp postfix-config --help)
for w in "--role mx     a server that delivers to the internet" \
         "--role mta    a server that relays only to your own MX servers" \
         "never dane-only" "smtp_tls_loglevel = 1" "smtp_tls_CAfile"; do
    grep -qF -- "$w" <<<"$help" && ok "--help explains: $w" || notok "--help lacks: $w"
done
expect "no role, no _default row: asks" 2 "" \
    "tlspolicy postfix-config: say which role this Postfix server has, it decides smtp_tls_security_level:
  --role mx   it delivers to the internet (MX lookups for any domain): dane (there is no _default row)
  --role mta  it relays only to your own MX servers, which publish DANE: dane-only" \
    -- t postfix-config
t policy set _default dane-only >/dev/null
expect "no role, _default dane-only: asks" 2 "" "dane (not the _default row's dane-only)" -- t postfix-config

# ---- levels by role -------------------------------------------------------
out=$(t postfix-config --role mx 2>"$TMP/err") || notok "role mx: exit $?"
grep -qx "smtp_tls_security_level = dane" <<<"$out" && ok "mx with _default dane-only: dane" ||
    notok "mx: $(grep security_level <<<"$out")"
grep -q "warning: the _default row is dane-only" "$TMP/err" && ok "mx: warns about the dane-only _default row" ||
    notok "mx: no warning [$(cat "$TMP/err")]"
out=$(t postfix-config --role mta)
grep -qx "smtp_tls_security_level = dane-only" <<<"$out" && ok "mta: dane-only" ||
    notok "mta: $(grep security_level <<<"$out")"
t policy delete _default >/dev/null
same "no _default row, mx" "$(t postfix-config --role mx | grep '^smtp_tls_security_level')" \
    "smtp_tls_security_level = dane"
same "no _default row, mta" "$(t postfix-config --role mta | grep '^smtp_tls_security_level')" \
    "smtp_tls_security_level = dane-only"
t policy set _default may >/dev/null
expect "_default may, no role: asks" 2 "" "(MX lookups for any domain): the _default row's level" \
    -- t postfix-config
same "_default may, mx: may" "$(t postfix-config --role mx | grep '^smtp_tls_security_level')" \
    "smtp_tls_security_level = may"
# at level may Postfix ignores a dane answer behind an unsigned MX RRset
# unless smtp_tls_dane_insecure_mx_policy = dane (its default follows the level)
out=$(t postfix-config --role mx)
grep -qx "smtp_tls_dane_insecure_mx_policy = dane" <<<"$out" &&
    ok "level may: smtp_tls_dane_insecure_mx_policy = dane printed" ||
    notok "level may: no insecure MX line [$out]"
postconf -c "$PF" -e smtp_tls_dane_insecure_mx_policy=dane
out=$(t postfix-config --role mx)
grep -q "^# smtp_tls_dane_insecure_mx_policy = dane: set already" <<<"$out" &&
    ! grep -qx "smtp_tls_dane_insecure_mx_policy = dane" <<<"$out" &&
    ok "insecure MX policy set in main.cf: shown as set" || notok "insecure MX set: [$out]"
postconf -c "$PF" -X smtp_tls_dane_insecure_mx_policy
same "level dane: no insecure MX line (Postfix's default is dane then)" \
    "$(t postfix-config --role mta | grep -c 'insecure_mx')" "0"
# an mta relays to the own DANE MX servers: dane-only whatever the shared
# table's _default says, and how to make the daemon answer that too
out=$(t postfix-config --role mta)
grep -qx "smtp_tls_security_level = dane-only" <<<"$out" && ok "_default may, mta: dane-only" ||
    notok "_default may, mta: $(grep security_level <<<"$out")"
grep -qF "#   tlspolicy policy set '[mx.example.com]' dane-only   (your relayhost)" <<<"$out" &&
    ok "mta: says to add a row for the relayhost" || notok "mta: no relayhost hint [$out]"
t policy delete _default >/dev/null

# ---- the other lines, applied to Postfix's main.cf with postconf -e --------
out=$(t postfix-config --role mx)
grep -qx "smtp_tls_loglevel = 1" <<<"$out" && ok "loglevel 0 in main.cf: smtp_tls_loglevel = 1 printed" ||
    notok "no smtp_tls_loglevel line [$out]"
grep -q "^smtp_tls_CAfile = \|^#smtp_tls_CAfile = " <<<"$out" && ok "no CA in main.cf: smtp_tls_CAfile printed" ||
    notok "no smtp_tls_CAfile line [$out]"
same "last line: postfix reload" "$(tail -1 <<<"$out")" "# then: postfix reload"
printf 'discovery = no\n' >"$TMP/nodisc.cf"
t -c "$TMP/nodisc.cf" postfix-config --role mx | grep -q "smtp_tls_CAfile" &&
    notok "discovery = no, no verify/secure rows: CAfile printed" ||
    ok "discovery = no, no verify/secure rows: no CAfile line"
t policy set ex.example secure match=mx.ex.example >/dev/null
t -c "$TMP/nodisc.cf" postfix-config --role mx | grep -q "(1 verify/secure table row)" &&
    ok "a secure row: CAfile line names it" || notok "secure row: $(t -c "$TMP/nodisc.cf" postfix-config --role mx)"
t policy delete ex.example >/dev/null
# apply every active line, as the header says
grep -v '^#' <<<"$out" | while IFS= read -r line; do postconf -c "$PF" -e "$line"; done
same "postconf -e applied the level" "$(postconf -c "$PF" -h smtp_tls_security_level)" "dane"
same "postconf -e applied the map" "$(postconf -c "$PF" -h smtp_tls_policy_maps)" \
    "socketmap:inet:127.0.0.1:8461:tlspolicy"
out=$(t postfix-config --role mx)
grep -qx "smtp_tls_loglevel = 1" <<<"$out" && notok "loglevel printed again though set" ||
    ok "loglevel set: not printed again"
grep -q "^# smtp_tls_loglevel = 1: set already" <<<"$out" && ok "loglevel: set already" || notok "[$out]"
if grep -q "^smtp_tls_CAfile" <<<"$out"; then notok "CAfile printed again though set"; else
    grep -q "^# CA certificates .*: set already" <<<"$out" && ok "CAfile: set already" || notok "[$out]"
fi

# ---- unix: listeners and the chroot --------------------------------------
printf 'listen = unix:%s/run/tlspolicy.sock\n' "$TMP" >"$TMP/out.cf"
out=$(t -c "$TMP/out.cf" postfix-config --role mx 2>"$TMP/err") || notok "outside: exit $?"
grep -q "warning: the unix: listener $TMP/run/tlspolicy.sock is outside Postfix's queue_directory $Q" "$TMP/err" &&
    ok "unix: listener outside the chroot: warning" || notok "no chroot warning [$(cat "$TMP/err")]"
grep -q "^# WARNING: $TMP/run/tlspolicy.sock is outside queue_directory" <<<"$out" &&
    ok "and a WARNING comment" || notok "no WARNING comment [$out]"
postconf -c "$PF" -F 'smtp/unix/chroot = n' 'relay/unix/chroot = n'
t -c "$TMP/out.cf" postfix-config --role mx 2>"$TMP/err" >/dev/null
[ -s "$TMP/err" ] && notok "no chroot, still warned: $(cat "$TMP/err")" || ok "smtp(8) not chrooted: no warning"
postconf -c "$PF" -F 'smtp/unix/chroot = y'

cat >"$TMP/in.cf" <<EOF
listen = unix:$Q/private/tlspolicy
user = root
table_snapshot = $TMP/table.snapshot
unix_socket_mode = 0666
discovery = no
EOF
out=$(t -c "$TMP/in.cf" postfix-config --role mx 2>"$TMP/err")
[ -s "$TMP/err" ] && notok "below queue_directory, warned: $(cat "$TMP/err")" || ok "below queue_directory: no warning"
map=$(sed -n 's/^smtp_tls_policy_maps = //p' <<<"$out")
same "below queue_directory: relative map" "$map" "socketmap:unix:private/tlspolicy:tlspolicy"
t policy set pf.example encrypt >/dev/null
# (not through tp: a function would run in a subshell, and the kill in
# cleanup would miss the daemon)
${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$TMP/in.cf" --db "$DB" serve -f >"$TMP/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 50); do [ -S "$Q/private/tlspolicy" ] && break; sleep 0.1; done
got=$(cd "$Q" && postmap -q pf.example "$map" 2>&1) && rc=0 || rc=$?
same "postmap -q through the printed map line (from queue_directory)" "$rc:$got" "0:encrypt"

# ---- a bad listen never becomes a map line -------------------------------
printf '\nlisten = inet:127.0.0.1\n' >"$TMP/bad.cf"
expect_err "bad listen: FILE:LINE, no map line" 1 \
    "tlspolicy: $TMP/bad.cf:2: listen: \"inet:127.0.0.1\": no port (expected inet:HOST:PORT, e.g. inet:127.0.0.1:8461)" \
    -- t -c "$TMP/bad.cf" postfix-config --role mx

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
