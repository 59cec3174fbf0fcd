/* SPDX-License-Identifier: MIT */
/*
 * test_store_sqlite - the SQLite backend on temporary files: table
 * creation, the parent directory, WAL, put/get/delete/list, change
 * counting, all-or-nothing put_many (a failure in the middle of the
 * transaction rolls back what came before), dry runs, rows written by
 * other tools that no longer validate, an existing hand-made table, and
 * the errors for a missing table and a file that is no database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "store/store.h"
#include "store/store_change.h"
#include "store/store_sts.h"

struct fixture {
	char dir[64];
	char path[128];
	char url[160];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/tp-store-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sub/dir/p.db", f->dir);
	snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct store *open_init(struct fixture *f)
{
	struct store *st = NULL;
	struct errbuf why;
	int created = -1;

	if (store_open_ex(f->url, STORE_OPEN_CREATE, &st, &why) != 0)
		fail_msg("open: %s", why.msg);
	if (store_init(st, &created, &why) != 0)
		fail_msg("init: %s", why.msg);
	assert_int_equal(created, 1);
	return st;
}

/* Runs SQL directly on the file, like another tool would. */
static void raw_sql(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static void test_open_init(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct errbuf why;
	struct stat sb;
	char sub[160];
	int created = -1;

	st = open_init(f);
	assert_string_equal(store_backend(st), "sqlite");
	assert_string_equal(store_describe(st), f->url);
	/* parent directories created with 0750 */
	snprintf(sub, sizeof(sub), "%s/sub/dir", f->dir);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	/* second init: existing table kept */
	assert_int_equal(store_init(st, &created, &why), 0);
	assert_int_equal(created, 0);
	store_close(st);

	/* WAL is persistent in the file */
	{
		sqlite3 *db;
		sqlite3_stmt *stmt;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
}

static void test_put_get_delete(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct store_row row;
	struct errbuf why;
	char change = 0;

	assert_int_equal(store_get(st, "example.com", &row, &why), 0);
	assert_int_equal(store_put(st, "example.com", "secure", "match=nexthop", &change, &why), 0);
	assert_int_equal(change, 'a');
	assert_int_equal(store_put(st, "example.com", "secure", "match=nexthop", &change, &why), 0);
	assert_int_equal(change, 'u');
	assert_int_equal(store_put(st, "example.com", "secure", "match=hostname", &change, &why), 0);
	assert_int_equal(change, 'c');
	assert_int_equal(store_put(st, "example.com", "secure", "match=hostname", &change, &why), 0);
	assert_int_equal(change, 'u');
	assert_int_equal(store_get(st, "example.com", &row, &why), 1);
	assert_int_equal(row.id, 1);
	assert_string_equal(row.domain, "example.com");
	assert_string_equal(row.policy, "secure");
	assert_string_equal(row.params, "match=hostname");
	store_row_free(&row);
	/* lookups are case-insensitive like MariaDB's latin1 collation */
	assert_int_equal(store_get(st, "EXAMPLE.com", &row, &why), 1);
	store_row_free(&row);

	/* no params: stored as NULL; "" and NULL are the same value */
	assert_int_equal(store_put(st, "_default", "dane", "", &change, &why), 0);
	assert_int_equal(change, 'a');
	assert_int_equal(store_put(st, "_default", "dane", NULL, &change, &why), 0);
	assert_int_equal(change, 'u');
	assert_int_equal(store_get(st, "_default", &row, &why), 1);
	assert_null(row.params);
	store_row_free(&row);
	assert_int_equal(store_put(st, "_default", "dane-only", NULL, &change, &why), 0);
	assert_int_equal(change, 'c');

	assert_int_equal(store_delete(st, "example.com", &why), 1);
	assert_int_equal(store_delete(st, "example.com", &why), 0);
	assert_int_equal(store_get(st, "example.com", &row, &why), 0);
	store_close(st);
}

static void test_put_checks(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct errbuf why;
	char longd[300], longp[300];

	assert_int_equal(store_put(st, "", "may", NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "empty domain");
	assert_int_equal(store_put(st, "x.example", "maybe", NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "x.example: "));
	memset(longd, 'a', 256);
	longd[256] = '\0';
	assert_int_equal(store_put(st, longd, "may", NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "domain longer than 255 bytes");
	memset(longp, 'p', 256);
	longp[256] = '\0';
	assert_int_equal(store_put(st, "x.example", "may", longp, NULL, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "x.example: params longer than the table's 255 bytes (256)");
	/* nothing was written */
	{
		struct store_row row;
		assert_int_equal(store_get(st, "x.example", &row, &why), 0);
	}
	store_close(st);
}

struct collect {
	char names[16][64];
	int n, stop_after, defects;
};

static int collect_fn(const struct store_row *row, void *arg)
{
	struct collect *c = arg;

	snprintf(c->names[c->n], sizeof(c->names[0]), "%s=%s%s%s", row->domain,
		 row->policy, row->params ? " " : "", row->params ? row->params : "");
	c->n++;
	c->defects += row->defect != NULL;
	return c->stop_after && c->n >= c->stop_after ? 42 : 0;
}

static void test_put_many_list(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct store_put_item items[] = {
		{ "b.example", "encrypt", NULL, NULL },
		{ "a.example", "verify", "match=hostname", NULL },
		{ "[mx.c.example]:25", "may", NULL, NULL },
	};
	struct store_counts c;
	struct collect col;
	struct errbuf why;

	assert_int_equal(store_put_many(st, items, 3, &c, &why), 0);
	assert_int_equal(c.added, 3);
	assert_int_equal(c.changed + c.unchanged, 0);
	items[0].policy = "dane";
	assert_int_equal(store_put_many(st, items, 3, &c, &why), 0);
	assert_int_equal(c.added, 0);
	assert_int_equal(c.changed, 1);
	assert_int_equal(c.unchanged, 2);

	memset(&col, 0, sizeof(col));
	assert_int_equal(store_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 3);
	assert_string_equal(col.names[0], "[mx.c.example]:25=may");
	assert_string_equal(col.names[1], "a.example=verify match=hostname");
	assert_string_equal(col.names[2], "b.example=dane");
	/* the callback's non-zero value stops the walk and is returned */
	memset(&col, 0, sizeof(col));
	col.stop_after = 2;
	assert_int_equal(store_list(st, collect_fn, &col, &why), 42);
	assert_int_equal(col.n, 2);

	/* dry run: counted, nothing written */
	{
		struct store_put_item more[] = {
			{ "d.example", "secure", "match=nexthop", NULL },
			{ "a.example", "verify", "match=hostname", NULL },
			{ "b.example", "encrypt", NULL, NULL },
		};
		struct store_row row;

		assert_int_equal(store_put_many_ex(st, more, 3, STORE_DRY_RUN, &c, &why), 0);
		assert_int_equal(c.added, 1);
		assert_int_equal(c.changed, 1);
		assert_int_equal(c.unchanged, 1);
		assert_int_equal(store_get(st, "d.example", &row, &why), 0);
		assert_int_equal(store_get(st, "b.example", &row, &why), 1);
		assert_string_equal(row.policy, "dane");
		store_row_free(&row);
	}
	store_close(st);
}

/* A failure inside the transaction (here a trigger of "another tool")
 * after some rows were written rolls all of them back. */
static void test_put_many_rollback(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct store_put_item items[] = {
		{ "a.example", "may", NULL, NULL },
		{ "keep.example", "secure", "match=nexthop", NULL },
		{ "fail.example", "encrypt", NULL, NULL },
		{ "c.example", "may", NULL, NULL },
	};
	struct store_counts c;
	struct collect col;
	struct store_row row;
	struct errbuf why;

	assert_int_equal(store_put(st, "keep.example", "dane", NULL, NULL, &why), 0);
	raw_sql(f, "CREATE TRIGGER boom BEFORE INSERT ON tlspolicies "
		   "WHEN NEW.domain = 'fail.example' "
		   "BEGIN SELECT RAISE(ABORT, 'rejected by trigger'); END");
	assert_int_equal(store_put_many(st, items, 4, &c, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "rejected by trigger"));
	assert_int_equal(c.added + c.changed + c.unchanged, 0);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 1);
	assert_string_equal(col.names[0], "keep.example=dane");
	/* the handle is usable after the rollback */
	assert_int_equal(store_put(st, "a.example", "may", NULL, NULL, &why), 0);
	assert_int_equal(store_get(st, "a.example", &row, &why), 1);
	store_row_free(&row);
	store_close(st);
}

static void test_row_policy(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct policy_opts opts = { .postfix_compat = 307 };
	struct store_row row;
	struct policy *p;
	struct errbuf why;
	char *text;

	store_close(st);
	/* rows written by another tool */
	raw_sql(f, "INSERT INTO tlspolicies (domain, policy, params) VALUES "
		   "('good.example', 'secure', 'match=nexthop:dot-nexthop'),"
		   "('bad.example', 'encrypt', 'match=nexthop'),"
		   "('bad key', 'may', NULL),"
		   "('Dot.Example.', 'may', NULL),"
		   "('rpt.example', 'dane', 'policy_type=no-policy-found')");
	assert_int_equal(store_open(f->url, &st, &why), 0);

	assert_int_equal(store_get(st, "good.example", &row, &why), 1);
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), 0);
	text = policy_format(p);
	assert_string_equal(text, "secure match=nexthop:dot-nexthop");
	free(text);
	policy_free(p);
	store_row_free(&row);

	assert_int_equal(store_get(st, "bad.example", &row, &why), 1);
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), -1);
	assert_null(p);
	assert_string_equal(why.msg, "row id 2 (bad.example): match is not allowed at level encrypt");
	store_row_free(&row);

	assert_int_equal(store_get(st, "bad key", &row, &why), 1);
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), -1);
	assert_non_null(strstr(why.msg, "row id 3 (bad key): invalid key: "));
	store_row_free(&row);

	assert_int_equal(store_get(st, "dot.example.", &row, &why), 1);
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), -1);
	assert_string_equal(why.msg, "row id 4 (Dot.Example.): key is not in normal form "
			    "(Postfix looks up \"dot.example\")");
	store_row_free(&row);

	/* TLSRPT attributes need postfix_compatibility >= 3.10 */
	assert_int_equal(store_get(st, "rpt.example", &row, &why), 1);
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), -1);
	assert_non_null(strstr(why.msg, "row id 5 (rpt.example): "));
	opts.postfix_compat = 310;
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), 0);
	policy_free(p);
	store_row_free(&row);
	store_close(st);
}

