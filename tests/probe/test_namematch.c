/* SPDX-License-Identifier: MIT */
/*
 * test_namematch - Postfix's certificate name rules (probe/namematch.h).
 *
 * 1. A table of certificate name / reference pairs with the expected
 *    answer, one row per rule (exact, case, wildcards, sub-domain
 *    references, literal "*.x", IDNA, odd bytes).
 * 2. A differential test: every pair from a generated set of names is
 *    checked with namematch_name() and with OpenSSL's X509_check_host()
 *    on a certificate carrying the name as its only dNSName, with the
 *    flag Postfix 3.x uses (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS).  The
 *    two must agree on every pair; the count of pairs is printed.
 * 3. CommonName fallback (only without dNSNames), also against OpenSSL.
 * 4. Match list expansion and the per-level verdicts of
 *    namematch_policy().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policy/policy.h"
#include "probe/namematch.h"

struct row {
	const char *cert;
	const char *ref;
	int want;
};

static const struct row rows[] = {
	/* exact, case-insensitive, no trailing-dot folding */
	{ "mx.example.com", "mx.example.com", 1 },
	{ "MX.Example.COM", "mx.example.com", 1 },
	{ "mx.example.com", "MX.EXAMPLE.COM", 1 },
	{ "mx.example.com", "mx.example.com.", 0 },
	{ "mx.example.com.", "mx.example.com", 0 },
	{ "mx.example.com", "mx2.example.com", 0 },
	{ "mx.example.com", "example.com", 0 },
	/* wildcard certificate names: one whole left-most label */
	{ "*.example.com", "mx.example.com", 1 },
	{ "*.example.com", "MX.example.com", 1 },
	{ "*.example.com", "a.b.example.com", 0 },
	{ "*.example.com", "example.com", 0 },
	{ "*.example.com", ".example.com", 1 },        /* sub-domain ref: suffix */
	{ "*.example.com", "mx_1.example.com", 0 },    /* '_' not matched by '*' */
	{ "*.example.com", "m-x.example.com", 1 },
	{ "*.example.com", "xn--bcher-kva.example.com", 1 }, /* whole-label wildcard may match an A-label */
	{ "*.com", "example.com", 0 },                 /* needs two dots after '*' */
	{ "*.com", "*.com", 1 },                       /* then compared literally */
	{ "f*.example.com", "foo.example.com", 0 },    /* no partial-label wildcards */
	{ "*o.example.com", "foo.example.com", 0 },
	{ "f*o.example.com", "foo.example.com", 0 },
	{ "mx.*.example.com", "mx.a.example.com", 0 }, /* only in the first label */
	{ "*.*.example.com", "a.b.example.com", 0 },
	{ "xn--*.example.com", "xn--a.example.com", 0 },
	{ "*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", 1 },
	/* a literal "*.x" reference matches only the identical name */
	{ "*.mail.hostpoint.ch", "*.mail.hostpoint.ch", 1 },
	{ "mx1.mail.hostpoint.ch", "*.mail.hostpoint.ch", 0 },
	{ "*.mail.hostpoint.ch", "*.MAIL.hostpoint.ch", 1 },
	{ "*.*.hostpoint.ch", "*.mail.hostpoint.ch", 0 },
	/* sub-domain references ".domain": suffix of each certificate name */
	{ "mx.example.com", ".example.com", 1 },
	{ "a.b.example.com", ".example.com", 1 },
	{ "*.mail.example.com", ".example.com", 1 },   /* the example */
	{ "*.mail.protection.outlook.com", ".mail.protection.outlook.com", 1 },
	{ "x.mail.protection.outlook.com", ".mail.protection.outlook.com", 1 },
	{ "mail.protection.outlook.com", ".mail.protection.outlook.com", 0 },
	{ "*.mail.protection.outlook.com", "mail.protection.outlook.com", 0 },
	{ "example.com", ".example.com", 0 },
	{ ".example.com", ".example.com", 1 },
	{ "xexample.com", ".example.com", 0 },
	{ "mx.EXAMPLE.com", ".example.COM", 1 },
	{ "mx.example.com", ".com", 1 },
	{ "mx.example.com", ".", 0 },
	/* odd certificate names */
	{ "", "mx.example.com", 0 },
	{ "mx.example.com", "", 0 },
	{ "*", "mx", 0 },
	{ "*.", "mx.", 0 },
	{ "mx..example.com", "mx..example.com", 1 },
	{ "-a.example.com", "-a.example.com", 1 },
	{ "*.-a.example.com", "mx.-a.example.com", 0 }, /* not a valid wildcard: literal */
	{ "*.a-.example.com", "mx.a-.example.com", 0 },
	{ "*.example.com.", "mx.example.com.", 0 },     /* trailing dot: not a wildcard */
	{ "mx.exa mple.com", "mx.exa mple.com", 1 },
};

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), 51);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = namematch_name(rows[i].cert, strlen(rows[i].cert), rows[i].ref);

		if (got != rows[i].want)
			fail_msg("row %zu: cert \"%s\" ref \"%s\": got %d, want %d", i,
				 rows[i].cert, rows[i].ref, got, rows[i].want);
	}
}

