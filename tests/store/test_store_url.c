/* SPDX-License-Identifier: MIT */
/*
 * test_store_url - database URL parsing: every accepted form with what it
 * yields, and invalid URLs with their messages (which never repeat the
 * password).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const struct {
	const char *url;
	enum store_kind kind;
	const char *path, *user, *password, *host;
	unsigned port;
	const char *dbname, *socket;
	unsigned timeout;
	const char *describe;
} good[] = {
	{ "sqlite:/var/lib/tlspolicy/tlspolicy.db", STORE_SQLITE,
	  "/var/lib/tlspolicy/tlspolicy.db", NULL, NULL, NULL, 0, NULL, NULL, 0,
	  "sqlite:/var/lib/tlspolicy/tlspolicy.db" },
	{ "sqlite:///tmp/x.db", STORE_SQLITE, "/tmp/x.db", NULL, NULL, NULL, 0,
	  NULL, NULL, 0, "sqlite:/tmp/x.db" },
	{ "sqlite:rel/x.db", STORE_SQLITE, "rel/x.db", NULL, NULL, NULL, 0, NULL,
	  NULL, 0, "sqlite:rel/x.db" },
	{ "mysql://u:p@db.example:3307/mail", STORE_MYSQL, NULL, "u", "p",
	  "db.example", 3307, "mail", NULL, STORE_MYSQL_TIMEOUT,
	  "mysql://u@db.example:3307/mail" },
	{ "mysql://u@localhost/mail", STORE_MYSQL, NULL, "u", NULL, "localhost",
	  0, "mail", NULL, STORE_MYSQL_TIMEOUT, "mysql://u@localhost/mail" },
	{ "mysql://u:@127.0.0.1/mail", STORE_MYSQL, NULL, "u", "", "127.0.0.1",
	  0, "mail", NULL, STORE_MYSQL_TIMEOUT, "mysql://u@127.0.0.1/mail" },
	/* percent-decoding of user and password; ':' '@' '/' '%' encoded */
	{ "mysql://us%40er:p%3Aa%2Fs%40s%25@h/d", STORE_MYSQL, NULL, "us@er",
	  "p:a/s@s%", "h", 0, "d", NULL, STORE_MYSQL_TIMEOUT,
	  "mysql://us@er@h/d" },
	/* the password may hold ':' unencoded (only the first ':' splits) */
	{ "mysql://u:a:b@h/d", STORE_MYSQL, NULL, "u", "a:b", "h", 0, "d", NULL,
	  STORE_MYSQL_TIMEOUT, "mysql://u@h/d" },
	{ "mysql://u:p@localhost/db?socket=/run/mysqld/mysqld.sock", STORE_MYSQL,
	  NULL, "u", "p", "localhost", 0, "db", "/run/mysqld/mysqld.sock",
	  STORE_MYSQL_TIMEOUT,
	  "mysql://u@localhost/db?socket=/run/mysqld/mysqld.sock" },
	{ "mysql://u:p@/db?socket=/tmp/a%20b.sock&timeout=3", STORE_MYSQL, NULL,
	  "u", "p", "", 0, "db", "/tmp/a b.sock", 3,
	  "mysql://u@/db?socket=/tmp/a b.sock" },
	{ "mysql://u:p@[::1]:13306/tlspolicy_test", STORE_MYSQL, NULL, "u", "p",
	  "::1", 13306, "tlspolicy_test", NULL, STORE_MYSQL_TIMEOUT,
	  "mysql://u@[::1]:13306/tlspolicy_test" },
	{ "mariadb://u:p@h:1/d-b$x", STORE_MYSQL, NULL, "u", "p", "h", 1, "d-b$x",
	  NULL, STORE_MYSQL_TIMEOUT, "mysql://u@h:1/d-b$x" },
	{ "mysql://u:p@h:65535/d", STORE_MYSQL, NULL, "u", "p", "h", 65535, "d",
	  NULL, STORE_MYSQL_TIMEOUT, "mysql://u@h:65535/d" },
};

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct store_url u;
		struct errbuf why;
		char *d;

		errbuf_clear(&why);
		if (store_url_parse(good[i].url, &u, &why) != 0)
			fail_msg("%s: %s", good[i].url, why.msg);
		assert_int_equal(u.kind, good[i].kind);
		if (good[i].kind == STORE_SQLITE) {
			assert_string_equal(u.path, good[i].path);
		} else {
			assert_string_equal(u.user, good[i].user);
			if (good[i].password)
				assert_string_equal(u.password, good[i].password);
			else
				assert_null(u.password);
			assert_string_equal(u.host, good[i].host);
			assert_int_equal(u.port, good[i].port);
			assert_string_equal(u.dbname, good[i].dbname);
			if (good[i].socket)
				assert_string_equal(u.socket, good[i].socket);
			else
				assert_null(u.socket);
			assert_int_equal(u.timeout, good[i].timeout);
		}
		d = store_url_describe(&u);
		assert_non_null(d);
		assert_string_equal(d, good[i].describe);
		free(d);
		store_url_free(&u);
	}
}

