#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-rollover.sh - a whole DANE key rollover of our own MX, guarded by
# `tlspolicy own deploy-check` / `own check`, with real nsd zone changes
# (tests/lab/zone-set: re-signed, reloaded, resolver flushed), a real
# Postfix receiver switching certificates (postconf -P + reload of the
# lab receiver's smtpd on 127.0.3.90) and the lab's real Postfix sender
# as the judge, at smtp_tls_security_level = dane-only:
#
#   own-roll.example (mx.own-roll.example, TLSA TTL 4 s).  Postfix's
#   smtp(8) caches a TLSA RRset for its TTL (tls_dane.c), so the sender
#   really needs the 2 x TTL the guard demands: the test waits them (8 s),
#   and uses --now only where no delivery depends on the clock.
#   0. current key published                    check ok        Verified
#   1. next key not published                   deploy-check 2  Verified
#      (the exact zone line of the next key's 3 1 1 is printed)
#   2. next key published, first seen T0:
#        at T0 and with --now T0+5 (< 2 x TTL)  deploy-check 2  Verified
#   3.   at T0+8 (2 x TTL, real time)           deploy-check 0
#   4. receiver switched to the next key        check: current ok, the
#                                               old record stale, "remove
#                                               it after"              Verified
#   5. --now 2 x TTL after the switch           check: "safe to remove"
#      old record removed                       check ok, exit 0   Verified
#      (own tlsa --probe now gives the next key's digest = openssl's)
#   RSA + ECDSA: the receiver also serves an RSA certificate; own tlsa
#      --probe shows both keys, own check calls the RSA key an outage
#      until its 3 1 1 is published
#
#   own-out.example (the same run with the pre-publication skipped)
#   0. current key published                    check ok        Verified
#   1. next key not published                   deploy-check 2 (refuses)
#   2. switched anyway                          check 2 "OUTAGE NOW"
#                                               and the sender defers
#                                               ("Server certificate not
#                                               verified"): the guard was right
#
# The timing facts (first seen) come from the tlspolicy_own table (a
# SQLite file here).  Needs the lab ($LAB_DIR/env): without it exit 77,
# or fail when CI is set.  Every change (TLSA RRsets, receiver
# certificates, sender level, queue) is undone on exit.

# shellcheck source=tests/dane/lab-lib.sh
. "$(dirname "$0")/../dane/lab-lib.sh"

CA=$LAB_CERT_DIR
TTL=4
R=$LAB_RECEIVER_CONFIG
CF=$T_DIR/own.cf
{
	echo "database = sqlite:$T_DIR/own.db"
	echo "dns_trust_anchor_file = $LAB_TRUST_ANCHOR"
	echo "dns_resolvers = $LAB_RESOLVER"
	echo "https_ca_file = $LAB_CA_FILE"
} >"$CF"
"$TLSPOLICY" -c "$CF" db init >/dev/null || { fail "db init"; finish; }

spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -r | awk '{print $1}'; }
ROLL_CUR=$(spki "$CA/own-roll-cur.crt")
ROLL_NEXT=$(spki "$CA/own-roll-next.crt")
OUT_CUR=$(spki "$CA/own-out-cur.crt")
OUT_NEXT=$(spki "$CA/own-out-next.crt")

# serve ADDR CERT: the receiver's smtpd on ADDR serves CERT from now on
serve() {
	postconf -c "$R" -P "$1:25/inet/smtpd_tls_cert_file=$CA/$2.chain.pem" \
		"$1:25/inet/smtpd_tls_key_file=$CA/$2.key" &&
	in_ns postfix -c "$R" reload >/dev/null 2>&1 || fail "receiver: cannot switch $1 to $2"
	# the new smtpd serves the new certificate
	for _ in $(seq 50); do
		got=$(echo | in_ns timeout 5 openssl s_client -starttls smtp -connect "$1:25" 2>/dev/null |
			openssl x509 -pubkey -noout 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null |
			openssl dgst -sha256 -r | awk '{print $1}')
		[ "$got" = "$(spki "$CA/$2.crt")" ] && return 0
		sleep 0.2
	done
	fail "receiver $1 does not serve $2"
}
restore() {
	postconf -c "$R" -PX "127.0.3.90:25/inet/smtpd_tls_chain_files" 2>/dev/null
	serve 127.0.3.90 own-roll-cur
	serve 127.0.3.91 own-out-cur
	lab zone-set _25._tcp.mx.own-roll.example TLSA $TTL "3 1 1 $ROLL_CUR" >/dev/null 2>&1
	lab zone-set _25._tcp.mx.own-out.example TLSA $TTL "3 1 1 $OUT_CUR" >/dev/null 2>&1
	lab sender-reset -d >/dev/null 2>&1
}
T_CLEANUP_EXTRA='restore'

