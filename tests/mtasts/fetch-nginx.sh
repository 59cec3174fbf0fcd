#!/bin/bash
# SPDX-License-Identifier: MIT
# fetch-nginx.sh - the MTA-STS fetcher (src/mtasts/sts_fetch.c) against a
# real nginx on 127.0.0.1 (ports STS_TEST_PORT .. +15, by default 16
# consecutive free ports from tests/lib/free-port), a
# dripping server and a CONNECT proxy (python3), with a test CA made here
# by openssl.
#
# Scenarios: good policy (LF and CRLF), exactly 64 KiB, empty 200 body,
# untrusted issuer, expired certificate, name mismatch, 301, 404, wrong
# Content-Type, body over 64 KiB (with and without Content-Length), the
# drip server (timeout), a closed port, all of them at once on one loop,
# one at a time (the parallel limit), https_proxy and no_proxy.  Every
# request goes to mta-sts.<name>.test:443, sent to the local port by
# CONNECT_TO, so SNI and the certificate check are the real ones; except
# the policy host addresses from a dns context (sts_fetch_opts.dns, as
# the daemon resolves them): answers from a replay file, the fallback to
# libcurl's resolver, a resolver that never answers (the transfer's
# timeout covers resolving), cancelling while resolving, and a proxy.
#
# Usage: fetch-nginx.sh FETCH_TOOL  (BUILDDIR/tests/mtasts/sts_fetch_tool)
# Env: STS_FETCH_WRAP (e.g. "valgrind -q --error-exitcode=99
# --leak-check=full"), CI (missing tools fail instead of skip).
set -u
TOOL=${1:?usage: fetch-nginx.sh FETCH_TOOL}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BASE=${STS_TEST_PORT:-$("$SRCDIR/tests/lib/free-port" --block 16)} || { echo "FAIL: no 16 free ports"; exit 1; }
fails=0
checks=0

skip_or_fail() {
    if [ -n "${CI:-}" ]; then echo "FAIL (CI is set): $*"; exit 1; fi
    echo "SKIP: $*"
    exit 77
}
ok()    { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }

for t in nginx openssl python3; do
    command -v "$t" >/dev/null || skip_or_fail "$t not installed (scripts/install-deps)"
done
[ -x "$TOOL" ] || { echo "no fetch tool $TOOL"; exit 1; }
TOOL=$(realpath "$TOOL")

