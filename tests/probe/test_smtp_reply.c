/* SPDX-License-Identifier: MIT */
/*
 * test_smtp_reply - the SMTP reply parser (probe/smtp_reply.h): a table
 * of inputs with the expected status, code, lines and bytes used, the
 * limits, incremental feeding byte by byte, and EHLO keyword parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probe/smtp_reply.h"

struct row {
	const char *in;
	enum smtp_parse_status want;
	int code;
	size_t nlines;
	const char *first, *last;
	size_t used;            /* 0: strlen(in) */
};

static const struct row rows[] = {
	{ "220 mx.example.com ESMTP\r\n", SMTP_PARSE_DONE, 220, 1, "mx.example.com ESMTP", NULL, 0 },
	{ "220 mx ESMTP\n", SMTP_PARSE_DONE, 220, 1, "mx ESMTP", NULL, 0 },
	{ "250\r\n", SMTP_PARSE_DONE, 250, 1, "", NULL, 0 },
	{ "250 \r\n", SMTP_PARSE_DONE, 250, 1, "", NULL, 0 },
	{ "220-first\r\n220-second\r\n220 last\r\n", SMTP_PARSE_DONE, 220, 3, "first", "last", 0 },
	{ "220-first\r\n220\r\n", SMTP_PARSE_DONE, 220, 2, "first", "", 0 },
	{ "250-a\r\n250 b\r\nEXTRA", SMTP_PARSE_DONE, 250, 2, "a", "b", 14 },
	{ "221 bye\r\n221 again\r\n", SMTP_PARSE_DONE, 221, 1, "bye", NULL, 9 },
	{ "554 5.7.1 no\r\n", SMTP_PARSE_DONE, 554, 1, "5.7.1 no", NULL, 0 },
	{ "220 text with \xc3\xa4 and \x01 bytes\r\n", SMTP_PARSE_DONE, 220, 1,
	  "text with \xc3\xa4 and \x01 bytes", NULL, 0 },
	/* incomplete */
	{ "", SMTP_PARSE_MORE, 0, 0, NULL, NULL, 0 },
	{ "220 mx", SMTP_PARSE_MORE, 0, 0, NULL, NULL, 0 },
	{ "220-a\r\n", SMTP_PARSE_MORE, 0, 0, NULL, NULL, 0 },
	{ "220-a\r\n220", SMTP_PARSE_MORE, 0, 0, NULL, NULL, 0 },
	/* malformed */
	{ "22 x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "2x0 x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "HELLO\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "120 x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "620 x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "260 x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "220x\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "220-a\r\n250 b\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
	{ "220 a\rb\r\n", SMTP_PARSE_ERROR, 0, 0, NULL, NULL, 0 },
};

static void test_table(void **state)
{
	struct smtp_reply *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct errbuf why;
		size_t used = 0;
		enum smtp_parse_status st;

		errbuf_clear(&why);
		st = smtp_reply_parse(w->in, strlen(w->in), r, &used, &why);
		if (st != w->want)
			fail_msg("row %zu: status %d, want %d (%s)", i, st, w->want, why.msg);
		if (st == SMTP_PARSE_ERROR)
			assert_true(why.msg[0] != '\0');
		if (st != SMTP_PARSE_DONE)
			continue;
		assert_int_equal(r->code, w->code);
		assert_int_equal(r->nlines, w->nlines);
		assert_int_equal(used, w->used ? w->used : strlen(w->in));
		assert_string_equal(smtp_reply_line(r, 0), w->first);
		if (w->last)
			assert_string_equal(smtp_reply_line(r, r->nlines - 1), w->last);
	}
	free(r);
}

static void test_nul(void **state)
{
	static const char in[] = "220 a\0b\r\n";
	struct smtp_reply *r = malloc(sizeof(*r));
	size_t used;

	(void)state;
	assert_int_equal(smtp_reply_parse(in, sizeof(in) - 1, r, &used, NULL), SMTP_PARSE_ERROR);
	free(r);
}

