/* SPDX-License-Identifier: MIT */
/*
 * test_store_own - table tlspolicy_own (the first-seen facts of tlspolicy
 * own, store_own.h) through the store API, on one backend per run:
 *
 *   test_store_own sqlite   temporary files (suite unit)
 *   test_store_own mysql    the server of tests/lib/mariadb-start
 *                           (TLSPOLICY_TEST_MYSQL_URL), a database of its
 *                           own recreated for every test (suite
 *                           integration); exits 77 without the URL, 1
 *                           when CI is set.
 *
 * Cases: before db init every call fails with "run 'tlspolicy db init'";
 * db init (store_init) creates it; put/get round trip with an upsert that
 * replaces value and times; list returns one subject's facts ordered by
 * fact, and another subject's stay apart; delete says whether a row was
 * there; a value of an MTA-STS policy's 64 KiB plus an id survives, a
 * longer one and bad keys are refused with nothing written; two handles
 * ("two mail servers" on one MariaDB) see each other's writes.
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
#include <unistd.h>

#include "store/store.h"
#include "store/store_own.h"

#define TDB "tlspolicy_test_own"

static int is_mysql;
static struct store_url base;
static char url[1024];
static char sqlite_dir[64], sqlite_path[128];

static void mysql_raw(const char *db, const char *sql)
{
	MYSQL *c = mysql_init(NULL);
	unsigned proto = MYSQL_PROTOCOL_TCP;

	mysql_options(c, MYSQL_OPT_PROTOCOL, &proto);
	if (!mysql_real_connect(c, base.host, base.user, base.password, db, base.port,
				NULL, CLIENT_MULTI_STATEMENTS))
		fail_msg("admin connect: %s", mysql_error(c));
	if (mysql_query(c, sql) != 0)
		fail_msg("%.200s: %s", sql, mysql_error(c));
	do {
		MYSQL_RES *r = mysql_store_result(c);
		if (r)
			mysql_free_result(r);
	} while (mysql_next_result(c) == 0);
	mysql_close(c);
}

static int setup(void **state)
{
	(void)state;
	if (is_mysql) {
		mysql_raw(base.dbname, "DROP DATABASE IF EXISTS " TDB "; CREATE DATABASE " TDB);
		return 0;
	}
	strcpy(sqlite_dir, "/tmp/tp-store-own.XXXXXX");
	if (mkdtemp(sqlite_dir) == NULL)
		return -1;
	snprintf(sqlite_path, sizeof(sqlite_path), "%s/o.db", sqlite_dir);
	snprintf(url, sizeof(url), "sqlite:%s", sqlite_path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	if (is_mysql)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sqlite_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_st(void)
{
	struct store *st = NULL;
	struct errbuf why;

	if (store_open_ex(url, STORE_OPEN_CREATE, &st, &why) != 0)
		fail_msg("open: %s", why.msg);
	return st;
}

static struct store *init_st(void)
{
	struct store *st = open_st();
	struct errbuf why;

	if (store_init(st, NULL, &why) != 0)
		fail_msg("init: %s", why.msg);
	return st;
}

static void put(struct store *st, const char *s, const char *f, const char *v,
		long long first, long long last)
{
	struct store_own_row r = { (char *)s, (char *)f, (char *)v, first, last };
	struct errbuf why;

	if (store_own_put(st, &r, &why) != 0)
		fail_msg("put %s %s: %s", s, f, why.msg);
}

static void test_before_init(void **state)
{
	struct store *st = open_st();
	struct store_own_row row;
	struct errbuf why;
	int created = 0;

	(void)state;
	assert_int_equal(store_own_get(st, "_25._tcp.mx.example", "ttl", &row, &why), -1);
	assert_non_null(strstr(why.msg, "table tlspolicy_own does not exist"));
	assert_non_null(strstr(why.msg, "run 'tlspolicy db init'"));
	assert_int_equal(store_own_init(st, &created, &why), 0);
	assert_int_equal(created, 1);
	assert_int_equal(store_own_init(st, &created, &why), 0);
	assert_int_equal(created, 0);
	assert_int_equal(store_own_get(st, "_25._tcp.mx.example", "ttl", &row, &why), 0);
	store_close(st);
}

struct seen {
	char facts[8][64];
	long long first[8];
	size_t n;
};

static int list_cb(const struct store_own_row *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->facts[s->n], sizeof(s->facts[0]), "%s", r->fact);
		s->first[s->n++] = r->first_seen;
	}
	return 0;
}

static void test_round_trip(void **state)
{
	struct store *st = init_st();
	struct store_own_row row;
	struct errbuf why;
	struct seen s;
	const char *o = "_25._tcp.mx.example";

	(void)state;
	put(st, o, "tlsa 3 1 1 aa", "", 100, 100);
	put(st, o, "live aa", "", 90, 95);
	put(st, o, "ttl", "3600", 100, 100);
	put(st, "example.org", "sts-policy", "id1\nversion: STSv1\n", 50, 60);
	assert_int_equal(store_own_get(st, o, "tlsa 3 1 1 aa", &row, &why), 1);
	assert_string_equal(row.subject, o);
	assert_string_equal(row.value, "");
	assert_int_equal(row.first_seen, 100);
	store_own_row_free(&row);
	/* upsert: value and times replaced */
	put(st, o, "ttl", "7200", 100, 200);
	assert_int_equal(store_own_get(st, o, "ttl", &row, &why), 1);
	assert_string_equal(row.value, "7200");
	assert_int_equal(row.last_seen, 200);
	store_own_row_free(&row);
	assert_int_equal(store_own_get(st, "example.org", "sts-policy", &row, &why), 1);
	assert_string_equal(row.value, "id1\nversion: STSv1\n");
	store_own_row_free(&row);

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_own_list(st, o, list_cb, &s, &why), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.facts[0], "live aa");
	assert_string_equal(s.facts[1], "tlsa 3 1 1 aa");
	assert_string_equal(s.facts[2], "ttl");
	assert_int_equal(s.first[0], 90);

	assert_int_equal(store_own_delete(st, o, "live aa", &why), 1);
	assert_int_equal(store_own_delete(st, o, "live aa", &why), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_own_list(st, o, list_cb, &s, &why), 0);
	assert_int_equal(s.n, 2);
	store_close(st);
}

