/* SPDX-License-Identifier: MIT */
/*
 * test_sts_policy - the MTA-STS policy parser (RFC 8461 3.2) and mx
 * matching (4.1), table-driven: { body, want status, want mode/max_age/
 * mx list or a substring of the reason }.
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

struct pol_case {
	const char *body;
	size_t len;          /* 0: strlen */
	int want_rc;
	const char *want;    /* ok: "MODE MAX_AGE mx1,mx2"; bad: reason substring */
};

#define OK(b, w) { b, 0, 0, w }
#define BAD(b, w) { b, 0, -1, w }

#define V "version: STSv1\n"
#define ENF V "mode: enforce\n"

static const struct pol_case cases[] = {
	/* RFC 8461 3.2 example */
	OK("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	   "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
	   "enforce 604800 mail.example.com,*.example.net,backupmx.example.com"),
	OK("version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 86400\r\n",
	   "testing 86400 a.example"),
	OK("version: STSv1\r\nmode: testing\nmx: a.example\r\nmax_age: 86400",
	   "testing 86400 a.example"),            /* mixed terminators, none at end */
	OK(V "mode: none\nmax_age: 0\n", "none 0 -"),
	OK(V "mode: none\nmax_age: 10\nmx: x.example\n", "none 10 x.example"),
	OK(V "max_age: 31557600\nmx: A.Example.COM\nmode: enforce\n",
	   "enforce 31557600 a.example.com"),
	OK(V "mode:enforce\nmx:\t\tm.example\nmax_age:    60   \t\n", "enforce 60 m.example"),
	OK(ENF "mx: m.example\nmax_age: 0000000060\n", "enforce 60 m.example"),
	OK(ENF "mx: m.example\nmax_age: 60\n\n\n", "enforce 60 m.example"),
	OK(ENF "mx: m.example\nmax_age: 60\n \t\n\r\n", "enforce 60 m.example"),
	OK(ENF "mx: m.example\nmax_age: 60\nmode: none\nmax_age: bogus\n",
	   "enforce 60 m.example"),                 /* first one wins */
	OK(ENF "mx: m.example\nmax_age: 60\nversion: STSv2\n", "enforce 60 m.example"),
	OK(ENF "mx: m.example\nmax_age: 60\nfoo: bar baz\nx_y-z.1: \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n",
	   "enforce 60 m.example"),                 /* unknown fields, UTF-8 */
	OK(ENF "mx: m.example\nmx: m.example\nmx: *.m.example\nmax_age: 60\n",
	   "enforce 60 m.example,m.example,*.m.example"),
	OK(ENF "mx: mx-1.ex-ample.example\nmx: 1mx.example\nmax_age: 60\n",
	   "enforce 60 mx-1.ex-ample.example,1mx.example"),
	OK(ENF "mx: localhost\nmax_age: 60\n", "enforce 60 localhost"),
	OK(ENF "mx: *.com\nmax_age: 60\n", "enforce 60 *.com"),
	OK(ENF "Mode: testing\nmx: m.example\nmax_age: 60\n", "enforce 60 m.example"),

	BAD("", "empty policy"),
	BAD("\n", "line 1: blank"),
	OK("mode: enforce\nversion: STSv1\nmx: m.example\nmax_age: 60\n",
	   "enforce 60 m.example"),                 /* any field order */
	OK("mx: m.example\nmax_age: 60\nmode: testing\nversion: STSv1",
	   "testing 60 m.example"),
	BAD("mode: enforce\nmx: m.example\nmax_age: 60\n", "no version field"),
	BAD("mode: enforce\nversion: STSv2\nmx: m.example\nmax_age: 60\nversion: STSv1\n",
	    "line 2: unsupported version"),         /* the first one counts */
	BAD("version: STSv2\nmode: enforce\nmx: m.example\nmax_age: 60\n",
	    "line 1: unsupported version"),
	BAD("version: stsv1\nmode: enforce\nmx: m.example\nmax_age: 60\n",
	    "line 1: unsupported version"),
	BAD("Version: STSv1\nmode: enforce\nmx: m.example\nmax_age: 60\n",
	    "no version field (line 1 has \"Version\": field names are case-sensitive)"),
	BAD(V "MODE: enforce\nmx: m.example\nmax_age: 60\nMode: testing\n",
	    "no mode field (line 2 has \"MODE\""),
	BAD(V "mode: enforce\nMX: m.example\nmax_age: 60\n",
	    "no mx field (required with mode enforce) (line 3 has \"MX\""),
	BAD(" version: STSv1\nmode: enforce\nmx: m.example\nmax_age: 60\n",
	    "line 1: starts with space"),
	BAD("\xef\xbb\xbfversion: STSv1\nmode: enforce\nmx: m.example\nmax_age: 60\n",
	    "line 1: starts with byte 0xef"),       /* a BOM */
	BAD(V "mode: Enforce\nmx: m.example\nmax_age: 60\n", "line 2: mode must be"),
	BAD(V "mode: report\nmx: m.example\nmax_age: 60\n", "line 2: mode must be"),
	BAD(V "mode: enforce\nmx: m.example\n", "no max_age field"),
	BAD(V "mx: m.example\nmax_age: 60\n", "no mode field"),
	BAD(ENF "max_age: 60\n", "no mx field (required with mode enforce)"),
	BAD(V "mode: testing\nmax_age: 60\n", "no mx field (required with mode testing)"),
	OK(ENF "mx: m.example\nmax_age: 31557601\n", "enforce 31557600 m.example"), /* capped */
	OK(ENF "mx: m.example\nmax_age: 9999999999\n", "enforce 31557600 m.example"),
	BAD(ENF "mx: m.example\nmax_age: 00000000060\n", "more than 10 digits"),
	BAD(ENF "mx: m.example\nmax_age: -1\n", "max_age is not a number"),
	BAD(ENF "mx: m.example\nmax_age: +1\n", "max_age is not a number"),
	BAD(ENF "mx: m.example\nmax_age: 1d\n", "max_age is not a number"),
	BAD(ENF "mx: m.example\nmax_age: 6 0\n", "max_age is not a number"),
	BAD(ENF "mx: m.example\nmax_age:\n", "line 4: empty value"),
	BAD(ENF "mx: m.example\nmax_age: \t \n", "line 4: empty value"),
	BAD(ENF "mx: m.example\nmax_age 60\n", "line 4: no ':' after the field name"),
	BAD(ENF "mx: m.example\nmax_age=60\n", "line 4: no ':' after the field name"),
	BAD(ENF "mx: m.example\nmax age: 60\n", "line 4: space in field name"),
	BAD(ENF "mx: m.example\nmax_age\n", "no ':' after the field name"),
	BAD(ENF "mx: m.example\n:60\n", "line 4: starts with ':'"),
	BAD(ENF "mx: m.example\nmax_age: 60\nabcdefghijklmnopqrstuvwxyz0123456: x\n",
	    "field name longer than 32"),
	BAD(ENF "mx: m.example\n\nmax_age: 60\n", "line 4: blank line between fields"),
	BAD(ENF "mx: m.example\n  \nmax_age: 60\n", "line 4: blank line"),
	BAD(ENF "mx: m.example\rmax_age: 60\n", "line 3: CR not followed by LF"),
	BAD(ENF "mx: m.example\nmax_age: 60\r", "line 4: CR not followed by LF"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: a\tb\n", "line 5: byte 0x09 in value"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: a\x01" "b\n", "line 5: byte 0x01 in value"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \x7f\n", "byte 0x7f in value"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \xc0\xaf\n", "invalid UTF-8 at byte 0xc0"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \xed\xa0\x80\n", "invalid UTF-8"),   /* surrogate */
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \xf4\x90\x80\x80\n", "invalid UTF-8"), /* > U+10FFFF */
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \xe2\x82\n", "invalid UTF-8"),        /* truncated */
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \x80\n", "invalid UTF-8"),
	BAD(ENF "mx: m.example\nmax_age: 60\nx: \xff\n", "invalid UTF-8"),
	OK(ENF "mx: 192.0.2.1\nmax_age: 60\n", "enforce 60 192.0.2.1"), /* Domain syntax */
	OK(ENF "mx: *.192.0.2\nmax_age: 60\n", "enforce 60 *.192.0.2"),
	BAD(ENF "mx: [192.0.2.1]\nmax_age: 60\n", "'[' is not allowed"),
	BAD(ENF "mx: 2001:db8::1\nmax_age: 60\n", "':' is not allowed"),
	BAD(ENF "mx: *\nmax_age: 60\n", "'*' is allowed only as the whole left-most label"),
	BAD(ENF "mx: *.\nmax_age: 60\n", "\"*.\" without a domain"),
	BAD(ENF "mx: *example.com\nmax_age: 60\n", "'*' is allowed only"),
	BAD(ENF "mx: a.*.example.com\nmax_age: 60\n", "'*' is allowed only"),
	BAD(ENF "mx: *.*.example.com\nmax_age: 60\n", "'*' is allowed only"),
	BAD(ENF "mx: mail*.example.com\nmax_age: 60\n", "'*' is allowed only"),
	BAD(ENF "mx: .example.com\nmax_age: 60\n", "mx has an empty label"),
	BAD(ENF "mx: mail.example.com.\nmax_age: 60\n", "line 3: mx ends with a dot (a trailing dot is not allowed"),
	BAD(ENF "mx: .\nmax_age: 60\n", "mx ends with a dot"),
	BAD(ENF "mx: mail..example.com\nmax_age: 60\n", "mx has an empty label"),
	BAD(ENF "mx: -mail.example.com\nmax_age: 60\n", "label starts with '-'"),
	BAD(ENF "mx: mail-.example.com\nmax_age: 60\n", "label ends with '-'"),
	BAD(ENF "mx: mail_1.example.com\nmax_age: 60\n", "'_' is not allowed"),
	BAD(ENF "mx: mail example.com\nmax_age: 60\n", "space is not allowed"),
	BAD(ENF "mx: m\xc3\xa4il.example\nmax_age: 60\n",
	    "byte 0xc3 is not allowed in a host name (an internationalized name is written as its A-label"),
	BAD(ENF "mx: a234567890123456789012345678901234567890123456789012345678901234.example\nmax_age: 60\n",
	    "label longer than 63"),
};

static void describe(const struct sts_policy *p, char *out, size_t outlen)
{
	size_t o;

	o = (size_t)snprintf(out, outlen, "%s %lu ", sts_mode_name(p->mode),
			     p->max_age);
	if (p->nmx == 0)
		snprintf(out + o, outlen - o, "-");
	for (size_t i = 0; i < p->nmx && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "," : "",
				      p->mx[i]);
}

static void test_parse_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), 85);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pol_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->body);
		struct sts_policy *p = (struct sts_policy *)1;
		struct errbuf why;
		char got[512];
		int rc;

		errbuf_clear(&why);
		rc = sts_policy_parse(c->body, len, &p, &why);
		if (rc != c->want_rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, c->want_rc,
				 why.msg);
		if (rc == 0) {
			describe(p, got, sizeof(got));
			if (strcmp(got, c->want) != 0)
				fail_msg("case %zu: got \"%s\", want \"%s\"", i, got,
					 c->want);
			sts_policy_free(p);
		} else {
			if (p != NULL)
				fail_msg("case %zu: *out not NULL on error", i);
			if (strstr(why.msg, c->want) == NULL)
				fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i,
					 why.msg, c->want);
		}
	}
}