/* A table made by hand in the shape of the MariaDB one (no CHECKs):
 * used as it is; init leaves it alone. */
static void test_existing_table(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_row row;
	struct errbuf why;
	int created = -1;
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/sub/dir'", f->dir);
	assert_int_equal(system(cmd), 0);
	raw_sql(f, "CREATE TABLE tlspolicies (id INTEGER PRIMARY KEY, "
		   "domain varchar(255) NOT NULL UNIQUE, policy varchar(20) NOT NULL, "
		   "params varchar(255) DEFAULT NULL, extra TEXT);"
		   "INSERT INTO tlspolicies (domain, policy) VALUES ('old.example', 'may')");
	assert_int_equal(store_open_ex(f->url, STORE_OPEN_CREATE, &st, &why), 0);
	assert_int_equal(store_init(st, &created, &why), 0);
	assert_int_equal(created, 0);
	assert_int_equal(store_put(st, "new.example", "encrypt", NULL, NULL, &why), 0);
	assert_int_equal(store_get(st, "old.example", &row, &why), 1);
	store_row_free(&row);
	store_close(st);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct store_row row;
	struct collect col;
	struct errbuf why;
	char junk[160];
	FILE *fp;

	/* no table yet (an empty file db init would have filled) */
	assert_int_equal(store_open_ex(f->url, STORE_OPEN_CREATE, &st, &why), 0);
	assert_int_equal(store_get(st, "a.example", &row, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "table tlspolicies does not exist in sqlite:"));
	assert_non_null(strstr(why.msg, "(run 'tlspolicy db init')"));
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_list(st, collect_fn, &col, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "list: table tlspolicies does not exist"));
	assert_int_equal(store_put(st, "a.example", "may", NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_non_null(strstr(why.msg, "does not exist"));
	store_close(st);

	/* a file that is no database */
	snprintf(junk, sizeof(junk), "%s/junk.db", f->dir);
	fp = fopen(junk, "w");
	fputs("this is not an SQLite database, just some text long enough........"
	      "................................................................", fp);
	fclose(fp);
	snprintf(junk, sizeof(junk), "sqlite:%s/junk.db", f->dir);
	st = (struct store *)1;
	assert_int_equal(store_open(junk, &st, &why), STORE_ERR_CONFIG);
	assert_null(st);
	assert_non_null(strstr(why.msg, "file is not a database"));

	/* a directory that cannot be created */
	st = (struct store *)1;
	assert_int_equal(store_open_ex("sqlite:/proc/nonexistent/dir/x.db", STORE_OPEN_CREATE,
				       &st, &why), STORE_ERR_CONFIG);
	assert_null(st);
	assert_non_null(strstr(why.msg, "cannot create directory /proc/nonexistent"));
}

/* Read-only openers create nothing; a missing file is one clear error. */
static void test_open_existing(void **state)
{
	struct fixture *f = *state;
	struct store *st = (struct store *)1;
	struct errbuf why;
	struct stat sb;
	char want[300], sub[160];

	snprintf(want, sizeof(want), "database %s does not exist (run tlspolicy db init)",
		 f->path);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	/* store_open() and both flags but STORE_OPEN_CREATE (issue 17 item 3) */
	for (int k = 0; k < 3; k++) {
		errbuf_clear(&why);
		st = (struct store *)1;
		assert_int_equal(k == 0 ? store_open(f->url, &st, &why)
				 : store_open_ex(f->url, k == 1 ? 0 : STORE_OPEN_EXISTING,
						 &st, &why), STORE_ERR_CONFIG);
		assert_null(st);
		assert_string_equal(why.msg, want);
		assert_int_equal(stat(sub, &sb), -1);            /* no directory made */
		assert_int_equal(stat(f->path, &sb), -1);        /* no file */
	}
	/* once it exists, the same call opens it */
	st = open_init(f);
	store_close(st);
	assert_int_equal(store_open_ex(f->url, STORE_OPEN_EXISTING, &st, &why), 0);
	store_close(st);
}

/* A NUL byte in a stored value would cut it silently: the row is
 * reported by id instead, by get and by list. */
static void test_nul_row(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f);
	struct policy_opts opts = { .postfix_compat = 307 };
	struct store_row row;
	struct collect col;
	struct policy *p;
	struct errbuf why;

	/* a NULL level is refused before any SQL, with a reason */
	errbuf_clear(&why);
	assert_int_equal(store_put(st, "n.example", NULL, NULL, NULL, &why), STORE_ERR_CONFIG);
	assert_string_equal(why.msg, "n.example: empty TLS security level");
	store_close(st);
	raw_sql(f, "INSERT INTO tlspolicies (domain, policy, params) VALUES "
		   "('nul.example', 'secure', CAST(X'6D617463683D6E657874686F70003A78' AS TEXT)),"
		   "(CAST(X'612E6578616D706C65006A756E6B' AS TEXT), 'may', NULL)");
	assert_int_equal(store_open(f->url, &st, &why), 0);
	assert_int_equal(store_get(st, "nul.example", &row, &why), 1);
	assert_string_equal(row.params, "match=nexthop");   /* cut ... */
	assert_non_null(row.defect);                        /* ... and flagged */
	assert_int_equal(store_row_policy(&row, &opts, &p, &why), -1);
	assert_null(p);
	assert_non_null(strstr(why.msg, "(nul.example): NUL byte in a value"));
	store_row_free(&row);
	memset(&col, 0, sizeof(col));
	assert_int_equal(store_list(st, collect_fn, &col, &why), 0);
	assert_int_equal(col.n, 2);
	assert_int_equal(col.defects, 2);
	store_close(st);
}