# own CMD ARGS: tlspolicy own CMD in the namespace; $RC, $T_DIR/out
own() {
	local cmd=$1
	shift
	in_ns "$TLSPOLICY" -c "$CF" own "$cmd" "$@" >"$T_DIR/out" 2>&1
	RC=$?
}
expect_rc() { [ "$RC" = "$1" ] && ok "$2: exit $RC" || { fail "$2: exit $RC, want $1"; sed 's/^/    /' "$T_DIR/out" >&2; }; }
expect_out() { grep -qF -- "$1" "$T_DIR/out" && ok "$2" || { fail "$2: output lacks: $1"; sed 's/^/    /' "$T_DIR/out" >&2; }; }

# deliver DOMAIN sent|deferred WHAT: one message through the lab's sender
deliver() {
	local d=$1 want=$2 off q
	off=$(lab log-offset)
	if ! q=$(lab send me@lab.example "you@$d" "$3"); then
		fail "$3: could not submit"
		return
	fi
	if [ "$want" = sent ]; then
		if lab wait-log -s "$off" "$q: to=<you@$d>.*status=sent" 60 >/dev/null &&
		   lab wait-log -s "$off" "Verified TLS connection established to mx\\.${d//./\\.}\\[" 5 >/dev/null; then
			ok "$3: delivered, Verified (dane-only)"
		else
			fail "$3: not delivered Verified"
			tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | tail -5 >&2
		fi
	else
		if lab wait-log -s "$off" "$q: to=<you@$d>.*status=deferred \\(Server certificate not verified" 60 >/dev/null; then
			ok "$3: deferred by the sender (Server certificate not verified)"
		else
			fail "$3: not deferred"
			tail -c +"$((off + 1))" "$LAB_SENDER_LOG" | tail -5 >&2
		fi
		lab flush -d >/dev/null 2>&1
	fi
}

lab sender-set 'smtp_tls_security_level = dane-only' >/dev/null || fail "sender-set dane-only"
restore
lab sender-set 'smtp_tls_security_level = dane-only' >/dev/null || fail "sender-set dane-only"
NEXT=$CA/own-roll-next.chain.pem
D=own-roll.example

# --- 0. current key published -------------------------------------------
own check --only dane "$D"
expect_rc 0 "0. current key published"
expect_out "published (3 1 1 $ROLL_CUR)" "0. the probe's key matches the record"
deliver "$D" sent "0. before the rollover"
# the TTL is the zone's, not the resolver's counted-down one: a fresh
# database, the RRset cached by the resolver 2 s ago
"$TLSPOLICY" --db "sqlite:$T_DIR/fresh.db" db init >/dev/null
in_ns dig +short @"$LAB_RESOLVER" _25._tcp.mx.own-roll.example TLSA >/dev/null
sleep 2
own check --db "sqlite:$T_DIR/fresh.db" --only dane "$D"
expect_out "TTL $TTL, DNSSEC secure" "0. the zone's TTL (RRSIG original TTL), not the cache's"

# --- 1. next key not published: deploy-check refuses ----------------------
own deploy-check --next "$NEXT" "$D"
expect_rc 2 "1. deploy-check before pre-publication"
expect_out "_25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_NEXT" "1. the record to publish, exactly"
expect_out "NOT published: not safe to switch" "1. says not safe"
deliver "$D" sent "1. next key not yet published"

# --- 2. next key published, younger than 2 x TTL --------------------------
lab zone-set _25._tcp.mx.own-roll.example TLSA $TTL "3 1 1 $ROLL_CUR" "3 1 1 $ROLL_NEXT" >/dev/null ||
	fail "zone-set: publish the next key"
T0=$(date +%s)
own deploy-check --next "$NEXT" "$D"
expect_rc 2 "2. next published, first seen now"
expect_out "not safe to switch before" "2. says when"
own deploy-check --next "$NEXT" --now "$((T0 + 2 * TTL - 3))" "$D"
expect_rc 2 "2. next published $((2 * TTL - 3)) s ago (< 2 x TTL = $((2 * TTL)) s)"
deliver "$D" sent "2. both keys published, old key served"

# --- 3. old enough (real time: the sender's TLSA cache must expire too) ----
while [ "$(date +%s)" -lt "$((T0 + 2 * TTL + 2))" ]; do sleep 0.5; done
own deploy-check --next "$NEXT" "$D"
expect_rc 0 "3. next published for 2 x TTL"
expect_out "safe to switch" "3. says safe"
expect_out "deploy-check: safe to deploy the next key" "3. summary line"

# --- 4. switched ---------------------------------------------------------
serve 127.0.3.90 own-roll-next
own check --only dane "$D"
expect_rc 1 "4. switched: the old record is stale (warning)"
expect_out "published (3 1 1 $ROLL_NEXT)" "4. the new key in service is published"
expect_out "remove it after" "4. not yet safe to remove the old record"
expect_out "delete: _25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_CUR" "4. the record to delete"
deliver "$D" sent "4. switched to the next key"

