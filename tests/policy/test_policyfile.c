/* SPDX-License-Identifier: MIT */
/*
 * test_policyfile - the tls_policy source file reader: postmap syntax
 * (comments, blank lines, continuation lines), all-or-nothing errors
 * with origin:line, duplicate keys, NUL bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policyfile.h"

/* The example of postconf(5) smtp_tls_policy_maps, fingerprints filled. */
static const char example[] =
	"# /etc/postfix/tls_policy\n"
	"example.edu                 none\n"
	"example.mil                 may\n"
	"example.gov                 encrypt protocols=TLSv1\n"
	"example.com                 verify ciphers=high\n"
	"example.net                 secure\n"
	".example.net                secure match=.example.net:example.net\n"
	"[mail.example.org]:587      secure match=nexthop\n"
	"    # Postfix 2.5 and later\n"
	"[thumb.example.org]         fingerprint\n"
	"    match=b6:b4:72:34:e2:59:cd:6c:b8:c2:ca:63:0d:4d:cc:2c:7d:84:de:e6\n"
	"\n"
	"    match=51:e9:af:2e:1e:40:1f:00:00:00:64:0a:30:35:2d:09:16:31:5a:eb\n"
	"Bücher.DE.\tdane-only\r\n"
	"[IPv6:2001:DB8::1] encrypt";

static void test_example(void **state)
{
	struct policyfile_entry *e;
	size_t n;
	struct errbuf why;
	char *t;

	(void)state;
	if (policyfile_parse(example, strlen(example), "tls_policy", NULL, &e,
			     &n, &why) < 0)
		fail_msg("%s", why.msg);
	assert_int_equal(n, 10);
	assert_string_equal(e[0].key, "example.edu");
	assert_int_equal(e[0].line, 2);
	assert_int_equal(e[0].policy->level, POLICY_NONE);
	assert_string_equal(e[5].key, ".example.net");
	assert_int_equal(e[5].kind, POLICY_KEY_PARENT);
	assert_string_equal(e[7].key, "[thumb.example.org]");
	assert_int_equal(e[7].line, 10);
	t = policy_format(e[7].policy);
	assert_string_equal(t, "fingerprint "
		"match=B6:B4:72:34:E2:59:CD:6C:B8:C2:CA:63:0D:4D:CC:2C:7D:84:DE:E6 "
		"match=51:E9:AF:2E:1E:40:1F:00:00:00:64:0A:30:35:2D:09:16:31:5A:EB");
	free(t);
	assert_string_equal(e[8].key, "xn--bcher-kva.de");
	assert_int_equal(e[8].line, 14);
	assert_string_equal(e[9].key, "[ipv6:2001:db8::1]");
	assert_int_equal(e[9].kind, POLICY_KEY_ADDRESS);
	policyfile_free(e, n);
}

struct bad_file {
	const char *text;
	size_t len; /* 0: strlen */
	const char *msg;
};

static const struct bad_file bad_files[] = {
	{"a.example may\n  bogus=1\n", 0,
	 "f:1: a.example: unknown attribute \"bogus\""},
	{"# c\n\n  may\n", 0, "f:3: continuation line (starts with whitespace) "
	 "without a preceding line"},
	{"a.example may\nb.example\n", 0,
	 "f:2: expected \"KEY VALUE\", found only \"b.example\""},
	{"a.example may\nb.example encrypt\nA.Example. dane\n", 0,
	 "f:3: duplicate key \"a.example\" (also on line 1)"},
	{"a.example may\nb.ex\0mple may\n", 26, "f:2: NUL byte at column 5"},
	{"a b.example may\n", 0,
	 "f:1: a: unknown TLS security level \"b.example\""},
	{"[x.example:25 may\n", 0, "f:1: missing ']' in key \"[x.example:25\""},
	{"x.example encrypt match=nexthop\n", 0,
	 "f:1: x.example: match is not allowed at level encrypt"},
	{"ok.example may\nx.example secure\n  { match = a b }\n", 0,
	 "f:2: x.example: malformed attribute \"{ match = a b }\": the "
	 "{ name = value } "
	 "form requires Postfix 3.10 or later (postfix_compat is 3.7)"},
};

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];
		struct policyfile_entry *e = (void *)1;
		size_t n = 42;
		struct errbuf why;

		why.msg[0] = '\0';
		assert_int_equal(policyfile_parse(b->text, b->len ? b->len :
						  strlen(b->text), "f", NULL,
						  &e, &n, &why), -1);
		assert_null(e);
		assert_int_equal(n, 0);
		if (strcmp(why.msg, b->msg) != 0)
			fail_msg("case %zu:\n got \"%s\"\nwant \"%s\"", i,
				 why.msg, b->msg);
	}
}

static void test_empty_and_limits(void **state)
{
	struct policyfile_entry *e;
	size_t n, len = POLICYFILE_MAX_LINE + 100;
	struct errbuf why;
	char *big;

	(void)state;
	assert_int_equal(policyfile_parse("", 0, "f", NULL, &e, &n, &why), 0);
	assert_int_equal(n, 0);
	policyfile_free(e, n);
	assert_int_equal(policyfile_parse("# only\n\n   \n", 12, "f", NULL, &e,
					  &n, &why), 0);
	assert_int_equal(n, 0);
	policyfile_free(e, n);

	big = malloc(len);
	memset(big, 'a', len);
	memcpy(big, "x.example may\n", 14);
	assert_int_equal(policyfile_parse(big, len, "f", NULL, &e, &n, &why),
			 -1);
	assert_string_equal(why.msg, "f:2: logical line longer than 5120 bytes");
	/* the same through continuation lines */
	memset(big, 'x', len);
	memcpy(big, "x.example may\n", 14);
	for (size_t i = 100; i + 1 < len; i += 100)
		big[i] = '\n', big[i + 1] = ' ';
	assert_int_equal(policyfile_parse(big, len, "f", NULL, &e, &n, &why),
			 -1);
	/* line 2 starts the logical line; lines 3.. continue it */
	assert_string_equal(why.msg, "f:2: logical line longer than 5120 bytes");
	free(big);
}

static void test_many(void **state)
{
	size_t count = 5000, cap = count * 40, len = 0, n, i;
	char *text = malloc(cap);
	struct policyfile_entry *e;
	struct errbuf why;

	(void)state;
	for (i = 0; i < count; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"d%zu.example encrypt\n", i);
	assert_int_equal(policyfile_parse(text, len, "f", NULL, &e, &n, &why),
			 0);
	assert_int_equal(n, count);
	assert_string_equal(e[count - 1].key, "d4999.example");
	policyfile_free(e, n);
	/* a duplicate far apart is still found */
	len += (size_t)snprintf(text + len, cap - len, "D17.example. may\n");
	assert_int_equal(policyfile_parse(text, len, "f", NULL, &e, &n, &why),
			 -1);
	assert_string_equal(why.msg, "f:5001: duplicate key \"d17.example\" "
			    "(also on line 18)");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_empty_and_limits),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
