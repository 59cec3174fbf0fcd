/* SPDX-License-Identifier: MIT */
/*
 * test_compare - policy_weaker(): which table rows are weaker than what a
 * destination publishes (DANE, MTA-STS, provider templates), and
 * policy_check_row().  The name rules follow Postfix's match names
 * (tls_client.c add_namechecks(): a ".domain" name matches any
 * sub-domain, other names are compared as they are).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy/compare.h"
#include "policy/policy.h"

struct cmp_case {
	const char *row, *ref, *nexthop;
	int weaker;
	const char *why; /* substring of the reason when weaker */
};

#define FP1 "B6:B4:72:34:E2:59:CD:6C:B8:C2:CA:63:0D:4D:CC:2C:7D:84:DE:E6"
#define FP2 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

static const struct cmp_case cases[] = {
	/* DANE published (dane-only, or dane for partial TLSA) */
	{"encrypt", "dane-only", "d.example", 1, "encrypt ignores the published TLSA"},
	{"verify", "dane-only", "d.example", 1, "verify ignores the published TLSA"},
	{"secure match=mx.d.example", "dane-only", "d.example", 1, "ignores"},
	{"fingerprint match=" FP1, "dane-only", "d.example", 1, "ignores"},
	{"may", "dane", "d.example", 1, "ignores"},
	{"dane", "dane-only", "d.example", 0, NULL},
	{"dane-only", "dane", "d.example", 0, NULL},
	{"dane-only", "dane-only", "d.example", 0, NULL},
	/* MTA-STS enforce: secure match=<mx patterns> servername=hostname */
	{"encrypt", "secure match=mx.s.example servername=hostname", "s.example", 1,
	 "encrypt accepts any certificate"},
	{"may", "secure match=mx.s.example", "s.example", 1, "may allows plaintext"},
	{"none", "secure match=mx.s.example", "s.example", 1, "none never uses TLS"},
	{"dane", "secure match=mx.s.example", "s.example", 1,
	 "dane allows plaintext without TLSA records"},
	{"verify", "secure match=mx.s.example servername=hostname", "s.example", 1,
	 "trusts the MX host name from DNS"},
	{"secure match=mx.s.example", "secure match=mx.s.example servername=hostname",
	 "s.example", 0, NULL},
	{"secure match=mx.s.example:mx2.s.example", "secure match=mx.s.example",
	 "s.example", 1, "accepts certificates for \"mx2.s.example\""},
	{"secure match=mx.s.example", "secure match=mx.s.example:mx2.s.example",
	 "s.example", 0, NULL},
	/* .domain covers names and .sub-domains under it, not itself */
	{"secure match=mx.s.example", "secure match=.s.example", "s.example", 0, NULL},
	{"secure match=.mx.s.example", "secure match=.s.example", "s.example", 0, NULL},
	{"secure match=*.mx.s.example", "secure match=.s.example", "s.example", 0, NULL},
	{"secure match=s.example", "secure match=.s.example", "s.example", 1,
	 "accepts certificates for \"s.example\""},
	{"secure match=.s.example", "secure match=mx.s.example", "s.example", 1,
	 "\".s.example\""},
	{"secure match=.example", "secure match=.s.example", "s.example", 1, "\".example\""},
	/* the secure default is nexthop:dot-nexthop */
	{"secure", "secure match=s.example:.s.example", "s.example", 0, NULL},
	{"secure match=mx.s.example", "secure", "s.example", 0, NULL},
	{"secure match=mx.other.example", "secure", "s.example", 1, "mx.other.example"},
	{"secure match=dot-nexthop", "secure match=.s.example", "s.example", 0, NULL},
	/* provider templates */
	{"verify", "secure match=mx.google.com", "gmail-hosted.example", 1, "match=hostname"},
	{"encrypt", "secure match=mx.google.com", "gmail-hosted.example", 1, "any certificate"},
	{"secure match=mx.google.com", "secure match=mx.google.com", "g.example", 0, NULL},
	{"secure match=*.mail.hostpoint.ch", "secure match=.hostpoint.ch", "h.example", 0, NULL},
	{"secure match=*.mail.hostpoint.ch", "secure match=*.mail.hostpoint.ch", "h.example",
	 0, NULL},
	{"secure match=mx1.mail.hostpoint.ch", "secure match=*.mail.hostpoint.ch",
	 "h.example", 1, "mx1.mail.hostpoint.ch"},
	/* stronger authentication is never weaker than WebPKI */
	{"dane-only", "secure match=mx.s.example", "s.example", 0, NULL},
	{"fingerprint match=" FP1, "secure match=mx.s.example", "s.example", 0, NULL},
	/* verify with explicit names is compared by its names */
	{"verify match=mx.s.example", "secure match=mx.s.example", "s.example", 0, NULL},
	{"verify", "verify", "s.example", 0, NULL},
	/* trust anchors */
	{"secure match=mx.s.example", "secure match=mx.s.example tafile=/ta.pem", "s.example",
	 1, "trusts CAs outside"},
	{"secure match=mx.s.example tafile=/ta.pem", "secure match=mx.s.example tafile=/ta.pem",
	 "s.example", 0, NULL},
	{"secure match=mx.s.example tafile=/ta.pem", "secure match=mx.s.example", "s.example",
	 0, NULL},
	/* fingerprints */
	{"fingerprint match=" FP1, "fingerprint match=" FP1 "|" FP2, "f.example", 0, NULL},
	{"fingerprint match=" FP1 "|" FP2, "fingerprint match=" FP1, "f.example", 1, FP2},
	{"secure", "fingerprint match=" FP1, "f.example", 1, "does not pin"},
	/* weak references */
	{"may", "encrypt", "e.example", 1, "allows plaintext"},
	{"dane", "encrypt", "e.example", 1, "without TLSA"},
	{"encrypt", "encrypt", "e.example", 0, NULL},
	{"verify", "encrypt", "e.example", 0, NULL},
	{"none", "may", "e.example", 1, "never uses TLS"},
	{"may", "may", "e.example", 0, NULL},
	{"none", "none", "e.example", 0, NULL},
	/* no next hop known: nexthop stays a word of its own */
	{"secure match=nexthop", "secure match=nexthop", NULL, 0, NULL},
	{"secure match=nexthop", "secure match=mx.s.example", NULL, 1, "nexthop"},
};