# --- 5. stale record removed ---------------------------------------------
own check --only dane --now "+$((2 * TTL + 1))s" "$D"
expect_out "safe to remove" "5. 2 x TTL after the switch: safe to remove"
lab zone-set _25._tcp.mx.own-roll.example TLSA $TTL "3 1 1 $ROLL_NEXT" >/dev/null ||
	fail "zone-set: remove the old record"
own check --only dane --now "+$((2 * TTL + 2))s" "$D"
expect_rc 0 "5. old record removed: all ok"
[ "$(sqlite3 "$T_DIR/own.db" "SELECT count(*) FROM tlspolicy_own WHERE subject = '_25._tcp.mx.own-roll.example' AND fact = 'tlsa 3 1 1 $ROLL_CUR'")" = 0 ] &&
	ok "5. the removed record's first-seen fact is gone" || fail "5. stale fact kept"
deliver "$D" sent "5. after the rollover"
own tlsa --probe --ttl $TTL mx.own-roll.example
expect_out "_25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_NEXT" "5. own tlsa --probe = openssl's digest of the served key"

# --- RSA and ECDSA: the server gets a second (RSA) certificate -----------
# A DANE sender that takes only RSA signatures gets the RSA chain: its key
# needs a record too.  The probe shows both keys (a handshake offering
# only the other signature type), the check calls the unpublished one an
# outage, and publishing its 3 1 1 makes it ok.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T_DIR/rsa.key" -subj /CN=mx.own-roll.example \
	-out "$T_DIR/rsa.csr" >/dev/null 2>&1 &&
printf 'subjectAltName=DNS:mx.own-roll.example\n' >"$T_DIR/san.ext" &&
openssl x509 -req -in "$T_DIR/rsa.csr" -CA "$CA/ca-issuing.crt" -CAkey "$CA/ca-issuing.key" \
	-CAcreateserial -CAserial "$T_DIR/ca.srl" -days 30 -extfile "$T_DIR/san.ext" \
	-out "$T_DIR/rsa.crt" >/dev/null 2>&1 &&
cat "$T_DIR/rsa.crt" "$CA/ca-issuing.crt" >"$T_DIR/rsa.chain.pem" || fail "RSA certificate"
chmod 755 "$T_DIR"
ROLL_RSA=$(spki "$T_DIR/rsa.crt")
postconf -c "$R" -P "127.0.3.90:25/inet/smtpd_tls_chain_files=$CA/own-roll-next.key,$CA/own-roll-next.chain.pem,$T_DIR/rsa.key,$T_DIR/rsa.chain.pem" &&
	in_ns postfix -c "$R" reload >/dev/null 2>&1 || fail "receiver: RSA + ECDSA"
sleep 1
own tlsa --probe --ttl $TTL mx.own-roll.example
expect_out "_25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_NEXT" "RSA+ECDSA: own tlsa --probe shows the ECDSA key"
expect_out "_25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_RSA" "RSA+ECDSA: own tlsa --probe shows the RSA key (= openssl)"
own check --only dane "$D"
expect_rc 2 "RSA+ECDSA: the RSA key has no record"
expect_out "OUTAGE NOW: the RSA 2048 key" "RSA+ECDSA: the RSA key is named"
expect_out "_25._tcp.mx.own-roll.example. $TTL IN TLSA 3 1 1 $ROLL_RSA" "RSA+ECDSA: its record to publish"
lab zone-set _25._tcp.mx.own-roll.example TLSA $TTL "3 1 1 $ROLL_NEXT" "3 1 1 $ROLL_RSA" >/dev/null ||
	fail "zone-set: publish the RSA key"
own check --only dane "$D"
expect_rc 0 "RSA+ECDSA: both keys published"
postconf -c "$R" -PX "127.0.3.90:25/inet/smtpd_tls_chain_files" && in_ns postfix -c "$R" reload >/dev/null 2>&1

# --- the same run with the pre-publication skipped: the outage -----------
D=own-out.example
own check --only dane "$D"
expect_rc 0 "outage run: current key published"
deliver "$D" sent "outage run: before the switch"
own deploy-check --next "$CA/own-out-next.chain.pem" "$D"
expect_rc 2 "outage run: deploy-check refuses"
expect_out "_25._tcp.mx.own-out.example. $TTL IN TLSA 3 1 1 $OUT_NEXT" "outage run: names the record"
serve 127.0.3.91 own-out-next
own check --only dane "$D"
expect_rc 2 "outage run: switched without pre-publication"
expect_out "OUTAGE NOW" "outage run: the guard reports the outage"
deliver "$D" deferred "outage run: after the switch"

finish