static const struct {
	const char *url, *want;
} bad[] = {
	{ "", "no database URL (setting \"database\" or --db)" },
	{ "postgres://u:p@h/d", "invalid database URL: use sqlite:/path/file.db or "
	  "mysql://user:password@host[:port]/dbname" },
	{ "/var/lib/x.db", "invalid database URL: use sqlite:/path/file.db or "
	  "mysql://user:password@host[:port]/dbname" },
	{ "mysql:/u:p@h/d", "invalid database URL: use sqlite:/path/file.db or "
	  "mysql://user:password@host[:port]/dbname" },
	{ "sqlite:", "invalid database URL: sqlite: needs a file name" },
	{ "sqlite://host/x.db", "invalid database URL: use sqlite:/path/file.db "
	  "(or sqlite:///path/file.db)" },
	{ "sqlite:/tmp/a\nb", "invalid database URL: control character in the "
	  "sqlite file name" },
	{ "mysql://h/d", "invalid database URL: mysql:// needs user[:password]@ "
	  "before the host" },
	{ "mysql://:secret@h/d", "invalid database URL: empty user name" },
	{ "mysql://u:sec%zzret@h/d", "invalid database URL: bad %-escape in the password" },
	{ "mysql://u:secret%0@h/d", "invalid database URL: bad %-escape in the password" },
	{ "mysql://u:sec%00ret@h/d", "invalid database URL: %00 in the password" },
	{ "mysql://u%4:secret@h/d", "invalid database URL: bad %-escape in the user name" },
	/* a decoded line break would end a line of the Postfix table file */
	{ "mysql://u%0Ax:secret@h/d", "invalid database URL: control character in the user name" },
	{ "mysql://u:sec%0Dret@h/d", "invalid database URL: control character in the password" },
	{ "mysql://u:secret@h/d?socket=/a%0Ab", "invalid database URL: control character "
	  "in the socket path" },
	{ "mysql://u:secret@h:0/d", "invalid database URL: port must be a number 1-65535" },
	{ "mysql://u:secret@h:65536/d", "invalid database URL: port must be a number 1-65535" },
	{ "mysql://u:secret@h:/d", "invalid database URL: port must be a number 1-65535" },
	{ "mysql://u:secret@h:33a/d", "invalid database URL: port must be a number 1-65535" },
	{ "mysql://u:secret@h:99999999999/d", "invalid database URL: port must be a number 1-65535" },
	{ "mysql://u:secret@h", "invalid database URL: mysql:// needs /dbname after the host" },
	{ "mysql://u:secret@h/", "invalid database URL: empty database name" },
	{ "mysql://u:secret@h/d;drop", "invalid database URL: database name may "
	  "contain only letters, digits, '_', '$' and '-'" },
	{ "mysql://u:secret@h/d#x", "invalid database URL: '#' fragment not allowed" },
	{ "mysql://u:secret@h o/d", "invalid database URL: bad character ' ' in the host" },
	{ "mysql://u:secret@[::1/d", "invalid database URL: '[' without ']' in the host" },
	{ "mysql://u:secret@[::g]/d", "invalid database URL: bad character in the IPv6 address" },
	{ "mysql://u:secret@[::1]x/d", "invalid database URL: junk after ']'" },
	{ "mysql://u:secret@/d", "invalid database URL: host missing (or give ?socket=/path)" },
	{ "mysql://u:secret@h/d?sock=/x", "invalid database URL: unknown parameter "
	  "\"sock\" (known: socket, timeout)" },
	{ "mysql://u:secret@h/d?socket", "invalid database URL: query parameter without '='" },
	{ "mysql://u:secret@h/d?socket=rel.sock", "invalid database URL: socket must "
	  "be an absolute path" },
	{ "mysql://u:secret@h/d?socket=/a&socket=/b", "invalid database URL: socket given twice" },
	{ "mysql://u:secret@h/d?timeout=0", "invalid database URL: timeout must be 1-3600 seconds" },
	{ "mysql://u:secret@h/d?timeout=3601", "invalid database URL: timeout must be 1-3600 seconds" },
	{ "mysql://u:secret@h/d?timeout=x", "invalid database URL: timeout must be 1-3600 seconds" },
	{ "mysql://u:secret@h/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "invalid database URL: database name longer than 64" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store_url u;
		struct errbuf why;

		errbuf_clear(&why);
		if (store_url_parse(bad[i].url, &u, &why) != -1)
			fail_msg("accepted: %s", bad[i].url);
		assert_string_equal(why.msg, bad[i].want);
		assert_null(strstr(why.msg, "secret"));
		/* a failed parse leaves nothing to free */
		assert_null(u.user);
		assert_null(u.password);
		assert_null(u.path);
	}
}

static void test_too_long(void **state)
{
	char *url = malloc(STORE_URL_MAX + 32);
	struct store_url u;
	struct errbuf why;

	(void)state;
	strcpy(url, "sqlite:/");
	memset(url + 8, 'a', STORE_URL_MAX);
	url[STORE_URL_MAX + 8] = '\0';
	assert_int_equal(store_url_parse(url, &u, &why), -1);
	assert_string_equal(why.msg, "invalid database URL: longer than 2048 bytes");
	free(url);
}

/* store_open reports URL errors the same way and returns no handle. */
static void test_open_bad_url(void **state)
{
	struct store *st = (struct store *)1;
	struct errbuf why;

	(void)state;
	assert_int_equal(store_open("mysql://u:secret@h:0/d", &st, &why), STORE_ERR_CONFIG);
	assert_null(st);
	assert_string_equal(why.msg, "invalid database URL: port must be a number 1-65535");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_open_bad_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
