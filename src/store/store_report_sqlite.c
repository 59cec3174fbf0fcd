/* SPDX-License-Identifier: MIT */
/*
 * store_report_sqlite.c - table tlspolicy_report (store_report.h) in the
 * SQLite backend, on the connection of store_sqlite.c.
 *
 * SECURITY: statements are constant text; values are bound.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <string.h>

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_report (\n"                      \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE PRIMARY KEY\n"          \
	"    CHECK (length(domain) BETWEEN 1 AND " XSTR(STORE_DOMAIN_MAX) "),\n" \
	"  taken BIGINT NOT NULL CHECK (taken >= 0),\n"                        \
	"  policy VARCHAR(512) NOT NULL\n"                                     \
	"    CHECK (length(policy) <= " XSTR(STORE_REPORT_POLICY_MAX) "),\n"   \
	"  published VARCHAR(64) NOT NULL\n"                                   \
	"    CHECK (length(published) <= " XSTR(STORE_REPORT_PUBLISHED_MAX) "),\n" \
	"  sent BIGINT NOT NULL CHECK (sent >= 0),\n"                          \
	"  verified BIGINT NOT NULL CHECK (verified >= 0)\n"                   \
	")"
#define SQL_COLS "domain, taken, policy, published, sent, verified"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_report LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_report ORDER BY domain"
#define SQL_CLEAR "DELETE FROM tlspolicy_report"
#define SQL_PUT "INSERT OR REPLACE INTO tlspolicy_report (" SQL_COLS ")\n" \
	"  VALUES (?1, ?2, ?3, ?4, ?5, ?6)"

static int rep_err(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_REPORT_TABLE, what, why);
}

int store_report_sqlite_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_REPORT_TABLE, SQL_CREATE, SQL_SHAPE,
				       created, why);
}

static int exists(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_table_exists(st, STORE_REPORT_TABLE, what, why);
}

static const char *col(sqlite3_stmt *stmt, int i)
{
	const char *t = (const char *)sqlite3_column_text(stmt, i);

	return t ? t : "";
}

int store_report_sqlite_list(struct store *st, store_report_fn fn, void *arg,
			     struct errbuf *why)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	if (store_sqlite_exec(st, STORE_REPORT_TABLE, "BEGIN", "report snapshot", why) < 0)
		return -1;
	if ((rc = exists(st, "report snapshot", why)) <= 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc < 0 ? -1 : STORE_REPORT_NO_TABLE;
	}
	if (store_sqlite_prepare(st, STORE_REPORT_TABLE, SQL_LIST, &stmt, "report snapshot",
				 why) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_report_row r;
		sqlite3_int64 sent = sqlite3_column_int64(stmt, 4);
		sqlite3_int64 ver = sqlite3_column_int64(stmt, 5);

		r.domain = col(stmt, 0);
		r.taken = sqlite3_column_int64(stmt, 1);
		r.policy = col(stmt, 2);
		r.published = col(stmt, 3);
		r.sent = sent > 0 ? (unsigned long)sent : 0;
		r.verified = ver > 0 ? (unsigned long)ver : 0;
		if ((ret = fn(&r, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = rep_err(st, "report snapshot", why);
	sqlite3_finalize(stmt);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

int store_report_sqlite_replace(struct store *st, const struct store_report_row *rows,
				size_t n, struct errbuf *why)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *put = NULL;
	char policy[STORE_REPORT_POLICY_MAX + 1], pub[STORE_REPORT_PUBLISHED_MAX + 1];
	int rc;

	if (store_sqlite_exec(st, STORE_REPORT_TABLE, "BEGIN IMMEDIATE", "keep report snapshot",
			      why) < 0)
		return -1;
	if ((rc = exists(st, "keep report snapshot", why)) <= 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc < 0 ? -1 : STORE_REPORT_NO_TABLE;
	}
	if (store_sqlite_exec(st, STORE_REPORT_TABLE, SQL_CLEAR, "keep report snapshot",
			      why) < 0 ||
	    store_sqlite_prepare(st, STORE_REPORT_TABLE, SQL_PUT, &put, "keep report snapshot",
				 why) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		store_report_text(policy, sizeof(policy), rows[i].policy);
		store_report_text(pub, sizeof(pub), rows[i].published);
		sqlite3_reset(put);
		sqlite3_bind_text(put, 1, rows[i].domain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 2, rows[i].taken);
		sqlite3_bind_text(put, 3, policy, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(put, 4, pub, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(put, 5, (sqlite3_int64)rows[i].sent);
		sqlite3_bind_int64(put, 6, (sqlite3_int64)rows[i].verified);
		if (sqlite3_step(put) != SQLITE_DONE) {
			rep_err(st, "keep report snapshot", why);
			goto fail;
		}
	}
	sqlite3_finalize(put);
	return store_sqlite_exec(st, STORE_REPORT_TABLE, "COMMIT", "keep report snapshot", why);
fail:
	sqlite3_finalize(put);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
