#!/bin/bash
# SPDX-License-Identifier: MIT
# json-schema.sh - every command's --json output against the schema in
# docs/json.md (issue 17 item 16): policy list/get/export/import, config,
# query, provider list; the commands that print no data refuse --json
# (exit 2); an exported JSON file re-imports to the same table, also
# with --sync; policy import --sync --dry-run prints the aligned diff and
# never removes _default (issue 17 item 17).
set -u
: "${TLSPOLICY:?}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/tp-json-XXXXXX)
trap 'rm -rf "$T"' EXIT
DOC=$SRCDIR/docs/json.md
CHK=$SRCDIR/tests/lib/json-schema-check
fails=0
ok()    { echo "ok - $*"; }
notok() { fails=$((fails + 1)); echo "not ok - $*"; }
: > "$T/e.cf"
tp() { ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/e.cf" "$@"; }
t()  { tp --db "sqlite:$T/a.db" "$@"; }
# schema NAME KIND [--lines] -- CMD...: CMD exits 0 and its stdout conforms
schema() {
    local name=$1 kind=$2 lines=
    shift 2
    [ "$1" = --lines ] && { lines=--lines; shift; }
    shift
    if "$@" >"$T/out" 2>"$T/err" && "$CHK" "$DOC" "$kind" $lines <"$T/out" 2>"$T/chk"; then
        ok "$name: $kind"
    else
        notok "$name: $kind: $(cat "$T/err" "$T/chk")"
    fi
}

t db init >/dev/null
t policy set _default dane >/dev/null
t policy set example.com secure match=nexthop:dot-nexthop >/dev/null
t policy set '[mx.example.net]:25' verify match=hostname >/dev/null
t policy set .example.org encrypt protocols='>=TLSv1.2' >/dev/null
t policy set old.example may >/dev/null

# ---- every data command against its kind -----------------------------
schema "policy list --json" policy_rows -- t policy list --json
schema "policy list -v --json" policy_rows -- t policy list -v --json
grep -q '"provenance": {' "$T/out" && ok "list -v --json has provenance" || notok "list -v: no provenance"
schema "policy get --json" policy_row -- t policy get --json example.com
schema "--json policy get" policy_row -- t --json policy get '[mx.example.net]:25'
schema "policy export --format json" policy_rows -- t policy export --format json
schema "policy export --json" policy_rows -- t policy export --json
schema "config --json" settings -- tp config --json
schema "config --json -d NAME" settings -- tp config --json -d listen database
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert list(d)==["database","listen"], d' "$T/out" \
    && ok "config --json NAME: only the names asked" || notok "config --json NAME: $(cat "$T/out")"
schema "query --json" query_reply --lines -- t query --json _default '[mx.example.net]:25'
schema "provider list --json" provider --lines -- tp provider list --json
schema "policy import --dry-run --json" import_result -- t policy import --dry-run --json /dev/null
printf '%s\n' \
  'Dec  3 17:00:00 mx tlspolicy[100]: shadow: d.example would answer "dane-only" (from dane); answered NOTFOUND' \
  'Dec  3 17:00:00 mx tlspolicy[100]: shadow: b.example would answer TEMP "DNSSEC bogus" (from dnssec); answered NOTFOUND' \
  'Dec  3 17:00:01 mx postfix/smtp[200]: Untrusted TLS connection established to mx.d.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)' \
  'Dec  3 17:00:01 mx postfix/smtp[200]: ABC123: to=<u@d.example>, relay=mx.d.example[192.0.2.1]:25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)' \
  > "$T/shadow.log"
schema "logscan --shadow --json" logscan_shadow -- t --json logscan --shadow "$T/shadow.log"
grep -q '"domain": "d.example", "would_answer": "dane-only", "temp_reason": null, "from": "dane", "sent": 1, "would_defer": 1' "$T/out" &&
    ok "logscan --shadow --json: the untrusted delivery would defer" || notok "logscan --shadow --json: $(cat "$T/out")"

# list and export: the same field set
a=$(t policy list --json | python3 -c 'import json,sys; print(sorted({tuple(sorted(r)) for r in json.load(sys.stdin)}))')
b=$(t policy export --format json | python3 -c 'import json,sys; print(sorted({tuple(sorted(r)) for r in json.load(sys.stdin)}))')
[ "$a" = "$b" ] && ok "list --json and export --format json: one field set" || notok "field sets: $a vs $b"
# get --json is the row list --json shows
g=$(t policy get --json example.com)
t policy list --json | grep -qF -- "$g" && ok "get --json = the list --json row" || notok "get --json: $g"
out=$(t policy get --json nosuch.example 2>&1); rc=$?
[ $rc = 1 ] && [ -z "$(t policy get --json nosuch.example 2>/dev/null)" ] \
    && ok "get --json of a missing key: exit 1, nothing on stdout" || notok "get --json missing: $rc $out"

# ---- commands without data refuse --json -----------------------------
for c in "db check" "serve" "postfix-config" "policy set a.example may" \
         "policy delete old.example" "sts flush"; do
    # shellcheck disable=SC2086
    t --json $c >"$T/out" 2>"$T/err"; rc=$?
    if [ $rc = 2 ] && grep -q -- '--json: this command prints no data' "$T/err" && [ ! -s "$T/out" ]; then
        ok "$c --json: usage error"
    else
        notok "$c --json: exit $rc: $(cat "$T/err")"
    fi
done
t policy get old.example >/dev/null && ok "refused delete left the row" || notok "refused delete removed the row"

# ---- export / import round trip --------------------------------------
t policy export --format json >"$T/x.json"
tp --db "sqlite:$T/b.db" db init >/dev/null
tp --db "sqlite:$T/b.db" policy import "$T/x.json" >"$T/out" 2>"$T/err" \
    && grep -q ': 5 added, 0 changed, 0 unchanged' "$T/out" \
    && ok "import of the JSON export: 5 added" || notok "import json: $(cat "$T/out" "$T/err")"
if diff <(t policy export) <(tp --db "sqlite:$T/b.db" policy export | sed "s|$T/b.db|$T/a.db|") >"$T/d" &&
   diff <(t policy list) <(tp --db "sqlite:$T/b.db" policy list) >>"$T/d"; then
    ok "round trip: the same table (export and list)"
else
    notok "round trip differs: $(cat "$T/d")"
fi
tp --db "sqlite:$T/b.db" policy import "$T/x.json" | grep -q ': 0 added, 0 changed, 5 unchanged' \
    && ok "re-import: all unchanged" || notok "re-import not idempotent"

# ---- import --sync ---------------------------------------------------
# (keys discovery does not answer: no domain is added or changed here,
# so nothing is looked up; tests/store/lab-import-sync.sh has the
# never-weaker-than-published part against the lab)
cat >"$T/new" <<'E'
.example.com verify
[mx.example.net]:25 verify match=hostname:nexthop
.example.org encrypt protocols=>=TLSv1.2
E
before=$(t policy export)
out=$(t policy import --sync --dry-run "$T/new" 2>"$T/err"); rc=$?
want="dry run, nothing written: $T/new: 1 added, 1 changed, 2 removed, 1 unchanged
CHANGE   DOMAIN               OLD                               NEW
added    .example.com         -                                 verify
changed  [mx.example.net]:25  verify match=hostname             verify match=hostname:nexthop
kept     _default             dane                              dane
removed  example.com          secure match=nexthop:dot-nexthop  -
removed  old.example          may                               -"
if [ $rc = 0 ] && [ "$out" = "$want" ]; then ok "sync --dry-run: aligned diff"
else notok "sync --dry-run (rc $rc): $(cat "$T/err")"; diff <(echo "$want") <(echo "$out") | sed 's/^/#  /'; fi
grep -q "has no _default row; the table's (_default dane) is kept (tlspolicy policy delete _default removes it)" "$T/err" \
    && ok "sync: _default kept, said on stderr" || notok "sync _default message: $(cat "$T/err")"
[ "$before" = "$(t policy export)" ] && ok "sync --dry-run wrote nothing" || notok "dry run changed the table"
schema "import --sync --dry-run --json" import_result -- t policy import --sync --dry-run --json "$T/new"
python3 - "$T/out" <<'PY' && ok "sync --json: the changes" || notok "sync --json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["added"], d["changed"], d["removed"], d["unchanged"]) == (1, 1, 2, 1), d
c = {x["domain"]: (x["change"], x["old"], x["new"]) for x in d["changes"]}
assert c == {".example.com": ("added", None, "verify"),
             "[mx.example.net]:25": ("changed", "verify match=hostname", "verify match=hostname:nexthop"),
             "_default": ("kept", "dane", "dane"),
             "example.com": ("removed", "secure match=nexthop:dot-nexthop", None),
             "old.example": ("removed", "may", None)}, c
PY
t policy import --sync "$T/new" >"$T/out" 2>/dev/null \
    && grep -q ": 1 added, 1 changed, 2 removed, 1 unchanged" "$T/out" && ok "sync: written" || notok "sync: $(cat "$T/out")"
got=$(t policy list | awk 'NR>1 {print $1}' | paste -sd' ')
[ "$got" = ".example.com .example.org [mx.example.net]:25 _default" ] \
    && ok "sync: the table is the file's rows plus _default" || notok "sync table: $got"
t policy list -v | grep -q "^example.com " && notok "removed row still listed" || ok "removed rows gone"
# all or nothing: a bad line changes nothing, even with --sync
printf '[a.example]:25 secure\n.bad.example fingerprint\n' >"$T/bad"
before=$(t policy export)
t policy import --sync "$T/bad" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "$T/bad:2" "$T/err" && [ "$before" = "$(t policy export)" ] \
    && ok "sync with a bad line: exit 1, FILE:LINE, nothing changed" || notok "sync bad: $rc $(cat "$T/err")"
t policy import --force-weaker a.example "$T/new" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--force-weaker needs --sync" "$T/err" && ok "--force-weaker without --sync: usage" \
    || notok "force-weaker alone: $rc $(cat "$T/err")"

# ---- a bad JSON file: every bad element by its number; nothing imported
cat >"$T/bad.json" <<'E'
[
  {"domain": "a.example", "policy": "secure", "params": null},
  {"domain": "b.example"},
  {"domain": "c.example", "policy": "fingerprint", "params": null},
  "d.example"
]
E
before=$(t policy export)
t policy import "$T/bad.json" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "$T/bad.json:2: element 2 is not a policy row object" "$T/err" \
    && grep -q "$T/bad.json:4: element 4" "$T/err" && grep -q "2 invalid elements; nothing imported" "$T/err" \
    && [ "$before" = "$(t policy export)" ] \
    && ok "bad JSON elements: each named by its number, nothing imported" || notok "bad json: $rc $(cat "$T/err")"
printf '[\n  {"domain": "a.example", "policy": "secure", "params": null},\n  {"domain": "c.example", "policy": "fingerprint", "params": null}\n]\n' >"$T/bad.json"
t policy import "$T/bad.json" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "$T/bad.json:2: " "$T/err" && grep -q "fingerprint" "$T/err" \
    && ok "a row Postfix would refuse: its element named" || notok "bad row json: $rc $(cat "$T/err")"
printf '[{"domain": "a.example", "policy": "secure"' >"$T/trunc.json"
t policy import "$T/trunc.json" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "not valid JSON: " "$T/err" && grep -q "nothing imported" "$T/err" \
    && ok "truncated JSON refused" || notok "trunc: $rc $(cat "$T/err")"
printf '[]\n' >"$T/empty.json"
t policy import --dry-run "$T/empty.json" >"$T/out" 2>"$T/err" && grep -q ': 0 added, 0 changed, 0 unchanged' "$T/out" \
    && ok "an empty JSON array imports nothing" || notok "empty json: $(cat "$T/out" "$T/err")"

echo "# $fails failed"
[ "$fails" = 0 ]
