/* SPDX-License-Identifier: MIT */
/*
 * test_policyfile - the tls_policy source file reader: postmap syntax
 * (comments, blank lines, continuation lines), all-or-nothing errors
 * with origin:line (every bad line reported in one run), duplicate keys
 * (same policy: a warning, the first kept, as postmap; another policy:
 * an error naming both lines), NUL bytes.
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
	 "f:1: a.example: unknown attribute \"bogus\" (valid at level may: "
	 "ciphers, exclude, protocols, servername, connection_reuse)"},
	{"# c\n\n  may\n", 0, "f:3: continuation line (starts with whitespace) "
	 "without a preceding line"},
	{"a.example may\nb.example\n", 0,
	 "f:2: \"b.example\" has no value (expected \"KEY LEVEL "
	 "[ATTR=VALUE ...]\")"},
	{"a.example may\nb.example encrypt\nA.Example. dane\n", 0,
	 "f:3: duplicate key \"a.example\" with a different policy than line 1 "
	 "(\"dane\" here, \"may\" there): keep one of the two lines"},
	{"a.example may\nb.ex\0mple may\n", 26, "f:2: NUL byte at column 5"},
	{"a b.example may\n", 0,
	 "f:1: a: unknown TLS security level \"b.example\" (valid: none, may, "
	 "encrypt, dane, dane-only, fingerprint, verify, secure)"},
	{"[x.example:25 may\n", 0, "f:1: missing ']' in key \"[x.example:25\""},
	{"x.example encrypt match=nexthop\n", 0,
	 "f:1: x.example: match is not allowed at level encrypt"},
	{"ok.example may\nx.example secure\n  { match = a b }\n", 0,
	 "f:2: x.example: malformed attribute \"{ match = a b }\": the "
	 "{ name = value } "
	 "form requires Postfix 3.10 or later (postfix_compatibility is 3.7; set it in tlspolicy.cf when Postfix is newer)"},
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
			    "with a different policy than line 18 (\"may\" here, "
			    "\"encrypt\" there): keep one of the two lines");
	free(text);
}

/* Every bad line in one run, in line order; the parse fails as a whole. */
static void test_all_errors(void **state)
{
	static const char text[] =
		"ok.example may\n"                       /* 1 */
		"bad.example securee\n"                  /* 2 */
		"[10.0.0.1]\n"                           /* 3: no value */
		"# comment\n"
		"x.example encrypt match=nexthop\n"      /* 5 */
		"  continues=5\n"
		"ok2.example verify\n"                   /* 7 */
		"ok.example encrypt\n"                   /* 8: differs from 1 */
		"[10.0.0.2]";                             /* 9: no value, no \n */
	static const unsigned lines[] = { 2, 3, 5, 8, 9 };
	struct policyfile_report rep;
	struct policyfile_entry *e = (void *)1;
	size_t n = 7;

	(void)state;
	assert_int_equal(policyfile_parse_report(text, strlen(text), "f", NULL, &e, &n,
						 &rep), -1);
	assert_null(e);
	assert_int_equal(n, 0);
	assert_int_equal(rep.errors, 5);
	assert_int_equal(rep.warnings, 0);
	assert_int_equal(rep.n, 5);
	for (size_t i = 0; i < rep.n; i++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "f:%u: ", lines[i]);
		assert_int_equal(rep.msg[i].line, lines[i]);
		assert_false(rep.msg[i].warning);
		if (strncmp(rep.msg[i].text, prefix, strlen(prefix)) != 0)
			fail_msg("message %zu: %s", i, rep.msg[i].text);
	}
	assert_non_null(strstr(rep.msg[0].text, "unknown TLS security level \"securee\""));
	assert_non_null(strstr(rep.msg[1].text, "\"[10.0.0.1]\" has no value"));
	assert_non_null(strstr(rep.msg[4].text, "\"[10.0.0.2]\" has no value"));
	policyfile_report_free(&rep);
	/* the short form: the first error and how many more */
	{
		struct errbuf why;

		assert_int_equal(policyfile_parse(text, strlen(text), "f", NULL, &e, &n,
						  &why), -1);
		assert_non_null(strstr(why.msg, "f:2: "));
		assert_non_null(strstr(why.msg, "(and 4 more errors)"));
	}
}