static void test_nul_in_cert_name(void **state)
{
	static const char cert[] = "mx.example.com\0.evil.net";

	(void)state;
	assert_int_equal(namematch_name(cert, sizeof(cert) - 1, "mx.example.com"), 0);
	assert_int_equal(namematch_name(cert, sizeof(cert) - 1, ".evil.net"), 0);
	assert_int_equal(namematch_name(cert, sizeof(cert) - 1, ".net"), 0);
}

/* ------------------------------------------------------------------ */
/* OpenSSL comparison                                                 */
/* ------------------------------------------------------------------ */

static X509 *make_cert(const char *const *dns, size_t ndns, const char *cn)
{
	X509 *x = X509_new();

	assert_non_null(x);
	if (cn) {
		X509_NAME *n = X509_get_subject_name(x);

		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
							    (const unsigned char *)cn, -1, -1, 0), 1);
	}
	if (ndns > 0) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

		for (size_t i = 0; i < ndns; i++) {
			GENERAL_NAME *gn = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			assert_int_equal(ASN1_STRING_set(s, dns[i], (int)strlen(dns[i])), 1);
			GENERAL_NAME_set0_value(gn, GEN_DNS, s);
			sk_GENERAL_NAME_push(gens, gn);
		}
		assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0), 1);
		GENERAL_NAMES_free(gens);
	}
	return x;
}

static int openssl_says(X509 *x, const char *ref)
{
	return X509_check_host(x, ref, strlen(ref), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
			       NULL) > 0;
}

static const char *const labels[] = {
	"*", "a", "mx", "B", "xn--a", "a-b", "-a", "a-", "_a", "f*", "*f", "1", "",
};
#define NLABELS (sizeof(labels) / sizeof(labels[0]))

/* Builds name number k of up to 4 labels from the alphabet. */
static int gen_name(size_t k, char *out, size_t outlen)
{
	size_t nl = 1 + k % 4, o = 0;

	k /= 4;
	out[0] = '\0';
	for (size_t i = 0; i < nl; i++) {
		const char *l = labels[k % NLABELS];
		int n;

		k /= NLABELS;
		n = snprintf(out + o, outlen - o, "%s%s", i ? "." : "", l);
		if (n < 0 || (size_t)n >= outlen - o)
			return -1;
		o += (size_t)n;
	}
	return k == 0 ? 0 : -1;
}

