/* SPDX-License-Identifier: MIT */
/*
 * test_text.c - util/text: strict UTF-8 sequences (table-driven: every
 * boundary of RFC 3629, overlong forms, surrogates, truncation) and the
 * bounded copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

static const struct {
	const char *in;
	size_t len;     /* bytes of in to offer */
	size_t want;    /* text_utf8_seq() */
} seqs[] = {
	{ "a", 1, 0 },                          /* ASCII: not multi-byte */
	{ "\xc3\xa9", 2, 2 },                   /* U+00E9 */
	{ "\xc2\x80", 2, 2 },                   /* U+0080, smallest 2-byte */
	{ "\xdf\xbf", 2, 2 },                   /* U+07FF */
	{ "\xc0\x80", 2, 0 },                   /* overlong NUL */
	{ "\xc1\xbf", 2, 0 },                   /* overlong */
	{ "\xe0\x9f\xbf", 3, 0 },               /* overlong 3-byte */
	{ "\xe0\xa0\x80", 3, 3 },               /* U+0800 */
	{ "\xed\x9f\xbf", 3, 3 },               /* U+D7FF */
	{ "\xed\xa0\x80", 3, 0 },               /* U+D800 surrogate */
	{ "\xed\xbf\xbf", 3, 0 },               /* U+DFFF surrogate */
	{ "\xef\xbf\xbf", 3, 3 },               /* U+FFFF */
	{ "\xf0\x8f\xbf\xbf", 4, 0 },           /* overlong 4-byte */
	{ "\xf0\x90\x80\x80", 4, 4 },           /* U+10000 */
	{ "\xf4\x8f\xbf\xbf", 4, 4 },           /* U+10FFFF */
	{ "\xf4\x90\x80\x80", 4, 0 },           /* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xff", 1, 0 },
	{ "\x80", 1, 0 },                       /* stray continuation */
	{ "\xc3", 1, 0 },                       /* truncated */
	{ "\xe2\x82", 2, 0 },                   /* truncated */
	{ "\xe2\x82\xac", 2, 0 },               /* only 2 bytes offered */
	{ "\xe2\x82\xac", 3, 3 },               /* U+20AC */
	{ "\xc3\x28", 2, 0 },                   /* bad continuation */
};

static void test_utf8_seq(void **state)
{
	(void)state;
	assert_int_equal(sizeof(seqs) / sizeof(seqs[0]), 24);  /* the table is all there */
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		size_t got = text_utf8_seq((const unsigned char *)seqs[i].in,
					   seqs[i].len);

		if (got != seqs[i].want)
			fail_msg("case %zu: got %zu, want %zu", i, got, seqs[i].want);
	}
	assert_int_equal(text_utf8_seq((const unsigned char *)"\xc3\xa9", 0), 0);
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(text_utf8_valid("", 0));
	assert_true(text_utf8_valid("b\xc3\xbc" "cher.example", 13));
	assert_true(text_utf8_valid("\xe2\x82\xac 1", 5));
	assert_false(text_utf8_valid("caf\xe9", 4));          /* Latin-1 */
	assert_false(text_utf8_valid("ab\xc3", 3));           /* cut at the end */
	assert_false(text_utf8_valid("\xed\xa0\x80", 3));
	/* the length counts, not a NUL */
	assert_true(text_utf8_valid("a\0\xff", 2));
	assert_false(text_utf8_valid("a\0\xff", 3));
}

static void test_dupn(void **state)
{
	char *s;

	(void)state;
	s = text_dupn("abcdef", 3);
	assert_non_null(s);
	assert_string_equal(s, "abc");
	free(s);
	s = text_dupn("a\0b", 3);                     /* NULs copied as they are */
	assert_non_null(s);
	assert_memory_equal(s, "a\0b\0", 4);
	free(s);
	s = text_dupn(NULL, 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void test_copy(void **state)
{
	char d[4];

	(void)state;
	assert_int_equal(text_copy(d, sizeof(d), "abc"), 0);
	assert_string_equal(d, "abc");
	assert_int_equal(text_copy(d, sizeof(d), "abcd"), 1);   /* cut to fit */
	assert_string_equal(d, "abc");
	assert_int_equal(text_copy(d, sizeof(d), ""), 0);
	assert_string_equal(d, "");
	assert_int_equal(text_copy(d, 1, "x"), 1);
	assert_string_equal(d, "");
	memcpy(d, "zzz", 4);
	assert_int_equal(text_copy(d, 0, "x"), 1);              /* nothing written */
	assert_string_equal(d, "zzz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seq),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_dupn),
		cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
