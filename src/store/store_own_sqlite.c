/* SPDX-License-Identifier: MIT */
/*
 * store_own_sqlite.c - table tlspolicy_own (store_own.h) in the SQLite
 * backend, on the connection of store_sqlite.c.  The MariaDB table
 * translated: (subject, fact) the PRIMARY KEY, subject COLLATE NOCASE,
 * the limits as CHECK constraints.  A put is one upsert statement.
 *
 * SECURITY: statements are constant text; values are bound.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <string.h>

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_own (\n"                         \
	"  subject VARCHAR(255) NOT NULL COLLATE NOCASE\n"                     \
	"    CHECK (length(subject) BETWEEN 1 AND " XSTR(STORE_OWN_KEY_MAX) "),\n" \
	"  fact VARCHAR(255) NOT NULL\n"                                       \
	"    CHECK (length(fact) BETWEEN 1 AND " XSTR(STORE_OWN_KEY_MAX) "),\n" \
	"  value MEDIUMTEXT NOT NULL\n"                                        \
	"    CHECK (length(CAST(value AS BLOB)) <= " XSTR(STORE_OWN_VALUE_MAX) "),\n" \
	"  first_seen BIGINT NOT NULL CHECK (first_seen >= 0),\n"              \
	"  last_seen BIGINT NOT NULL CHECK (last_seen >= first_seen),\n"       \
	"  PRIMARY KEY (subject, fact)\n"                                      \
	")"
#define SQL_COLS "subject, fact, value, first_seen, last_seen"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_own LIMIT 0"
#define SQL_GET "SELECT " SQL_COLS " FROM tlspolicy_own WHERE subject = ?1 AND fact = ?2"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_own WHERE subject = ?1 ORDER BY fact"
#define SQL_PUT                                                                \
	"INSERT INTO tlspolicy_own (" SQL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)\n" \
	"  ON CONFLICT (subject, fact) DO UPDATE SET value = excluded.value,\n" \
	"  first_seen = excluded.first_seen, last_seen = excluded.last_seen"
#define SQL_DELETE "DELETE FROM tlspolicy_own WHERE subject = ?1 AND fact = ?2"

static int own_err(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_OWN_TABLE, what, why);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
		   const char *what, struct errbuf *why)
{
	return store_sqlite_prepare(st, STORE_OWN_TABLE, sql, stmt, what, why);
}

int store_own_sqlite_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_OWN_TABLE, SQL_CREATE, SQL_SHAPE,
				       created, why);
}

static int row_view(sqlite3_stmt *stmt, struct store_own_row *v,
		    const char *what, struct errbuf *why)
{
	const char *t[3];

	for (int i = 0; i < 3; i++) {
		t[i] = (const char *)sqlite3_column_text(stmt, i);
		if (t[i] == NULL)
			t[i] = "";
		else if ((size_t)sqlite3_column_bytes(stmt, i) != strlen(t[i]))
			return errbuf_set(why, "%s: table " STORE_OWN_TABLE
					  ": NUL byte in a value", what);
	}
	v->subject = (char *)t[0];
	v->fact = (char *)t[1];
	v->value = (char *)t[2];
	v->first_seen = (long long)sqlite3_column_int64(stmt, 3);
	v->last_seen = (long long)sqlite3_column_int64(stmt, 4);
	if (store_own_row_check(v, why) < 0)
		return errbuf_prefix(why, "%s: table " STORE_OWN_TABLE, what);
	return 0;
}

int store_own_sqlite_get(struct store *st, const char *subject, const char *fact,
			 struct store_own_row *row, struct errbuf *why)
{
	struct store_own_row v;
	sqlite3_stmt *stmt;
	int rc, ret;

	if (prepare(st, SQL_GET, &stmt, "own get", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fact, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = row_view(stmt, &v, "own get", why) < 0 ||
		      store_own_row_copy(&v, row, why) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = own_err(st, "own get", why);
	sqlite3_finalize(stmt);
	return ret;
}

int store_own_sqlite_put(struct store *st, const struct store_own_row *row,
			 struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_PUT, &stmt, "own put", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, row->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, row->fact, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, row->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)row->first_seen);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)row->last_seen);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return own_err(st, "own put", why);
	return 0;
}

int store_own_sqlite_del(struct store *st, const char *subject, const char *fact,
			 struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_DELETE, &stmt, "own delete", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, fact, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return own_err(st, "own delete", why);
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? 1 : 0;
}

int store_own_sqlite_list(struct store *st, const char *subject,
			  store_own_fn fn, void *arg, struct errbuf *why)
{
	struct store_own_row v;
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	if (prepare(st, SQL_LIST, &stmt, "own list", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, subject, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (row_view(stmt, &v, "own list", why) < 0) {
			ret = -1;
			break;
		}
		if ((ret = fn(&v, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = own_err(st, "own list", why);
	sqlite3_finalize(stmt);
	return ret;
}
