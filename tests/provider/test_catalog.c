/* SPDX-License-Identifier: MIT */
/*
 * test_catalog - the provider catalogue (provider/catalog.h) and the
 * pure parts of provider templates (provider/provider.h): parser errors
 * with file:line, the admin layer (add, replace, disable), MX patterns,
 * the decision table of the discovery source on hand-made MX sets, the
 * transport(5) reader and the template writer, and the shipped
 * data/providers.conf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "provider/catalog.h"
#include "provider/provider.h"

static const char base_text[] =
	"# comment\n"
	"provider alpha\n"
	"name Alpha Mail\n"
	"mx .mx.alpha.example mx.alpha.example\n"
	"mx *.in.alpha.example\n"
	"policy secure match=.alpha.example\n"
	"source https://alpha.example/docs\n"
	"\n"
	"provider beta\n"
	"  name   Beta\n"
	"  mx     MX1.Beta.Example. mx2.beta.example\n"
	"  policy verify\n"
	"  pin    dane-only\n"
	"provider gamma\n"
	"name Gamma (recognised only)\n"
	"mx .gamma.example\n";

static struct catalog *base(void)
{
	struct catalog *c = catalog_new();
	struct errbuf why;

	assert_non_null(c);
	if (catalog_parse(c, base_text, strlen(base_text), "base.conf", 0, NULL, &why) < 0)
		fail_msg("%s", why.msg);
	return c;
}

static void test_parse_ok(void **state)
{
	struct catalog *c = base();
	const struct provider *a, *b, *g;

	(void)state;
	assert_int_equal(catalog_count(c), 3);
	a = catalog_find(c, "alpha");
	b = catalog_find(c, "beta");
	g = catalog_find(c, "gamma");
	assert_non_null(a);
	assert_string_equal(a->name, "Alpha Mail");
	assert_int_equal(a->nmx, 3);
	assert_string_equal(a->mx[0], ".mx.alpha.example");
	assert_string_equal(a->mx[2], "*.in.alpha.example");
	assert_string_equal(a->policy, "secure match=.alpha.example");
	assert_null(a->pin);
	assert_int_equal(a->nsources, 1);
	assert_string_equal(a->file, "base.conf:2");
	assert_string_equal(a->origin, "builtin");
	assert_string_equal(b->mx[0], "mx1.beta.example");    /* lower case, no dot */
	assert_string_equal(b->pin, "dane-only");
	assert_null(g->policy);
	catalog_free(c);
}

struct bad {
	const char *text;
	const char *want;     /* substring of the error */
};

static const struct bad bads[] = {
	{ "name x\n", "t.conf:1: \"name\" before the first" },
	{ "provider Alpha\n", "t.conf:1: provider id" },
	{ "provider a\nmx a.example\n", "provider a has no name" },
	{ "provider a\nname A\n", "provider a has no mx" },
	{ "provider a\nname A\nmx a.example\nprovider a\nname B\nmx b.example\n", "defined twice" },
	{ "provider a\nname A\nmx a..example\n", "t.conf:3: mx pattern" },
	{ "provider a\nname A\nmx .example\n", "mx pattern" },
	{ "provider a\nname A\nmx *.example\n", "mx pattern" },
	{ "provider a\nname A\nmx f*.a.example\n", "mx pattern" },
	{ "provider a\nname A\nmx -a.example\n", "mx pattern" },
	{ "provider a\nname A\nmx\n", "at least one pattern" },
	{ "provider a\nname A\nmx a.example\npolicy secure bogus=1\n", "t.conf:4: policy:" },
	{ "provider a\nname A\nmx a.example\npolicy verify\npolicy may\n", "policy given twice" },
	{ "provider a\nname A\nmx a.example\npin nonsense\n", "t.conf:4: pin:" },
	{ "provider a\nname A\nname B\nmx a.example\n", "name given twice" },
	{ "provider a\nname A\nmx a.example\ncolour blue\n", "unknown key" },
	{ "provider a\nname A\nmx a.example\ndisabled yes\n", "for the admin's file" },
	{ "provider a\nname A\nmx a.example\nsource\n", "source is empty" },
	{ "provider a\nname A\x01\nmx a.example\n", "control character" },
};

