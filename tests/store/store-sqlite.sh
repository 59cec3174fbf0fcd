#!/bin/bash
# SPDX-License-Identifier: MIT
# store-sqlite.sh - the policy CLI on the embedded SQLite table: db init,
# set/get/delete/list/import/export, exit codes, one-line errors, bad
# input leaving the table unchanged, rows written by another tool that
# no longer validate, and postfix-config without maps.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_or_fail "sqlite3 CLI not installed"

DBFILE=$TMP/var/sub/p.db
export DB="sqlite:$DBFILE"
t() { tp --db "$DB" "$@"; }

# ---- help and usage --------------------------------------------------
expect "tlspolicy --help lists the commands" 0 "*" "" -- tp --help
tp --help | grep -q '^  policy ' && tp --help | grep -q '^  db ' \
    && tp --help | grep -q '^  postfix-config ' && ok "commands listed" \
    || notok "commands listed"
for c in "policy" "policy set" "policy get" "policy delete" "policy list" \
         "policy import" "policy export" "db" "postfix-config"; do
    # shellcheck disable=SC2086
    out=$(tp $c --help 2>&1) && rc=0 || rc=$?
    if [ $rc = 0 ] && [[ $out == usage:* ]]; then ok "$c --help"; else notok "$c --help (rc $rc)"; fi
done
expect "policy without command" 2 "" "usage: tlspolicy policy COMMAND" -- t policy
expect "unknown policy command" 2 "" 'tlspolicy policy: unknown command "frob"' -- t policy frob
expect "set without level" 2 "*" "" -- t policy set example.com
expect "get with two keys" 2 "*" "" -- t policy get a.example b.example
expect "unknown option" 2 "*" "unknown option" -- t policy list --frob
expect "bad export format" 2 "" 'unknown export format "xml"' -- t policy export --format xml
expect "unknown db command" 2 "" 'unknown command "drop"' -- t db drop
expect "postfix-config bad role" 2 "" 'unknown role "relay"' -- t postfix-config --role relay

# ---- db init ---------------------------------------------------------
# read-only commands on a database that does not exist yet: one clear
# line, and nothing created (no file, no directory)
for c in "policy get example.com" "policy list" "policy export" \
         "policy delete example.com" "db check" "postfix-config" "query example.com"; do
    # shellcheck disable=SC2086
    expect "$c before db init" 1 "" "database $DBFILE does not exist (run tlspolicy db init)" \
        -- t $c
done
[ ! -e "$TMP/var" ] && ok "read-only commands created nothing" \
    || notok "read-only commands created $(find "$TMP/var")"
# commands that write create nothing either (issue 17 item 3)
printf 'a.example may\n' >"$TMP/none.txt"
for c in "policy set example.com secure" "policy import $TMP/none.txt"; do
    # shellcheck disable=SC2086
    expect "$c before db init" 1 "" "database $DBFILE does not exist (run tlspolicy db init)" \
        -- t $c
done
[ ! -e "$TMP/var" ] && ok "writing commands created nothing" \
    || notok "writing commands created $(find "$TMP/var")"
expect "db init creates" 0 "created table tlspolicies in $DB
created table tlspolicy_sts in $DB
created table tlspolicy_sts_lease in $DB
created table tlspolicy_provenance in $DB
created table tlspolicy_own in $DB
created table tlspolicy_report in $DB
created table tlspolicy_bypass in $DB
TLSRPT tables tlspolicy_tlsrpt_* ready in $DB
created table tlspolicy_meta in $DB" "" -- t db init
expect "db init again" 0 "using the existing table tlspolicies in $DB
using the existing table tlspolicy_sts in $DB
using the existing table tlspolicy_sts_lease in $DB
using the existing table tlspolicy_provenance in $DB
using the existing table tlspolicy_own in $DB
using the existing table tlspolicy_report in $DB
using the existing table tlspolicy_bypass in $DB
TLSRPT tables tlspolicy_tlsrpt_* ready in $DB
using the existing table tlspolicy_meta in $DB" "" -- t db init
same "parent directory mode 0750" "$(stat -c %a "$TMP/var/sub") $(stat -c %a "$TMP/var")" "750 750"
same "journal mode WAL" "$(sqlite3 "$DBFILE" 'PRAGMA journal_mode')" "wal"
expect "empty list" 0 "DOMAIN  POLICY  PARAMS" "" -- t policy list
expect "empty list --json" 0 "[]" "" -- t --json policy list

