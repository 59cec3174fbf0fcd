#!/bin/bash
# SPDX-License-Identifier: MIT
#
# postfix_judge.sh - real Postfix as the judge of the policy model.
#
# Starts a private, throw-away Postfix instance (its own config, queue
# and log under a temp dir; no listener; nothing leaves loopback) whose
# smtp_tls_policy_maps holds every policy of postfix_judge.txt, plus our
# canonical form of each policy we accept, each under its own next hop
# [127.0.0.1]:PORT.  One message to one domain per entry makes smtp(8)
# look each entry up; it does so before connecting (the connection is
# then refused).  A policy Postfix refuses shows up as
#   warning: TLS policy lookup for KEY/...: client TLS configuration problem
# and the verdict for every entry is compared with ours and with the
# EXPECT column (ok / bad / stricter / lenient).
#
# Needs root and Debian postfix.  Exit 77 (skip) when missing, unless CI
# is set.  Env: POLICY_CHECK (path of the policy_check helper).
set -u

skip() {
	echo "SKIP: $*"
	if [ -n "${CI:-}" ]; then exit 1; fi
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
for b in postfix sendmail postqueue openssl; do
	command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
		skip "$b not installed"
done
getent passwd postfix >/dev/null || skip "no postfix user"
getent group postdrop >/dev/null || skip "no postdrop group"
: "${POLICY_CHECK:?POLICY_CHECK not set}"
SRC=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=$SRC/tests/policy/postfix_judge.txt
BASE_PORT=${JUDGE_BASE_PORT:-47100}

T=$(mktemp -d /tmp/tlspolicy-judge.XXXXXX)
chmod 755 "$T"
cleanup() {
	postfix -c "$T/etc" stop >/dev/null 2>&1
	sleep 0.5
	postfix -c "$T/etc" abort >/dev/null 2>&1
	if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT
mkdir -p "$T/etc" "$T/spool" "$T/data"
chown postfix "$T/data"
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null \
	-out "$T/ta.pem" -subj /CN=judge.invalid -days 2 >/dev/null 2>&1 ||
	skip "openssl req failed"

cat > "$T/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = judge.invalid
mydomain = judge.invalid
myorigin = judge.invalid
mydestination =
relay_domains =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = $T/maillog
maillog_file_prefixes = $T
transport_maps = texthash:$T/etc/transport
smtp_tls_policy_maps = texthash:$T/etc/tls_policy
smtp_tls_security_level = may
smtp_dns_support_level = dnssec
smtp_connect_timeout = 2s
smtp_tls_fingerprint_cert_match = 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
queue_run_delay = 3600s
minimal_backoff_time = 3600s
default_destination_concurrency_limit = 20
EOC
cat > "$T/etc/master.cf" <<'EOC'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOC

# Entries: EXPECT, our verdict, key.  The texts go to the policy table.
declare -a exp key ours text
n=0
while IFS=$'\t' read -r e pol; do
	case "$e" in ''|'#'*) continue ;; esac
	pol=${pol//@TAFILE@/$T/ta.pem}
	pol=$(printf '%b' "$pol")
	exp[n]=$e text[n]=$pol key[n]="[127.0.0.1]:$((BASE_PORT + n))"
	n=$((n + 1))
done < "$DATA"

# Our verdicts; for each accepted policy also judge our canonical form.
mapfile -t verdicts < <(printf '%s\n' "${text[@]}" | "$POLICY_CHECK")
[ "${#verdicts[@]}" = "$n" ] || { echo "policy_check gave ${#verdicts[@]} lines for $n"; exit 1; }
m=$n
for ((i = 0; i < n; i++)); do
	ours[i]=${verdicts[i]%%$'\t'*}
	if [ "${ours[i]}" = OK ]; then
		if [ "${exp[i]}" = lenient ]; then exp[m]=lenient; else exp[m]=canonical; fi
		text[m]=${verdicts[i]#*$'\t'}
		ours[m]=OK key[m]="[127.0.0.1]:$((BASE_PORT + m))"
		m=$((m + 1))
	fi
done
for ((i = 0; i < m; i++)); do
	ss -Htln "sport = :$((BASE_PORT + i))" 2>/dev/null | grep -q . &&
		skip "port $((BASE_PORT + i)) is in use (set JUDGE_BASE_PORT)"
done

: > "$T/etc/tls_policy"
: > "$T/etc/transport"
rcpts=()
for ((i = 0; i < m; i++)); do
	printf '%s %s\n' "${key[i]}" "${text[i]}" >> "$T/etc/tls_policy"
	printf 'd%d.judge.invalid smtp:%s\n' "$i" "${key[i]}" >> "$T/etc/transport"
	rcpts+=("u@d$i.judge.invalid")
done

postfix -c "$T/etc" check >/dev/null 2>&1 || true
postfix -c "$T/etc" start >/dev/null 2>"$T/start.err" ||
	{ cat "$T/start.err"; echo "FAIL: postfix start"; exit 1; }
printf 'Subject: judge\n\nx\n' |
	MAIL_CONFIG=$T/etc sendmail -f judge@judge.invalid "${rcpts[@]}" ||
	{ echo "FAIL: sendmail"; exit 1; }

# Wait until every destination had its delivery attempt.
for ((t = 0; t < 120; t++)); do
	done_n=$(grep -c 'status=deferred' "$T/maillog" 2>/dev/null)
	[ "${done_n:-0}" -ge "$m" ] && break
	sleep 0.5
done
if [ "${done_n:-0}" -lt "$m" ]; then
	echo "FAIL: only ${done_n:-0} of $m deliveries attempted"; tail -20 "$T/maillog"; exit 1
fi

pass=0 failn=0
for ((i = 0; i < m; i++)); do
	k=${key[i]}
	if grep -F "TLS policy lookup for $k/" "$T/maillog" |
		grep -q 'client TLS configuration problem'; then
		pf=reject
	else
		pf=accept
	fi
	case "${exp[i]}/${ours[i]}/$pf" in
	ok/OK/accept|canonical/OK/accept|bad/ERR/reject|stricter/ERR/accept|lenient/OK/reject)
		pass=$((pass + 1)) ;;
	*)
		failn=$((failn + 1))
		echo "MISMATCH: expect=${exp[i]} ours=${ours[i]} postfix=$pf: ${text[i]}"
		grep -F "\"$k\"" "$T/maillog" | sed 's/^/    /' | head -3 ;;
	esac
done
echo "postfix judge: $m entries ($n policies + $((m - n)) canonical forms), $pass agree, $failn mismatch"
[ "$failn" = 0 ]
