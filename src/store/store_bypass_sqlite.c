/* SPDX-License-Identifier: MIT */
/*
 * store_bypass_sqlite.c - table tlspolicy_bypass (store_bypass.h) in the
 * SQLite backend.  SECURITY: constant statements, bound values.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <string.h>

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_bypass (\n"                      \
	"  domain VARCHAR(255) NOT NULL PRIMARY KEY COLLATE NOCASE,\n"         \
	"  level VARCHAR(16) NOT NULL,\n"                                      \
	"  reason VARCHAR(255) NOT NULL,\n"                                    \
	"  created BIGINT NOT NULL,\n"                                         \
	"  expires BIGINT NOT NULL\n"                                          \
	")"
#define SQL_COLS "domain, level, reason, created, expires"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_bypass LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_bypass ORDER BY domain"
#define SQL_PUT                                                                \
	"INSERT INTO tlspolicy_bypass (" SQL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)\n" \
	"  ON CONFLICT (domain) DO UPDATE SET level = excluded.level,\n"       \
	"  reason = excluded.reason, created = excluded.created,\n"            \
	"  expires = excluded.expires"
#define SQL_DELETE "DELETE FROM tlspolicy_bypass WHERE domain = ?1"

static int fail(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_BYPASS_TABLE, what, why);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
		   const char *what, struct errbuf *why)
{
	return store_sqlite_prepare(st, STORE_BYPASS_TABLE, sql, stmt, what, why);
}

int store_bypass_sqlite_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_BYPASS_TABLE, SQL_CREATE, SQL_SHAPE,
				       created, why);
}

int store_bypass_sqlite_put(struct store *st, const struct store_bypass_row *row,
			    struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_PUT, &stmt, "bypass", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, row->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, row->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, row->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)row->created);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)row->expires);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : fail(st, "bypass", why);
}

int store_bypass_sqlite_del(struct store *st, const char *domain, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_DELETE, &stmt, "bypass delete", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return fail(st, "bypass delete", why);
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? 1 : 0;
}

int store_bypass_sqlite_list(struct store *st, store_bypass_fn fn, void *arg,
			     struct errbuf *why)
{
	struct store_bypass_row v;
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	if (prepare(st, SQL_LIST, &stmt, "bypass list", why) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *t[3];

		for (int i = 0; i < 3; i++)
			if ((t[i] = (const char *)sqlite3_column_text(stmt, i)) == NULL)
				t[i] = "";
		v.domain = t[0];
		v.level = t[1];
		v.reason = t[2];
		v.created = (long long)sqlite3_column_int64(stmt, 3);
		v.expires = (long long)sqlite3_column_int64(stmt, 4);
		if (store_bypass_row_check(&v, why) < 0) {
			ret = errbuf_prefix(why, "bypass list: table " STORE_BYPASS_TABLE);
			break;
		}
		if ((ret = fn(&v, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(st, "bypass list", why);
	sqlite3_finalize(stmt);
	return ret;
}