static void test_against_openssl(void **state)
{
	static const char *const suffixes[] = { "", ".example.com", ".com" };
	size_t pairs = 0, ncert = 0;
	char names[3000][64];
	size_t nnames = 0;

	(void)state;
	/* distinct names from the alphabet, with a few suffixes */
	for (size_t k = 0; nnames < sizeof(names) / sizeof(names[0]); k++) {
		char base[48];

		if (k > 4 * NLABELS * NLABELS * NLABELS * NLABELS)
			break;
		if (gen_name(k, base, sizeof(base)) < 0)
			continue;
		for (size_t s = 0; s < 3 && nnames < sizeof(names) / sizeof(names[0]); s++)
			snprintf(names[nnames++], sizeof(names[0]), "%s%s", base, suffixes[s]);
	}
	/* every certificate name against a sample of references (all names,
	 * every 7th, with and without a leading dot) */
	for (size_t c = 0; c < nnames; c += 3) {
		const char *dns[1] = { names[c] };
		X509 *x;

		if (names[c][0] == '\0')
			continue;
		x = make_cert(dns, 1, NULL);
		ncert++;
		for (size_t r = 0; r < nnames; r += 7) {
			char ref[80];

			for (int dot = 0; dot < 2; dot++) {
				snprintf(ref, sizeof(ref), "%s%s", dot ? "." : "", names[r]);
				if (ref[0] == '\0' || (dot && ref[1] == '\0'))
					continue;
				pairs++;
				if (namematch_name(names[c], strlen(names[c]), ref) != openssl_says(x, ref))
					fail_msg("cert \"%s\" ref \"%s\": namematch %d, OpenSSL %d",
						 names[c], ref,
						 namematch_name(names[c], strlen(names[c]), ref),
						 openssl_says(x, ref));
			}
		}
		/* the name against itself and related references */
		{
			char ref[80];

			snprintf(ref, sizeof(ref), "x%s", strchr(names[c], '.') ? strchr(names[c], '.') : "");
			if (namematch_name(names[c], strlen(names[c]), ref) != openssl_says(x, ref))
				fail_msg("cert \"%s\" ref \"%s\" disagree", names[c], ref);
			pairs++;
		}
		X509_free(x);
	}
	/* the hand-written rows too */
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), 51);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *dns[1] = { rows[i].cert };
		X509 *x;

		if (rows[i].cert[0] == '\0' || rows[i].ref[0] == '\0')
			continue;
		x = make_cert(dns, 1, NULL);
		if (openssl_says(x, rows[i].ref) != rows[i].want)
			fail_msg("row %zu disagrees with OpenSSL: cert \"%s\" ref \"%s\"", i,
				 rows[i].cert, rows[i].ref);
		X509_free(x);
		pairs++;
	}
	print_message("namematch_name() == X509_check_host() on %zu pairs (%zu certificates)\n",
		      pairs, ncert);
	assert_true(pairs > 10000);
}

static void test_cn_fallback(void **state)
{
	const char *san[] = { "other.example.com" };
	const char *cn1[] = { "mx.example.com" };
	struct namematch_cert only_cn = { NULL, 0, cn1, 1 };
	struct namematch_cert both = { san, 1, cn1, 1 };
	struct namematch_refs refs;
	const char *w[] = { "mx.example.com" };
	X509 *x;

	(void)state;
	assert_int_equal(namematch_expand(w, 1, NULL, NULL, &refs, NULL), 0);
	/* CN counts only without any dNSName */
	assert_int_equal(namematch_check(&only_cn, &refs, NULL, NULL), 1);
	assert_int_equal(namematch_check(&both, &refs, NULL, NULL), 0);
	x = make_cert(NULL, 0, "mx.example.com");
	assert_int_equal(openssl_says(x, "mx.example.com"), 1);
	X509_free(x);
	x = make_cert(san, 1, "mx.example.com");
	assert_int_equal(openssl_says(x, "mx.example.com"), 0);
	X509_free(x);
}

static void test_expand(void **state)
{
	struct namematch_refs r;
	struct errbuf why;
	const char *w1[] = { "nexthop", "dot-nexthop", "hostname", ".x.example", "y.example", "." };
	const char *w2[] = { "hostname" };
	const char *w3[] = { "." };
	const char *w4[] = { "NEXTHOP" };

	(void)state;
	assert_int_equal(namematch_expand(w1, 6, "example.org", "mx.example.net", &r, &why), 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.name[0], "example.org");
	assert_string_equal(r.name[1], ".example.org");
	assert_string_equal(r.name[2], "mx.example.net");
	assert_string_equal(r.name[3], ".x.example");
	assert_string_equal(r.name[4], "y.example");
	assert_int_equal(namematch_expand(w2, 1, "example.org", NULL, &r, &why), -1);
	assert_int_equal(namematch_expand(w3, 1, "example.org", "h", &r, &why), -1);
	assert_int_equal(namematch_expand(w4, 1, "example.org", NULL, &r, &why), 0);
	assert_string_equal(r.name[0], "example.org");
}

/* ------------------------------------------------------------------ */
/* namematch_policy                                                   */
/* ------------------------------------------------------------------ */

