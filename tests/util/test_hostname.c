/* SPDX-License-Identifier: MIT */
/*
 * test_hostname.c - the one host-name rule (util/hostname.h) and its
 * users agreeing on it: the DNS layer (rr_domain_normalize, MX names),
 * the policy parser (table keys, servername/match) and the provider
 * catalogue (mx patterns).  Issue 11: these were three validators that
 * disagreed ("-a.example" accepted by the DNS layer; "a.123" accepted
 * by the catalogue and the policy parser).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dns/rr.h"
#include "policy/policy.h"
#include "provider/catalog.h"
#include "util/errbuf.h"
#include "util/hostname.h"

static const struct {
	const char *in;
	enum hostname_err want;
} rows[] = {
	{ "mx.example", HOSTNAME_OK },
	{ "MX.Example", HOSTNAME_OK },
	{ "a", HOSTNAME_OK },
	{ "mx_1.x-y.example", HOSTNAME_OK },
	{ "123.example", HOSTNAME_OK },
	{ "xn--bcher-kva.example", HOSTNAME_OK },
	{ "", HOSTNAME_EMPTY },
	{ "-a.example", HOSTNAME_BAD_HYPHEN },
	{ "a-.example", HOSTNAME_BAD_HYPHEN },
	{ "a.example-", HOSTNAME_BAD_HYPHEN },
	{ "a..example", HOSTNAME_BAD_DOT },
	{ ".example", HOSTNAME_BAD_DOT },
	{ "example.", HOSTNAME_BAD_DOT },
	{ "a b.example", HOSTNAME_BAD_CHAR },
	{ "a\\046b.example", HOSTNAME_BAD_CHAR },
	{ "ex\xc3\xa4mple.example", HOSTNAME_BAD_CHAR },
	{ "1.2.3.4", HOSTNAME_NUMERIC },
	{ "a.123", HOSTNAME_NUMERIC },
	{ "123", HOSTNAME_NUMERIC },
};

static void test_rule(void **state)
{
	char big[300];
	size_t at = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum hostname_err e = hostname_check(rows[i].in, strlen(rows[i].in), NULL);

		if (e != rows[i].want)
			fail_msg("\"%s\": %s, want %s", rows[i].in, hostname_err_str(e),
				 hostname_err_str(rows[i].want));
		assert_int_equal(hostname_valid(rows[i].in), rows[i].want == HOSTNAME_OK);
	}
	assert_int_equal(hostname_check("ab.-c", 5, &at), HOSTNAME_BAD_HYPHEN);
	assert_int_equal(at, 3);
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(hostname_check(big, 64, NULL), HOSTNAME_LABEL_LONG);
	big[63] = '\0';
	assert_int_equal(hostname_check(big, 63, NULL), HOSTNAME_OK);
	for (int i = 0; i < HOSTNAME_MAX; i++)
		big[i] = (i % 2) ? '.' : 'a';
	big[HOSTNAME_MAX] = '\0';
	assert_int_equal(hostname_valid(big), 1);
	big[HOSTNAME_MAX] = 'a';
	big[HOSTNAME_MAX + 1] = '\0';
	assert_int_equal(hostname_check(big, HOSTNAME_MAX + 1, NULL), HOSTNAME_TOO_LONG);
}

/* The DNS layer, the policy parser and the catalogue agree with it. */
static void test_users_agree(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *in = rows[i].in;
		int want = rows[i].want == HOSTNAME_OK;
		char out[DNS_NAME_BUF], key[POLICY_KEY_MAX], pol[400], cat[400];
		struct errbuf why;
		struct policy *p = NULL;
		struct catalog *c;
		int got, ascii = 1;

		if (in[0] == '\0' || strchr(in, '\\') || strchr(in, ' '))
			continue; /* not expressible as one word in a row or a file */
		if (in[strlen(in) - 1] == '.')
			continue; /* every user takes one trailing dot (a user's "example.") */
		for (const char *c = in; *c; c++)
			ascii &= (unsigned char)*c < 0x80;
		got = rr_domain_normalize(in, out, sizeof(out), &why) == 0;
		if (got != want)
			fail_msg("rr_domain_normalize(\"%s\"): %d, want %d", in, got, want);
		got = policy_key_normalize(in, key, sizeof(key), NULL, &why) == 0;
		/* a table key is a mail domain: RFC 5321 section 4.1.2
		 * sub-domain has no '_' (policy.c allow_underscore); UTF-8
		 * names become A-labels there (IDNA2008) */
		if (in[0] != '.' && !strchr(in, '_') && ascii && got != want)
			fail_msg("policy_key_normalize(\"%s\"): %d, want %d (%s)", in, got, want,
				 got ? "" : why.msg);
		snprintf(pol, sizeof(pol), "secure match=%s", in);
		got = policy_parse(pol, NULL, &p, &why) == 0;
		policy_free(p);
		if (in[0] != '.' && ascii && got != want)
			fail_msg("policy match=%s: %d, want %d (%s)", in, got, want,
				 got ? "" : why.msg);
		snprintf(cat, sizeof(cat), "provider t\nname T\nmx %s\n", in);
		c = catalog_new();
		assert_non_null(c);
		got = catalog_parse(c, cat, strlen(cat), "t.conf", 0, NULL, &why) == 0;
		catalog_free(c);
		/* a catalogue pattern is a name, ".suffix" or "*.suffix" */
		if (in[0] != '.' && strchr(in, '.') != NULL && got != want)
			fail_msg("catalog mx %s: %d, want %d (%s)", in, got, want,
				 got ? "" : why.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_users_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
