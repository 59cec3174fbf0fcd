#!/bin/bash
# SPDX-License-Identifier: MIT
# lab-reasons.sh - CLI transcripts of `tlspolicy check`, `query` and
# `policy get` against the lab (issue 17 items 6-9):
#  9. exit codes and noise: a TEMP answer (DNSSEC bogus: mail would
#     defer) exits 3 with a warning naming the domain; check, query and
#     logscan print nothing on stderr when all is well, the informational
#     lines (the MTA-STS cache loaded) only with -v; the codes are in
#     --help and the man page.
#  6. every discovery failure with its reason, in the table (PUBLISHED
#     unknown / MTA-STS (failed), a WARNING in NOTE, exit 1) and as
#     "reason" in JSON: the resolver unreachable (dns_resolvers = an
#     unused lab address), an MTA-STS policy behind a self-signed
#     certificate or a 301; MTA-STS mode none shown as such.
#  7. ANSWER with its SOURCE (table row and the key that matched, DANE,
#     MTA-STS, provider, default) apart from RECOMMENDATION: with
#     `_default dane` an unpublished domain's recommendation is the real
#     one (verify, encrypt) in the table, JSON and --save; --details shows
#     the MTA-STS state and the probe facts.
#  8. a parent row (.example verify) that overrides DANE and MTA-STS for
#     its children gets a warning naming the row, like an exact row;
#     query -v and policy get name the row that matched.
. "${SRCDIR:-.}/tests/dane/lab-lib.sh"

TP() { in_ns "$TLSPOLICY" -c "$T_DIR/check.cf" "$@"; }
cat >"$T_DIR/check.cf" <<CF
database = sqlite:$T_DIR/t.db
dns_trust_anchor_file = $LAB_TRUST_ANCHOR
smtp_ca_file = $LAB_CA_FILE
https_ca_file = $LAB_CA_FILE
CF
"$TLSPOLICY" --db "sqlite:$T_DIR/t.db" db init >/dev/null || exit 1

# ---- 9. exit codes and noise
TP check dane-bogus.example >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 3 ] || fail "check dane-bogus.example: exit $rc, want 3 (mail defers)"
grep -Eq '^dane-bogus\.example .*WARNING: mail to dane-bogus\.example defers: the daemon answers TEMP \(DNSSEC validation failure' \
	"$T_DIR/out" || fail "TEMP note: $(cat "$T_DIR/out")"
# TEMP wins over a plain warning; a fine domain alone exits 0
TP policy set dane-ee.example may >/dev/null || fail "policy set"
TP check dane-ee.example dane-bogus.example >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "warning + TEMP: exit $rc, want 3"
TP check dane-ee.example >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || fail "warning alone: exit $rc, want 1"
TP policy delete dane-ee.example >/dev/null
TP check dane-ee.example >/dev/null 2>"$T_DIR/err"
rc=$?
[ "$rc" = 0 ] || fail "dane-ee.example: exit $rc, want 0"
[ -s "$T_DIR/err" ] && fail "check printed on stderr: $(cat "$T_DIR/err")"
TP check -v dane-ee.example >/dev/null 2>"$T_DIR/err"
grep -q '^tlspolicy: sts: [0-9]* cached MTA-STS policies loaded' "$T_DIR/err" ||
	fail "check -v: no informational line: $(cat "$T_DIR/err")"
TP query enforce.sts.example >"$T_DIR/out" 2>"$T_DIR/err"
[ "$(cat "$T_DIR/out")" = "OK secure match=mx.enforce.sts.example servername=hostname" ] ||
	fail "query: $(cat "$T_DIR/out")"
[ -s "$T_DIR/err" ] && fail "query printed on stderr: $(cat "$T_DIR/err")"
TP query -v enforce.sts.example >/dev/null 2>"$T_DIR/err"
grep -q '^tlspolicy: sts: [0-9]* cached MTA-STS policies loaded' "$T_DIR/err" ||
	fail "query -v: no informational line: $(cat "$T_DIR/err")"