/* NUL bytes inside a body are rejected wherever they are. */
static void test_nul(void **state)
{
	static const char body[] = ENF "mx: m.example\nmax_age: 60\nx: a\0b\n";
	static const char body2[] = ENF "mx: m.exa\0mple\nmax_age: 60\n";
	struct sts_policy *p;
	struct errbuf why;

	(void)state;
	assert_int_equal(sts_policy_parse(body, sizeof(body) - 1, &p, &why), -1);
	assert_non_null(strstr(why.msg, "line 5: byte 0x00 in value"));
	assert_int_equal(sts_policy_parse(body2, sizeof(body2) - 1, &p, &why), -1);
	assert_non_null(strstr(why.msg, "line 3: byte 0x00 in value"));
}

/* The stored text: LF line ends, trailing blank lines dropped, never
 * longer than the body; parsing it again gives the same policy. */
static void test_text(void **state)
{
	static const char body[] = "version: STSv1\r\nmode: enforce\r\nmx: M.example  \r\n"
				   "max_age: 60\r\n\r\n\n";
	struct sts_policy *p, *q;
	struct errbuf why;

	(void)state;
	assert_int_equal(sts_policy_parse(body, sizeof(body) - 1, &p, &why), 0);
	assert_string_equal(p->text, "version: STSv1\nmode: enforce\nmx: M.example  \nmax_age: 60\n");
	assert_int_equal(sts_policy_parse(p->text, strlen(p->text), &q, &why), 0);
	assert_int_equal(q->mode, p->mode);
	assert_int_equal(q->max_age, p->max_age);
	assert_int_equal(q->nmx, 1);
	assert_string_equal(q->mx[0], "m.example");
	assert_string_equal(q->text, p->text);
	sts_policy_free(q);
	sts_policy_free(p);

	assert_int_equal(sts_policy_parse("version: STSv1\nmode: none\nmax_age: 1",
					  strlen("version: STSv1\nmode: none\nmax_age: 1"), &p, &why), 0);
	assert_string_equal(p->text, "version: STSv1\nmode: none\nmax_age: 1");
	sts_policy_free(p);
}

