/* SPDX-License-Identifier: MIT */
/*
 * store_change_sqlite.c - the change marker (store_change.h) in the
 * SQLite backend: table tlspolicy_meta, its triggers, PRAGMA
 * data_version.  SECURITY: constant statements only.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_meta (\n"                        \
	"  name VARCHAR(64) NOT NULL PRIMARY KEY,\n"                           \
	"  value BIGINT NOT NULL\n"                                            \
	")"
#define TRIGGER(t, suffix, event)                                              \
	"CREATE TRIGGER IF NOT EXISTS tlspolicy_meta_" t "_" suffix " AFTER "   \
	event " ON " t " FOR EACH ROW BEGIN " STORE_META_SQL_BUMP "; END"
#define SQL_ROW "INSERT OR IGNORE INTO tlspolicy_meta (name, value) VALUES ('changes', 1)"

static const char *const triggers[] = { STORE_META_TRIGGERS(TRIGGER) };

int store_change_sqlite_init(struct store *st, int *created, int *marker,
			     struct errbuf *warn, struct errbuf *why)
{
	(void)warn; /* SQLite: no privilege to lack */
	*marker = 0;
	if (store_sqlite_init_table(st, STORE_META_TABLE, SQL_CREATE, STORE_META_SQL_SHAPE,
				    created, why) < 0)
		return -1;
	/* triggers and the row in one transaction: the row means "the
	 * triggers are there" */
	if (store_sqlite_exec(st, STORE_META_TABLE, "BEGIN IMMEDIATE", "init tlspolicy_meta",
			      why) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++)
		if (store_sqlite_exec(st, STORE_META_TABLE, triggers[i],
				      "init: create the triggers of tlspolicy_meta", why) < 0)
			goto fail;
	if (store_sqlite_exec(st, STORE_META_TABLE, SQL_ROW, "init tlspolicy_meta", why) < 0 ||
	    store_sqlite_exec(st, STORE_META_TABLE, "COMMIT", "init tlspolicy_meta", why) < 0)
		goto fail;
	*marker = 1;
	st->mark_cached = 0;
	return 0;
fail:
	sqlite3_exec(store_sqlite_db(st), "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* One integer column of the first row of sql: 1 with *v, 0 no row, -1. */
static int get_int(struct store *st, const char *sql, long long *v, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_prepare(st, STORE_META_TABLE, sql, &stmt, "change check", why) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*v = (long long)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_sqlite_fail(st, STORE_META_TABLE, "change check", why);
}

int store_change_sqlite_mark(struct store *st, struct store_mark *mark,
			     struct errbuf *why)
{
	sqlite3 *db = store_sqlite_db(st);
	long long dv = 0, tc, value = 0;
	int rc;

	/* PRAGMA data_version: a commit by another connection since the
	 * last call on this one; sqlite3_total_changes64: rows this handle
	 * wrote (the triggers' too), which data_version does not count */
	if (get_int(st, "PRAGMA data_version", &dv, why) != 1)
		return -1;
	tc = (long long)sqlite3_total_changes64(db);
	if (st->mark_cached && dv == st->mark_dv && tc == st->mark_tc) {
		*mark = st->mark;
		return 0;
	}
	if ((rc = store_sqlite_table_exists(st, STORE_META_TABLE, "change check", why)) < 0)
		return -1;
	if (rc == 1 && (rc = get_int(st, STORE_META_SQL_GET, &value, why)) < 0)
		return -1;
	if (rc == 1) {
		mark->kind = STORE_MARK_COUNTER;
		mark->a = (unsigned long long)value;
		mark->b = 0;
	} else {
		/* no marker row (db init not run since): every commit */
		mark->kind = STORE_MARK_DATA_VERSION;
		mark->a = (unsigned long long)dv;
		mark->b = (unsigned long long)tc;
	}
	st->mark = *mark;
	st->mark_dv = dv;
	st->mark_tc = tc;
	st->mark_cached = 1;
	return 0;
}