TMP=$(mktemp -d /tmp/tlspolicy-sts-fetch.XXXXXX)
chmod 755 "$TMP"
NGINX_PID=""
DRIP_PID=""
EOF_PID=""
PROXY_PID=""
HOLE_PID=""
cleanup() {
    [ -n "$HOLE_PID" ] && kill "$HOLE_PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
    [ -n "$DRIP_PID" ] && kill "$DRIP_PID" 2>/dev/null
    [ -n "$EOF_PID" ] && kill "$EOF_PID" 2>/dev/null
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# Ports must be free (another test, another helper).
for i in $(seq 0 15); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((BASE + i))") 2>/dev/null; then
        skip_or_fail "port $((BASE + i)) is in use (set STS_TEST_PORT)"
    fi
done

# --- certificates ---------------------------------------------------------
cd "$TMP" || exit 1
mkdir -p ca/newcerts www
: > ca/index.txt
echo 1000 > ca/serial
cat > ca/ca.cnf <<'EOF'
[ ca ]
default_ca = testca
[ testca ]
dir = .
database = ca/index.txt
new_certs_dir = ca/newcerts
serial = ca/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = CA:false
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
EOF
mkca() { # NAME
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.crt" -days 30 -subj "/CN=$1" \
        -addext "basicConstraints=critical,CA:true" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkleaf() { # NAME SAN CA [START END]
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2" 2>/dev/null
    local dates=(-days 30)
    [ $# -ge 5 ] && dates=(-startdate "$4" -enddate "$5")
    openssl ca -batch -config ca/ca.cnf -extensions leaf -cert "$3.crt" \
        -keyfile "$3.key" -in "$1.csr" -out "$1.crt" "${dates[@]}" \
        -notext 2>/dev/null
}
mkca testca && mkca otherca || { echo "openssl failed"; exit 1; }
for n in good crlf exact empty redirect notfound ctype big bigchunked; do
    mkleaf "$n" "mta-sts.$n.test" testca || { echo "openssl failed"; exit 1; }
done
mkleaf untrusted mta-sts.untrusted.test otherca
mkleaf expired mta-sts.expired.test testca 20200101000000Z 20200201000000Z
mkleaf mismatch mta-sts.somewhere-else.test testca
mkleaf drip mta-sts.drip.test testca
mkleaf lh localhost testca
for f in good crlf exact empty redirect notfound ctype big bigchunked untrusted \
         expired mismatch drip lh; do
    [ -s "$f.crt" ] || { echo "certificate $f missing"; exit 1; }
done

# --- content ----------------------------------------------------------------
printf 'version: STSv1\nmode: enforce\nmx: mx1.good.test\nmx: *.good.test\nmax_age: 86400\n' > www/good.txt
printf 'version: STSv1\r\nmode: testing\r\nmx: mx.crlf.test\r\nmax_age: 600\r\n' > www/crlf.txt
printf 'version: STSv1\nmode: enforce\nmx: mx.exact.test\nmax_age: 60\n' > www/exact.txt
head -c "$((65536 - $(wc -c < www/exact.txt)))" /dev/zero | tr '\0' '\n' >> www/exact.txt
: > www/empty.txt
{ printf 'version: STSv1\nmode: enforce\nmx: mx.big.test\nmax_age: 60\n'
  head -c 70000 /dev/zero | tr '\0' '\n'; } > www/big.txt
printf 'version: STSv1\nmode: enforce\nmx: mx.drip.test\nmax_age: 60\n' > www/drip.txt
[ "$(wc -c < www/exact.txt)" = 65536 ] || { echo "exact.txt is not 64 KiB"; exit 1; }

# --- nginx ------------------------------------------------------------------
p() { echo $((BASE + $1)); }
server() { # INDEX NAME CERT BODY-DIRECTIVES
    cat <<EOF
    server {
        listen 127.0.0.1:$(p "$1") ssl;
        server_name mta-sts.$2.test;
        ssl_certificate $TMP/$3.crt;
        ssl_certificate_key $TMP/$3.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location = /.well-known/mta-sts.txt {
$4
        }
        location / { return 404; }
    }
EOF
}
{
cat <<EOF
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
worker_processes 1;
user nobody nogroup;
events { worker_connections 64; }
http {
    log_format sts '\$server_name "\$request" \$status cc=\$http_cache_control';
    access_log $TMP/nginx-access.log sts;
    client_body_temp_path $TMP/body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    default_type application/octet-stream;
    types { }
EOF
server 0 good good "            default_type text/plain; alias $TMP/www/good.txt;"
server 1 crlf crlf "            default_type \"text/plain; charset=utf-8\"; alias $TMP/www/crlf.txt;"
server 2 exact exact "            default_type text/plain; alias $TMP/www/exact.txt;"
server 3 empty empty "            default_type text/plain; alias $TMP/www/empty.txt;"
server 4 untrusted untrusted "            default_type text/plain; alias $TMP/www/good.txt;"
server 5 expired expired "            default_type text/plain; alias $TMP/www/good.txt;"
server 6 mismatch mismatch "            default_type text/plain; alias $TMP/www/good.txt;"
server 7 redirect redirect "            return 301 https://mta-sts.good.test/.well-known/mta-sts.txt;"
server 8 notfound notfound "            return 404;"
server 9 ctype ctype "            default_type text/html; alias $TMP/www/good.txt;"
server 10 big big "            default_type text/plain; alias $TMP/www/big.txt;"
server 15 localhost lh "            default_type text/plain; alias $TMP/www/good.txt;"
echo "}"
} > nginx.conf
nginx -t -q -c "$TMP/nginx.conf" -p "$TMP" 2>"$TMP/nginx-t.log" ||
    { echo "nginx config rejected:"; cat "$TMP/nginx-t.log"; exit 1; }
nginx -c "$TMP/nginx.conf" -p "$TMP" -g 'daemon off;' 2>>"$TMP/nginx-error.log" &
NGINX_PID=$!

python3 "$SRCDIR/tests/lab/drip.py" 127.0.0.1 "$(p 12)" "$TMP/drip.crt" "$TMP/drip.key" \
    "$TMP/www/drip.txt" > "$TMP/drip.log" 2>&1 &
DRIP_PID=$!

# A body of 70 KB without Content-Length (ended by closing the
# connection): only the running count can stop it.
cat > eof.py <<'EOF'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    raw, _ = s.accept()
    try:
        c = ctx.wrap_socket(raw, server_side=True)
        req = b""
        while b"\r\n\r\n" not in req:
            d = c.recv(4096)
            if not d:
                break
            req += d
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                  + b"version: STSv1\n" + b"\n" * 70000)
        c.close()
    except (OSError, ssl.SSLError):
        pass
EOF
python3 eof.py "$(p 11)" "$TMP/bigchunked.crt" "$TMP/bigchunked.key" > "$TMP/eof.log" 2>&1 &
EOF_PID=$!

# Wait for each server to listen (up to 20 s on a loaded machine); a
# server that died or never listens fails here, with its log, instead of
# as a wrong answer of some later check.
wait_listen() { # PORT-INDEX PID NAME LOG
    local n
    for n in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$(p "$1")") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: $3 does not listen on port $(p "$1") (after $n tries):"; cat "$4"
    exit 1
}
wait_listen 0 "$NGINX_PID" nginx "$TMP/nginx-error.log"
wait_listen 11 "$EOF_PID" "eof.py (bigchunked)" "$TMP/eof.log"
wait_listen 12 "$DRIP_PID" "drip.py" "$TMP/drip.log"

# CONNECT_TO for every scenario host; port 13 stays closed.
X=""
i=0
for n in good crlf exact empty untrusted expired mismatch redirect notfound ctype big \
         bigchunked drip closed; do
    X="$X${X:+,}mta-sts.$n.test:443:127.0.0.1:$(p $i)"
    i=$((i + 1))
done

fetch() { ${STS_FETCH_WRAP:-} "$TOOL" -C "$TMP/testca.crt" -x "$X" "$@"; }
u() { echo "https://mta-sts.$1.test/.well-known/mta-sts.txt"; }

# expect NAME GLOB [TOOL-ARGS...] URL: one fetch (by $FETCH, default
# fetch), its line must match GLOB.
expect() {
    local name=$1 glob=$2 out rc
    shift 2
    out=$("${FETCH:-fetch}" "$@" 2>"$TMP/stderr") && rc=0 || rc=$?
    if [ $rc != 0 ]; then
        notok "$name: exit $rc: $(cat "$TMP/stderr")"
    elif [[ "$out" == $glob ]]; then
        ok "$name: $out"
    else
        notok "$name: got \"$out\", want $glob"
    fi
}

G=$(u good)
NG=$(wc -c < "$TMP/www/good.txt")
NC=$(wc -c < "$TMP/www/crlf.txt")
expect "good policy" "$G ok 200 $NG enforce 86400 mx1.good.test,\*.good.test" "$G"
expect "good policy via domain" "domain:good.test ok 200 $NG enforce 86400 mx1.good.test,\*.good.test" domain:good.test
expect "CRLF, charset parameter" "$(u crlf) ok 200 $NC testing 600 mx.crlf.test" "$(u crlf)"
expect "body of exactly 64 KiB" "$(u exact) ok 200 65536 enforce 60 mx.exact.test" "$(u exact)"
expect "empty body" "$(u empty) invalid 200 0 empty policy" "$(u empty)"
expect "untrusted issuer" "$(u untrusted) fail 0 certificate not accepted: *unable to get local issuer certificate*" "$(u untrusted)"
expect "expired certificate" "$(u expired) fail 0 certificate not accepted: *certificate has expired*" "$(u expired)"
expect "name mismatch" "$(u mismatch) fail 0 certificate not accepted: *mta-sts.mismatch.test*" "$(u mismatch)"
expect "301 not followed" "$(u redirect) fail 301 HTTP status 301 (redirects are not followed)" "$(u redirect)"
expect "404" "$(u notfound) fail 404 HTTP status 404" "$(u notfound)"
expect "wrong content type" "$(u ctype) fail 200 Content-Type \"text/html\", text/plain required" "$(u ctype)"
expect "body over 64 KiB (Content-Length)" "$(u big) fail 200 body larger than 65536 bytes*" "$(u big)"
expect "body over 64 KiB (no Content-Length)" "$(u bigchunked) fail 200 body larger than 65536 bytes" "$(u bigchunked)"
expect "closed port" "https://mta-sts.closed.test/.well-known/mta-sts.txt fail 0 Couldn't connect to server*" \
    https://mta-sts.closed.test/.well-known/mta-sts.txt
expect "system CA store does not know the test CA" "$G fail 0 certificate not accepted: *" -C /etc/ssl/certs/ca-certificates.crt "$G"
expect "not https" "http://mta-sts.good.test/ fail 0 not an https URL: http://mta-sts.good.test/" http://mta-sts.good.test/

# --- policy hosts resolved through a dns context (issue 20) ---------------
# No CONNECT_TO here: the only way to the local nginx for a .test name is
# the address the dns context gives (-r: a replay file).  The same fetch
# without the context fails, which shows the address came from it.
cat > hosts.rpl <<EOF
query mta-sts.good.test A insecure data
  A 127.0.0.1
query mta-sts.good.test AAAA insecure nodata
query mta-sts.crlf.test A secure data
  A 127.0.0.1
query mta-sts.crlf.test AAAA secure data
  AAAA ::1
query mta-sts.untrusted.test A bogus data why=signature expired
  A 127.0.0.1
query mta-sts.untrusted.test AAAA bogus servfail why=signature expired
query localhost A insecure nxdomain
query localhost AAAA insecure nxdomain
EOF
dfetch() { ${STS_FETCH_WRAP:-} "$TOOL" -C "$TMP/testca.crt" "$@"; }
dexpect() { FETCH=dfetch expect "$@"; } # as expect, without CONNECT_TO
# silent_dns PORT: a UDP "resolver" on 127.0.0.1:PORT that never answers
# (exec: run with &, $! is python itself, so kill stops it)
silent_dns() {
    exec python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(120)' "$1"
}
DG="https://mta-sts.good.test:$(p 0)/.well-known/mta-sts.txt"
DC="https://mta-sts.crlf.test:$(p 1)/.well-known/mta-sts.txt"
DU="https://mta-sts.untrusted.test:$(p 0)/.well-known/mta-sts.txt"
DL="https://localhost:$(p 15)/.well-known/mta-sts.txt"
dexpect "dns context: the address from its A answer" "$DG ok 200 $NG enforce 86400 *" -r hosts.rpl "$DG"
dexpect "without the dns context the name does not resolve" "$DG fail 0 *resolve*" "$DG"
dexpect "dns context: A and AAAA (IPv6 written as libcurl wants it)" "$DC ok 200 $NC testing 600 *" -r hosts.rpl "$DC"
dexpect "dns context: a bogus answer's address is not used" "$DU fail 0 *resolve*" -r hosts.rpl "$DU"
dexpect "dns context without an address: libcurl resolves (localhost)" "$DL ok 200 $NG enforce 86400 *" -r hosts.rpl "$DL"
dexpect "dns context: a name the replay lacks falls back to libcurl" "$DL ok 200 $NG *" -r /dev/null "$DL"
# A resolver that never answers: the transfer's timeout (1.5 s, below
# dns_timeout's 5 s) ends the resolving; cancelling while resolving
# leaves no query behind.
silent_dns "$(p 13)" &
HOLE_PID=$!
T=1500
[ -n "${STS_FETCH_WRAP:-}" ] && T=8000
dexpect "resolver that never answers: https_timeout covers resolving" \
    "$DG fail 0 timed out after $T ms (resolving the host)" -R "127.0.0.1@$(p 13)" -t $T "$DG"
# A hosts file answers before the silent resolver (-H, as the daemon's
# policy-host context reads /etc/hosts).
printf '127.0.0.1 mta-sts.good.test\n' > hosts
dexpect "dns context with a hosts file: the address from it" "$DG ok 200 $NG *" \
    -R "127.0.0.1@$(p 13)" -H "$TMP/hosts" -t $T "$DG"
kill "$HOLE_PID" 2>/dev/null
wait "$HOLE_PID" 2>/dev/null
# A resolver that answers A at once and AAAA never: the fetch goes ahead
# over the A after RFC 8305's resolution delay (50 ms), well within a
# timeout (3 s) shorter than dns_timeout (5 s), which waiting for the
# AAAA would have run out.
python3 "$SRCDIR/tests/mtasts/dns-a-only.py" "$(p 13)" 127.0.0.1 &
HOLE_PID=$!
sleep 0.3
T3=3000
[ -n "${STS_FETCH_WRAP:-}" ] && T3=4500
dexpect "A at once, AAAA never: fetched over the A" "$DG ok 200 $NG *" -R "127.0.0.1@$(p 13)" -t $T3 "$DG"
kill "$HOLE_PID" 2>/dev/null
wait "$HOLE_PID" 2>/dev/null
silent_dns "$(p 13)" &
HOLE_PID=$!
sleep 0.3
out=$(dfetch -R "127.0.0.1@$(p 13)" -t 20000 -k 300 "$DG" "$DC" 2>"$TMP/stderr")
if [ "$out" = "$(printf '%s cancelled\n%s cancelled' "$DG" "$DC")" ]; then ok "cancelled while resolving, no query left"
else notok "cancel while resolving: $out $(cat "$TMP/stderr")"; fi
kill "$HOLE_PID" 2>/dev/null

# The drip server sends one byte a second: the timeout ends it.  Under
# a slow wrapper (valgrind) the timeout is longer and not timed.
T=2000
[ -n "${STS_FETCH_WRAP:-}" ] && T=15000
t0=$(date +%s%N)
expect "drip server times out" "$(u drip) fail 200 timed out after $T ms*" -t $T "$(u drip)"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
if [ -n "${STS_FETCH_WRAP:-}" ]; then :
elif [ "$ms" -ge 1900 ] && [ "$ms" -lt 4500 ]; then ok "drip: ended after $ms ms"
else notok "drip: ended after $ms ms, want about 2000"; fi

# Everything at once on one loop: each result lands on its own line.
all=$(fetch -t $T "$G" "$(u untrusted)" "$(u redirect)" "$(u drip)" "$(u big)" "$(u crlf)" \
      "$(u notfound)" "$(u exact)" 2>"$TMP/stderr")
want=("$G ok 200 $NG *" "$(u untrusted) fail 0 *" "$(u redirect) fail 301 *" \
      "$(u drip) fail 200 timed out*" "$(u big) fail 200 body larger*" "$(u crlf) ok 200 $NC *" \
      "$(u notfound) fail 404 *" "$(u exact) ok 200 65536 *")
i=0
good_all=1
while IFS= read -r line; do
    # shellcheck disable=SC2053
    [[ "$line" == ${want[$i]:-NOTHING} ]] || { good_all=0; echo "# line $i: $line"; }
    i=$((i + 1))
done <<< "$all"
if [ $good_all = 1 ] && [ $i = ${#want[@]} ]; then ok "8 fetches at once"
else notok "8 fetches at once: $all"; fi

# issue 13: the Prometheus counter of fetch results by error type
# (tlspolicy_mtasts_fetches_total{result}) sees each of these once
got=$(fetch -m -t $T "$(u untrusted)" "$(u redirect)" "$(u drip)" "$(u big)" "$(u crlf)" \
      "$(u notfound)" "$(u exact)" "$(u bigchunked)" "$(u ctype)" \
      https://mta-sts.closed.test/.well-known/mta-sts.txt 2>"$TMP/stderr" | tail -n 1)
want="metrics ok=2 http=3 tls=1 timeout=1 too_large=2 network=1"
if [ "$got" = "$want" ]; then ok "fetch results by error type: $got"
else notok "fetch results by error type: got \"$got\", want \"$want\""; fi

# One transfer at a time: the drip holds the only slot, the others wait
# for it (their timeout starts when they start) and all succeed.
t0=$(date +%s%N)
all=$(fetch -p 1 -t $T "$(u drip)" "$G" "$(u crlf)" "$(u exact)" 2>"$TMP/stderr")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
want=("$(u drip) fail 200 timed out*" "$G ok 200 $NG *" "$(u crlf) ok 200 $NC *" "$(u exact) ok 200 65536 *")
i=0
good_all=1
while IFS= read -r line; do
    # shellcheck disable=SC2053
    [[ "$line" == ${want[$i]:-NOTHING} ]] || { good_all=0; echo "# line $i: $line"; }
    i=$((i + 1))
done <<< "$all"
if [ $good_all = 1 ] && [ $i = ${#want[@]} ] && [ "$ms" -ge "$T" ]; then
    ok "one at a time: the drip's timeout did not touch the waiting three ($ms ms)"
else notok "one at a time ($ms ms): $all"; fi

# https_proxy from the environment is honoured as by curl: a CONNECT
# proxy (port 14) that logs the request line and tunnels to nginx's
# good host whatever was asked.
cat > proxy.py <<'EOF'
import socket, sys, threading
port, target, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
def pipe(a, b):
    try:
        while True:
            d = a.recv(16384)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break
        req += d
    if not req:  # a port probe
        c.close()
        continue
    with open(log, "a") as f:
        f.write(req.split(b"\r\n")[0].decode(errors="replace") + "\n")
    u = socket.create_connection(("127.0.0.1", target))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOF
python3 proxy.py "$(p 14)" "$(p 0)" "$TMP/proxy.log" > "$TMP/proxy.out" 2>&1 &
PROXY_PID=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$(p 14)") 2>/dev/null && break
    sleep 0.1
done
: > "$TMP/proxy.log"
out=$(https_proxy="http://127.0.0.1:$(p 14)" ${STS_FETCH_WRAP:-} "$TOOL" -C "$TMP/testca.crt" "$G" 2>&1)
if [[ "$out" == "$G ok 200 $NG enforce 86400 "* ]] &&
   [ "$(grep -c '^CONNECT mta-sts.good.test:443 HTTP/1.1$' "$TMP/proxy.log")" = 1 ]; then
    ok "https_proxy: fetched through the proxy ($(grep CONNECT "$TMP/proxy.log"))"
else
    notok "https_proxy: $out; proxy saw: $(cat "$TMP/proxy.log")"
fi
# With a dns context the proxy still gets the name (CONNECT by name, no
# address looked up here): the replay would send the fetch elsewhere.
: > "$TMP/proxy.log"
out=$(https_proxy="http://127.0.0.1:$(p 14)" ${STS_FETCH_WRAP:-} "$TOOL" -C "$TMP/testca.crt" -r hosts.rpl "$G" 2>&1)
if [[ "$out" == "$G ok 200 $NG enforce 86400 "* ]] &&
   [ "$(grep -c '^CONNECT mta-sts.good.test:443 HTTP/1.1$' "$TMP/proxy.log")" = 1 ]; then
    ok "https_proxy with a dns context: the proxy resolves"
else
    notok "https_proxy with a dns context: $out; proxy saw: $(cat "$TMP/proxy.log")"
fi
out=$(https_proxy="http://127.0.0.1:$(p 14)" no_proxy=mta-sts.good.test ${STS_FETCH_WRAP:-} \
      "$TOOL" -C "$TMP/testca.crt" -x "$X" "$G" 2>&1)
if [[ "$out" == "$G ok 200 "* ]] && [ "$(grep -c CONNECT "$TMP/proxy.log")" = 1 ]; then
    ok "no_proxy: the proxy was not used"
else
    notok "no_proxy: $out; proxy saw: $(cat "$TMP/proxy.log")"
fi

# Every request said "Cache-Control: no-cache"; the 301 was not
# followed (nginx saw no request for the good host from the redirect).
n_all=$(grep -c 'mta-sts.txt' "$TMP/nginx-access.log")
n_nc=$(grep -c 'mta-sts.txt.* cc=no-cache$' "$TMP/nginx-access.log")
if [ "$n_all" -gt 13 ] && [ "$n_all" = "$n_nc" ]; then ok "$n_all requests, all with Cache-Control: no-cache"
else notok "Cache-Control: $n_nc of $n_all requests"; fi
n_good=$(grep -c '^mta-sts.good.test ' "$TMP/nginx-access.log")
if [ "$n_good" = 10 ]; then ok "the redirect target was never requested"
else notok "mta-sts.good.test got $n_good requests, want 10"; fi

echo "$checks checks, $fails failed"
[ $fails = 0 ]