static void test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct catalog *c = base();
		struct errbuf why;

		errbuf_clear(&why);
		if (catalog_parse(c, bads[i].text, strlen(bads[i].text), "t.conf", 0, NULL, &why) == 0)
			fail_msg("bad %zu parsed", i);
		if (strstr(why.msg, bads[i].want) == NULL)
			fail_msg("bad %zu: \"%s\" lacks \"%s\"", i, why.msg, bads[i].want);
		assert_int_equal(catalog_count(c), 3);       /* unchanged */
		assert_string_equal(catalog_find(c, "alpha")->policy, "secure match=.alpha.example");
		catalog_free(c);
	}
}

static void test_limits(void **state)
{
	struct catalog *c = catalog_new();
	struct errbuf why;
	char *t = malloc(CATALOG_MAX_LINE + 100);
	size_t o;

	(void)state;
	o = (size_t)sprintf(t, "provider a\nname ");
	memset(t + o, 'x', CATALOG_MAX_LINE);
	t[o + CATALOG_MAX_LINE] = '\n';
	assert_int_equal(catalog_parse(c, t, o + CATALOG_MAX_LINE + 1, "t", 0, NULL, &why), -1);
	assert_non_null(strstr(why.msg, "line longer"));
	free(t);
	{
		char mx[CATALOG_MAX_MX * 16 + 64];

		o = (size_t)sprintf(mx, "provider a\nname A\nmx");
		for (int i = 0; i <= CATALOG_MAX_MX; i++)
			o += (size_t)sprintf(mx + o, " h%d.a.example", i);
		mx[o++] = '\n';
		assert_int_equal(catalog_parse(c, mx, o, "t", 0, NULL, &why), -1);
		assert_non_null(strstr(why.msg, "mx patterns"));
	}
	{
		static const char nul[] = "provider a\nname A\0\nmx a.example\n";

		assert_int_equal(catalog_parse(c, nul, sizeof(nul) - 1, "t", 0, NULL, &why), -1);
		assert_non_null(strstr(why.msg, "NUL"));
	}
	assert_int_equal(catalog_count(c), 0);
	catalog_free(c);
}

static void test_admin_layer(void **state)
{
	static const char admin[] =
		"provider beta\n"
		"name Beta (mine)\n"
		"mx mx9.beta.example\n"
		"policy encrypt\n"
		"provider gamma\n"
		"disabled yes\n"
		"provider delta\n"
		"name Delta\n"
		"mx .delta.example\n"
		"policy may\n";
	struct catalog *c = base();
	struct errbuf why;
	const struct provider *b;

	(void)state;
	assert_int_equal(catalog_parse(c, admin, sizeof(admin) - 1, "admin.conf", 1, NULL, &why), 0);
	assert_int_equal(catalog_count(c), 3);
	assert_null(catalog_find(c, "gamma"));
	b = catalog_find(c, "beta");
	assert_string_equal(b->name, "Beta (mine)");
	assert_int_equal(b->nmx, 1);
	assert_string_equal(b->policy, "encrypt");
	assert_null(b->pin);                   /* replaced whole */
	assert_string_equal(b->origin, "admin");
	assert_non_null(catalog_find(c, "delta"));
	/* disabling an unknown id is harmless */
	{
		static const char d[] = "provider nothere\ndisabled yes\n";

		assert_int_equal(catalog_parse(c, d, sizeof(d) - 1, "a2", 1, NULL, &why), 0);
		assert_int_equal(catalog_count(c), 3);
	}
	catalog_free(c);
}

static void test_patterns(void **state)
{
	(void)state;
	assert_true(catalog_pattern_match("mx.a.example", "mx.a.example"));
	assert_true(catalog_pattern_match("mx.a.example", "MX.A.EXAMPLE."));
	assert_false(catalog_pattern_match("mx.a.example", "x.mx.a.example"));
	assert_true(catalog_pattern_match(".a.example", "mx.a.example"));
	assert_true(catalog_pattern_match(".a.example", "x.y.a.example"));
	assert_false(catalog_pattern_match(".a.example", "a.example"));
	assert_false(catalog_pattern_match(".a.example", "xa.example"));
	assert_true(catalog_pattern_match("*.a.example", "mx.a.example"));
	assert_false(catalog_pattern_match("*.a.example", "x.y.a.example"));
	assert_false(catalog_pattern_match("*.a.example", "a.example"));
	assert_false(catalog_pattern_match("*.a.example", ".a.example"));
}