LOG=${SRCDIR:-.}/tests/logscan/fixtures/classic.log
TP logscan --discover --year 2024 "$LOG" >/dev/null 2>"$T_DIR/err"
rc=$?
[ "$rc" = 0 ] || fail "logscan: exit $rc: $(cat "$T_DIR/err")"
[ -s "$T_DIR/err" ] && fail "logscan printed on stderr: $(cat "$T_DIR/err")"
TP logscan -v --discover --year 2024 "$LOG" >/dev/null 2>"$T_DIR/err"
grep -q '^tlspolicy: sts: [0-9]* cached MTA-STS policies loaded' "$T_DIR/err" ||
	fail "logscan -v: no informational line: $(cat "$T_DIR/err")"
grep -Eq '^tlspolicy logscan: 77 lines, 74 Postfix lines' "$T_DIR/err" ||
	fail "logscan -v: no summary line: $(cat "$T_DIR/err")"
"$TLSPOLICY" check --help | tr '\n' ' ' | grep -Eq '3 mail to a domain +would defer' ||
	fail "check --help does not document exit 3"
grep -q 'mail to a domain would defer (the daemon answers TEMP)' "${SRCDIR:-.}/docs/man/tlspolicy.8" ||
	fail "the man page does not document exit 3"
[ "$T_FAILS" = 0 ] && ok "item 9: exit 3 on TEMP, quiet stderr, informational lines with -v"

# ---- 6. discovery failures with their reasons
# the resolver unreachable: 127.0.9.9 is no lab address
sed "s|^dns_trust_anchor_file|dns_resolvers = 127.0.9.9\ndns_trust_anchor_file|" "$T_DIR/check.cf" >"$T_DIR/dead.cf"
DEAD() { in_ns "$TLSPOLICY" -c "$T_DIR/dead.cf" "$@"; }
DEAD check dane-ee.example >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 1 ] || fail "dead resolver: exit $rc, want 1"
grep -Eq '^dane-ee\.example +unknown +unknown .*WARNING: DANE unknown: MX lookup for dane-ee\.example failed: no answer within [0-9]+ ms; WARNING: MTA-STS failed: TXT lookup failed: timeout' \
	"$T_DIR/out" || fail "dead resolver, table: $(cat "$T_DIR/out")"
grep -Eq '^dane-ee\.example .* none ' "$T_DIR/out" && fail "dead resolver: shown as publishing none"
DEAD check --json dane-ee.example >"$T_DIR/out.json" 2>"$T_DIR/err"
python3 - "$T_DIR/out.json" <<'PY' || fail "dead resolver, JSON"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["published"] == "unknown", r["published"]
assert r["reason"].startswith("DANE: MX lookup for dane-ee.example failed: no answer within"), r["reason"]
assert "; MTA-STS: TXT lookup failed: timeout" in r["reason"], r["reason"]
assert r["mta_sts"]["reason"].startswith("TXT lookup failed"), r["mta_sts"]
assert r["warning"] is True and r["answer"]["status"] == "NOTFOUND", r
PY
# MTA-STS: self-signed certificate, 301 redirect, mode none, enforce
TP check untrusted.sts.example redirect.sts.example none.sts.example enforce.sts.example \
	>"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 1 ] || fail "MTA-STS failures: exit $rc, want 1"
grep -Eq '^untrusted\.sts\.example +self +MTA-STS \(failed\) .*WARNING: MTA-STS failed: policy fetch failed: certificate not accepted: SSL certificate problem' \
	"$T_DIR/out" || fail "untrusted certificate: $(cat "$T_DIR/out")"
grep -Eq '^redirect\.sts\.example +self +MTA-STS \(failed\) .*WARNING: MTA-STS failed: policy fetch failed: HTTP status 301' \
	"$T_DIR/out" || fail "redirect: $(cat "$T_DIR/out")"
grep -Eq '^none\.sts\.example +self +MTA-STS \(none\) .*MTA-STS mode none: the domain withdrew its policy' \
	"$T_DIR/out" || fail "mode none: $(cat "$T_DIR/out")"