static struct namematch_peer peer_with(const char *const *dns, size_t n)
{
	struct namematch_peer p;

	memset(&p, 0, sizeof(p));
	p.connected = p.starttls = p.tls = p.trusted = 1;
	p.names.dns = dns;
	p.names.ndns = n;
	for (int i = 0; i < 32; i++) {
		p.cert_sha256[i] = (unsigned char)i;
		p.pkey_sha256[i] = (unsigned char)(0xa0 + i);
	}
	return p;
}

static enum namematch_verdict judge(const char *policy, const struct namematch_peer *p,
				    const char *nexthop, const char *host)
{
	struct policy *pol = NULL;
	struct namematch_result res;
	struct errbuf why;
	enum namematch_verdict v;

	if (policy_parse(policy, NULL, &pol, &why) < 0)
		fail_msg("policy \"%s\": %s", policy, why.msg);
	v = namematch_policy(pol, p, nexthop, host, &res);
	assert_int_equal(v, res.verdict);
	assert_true(res.why[0] != '\0');
	policy_free(pol);
	return v;
}

/* A hand-made policy: policy_parse() refuses a literal "*" in match
 * names (Postfix itself passes them to OpenSSL as they are). */
static enum namematch_verdict judge_raw(enum policy_level level, const char *match,
					const struct namematch_peer *p)
{
	struct policy_attr a = { (char *)"match", (char *)match };
	struct policy pol = { level, 1, &a };
	struct namematch_result res;

	return namematch_policy(&pol, p, "example.org", "h", &res);
}