static void test_match_hosts(void **state)
{
	struct catalog *c = base();
	const char *pat;
	const char *h1[] = { "a.mx.alpha.example", "mx.alpha.example", "x.in.alpha.example" };
	const char *h2[] = { "mx1.beta.example", "a.mx.alpha.example" };
	const char *h3[] = { "mx1.beta.example", "other.example" };
	const char *why;

	(void)state;
	assert_string_equal(catalog_match_host(c, "x.mx.alpha.example", &pat)->id, "alpha");
	assert_string_equal(pat, ".mx.alpha.example");
	assert_null(catalog_match_host(c, "y.x.in.alpha.example", NULL));
	assert_string_equal(catalog_match_hosts(c, h1, 3, &why)->id, "alpha");
	assert_null(catalog_match_hosts(c, h2, 2, &why));
	assert_non_null(strstr(why, "different providers"));
	assert_null(catalog_match_hosts(c, h3, 2, &why));
	assert_non_null(strstr(why, "no catalogued provider"));
	assert_null(catalog_match_hosts(c, h1, 0, &why));
	catalog_free(c);
	/* the longest pattern wins across providers */
	{
		static const char t[] =
			"provider wide\nname W\nmx .a.example\n"
			"provider narrow\nname N\nmx .b.a.example\n";
		struct errbuf e;

		c = catalog_new();
		assert_int_equal(catalog_parse(c, t, sizeof(t) - 1, "t", 0, NULL, &e), 0);
		assert_string_equal(catalog_match_host(c, "mx.b.a.example", NULL)->id, "narrow");
		assert_string_equal(catalog_match_host(c, "mx.c.a.example", NULL)->id, "wide");
		catalog_free(c);
	}
}

static struct provider_mxset mxset(const char *domain, enum dns_status st, enum dns_sec sec,
				   const char *const *hosts, size_t n)
{
	struct provider_mxset m;

	memset(&m, 0, sizeof(m));
	snprintf(m.domain, sizeof(m.domain), "%s", domain);
	m.status = st;
	m.sec = sec;
	m.ttl = 300;
	for (size_t i = 0; i < n; i++) {
		snprintf(m.hosts[i], sizeof(m.hosts[i]), "%s", hosts[i]);
		m.pref[i] = (unsigned)(10 * (i + 1));
	}
	m.nhosts = n;
	return m;
}

static void test_decide(void **state)
{
	struct catalog *c = base();
	struct provider_decision d;
	const char *alpha[] = { "a.mx.alpha.example", "mx.alpha.example" };
	const char *mixed[] = { "a.mx.alpha.example", "mx1.beta.example" };
	const char *gamma[] = { "mx.gamma.example" };
	const char *none[] = { "mx.self.example" };
	struct provider_mxset m;

	(void)state;
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, alpha, 2);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_APPLIES);
	assert_string_equal(d.policy, "secure match=.alpha.example");
	assert_string_equal(d.provider->id, "alpha");
	assert_int_equal(d.ttl, 300);
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_SECURE, mixed, 2);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, gamma, 1);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	assert_string_equal(d.provider->id, "gamma");
	assert_non_null(strstr(d.reason, "no template policy"));
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, none, 1);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	assert_null(d.provider);
	m = mxset("d.example", DNS_STATUS_NXDOMAIN, DNS_SEC_SECURE, NULL, 0);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	m = mxset("d.example", DNS_STATUS_TIMEOUT, DNS_SEC_INDETERMINATE, NULL, 0);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_FAILED);
	m = mxset("d.example", DNS_STATUS_SERVFAIL, DNS_SEC_INDETERMINATE, NULL, 0);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_FAILED);
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_BOGUS, alpha, 2);
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_FAILED);
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_SECURE, NULL, 0);
	m.null_mx = 1;
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	assert_non_null(strstr(d.reason, "null MX"));
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, alpha, 2);
	m.truncated = 1;
	provider_decide(c, &m, &d);
	assert_int_equal(d.verdict, SOURCE_NOT_APPLICABLE);
	m = mxset("d.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, alpha, 2);
	m.ttl = 5;
	provider_decide(c, &m, &d);
	assert_int_equal(d.ttl, PROVIDER_MIN_TTL);
	catalog_free(c);
}