grep -q '^none\.sts\.example .*WARNING' "$T_DIR/out" && fail "mode none is no failure"
TP check --json untrusted.sts.example redirect.sts.example none.sts.example enforce.sts.example \
	>"$T_DIR/out.json" 2>"$T_DIR/err"
python3 - "$T_DIR/out.json" <<'PY' || fail "MTA-STS failures, JSON"
import json, sys
by = {r["domain"]: r for r in map(json.loads, open(sys.argv[1]))}
u, rd, n, e = (by[d + ".sts.example"] for d in ("untrusted", "redirect", "none", "enforce"))
assert u["published"] == "MTA-STS (failed)" and "certificate not accepted" in u["reason"], u["reason"]
assert u["reason"].startswith("MTA-STS: policy fetch failed"), u["reason"]
assert rd["published"] == "MTA-STS (failed)" and "HTTP status 301" in rd["reason"], rd["reason"]
assert n["published"] == "MTA-STS (none)" and n["reason"] is None and n["mta_sts"]["mode"] == "none", n
assert e["published"] == "MTA-STS (enforce)" and e["reason"] is None, e
PY
[ "$T_FAILS" = 0 ] && ok "item 6: discovery failures with their reasons (dead resolver, certificate, 301, mode none)"

# ---- 7. ANSWER / SOURCE / RECOMMENDATION
TP policy set _default dane >/dev/null || fail "policy set _default"
TP policy set mismatch.example may >/dev/null || fail "policy set mismatch.example"
TP check --probe tls.example selfsigned.example mismatch.example enforce.sts.example dane-ee.example \
	gmail-hosted.example >"$T_DIR/out" 2>"$T_DIR/err"
head -1 "$T_DIR/out" | grep -Eq '^DOMAIN +PROVIDER +PUBLISHED +ANSWER +SOURCE +RECOMMENDATION +NOTE$' ||
	fail "columns: $(head -1 "$T_DIR/out")"
for pat in '^tls\.example +self +none +dane +default +verify$' \
	'^selfsigned\.example +self +none +dane +default +encrypt$' \
	'^mismatch\.example +self +none +may +table mismatch\.example +encrypt$' \
	'^enforce\.sts\.example +self +MTA-STS \(enforce\) +secure match=mx\.enforce\.sts\.example servername=hostname +MTA-STS +-$' \
	'^dane-ee\.example +self +DANE +dane-only +DANE +-$' \
	'^gmail-hosted\.example +Google.* +none +secure match=mx\.google\.com +provider +secure match=mx\.google\.com$'; do
	grep -Eq "$pat" "$T_DIR/out" || fail "table lacks /$pat/: $(cat "$T_DIR/out")"
done
grep -q 'recommended (probe)\|(automatic)' "$T_DIR/out" && fail "old mixed POLICY column: $(cat "$T_DIR/out")"
TP check --probe --json tls.example selfsigned.example mismatch.example >"$T_DIR/out.json" 2>"$T_DIR/err"
python3 - "$T_DIR/out.json" <<'PY' || fail "ANSWER/RECOMMENDATION in JSON"
import json, sys
by = {r["domain"]: r for r in map(json.loads, open(sys.argv[1]))}
for d, rec in (("tls.example", "verify"), ("selfsigned.example", "encrypt"), ("mismatch.example", "encrypt")):
    assert by[d]["recommendation"]["policy"] == rec, (d, by[d]["recommendation"])
for d in ("tls.example", "selfsigned.example"):
    a = by[d]["answer"]
    assert a["source"] == "default" and a["text"] == "dane" and a["row"] == "_default", a
a = by["mismatch.example"]["answer"]
assert a["source"] == "table" and a["row"] == "mismatch.example" and a["text"] == "may", a
PY
TP check --probe --save tls.example selfsigned.example >"$T_DIR/out" 2>"$T_DIR/err"
grep -q '^added tls.example: verify$' "$T_DIR/out" && grep -q '^added selfsigned.example: encrypt$' "$T_DIR/out" ||
	fail "--save with _default dane: $(cat "$T_DIR/out" "$T_DIR/err")"