# ---- set / get -------------------------------------------------------
expect "set secure" 0 "example.com: added: secure match=nexthop:dot-nexthop" "" \
    -- t policy set example.com secure match=nexthop:dot-nexthop
expect "set same again" 0 "example.com: unchanged: secure match=nexthop:dot-nexthop" "" \
    -- t policy set EXAMPLE.com. secure match=nexthop:dot-nexthop
expect "set replace" 0 "example.com: changed: secure match=nexthop" "" \
    -- t policy set example.com secure match=nexthop
expect "set host:port" 0 "[mx.example.net]:25: added: verify match=hostname:.example.net" "" \
    -- t policy set '[MX.example.net]:25' verify match=hostname:.example.net
expect "set _default" 0 "_default: added: dane" "" -- t policy set _default dane
expect "set .parent" 0 ".example.org: added: encrypt protocols=>=TLSv1.2" \
    "note: the parent row .example.org outranks DANE, MTA-STS and provider templates for every domain under example.org" \
    -- t policy set .example.org encrypt 'protocols=>=TLSv1.2'
expect "set IDN key" 0 "xn--bcher-kva.example: added: may" "" -- t policy set bücher.example may
expect "get" 0 "secure match=nexthop" "" -- t policy get example.com
expect "get normalises the key" 0 "secure match=nexthop" "" -- t policy get EXAMPLE.COM.
expect "get _default" 0 "dane" "" -- t policy get _default
expect "get host:port" 0 "verify match=hostname:.example.net" "" -- t policy get '[mx.example.net]:25'
expect "get missing" 1 "" "tlspolicy policy: no entry for nope.example" -- t policy get nope.example
# a domain without a row of its own: the parent row the daemon answers,
# named (issue 17 item 8); a parent key itself only its own row
expect "get through the parent row" 0 "encrypt protocols=>=TLSv1.2" \
    "tlspolicy policy: mx.sub.example.org has no row of its own: the parent row .example.org matches it" \
    -- t policy get MX.sub.example.org
expect "get -v names the row" 0 "$(printf '.example.org\tencrypt protocols=>=TLSv1.2')" "the parent row .example.org matches it" \
    -- t policy get -v sub.example.org
expect "get -v exact row" 0 "$(printf 'example.com\tsecure match=nexthop')" "" \
    -- t policy get -v example.com
expect "get .parent without its row" 1 "" "tlspolicy policy: no entry for .sub.example.org" \
    -- t policy get .sub.example.org

LIST="DOMAIN                 POLICY   PARAMS
.example.org           encrypt  protocols=>=TLSv1.2
[mx.example.net]:25    verify   match=hostname:.example.net
_default               dane
example.com            secure   match=nexthop
xn--bcher-kva.example  may"
expect "list" 0 "$LIST" "" -- t policy list
JSON='[
  {"id": 4, "domain": ".example.org", "policy": "encrypt", "params": "protocols=>=TLSv1.2", "valid": true, "text": "encrypt protocols=>=TLSv1.2"},
  {"id": 2, "domain": "[mx.example.net]:25", "policy": "verify", "params": "match=hostname:.example.net", "valid": true, "text": "verify match=hostname:.example.net"},
  {"id": 3, "domain": "_default", "policy": "dane", "params": null, "valid": true, "text": "dane"},
  {"id": 1, "domain": "example.com", "policy": "secure", "params": "match=nexthop", "valid": true, "text": "secure match=nexthop"},
  {"id": 5, "domain": "xn--bcher-kva.example", "policy": "may", "params": null, "valid": true, "text": "may"}
]'
expect "list --json" 0 "$JSON" "" -- t policy list --json
same "stored params NULL when none" \
    "$(sqlite3 "$DBFILE" "SELECT quote(params) FROM tlspolicies WHERE domain = '_default'")" "NULL"

