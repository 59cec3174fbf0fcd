/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - util/json: the one JSON string writer (table-driven;
 * the table's size is asserted, so an emptied table fails).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"

static const struct {
	const char *in;
	size_t len;
	unsigned flags;
	const char *want;
} cases[] = {
	{ "plain", 5, 0, "plain" },
	{ "", 0, 0, "" },
	{ "a\"b\\c", 5, 0, "a\\\"b\\\\c" },
	{ "l1\nl2\r\t", 7, 0, "l1\\nl2\\r\\t" },
	{ "\x01\x1f\x7f", 3, 0, "\\u0001\\u001f\\u007f" },
	{ "nul\0x", 5, 0, "nul\\u0000x" },                   /* the length counts */
	{ "b\xc3\xbc" "cher", 7, 0, "b\xc3\xbc" "cher" },    /* UTF-8 as it is */
	{ "\xe2\x82\xac\xf0\x90\x80\x80", 7, 0, "\xe2\x82\xac\xf0\x90\x80\x80" },
	{ "caf\xe9", 4, 0, "caf\\ufffd" },                   /* invalid byte */
	{ "caf\xe9", 4, JSON_LATIN1, "caf\\u00e9" },         /* ... its Latin-1 reading */
	{ "\xed\xa0\x80", 3, 0, "\\ufffd\\ufffd\\ufffd" },   /* surrogate */
	{ "\xed\xa0\x80", 3, JSON_LATIN1, "\\u00ed\\u00a0\\u0080" },
	{ "ab\xc3", 3, 0, "ab\\ufffd" },                     /* cut sequence */
	{ "\xc0\x80", 2, JSON_LATIN1, "\\u00c0\\u0080" },    /* overlong */
};

static void test_escape(void **state)
{
	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), 14);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		assert_int_equal(json_escape(&b, cases[i].in, cases[i].len, cases[i].flags), 0);
		if (b.len != strlen(cases[i].want) ||
		    (b.len > 0 && memcmp(b.data, cases[i].want, b.len) != 0))
			fail_msg("case %zu: got [%s], want [%s]", i, b.data ? b.data : "",
				 cases[i].want);
		buf_free(&b);
	}
}

static void test_quoted(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(json_buf_str(&b, "x\"", 0), 0);
	assert_string_equal(b.data, "\"x\\\"\"");
	buf_reset(&b);
	assert_int_equal(json_buf_str(&b, NULL, 0), 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);

	/* a full buffer fails, and says so */
	buf_init(&b, 4);
	assert_int_equal(json_buf_str(&b, "abcdef", 0), -1);
	buf_free(&b);
}

static void test_fput(void **state)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	(void)state;
	assert_non_null(fp);
	json_fput_str(fp, "a\n\xe9", JSON_LATIN1);
	fputc(' ', fp);
	json_fput_str(fp, "a\n\xe9", 0);
	fputc(' ', fp);
	json_fput_str(fp, NULL, 0);
	fclose(fp);
	assert_string_equal(out, "\"a\\n\\u00e9\" \"a\\n\\ufffd\" \"\"");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_fput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
