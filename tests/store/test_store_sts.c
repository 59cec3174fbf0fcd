/* SPDX-License-Identifier: MIT */
/*
 * test_store_sts - table tlspolicy_sts (the persisted MTA-STS cache,
 * store_sts.h) through the store API, on one backend per run:
 *
 *   test_store_sts sqlite   temporary files (suite unit)
 *   test_store_sts mysql    the server of tests/lib/mariadb-start
 *                           (TLSPOLICY_TEST_MYSQL_URL), in a database of
 *                           its own, recreated for every test (suite
 *                           integration); exits 77 without the URL, 1
 *                           when CI is set.
 *
 * Both run the same cases: db init on an old database that has only
 * tlspolicies (the STS calls fail with "run 'tlspolicy db init'" until
 * then, the old table keeps working and is left alone); put/get/
 * delete/list with upserts and case-insensitive domains; a policy of
 * exactly 64 KiB and one holding every byte 0x01-0xff round trip
 * unchanged; rows over a limit are refused with nothing written; two
 * handles ("two mail servers") see each other's writes, and a list runs
 * on one snapshot while the other handle writes; purge of expired rows; rows written by hand
 * that break a limit are errors, never truncated; an existing
 * tlspolicy_sts of another shape makes init fail.  MariaDB also: a
 * connection the server killed is replaced.
 *
 * tlspolicy_provenance (store_prov.h), also on both backends: a put with
 * provenance writes it in the same transaction (added and changed rows;
 * an unchanged row keeps the old one; a dry run and a rolled-back write
 * leave none); delete removes it; control characters and over-long
 * values are cleaned and cut; a database without the table writes rows
 * and says provenance_missing; db init (store_init) adds it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mysql.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_prov.h"
#include "store/store_report.h"
#include "store/store_sts.h"

#define TDB "tlspolicy_test_csts"

static int is_mysql;
static struct store_url base;  /* mysql: the harness's URL */
static char url[1024];          /* the URL under test */
static char sqlite_dir[64], sqlite_path[128];

/* The admin's table as a database made before tlspolicy_sts existed
 * has it (the DDL of store_sqlite.c / store_mysql.c). */
#define OLD_SQLITE                                                             \
	"CREATE TABLE tlspolicies (\n"                                         \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                            \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE UNIQUE\n"               \
	"    CHECK (length(domain) BETWEEN 1 AND 255),\n"                      \
	"  policy VARCHAR(11) NOT NULL CHECK (policy IN ('none','may',"        \
	"'encrypt','dane','dane-only','fingerprint','verify','secure')),\n"    \
	"  params VARCHAR(255) DEFAULT NULL\n"                                 \
	"    CHECK (params IS NULL OR length(params) <= 255)\n"                \
	")"
#define OLD_MYSQL                                                              \
	"CREATE TABLE `tlspolicies` (\n"                                       \
	"  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n"                   \
	"  `domain` varchar(255) NOT NULL,\n"                                  \
	"  `policy` enum('none','may','encrypt','dane','dane-only',"           \
	"'fingerprint','verify','secure') NOT NULL,\n"                         \
	"  `params` varchar(255) DEFAULT NULL,\n"                              \
	"  PRIMARY KEY (`id`), UNIQUE KEY `domain` (`domain`)\n"               \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"

/* ---- raw SQL, like another tool (or an older tlspolicy) would ------- */