# ---- bad input: error, exit 1, nothing changed ------------------------
before=$(t policy list)
expect "attribute not allowed at level" 1 "" \
    "tlspolicy policy: match is not allowed at level encrypt" \
    -- t policy set example.com encrypt match=nexthop
expect "unknown level" 1 "" 'tlspolicy policy: unknown TLS security level "bogus"' \
    -- t policy set example.com bogus
# messages that say what to do (issue 17 item 15)
expect "invalid level lists the levels" 1 "" \
    'tlspolicy policy: unknown TLS security level "securee" (valid: none, may, encrypt, dane, dane-only, fingerprint, verify, secure)' \
    -- t policy set example.com securee
expect "',' inside protocols: values are separated by ':'" 1 "" \
    "tlspolicy policy: malformed attribute \"!SSLv3\": missing '=' after attribute name (',' and white space separate attributes; separate the values of one attribute with ':', e.g. protocols=!SSLv2:!SSLv3)" \
    -- t policy set example.com secure 'protocols=!SSLv2,!SSLv3'
expect "a key that looks like an option is named" 2 "*" \
    'tlspolicy policy: set: "-foo.com" is not an option, and not a valid key either: invalid key "-foo.com": misplaced '"'-'"' in host name "-foo.com"' \
    -- t policy set -foo.com secure
expect "tlsrpt=yes points to postfix_compatibility" 1 "" \
    'with postfix_compatibility = 3.10 in tlspolicy.cf' \
    -- t policy set example.com secure tlsrpt=yes
expect "too new an attribute names postfix_compatibility" 1 "" \
    'tlspolicy policy: policy_type requires Postfix 3.10 or later (postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)' \
    -- t policy set example.com may policy_type=sts
expect "empty match" 1 "" "tlspolicy policy: match has an empty value" \
    -- t policy set example.com secure match=
expect "key with space" 1 "" "tlspolicy policy: invalid character ' ' in key" \
    -- t policy set 'exa mple.com' may
expect "key with .." 1 "" 'tlspolicy policy: invalid key "a..example"' \
    -- t policy set 'a..example' may
expect "key for get invalid" 1 "" "tlspolicy policy: " -- t policy get '[broken'
expect "delete invalid key" 1 "" "tlspolicy policy: " -- t policy delete 'x y'
long=match=$(for i in $(seq 10 40); do printf 'host%s.example:' $i; done)x.example
expect "params longer than the column" 1 "" "params column holds 255" \
    -- t policy set example.com secure "$long"
same "table unchanged after bad input" "$(t policy list)" "$before"

# ---- delete ----------------------------------------------------------
expect "delete" 0 "xn--bcher-kva.example: deleted" "" -- t policy delete bücher.example
expect "delete missing" 1 "" "tlspolicy policy: no entry for xn--bcher-kva.example" \
    -- t policy delete xn--bcher-kva.example

# ---- import ----------------------------------------------------------
cat >"$TMP/policy.txt" <<'EOF'
# tls_policy source file
example.com     secure match=nexthop
example.net     verify
    match=hostname:dot-nexthop
        tafile=/etc/ssl/ca.pem

.example.net    dane-only
[192.0.2.25]:587 encrypt protocols=>=TLSv1.2 ciphers=high
EOF
before=$(t policy list)
# issue 17 item 17: --dry-run also prints the diff, aligned
expect "import --dry-run" 0 \
    "dry run, nothing written: $TMP/policy.txt: 3 added, 0 changed, 1 unchanged