static void test_policy_levels(void **state)
{
	const char *google[] = { "mx.google.com" };
	const char *m365[] = { "*.mail.protection.outlook.com" };
	const char *mx[] = { "mx.example.org" };
	const char *hp[] = { "*.mail.hostpoint.ch" };
	struct namematch_peer p;

	(void)state;
	p = peer_with(google, 1);
	assert_int_equal(judge("secure match=mx.google.com", &p, "example.org", "aspmx.l.google.com"),
			 NAMEMATCH_DELIVERS);
	/* default secure match: nexthop:dot-nexthop */
	assert_int_equal(judge("secure", &p, "example.org", "aspmx.l.google.com"), NAMEMATCH_FAILS);
	/* verify default: hostname */
	assert_int_equal(judge("verify", &p, "example.org", "mx.google.com"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("verify", &p, "example.org", "aspmx.l.google.com"), NAMEMATCH_FAILS);
	assert_int_equal(judge("secure match=.google.com", &p, "example.org", "x"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=google.com", &p, "example.org", "x"), NAMEMATCH_FAILS);

	p = peer_with(m365, 1);
	assert_int_equal(judge("secure match=.mail.protection.outlook.com", &p, "example.org",
			       "example-org.mail.protection.outlook.com"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=mail.protection.outlook.com", &p, "example.org", "h"),
			 NAMEMATCH_FAILS);
	assert_int_equal(judge("secure match=.outlook.com", &p, "example.org", "h"),
			 NAMEMATCH_DELIVERS);
	assert_int_equal(judge("verify", &p, "example.org",
			       "example-org.mail.protection.outlook.com"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("verify", &p, "example.org",
			       "a.b.mail.protection.outlook.com"), NAMEMATCH_FAILS);

	p = peer_with(mx, 1);
	assert_int_equal(judge("secure", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=nexthop", &p, "example.org", "mx.example.org"),
			 NAMEMATCH_FAILS);
	assert_int_equal(judge("secure match=dot-nexthop", &p, "example.org", "mx.example.org"),
			 NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=nexthop:hostname", &p, "example.org",
			       "mx.example.org"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=other.example:.example.org", &p, "x", "y"),
			 NAMEMATCH_DELIVERS);

	p = peer_with(hp, 1);
	assert_int_equal(judge_raw(POLICY_SECURE, "*.mail.hostpoint.ch", &p), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("secure match=.mail.hostpoint.ch", &p, "example.org", "h"),
			 NAMEMATCH_DELIVERS);
	assert_int_equal(judge("verify", &p, "example.org", "mx1.mail.hostpoint.ch"),
			 NAMEMATCH_DELIVERS);
	{
		const char *real[] = { "mx1.mail.hostpoint.ch" };

		p = peer_with(real, 1);
		assert_int_equal(judge_raw(POLICY_SECURE, "*.mail.hostpoint.ch", &p),
				 NAMEMATCH_FAILS);
		assert_int_equal(judge("secure match=.mail.hostpoint.ch", &p, "example.org", "h"),
				 NAMEMATCH_DELIVERS);
	}

	/* trust, TLS and STARTTLS */
	p = peer_with(mx, 1);
	p.trusted = 0;
	assert_int_equal(judge("secure", &p, "example.org", "mx.example.org"), NAMEMATCH_FAILS);
	assert_int_equal(judge("verify", &p, "example.org", "mx.example.org"), NAMEMATCH_FAILS);
	assert_int_equal(judge("encrypt", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	p.tls = 0;
	assert_int_equal(judge("encrypt", &p, "example.org", "mx.example.org"), NAMEMATCH_FAILS);
	assert_int_equal(judge("may", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	p.starttls = 0;
	assert_int_equal(judge("encrypt", &p, "example.org", "mx.example.org"), NAMEMATCH_FAILS);
	assert_int_equal(judge("may", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	assert_int_equal(judge("none", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	p.connected = 0;
	assert_int_equal(judge("may", &p, "example.org", "mx.example.org"), NAMEMATCH_FAILS);
	assert_int_equal(judge("none", &p, "example.org", "mx.example.org"), NAMEMATCH_DELIVERS);
	p = peer_with(mx, 1);
	assert_int_equal(judge("dane", &p, "example.org", "mx.example.org"), NAMEMATCH_UNKNOWN);
	assert_int_equal(judge("dane-only", &p, "example.org", "mx.example.org"), NAMEMATCH_UNKNOWN);
}

static void test_policy_fingerprint(void **state)
{
	const char *mx[] = { "mx.example.org" };
	struct namematch_peer p = peer_with(mx, 1);
	char cert_fp[200], pkey_fp[200], low[200];
	size_t o = 0;

	(void)state;
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(cert_fp + o, sizeof(cert_fp) - o, "%s%02X", i ? ":" : "", i);
	o = 0;
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(pkey_fp + o, sizeof(pkey_fp) - o, "%s%02X", i ? ":" : "",
				      0xa0 + i);
	o = 0;
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(low + o, sizeof(low) - o, "%02x", 0xa0 + i);
	{
		char pol[600];

		/* fingerprints need neither trust nor names */
		p.trusted = 0;
		snprintf(pol, sizeof(pol), "fingerprint match=%s", cert_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_DELIVERS);
		snprintf(pol, sizeof(pol), "fingerprint match=%s", pkey_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_DELIVERS);
		snprintf(pol, sizeof(pol), "fingerprint match=%s", low);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_DELIVERS);
		snprintf(pol, sizeof(pol), "fingerprint match=%.93s00|%s", cert_fp, pkey_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_DELIVERS);
		snprintf(pol, sizeof(pol), "fingerprint match=%.93s00", cert_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_FAILS);
		snprintf(pol, sizeof(pol), "fingerprint match=%.93s00 match=%s", cert_fp, cert_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_DELIVERS);
		p.tls = 0;
		snprintf(pol, sizeof(pol), "fingerprint match=%s", cert_fp);
		assert_int_equal(judge(pol, &p, "x", "y"), NAMEMATCH_FAILS);
	}
}

static void test_split(void **state)
{
	const char *w[8];
	char *st;
	size_t n;

	(void)state;
	n = namematch_split("a::b:c:", ':', w, 8, &st);
	assert_int_equal(n, 3);
	assert_string_equal(w[0], "a");
	assert_string_equal(w[1], "b");
	assert_string_equal(w[2], "c");
	free(st);
	n = namematch_split("a|b|c|d", '|', w, 2, &st);
	assert_int_equal(n, 2);
	free(st);
	n = namematch_split("", ':', w, 8, &st);
	assert_int_equal(n, 0);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul_in_cert_name),
		cmocka_unit_test(test_against_openssl),
		cmocka_unit_test(test_cn_fallback),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_policy_levels),
		cmocka_unit_test(test_policy_fingerprint),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