/* The design document's Google template repeats two keys with the same
 * policy: a warning naming both lines, the first line kept. */
static void test_same_duplicate(void **state)
{
	static const char text[] =
		"# alt1.aspmx\n"
		"[173.194.221.26]    secure match=mx.google.com\n"   /* 2 */
		"[74.125.68.27]      secure match=mx.google.com\n"   /* 3 */
		"\n"
		"[173.194.221.26]    secure  match=MX.google.com\n"  /* 5: the same */
		"[74.125.68.27]\tsecure match=mx.google.com\n";      /* 6 */
	struct policyfile_report rep;
	struct policyfile_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(policyfile_parse_report(text, strlen(text), "g", NULL, &e, &n,
						 &rep), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].line, 2);
	assert_int_equal(e[1].line, 3);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(rep.warnings, 2);
	assert_int_equal(rep.msg[0].line, 5);
	assert_true(rep.msg[0].warning);
	assert_string_equal(rep.msg[0].text, "g:5: warning: duplicate key "
			    "\"[173.194.221.26]\" with the same policy as line 2: line 2 "
			    "is kept, this one ignored (as postmap does)");
	assert_int_equal(rep.msg[1].line, 6);
	assert_non_null(strstr(rep.msg[1].text, "as line 3: line 3 is kept"));
	policyfile_free(e, n);
	policyfile_report_free(&rep);
}

/* The caller's check makes an entry an error of its line. */
static int no_dane(const struct policyfile_entry *e, void *arg, struct errbuf *why)
{
	(*(int *)arg)++;
	if (e->policy->level == POLICY_DANE)
		return errbuf_set(why, "%s: no dane here", e->key);
	return 0;
}

static void test_check(void **state)
{
	static const char text[] = "a.example may\nb.example dane\nc.example dane\n";
	int calls = 0;
	struct policyfile_opts o = { NULL, no_dane, &calls };
	struct policyfile_report rep;
	struct policyfile_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(policyfile_parse_report(text, strlen(text), "f", &o, &e, &n,
						 &rep), -1);
	assert_int_equal(calls, 3);
	assert_int_equal(rep.errors, 2);
	assert_string_equal(rep.msg[0].text, "f:2: b.example: no dane here");
	assert_string_equal(rep.msg[1].text, "f:3: c.example: no dane here");
	policyfile_report_free(&rep);
}

/* More errors than are kept: all counted. */
static void test_many_errors(void **state)
{
	size_t count = POLICYFILE_MAX_MESSAGES + 50, cap = count * 32, len = 0, n;
	char *text = malloc(cap);
	struct policyfile_report rep;
	struct policyfile_entry *e;

	(void)state;
	for (size_t i = 0; i < count; i++)
		len += (size_t)snprintf(text + len, cap - len, "d%zu.example bogus\n", i);
	assert_int_equal(policyfile_parse_report(text, len, "f", NULL, &e, &n, &rep), -1);
	assert_int_equal(rep.errors, count);
	assert_int_equal(rep.n, POLICYFILE_MAX_MESSAGES);
	assert_int_equal(rep.msg[POLICYFILE_MAX_MESSAGES - 1].line, POLICYFILE_MAX_MESSAGES);
	policyfile_report_free(&rep);
	free(text);
}

/* NUL bytes: the line (with its continuation lines) is one error; a
 * comment with a NUL loses nothing else. */
static void test_nul_lines(void **state)
{
	static const char text[] = "a.example may\n# c\0mment\nb.ex\0mple may\n"
				   "  ciphers=high\nc.example encrypt\n";
	struct policyfile_report rep;
	struct policyfile_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(policyfile_parse_report(text, sizeof(text) - 1, "f", NULL, &e, &n,
						 &rep), -1);
	assert_int_equal(rep.errors, 2);
	assert_string_equal(rep.msg[0].text, "f:2: NUL byte at column 4");
	assert_string_equal(rep.msg[1].text, "f:3: NUL byte at column 5");
	policyfile_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_empty_and_limits),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_same_duplicate),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_nul_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
