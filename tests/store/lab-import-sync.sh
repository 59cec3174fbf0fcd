#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-import-sync.sh - `policy import --sync` against the lab (issue 17
# item 17): every added or changed row of a domain is compared with what
# the domain publishes (the daemon's discovery without the table), as
# logscan --apply and check --save do; a weaker row, or one for a domain
# whose publication cannot be found out, refuses the whole import (also
# under --dry-run, which still prints the diff) unless --force-weaker
# names the domain; a stronger row is written; an exported JSON file
# re-imports with --sync to the same table.
# Needs the lab ($LAB_DIR/env): without it exit 77, or fail when CI is set.
set -u
LAB_DIR=${LAB_DIR:-/tmp/tlspolicy-lab}
if [ ! -r "$LAB_DIR/env" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: no lab at $LAB_DIR and CI is set"; exit 1; }
    echo "SKIP: no lab at $LAB_DIR (run tests/lab/setup; set LAB_DIR/LAB_NS)"; exit 77
fi
# shellcheck disable=SC1091
. "$LAB_DIR/env"
: "${TLSPOLICY:?}"
T=$(mktemp -d /tmp/tlspolicy-import-sync.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()    { echo "ok - $*"; }
notok() { fails=$((fails + 1)); echo "not ok - $*"; }
cat > "$T/lab.cf" <<EOF
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
dns_resolvers = $LAB_RESOLVER
https_ca_file = $LAB_CA_FILE
smtp_ca_file = $LAB_CA_FILE
EOF
t() { ip netns exec "$LAB_NS" ${TLSPOLICY_WRAP:-} "$TLSPOLICY" -c "$T/lab.cf" --db "sqlite:$T/p.db" "$@"; }
t db init >/dev/null
t policy set _default may >/dev/null
t policy set plain.example encrypt >/dev/null
t policy set old.example may >/dev/null

# dane-ee.example publishes DANE (the daemon answers dane-only): encrypt is weaker
printf 'dane-ee.example encrypt\ntls.example verify\nenforce.sts.example secure match=mx.enforce.sts.example servername=hostname\n_default may\n' >"$T/weak"
before=$(t policy export)
t policy import --sync --dry-run "$T/weak" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -Eq '^added +dane-ee.example +- +encrypt$' "$T/out" \
    && grep -q 'dane-ee.example: "encrypt" refused: "encrypt" is weaker than "dane-only".*(--force-weaker dane-ee.example writes it)' "$T/err" \
    && grep -q '1 row weaker than published or for a domain whose publication is unknown; nothing would be imported' "$T/err" \
    && ok "sync --dry-run: diff printed, the weaker row refused, exit 1" || notok "dry run weaker: rc $rc $(cat "$T/out" "$T/err")"
grep -q 'tls.example: .*refused\|enforce.sts.example: .*refused' "$T/err" \
    && notok "rows not weaker refused: $(cat "$T/err")" || ok "verify for tls.example and the MTA-STS policy itself are not refused"
t policy import --sync "$T/weak" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && [ "$before" = "$(t policy export)" ] && grep -q 'nothing imported' "$T/err" \
    && ok "sync with a weaker row: nothing written (all or nothing)" || notok "weaker sync: rc $rc $(cat "$T/err")"
t policy import --sync --force-weaker dane-ee.example "$T/weak" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q 'dane-ee.example: written although "encrypt" is weaker' "$T/err" \
    && [ "$(t policy get dane-ee.example)" = encrypt ] && ! t policy get old.example >/dev/null 2>&1 \
    && ok "--force-weaker dane-ee.example: written, said so; old rows removed" || notok "forced: rc $rc $(cat "$T/out" "$T/err")"
t policy list -v | grep -q '^dane-ee.example .*policy import' && ok "provenance: policy import" || notok "provenance"

# a domain whose publication cannot be found out (MTA-STS published, the
# policy fetch gets a redirect)
printf 'redirect.sts.example verify\n_default may\n' >"$T/unk"
before=$(t policy export)
t policy import --sync "$T/unk" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'redirect.sts.example: "verify" refused: cannot tell what redirect.sts.example publishes' "$T/err" \
    && [ "$before" = "$(t policy export)" ] \
    && ok "unknown publication: refused" || notok "unknown: rc $rc $(cat "$T/err")"

# export as JSON, change the table, sync back: the same table
t policy export --format json >"$T/x.json"
t policy set dane-ee.example dane-only >/dev/null
t policy set extra.example may >/dev/null 2>&1
t policy import --sync --force-weaker dane-ee.example "$T/x.json" >"$T/out" 2>"$T/err"; rc=$?
diff <(python3 -c 'import json,sys; [print(r["domain"], r["text"]) for r in json.load(open(sys.argv[1]))]' "$T/x.json") \
     <(t policy export --format json | python3 -c 'import json,sys; [print(r["domain"], r["text"]) for r in json.load(sys.stdin)]') >"$T/d"
[ $rc = 0 ] && [ ! -s "$T/d" ] && grep -q ': 0 added, 1 changed, 1 removed, ' "$T/out" \
    && ok "JSON export re-imported with --sync: the same table" || notok "json sync: rc $rc $(cat "$T/d" "$T/out" "$T/err")"

echo "# $fails failed"
[ "$fails" = 0 ]
