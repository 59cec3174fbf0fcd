/* SPDX-License-Identifier: MIT */
/*
 * test_sts_answer - the Postfix answer an MTA-STS policy gives
 * (sts_policy_answer), table-driven: { policy, options, want status,
 * want text or a substring of the reason }.  The texts are checked
 * against the real policy layer (policy_parse/policy_format), and every
 * successful answer must parse again as a Postfix policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/sts_policy.h"
#include "policy/policy.h"
#include "util/config.h"

#define RFC "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n" \
	    "mx: backupmx.example.com\nmax_age: 604800\n"
#define RFC_MATCH "secure match=mail.example.com:.example.net:backupmx.example.com"
#define TLSRPT_RFC " policy_type=sts policy_domain=example.com" \
	" { policy_string = version: STSv1 } { policy_string = mode: enforce }" \
	" { policy_string = mx: mail.example.com } { policy_string = mx: *.example.net }" \
	" { policy_string = mx: backupmx.example.com } { policy_string = max_age: 604800 }" \
	" mx_host_pattern=mail.example.com mx_host_pattern=*.example.net" \
	" mx_host_pattern=backupmx.example.com"

struct ans_case {
	const char *body;
	int testing_may, servername;
	unsigned compat;
	int want_rc;
	const char *want; /* text (rc 1) or reason substring */
};

static const struct ans_case cases[] = {
	{ RFC, 0, 1, 307, 1, RFC_MATCH " servername=hostname" },
	{ RFC, 0, 0, 307, 1, RFC_MATCH },
	{ RFC, 1, 1, 309, 1, RFC_MATCH " servername=hostname" },
	{ RFC, 0, 1, 310, 1, RFC_MATCH " servername=hostname" TLSRPT_RFC },
	{ RFC, 0, 0, 311, 1, RFC_MATCH TLSRPT_RFC },
	/* duplicates (also after "*." became ".") removed, case folded */
	{ "version: STSv1\nmode: enforce\nmx: MX.example\nmx: mx.example\nmx: *.y.example\n"
	  "mx: *.Y.EXAMPLE\nmx: y.example\nmax_age: 1\n", 0, 1, 307, 1,
	  "secure match=mx.example:.y.example:y.example servername=hostname" },
	/* TLSRPT keeps every mx field, literal "*.", lower case */
	{ "version: STSv1\nmode: enforce\nmx: *.Y.EXAMPLE\nmx: *.y.example\nmax_age: 5\n",
	  0, 0, 310, 1,
	  "secure match=.y.example policy_type=sts policy_domain=example.com"
	  " { policy_string = version: STSv1 } { policy_string = mode: enforce }"
	  " { policy_string = mx: *.Y.EXAMPLE } { policy_string = mx: *.y.example }"
	  " { policy_string = max_age: 5 } mx_host_pattern=*.y.example mx_host_pattern=*.y.example" },
	/* lines with braces or non-ASCII are left out; a tab becomes a space;
	 * trailing blanks go */
	{ "version: STSv1  \nmode: enforce\nmx: m.example\nmax_age: 5\nx: {a}\n"
	  "y: \xc3\xa9\nz:\tb  c\n", 0, 0, 310, 1,
	  "secure match=m.example policy_type=sts policy_domain=example.com"
	  " { policy_string = version: STSv1 } { policy_string = mode: enforce }"
	  " { policy_string = mx: m.example } { policy_string = max_age: 5 }"
	  " { policy_string = z: b  c } mx_host_pattern=m.example" },
	{ "version: STSv1\nmode: testing\nmx: m.example\nmax_age: 5\n", 0, 1, 310, 0,
	  "mode testing (sts_testing = ignore)" },
	{ "version: STSv1\nmode: testing\nmx: m.example\nmax_age: 5\n", 1, 1, 307, 1, "may" },
	{ "version: STSv1\nmode: testing\nmx: m.example\nmax_age: 5\n", 1, 1, 310, 1,
	  "may policy_type=sts policy_domain=example.com { policy_string = version: STSv1 }"
	  " { policy_string = mode: testing } { policy_string = mx: m.example }"
	  " { policy_string = max_age: 5 } mx_host_pattern=m.example" },
	{ "version: STSv1\nmode: none\nmax_age: 5\n", 1, 1, 310, 0, "mode none" },
	{ "version: STSv1\nmode: none\nmx: m.example\nmax_age: 5\n", 0, 1, 307, 0, "mode none" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ans_case *c = &cases[i];
		struct sts_answer_opts o = { c->testing_may, c->servername, c->compat };
		struct policy_opts po = { c->compat };
		struct sts_policy *p;
		struct policy *pol;
		struct errbuf why;
		char *text = (char *)1;
		int rc;

		if (sts_policy_parse(c->body, strlen(c->body), &p, &why) < 0)
			fail_msg("case %zu: policy does not parse: %s", i, why.msg);
		errbuf_clear(&why);
		rc = sts_policy_answer(p, "example.com", &o, &text, &why);
		if (rc != c->want_rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, c->want_rc, why.msg);
		if (rc == 1) {
			if (strcmp(text, c->want) != 0)
				fail_msg("case %zu:\n got  %s\n want %s", i, text, c->want);
			if (policy_parse(text, &po, &pol, &why) < 0)
				fail_msg("case %zu: answer does not parse: %s", i, why.msg);
			policy_free(pol);
			free(text);
		} else {
			assert_null(text);
			if (strstr(why.msg, c->want) == NULL)
				fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why.msg,
					 c->want);
		}
		sts_policy_free(p);
	}
}