static void test_mxset_from_answer(void **state)
{
	/* rdata: pref (2 bytes) + name in wire form */
	static const unsigned char r1[] = { 0, 20, 3, 'm', 'x', '2', 1, 'a', 7, 'e', 'x', 'a',
					    'm', 'p', 'l', 'e', 0 };
	static const unsigned char r2[] = { 0, 10, 3, 'm', 'x', '1', 1, 'a', 7, 'e', 'x', 'a',
					    'm', 'p', 'l', 'e', 0 };
	static const unsigned char nul[] = { 0, 0, 0 };
	struct dns_record recs[2] = { { r1, sizeof(r1) }, { r2, sizeof(r2) } };
	struct dns_record nrec[1] = { { nul, sizeof(nul) } };
	struct dns_answer a;
	struct provider_mxset m;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.status = DNS_STATUS_DATA;
	a.sec = DNS_SEC_INSECURE;
	a.ttl = 120;
	a.count = 2;
	a.records = recs;
	provider_mxset_from_answer(&a, "a.example", &m);
	assert_int_equal(m.nhosts, 2);
	assert_string_equal(m.hosts[0], "mx1.a.example");
	assert_int_equal(m.pref[0], 10);
	assert_string_equal(m.hosts[1], "mx2.a.example");
	a.count = 1;
	a.records = nrec;
	provider_mxset_from_answer(&a, "a.example", &m);
	assert_true(m.null_mx);
	assert_int_equal(m.nhosts, 0);
	a.status = DNS_STATUS_NODATA;
	a.count = 0;
	provider_mxset_from_answer(&a, "a.example", &m);
	assert_true(m.implicit);
	assert_string_equal(m.hosts[0], "a.example");
}

static void test_pins_parse(void **state)
{
	static const char t[] =
		"# transport\n"
		"a.example\tsmtp:[mx1.a.example], [MX2.a.example]\n"
		"b.example   relay:[10.0.0.1]:2525\n"
		"c.example   smtp:mx.c.example\n"      /* MX lookups: not a pin */
		"d.example   smtp:\n"
		"e.example   smtp:[one.e.example],\n"
		"   [two.e.example]\n"
		"\n"
		"f.example   local:\n";
	struct provider_pin *p;
	size_t n;
	struct errbuf why;

	(void)state;
	assert_int_equal(provider_pins_parse(t, sizeof(t) - 1, "transport", &p, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].domain, "a.example");
	assert_int_equal(p[0].line, 2);
	assert_int_equal(p[0].nhosts, 2);
	assert_string_equal(p[0].hosts[1], "mx2.a.example");
	assert_string_equal(p[1].hosts[0], "10.0.0.1");
	assert_string_equal(p[2].domain, "e.example");
	assert_int_equal(p[2].nhosts, 2);
	assert_string_equal(p[2].hosts[1], "two.e.example");
	free(p);
	{
		static const char bad1[] = "a.example smtp:[mx1.a.example\n";
		static const char bad2[] = "a.example\n";
		static const char bad3[] = "  [x]\n";

		assert_int_equal(provider_pins_parse(bad1, sizeof(bad1) - 1, "t", &p, &n, &why), -1);
		assert_non_null(strstr(why.msg, "t:1:"));
		assert_int_equal(provider_pins_parse(bad2, sizeof(bad2) - 1, "t", &p, &n, &why), -1);
		assert_int_equal(provider_pins_parse(bad3, sizeof(bad3) - 1, "t", &p, &n, &why), -1);
	}
}

