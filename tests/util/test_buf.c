/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"

static void test_append_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_puts(&b, "efgh"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_puts(&b, "i"), -1); /* past max: unchanged */
	assert_string_equal(b.data, "abcdefgh");
	buf_consume(&b, 3);
	assert_string_equal(b.data, "defgh");
	assert_int_equal(buf_printf(&b, "%d", 123), 0);
	assert_string_equal(b.data, "defgh123");
	assert_int_equal(buf_printf(&b, "%d", 4), -1);
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_printable(void **state)
{
	char out[16];

	(void)state;
	assert_string_equal(printable(out, sizeof(out), "a\nb\0c", 5), "a?b?c");
	assert_string_equal(printable(out, 8, "abcdefghijkl", 12), "abcd...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_limit),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