CHANGE  DOMAIN            OLD  NEW
added   example.net       -    verify match=hostname:dot-nexthop tafile=/etc/ssl/ca.pem
added   .example.net      -    dane-only
added   [192.0.2.25]:587  -    encrypt ciphers=high protocols=>=TLSv1.2" "" \
    -- t policy import --dry-run "$TMP/policy.txt"
same "dry run wrote nothing" "$(t policy list)" "$before"
expect "import" 0 "$TMP/policy.txt: 3 added, 0 changed, 1 unchanged" "" \
    -- t policy import "$TMP/policy.txt"
expect "import again" 0 "$TMP/policy.txt: 0 added, 0 changed, 4 unchanged" "" \
    -- t policy import "$TMP/policy.txt"
expect "get imported continuation" 0 \
    "verify match=hostname:dot-nexthop tafile=/etc/ssl/ca.pem" "" -- t policy get example.net
expect "import from stdin" 0 "stdin: 0 added, 1 changed, 0 unchanged" "" \
    -- t policy import - < <(echo "example.com secure match=nexthop:dot-nexthop")

# a bad line in the middle: nothing imported, file:line named
cat >"$TMP/corrupt.txt" <<'EOF'
new1.example   may
example.com    secure match=hostname
# comment
new2.example   encrypt match=nexthop
new3.example   may
EOF
before=$(t policy list)
expect_err "corrupt import" 1 \
    "tlspolicy policy: $TMP/corrupt.txt:4: new2.example: match is not allowed at level encrypt
tlspolicy policy: $TMP/corrupt.txt: 1 invalid line; nothing imported" \
    -- t policy import "$TMP/corrupt.txt"
same "corrupt import changed nothing" "$(t policy list)" "$before"
printf 'ok.example may\nbad key.example may\n' >"$TMP/corrupt2.txt"
expect_err "corrupt import: bad key" 1 \
    "tlspolicy policy: $TMP/corrupt2.txt:2: bad: unknown TLS security level \"key.example\" (valid: none, may, encrypt, dane, dane-only, fingerprint, verify, secure)
tlspolicy policy: $TMP/corrupt2.txt: 1 invalid line; nothing imported" \
    -- t policy import "$TMP/corrupt2.txt"
# every bad line in one run (issue 17 item 5), in line order, still all
# or nothing; a key repeated with the same policy only warns
cat >"$TMP/corrupt3.txt" <<'EOF'
new1.example   may
new2.example   securee
[192.0.2.9]
new3.example   fingerprint
new4.example   encrypt match=nexthop
  protocols=>=TLSv1.2
new1.example   may
new1.example   encrypt
EOF
expect_err "import: every bad line" 1 \
    "tlspolicy policy: $TMP/corrupt3.txt:2: new2.example: unknown TLS security level \"securee\" (valid: none, may, encrypt, dane, dane-only, fingerprint, verify, secure)
