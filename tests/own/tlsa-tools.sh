#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsa-tools.sh - `tlspolicy own tlsa` against ldns-dane and openssl for
# the same keys (issue 12 item 1): keys made here with openssl (an ECDSA
# root, an RSA intermediate CA, an RSA leaf and an ECDSA leaf for the same
# host, a next key that is only a private key, and one that is only a
# public key), then
#   - 3 1 1 of each leaf certificate = `ldns-dane -c CERT create HOST 25 3 1 1`
#   - 2 1 1 of the issuing CA (from the chain file) = `ldns-dane -o 0 -c
#     CHAIN create HOST 25 2 1 1` = openssl's SHA-256 of the CA's DER SPKI
#   - 3 1 1 of the next keys = openssl's SHA-256 of the DER SPKI
#   - the owner is _25._tcp.HOST. and the TTL the one asked for;
#   - --json carries the same records.
set -u
: "${TLSPOLICY:?TLSPOLICY must be set (meson test)}"
for t in ldns-dane openssl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
D=$(mktemp -d /tmp/tp-own-tlsa.XXXXXX)
trap 'rm -rf "$D"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
cd "$D" || exit 1
q() { "$@" >/dev/null 2>&1 || { echo "FAIL: $*" >&2; exit 1; }; }

cat > ext.cnf <<'X'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = CA:FALSE
subjectAltName = DNS:mx.own.example
X
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
	-subj "/CN=own test root" -days 30 -out root.crt -addext "basicConstraints=critical,CA:TRUE"
q openssl req -new -newkey rsa:2048 -nodes -keyout int.key -subj "/CN=own test issuing CA" -out int.csr
q openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -days 30 \
	-extfile ext.cnf -extensions ca -out int.crt
for k in rsa ec; do
	if [ $k = rsa ]; then
		q openssl req -new -newkey rsa:3072 -nodes -keyout $k.key -subj "/CN=mx.own.example" -out $k.csr
	else
		q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout $k.key \
			-subj "/CN=mx.own.example" -out $k.csr
	fi
	q openssl x509 -req -in $k.csr -CA int.crt -CAkey int.key -CAcreateserial -days 10 \
		-extfile ext.cnf -extensions leaf -out $k.crt
	cat $k.crt int.crt > $k.chain.pem
done
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out next.key
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out next2.key
q openssl pkey -in next2.key -pubout -out next2.pub

# -o 0: the last certificate of the chain file (the issuing CA), not
# necessarily self-signed
dane() { ldns-dane -o 0 -c "$1" create mx.own.example 25 "$2" 1 1 | awk '{print $NF}'; }
spki() { openssl pkey "$@" -pubout -outform DER | openssl dgst -sha256 -r | awk '{print $1}'; }

want_rsa=$(dane rsa.crt 3)
want_ec=$(dane ec.crt 3)
want_ca=$(dane rsa.chain.pem 2)
want_ca2=$(openssl x509 -in int.crt -pubkey -noout | spki -pubin)
want_next=$(spki -in next.key)
want_next2=$(spki -pubin -in next2.pub)
[ ${#want_rsa} = 64 ] && [ ${#want_ca} = 64 ] && [ ${#want_next} = 64 ] ||
	{ echo "FAIL: the reference tools gave no digest" >&2; exit 1; }
[ "$want_ca" = "$want_ca2" ] || fail "ldns-dane 2 1 1 ($want_ca) != openssl ($want_ca2)"

out=$("$TLSPOLICY" own tlsa --ttl 300 --cert rsa.chain.pem --cert ec.chain.pem \
	--next next.key --next next2.pub mx.own.example) || fail "own tlsa failed"
echo "$out"
has() { grep -qxF "$1" <<<"$out" || fail "missing line: $1"; }
has "_25._tcp.mx.own.example. 300 IN TLSA 3 1 1 $want_rsa"
has "_25._tcp.mx.own.example. 300 IN TLSA 3 1 1 $want_ec"
has "_25._tcp.mx.own.example. 300 IN TLSA 2 1 1 $want_ca"
has "_25._tcp.mx.own.example. 300 IN TLSA 3 1 1 $want_next"
has "_25._tcp.mx.own.example. 300 IN TLSA 3 1 1 $want_next2"
grep -q "in service: leaf key RSA 3072" <<<"$out" || fail "RSA leaf not described"
grep -q "in service: leaf key EC 384" <<<"$out" || fail "ECDSA leaf not described"
[ "$(grep -c "IN TLSA" <<<"$out")" = 5 ] || fail "want 5 records: 2 x 3 1 1 in service, one 2 1 1 (the CA both leaves share), 2 x 3 1 1 next"

# a key file and its certificate in one file are one key
cat ec.key ec.crt int.crt > ec.all.pem
out=$("$TLSPOLICY" own tlsa --cert ec.all.pem mx.own.example)
[ "$(grep -c "IN TLSA" <<<"$out")" = 2 ] || fail "key + certificate + CA: want 2 records, got: $out"

# JSON: the same digests
json=$("$TLSPOLICY" own tlsa --json --cert rsa.chain.pem --next next.key mx.own.example)
python3 - "$json" "$want_rsa" "$want_ca" "$want_next" <<'PY' || fail "json"
import json, sys
d = json.loads(sys.argv[1])["records"]
got = {(r["role"], r["usage"], r["data"]) for r in d}
want = {("in service", 3, sys.argv[2]), ("in service", 2, sys.argv[3]), ("next", 3, sys.argv[4])}
assert got == want, (got, want)
assert all(r["zone"].startswith("_25._tcp.mx.own.example. IN TLSA ") for r in d)
PY

# errors: no file, an encrypted key
"$TLSPOLICY" own tlsa --cert /nonexistent mx.own.example 2>err.txt && fail "missing file accepted"
grep -q "cannot open" err.txt || fail "missing file: $(cat err.txt)"
q openssl pkcs8 -topk8 -in next.key -passout pass:x -out enc.key
"$TLSPOLICY" own tlsa --next enc.key mx.own.example 2>err.txt && fail "encrypted key accepted"
grep -q "encrypted" err.txt || fail "encrypted key: $(cat err.txt)"

[ "$FAILS" = 0 ] && echo "PASS: own tlsa digests = ldns-dane / openssl" && exit 0
exit 1