static void test_limits(void **state)
{
	struct sts_policy *p;
	struct errbuf why;
	char *body = malloc(STS_POLICY_MAX_BODY + 64);
	size_t n;

	(void)state;
	assert_non_null(body);
	/* exactly STS_POLICY_MAX_MX mx fields: fine; one more: invalid */
	n = (size_t)sprintf(body, ENF "max_age: 60\n");
	for (int i = 0; i < STS_POLICY_MAX_MX; i++)
		n += (size_t)sprintf(body + n, "mx: m%d.example\n", i);
	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	assert_int_equal(p->nmx, STS_POLICY_MAX_MX);
	sts_policy_free(p);
	n += (size_t)sprintf(body + n, "mx: one-more.example\n");
	assert_int_equal(sts_policy_parse(body, n, &p, &why), -1);
	assert_non_null(strstr(why.msg, "more than 64 mx fields"));

	/* no line limit below the body's: a 60,000-byte extension line */
	n = (size_t)sprintf(body, ENF "mx: m.example\nmax_age: 60\nx: ");
	memset(body + n, 'a', 60000);
	n += 60000;
	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	assert_int_equal(strlen(p->text), n);
	sts_policy_free(p);

	/* the body: 64 KiB is fine (blank lines at the end), one more byte is not */
	n = (size_t)sprintf(body, ENF "mx: m.example\nmax_age: 60\n");
	memset(body + n, '\n', STS_POLICY_MAX_BODY - n);
	assert_int_equal(sts_policy_parse(body, STS_POLICY_MAX_BODY, &p, &why), 0);
	sts_policy_free(p);
	body[STS_POLICY_MAX_BODY] = '\n';
	assert_int_equal(sts_policy_parse(body, STS_POLICY_MAX_BODY + 1, &p, &why), -1);
	assert_string_equal(why.msg, "policy of 65537 bytes, at most 65536");

	/* mx of 255 bytes ("*." + 253) fine */
	n = (size_t)sprintf(body, ENF "max_age: 60\nmx: *.");
	for (int i = 0; i < 4; i++) {
		memset(body + n, 'a', i < 3 ? 63 : 61);
		n += i < 3 ? 63 : 61;
		if (i < 3)
			body[n++] = '.';
	}
	body[n++] = '\n';
	assert_int_equal(sts_policy_parse(body, n, &p, &why), 0);
	assert_int_equal(strlen(p->mx[0]), 255);
	sts_policy_free(p);
	free(body);
}

