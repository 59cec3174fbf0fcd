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
	assert_int_equal(config_get_time(cfg, "reload_interval"), 5);
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
	/* every type is checked (issue 17 item 11) */
	{ "dane_answer = daneonly\n", "t.cf:1: dane_answer: invalid value \"daneonly\" (use dane-only, dane or notfound)" },
	{ "\n\nsts_testing = mayy\n", "t.cf:3: sts_testing: invalid value \"mayy\" (use ignore or may)" },
	{ "syslog_facility = mial\n", "t.cf:1: syslog_facility: invalid value \"mial\" (use mail, daemon, user, local0, local1, local2, local3, local4, local5, local6 or local7)" },
	{ "listen = inet:127.0.0.1\n", "t.cf:1: listen: \"inet:127.0.0.1\": no port (expected inet:HOST:PORT, e.g. inet:127.0.0.1:8461)" },
	{ "listen = inet:127.0.0.1:0\n", "t.cf:1: listen: \"inet:127.0.0.1:0\": invalid port \"0\" (1 to 65535)" },
	{ "listen = inet:[::1]:8461\n  unix:tlspolicy\n", "t.cf:1: listen: \"unix:tlspolicy\": unix: needs an absolute path (unix:/PATH)" },
	{ "listen = inet:::1:8461\n", "t.cf:1: listen: \"inet:::1:8461\": put an IPv6 address in brackets: inet:[ADDRESS]:PORT" },
	{ "listen = inet:[1.2.3.4]:1\n", "t.cf:1: listen: \"inet:[1.2.3.4]:1\": \"1.2.3.4\" is not an IPv6 address" },
	{ "listen = 127.0.0.1:8461\n", "t.cf:1: listen: \"127.0.0.1:8461\": expected inet:HOST:PORT, inet:[IPv6]:PORT or unix:/PATH" },
	{ "unix_socket_mode = 0669\n", "t.cf:1: unix_socket_mode: \"0669\" is not an octal mode (e.g. 0660)" },
	{ "unix_socket_owner = tlspolicy:postfix:x\n", "t.cf:1: unix_socket_owner: \"tlspolicy:postfix:x\" is not user[:group]" },
	{ "user = tls policy\n", "t.cf:1: user: \"tls policy\" is not a user name" },
	{ "map_names = tlspolicy a:b\n", "t.cf:1: map_names: invalid map name \"a:b\" (letters, digits, '_', '.', '-')" },
	{ "dns_resolvers = 192.0.2.1@53 192.0.2.2@\n", "t.cf:1: dns_resolvers: \"192.0.2.2@\" is not IP or IP@PORT" },
	{ "dns_resolvers = recursive 192.0.2.1\n", "t.cf:1: dns_resolvers: \"recursive\" is not IP or IP@PORT (recursive must be alone)" },
	{ "database = sqlite:tlspolicy.db\n", "t.cf:1: database: expected sqlite:/PATH or mysql://USER[:PASSWORD]@HOST[:PORT]/DB" },
	{ "database = mysq://u:secret@h/db\n", "t.cf:1: database: expected sqlite:/PATH or mysql://USER[:PASSWORD]@HOST[:PORT]/DB" },
	{ "https_ca_file = ca.pem\n", "t.cf:1: https_ca_file: \"ca.pem\" is not an absolute path" },
	{ "check_concurrency = 0\n", "t.cf:1: check_concurrency: 0 is out of range (1 to 1024)" },
	{ "dns_timeout = 0\n", "t.cf:1: dns_timeout: 0 is out of range (1s to 300s)" },
	{ "https_timeout = 1h\n", "t.cf:1: https_timeout: 1h is out of range (1s to 300s)" },
	{ "cache_min_ttl = 2d\n", "t.cf:1: cache_min_ttl (172800s) is greater than cache_max_ttl (86400s)" },
	{ "cache_max_ttl = 30s\n", "t.cf:1: cache_min_ttl (60s) is greater than cache_max_ttl (30s)" },
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

/* Valid values of the checked types; where each came from; printing
 * the defaults and bare values (config -d, config NAME). */
static void test_valid_and_where(void **state)
{
	struct config *cfg = config_new();
	struct errbuf why;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	errbuf_clear(&why);
	assert_int_equal(config_load_string(cfg,
		"listen = inet::8461, inet:[::]:8461 inet:mail.example:1\n"
		"  unix:/var/spool/postfix/private/tlspolicy\n"
		"dane_answer = notfound\n"
		"unix_socket_owner = :postfix\n"
		"unix_socket_mode = 0666\n"
		"dns_resolvers = recursive\n"
		"database = mysql://u:p@db.example/tp\n"
		"lookup_deadline = 0\n"
		"https_ca_file =\n", "t.cf", &why), 0);
	assert_string_equal(config_where(cfg, "dane_answer"), "t.cf:3");
	assert_string_equal(config_where(cfg, "listen"), "t.cf:1");
	assert_null(config_where(cfg, "sts_testing"));
	assert_int_equal(config_set(cfg, "dns_resolvers", "192.0.2.1@5353 2001:db8::1", &why), 0);
	assert_null(config_where(cfg, "dns_resolvers"));
	assert_int_equal(config_listen_check("inet:127.0.0.1:8461", &why), 0);
	assert_int_equal(config_listen_check("inet:127.0.0.1", &why), -1);
	/* an empty listen is valid: only the sockets systemd passes (serve
	 * and postfix-config refuse it when there are none) */
	assert_int_equal(config_set(cfg, "listen", "", &why), 0);
	assert_int_equal(config_set(cfg, "listen", "unix:/var/spool/postfix/private/tlspolicy", &why), 0);

	fp = open_memstream(&buf, &len);
	config_print_one(cfg, fp, "dane_answer", CONFIG_PRINT_BARE);
	config_print_one(cfg, fp, "dane_answer", CONFIG_PRINT_BARE | CONFIG_PRINT_DEFAULTS);
	config_print_one(cfg, fp, "dane_answer", 0);
	assert_int_equal(config_print_one(cfg, fp, "nosuch", 0), -1);
	fclose(fp);
	assert_string_equal(buf, "notfound\ndane-only\ndane_answer = notfound\n");
	free(buf);

	fp = open_memstream(&buf, &len);
	config_print(cfg, fp, CONFIG_PRINT_DEFAULTS);
	fclose(fp);
	assert_non_null(strstr(buf, "\ndane_answer = dane-only\n"));
	assert_null(strstr(buf, "notfound\n"));
	free(buf);
	config_free(cfg);
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
		cmocka_unit_test(test_valid_and_where),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_bad_changes_nothing),
		cmocka_unit_test(test_time_and_list),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