static void test_limits(void **state)
{
	struct store *st = init_st();
	struct store_own_row row;
	struct errbuf why;
	char *big = malloc(STORE_OWN_VALUE_MAX + 2);
	struct store_own_row r = { (char *)"example.org", (char *)"sts-policy", big, 1, 1 };

	(void)state;
	memset(big, 'x', STORE_OWN_VALUE_MAX);
	big[STORE_OWN_VALUE_MAX] = '\0';
	assert_int_equal(store_own_put(st, &r, &why), 0);
	assert_int_equal(store_own_get(st, "example.org", "sts-policy", &row, &why), 1);
	assert_int_equal(strlen(row.value), STORE_OWN_VALUE_MAX);
	store_own_row_free(&row);
	big[STORE_OWN_VALUE_MAX] = 'x';
	big[STORE_OWN_VALUE_MAX + 1] = '\0';
	r.subject = (char *)"big.example.org";
	assert_int_equal(store_own_put(st, &r, &why), -1);
	assert_non_null(strstr(why.msg, "value longer than"));
	assert_int_equal(store_own_get(st, "big.example.org", "sts-policy", &row, &why), 0);
	free(big);

	r.value = (char *)"";
	r.subject = (char *)"with space";
	assert_int_equal(store_own_put(st, &r, &why), -1);
	r.subject = (char *)"example.org";
	r.fact = (char *)"";
	assert_int_equal(store_own_put(st, &r, &why), -1);
	r.fact = (char *)"x";
	r.first_seen = 5;
	r.last_seen = 4;
	assert_int_equal(store_own_put(st, &r, &why), -1);
	assert_non_null(strstr(why.msg, "before first_seen"));
	assert_int_equal(store_own_get(st, "example.org", "x", &row, &why), 0);
	store_close(st);
}

static void test_two_handles(void **state)
{
	struct store *a = init_st(), *b = open_st();
	struct store_own_row row;
	struct errbuf why;

	(void)state;
	put(a, "_25._tcp.mx.example", "tlsa 3 1 1 bb", "", 10, 10);
	assert_int_equal(store_own_get(b, "_25._tcp.mx.example", "tlsa 3 1 1 bb", &row, &why), 1);
	assert_int_equal(row.first_seen, 10);
	store_own_row_free(&row);
	assert_int_equal(store_own_delete(b, "_25._tcp.mx.example", "tlsa 3 1 1 bb", &why), 1);
	assert_int_equal(store_own_get(a, "_25._tcp.mx.example", "tlsa 3 1 1 bb", &row, &why), 0);
	store_close(a);
	store_close(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_before_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
	};
	struct errbuf why;
	const char *env;
	int rc;

	if (argc != 2 || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "mysql"))) {
		fprintf(stderr, "usage: test_store_own sqlite|mysql\n");
		return 2;
	}
	is_mysql = strcmp(argv[1], "mysql") == 0;
	if (!is_mysql)
		return cmocka_run_group_tests_name("store_own sqlite", tests, NULL, NULL);
	env = getenv("TLSPOLICY_TEST_MYSQL_URL");
	if (env == NULL || *env == '\0') {
		printf("TLSPOLICY_TEST_MYSQL_URL not set (run tests/lib/mariadb-start)\n");
		return getenv("CI") && *getenv("CI") ? 1 : 77;
	}
	if (store_url_parse(env, &base, &why) < 0 || base.kind != STORE_MYSQL ||
	    base.socket || base.password == NULL) {
		printf("TLSPOLICY_TEST_MYSQL_URL: want mysql://user:pass@host:port/db\n");
		return 1;
	}
	if (base.port == 0)
		base.port = 3306;
	snprintf(url, sizeof(url), "mysql://%s:%s@%s:%u/%s", base.user, base.password,
		 base.host, base.port, TDB);
	store_global_init(NULL);
	rc = cmocka_run_group_tests_name("store_own mysql", tests, NULL, NULL);
	if (rc == 0)
		mysql_raw(base.dbname, "DROP DATABASE " TDB);
	store_url_free(&base);
	store_global_end();
	return rc;
}
