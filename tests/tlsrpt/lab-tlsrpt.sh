#!/bin/bash
# SPDX-License-Identifier: MIT
# TLSRPT end to end in the netns lab (issue 15, "must show"):
#
#  1. Ten lab domains publish _smtp._tls TXT records (rua = a mailbox on
#     the lab receiver and an nginx HTTPS endpoint).  The lab's real
#     Postfix 3.7 delivers to them through `tlspolicy serve` (its decision
#     journal on): successes (no policy, DANE, MTA-STS) and each failure the
#     lab can make: no STARTTLS (encrypt), self-signed and untrusted
#     issuer, name mismatch, expired (admin's table rows requiring TLS),
#     DANE mismatch (dane-only), MTA-STS policy host with an untrusted
#     certificate (fetch failure).
#  2. `tlsrpt collect` reads the sender's log, `tlsrpt report` sends the
#     reports through the lab's sendmail(1) (real Postfix delivers them to
#     the receiver's Maildir, and to a pipe(8) transport running `tlsrpt
#     intake`) and by HTTPS POST (nginx -> a recorder);
#     check_report.py parses every delivered report (schema of RFC 8460
#     section 4, mail headers, attachment) and checks every count against
#     the deliveries made.  A second run sends nothing (idempotent); the
#     report mails' own deliveries count nowhere (loop guard).
#  3. Two daemons (two mail servers: tlsrpt_mta a and b) on one MariaDB,
#     running at the same time and both journaling (deliveries through
#     one while the other answers a stream of lookups, then the other way
#     round); both collect their part of the log at once; one `tlsrpt
#     report` run sends one report per domain with the summed counts;
#     then two report runs racing send every report exactly once.
#
# Needs the lab (exit 77 without, unless CI is set) and, for part 3,
# TLSPOLICY_TEST_MYSQL_URL (tests/lib/mariadb-start; skipped without it
# unless CI is set).  Undoes every lab change it makes.
set -u
: "${SRCDIR:?}"
# shellcheck disable=SC1091
. "$SRCDIR/tests/dane/lab-lib.sh"
chmod 755 "$T_DIR"
CHECK="python3 $SRCDIR/tests/tlsrpt/check_report.py"
RX=$LAB_DIR/receiver
HTTPS_ADDR=127.0.2.49
REC_PORT=18891
RUA_DOM=rua.tls.example
RPT_HOST=rpt.tls.example
DOMAINS="tls.example plain.example selfsigned.example mismatch.example expired.example
 untrusted.example dane-ee.example dane-mismatch.example enforce.sts.example untrusted.sts.example"
NGX_PID=
REC_PID=
TODAY=$(date -u +%F)

