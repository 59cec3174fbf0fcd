/* SPDX-License-Identifier: MIT */
/*
 * test_store_mysql - the MariaDB backend through the store API against
 * the server of tests/lib/mariadb-start (TLSPOLICY_TEST_MYSQL_URL), in a
 * database of its own: init, put/get/delete/list, change counting, dry
 * runs, all-or-nothing put_many when the server rejects a row in the
 * middle, a connection the server killed (the next operation
 * reconnects), and connection errors that never show the password.
 *
 * Exits 77 (skip) without TLSPOLICY_TEST_MYSQL_URL, 1 when CI is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define TDB "tlspolicy_test_cstore"

static struct store_url base;
static char url[1024];

/* Runs constant SQL as the test user on a connection of its own. */
static void admin_sql(const char *db, const char *sql)
{
	MYSQL *c = mysql_init(NULL);
	unsigned proto = MYSQL_PROTOCOL_TCP;

	mysql_options(c, MYSQL_OPT_PROTOCOL, &proto);
	if (!mysql_real_connect(c, base.host, base.user, base.password, db,
				base.port, NULL, CLIENT_MULTI_STATEMENTS))
		fail_msg("admin connect: %s", mysql_error(c));
	if (mysql_query(c, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(c));
	do {
		MYSQL_RES *r = mysql_store_result(c);
		if (r)
			mysql_free_result(r);
	} while (mysql_next_result(c) == 0);
	mysql_close(c);
}

/* Kills every other connection to the test database (like a server
 * restart or wait_timeout would). Returns how many. */
static int kill_others(void)
{
	MYSQL *c = mysql_init(NULL);
	unsigned proto = MYSQL_PROTOCOL_TCP;
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long ids[64];
	int n = 0;
	char q[64];

	mysql_options(c, MYSQL_OPT_PROTOCOL, &proto);
	if (!mysql_real_connect(c, base.host, base.user, base.password, NULL,
				base.port, NULL, 0))
		fail_msg("admin connect: %s", mysql_error(c));
	if (mysql_query(c, "SELECT ID FROM information_schema.PROCESSLIST "
			   "WHERE DB = '" TDB "' AND ID <> CONNECTION_ID()") != 0)
		fail_msg("processlist: %s", mysql_error(c));
	res = mysql_store_result(c);
	while ((row = mysql_fetch_row(res)) && n < 64)
		ids[n++] = strtoul(row[0], NULL, 10);
	mysql_free_result(res);
	for (int i = 0; i < n; i++) {
		snprintf(q, sizeof(q), "KILL CONNECTION %lu", ids[i]);
		mysql_query(c, q);
	}
	mysql_close(c);
	return n;
}

static int setup(void **state)
{
	(void)state;
	admin_sql(base.dbname, "DROP DATABASE IF EXISTS " TDB "; CREATE DATABASE " TDB);
	return 0;
}

static struct store *open_init(int want_created)
{
	struct store *st = NULL;
	struct errbuf why;
	int created = -1;

	if (store_open_ex(url, STORE_OPEN_CREATE, &st, &why) != 0)
		fail_msg("open: %s", why.msg);
	if (store_init(st, &created, &why) != 0)
		fail_msg("init: %s", why.msg);
	assert_int_equal(created, want_created);
	return st;
}

static void test_basic(void **state)
{
	struct store *st = open_init(1);
	struct store_row row;
	struct errbuf why;
	char change = 0;

	(void)state;
	assert_string_equal(store_backend(st), "mysql");
	assert_null(strstr(store_describe(st), base.password));
	assert_int_equal(store_get(st, "example.com", &row, &why), 0);
	assert_int_equal(store_put(st, "example.com", "secure", "match=nexthop", &change, &why), 0);
	assert_int_equal(change, 'a');
	assert_int_equal(store_put(st, "example.com", "secure", "match=nexthop", &change, &why), 0);
	assert_int_equal(change, 'u');
	assert_int_equal(store_put(st, "example.com", "verify", "match=nexthop", &change, &why), 0);
	assert_int_equal(change, 'c');
	assert_int_equal(store_get(st, "EXAMPLE.COM", &row, &why), 1);
	assert_string_equal(row.domain, "example.com");
	assert_string_equal(row.policy, "verify");
	assert_string_equal(row.params, "match=nexthop");
	assert_int_equal(row.id, 1);
	store_row_free(&row);
	assert_int_equal(store_put(st, "_default", "dane", "", &change, &why), 0);
	assert_int_equal(store_put(st, "_default", "dane", NULL, &change, &why), 0);
	assert_int_equal(change, 'u');
	assert_int_equal(store_get(st, "_default", &row, &why), 1);
	assert_null(row.params);
	store_row_free(&row);
	assert_int_equal(store_delete(st, "example.com", &why), 1);
	assert_int_equal(store_delete(st, "example.com", &why), 0);
	store_close(st);
	/* a second init keeps the table */
	st = open_init(0);
	assert_int_equal(store_get(st, "_default", &row, &why), 1);
	store_row_free(&row);
	store_close(st);
}

static int count_fn(const struct store_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

static void test_put_many(void **state)
{
	struct store *st = open_init(1);
	struct store_put_item items[] = {
		{ "a.example", "may", NULL, NULL },
		{ "b.example", "encrypt", "protocols=>=TLSv1.2", NULL },
		{ "fail.example", "none", NULL, NULL },
		{ "c.example", "may", NULL, NULL },
	};
	struct store_counts c;
	struct errbuf why;
	int n = 0;

	(void)state;
	assert_int_equal(store_put_many_ex(st, items, 2, STORE_DRY_RUN, &c, &why), 0);
	assert_int_equal(c.added, 2);
	assert_int_equal(store_list(st, count_fn, &n, &why), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_put_many(st, items, 2, &c, &why), 0);
	assert_int_equal(c.added, 2);

	admin_sql(TDB, "CREATE TRIGGER boom BEFORE INSERT ON tlspolicies FOR EACH ROW "
		       "IF NEW.domain = 'fail.example' THEN SIGNAL SQLSTATE '45000' "
		       "SET MESSAGE_TEXT = 'rejected by trigger'; END IF");
	items[0].policy = "dane"; /* a change before the failing row */
	assert_int_equal(store_put_many(st, items, 4, &c, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "rejected by trigger"));
	n = 0;
	assert_int_equal(store_list(st, count_fn, &n, &why), 0);
	assert_int_equal(n, 2);
	{
		struct store_row row;
		assert_int_equal(store_get(st, "a.example", &row, &why), 1);
		assert_string_equal(row.policy, "may");
		store_row_free(&row);
	}
	/* autocommit is back on: a single put is visible to others */
	assert_int_equal(store_put(st, "d.example", "may", NULL, NULL, &why), 0);
	store_close(st);
	st = open_init(0);
	n = 0;
	assert_int_equal(store_list(st, count_fn, &n, &why), 0);
	assert_int_equal(n, 3);
	store_close(st);
}

static void test_reconnect(void **state)
{
	struct store *st = open_init(1);
	struct store_row row;
	struct errbuf why;

	(void)state;
	assert_int_equal(store_put(st, "a.example", "may", NULL, NULL, &why), 0);
	assert_true(kill_others() >= 1);
	if (store_get(st, "a.example", &row, &why) != 1)
		fail_msg("after KILL: %s", why.msg);
	store_row_free(&row);
	assert_true(kill_others() >= 1);
	assert_int_equal(store_put(st, "b.example", "may", NULL, NULL, &why), 0);
	store_close(st);
}

static void test_connect_errors(void **state)
{
	struct store *st = (struct store *)1;
	struct errbuf why;
	char bad[1024];

	(void)state;
	snprintf(bad, sizeof(bad), "mysql://%s:not-the-password@%s:%u/%s", base.user,
		 base.host, base.port, TDB);
	assert_int_equal(store_open(bad, &st, &why), STORE_ERR_CONFIG);
	assert_null(st);
	assert_non_null(strstr(why.msg, "Access denied for user"));
	assert_null(strstr(why.msg, "not-the-password"));
	snprintf(bad, sizeof(bad), "mysql://%s:%s@127.0.0.1:1/%s?timeout=2", base.user,
		 base.password, TDB);
	assert_int_equal(store_open(bad, &st, &why), STORE_ERR_RETRY);
	assert_non_null(strstr(why.msg, "server not reachable"));
	assert_null(strstr(why.msg, base.password));
	/* no table: a clear message */
	st = NULL;
	assert_int_equal(store_open(url, &st, &why), 0);
	{
		struct store_row row;
		assert_int_equal(store_get(st, "a.example", &row, &why), STORE_ERR_CONFIG);
		assert_non_null(strstr(why.msg, "table tlspolicies does not exist"));
	}
	store_close(st);
}

int main(void)
{
	const char *env = getenv("TLSPOLICY_TEST_MYSQL_URL");
	struct errbuf why;
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_basic, setup),
		cmocka_unit_test_setup(test_put_many, setup),
		cmocka_unit_test_setup(test_reconnect, setup),
		cmocka_unit_test_setup(test_connect_errors, setup),
	};

	if (env == NULL || *env == '\0') {
		printf("TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)\n");
		return getenv("CI") && *getenv("CI") ? 1 : 77;
	}
	if (store_url_parse(env, &base, &why) < 0 || base.kind != STORE_MYSQL ||
	    base.socket || base.password == NULL) {
		printf("TLSPOLICY_TEST_MYSQL_URL: want mysql://user:pass@host:port/db: %s\n",
		       why.msg);
		return 1;
	}
	snprintf(url, sizeof(url), "mysql://%s:%s@%s:%u/%s", base.user, base.password,
		 base.host, base.port ? base.port : 3306, TDB);
	if (base.port == 0)
		base.port = 3306;
	store_global_init(NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc == 0)
		admin_sql(base.dbname, "DROP DATABASE " TDB);
	store_url_free(&base);
	store_global_end();
	return rc;
}