[ "$(TP policy get tls.example)" = verify ] || fail "--save did not write verify"
TP check --probe --details selfsigned.example enforce.sts.example untrusted.sts.example >"$T_DIR/out" 2>"$T_DIR/err"
for pat in '^  MTA-STS   none published$' \
	'^  MTA-STS   mode enforce, id enforce1: secure match=mx\.enforce\.sts\.example servername=hostname$' \
	'^  MTA-STS   failed: policy fetch failed: certificate not accepted' \
	'^  probe     mx\.selfsigned\.example \[127\.0\.3\.22\]: ok, TLS ok, certificate not trusted \(self-signed certificate\), TLSA none$' \
	'^              verify +fails +verify: certificate not trusted' \
	'^              encrypt +delivers +encrypt: ' \
	'^  probe     mx\.enforce\.sts\.example \[127\.0\.3\.40\]: ok, TLS ok, certificate trusted' \
	'^  answer    OK secure match=mx\.enforce\.sts\.example servername=hostname  \(source MTA-STS\)$' \
	'^  answer    OK encrypt  \(source table selfsigned\.example\)$' \
	'^  recommend encrypt  \(from probe\)$'; do
	grep -Eq "$pat" "$T_DIR/out" || fail "--details lacks /$pat/: $(cat "$T_DIR/out")"
done
TP policy delete _default >/dev/null
TP policy delete mismatch.example >/dev/null
TP policy delete tls.example >/dev/null
TP policy delete selfsigned.example >/dev/null
[ "$T_FAILS" = 0 ] && ok "item 7: ANSWER/SOURCE apart from RECOMMENDATION; _default dane; --details"

# ---- 8. parent rows
TP policy set .example verify >/dev/null 2>"$T_DIR/err" || fail "policy set .example"
grep -q 'note: the parent row .example outranks DANE, MTA-STS and provider templates for every domain under example' \
	"$T_DIR/err" || fail "policy set .parent: no note: $(cat "$T_DIR/err")"
TP policy set dane-ta.example verify >/dev/null 2>&1 || fail "policy set dane-ta.example"
TP check dane-ee.example enforce.sts.example dane-ta.example >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
[ "$rc" = 1 ] || fail "parent row: exit $rc, want 1"
for pat in '^dane-ee\.example .*WARNING: parent row \.example: table policy verify is weaker than the published DANE \(dane-only\)' \
	'^enforce\.sts\.example .*WARNING: parent row \.example: table policy verify is weaker than the published MTA-STS enforce' \
	'^dane-ta\.example .*WARNING: table policy verify is weaker than the published DANE'; do
	grep -Eq "$pat" "$T_DIR/out" || fail "parent row: no /$pat/: $(cat "$T_DIR/out")"
done
grep -q '^dane-ta\.example .*parent row' "$T_DIR/out" && fail "the exact row named as a parent row"
TP query -v dane-ee.example dane-ta.example .example >"$T_DIR/out" 2>"$T_DIR/err"
printf 'dane-ee.example\ttable:.example\tOK verify\ndane-ta.example\ttable:dane-ta.example\tOK verify\n.example\ttable:.example\tOK verify\n' >"$T_DIR/want"
diff -u "$T_DIR/want" "$T_DIR/out" || fail "query -v does not name the row"
out=$(TP policy get dane-ee.example 2>"$T_DIR/err")
[ "$out" = verify ] || fail "policy get through the parent row: $out"
grep -qx 'tlspolicy policy: dane-ee.example has no row of its own: the parent row .example matches it' "$T_DIR/err" ||
	fail "policy get does not name the parent row: $(cat "$T_DIR/err")"
[ "$(TP policy get -v dane-ee.example 2>/dev/null)" = "$(printf '.example\tverify')" ] || fail "policy get -v"
TP policy delete .example >/dev/null
TP policy delete dane-ta.example >/dev/null
[ "$T_FAILS" = 0 ] && ok "item 8: parent rows named in check warnings, query -v, policy get"

finish