static void test_mx_match(void **state)
{
	static const char body[] = ENF "mx: mail.example.com\nmx: *.example.net\n"
				   "mx: backupmx.example.com\nmax_age: 60\n";
	static const struct {
		const char *host;
		int want;
	} m[] = {
		{ "mail.example.com", 1 },
		{ "MAIL.Example.COM", 1 },
		{ "mail.example.com.", 1 },
		{ "backupmx.example.com", 1 },
		{ "mx1.example.net", 1 },
		{ "MX1.EXAMPLE.NET.", 1 },
		{ "example.net", 0 },        /* the wildcard needs one label */
		{ "a.b.example.net", 0 },    /* ... and only one */
		{ ".example.net", 0 },
		{ "mail.example.co", 0 },
		{ "xmail.example.com", 0 },
		{ "mail.example.com.evil", 0 },
		{ "mx1.example.network", 0 },
		{ "", 0 },
	};
	struct sts_policy *p;
	struct errbuf why;

	(void)state;
	assert_int_equal(sts_policy_parse(body, sizeof(body) - 1, &p, &why), 0);
	assert_int_equal(sizeof(m) / sizeof(m[0]), 14);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (sts_policy_mx_match(p, m[i].host) != m[i].want)
			fail_msg("%s: want %d", m[i].host, m[i].want);
	sts_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mx_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