tlspolicy policy: $TMP/corrupt3.txt:3: \"[192.0.2.9]\" has no value (expected \"KEY LEVEL [ATTR=VALUE ...]\")
tlspolicy policy: $TMP/corrupt3.txt:4: new3.example: fingerprint needs match=DIGEST[|DIGEST...] (the SHA-256 fingerprint of the server's certificate or public key, e.g. from tlspolicy probe); without it Postfix uses smtp_tls_fingerprint_cert_match, empty by default, and defers the mail
tlspolicy policy: $TMP/corrupt3.txt:5: new4.example: match is not allowed at level encrypt
tlspolicy policy: $TMP/corrupt3.txt:7: warning: duplicate key \"new1.example\" with the same policy as line 1: line 1 is kept, this one ignored (as postmap does)
tlspolicy policy: $TMP/corrupt3.txt:8: duplicate key \"new1.example\" with a different policy than line 1 (\"encrypt\" here, \"may\" there): keep one of the two lines
tlspolicy policy: $TMP/corrupt3.txt: 5 invalid lines; nothing imported" \
    -- t policy import "$TMP/corrupt3.txt"
# fingerprint without match= (issue 17 item 4): Postfix would defer
expect "set fingerprint without match" 1 "" \
    "tlspolicy policy: fingerprint needs match=DIGEST" -- t policy set fp.example fingerprint
expect "set fingerprint with match" 0 "fp.example: added: fingerprint match=B6:B4:72:34:E2:59:CD:6C:B8:C2:CA:63:0D:4D:CC:2C:7D:84:DE:E6" "" \
    -- t policy set fp.example fingerprint match=b6b47234e259cd6cb8c2ca630d4dcc2c7d84dee6
expect "delete fp" 0 "fp.example: deleted" "" -- t policy delete fp.example
expect "import missing file" 1 "" "tlspolicy policy: $TMP/nope.txt: No such file or directory" \
    -- t policy import "$TMP/nope.txt"
same "failed imports changed nothing" "$(t policy list)" "$before"

# ---- export ----------------------------------------------------------
EXPORT="# Postfix TLS policy table (smtp_tls_policy_maps), exported by
# tlspolicy $("$TLSPOLICY" --version | cut -d' ' -f2) from $DB.
# 7 entries, sorted.  Build with: postmap hash:FILE
# Edit the table (tlspolicy policy set/import), not this file.
.example.net        dane-only
.example.org        encrypt protocols=>=TLSv1.2
[192.0.2.25]:587    encrypt ciphers=high protocols=>=TLSv1.2
[mx.example.net]:25 verify match=hostname:.example.net
_default            dane
example.com         secure match=nexthop:dot-nexthop
example.net         verify match=hostname:dot-nexthop tafile=/etc/ssl/ca.pem"
out=$(t policy export)
n=7
same "export postmap" "$out" "$EXPORT"
t policy export >"$TMP/export.txt"
expect "export re-imports unchanged" 0 "$TMP/export.txt: 0 added, 0 changed, $n unchanged" "" \
    -- t policy import "$TMP/export.txt"
expect "export json" 0 "*" "" -- t policy export --format json
# the policy row object of docs/json.md, as list --json prints it (issue 17 item 16)
t policy export --format json | grep -q '{"id": [0-9]*, "domain": "_default", "policy": "dane", "params": null, "valid": true, "text": "dane"}' \
    && ok "export json row" || notok "export json row"

# ---- rows written by another tool -------------------------------------
sqlite3 "$DBFILE" "INSERT INTO tlspolicies (domain, policy, params) VALUES ('bad.example', 'encrypt', 'match=nexthop')"
badid=$(sqlite3 "$DBFILE" "SELECT id FROM tlspolicies WHERE domain = 'bad.example'")
expect "get invalid row" 1 "" \
    "tlspolicy policy: warning: row id $badid (bad.example): match is not allowed at level encrypt" \
    -- t policy get bad.example
out=$(t policy list 2>"$TMP/err") && rc=0 || rc=$?
same "list with invalid row: exit 0" "$rc" 0
grep -q "^bad.example .*(INVALID, row id $badid)$" <<<"$out" && ok "list marks invalid row" \
    || notok "list marks invalid row: $out"
grep -q "warning: row id $badid (bad.example)" "$TMP/err" && ok "list warns with row id" \
    || notok "list warns with row id"
out=$(t policy list --json 2>/dev/null)
grep -q "\"id\": $badid, \"domain\": \"bad.example\".*\"valid\": false, \"text\": null, \"error\": " <<<"$out" \
    && ok "list --json marks invalid row" || notok "list --json marks invalid row"
out=$(t policy export 2>"$TMP/err") && rc=0 || rc=$?
same "export with invalid row: exit 1" "$rc" 1
grep -q "bad.example" <<<"$out" && notok "export left out invalid row" || ok "export left out invalid row"
grep -q "warning: row id $badid" "$TMP/err" && ok "export warns with row id" || notok "export warns"
expect "db check" 1 "$DB: 8 rows, 1 invalid" "row id $badid (bad.example)" -- t db check
sqlite3 "$DBFILE" "DELETE FROM tlspolicies WHERE id = $badid"
expect "db check clean" 0 "$DB: 7 rows, 0 invalid" "" -- t db check

# ---- bytes stored text should not hold: a NUL, non-UTF-8 --------------
# nul.example<NUL>xx, and params with a Latin-1 e-acute (0xE9)
sqlite3 "$DBFILE" "INSERT INTO tlspolicies (domain, policy, params) VALUES
  (CAST(X'6E756C2E6578616D706C65007878' AS TEXT), 'may', NULL),
  ('latin1.example', 'may', CAST(X'7365727665726E616D653D63616665E92E6578616D706C65' AS TEXT))"
nulid=$(sqlite3 "$DBFILE" "SELECT id FROM tlspolicies WHERE domain LIKE 'nul.example%'")
t db check >"$TMP/out" 2>"$TMP/err" && rc=0 || rc=$?
same "db check with a NUL row" "$rc $(cat "$TMP/out")" "1 $DB: 9 rows, 2 invalid"
grep -qx "tlspolicy db: row id $nulid (nul.example): NUL byte in a value" "$TMP/err" \
    && ok "db check names the NUL row" || notok "db check names the NUL row: $(cat "$TMP/err")"
t policy list --json >"$TMP/out" 2>/dev/null
python3 - "$TMP/out" <<'PY' && ok "list --json: valid JSON, non-UTF-8 byte as \\u00e9" || notok "list --json with non-UTF-8 bytes: $(cat "$TMP/out")"
import json, sys
rows = {r["domain"]: r for r in json.load(open(sys.argv[1], encoding="utf-8"))}
r = rows["latin1.example"]
sys.exit(0 if r["params"] == "servername=cafe\u00e9.example" and not r["valid"] else 1)
PY
grep -q 'cafe\\u00e9' "$TMP/out" && ok "list --json escapes the byte" || notok "list --json escape"
t --json query 'bücher.example' >"$TMP/out" 2>/dev/null || true
grep -q '"key":"bücher.example"' "$TMP/out" && ok "JSON keeps valid UTF-8 as it is" \
    || notok "JSON UTF-8: $(cat "$TMP/out")"
sqlite3 "$DBFILE" "DELETE FROM tlspolicies WHERE id = $nulid OR domain = 'latin1.example'"

# ---- postfix-config --------------------------------------------------
# No Postfix configuration to read (postconf fails): every line printed.
# tests/store/postfix-config.sh covers roles against a Postfix
# configuration; here the table's _default row and the listener.
export MAIL_CONFIG=$TMP/no-postfix
printf 'discovery = no\n' >"$TMP/nodisc.cf"
npkix=$(sqlite3 "$DBFILE" "SELECT count(*) FROM tlspolicies WHERE policy IN ('verify', 'secure')")
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    cafile="smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt"
else
    cafile="#smtp_tls_CAfile = /path/to/ca-bundle.pem (/etc/ssl/certs/ca-certificates.crt not found)"
fi
expect "postfix-config from _default" 0 "# main.cf lines for tlspolicy, role mx (postconf -e 'LINE' for each, then postfix reload)
# smtp_tls_security_level: from the _default row
smtp_tls_security_level = dane
smtp_dns_support_level = dnssec
smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:tlspolicy
# CA certificates for verify and secure answers ($npkix verify/secure table rows); without them Postfix defers those deliveries:
$cafile
# the TLS lines tlspolicy logscan reads (Postfix's default 0 logs none):
smtp_tls_loglevel = 1
# then: postfix reload" "" -- t -c "$TMP/nodisc.cf" postfix-config --role mx
# the role decides the level, and must be given (issue 17 item 12)
expect "postfix-config: no role" 2 "" \
    "tlspolicy postfix-config: say which role this Postfix server has, it decides smtp_tls_security_level:
  --role mx   it delivers to the internet (MX lookups for any domain): the _default row's level" \
    -- t postfix-config
t policy delete _default >/dev/null
expect "postfix-config without role nor _default" 2 "" \
    "  --role mx   it delivers to the internet (MX lookups for any domain): dane (there is no _default row)" \
    -- t postfix-config
expect "postfix-config role mta" 0 "*" "" -- t postfix-config --role mta
t postfix-config --role mta | grep -qx 'smtp_tls_security_level = dane-only' \
    && ok "role mta: dane-only" || notok "role mta: dane-only"
t postfix-config --role mx | grep -qx 'smtp_tls_security_level = dane' \
    && ok "role mx: dane" || notok "role mx: dane"
printf 'listen = unix:/run/tlspolicy/sock inet:127.0.0.1:1\nmap_names = tp\n' >"$TMP/tp.cf"
t -c "$TMP/tp.cf" postfix-config --role mx | grep -qx 'smtp_tls_policy_maps = socketmap:unix:/run/tlspolicy/sock:tp' \
    && ok "postfix-config follows listen" || notok "postfix-config follows listen"
# a unix: listener: the tlspolicy.cf lines for Postfix's group
out=$(t -c "$TMP/tp.cf" postfix-config --role mx)
grep -qx '#   unix_socket_owner = tlspolicy:postfix' <<<"$out" &&
    grep -q 'may connect to the unix: listener:$' <<<"$out" \
    && ok "postfix-config: unix_socket_owner line" || notok "postfix-config: unix_socket_owner line [$out]"
printf 'unix_socket_owner = tlspolicy:postfix\n' >>"$TMP/tp.cf"
t -c "$TMP/tp.cf" postfix-config --role mx | grep -q 'may connect to the unix: listener (set already):$' \
    && ok "postfix-config: unix socket settings already right" || notok "postfix-config: (set already)"
# dane_answer = notfound: main.cf must do DANE itself, whatever _default says
t policy set _default may >/dev/null
printf 'dane_answer = notfound\n' >"$TMP/nf.cf"
out=$(t -c "$TMP/nf.cf" postfix-config --role mx)
grep -qx 'smtp_tls_security_level = dane' <<<"$out" && grep -q 'dane_answer = notfound' <<<"$out" \
    && ok "postfix-config: dane_answer = notfound -> dane, not may" || notok "postfix-config notfound [$out]"
t postfix-config --role mx | grep -qx 'smtp_tls_security_level = may' \
    && ok "postfix-config: _default may otherwise" || notok "postfix-config: _default may"
t policy delete _default >/dev/null
unset MAIL_CONFIG

# ---- provenance (issue 17 item 2): who wrote each row, list -v ----------
prov() { sqlite3 -separator '|' "$DBFILE" "SELECT command, written_by, policy, evidence FROM tlspolicy_provenance WHERE domain = '$1'"; }
t policy set prov.example verify >/dev/null
same "set records provenance" "$(prov prov.example)" "policy set|$(id -un)@$(hostname)|verify|set by the admin"
printf 'prov2.example secure match=.prov2.example\n' >"$TMP/prov.txt"
t policy import "$TMP/prov.txt" >/dev/null
same "import records file:line" "$(prov prov2.example)" \
    "policy import|$(id -un)@$(hostname)|secure match=.prov2.example|$TMP/prov.txt:1"
t policy set prov.example verify >/dev/null
w1=$(sqlite3 "$DBFILE" "SELECT written FROM tlspolicy_provenance WHERE domain = 'prov.example'")
sleep 1.1
t policy set prov.example verify >/dev/null
same "an unchanged row keeps its provenance" \
    "$(sqlite3 "$DBFILE" "SELECT written FROM tlspolicy_provenance WHERE domain = 'prov.example'")" "$w1"
out=$(t policy list -v)
grep -Eq "^prov\.example +verify +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} +policy set \($(id -un)@$(hostname)\) +set by the admin$" <<<"$out" \
    && ok "list -v: WRITTEN BY EVIDENCE" || notok "list -v: $out"
head -1 <<<"$out" | grep -Eq '^DOMAIN +POLICY +PARAMS +WRITTEN +BY +EVIDENCE$' \
    && ok "list -v header" || notok "list -v header: $(head -1 <<<"$out")"
sqlite3 "$DBFILE" "INSERT INTO tlspolicies (domain, policy, params) VALUES ('other.example', 'may', NULL)"
t policy list -v | grep -Eq '^other\.example +may +- +- +\(no provenance: written by another tool, or before tlspolicy recorded it\)$' \
    && ok "list -v: a row another tool wrote" || notok "list -v: $(t policy list -v | grep '^other.example')"
sqlite3 "$DBFILE" "DELETE FROM tlspolicies WHERE domain = 'other.example'"
# another tool changes the row: list -v says so
sqlite3 "$DBFILE" "UPDATE tlspolicies SET policy = 'encrypt' WHERE domain = 'prov.example'"
t policy list -v | grep -Eq '^prov\.example +encrypt .*changed since by another tool; tlspolicy wrote "verify": set by the admin$' \
    && ok "list -v: changed by another tool" || notok "list -v: $(t policy list -v | grep '^prov.example')"
t --json policy list -v | grep -q '"domain": "prov.example".*"provenance": {"command": "policy set", "written": [0-9]*, "written_by": ".*", "policy": "verify", "evidence": "set by the admin", "current": false}' \
    && ok "list -v --json: provenance" || notok "list -v --json: $(t --json policy list -v | grep prov.example)"
t --json policy list | grep -q provenance && notok "list --json without -v has provenance" || ok "list --json: no provenance without -v"
t policy delete prov.example >/dev/null
same "delete removes the provenance" "$(prov prov.example)" ""
# a database made before the table existed: writes work, say so
sqlite3 "$DBFILE" "DROP TABLE tlspolicy_provenance"
expect "set without provenance table" 0 "prov3.example: added: may" \
    "warning: provenance not recorded: the database has no table tlspolicy_provenance yet (tlspolicy db init adds it)" \
    -- t policy set prov3.example may
expect "list -v without provenance table" 0 "*" "no table tlspolicy_provenance" -- t policy list -v
expect "delete without provenance table" 0 "prov3.example: deleted" "" -- t policy delete prov3.example
expect "db init adds it" 0 "using the existing table tlspolicies in $DB
using the existing table tlspolicy_sts in $DB
using the existing table tlspolicy_sts_lease in $DB
created table tlspolicy_provenance in $DB
using the existing table tlspolicy_own in $DB
using the existing table tlspolicy_report in $DB
using the existing table tlspolicy_bypass in $DB
TLSRPT tables tlspolicy_tlsrpt_* ready in $DB
using the existing table tlspolicy_meta in $DB" "" -- t db init
t policy delete prov2.example >/dev/null

# ---- database errors -------------------------------------------------
expect "bad URL" 1 "" "tlspolicy policy: invalid database URL: port must be a number 1-65535" \
    -- tp --db 'mysql://u:secret@h:0/d' policy list
echo "not a database, just text, long enough to be looked at by sqlite ......" >"$TMP/junk.db"
expect "not a database" 1 "" "file is not a database" -- tp --db "sqlite:$TMP/junk.db" policy list
sqlite3 "$TMP/empty.db" "CREATE TABLE other (x)"
expect "no table yet" 1 "" "table tlspolicies does not exist" \
    -- tp --db "sqlite:$TMP/empty.db" policy get example.com

# ---- options after the command: -c FILE counts like before it --------
printf 'database = %s\n' "$DB" >"$TMP/c.cf"
expect "policy get -c FILE" 0 "secure match=nexthop:dot-nexthop" "" \
    -- tp policy get -c "$TMP/c.cf" example.com
printf 'database = %s\npostfix_compatibility = 3.10\n' "$DB" >"$TMP/c310.cf"
expect "policy set -c FILE (postfix_compatibility)" 0 \
    "tlsrpt.example: added: secure policy_type=sts" "" \
    -- tp policy set -c "$TMP/c310.cf" tlsrpt.example secure policy_type=sts

finish
