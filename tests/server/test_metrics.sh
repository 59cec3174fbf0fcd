#!/bin/bash
# SPDX-License-Identifier: MIT
# test_metrics.sh - the Prometheus endpoint (issue 13, metrics_listen):
# off by default (no listener); on, GET /metrics is parsed by
# `promtool check metrics` without errors or lint warnings, and a real
# Prometheus (Debian package) scraping the daemon shows the lookups made
# with postmap -q, by answer source and reply kind, the emergency bypasses
# (active gauge, answers counter) and the connections;
# every PromQL expression of the Grafana dashboard
# (contrib/grafana/tlspolicy-dashboard.json) is accepted by that
# Prometheus.
. "$(dirname "$0")/lib.sh"

command -v postmap >/dev/null || skip_or_fail "postmap (Debian postfix) not installed"
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
    skip_or_fail "prometheus/promtool (Debian prometheus) not installed"
command -v curl >/dev/null || skip_or_fail "curl not installed"
DASHBOARD="${SRCDIR:-$(dirname "$0")/../..}/contrib/grafana/tlspolicy-dashboard.json"

read -r PORT MPORT PPORT <<<"$(free_port 3 | tr '\n' ' ')"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
MAP="socketmap:inet:127.0.0.1:$PORT:tlspolicy"
pm() { postmap -c "$T/postfix" -q "$1" "${2:-$MAP}"; }
CONNS=0
lookup() { CONNS=$((CONNS + 1)); pm "$@" >/dev/null || true; }

PROM_PID=""
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null; cleanup' EXIT

db_init
seed example.com secure match=.example.com:example.com
seed .example.org encrypt

# --- off by default: no listener -----------------------------------
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
EOF2
start_daemon
expect_eq "off: answers" "$(pm example.com)" "secure match=.example.com:example.com"
socks=$(ss -Hltnp 2>/dev/null | grep "pid=$DAEMON_PID," | awk '{print $4}' | sort | tr '\n' ' ')
expect_eq "off: the daemon listens only on the socketmap port" "$socks" "127.0.0.1:$PORT "
curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$MPORT/metrics" &&
    fail "off: something answers on the metrics port" || ok "off: no metrics endpoint"
grep -q "metrics on" "$T/daemon.log" && fail "off: metrics announced" || ok "off: not announced"
stop_daemon

# --- a bad metrics_listen is an error naming the setting -------------
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
metrics_listen = unix:$T/m.sock
EOF2
out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "metrics_listen" &&
    ok "metrics_listen unix: refused ($rc)" || fail "metrics_listen unix: rc=$rc [$out]"