undo() {
	[ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null
	[ -n "$REC_PID" ] && kill "$REC_PID" 2>/dev/null
	for d in $DOMAINS; do lab zone-set "_smtp._tls.$d" TXT 300 >/dev/null 2>&1; done
	lab zone-set "$RUA_DOM" MX 300 >/dev/null 2>&1
	lab zone-set "$RPT_HOST" A 300 >/dev/null 2>&1
	if [ -f "$T_DIR/rx-main.cf" ]; then
		cp "$T_DIR/rx-main.cf" "$RX/main.cf"
		cp "$T_DIR/rx-master.cf" "$RX/master.cf"
		in_ns postfix -c "$RX" reload >/dev/null 2>&1
	fi
	lab sender-reset -d >/dev/null 2>&1
}
T_CLEANUP_EXTRA=undo

# ---- the rua mailbox (receiver: virtual(8) into a Maildir) and HTTPS -----
mkdir -p "$T_DIR/rua/new" "$T_DIR/rua/cur" "$T_DIR/rua/tmp" "$T_DIR/https" "$T_DIR/in"
printf 'database = sqlite:%s/in/in.db\n' "$T_DIR" > "$T_DIR/in/in.cf"
"$TLSPOLICY" -c "$T_DIR/in/in.cf" db init >/dev/null || fail "db init (intake)"
chown -R 65534:65534 "$T_DIR/rua" "$T_DIR/in"
cp "$RX/main.cf" "$T_DIR/rx-main.cf"
cp "$RX/master.cf" "$T_DIR/rx-master.cf"
postconf -c "$RX" -M 'virtual/unix=virtual unix - n n - - virtual' &&
postconf -c "$RX" -M "tlsrptin/unix=tlsrptin unix - n n - - pipe flags=q user=nobody argv=$TLSPOLICY -c $T_DIR/in/in.cf tlsrpt intake" &&
postconf -c "$RX" -e "virtual_mailbox_domains = $RUA_DOM" "virtual_mailbox_base = $T_DIR" \
	"virtual_mailbox_maps = inline:{ tlsrpt@$RUA_DOM=rua/, intake@$RUA_DOM=unused/ }" \
	"virtual_uid_maps = static:65534" "virtual_gid_maps = static:65534" \
	"transport_maps = inline:{ tlsrpt@$RUA_DOM=virtual:, intake@$RUA_DOM=tlsrptin: }, static:{discard:lab receiver}" &&
in_ns postfix -c "$RX" reload >/dev/null 2>&1 || { fail "receiver: rua mailbox"; exit 1; }
lab zone-set "$RUA_DOM" MX 300 "10 mx.tls.example." >/dev/null || fail "zone-set $RUA_DOM MX"
lab zone-set "$RPT_HOST" A 300 "$HTTPS_ADDR" >/dev/null || fail "zone-set $RPT_HOST A"

# a lab-CA certificate for the HTTPS rua, an nginx in front of a recorder
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$RPT_HOST" \
	-keyout "$T_DIR/rpt.key" -out "$T_DIR/rpt.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$RPT_HOST" > "$T_DIR/rpt.ext" &&
openssl x509 -req -in "$T_DIR/rpt.csr" -CA "$LAB_CERT_DIR/ca-issuing.crt" \
	-CAkey "$LAB_CERT_DIR/ca-issuing.key" -CAcreateserial -days 2 -extfile "$T_DIR/rpt.ext" \
	-out "$T_DIR/rpt.crt" 2>/dev/null &&
cat "$T_DIR/rpt.crt" "$LAB_CERT_DIR/ca-issuing.crt" > "$T_DIR/rpt.chain.pem" ||
	{ fail "HTTPS certificate"; exit 1; }
mkdir -p "$T_DIR/ngx"
cat > "$T_DIR/ngx/nginx.conf" <<EOF
worker_processes 1;
pid $T_DIR/ngx/nginx.pid;
error_log $T_DIR/ngx/error.log info;
events { worker_connections 64; }
http {
    access_log $T_DIR/ngx/access.log;
    client_body_temp_path $T_DIR/ngx;
    proxy_temp_path $T_DIR/ngx;
    server {
        listen $HTTPS_ADDR:443 ssl;
        server_name $RPT_HOST;
        ssl_certificate $T_DIR/rpt.chain.pem;
        ssl_certificate_key $T_DIR/rpt.key;
        location = /tlsrpt { proxy_pass http://127.0.0.1:$REC_PORT; }
        location / { return 404; }
    }
}
EOF
cat > "$T_DIR/recorder.py" <<'EOF'
import http.server, os, sys
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        k = len([f for f in os.listdir(d) if f.endswith(".body")])
        open(os.path.join(d, "%03d.body" % k), "wb").write(body)
        open(os.path.join(d, "%03d.ctype" % k), "w").write(self.headers.get("Content-Type", ""))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
ip netns exec "$LAB_NS" python3 "$T_DIR/recorder.py" "$REC_PORT" "$T_DIR/https" &
REC_PID=$!
ip netns exec "$LAB_NS" nginx -c "$T_DIR/ngx/nginx.conf" -p "$T_DIR/ngx/" -e "$T_DIR/ngx/error.log" \
	-g 'daemon off;' &
NGX_PID=$!
sleep 1
kill -0 "$NGX_PID" 2>/dev/null || { fail "nginx did not start"; cat "$T_DIR/ngx/error.log"; exit 1; }

for d in $DOMAINS; do
	lab zone-set "_smtp._tls.$d" TXT 300 \
		"\"v=TLSRPTv1; rua=mailto:tlsrpt@$RUA_DOM,https://$RPT_HOST/tlsrpt,mailto:intake@$RUA_DOM\"" >/dev/null ||
		fail "zone-set _smtp._tls.$d"
done
# the published record, as a receiver of reports would check it
got=$(lab run dig +short TXT "_smtp._tls.dane-ee.example")
[[ "$got" == *"v=TLSRPTv1; rua=mailto:tlsrpt@$RUA_DOM,https://$RPT_HOST/tlsrpt"* ]] ||
	fail "TXT _smtp._tls.dane-ee.example: $got"

# ---- deliveries through the daemon ---------------------------------------
settings() { # ORG MTA
	echo "tlsrpt_organization=$1"
	echo "tlsrpt_contact=mailto:postmaster@lab.example"
	echo "tlsrpt_submitter=lab.example"
	echo "tlsrpt_report_from=tlsrpt-noreply@lab.example"
	echo "tlsrpt_mta=$2"
	echo "tlsrpt_sending_mta_ip=$LAB_SENDER_ADDR"
	echo "tlsrpt_journal_flush=1s"
	echo "https_ca_file=$LAB_CA_FILE"
	echo "tlsrpt_sendmail=/usr/sbin/sendmail -C $LAB_DIR/sender"
}
table_rows() { # DB URL: the admin's rows requiring TLS (Postfix then fails)
	local db=$1
	for row in "plain.example encrypt" "selfsigned.example secure" "mismatch.example secure" \
		"expired.example verify" "untrusted.example secure"; do
		# shellcheck disable=SC2086
		"$TLSPOLICY" --db "$db" policy set $row >/dev/null || fail "policy set $row"
	done
}
deliver() { # DOMAIN: one message, waits for its final record
	local q
	q=$(lab send tlsrpt-test@lab.example "a@$1") || { fail "send $1"; return; }
	lab wait-log -s "$OFF" "$q: to=<a@$1>.*status=(sent|deferred|bounced)" 30 >/dev/null ||
		fail "no delivery record for $1 ($q)"
}

lab sender-reset -d >/dev/null
lab sender-set "smtp_tls_policy_maps = $DANE_TEST_MAP" >/dev/null || fail "sender-set"
DB1="sqlite:$T_DIR/t.db"
"$TLSPOLICY" --db "$DB1" db init >/dev/null || fail "db init"
table_rows "$DB1"
mapfile -t S1 < <(settings "Lab Org (SQLite)" mx-a)
daemon_start "${S1[@]}" || exit 1
sleep 1
OFF=$(lab log-offset)
for d in tls.example tls.example plain.example selfsigned.example mismatch.example \
	expired.example untrusted.example dane-ee.example dane-ee.example dane-mismatch.example \
	enforce.sts.example enforce.sts.example untrusted.sts.example; do
	deliver "$d"
done
lab flush -d >/dev/null # deferred mail: no retries in this log
daemon_stop             # writes the rest of the journal
lab sender-reset >/dev/null # the report mails go out with the sender's own "may"
tail -c +$((OFF + 1)) "$LAB_DIR/log/sender.log" > "$T_DIR/mail.log"
TP="$TLSPOLICY -c $T_DIR/tp.cf"

j=$(sqlite3 "$T_DIR/t.db" "SELECT policy_type || ' ' || result FROM tlspolicy_tlsrpt_policies WHERE domain = 'untrusted.sts.example'")
[ "$j" = "sts sts-webpki-invalid" ] && ok "journal: untrusted.sts.example sts sts-webpki-invalid" ||
	fail "journal for untrusted.sts.example: '$j'"
j=$(sqlite3 "$T_DIR/t.db" "SELECT policy_type || ' ' || mx FROM tlspolicy_tlsrpt_policies WHERE domain = 'enforce.sts.example'")
[ "$j" = "sts mx.enforce.sts.example" ] && ok "journal: enforce.sts.example sts" ||
	fail "journal for enforce.sts.example: '$j'"

out=$($TP tlsrpt collect "$T_DIR/mail.log") && ok "collect: $out" || fail "collect: $out"
EXPECT=(
	"tls.example:no-policy-found:2:0"
	"plain.example:no-policy-found:0:1:starttls-not-supported=1"
	"selfsigned.example:no-policy-found:0:1:certificate-not-trusted=1"
	"mismatch.example:no-policy-found:0:1:certificate-host-mismatch=1"
	"expired.example:no-policy-found:0:1:certificate-expired=1"
	"untrusted.example:no-policy-found:0:1:certificate-not-trusted=1"
	"dane-ee.example:tlsa:2:0"
	"dane-mismatch.example:tlsa:0:1:tlsa-invalid=1"
	"enforce.sts.example:sts:2:0"
	"untrusted.sts.example:sts:0:1:sts-webpki-invalid=1"
)
OFF2=$(lab log-offset)
out=$(in_ns $TP tlsrpt report --day "$TODAY" --unfinished 2>&1)
echo "$out" | tail -1
[[ "$out" == *"30 sent, 0 already sent"* ]] && ok "report: 30 sent (10 domains x 2 mail + https)" ||
	fail "report: $out"
# real Postfix delivers the report mails to the rua mailbox
for _ in $(seq 1 60); do
	[ "$(find "$T_DIR/rua/new" -type f | wc -l)" -ge 10 ] && break
	sleep 0.5
done
[ "$(find "$T_DIR/rua/new" -type f | wc -l)" = 10 ] || fail "$(find "$T_DIR/rua/new" -type f | wc -l) report mails in the rua Maildir, want 10"
lab wait-log -s "$OFF2" "to=<tlsrpt@$RUA_DOM>.*status=sent" 10 >/dev/null ||
	fail "the sender did not log the report deliveries"
$CHECK mail "$T_DIR/rua" "Lab Org (SQLite)" "${EXPECT[@]}" || fail "the mailed reports"
$CHECK https "$T_DIR/https" "Lab Org (SQLite)" "${EXPECT[@]}" || fail "the POSTed reports"
# our own intake (pipe transport) read the same reports
for _ in $(seq 1 40); do
	[ "$(sqlite3 "$T_DIR/in/in.db" "SELECT count(DISTINCT report_id) FROM tlspolicy_tlsrpt_received")" = 10 ] && break
	sleep 0.5
done
"$TLSPOLICY" -c "$T_DIR/in/in.cf" --json tlsrpt intake --summary --days 2 > "$T_DIR/in/summary.json"
python3 - "$T_DIR/in/summary.json" "${EXPECT[@]}" <<'PY' && ok "intake through a pipe transport: every count" || fail "intake summary"
import json, sys
got = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    ok, failed, res = got.get(r["domain"], (0, 0, {}))
    if r["result"] == "success":
        ok += r["sessions"]
    else:
        failed += r["sessions"]
        res[r["result"]] = res.get(r["result"], 0) + r["sessions"]
    got[r["domain"]] = (ok, failed, res)
want = {}
for e in sys.argv[2:]:
    f = e.split(":")
    res = dict((k, int(v)) for k, v in (kv.split("=") for kv in f[4].split("+"))) if len(f) > 4 else {}
    want[f[0]] = (int(f[2]), int(f[3]), res)
if got != want:
    print("FAIL: intake summary %r, want %r" % (got, want)); sys.exit(1)
PY
# own check links the received reports to the own-domain checks (these
# lab domains taken as ours): plain.example's MX failed every session
# (error, at the MX, with where to look), tls.example's reports are clean,
# and 30 days on nothing is in the window any more.
echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR" >> "$T_DIR/in/in.cf"
in_ns "$TLSPOLICY" -c "$T_DIR/in/in.cf" --json own check --only tlsrpt --no-save \
	plain.example tls.example > "$T_DIR/in/own.json"
rc=$?
in_ns "$TLSPOLICY" -c "$T_DIR/in/in.cf" --json own check --only tlsrpt --no-save --now +30d \
	tls.example > "$T_DIR/in/own-later.json"
python3 - "$T_DIR/in/own.json" "$rc" "$T_DIR/in/own-later.json" <<'PY' && ok "own check shows the received reports per own domain and MX" || fail "own check with received reports"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit"] == 2 and sys.argv[2] == "2", (r["exit"], sys.argv[2])
dom = {d["domain"]: d for d in r["domains"]}
rx = lambda d: {c["subject"]: c for c in dom[d]["checks"] if c["check"] == "tlsrpt-rx"}
p, t = rx("plain.example"), rx("tls.example")
assert p["plain.example"]["verdict"] == "error", p
assert "0 sessions ok, 1 failed (100.0%)" in p["plain.example"]["message"], p
m = p["mx.plain.example"]
assert m["verdict"] == "error" and "starttls-not-supported 1 (Lab Org (SQLite))" in m["message"] and "offer STARTTLS" in m["message"], m
assert "not a current MX" not in m["message"], m
assert list(t) == ["tls.example"] and t["tls.example"]["verdict"] == "ok", t
assert "1 report in the last 7 days" in t["tls.example"]["message"] and "2 sessions ok, 0 failed" in t["tls.example"]["message"], t
# the record check still runs beside it
assert [c["verdict"] for c in dom["tls.example"]["checks"] if c["check"] == "tlsrpt"] == ["ok"], dom["tls.example"]
later = json.load(open(sys.argv[3]))
c = [c for c in later["domains"][0]["checks"] if c["check"] == "tlsrpt-rx"]
assert len(c) == 1 and "no TLSRPT report received in the last 7 days" in c[0]["message"], c
PY
# the policies as the lab publishes them: TLSA records, the MTA-STS policy
python3 - "$T_DIR/https" <<'PY' && ok "policy-string and mx-host of the tlsa and sts reports" || fail "policy strings"
import glob, gzip, json, sys
pol = {}
for f in glob.glob(sys.argv[1] + "/*.body"):
    p = json.loads(gzip.decompress(open(f, "rb").read()))["policies"][0]["policy"]
    pol[p["policy-domain"]] = p
d, s = pol["dane-ee.example"], pol["enforce.sts.example"]
assert d["mx-host"] == ["mx.dane-ee.example"], d
assert d["policy-string"] and all(x.startswith("_25._tcp.mx.dane-ee.example TLSA 3 1 1 ") for x in d["policy-string"]), d
assert s["mx-host"] == ["mx.enforce.sts.example"], s
assert "mode: enforce" in s["policy-string"] and "mx: mx.enforce.sts.example" in s["policy-string"], s
assert "policy-string" not in pol["tls.example"], pol["tls.example"]
PY
# idempotent: the second run sends nothing
out=$(in_ns $TP tlsrpt report --day "$TODAY" --unfinished 2>&1)
[[ "$out" == *"0 sent, 30 already sent"* ]] && ok "second report run: nothing sent again" ||
	fail "second report run: $out"
# loop guard: the report mails' deliveries are in the log, and count nowhere
sleep 1
tail -c +$((OFF2 + 1)) "$LAB_DIR/log/sender.log" >> "$T_DIR/mail.log"
out=$($TP tlsrpt collect "$T_DIR/mail.log")
[[ "$out" == *" 0 TLS sessions"*"20 report mails ignored"* ]] && ok "loop guard: $out" ||
	fail "loop guard: $out"
n=$(sqlite3 "$T_DIR/t.db" "SELECT count(*) FROM tlspolicy_tlsrpt_sessions WHERE domain = '$RUA_DOM'")
[ "$n" = 0 ] || fail "$n session rows for $RUA_DOM (the report mails counted)"
out=$($TP tlsrpt status | grep -c " sent ")
[ "$out" = 30 ] && ok "status: 30 sent" || fail "status: $out sent rows, want 30"

# ---- two daemons on one MariaDB ---------------------------------------------
if [ -z "${TLSPOLICY_TEST_MYSQL_URL:-}" ]; then
	if [ -n "${CI:-}" ]; then
		fail "TLSPOLICY_TEST_MYSQL_URL is not set (CI)"
	else
		echo "SKIP: two daemons on MariaDB (no TLSPOLICY_TEST_MYSQL_URL)"
	fi
	finish
fi
# the unix socket: the daemons run in the lab's namespace (own loopback)
MYDB=${TLSPOLICY_TEST_MYSQL_SOCKET_URL/\/tlspolicy_test?/\/tlspolicy_test_tlsrpt?}
mysql_root() { mariadb --no-defaults -S "$TLSPOLICY_TEST_MYSQL_SOCKET" -uroot "$@"; }
mysql_root -e "DROP DATABASE IF EXISTS tlspolicy_test_tlsrpt; CREATE DATABASE tlspolicy_test_tlsrpt" ||
	{ fail "create the MariaDB database"; finish; }
"$TLSPOLICY" --db "$MYDB" db init >/dev/null || fail "db init (MariaDB)"
table_rows "$MYDB"
find "$T_DIR/rua/new" "$T_DIR/https" -type f -delete
# Both daemons run at once, each journaling into the one MariaDB every
# second: the sender's Postfix delivers through mta-a's daemon, then
# through mta-b's, and all the while the other daemon answers a stream of
# lookups (postmap -q, a second mail server's Postfix asking).  Then both
# servers collect their part of the log at the same time.
PA=$DANE_TEST_PORT
PB=$((DANE_TEST_PORT + 1))
MPIDS=()
mdaemon_start() { # MTA PORT
	local cfg=$T_DIR/$1.cf
	{
		echo "database = $MYDB"
		echo "listen = inet:$DANE_TEST_ADDR:$2"
		echo "user = root"
		echo "pidfile = $T_DIR/$1.pid"
		echo "table_snapshot = $T_DIR/$1.snapshot"
		echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR"
		settings "Lab Org (MariaDB)" "$1" | sed 's/=/ = /'
	} > "$cfg"
	: > "$T_DIR/$1.serve.log"
	ip netns exec "$LAB_NS" "$TLSPOLICY" -c "$cfg" serve -f > "$T_DIR/$1.serve.log" 2>&1 &
	MPIDS+=($!)
	for _ in $(seq 1 100); do
		grep -q "listening on" "$T_DIR/$1.serve.log" && return 0
		sleep 0.1
	done
	fail "daemon $1 did not start: $(cat "$T_DIR/$1.serve.log")"
	return 1
}
mdaemons_stop() {
	local p
	for p in "${MPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${MPIDS[@]}"; do wait "$p" 2>/dev/null; done
	MPIDS=()
	if grep -Eq "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR"/mta-?.serve.log; then
		fail "sanitizer report in a daemon log: $(grep -h -E -A8 "AddressSanitizer|LeakSanitizer|runtime error:" "$T_DIR"/mta-?.serve.log | head -30)"
	fi
}
T_CLEANUP_EXTRA="mdaemons_stop; $T_CLEANUP_EXTRA"
hammer() { # PORT DOMAIN...: lookups until $T_DIR/stop-hammer exists
	local port=$1
	shift
	while [ ! -e "$T_DIR/stop-hammer" ]; do
		for d in "$@"; do
			in_ns postmap -q "$d" "socketmap:inet:$DANE_TEST_ADDR:$port:tlspolicy" >/dev/null
		done
	done
}
phase() { # MTA PORT OTHER_PORT DOMAIN...: deliveries through MTA's daemon
	local mta=$1 port=$2 other=$3 hp
	shift 3
	rm -f "$T_DIR/stop-hammer"
	hammer "$other" "$@" &
	hp=$!
	lab sender-set "smtp_tls_policy_maps = socketmap:inet:$DANE_TEST_ADDR:$port:tlspolicy" >/dev/null ||
		fail "sender-set $mta"
	OFF=$(lab log-offset)
	for d in "$@"; do deliver "$d"; done
	lab flush -d >/dev/null
	sleep 2 # both journals flush (every second) while the lookups go on
	touch "$T_DIR/stop-hammer"
	wait "$hp"
	tail -c +$((OFF + 1)) "$LAB_DIR/log/sender.log" > "$T_DIR/$mta.log"
}
mdaemon_start mta-a "$PA" && mdaemon_start mta-b "$PB" || finish
phase mta-a "$PA" "$PB" tls.example tls.example plain.example dane-ee.example enforce.sts.example
phase mta-b "$PB" "$PA" tls.example plain.example dane-ee.example dane-ee.example untrusted.sts.example
mdaemons_stop
lab sender-reset >/dev/null
n=$(mysql_root -N tlspolicy_test_tlsrpt -e "SELECT COUNT(*) FROM tlspolicy_tlsrpt_policies p
	JOIN tlspolicy_tlsrpt_policies q ON p.domain = q.domain AND p.day = q.day AND p.mta = 'mta-a' AND q.mta = 'mta-b'
	AND p.first_seen <= q.last_seen AND q.first_seen <= p.last_seen")
[ "${n:-0}" -ge 1 ] && ok "both daemons journaled the same domains over overlapping times ($n)" ||
	fail "the two daemons' journals do not overlap in time: ${n:-?}"
"$TLSPOLICY" -c "$T_DIR/mta-a.cf" tlsrpt collect "$T_DIR/mta-a.log" > "$T_DIR/ca.out" 2>&1 &
ca=$!
"$TLSPOLICY" -c "$T_DIR/mta-b.cf" tlsrpt collect "$T_DIR/mta-b.log" > "$T_DIR/cb.out" 2>&1 &
cb=$!
wait "$ca" || fail "collect mta-a: $(cat "$T_DIR/ca.out")"
wait "$cb" || fail "collect mta-b: $(cat "$T_DIR/cb.out")"
E2=(
	"tls.example:no-policy-found:3:0"
	"plain.example:no-policy-found:0:2:starttls-not-supported=2"
	"dane-ee.example:tlsa:3:0"
	"enforce.sts.example:sts:1:0"
	"untrusted.sts.example:sts:0:1:sts-webpki-invalid=1"
)
wait_reports() { # N: the rua Maildir holds N mails
	for _ in $(seq 1 60); do
		[ "$(find "$T_DIR/rua/new" -type f | wc -l)" -ge "$1" ] && break
		sleep 0.5
	done
	sleep 1
}
# one report run: one report per domain, the counts of both servers summed
outa=$(in_ns "$TLSPOLICY" -c "$T_DIR/mta-a.cf" tlsrpt report --day "$TODAY" --unfinished 2>&1)
[[ "$outa" == *"15 sent, 0 already"* ]] && ok "two servers: one run sends 15 reports" ||
	fail "two servers, one run: $outa"
wait_reports 5
$CHECK mail "$T_DIR/rua" "Lab Org (MariaDB)" "${E2[@]}" || fail "two servers: the mailed reports"
$CHECK https "$T_DIR/https" "Lab Org (MariaDB)" "${E2[@]}" || fail "two servers: the POSTed reports"
# two report runs racing (both servers' cron at the same minute): every
# report is sent exactly once between them
mysql_root tlspolicy_test_tlsrpt -e "DELETE FROM tlspolicy_tlsrpt_sent" || fail "reset the sent table"
find "$T_DIR/rua/new" "$T_DIR/https" -type f -delete
in_ns "$TLSPOLICY" -c "$T_DIR/mta-a.cf" tlsrpt report --day "$TODAY" --unfinished > "$T_DIR/ra.out" 2>&1 &
ra=$!
in_ns "$TLSPOLICY" -c "$T_DIR/mta-b.cf" tlsrpt report --day "$TODAY" --unfinished > "$T_DIR/rb.out" 2>&1 &
rb=$!
wait "$ra"; wait "$rb"
sa=$(sed -n 's/^\([0-9]*\) sent, \([0-9]*\) already.*/\1 \2/p' "$T_DIR/ra.out")
sb=$(sed -n 's/^\([0-9]*\) sent, \([0-9]*\) already.*/\1 \2/p' "$T_DIR/rb.out")
read -r sa1 sa2 <<< "${sa:-x x}"
read -r sb1 sb2 <<< "${sb:-x x}"
[ "$((sa1 + sb1))" = 15 ] && [ "$((sa2 + sb2))" = 15 ] &&
	ok "two racing report runs: $sa1 + $sb1 sent, $sa2 + $sb2 found claimed or sent" ||
	fail "racing report runs: a: $(tail -1 "$T_DIR/ra.out") / b: $(tail -1 "$T_DIR/rb.out")"
wait_reports 5
n=$(find "$T_DIR/rua/new" -type f | wc -l)
[ "$n" = 5 ] && ok "racing runs: 5 report mails, none twice" || fail "racing runs: $n report mails, want 5"
n=$(find "$T_DIR/https" -name '*.body' | wc -l)
[ "$n" = 5 ] && ok "racing runs: 5 HTTPS POSTs, none twice" || fail "racing runs: $n POSTs, want 5"
$CHECK mail "$T_DIR/rua" "Lab Org (MariaDB)" "${E2[@]}" || fail "racing runs: the mailed reports"
n=$(mysql_root -N tlspolicy_test_tlsrpt -e "SELECT COUNT(*) FROM tlspolicy_tlsrpt_sent WHERE state = 'sent'")
[ "$n" = 15 ] && ok "racing runs: 15 sent rows" || fail "racing runs: $n sent rows, want 15"
n=$(mysql_root -N tlspolicy_test_tlsrpt -e "SELECT COUNT(DISTINCT mta) FROM tlspolicy_tlsrpt_policies")
[ "$n" = 2 ] && ok "journal rows of both daemons in one MariaDB" || fail "journal: $n servers"
mysql_root -e "DROP DATABASE tlspolicy_test_tlsrpt"
finish