/* An answer over POLICY_MAX_TEXT is refused, not cut. */
static void test_too_long(void **state)
{
	struct sts_answer_opts o = { 0, 1, 307 };
	struct sts_policy *p;
	struct errbuf why;
	char *body = malloc(16384), *text = NULL;
	size_t n;

	(void)state;
	n = (size_t)sprintf(body, "version: STSv1\nmode: enforce\nmax_age: 60\n");
	for (int i = 0; i < STS_POLICY_MAX_MX; i++)
		n += (size_t)sprintf(body + n, "mx: mx%02d.a-rather-long-name-for-a-mail-host-of-a-big-provider.example\n", i);
	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	assert_int_equal(sts_policy_answer(p, "example.com", &o, &text, &why), -1);
	assert_null(text);
	assert_string_equal(why.msg, "answer longer than 4096 bytes");
	sts_policy_free(p);

	/* 40 of them fit */
	n = (size_t)sprintf(body, "version: STSv1\nmode: enforce\nmax_age: 60\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(body + n, "mx: mx%02d.a-rather-long-name-for-a-mail-host-of-a-big-provider.example\n", i);
	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	assert_int_equal(sts_policy_answer(p, "example.com", &o, &text, &why), 1);
	assert_true(strlen(text) < POLICY_MAX_TEXT);
	free(text);
	sts_policy_free(p);
	free(body);
}

/* Postfix 3.10 TLSRPT attributes never cost the enforcement (issue 10,
 * item 6): too many attributes or bytes -> the policy_string lines go,
 * then the mx_host_pattern list, and why says so. */
static void check_large(const char *body, size_t n, const char *want_prefix,
			int want_patterns, const char *want_note)
{
	struct sts_answer_opts o = { 0, 1, 310 };
	struct policy_opts po = { 310 };
	struct sts_policy *p;
	struct policy *pol;
	struct errbuf why;
	char *text = NULL;

	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	errbuf_clear(&why);
	assert_int_equal(sts_policy_answer(p, "big.example", &o, &text, &why), 1);
	if (strncmp(text, want_prefix, strlen(want_prefix)) != 0)
		fail_msg("got %.200s...\nwant %.200s...", text, want_prefix);
	assert_non_null(strstr(text, " policy_type=sts policy_domain=big.example"));
	assert_null(strstr(text, "policy_string"));
	assert_int_equal(strstr(text, "mx_host_pattern=") != NULL, want_patterns);
	if (want_patterns) /* every one of them, or none */
		for (size_t i = 0; i < p->nmx; i++) {
			char pat[300];

			snprintf(pat, sizeof(pat), " mx_host_pattern=%s", p->mx[i]);
			assert_non_null(strstr(text, pat));
		}
	if (strstr(why.msg, want_note) == NULL)
		fail_msg("why \"%s\" lacks \"%s\"", why.msg, want_note);
	assert_int_equal(policy_parse(text, &po, &pol, &why), 0);
	assert_int_equal(pol->level, POLICY_SECURE);
	policy_free(pol);
	free(text);
	sts_policy_free(p);
}

static void test_large_tlsrpt(void **state)
{
	char *body = malloc(16384), *match = malloc(8192);
	size_t n, m;

	(void)state;
	/* 40 mx lines: 40 patterns + 43 policy strings > 64 attributes */
	n = (size_t)sprintf(body, "version: STSv1\nmode: enforce\n");
	m = (size_t)sprintf(match, "secure match=");
	for (int i = 1; i <= 40; i++) {
		n += (size_t)sprintf(body + n, "mx: mx%02d.big.example\n", i);
		m += (size_t)sprintf(match + m, "%smx%02d.big.example", i > 1 ? ":" : "", i);
	}
	n += (size_t)sprintf(body + n, "max_age: 86400\n");
	sprintf(match + m, " servername=hostname policy_type=sts");
	check_large(body, n, match, 1, "shortened to fit (4096 bytes, 64 attributes): "
		    "the policy_string lines left out");

	/* 60 extension lines: 64 policy strings + 5 > 64 attributes */
	n = (size_t)sprintf(body, "version: STSv1\nmode: enforce\nmx: mx.big.example\n"
			    "max_age: 86400\n");
	for (int i = 1; i <= 60; i++)
		n += (size_t)sprintf(body + n, "ext%02d: extension field number %d\n", i, i);
	check_large(body, n, "secure match=mx.big.example servername=hostname policy_type=sts",
		    1, "the policy_string lines left out");

	/* 40 long mx names: the match list fits, the pattern list does not */
	n = (size_t)sprintf(body, "version: STSv1\nmode: enforce\nmax_age: 60\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(body + n, "mx: mx%02d.a-rather-long-name-for-a-mail-host-"
				     "of-a-big-provider.example\n", i);
	check_large(body, n, "secure match=mx00.a-rather-long-name", 0,
		    "the policy_string lines and the mx_host_pattern list left out");

	/* what fits keeps everything, and says nothing */
	{
		struct sts_answer_opts o = { 0, 1, 310 };
		struct sts_policy *p;
		struct errbuf why;
		char *text = NULL;

		assert_int_equal(sts_policy_parse(RFC, strlen(RFC), &p, &why), 0);
		assert_int_equal(sts_policy_answer(p, "example.com", &o, &text, &why), 1);
		assert_string_equal(text, RFC_MATCH " servername=hostname" TLSRPT_RFC);
		assert_string_equal(why.msg, "");
		free(text);
		sts_policy_free(p);
	}
	free(body);
	free(match);
}

static void test_opts_from_config(void **state)
{
	struct config *cfg = config_new();
	struct sts_answer_opts o;
	struct errbuf why;

	(void)state;
	assert_int_equal(sts_answer_opts_from_config(cfg, &o, &why), 0);
	assert_int_equal(o.testing_may, 0);
	assert_int_equal(o.servername, 1);
	assert_int_equal(o.postfix_compat, 307);
	assert_int_equal(config_load_string(cfg, "sts_testing = may\nsts_servername = no\n"
					    "postfix_compatibility = 3.10\n", "test", &why), 0);
	assert_int_equal(sts_answer_opts_from_config(cfg, &o, &why), 0);
	assert_int_equal(o.testing_may, 1);
	assert_int_equal(o.servername, 0);
	assert_int_equal(o.postfix_compat, 310);
	/* a bad value no longer reaches this layer: the configuration
	 * refuses it (issue 17 item 11), and the setting keeps its value */
	assert_int_equal(config_set(cfg, "sts_testing", "maybe", &why), -1);
	assert_string_equal(why.msg, "sts_testing: invalid value \"maybe\" (use ignore or may)");
	assert_int_equal(sts_answer_opts_from_config(cfg, &o, &why), 0);
	assert_int_equal(o.testing_may, 1);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_large_tlsrpt),
		cmocka_unit_test(test_opts_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