write_config <<EOF2
listen = inet:127.0.0.1:$PORT
metrics_listen = inet:127.0.0.1:$MPORT inet:127.0.0.1:$PPORT
EOF2
out=$("$TLSPOLICY" -c "$T/tlspolicy.cf" serve -f 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q "metrics_listen: one inet:HOST:PORT only" &&
    ok "metrics_listen with two addresses: refused ($rc)" || fail "metrics_listen two: rc=$rc [$out]"

# --- on --------------------------------------------------------------
write_config <<EOF2
listen = inet:127.0.0.1:$PORT
metrics_listen = inet:127.0.0.1:$MPORT
map_names = tlspolicy
EOF2
start_daemon
grep -q "metrics on http://127.0.0.1:$MPORT/metrics" "$T/daemon.log" &&
    ok "on: announced" || fail "on: not announced"

for _ in 1 2 3; do lookup example.com; done        # table OK
"$TLSPOLICY" --db "$DB" bypass bypassed.example --for 1h --reason metrics >/dev/null
"$TLSPOLICY" --db "$DB" bypass gone.example --for 1h --reason metrics >/dev/null
lookup sub.example.org                              # table OK (parent row)
for _ in 1 2; do lookup nothing.example; done       # notfound NOTFOUND
lookup example.com "socketmap:inet:127.0.0.1:$PORT:nosuchmap" 2>/dev/null  # PERM (map name)
seed _default may
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do
    CONNS=$((CONNS + 1))
    out=$(pm other.example) && break
    sleep 0.1
done
expect_eq "_default after SIGHUP" "$out" "may"
# polls before the reload answered notfound NOTFOUND
nf=$((CONNS - 7 - 1 + 2))
for _ in 1 2; do lookup bypassed.example; done     # bypass: table OK

curl -sS --max-time 5 -D "$T/headers" "http://127.0.0.1:$MPORT/metrics" > "$T/metrics.txt" ||
    fail "on: GET /metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/headers" &&
    ok "content type of the text exposition" || fail "content type: $(cat "$T/headers")"
lint=$(promtool check metrics < "$T/metrics.txt" 2>&1) && rc=0 || rc=$?
expect_eq "promtool check metrics: exit 0, no lint output" "$rc|$lint" "0|"
sample() { awk -v k="$1" '$1 == k {print $2}' "$T/metrics.txt"; }
expect_eq "table OK (4 rows, 2 bypass)" "$(sample 'tlspolicy_lookups_total{source="table",reply="OK"}')" 6
expect_eq "bypass answers" "$(sample tlspolicy_bypass_answers_total)" 2
expect_eq "bypasses active" "$(sample tlspolicy_bypasses_active)" 2
expect_eq "notfound NOTFOUND" "$(sample 'tlspolicy_lookups_total{source="notfound",reply="NOTFOUND"}')" "$nf"
expect_eq "error PERM" "$(sample 'tlspolicy_lookups_total{source="error",reply="PERM"}')" 1
expect_eq "default OK" "$(sample 'tlspolicy_lookups_total{source="default",reply="OK"}')" 1
expect_eq "table rows" "$(sample tlspolicy_table_rows)" 3
expect_eq "connections accepted" "$(sample tlspolicy_connections_accepted_total)" "$CONNS"
expect_eq "reload failures" "$(sample tlspolicy_reload_failures_total)" 0
expect_eq "database up" "$(sample tlspolicy_database_up)" 1
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
expect_eq "other paths: 404" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")
expect_eq "POST: 405" "$code" 405

# --- a real Prometheus scraping the daemon -----------------------------
cat > "$T/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tlspolicy
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF2
promtool check config "$T/prometheus.yml" >/dev/null && ok "promtool check config" ||
    fail "promtool check config"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
    --web.listen-address="127.0.0.1:$PPORT" --log.level=warn > "$T/prometheus.log" 2>&1 &
PROM_PID=$!
# query EXPR: the first result's value, or "" (prints status on error)
query() {
    curl -sS --max-time 5 -G "http://127.0.0.1:$PPORT/api/v1/query" \
        --data-urlencode "query=$1" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print(""); sys.exit(0)
if d.get("status") != "success":
    print("error: " + d.get("error", "?")); sys.exit(0)
r = d["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
got=""
for _ in $(seq 1 150); do
    got=$(query 'tlspolicy_lookups_total{job="tlspolicy",source="table",reply="OK"}')
    [ "$got" = 6 ] && break
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.2
done
expect_eq "prometheus: table OK lookups" "$got" 6
expect_eq "prometheus: target up" "$(query 'up{job="tlspolicy"}')" 1
expect_eq "prometheus: notfound NOTFOUND" \
    "$(query 'tlspolicy_lookups_total{source="notfound",reply="NOTFOUND"}')" "$nf"
expect_eq "prometheus: default OK" "$(query 'tlspolicy_lookups_total{source="default",reply="OK"}')" 1
expect_eq "prometheus: error PERM" "$(query 'tlspolicy_lookups_total{source="error",reply="PERM"}')" 1
expect_eq "prometheus: all lookups" "$(query 'sum(tlspolicy_lookups_total)')" $((6 + nf + 1 + 1))
expect_eq "prometheus: connections accepted" \
    "$(query 'tlspolicy_connections_accepted_total')" "$CONNS"
expect_eq "prometheus: table rows" "$(query 'tlspolicy_table_rows')" 3
expect_eq "prometheus: bypasses active" "$(query 'tlspolicy_bypasses_active')" 2
expect_eq "prometheus: histogram series per source" \
    "$(query 'count(tlspolicy_discovery_duration_seconds_count)')" 3
# more lookups: Prometheus sees the counter move
for _ in 1 2 3; do lookup example.com; done
for _ in $(seq 1 100); do
    got=$(query 'tlspolicy_lookups_total{source="table",reply="OK"}')
    [ "$got" = 9 ] && break
    sleep 0.2
done
expect_eq "prometheus: table OK after 3 more" "$got" 9

# --- the Grafana dashboard: valid JSON, every expr parses -------------
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$DASHBOARD" 2>"$T/json.err"; then
    ok "dashboard is valid JSON"
else
    fail "dashboard JSON: $(cat "$T/json.err")"
fi
python3 - "$DASHBOARD" > "$T/exprs" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def walk(p):
    for t in p.get("targets", []):
        if t.get("expr"):
            print(t["expr"])
    for q in p.get("panels", []):
        walk(q)
for p in d["panels"]:
    walk(p)
PY
n=0
while IFS= read -r expr; do
    n=$((n + 1))
    # as Grafana sends it with the variables at All (allValue .*)
    expr=${expr//\$job/.*}
    expr=${expr//\$instance/.*}
    r=$(query "$expr")
    case "$r" in
    error:*) fail "dashboard expr [$expr]: $r" ;;
    esac
    # a panel whose metric the daemon does not export would stay empty
    for m in $(grep -o 'tlspolicy_[a-z_]*' <<<"$expr" | sort -u); do
        base=${m%_bucket}; base=${base%_count}; base=${base%_sum}
        grep -q "^# TYPE ${base} \|^# TYPE ${m} " "$T/metrics.txt" ||
            fail "dashboard expr [$expr]: $m not exported"
    done
done < "$T/exprs"
[ "$n" -ge 10 ] && ok "dashboard: $n exprs accepted by prometheus" ||
    fail "dashboard: only $n exprs"

kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null || true
PROM_PID=""
finish