static struct policy *parse(const char *text)
{
	struct policy *p = NULL;
	struct errbuf why;

	errbuf_clear(&why);
	if (policy_parse(text, NULL, &p, &why) < 0)
		fail_msg("policy_parse(\"%s\"): %s", text, why.msg);
	return p;
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmp_case *c = &cases[i];
		struct policy *row = parse(c->row), *ref = parse(c->ref);
		char why[256];
		int w = policy_weaker(row, ref, c->nexthop, why, sizeof(why));

		if (w != c->weaker)
			fail_msg("\"%s\" vs \"%s\": weaker %d, want %d (%s)", c->row, c->ref,
				 w, c->weaker, why);
		if (w && c->why && strstr(why, c->why) == NULL)
			fail_msg("\"%s\" vs \"%s\": reason \"%s\" lacks \"%s\"", c->row, c->ref,
				 why, c->why);
		if (!w && why[0] != '\0')
			fail_msg("\"%s\" vs \"%s\": a reason without weaker: %s", c->row,
				 c->ref, why);
		/* NULL why is allowed */
		assert_int_equal(policy_weaker(row, ref, c->nexthop, NULL, 0), w);
		policy_free(row);
		policy_free(ref);
	}
}

/* Every level against itself: never weaker (reflexive). */
static void test_reflexive(void **state)
{
	static const char *const texts[] = {
		"none", "may", "encrypt", "dane", "dane-only", "fingerprint match=" FP1,
		"verify", "secure", "secure match=.a.example:b.example tafile=/x.pem",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct policy *p = parse(texts[i]);

		assert_int_equal(policy_weaker(p, p, "a.example", NULL, 0), 0);
		policy_free(p);
	}
}

/* More match names than are compared: never "covered". */
static void test_overflow(void **state)
{
	char text[POLICY_MAX_TEXT];
	struct policy *row, *ref;
	size_t o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), "secure match=");
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%sm%d.example", i ? ":" : "", i);
	row = parse(text);
	ref = parse("secure match=.example");
	assert_int_equal(policy_weaker(row, ref, "x.example", NULL, 0), 1);
	assert_int_equal(policy_weaker(ref, row, "x.example", NULL, 0), 1);
	policy_free(row);
	policy_free(ref);
}

static void test_check_row(void **state)
{
	struct policy *p;
	struct errbuf why;

	(void)state;
	p = parse("fingerprint");
	errbuf_clear(&why);
	assert_int_equal(policy_check_row(p, &why), -1);
	assert_non_null(strstr(why.msg, "fingerprint needs match="));
	assert_non_null(strstr(why.msg, "smtp_tls_fingerprint_cert_match"));
	policy_free(p);
	p = parse("fingerprint match=" FP1);
	assert_int_equal(policy_check_row(p, &why), 0);
	policy_free(p);
	p = parse("secure");
	assert_int_equal(policy_check_row(p, &why), 0);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_reflexive),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_check_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