static void test_limits(void **state)
{
	struct smtp_reply *r = malloc(sizeof(*r));
	char *big = malloc(SMTP_REPLY_MAX_BYTES * 2);
	struct errbuf why;
	size_t used, o = 0;

	(void)state;
	/* a line of exactly the limit (with CRLF) is fine; one more byte is not */
	memcpy(big, "220 ", 4);
	memset(big + 4, 'x', SMTP_REPLY_MAX_LINE - 6);
	memcpy(big + SMTP_REPLY_MAX_LINE - 2, "\r\n", 2);
	assert_int_equal(smtp_reply_parse(big, SMTP_REPLY_MAX_LINE, r, &used, &why),
			 SMTP_PARSE_DONE);
	assert_int_equal(used, SMTP_REPLY_MAX_LINE);
	memset(big + 4, 'x', SMTP_REPLY_MAX_LINE - 5);
	memcpy(big + SMTP_REPLY_MAX_LINE - 1, "\r\n", 2);
	assert_int_equal(smtp_reply_parse(big, SMTP_REPLY_MAX_LINE + 1, r, &used, &why),
			 SMTP_PARSE_ERROR);
	/* a partial line at the limit is an error at once (no more buffering) */
	memset(big, '2', SMTP_REPLY_MAX_LINE);
	assert_int_equal(smtp_reply_parse(big, SMTP_REPLY_MAX_LINE, r, &used, &why),
			 SMTP_PARSE_ERROR);
	assert_int_equal(smtp_reply_parse(big, SMTP_REPLY_MAX_LINE - 1, r, &used, &why),
			 SMTP_PARSE_MORE);
	/* SMTP_REPLY_MAX_LINES lines are fine, one more is not */
	for (int i = 0; i < SMTP_REPLY_MAX_LINES - 1; i++)
		o += (size_t)sprintf(big + o, "250-line %d\r\n", i);
	o += (size_t)sprintf(big + o, "250 last\r\n");
	assert_int_equal(smtp_reply_parse(big, o, r, &used, &why), SMTP_PARSE_DONE);
	assert_int_equal(r->nlines, SMTP_REPLY_MAX_LINES);
	o = 0;
	for (int i = 0; i < SMTP_REPLY_MAX_LINES; i++)
		o += (size_t)sprintf(big + o, "250-line %d\r\n", i);
	o += (size_t)sprintf(big + o, "250 last\r\n");
	assert_int_equal(smtp_reply_parse(big, o, r, &used, &why), SMTP_PARSE_ERROR);
	free(big);
	free(r);
}

static void test_incremental(void **state)
{
	static const char in[] = "250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
	struct smtp_reply *r = malloc(sizeof(*r));
	size_t used = 0;

	(void)state;
	for (size_t n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(smtp_reply_parse(in, n, r, &used, NULL), SMTP_PARSE_MORE);
	assert_int_equal(smtp_reply_parse(in, sizeof(in) - 1, r, &used, NULL), SMTP_PARSE_DONE);
	assert_int_equal(used, sizeof(in) - 1);
	assert_int_equal(r->nlines, 4);
	free(r);
}

static void test_ehlo(void **state)
{
	static const char in[] =
		"250-mx.example.com Hello\r\n"
		"250-PIPELINING\r\n"
		"250-SIZE 10240000\r\n"
		"250-starttls\r\n"
		"250-AUTH PLAIN LOGIN\r\n"
		"250- bad leading space\r\n"
		"250-X-EXT_1 odd\r\n"
		"250 8BITMIME\r\n";
	struct smtp_reply *r = malloc(sizeof(*r));
	struct smtp_ehlo *e = malloc(sizeof(*e));
	size_t used;

	(void)state;
	assert_int_equal(smtp_reply_parse(in, sizeof(in) - 1, r, &used, NULL), SMTP_PARSE_DONE);
	assert_int_equal(smtp_ehlo_parse(r, e), 0);
	assert_string_equal(e->greeting, "mx.example.com Hello");
	assert_int_equal(e->next, 5);
	assert_int_equal(e->nbad, 2);
	assert_string_equal(e->keyword[0], "PIPELINING");
	assert_string_equal(e->keyword[1], "SIZE");
	assert_string_equal(e->params[1], "10240000");
	assert_string_equal(e->keyword[2], "STARTTLS");
	assert_string_equal(e->keyword[3], "AUTH");
	assert_string_equal(e->params[3], "PLAIN LOGIN");
	assert_true(smtp_ehlo_has(e, "starttls"));
	assert_true(smtp_ehlo_has(e, "8BITMIME"));
	assert_false(smtp_ehlo_has(e, "SMTPUTF8"));
	/* a non-2xx reply is not an EHLO answer */
	assert_int_equal(smtp_reply_parse("502 no\r\n", 8, r, &used, NULL), SMTP_PARSE_DONE);
	assert_int_equal(smtp_ehlo_parse(r, e), -1);
	free(e);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_ehlo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
