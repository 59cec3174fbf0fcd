#!/bin/bash
# SPDX-License-Identifier: MIT
# test_shadow.sh - shadow mode of table rows (issue 13 item 4) through
# Postfix's postmap -q: a row whose params hold the word `testing` is
# answered NOTFOUND - for its own key and for every ".parent" key of
# Postfix's walk after it, so nothing of it reaches Postfix - and the
# daemon logs once per domain and UTC day what it would have answered;
# the marker never reaches Postfix; a shadowed `_default` is NOTFOUND
# too; rows without the marker answer as before, also with shadow = yes
# (the global setting shadows discovery answers only: the lab test
# dane-lab-shadow shows that with real deliveries); `policy export`
# (postmap) leaves shadowed rows out.
. "$(dirname "$0")/lib.sh"

command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
read -r PORT MPORT <<<"$(free_port 2 | tr '\n' ' ')"
MAP="socketmap:inet:127.0.0.1:$PORT:tlspolicy"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
# pm KEY: the answer, or NOTFOUND (postmap -q exits 1 and prints nothing)
pm() { postmap -c "$T/postfix" -q "$1" "$MAP" || { rc=$?; [ "$rc" = 1 ] && echo NOTFOUND || echo "ERROR $rc"; }; }
nlog() { grep -cF "$1" "$T/daemon.log" || true; }

db_init
out=$("$TLSPOLICY" --db "$DB" policy set example.com secure match=.example.com:example.com testing)
expect_eq "policy set keeps the marker" "$out" \
    "example.com: added: secure match=.example.com:example.com testing"
seed .example.org encrypt testing
seed plain.example may
seed deep.example.net dane-only
seed .example.net testing verify
"$TLSPOLICY" --db "$DB" --json policy list > "$T/list.json"
python3 - "$T/list.json" <<'PY' && ok "policy list: params hold the marker, the row is valid" || fail "policy list: $(cat "$T/list.json")"
import json, sys
rows = {r["domain"]: r for r in json.load(open(sys.argv[1]))}
assert rows["example.com"]["params"] == "match=.example.com:example.com testing", rows["example.com"]
assert rows["example.com"]["valid"] is True
assert rows[".example.org"]["params"] == "testing", rows[".example.org"]
PY

"$TLSPOLICY" --db "$DB" policy export --format json > "$T/export.json"
"$TLSPOLICY" --db "sqlite:$T/copy.db" db init >/dev/null
"$TLSPOLICY" --db "sqlite:$T/copy.db" policy import "$T/export.json" >/dev/null 2>&1 ||
    fail "policy import of a JSON export with shadowed rows failed"
expect_eq "JSON export + import keeps the marker" \
    "$("$TLSPOLICY" --db "sqlite:$T/copy.db" --json policy get example.com | python3 -c 'import json,sys; print(json.load(sys.stdin)["params"])')" \
    "match=.example.com:example.com testing"
exp=$("$TLSPOLICY" --db "$DB" policy export)
grep -q "^# 3 shadowed row(s) (params: testing) left out" <<<"$exp" &&
    ! grep -Eq "^(example.com|\.example\.org|\.example\.net) " <<<"$exp" &&
    grep -q "^plain.example  *may$" <<<"$exp" &&
    ok "policy export (postmap): shadowed rows left out, said so" || fail "policy export: [$exp]"
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
EOF2
start_daemon
for _ in 1 2 3; do r=$(pm example.com); done
expect_eq "shadowed row: NOTFOUND" "$r" NOTFOUND
expect_eq "shadowed row: its parent walk .example.com" "$(pm .example.com)" NOTFOUND
expect_eq "shadowed row: its parent walk .com" "$(pm .com)" NOTFOUND
expect_eq "shadowed parent row, child key" "$(pm sub.example.org)" NOTFOUND
expect_eq "shadowed parent row, its own key (Postfix's walk)" "$(pm .example.org)" NOTFOUND
expect_eq "shadowed parent row, .org" "$(pm .org)" NOTFOUND
expect_eq "row without the marker" "$(pm plain.example)" may
expect_eq "exact row wins over a shadowed parent" "$(pm deep.example.net)" dane-only
expect_eq "shadowed parent under it" "$(pm other.example.net)" NOTFOUND
expect_eq "log: once per domain and day" \
    "$(nlog 'shadow: example.com would answer "secure match=.example.com:example.com" (from table example.com); answered NOTFOUND')" 1
expect_eq "log: the child names the parent row" \
    "$(nlog 'shadow: sub.example.org would answer "encrypt" (from table .example.org); answered NOTFOUND')" 1
expect_eq "log: no line for Postfix's .parent keys" "$(nlog 'shadow: .')" 0
expect_eq "the marker never in an answer line" "$(grep -c 'OK .*testing' "$T/daemon.log" || true)" 0
stop_daemon

# --- shadow = yes: table rows answer as before; a shadowed _default --
seed _default dane testing
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
shadow = yes
metrics_listen = inet:127.0.0.1:$MPORT
EOF2
start_daemon
expect_eq "shadow = yes: a row without the marker" "$(pm plain.example)" may
expect_eq "shadowed _default: NOTFOUND" "$(pm nothing.example)" NOTFOUND
expect_eq "shadowed _default: explicit next hop" "$(pm '[mx.nothing.example]:25')" NOTFOUND
expect_eq "log: the shadowed _default" \
    "$(nlog 'shadow: nothing.example would answer "dane" (from table _default); answered NOTFOUND')" 1
if command -v curl >/dev/null; then
    # this daemon shadowed the _default row twice (nothing.example, [mx...]:25)
    expect_eq "metrics: shadow answers" \
        "$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "tlspolicy_shadow_answers_total" {print $2}')" 2
else
    skip_part "curl not installed: metrics not checked"
fi
# removing the marker enforces the row at the next reload
seed example.com secure match=.example.com:example.com
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do r=$(pm example.com); [ "$r" = NOTFOUND ] || break; sleep 0.1; done
expect_eq "marker removed: enforced" "$r" "secure match=.example.com:example.com"
finish