static MYSQL *admin_connect(const char *db, unsigned long flags)
{
	MYSQL *c = mysql_init(NULL);
	unsigned proto = MYSQL_PROTOCOL_TCP;

	mysql_options(c, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(c, MYSQL_SET_CHARSET_NAME, "latin1");
	if (!mysql_real_connect(c, base.host, base.user, base.password, db,
				base.port, NULL, flags))
		fail_msg("admin connect: %s", mysql_error(c));
	return c;
}

static void mysql_raw(const char *db, const char *sql)
{
	MYSQL *c = admin_connect(db, CLIENT_MULTI_STATEMENTS);

	if (mysql_query(c, sql) != 0)
		fail_msg("%.200s: %s", sql, mysql_error(c));
	do {
		MYSQL_RES *r = mysql_store_result(c);
		if (r)
			mysql_free_result(r);
	} while (mysql_next_result(c) == 0);
	mysql_close(c);
}

static void raw_sql(const char *sql)
{
	if (is_mysql) {
		mysql_raw(TDB, sql);
	} else {
		sqlite3 *db;
		char *err = NULL;

		assert_int_equal(sqlite3_open(sqlite_path, &db), SQLITE_OK);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("%.200s: %s", sql, err);
		sqlite3_close(db);
	}
}

/* The first column of the first row of sql, as text ("" for none). */
static void raw_query(const char *sql, char *out, size_t outlen)
{
	out[0] = '\0';
	if (is_mysql) {
		MYSQL *c = admin_connect(TDB, 0);
		MYSQL_RES *r;
		MYSQL_ROW row;

		if (mysql_query(c, sql) != 0)
			fail_msg("%s: %s", sql, mysql_error(c));
		r = mysql_store_result(c);
		if (r && (row = mysql_fetch_row(r)) && row[0])
			snprintf(out, outlen, "%s", row[0]);
		if (r)
			mysql_free_result(r);
		mysql_close(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *stmt;

		assert_int_equal(sqlite3_open(sqlite_path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
		if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
			snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
}

static int table_exists(const char *name)
{
	char q[300], out[32];

	if (is_mysql)
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM information_schema.TABLES "
			 "WHERE TABLE_SCHEMA = '" TDB "' AND TABLE_NAME = '%s'", name);
	else
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM sqlite_master "
			 "WHERE type = 'table' AND name = '%s'", name);
	raw_query(q, out, sizeof(out));
	return atoi(out);
}

/* ---- fixtures ------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	if (is_mysql) {
		mysql_raw(base.dbname, "DROP DATABASE IF EXISTS " TDB "; CREATE DATABASE " TDB);
		return 0;
	}
	strcpy(sqlite_dir, "/tmp/tp-store-sts.XXXXXX");
	if (mkdtemp(sqlite_dir) == NULL)
		return -1;
	snprintf(sqlite_path, sizeof(sqlite_path), "%s/p.db", sqlite_dir);
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

static struct store *open_init(void)
{
	struct store *st = open_st();
	struct errbuf why;

	if (store_init(st, NULL, &why) != 0)
		fail_msg("init: %s", why.msg);
	return st;
}

static void put_ok(struct store *st, const char *domain, const char *id,
		   const char *policy, long long fetched, long long expires)
{
	struct store_sts_row r = { (char *)domain, (char *)id, (char *)policy,
				   fetched, expires };
	struct errbuf why;

	if (store_sts_put(st, &r, &why) != 0)
		fail_msg("put %s: %s", domain, why.msg);
}

/* A policy body of exactly n bytes (n >= 64): valid lines, padded by
 * one long unknown field. */
static char *make_policy(size_t n)
{
	const char *head = "version: STSv1\nmode: enforce\nmax_age: 604800\n"
			   "mx: mx1.example.net\nmx: *.example.org\n";
	char *p = malloc(n + 1);
	size_t o = strlen(head);

	assert_non_null(p);
	assert_true(n > o + 8);
	memcpy(p, head, o);
	while (o < n) {
		size_t line = n - o > 1000 ? 1000 : n - o;
		/* "x: " + filler + "\n"; a short tail becomes filler only */
		for (size_t i = 0; i < line; i++)
			p[o + i] = (char)('a' + (o + i) % 26);
		if (line >= 5) {
			memcpy(p + o, "x: ", 3);
		}
		p[o + line - 1] = '\n';
		o += line;
	}
	p[n] = '\0';
	return p;
}

/* ---- cases ---------------------------------------------------------- */

static void check_missing(struct store *st)
{
	struct store_sts_row row;
	struct errbuf why;
	char want[300];

	snprintf(want, sizeof(want), "table tlspolicy_sts does not exist in %s "
		 "(run 'tlspolicy db init')", store_describe(st));
	assert_int_equal(store_sts_get(st, "a.example", &row, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, want));
	assert_non_null(strstr(why.msg, "sts get: "));
	assert_null(row.domain);
	{
		struct store_sts_row r = { "a.example", "id1", "version: STSv1\n", 1, 2 };
		assert_int_equal(store_sts_put(st, &r, &why), STORE_ERR_CONFIG);
		assert_non_null(strstr(why.msg, want));
	}
	assert_int_equal(store_sts_delete(st, "a.example", &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, want));
	assert_int_equal(store_sts_list(st, NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, want));
	assert_int_equal(store_sts_purge(st, 10, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, want));
}

/* A database made before tlspolicy_sts existed: the STS calls say what
 * to do, the old table works; db init adds the new table only. */
static void test_init_old_db(void **state)
{
	struct store *st;
	struct store_row prow;
	struct store_sts_row row;
	struct errbuf why;
	int created = -1, sts_created = -1;
	char before[64], after[64];

	(void)state;
	raw_sql(is_mysql ? OLD_MYSQL : OLD_SQLITE);
	raw_sql("INSERT INTO tlspolicies (domain, policy, params) "
		"VALUES ('legacy.example', 'secure', 'match=nexthop')");
	raw_query("SELECT COUNT(*) FROM tlspolicies", before, sizeof(before));
	st = open_st();
	assert_int_equal(store_get(st, "legacy.example", &prow, &why), 1);
	store_row_free(&prow);
	check_missing(st);
	/* the old table still works after the failed STS calls */
	assert_int_equal(store_put(st, "new.example", "may", NULL, NULL, &why), 0);
	assert_int_equal(table_exists("tlspolicy_sts"), 0);

	assert_int_equal(store_init_ex(st, &created, &sts_created, &why), 0);
	assert_int_equal(created, 0);
	assert_int_equal(sts_created, 1);
	assert_int_equal(table_exists("tlspolicy_sts"), 1);
	raw_query("SELECT COUNT(*) FROM tlspolicies", after, sizeof(after));
	assert_int_equal(atoi(after), atoi(before) + 1);
	assert_int_equal(store_get(st, "legacy.example", &prow, &why), 1);
	assert_string_equal(prow.params, "match=nexthop");
	store_row_free(&prow);

	put_ok(st, "sts.example", "20240101T000000", "version: STSv1\nmode: none\nmax_age: 60\n",
	       1700000000, 1700000060);
	assert_int_equal(store_sts_get(st, "sts.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "20240101T000000");
	store_sts_row_free(&row);

	/* again: nothing created, nothing lost */
	assert_int_equal(store_init_ex(st, &created, &sts_created, &why), 0);
	assert_int_equal(created, 0);
	assert_int_equal(sts_created, 0);
	assert_int_equal(store_sts_get(st, "sts.example", &row, &why), 1);
	store_sts_row_free(&row);
	store_close(st);

	/* plain store_init on an empty database makes both tables */
	raw_sql("DROP TABLE tlspolicy_sts");
	raw_sql("DROP TABLE tlspolicies");
	st = open_st();
	assert_int_equal(store_init(st, &created, &why), 0);
	assert_int_equal(created, 1);
	assert_int_equal(table_exists("tlspolicies"), 1);
	assert_int_equal(table_exists("tlspolicy_sts"), 1);
	store_close(st);
}

struct collect {
	char line[16][128];
	int n, stop_after;
	struct store *other;   /* writes there during the walk */
};

static int collect_fn(const struct store_sts_row *r, void *arg)
{
	struct collect *c = arg;

	snprintf(c->line[c->n], sizeof(c->line[0]), "%s %s %lld %lld %zu", r->domain,
		 r->policy_id, r->fetched, r->expires, strlen(r->policy));
	c->n++;
	if (c->other && c->n == 1)
		put_ok(c->other, "zz-during-walk.example", "w1", "version: STSv1\n", 5, 6);
	return c->stop_after && c->n >= c->stop_after ? 7 : 0;
}

static void test_round_trip(void **state)
{
	struct store *st = open_init();
	struct store_sts_row row;
	struct collect col;
	struct errbuf why;
	char *big = make_policy(STORE_STS_POLICY_MAX), bytes[256], got[32];

	(void)state;
	assert_int_equal(strlen(big), 65536);
	assert_int_equal(store_sts_get(st, "example.com", &row, &why), 0);
	assert_null(row.domain);
	put_ok(st, "example.com", "id1", "version: STSv1\nmode: testing\nmx: mx.example.com\n"
	       "max_age: 86400\n", 1700000000, 1700086400);
	assert_int_equal(store_sts_get(st, "example.com", &row, &why), 1);
	assert_string_equal(row.domain, "example.com");
	assert_string_equal(row.policy_id, "id1");
	assert_string_equal(row.policy, "version: STSv1\nmode: testing\nmx: mx.example.com\n"
			    "max_age: 86400\n");
	assert_int_equal(row.fetched, 1700000000);
	assert_int_equal(row.expires, 1700086400);
	store_sts_row_free(&row);
	assert_null(row.policy);

	/* upsert: a new id replaces the row, one row per domain; lookups
	 * ignore case and the spelling of the last put is kept */
	put_ok(st, "Example.COM", "id2", big, 1800000000LL, 1800000000LL + 31557600);
	assert_int_equal(store_sts_get(st, "EXAMPLE.com", &row, &why), 1);
	assert_string_equal(row.domain, "Example.COM");
	assert_string_equal(row.policy_id, "id2");
	assert_int_equal(strlen(row.policy), STORE_STS_POLICY_MAX);
	assert_memory_equal(row.policy, big, STORE_STS_POLICY_MAX);
	assert_int_equal(row.expires, 1800000000LL + 31557600);
	store_sts_row_free(&row);
	raw_query("SELECT COUNT(*) FROM tlspolicy_sts", got, sizeof(got));
	assert_string_equal(got, "1");
	/* times beyond 2038 and 32 bits */
	put_ok(st, "example.com", "id3", "version: STSv1\n", 4102444800LL, 4102444800LL);
	assert_int_equal(store_sts_get(st, "example.com", &row, &why), 1);
	assert_int_equal(row.fetched, 4102444800LL);
	assert_int_equal(row.expires, 4102444800LL);
	store_sts_row_free(&row);

	/* every byte 1..255 comes back unchanged (UTF-8 in unknown fields,
	 * anything a server sent) */
	for (int i = 0; i < 255; i++)
		bytes[i] = (char)(i + 1);
	bytes[255] = '\0';
	put_ok(st, "bytes.example", "b", bytes, 0, 0);
	assert_int_equal(store_sts_get(st, "bytes.example", &row, &why), 1);
	assert_int_equal(strlen(row.policy), 255);
	assert_memory_equal(row.policy, bytes, 255);
	store_sts_row_free(&row);
	/* quotes are data */
	put_ok(st, "o'brien.example", "q", "it's \"quoted\"; --\n", 1, 2);
	assert_int_equal(store_sts_get(st, "o'brien.example", &row, &why), 1);
	assert_string_equal(row.policy, "it's \"quoted\"; --\n");
	store_sts_row_free(&row);

	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 3);
	assert_string_equal(col.line[0], "bytes.example b 0 0 255");
	assert_string_equal(col.line[1], "example.com id3 4102444800 4102444800 15");
	assert_string_equal(col.line[2], "o'brien.example q 1 2 18");
	memset(&col, 0, sizeof(col));
	col.stop_after = 2;
	assert_int_equal(store_sts_list(st, collect_fn, &col, &why), 7);
	assert_int_equal(col.n, 2);

	assert_int_equal(store_sts_delete(st, "EXAMPLE.COM", &why), 1);
	assert_int_equal(store_sts_delete(st, "example.com", &why), 0);
	assert_int_equal(store_sts_get(st, "example.com", &row, &why), 0);
	/* the admin's table is another table */
	{
		struct store_row prow;
		assert_int_equal(store_get(st, "bytes.example", &prow, &why), 0);
	}
	free(big);
	store_close(st);
}

/* Every limit is checked before SQL runs: nothing written, an existing
 * row unchanged. */
static void test_limits(void **state)
{
	struct store *st = open_init();
	struct store_sts_row row;
	struct errbuf why;
	char *over = make_policy(STORE_STS_POLICY_MAX + 1), longd[300], count[32];
	struct {
		struct store_sts_row r;
		const char *want;
	} bad[] = {
		{ { "new.example", "id", over, 1, 2 },
		  "sts new.example: policy longer than 65536 bytes" },
		{ { "keep.example", "id2", over, 1, 2 },
		  "sts keep.example: policy longer than 65536 bytes" },
		{ { "new.example", "012345678901234567890123456789012", "p", 1, 2 },
		  "sts new.example: policy id longer than 32 characters" },
		{ { "new.example", "a-b", "p", 1, 2 },
		  "sts new.example: policy id may contain only letters and digits" },
		{ { "new.example", "", "p", 1, 2 }, "sts new.example: empty policy id" },
		{ { "new.example", NULL, "p", 1, 2 }, "sts new.example: empty policy id" },
		{ { "new.example", "id", "", 1, 2 }, "sts new.example: empty policy" },
		{ { "new.example", "id", NULL, 1, 2 }, "sts new.example: empty policy" },
		{ { "new.example", "id", "p", -1, 2 }, "sts new.example: negative fetch time -1" },
		{ { "new.example", "id", "p", 10, 9 },
		  "sts new.example: expiry 9 before the fetch time 10" },
		{ { "", "id", "p", 1, 2 }, "sts put: empty domain" },
		{ { NULL, "id", "p", 1, 2 }, "sts put: empty domain" },
		{ { longd, "id", "p", 1, 2 }, "sts put: domain longer than 255 bytes" },
		{ { "a b.example", "id", "p", 1, 2 },
		  "sts put: domain with a space, control or non-ASCII character" },
		{ { "\xc3\xa9.example", "id", "p", 1, 2 },
		  "sts put: domain with a space, control or non-ASCII character" },
	};

	(void)state;
	memset(longd, 'a', 256);
	longd[256] = '\0';
	assert_int_equal(strlen(over), 65537);
	put_ok(st, "keep.example", "id1", "version: STSv1\nmode: none\n", 100, 200);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errbuf_clear(&why);
		if (store_sts_put(st, &bad[i].r, &why) != STORE_ERR_CONFIG)
			fail_msg("case %zu: put accepted", i);
		if (strcmp(why.msg, bad[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, why.msg, bad[i].want);
	}
	raw_query("SELECT COUNT(*) FROM tlspolicy_sts", count, sizeof(count));
	assert_string_equal(count, "1");
	assert_int_equal(store_sts_get(st, "keep.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "id1");
	assert_string_equal(row.policy, "version: STSv1\nmode: none\n");
	assert_int_equal(row.expires, 200);
	store_sts_row_free(&row);
	assert_int_equal(store_sts_get(st, "new.example", &row, &why), 0);
	/* get / delete check the domain too */
	assert_int_equal(store_sts_get(st, "", &row, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "sts get: empty domain");
	assert_int_equal(store_sts_delete(st, longd, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "sts delete: domain longer than 255 bytes");
	free(over);
	store_close(st);
}

/* Two handles on one database, like two mail servers sharing it (or a
 * daemon and the CLI): each sees the other's writes at once; a list
 * reads one snapshot while the other handle writes. */
static void test_two_handles(void **state)
{
	struct store *a = open_init(), *b = open_st();
	struct store_sts_row row;
	struct collect col;
	struct errbuf why;

	(void)state;
	put_ok(a, "one.example", "a1", "version: STSv1\nmode: enforce\n", 10, 20);
	assert_int_equal(store_sts_get(b, "one.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "a1");
	store_sts_row_free(&row);
	/* b refreshes the policy: a sees the new id */
	put_ok(b, "one.example", "b2", "version: STSv1\nmode: testing\n", 30, 40);
	assert_int_equal(store_sts_get(a, "one.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "b2");
	assert_string_equal(row.policy, "version: STSv1\nmode: testing\n");
	assert_int_equal(row.fetched, 30);
	store_sts_row_free(&row);
	put_ok(b, "two.example", "b1", "version: STSv1\n", 1, 2);

	/* a lists while b writes from inside the walk */
	memset(&col, 0, sizeof(col));
	col.other = b;
	assert_int_equal(store_sts_list(a, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 2);
	assert_string_equal(col.line[0], "one.example b2 30 40 29");
	assert_string_equal(col.line[1], "two.example b1 1 2 15");
	/* the write made during the walk is there afterwards, for both */
	assert_int_equal(store_sts_get(a, "zz-during-walk.example", &row, &why), 1);
	store_sts_row_free(&row);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(b, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 3);

	/* a flushes: gone for b */
	assert_int_equal(store_sts_delete(a, "one.example", &why), 1);
	assert_int_equal(store_sts_get(b, "one.example", &row, &why), 0);
	assert_int_equal(store_sts_delete(b, "one.example", &why), 0);
	store_close(a);
	/* b goes on alone; a restart (new handle) finds b's rows */
	put_ok(b, "three.example", "b3", "version: STSv1\n", 3, 4);
	store_close(b);
	a = open_st();
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(a, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 3);
	assert_string_equal(col.line[0], "three.example b3 3 4 15");
	store_close(a);
}

/* Several daemons share the table (issue 14): a policy fetched earlier
 * never replaces one fetched later, whatever the ids and whichever
 * handle writes; the fetch lease is one owner's until it is released or
 * expires (a dead daemon's lease is taken over after its expiry). */
static void test_newer_wins_and_lease(void **state)
{
	struct store *a = open_init(), *b = open_st();
	struct store_sts_row row;
	struct store_sts_row r = { "shared.example", "new2", "version: STSv1\nmode: enforce\n",
				   200, 86600 };
	struct store_sts_lease want, held;
	struct errbuf why;
	int created = -1;

	(void)state;
	assert_int_equal(store_sts_lease_init(a, &created, &why), 0);
	assert_int_equal(created, 1);
	assert_int_equal(store_sts_lease_init(a, &created, &why), 0);
	assert_int_equal(created, 0);

	/* a writes the newer fetch first; b's older one (another id) comes
	 * late and is kept out */
	assert_int_equal(store_sts_put(a, &r, &why), 0);
	r.policy_id = "old1";
	r.policy = "version: STSv1\nmode: testing\n";
	r.fetched = 100;
	r.expires = 86500;
	assert_int_equal(store_sts_put(b, &r, &why), STORE_STS_KEPT);
	/* the same fetch time again: kept too (nothing newer) */
	r.fetched = 200;
	assert_int_equal(store_sts_put(b, &r, &why), STORE_STS_KEPT);
	assert_int_equal(store_sts_get(a, "SHARED.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "new2");
	assert_string_equal(row.policy, "version: STSv1\nmode: enforce\n");
	assert_int_equal(row.fetched, 200);
	assert_int_equal(row.expires, 86600);
	store_sts_row_free(&row);
	/* a later fetch replaces it, the same id or another */
	r.policy_id = "new3";
	r.fetched = 300;
	r.expires = 86700;
	assert_int_equal(store_sts_put(b, &r, &why), 0);
	assert_int_equal(store_sts_get(a, "shared.example", &row, &why), 1);
	assert_string_equal(row.policy_id, "new3");
	assert_int_equal(row.fetched, 300);
	assert_int_equal(row.expires, 86700);
	store_sts_row_free(&row);

	/* the lease: a takes it, b cannot until a releases it */
	memset(&want, 0, sizeof(want));
	want.domain = "shared.example";
	snprintf(want.owner, sizeof(want.owner), "mx1:100:aaaa");
	want.expires = 1030;
	assert_int_equal(store_sts_claim(a, &want, 1000, &held, &why), 1);
	snprintf(want.owner, sizeof(want.owner), "mx2:200:bbbb");
	want.expires = 1031;
	assert_int_equal(store_sts_claim(b, &want, 1001, &held, &why), 0);
	assert_string_equal(held.owner, "mx1:100:aaaa");
	assert_int_equal(held.expires, 1030);
	/* b may not release a's lease */
	assert_int_equal(store_sts_release(b, "shared.example", "mx2:200:bbbb", &why), 0);
	assert_int_equal(store_sts_claim(b, &want, 1029, &held, &why), 0);
	/* a renews its own */
	snprintf(want.owner, sizeof(want.owner), "mx1:100:aaaa");
	want.expires = 1040;
	assert_int_equal(store_sts_claim(a, &want, 1010, &held, &why), 1);
	assert_int_equal(store_sts_release(a, "shared.example", "mx1:100:aaaa", &why), 1);
	snprintf(want.owner, sizeof(want.owner), "mx2:200:bbbb");
	want.expires = 1041;
	assert_int_equal(store_sts_claim(b, &want, 1011, &held, &why), 1);

	/* b dies holding it: a cannot take it before its expiry, then can */
	snprintf(want.owner, sizeof(want.owner), "mx1:100:aaaa");
	want.expires = 1070;
	assert_int_equal(store_sts_claim(a, &want, 1040, &held, &why), 0);
	assert_string_equal(held.owner, "mx2:200:bbbb");
	assert_int_equal(store_sts_claim(a, &want, 1041, &held, &why), 1);
	/* expired leases are purged, live ones kept */
	{
		unsigned long n = 9;

		assert_int_equal(store_sts_lease_purge(b, 1069, &n, &why), 0);
		assert_int_equal(n, 0);
		assert_int_equal(store_sts_lease_purge(b, 1070, &n, &why), 0);
		assert_int_equal(n, 1);
	}
	/* limits: checked before SQL */
	snprintf(want.owner, sizeof(want.owner), "bad\towner");
	assert_int_equal(store_sts_claim(a, &want, 1, &held, &why), STORE_ERR_CONFIG);
	store_close(a);
	store_close(b);
}

/* A database without the lease table: claims fail with the db init
 * hint (the daemon then fetches itself), puts work. */
static void test_lease_missing(void **state)
{
	struct store *st = open_init();
	struct store_sts_lease want;
	struct errbuf why;

	(void)state;
	memset(&want, 0, sizeof(want));
	want.domain = "a.example";
	snprintf(want.owner, sizeof(want.owner), "mx1");
	want.expires = 10;
	assert_int_equal(store_sts_claim(st, &want, 1, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "tlspolicy_sts_lease does not exist"));
	assert_non_null(strstr(why.msg, "db init"));
	put_ok(st, "a.example", "i", "version: STSv1\n", 1, 2);
	store_close(st);
}

/* purge deletes what expired at `now` (expires <= now), nothing else. */
static void test_purge(void **state)
{
	struct store *st = open_init();
	struct store_sts_row row;
	struct collect col;
	struct errbuf why;
	unsigned long n = 99;

	(void)state;
	put_ok(st, "a.example", "a", "version: STSv1\n", 50, 100);
	put_ok(st, "b.example", "b", "version: STSv1\n", 50, 200);
	put_ok(st, "c.example", "c", "version: STSv1\n", 50, 4102444800LL);
	assert_int_equal(store_sts_purge(st, 99, &n, &why), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_sts_purge(st, 200, &n, &why), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_sts_get(st, "b.example", &row, &why), 0);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 1);
	assert_string_equal(col.line[0], "c.example c 50 4102444800 15");
	assert_int_equal(store_sts_purge(st, 200, NULL, &why), 0);
	store_close(st);
}

/* Rows written by hand (no tlspolicy checks) that break a limit are
 * errors that name the row; nothing is cut. */
static void test_bad_rows(void **state)
{
	struct store *st;
	struct store_sts_row row;
	struct collect col;
	struct errbuf why;
	char *sql, *over = make_policy(STORE_STS_POLICY_MAX + 10);

	(void)state;
	if (is_mysql) {
		st = open_init(); /* MEDIUMTEXT holds more than the limit */
	} else {
		/* a table made by hand without the CHECK constraints */
		raw_sql("CREATE TABLE tlspolicy_sts (domain TEXT NOT NULL COLLATE NOCASE "
			"PRIMARY KEY, policy_id TEXT NOT NULL, policy TEXT NOT NULL, "
			"fetched INTEGER NOT NULL, expires INTEGER NOT NULL)");
		st = open_init();
	}
	put_ok(st, "good.example", "g", "version: STSv1\n", 1, 2);
	assert_true(asprintf(&sql, "INSERT INTO tlspolicy_sts VALUES "
				  "('long.example', 'x', '%s', 1, 2)", over) > 0);
	raw_sql(sql);
	free(sql);
	assert_int_equal(store_sts_get(st, "long.example", &row, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "sts get: table tlspolicy_sts, row \"long.example\": "
			    "policy longer than 65536 bytes");
	assert_null(row.policy);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(st, collect_fn, &col, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "row \"long.example\": policy longer than 65536 bytes"));
	assert_int_equal(col.n, 1); /* good.example came first */
	assert_int_equal(store_sts_delete(st, "long.example", &why), 1);

	raw_sql("INSERT INTO tlspolicy_sts VALUES ('id.example', 'a-b', 'p', 1, 2)");
	assert_int_equal(store_sts_get(st, "id.example", &row, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "sts get: table tlspolicy_sts, row \"id.example\": "
			    "policy id may contain only letters and digits");
	raw_sql("DELETE FROM tlspolicy_sts WHERE domain = 'id.example'");
	raw_sql("INSERT INTO tlspolicy_sts VALUES ('t.example', 'a', 'p', 5, 4)");
	assert_int_equal(store_sts_get(st, "t.example", &row, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "sts get: table tlspolicy_sts, row \"t.example\": "
			    "expiry 4 before the fetch time 5");
	raw_sql("DELETE FROM tlspolicy_sts WHERE domain = 't.example'");
	raw_sql(is_mysql ? "INSERT INTO tlspolicy_sts VALUES ('nul.example', 'a', 'p\\0q', 1, 2)"
			 : "INSERT INTO tlspolicy_sts VALUES ('nul.example', 'a', "
			   "CAST(x'70007100' AS TEXT), 1, 2)");
	assert_int_equal(store_sts_get(st, "nul.example", &row, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "NUL byte in a value"));
	raw_sql("DELETE FROM tlspolicy_sts WHERE domain = 'nul.example'");
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_sts_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 1);
	free(over);
	store_close(st);
}

/* An existing tlspolicy_sts without our columns: init fails and says
 * so; the table is left as it is. */
static void test_wrong_shape(void **state)
{
	struct store *st;
	struct errbuf why;
	int created = -1, sts_created = -1;

	(void)state;
	raw_sql(is_mysql ? "CREATE TABLE tlspolicy_sts (domain varchar(255) PRIMARY KEY, "
			   "policy text) ENGINE=InnoDB"
			 : "CREATE TABLE tlspolicy_sts (domain TEXT PRIMARY KEY, policy TEXT)");
	st = open_st();
	assert_int_equal(store_init_ex(st, &created, &sts_created, &why), STORE_ERR_CONFIG);
	assert_int_equal(sts_created, 0);
	assert_non_null(strstr(why.msg, "init: existing table tlspolicy_sts: "));
	assert_non_null(strstr(why.msg, "policy_id"));
	assert_int_equal(table_exists("tlspolicy_sts"), 1);
	assert_int_equal(table_exists("tlspolicies"), 1); /* made before */
	store_close(st);
}

/* ---- tlspolicy_provenance ------------------------------------------- */

static void prov_get(const char *domain, const char *col, char *out, size_t len)
{
	char q[400];

	snprintf(q, sizeof(q), "SELECT %s FROM tlspolicy_provenance WHERE domain = '%s'",
		 col, domain);
	raw_query(q, out, len);
}

/* The column of domain's provenance row equals want ("" for no row). */
static void prov_is(const char *domain, const char *col, const char *want)
{
	char out[2048];

	prov_get(domain, col, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("provenance %s.%s: \"%s\", want \"%s\"", domain, col, out, want);
}

struct prov_seen {
	int n;
	char first[64], evidence[64];
};

static int prov_fn(const struct store_prov_row *r, void *arg)
{
	struct prov_seen *s = arg;

	if (s->n++ == 0) {
		snprintf(s->first, sizeof(s->first), "%s %s %s", r->domain, r->command, r->policy);
		snprintf(s->evidence, sizeof(s->evidence), "%s", r->evidence);
	}
	return 0;
}

static void test_provenance(void **state)
{
	struct store_provenance p1 = { "logscan --apply", "maillog: 3 deliveries\tVerified",
				       1700000000, "root@mx1" };
	struct store_provenance p2 = { "check --save", NULL, 0, NULL };
	struct store_put_item items[] = {
		{ "b.example", "verify", NULL, &p1 },
		{ "a.example", "secure", "match=.a.example", &p1 },
		{ "c.example", "encrypt", NULL, NULL },
	};
	struct store_counts c;
	struct prov_seen seen;
	struct store *st;
	struct errbuf why;
	char out[2048], big[3000];

	(void)state;
	st = open_init();
	assert_int_equal(store_put_many(st, items, 3, &c, &why), 0);
	assert_int_equal(c.added, 3);
	assert_int_equal(c.provenance, 2);
	assert_int_equal(c.provenance_missing, 0);
	prov_is("a.example", "command", "logscan --apply");
	prov_is("a.example", "policy", "secure match=.a.example");
	prov_is("a.example", "written", "1700000000");
	prov_is("a.example", "written_by", "root@mx1");
	prov_is("b.example", "evidence", "maillog: 3 deliveries?Verified");   /* control char */
	prov_is("c.example", "command", "");                                  /* none given */
	/* list, ordered by domain */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_prov_list(st, prov_fn, &seen, &why), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.first, "a.example logscan --apply secure match=.a.example");
	/* unchanged: the old provenance stays; changed: the new one */
	items[1].prov = &p2;
	items[0].prov = &p2;
	items[0].policy = "secure";
	assert_int_equal(store_put_many(st, items, 2, &c, &why), 0);
	assert_int_equal(c.changed, 1);
	assert_int_equal(c.unchanged, 1);
	assert_int_equal(c.provenance, 1);
	prov_is("a.example", "command", "logscan --apply");
	prov_is("b.example", "command", "check --save");
	prov_get("b.example", "written_by", out, sizeof(out));
	assert_non_null(strchr(out, '@'));                            /* this process */
	prov_get("b.example", "written", out, sizeof(out));
	assert_true(atoll(out) > 1700000000);
	/* a dry run writes no provenance */
	items[2].prov = &p1;
	items[2].policy = "verify";
	assert_int_equal(store_put_many_ex(st, &items[2], 1, STORE_DRY_RUN, &c, &why), 0);
	assert_int_equal(c.changed, 1);
	prov_is("c.example", "command", "");
	/* over-long evidence is cut with "..." */
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p2.evidence = big;
	assert_int_equal(store_put_prov(st, "d.example", "may", NULL, &p2, NULL, &why), 0);
	prov_get("d.example", "evidence", out, sizeof(out));
	assert_int_equal(strlen(out), STORE_PROV_EVIDENCE_MAX);
	assert_string_equal(out + STORE_PROV_EVIDENCE_MAX - 3, "...");
	/* no command: refused before any SQL */
	p2.command = "";
	assert_int_equal(store_put_prov(st, "e.example", "may", NULL, &p2, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "provenance without a command"));
	/* delete takes the provenance with the row */
	assert_int_equal(store_delete(st, "a.example", &why), 1);
	prov_is("a.example", "command", "");
	store_close(st);
}

/* A database made before tlspolicy_provenance existed. */
static void test_provenance_missing(void **state)
{
	struct store_provenance p = { "policy set", "by hand", 0, NULL };
	struct store_put_item it = { "a.example", "may", NULL, &p };
	struct store_counts c;
	struct prov_seen seen;
	struct store *st;
	struct errbuf why;
	int created = -1;

	(void)state;
	raw_sql(is_mysql ? OLD_MYSQL : OLD_SQLITE);
	st = open_st();
	assert_int_equal(store_put_many(st, &it, 1, &c, &why), 0);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.provenance, 0);
	assert_int_equal(c.provenance_missing, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_prov_list(st, prov_fn, &seen, &why), STORE_PROV_NO_TABLE);
	assert_int_equal(store_delete(st, "a.example", &why), 1);
	assert_int_equal(store_prov_init(st, &created, &why), 0);
	assert_int_equal(created, 1);
	assert_int_equal(table_exists("tlspolicy_provenance"), 1);
	assert_int_equal(store_put_many(st, &it, 1, &c, &why), 0);
	assert_int_equal(c.provenance, 1);
	assert_int_equal(store_prov_init(st, &created, &why), 0);
	assert_int_equal(created, 0);
	store_close(st);
}

/* MariaDB: a connection the server killed is replaced before the next
 * STS call. */
/* Kill every other connection to the test database (the store's). */
static void kill_store_conns(void)
{
	MYSQL *c = admin_connect(NULL, 0);
	MYSQL_RES *res;
	MYSQL_ROW r;
	char q[64];
	int killed = 0;

	assert_int_equal(mysql_query(c, "SELECT ID FROM information_schema.PROCESSLIST "
				     "WHERE DB = '" TDB "' AND ID <> CONNECTION_ID()"), 0);
	res = mysql_store_result(c);
	while ((r = mysql_fetch_row(res))) {
		snprintf(q, sizeof(q), "KILL CONNECTION %s", r[0]);
		killed += mysql_query(c, q) == 0;
	}
	mysql_free_result(res);
	mysql_close(c);
	assert_true(killed >= 1);
}

/*
 * The connection lost inside a batch: the server rolled the batch's
 * writes back, so the store must not reconnect and go on in autocommit
 * as if they were kept.  Every write after the loss, and the commit,
 * fail; a write made again on its own afterwards (as batch_run does
 * after a rollback) reconnects and is kept.
 */
static void test_lost_in_batch(void **state)
{
	struct store *st;
	struct store_sts_row b = { "b.example", "b", "version: STSv1\n", 1, 2 };
	struct store_sts_row row;
	struct errbuf why;

	(void)state;
	st = open_init();
	assert_int_equal(store_sts_batch_begin(st, &why), 0);
	put_ok(st, "a.example", "a", "version: STSv1\n", 1, 2);
	kill_store_conns();
	assert_true(store_sts_put(st, &b, &why) < 0);
	assert_true(store_sts_batch_commit(st, &why) < 0);
	store_sts_batch_rollback(st);
	/* nothing of the batch was kept, and nothing claims it was */
	assert_int_equal(store_sts_get(st, "a.example", &row, &why), 0);
	assert_int_equal(store_sts_get(st, "b.example", &row, &why), 0);
	/* on its own again: a new connection, autocommit */
	put_ok(st, "a.example", "a", "version: STSv1\n", 1, 2);
	if (store_sts_get(st, "a.example", &row, &why) != 1)
		fail_msg("after the batch: %s", why.msg);
	store_sts_row_free(&row);
	store_close(st);
}

static void test_reconnect(void **state)
{
	struct store *st;
	struct store_sts_row row;
	struct errbuf why;

	(void)state;
	st = open_init();
	put_ok(st, "a.example", "a", "version: STSv1\n", 1, 2);
	kill_store_conns();
	if (store_sts_get(st, "a.example", &row, &why) != 1)
		fail_msg("after KILL: %s", why.msg);
	store_sts_row_free(&row);
	store_close(st);
}

/* ---- tlspolicy_report: the snapshot of `tlspolicy report` ---- */

struct snap_seen {
	size_t n;
	char line[8][700];
};

static int snap_cb(const struct store_report_row *r, void *arg)
{
	struct snap_seen *s = arg;

	if (s->n < 8)
		snprintf(s->line[s->n], sizeof(s->line[0]), "%s|%s|%s|%lu|%lu|%lld", r->domain,
			 r->policy, r->published, r->sent, r->verified, r->taken);
	s->n++;
	return 0;
}

static void test_report_snapshot(void **state)
{
	struct store *st = open_init();
	struct snap_seen seen;
	struct errbuf why;
	char longp[700], want[800];
	const struct store_report_row rows[3] = {
		{ "b.example", "verify", "none", 10, 9, 1733400000 },
		{ "<a&\">.example", "secure match=.x\x01y", "MTA-STS (enforce)", 5, 0, 1733400000 },
		{ "c.example", longp, "DANE", 4000000000UL, 3, 1733400000 },
	};

	(void)state;
	assert_int_equal(table_exists("tlspolicy_report"), 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_report_list(st, snap_cb, &seen, &why), 0);
	assert_int_equal(seen.n, 0);
	/* a policy past the limit, cut before a 2-byte character */
	memset(longp, 'x', sizeof(longp));
	memcpy(longp + STORE_REPORT_POLICY_MAX - 1, "\xc3\xa9", 2);
	longp[sizeof(longp) - 1] = '\0';
	if (store_report_replace(st, rows, 3, &why) != 0)
		fail_msg("replace: %s", why.msg);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_report_list(st, snap_cb, &seen, &why), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.line[0], "<a&\">.example|secure match=.x?y|MTA-STS (enforce)|5|0|1733400000");
	assert_string_equal(seen.line[1], "b.example|verify|none|10|9|1733400000");
	snprintf(want, sizeof(want), "c.example|%.*s|DANE|4000000000|3|1733400000",
		 STORE_REPORT_POLICY_MAX - 1, longp);
	assert_string_equal(seen.line[2], want);
	/* replaced as a whole */
	if (store_report_replace(st, rows + 1, 1, &why) != 0)
		fail_msg("replace: %s", why.msg);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_report_list(st, snap_cb, &seen, &why), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(store_report_replace(st, NULL, 0, &why), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_report_list(st, snap_cb, &seen, &why), 0);
	assert_int_equal(seen.n, 0);
	store_close(st);
}

static void test_report_missing(void **state)
{
	struct store *st = open_init();
	struct snap_seen seen;
	struct errbuf why;
	const struct store_report_row row = { "a.example", "may", "none", 1, 0, 1 };
	int created = 0;

	(void)state;
	raw_sql("DROP TABLE tlspolicy_report");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_report_list(st, snap_cb, &seen, &why), STORE_REPORT_NO_TABLE);
	assert_int_equal(store_report_replace(st, &row, 1, &why), STORE_REPORT_NO_TABLE);
	assert_int_equal(table_exists("tlspolicy_report"), 0);
	/* the policy table works as before; db init adds the table */
	assert_int_equal(store_put(st, "a.example", "may", NULL, NULL, &why), 0);
	assert_int_equal(store_report_init(st, &created, &why), 0);
	assert_int_equal(created, 1);
	assert_int_equal(store_report_replace(st, &row, 1, &why), 0);
	store_close(st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_old_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_wins_and_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provenance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provenance_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_missing, setup, teardown),
	};
	const struct CMUnitTest mysql_only[] = {
		cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_in_batch, setup, teardown),
	};
	struct errbuf why;
	int rc;

	if (argc != 2 || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "mysql"))) {
		fprintf(stderr, "usage: test_store_sts sqlite|mysql\n");
		return 2;
	}
	is_mysql = strcmp(argv[1], "mysql") == 0;
	if (!is_mysql)
		return cmocka_run_group_tests_name("store_sts sqlite", tests, NULL, NULL);

	const char *env = getenv("TLSPOLICY_TEST_MYSQL_URL");
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
	if (base.port == 0)
		base.port = 3306;
	snprintf(url, sizeof(url), "mysql://%s:%s@%s:%u/%s", base.user, base.password,
		 base.host, base.port, TDB);
	store_global_init(NULL);
	rc = cmocka_run_group_tests_name("store_sts mysql", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("store_sts mysql only", mysql_only, NULL, NULL);
	if (rc == 0)
		mysql_raw(base.dbname, "DROP DATABASE " TDB);
	store_url_free(&base);
	store_global_end();
	return rc;
}