static void test_template_write(void **state)
{
	struct catalog *c = base();
	const char *h1[] = { "mx1.beta.example", "mx2.beta.example" };
	const char *h2[] = { "mx2.beta.example" };
	struct provider_mxset m1 = mxset("one.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, h1, 2);
	struct provider_mxset m2 = mxset("two.example", DNS_STATUS_DATA, DNS_SEC_INSECURE, h2, 1);
	const struct provider_mxset *sets[] = { &m1, &m2 };
	char *t = NULL, *p = NULL;
	size_t tl, pl;
	FILE *tf = open_memstream(&t, &tl), *pf = open_memstream(&p, &pl);
	struct errbuf why;

	(void)state;
	assert_int_equal(provider_template_write(tf, pf, catalog_find(c, "beta"), sets, 2, 307,
						 &why), 0);
	fclose(tf);
	fclose(pf);
	assert_string_equal(t,
		"# transport(5) lines from tlspolicy provider template beta (Beta)\n"
		"# one.example: MX mx1.beta.example (10), mx2.beta.example (20)\n"
		"one.example\tsmtp:[mx1.beta.example], [mx2.beta.example]\n"
		"# two.example: MX mx2.beta.example (10)\n"
		"two.example\tsmtp:[mx2.beta.example]\n");
	assert_string_equal(p,
		"# tls_policy(5) lines for the pinned next hops (provider beta: Beta)\n"
		"# mx1.beta.example: MX of one.example\n"
		"[mx1.beta.example]\tdane-only\n"
		"# mx2.beta.example: MX of one.example two.example\n"
		"[mx2.beta.example]\tdane-only\n");
	free(t);
	free(p);
	/* Postfix 3.4: one next hop */
	tf = open_memstream(&t, &tl);
	pf = open_memstream(&p, &pl);
	assert_int_equal(provider_template_write(tf, pf, catalog_find(c, "alpha"), sets, 1, 304,
						 &why), 0);
	fclose(tf);
	fclose(pf);
	assert_non_null(strstr(t, "one.example\tsmtp:[mx1.beta.example]\n"));
	assert_null(strstr(p, "[mx2.beta.example]"));
	assert_non_null(strstr(p, "[mx1.beta.example]\tsecure match=.alpha.example\n"));
	free(t);
	free(p);
	/* no policy: error */
	tf = open_memstream(&t, &tl);
	pf = open_memstream(&p, &pl);
	assert_int_equal(provider_template_write(tf, pf, catalog_find(c, "gamma"), sets, 1, 307,
						 &why), -1);
	fclose(tf);
	fclose(pf);
	free(t);
	free(p);
	catalog_free(c);
}

static void test_shipped_catalogue(void **state)
{
	const char *src = getenv("SRCDIR");
	char path[4096];
	struct catalog *c = catalog_new();
	struct errbuf why;
	static const char *const ids[] = { "google", "microsoft365", "outlook", "yahoo", "icloud",
					   "fastmail", "zoho", "proton", "hostpoint" };
	const char *g[] = { "aspmx.l.google.com", "alt1.aspmx.l.google.com", "smtp.google.com",
			    "aspmx2.googlemail.com" };
	const char *m[] = { "contoso-com.mail.protection.outlook.com" };

	(void)state;
	snprintf(path, sizeof(path), "%s/data/providers.conf", src ? src : "..");
	if (catalog_load_file(c, path, 0, 0, NULL, &why) < 0)
		fail_msg("%s", why.msg);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct provider *p = catalog_find(c, ids[i]);

		if (p == NULL)
			fail_msg("provider %s missing", ids[i]);
		if (p->nsources == 0)
			fail_msg("provider %s has no source", ids[i]);
	}
	assert_string_equal(catalog_match_hosts(c, g, 4, NULL)->id, "google");
	assert_string_equal(catalog_match_hosts(c, m, 1, NULL)->id, "microsoft365");
	assert_string_equal(catalog_find(c, "microsoft365")->policy,
			    "secure match=.mail.protection.outlook.com");
	assert_string_equal(catalog_find(c, "google")->policy, "secure match=mx.google.com");
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_admin_layer),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_match_hosts),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_mxset_from_answer),
		cmocka_unit_test(test_pins_parse),
		cmocka_unit_test(test_template_write),
		cmocka_unit_test(test_shipped_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