static void mark(struct store *st, struct store_mark *m)
{
	struct errbuf why;

	if (store_change_mark(st, m, &why) != 0)
		fail_msg("mark: %s", why.msg);
}

/* issue 14: the change marker.  PRAGMA data_version changes only for
 * commits by other connections; the counter (triggers) for every write
 * to tlspolicies and tlspolicy_bypass, through any connection, and for
 * nothing else (a write to tlspolicy_sts); without the counter row the
 * marker is data_version itself. */
static void test_change_mark(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_init(f), *other;
	struct store_mark m0, m1, m2;
	struct errbuf why;
	struct store_sts_row sts = { "sts.example", "id1", "version: STSv1", 1, 2 };
	sqlite3_stmt *stmt;
	sqlite3 *r;
	long long dv0, dv1;

	assert_int_equal(store_open(f->url, &other, &why), 0);
	mark(st, &m0);
	assert_int_equal(m0.kind, STORE_MARK_COUNTER);
	mark(st, &m1);
	assert_true(store_mark_same(&m0, &m1));      /* nothing happened */

	/* data_version itself (connection r): not r's own commit, another's */
	assert_int_equal(sqlite3_open(f->path, &r), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(r, "PRAGMA data_version", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	dv0 = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	assert_int_equal(sqlite3_exec(r, "INSERT INTO tlspolicies (domain, policy) "
				      "VALUES ('r.example', 'may')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	dv1 = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	assert_true(dv0 == dv1);                       /* own commit: unchanged */
	assert_int_equal(store_put(other, "other.example", "may", NULL, NULL, &why), 0);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_true(sqlite3_column_int64(stmt, 0) != dv1); /* another's commit */
	sqlite3_finalize(stmt);
	sqlite3_close(r);
	/* the marker: another's writes, and writes through its own handle
	 * (which data_version does not show) */
	mark(st, &m1);
	assert_false(store_mark_same(&m0, &m1));
	assert_int_equal(store_put(st, "own.example", "may", NULL, NULL, &why), 0);
	mark(st, &m2);
	assert_false(store_mark_same(&m1, &m2));

	/* another table (the daemon's MTA-STS cache): counter unchanged */
	assert_int_equal(store_sts_put(other, &sts, &why), 0);
	mark(st, &m1);
	assert_true(store_mark_same(&m1, &m2));
	/* plain SQL from another tool, and a bypass row */
	raw_sql(f, "UPDATE tlspolicies SET policy = 'encrypt' WHERE domain = 'other.example'");
	mark(st, &m1);
	assert_false(store_mark_same(&m1, &m2));
	raw_sql(f, "INSERT INTO tlspolicy_bypass VALUES ('b.example', 'may', '', 1, 2)");
	mark(st, &m2);
	assert_false(store_mark_same(&m1, &m2));
	raw_sql(f, "DELETE FROM tlspolicies WHERE domain = 'own.example'");
	mark(st, &m1);
	assert_false(store_mark_same(&m1, &m2));

	/* no counter row (a database before db init made it): data_version */
	raw_sql(f, "DELETE FROM tlspolicy_meta");
	mark(st, &m1);
	assert_int_equal(m1.kind, STORE_MARK_DATA_VERSION);
	mark(st, &m2);
	assert_true(store_mark_same(&m1, &m2));
	sts.domain = "sts2.example";
	assert_int_equal(store_sts_put(other, &sts, &why), 0); /* any commit counts */
	mark(st, &m2);
	assert_false(store_mark_same(&m1, &m2));
	/* db init brings the row back */
	assert_int_equal(store_init(other, NULL, &why), 0);
	mark(st, &m1);
	assert_int_equal(m1.kind, STORE_MARK_COUNTER);
	store_close(other);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_many_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_many_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_row, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
