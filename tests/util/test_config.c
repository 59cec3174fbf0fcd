/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

static void test_defaults_valid(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_string_equal(config_get(cfg, "listen"), "inet:127.0.0.1:8461");
	assert_int_equal(config_get_time(cfg, "reload_interval"), 30);
	assert_int_equal(config_get_time(cfg, "cache_max_ttl"), 86400);
	assert_int_equal(config_get_version(cfg, "postfix_compatibility"), 307);
	assert_int_equal(config_get_bool(cfg, "provider_policies"), 1);
	assert_true(config_is_default(cfg, "database"));
	config_free(cfg);
}

static void test_syntax(void **state)
{
	struct config *cfg = config_new();
	struct errbuf why;

	(void)state;
	assert_int_equal(config_load_string(cfg,
		"# comment\n"
		"\n"
		"   # indented comment\n"
		"listen = inet:127.0.0.1:1\n"
		"    unix:/tmp/x.sock\n"
		"reload_interval=2m\n"
		"postfix_compatibility = 3.10\n", "t.cf", &why), 0);
	assert_string_equal(config_get(cfg, "listen"), "inet:127.0.0.1:1 unix:/tmp/x.sock");
	assert_int_equal(config_get_time(cfg, "reload_interval"), 120);
	assert_int_equal(config_get_version(cfg, "postfix_compatibility"), 310);
	assert_false(config_is_default(cfg, "listen"));
	config_free(cfg);
}

static const struct {
	const char *text, *want;
} bad[] = {
	{ "nosuch = 1\n", "t.cf:1: unknown setting \"nosuch\" (see tlspolicy config)" },
	{ "a\n", "t.cf:1: missing '=' in \"a\"" },
	{ "  listen = x\n", "t.cf:1: continuation line without a setting before it" },
	{ "reload_interval = 5x\n", "t.cf:1: reload_interval: invalid time value \"5x\" (use N, Ns, Nm, Nh, Nd or Nw)" },
	{ "\nsts_servername = maybe\n", "t.cf:2: sts_servername: invalid boolean \"maybe\" (use yes or no)" },
	{ "max_connections = -1\n", "t.cf:1: max_connections: invalid number \"-1\"" },
	{ "postfix_compatibility = 3\n", "t.cf:1: postfix_compatibility: invalid Postfix version \"3\" (use e.g. 3.7)" },
	{ " = 3\n", "t.cf:1: continuation line without a setting before it" },
	{ "= 3\n", "t.cf:1: missing setting name" },
	{ "lis-ten = 3\n", "t.cf:1: invalid setting name \"lis-ten\"" },
};

static void test_bad_changes_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *cfg = config_new();
		struct errbuf why;
		char text[256];

		snprintf(text, sizeof(text), "listen = unix:/x\n%s", bad[i].text);
		errbuf_clear(&why);
		assert_int_equal(config_load_string(cfg, bad[i].text, "t.cf", &why), -1);
		assert_string_equal(why.msg, bad[i].want);
		/* a valid line before the bad one is not applied either
		 * (an indented bad line would continue it, so skip those) */
		if (bad[i].text[0] != ' ')
			assert_int_equal(config_load_string(cfg, text, "t.cf", &why), -1);
		assert_string_equal(config_get(cfg, "listen"), "inet:127.0.0.1:8461");
		config_free(cfg);
	}
}

static void test_time_and_list(void **state)
{
	unsigned s;
	char *words[4], *storage;
	size_t n;

	(void)state;
	assert_int_equal(config_parse_time("10", &s), 0);
	assert_int_equal(s, 10);
	assert_int_equal(config_parse_time("1w", &s), 0);
	assert_int_equal(s, 604800);
	assert_int_equal(config_parse_time("", &s), -1);
	assert_int_equal(config_parse_time("99999999999", &s), -1);
	assert_int_equal(config_parse_time("1h1", &s), -1);
	n = config_split_list("a, b\tc,,d e", words, 4, &storage);
	assert_int_equal(n, 4);
	assert_string_equal(words[0], "a");
	assert_string_equal(words[3], "d");
	free(storage);
}

static void test_missing_file(void **state)
{
	struct config *cfg = config_new();
	struct errbuf why;

	(void)state;
	assert_int_equal(config_load_file(cfg, "/nonexistent/tlspolicy.cf", 1, &why), 0);
	assert_int_equal(config_load_file(cfg, "/nonexistent/tlspolicy.cf", 0, &why), -1);
	assert_non_null(strstr(why.msg, "cannot open /nonexistent/tlspolicy.cf"));
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_valid),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_bad_changes_nothing),
		cmocka_unit_test(test_time_and_list),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
