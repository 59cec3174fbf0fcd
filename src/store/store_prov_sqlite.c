/* SPDX-License-Identifier: MIT */
/*
 * store_prov_sqlite.c - table tlspolicy_provenance (store_prov.h) in the
 * SQLite backend, on the connection of store_sqlite.c.  The writes run
 * inside the transaction of the policy table's write (put_many, delete).
 *
 * SECURITY: statements are constant text; values are bound.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <string.h>

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_provenance (\n"                  \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE PRIMARY KEY\n"          \
	"    CHECK (length(domain) BETWEEN 1 AND " XSTR(STORE_DOMAIN_MAX) "),\n" \
	"  command VARCHAR(64) NOT NULL\n"                                     \
	"    CHECK (length(command) BETWEEN 1 AND " XSTR(STORE_PROV_COMMAND_MAX) "),\n" \
	"  written BIGINT NOT NULL CHECK (written >= 0),\n"                    \
	"  written_by VARCHAR(255) NOT NULL\n"                                 \
	"    CHECK (length(written_by) <= " XSTR(STORE_PROV_BY_MAX) "),\n"     \
	"  policy VARCHAR(512) NOT NULL\n"                                     \
	"    CHECK (length(policy) <= " XSTR(STORE_PROV_POLICY_MAX) "),\n"     \
	"  evidence VARCHAR(1024) NOT NULL\n"                                  \
	"    CHECK (length(evidence) <= " XSTR(STORE_PROV_EVIDENCE_MAX) ")\n"  \
	")"
#define SQL_COLS "domain, command, written, written_by, policy, evidence"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_provenance LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_provenance ORDER BY domain"
#define SQL_PUT                                                                \
	"INSERT INTO tlspolicy_provenance (" SQL_COLS ")\n"                    \
	"  VALUES (?1, ?2, ?3, ?4, ?5, ?6)\n"                                  \
	"  ON CONFLICT (domain) DO UPDATE SET domain = excluded.domain,\n"     \
	"  command = excluded.command, written = excluded.written,\n"          \
	"  written_by = excluded.written_by, policy = excluded.policy,\n"      \
	"  evidence = excluded.evidence"
#define SQL_DELETE "DELETE FROM tlspolicy_provenance WHERE domain = ?1"

static int prov_err(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_PROV_TABLE, what, why);
}

int store_prov_sqlite_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_PROV_TABLE, SQL_CREATE, SQL_SHAPE,
				       created, why);
}

static int exists(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_table_exists(st, STORE_PROV_TABLE, what, why);
}

int store_prov_sqlite_prepare(struct store *st, sqlite3_stmt **put, struct errbuf *why)
{
	int rc;

	*put = NULL;
	if ((rc = exists(st, "write provenance", why)) <= 0)
		return rc;
	if (store_sqlite_prepare(st, STORE_PROV_TABLE, SQL_PUT, put, "write provenance",
				 why) < 0)
		return -1;
	return 1;
}

int store_prov_sqlite_put(struct store *st, sqlite3_stmt *put, const char *domain,
			  const char *policy, const char *params,
			  const struct store_provenance *p, struct errbuf *why)
{
	char text[STORE_PROV_POLICY_MAX + 1];

	store_prov_policy_text(text, sizeof(text), policy, params);
	sqlite3_reset(put);
	sqlite3_bind_text(put, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(put, 2, p->command, -1, SQLITE_STATIC);
	sqlite3_bind_int64(put, 3, p->written);
	sqlite3_bind_text(put, 4, p->written_by ? p->written_by : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(put, 5, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(put, 6, p->evidence ? p->evidence : "", -1, SQLITE_STATIC);
	if (sqlite3_step(put) != SQLITE_DONE)
		return prov_err(st, "write provenance", why);
	return 0;
}

int store_prov_sqlite_del(struct store *st, const char *domain, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((rc = exists(st, "delete provenance", why)) <= 0)
		return rc;
	if (store_sqlite_prepare(st, STORE_PROV_TABLE, SQL_DELETE, &stmt,
				 "delete provenance", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : prov_err(st, "delete provenance", why);
}

static const char *col(sqlite3_stmt *stmt, int i)
{
	const char *t = (const char *)sqlite3_column_text(stmt, i);

	return t ? t : "";
}

int store_prov_sqlite_list(struct store *st, store_prov_fn fn, void *arg,
			   struct errbuf *why)
{
	sqlite3 *db = store_sqlite_db(st);
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	if (store_sqlite_exec(st, STORE_PROV_TABLE, "BEGIN", "provenance", why) < 0)
		return -1;
	if ((rc = exists(st, "provenance", why)) <= 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc < 0 ? -1 : STORE_PROV_NO_TABLE;
	}
	if (store_sqlite_prepare(st, STORE_PROV_TABLE, SQL_LIST, &stmt, "provenance",
				 why) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_prov_row r;

		r.domain = col(stmt, 0);
		r.command = col(stmt, 1);
		r.written = sqlite3_column_int64(stmt, 2);
		r.written_by = col(stmt, 3);
		r.policy = col(stmt, 4);
		r.evidence = col(stmt, 5);
		if ((ret = fn(&r, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = prov_err(st, "provenance", why);
	sqlite3_finalize(stmt);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return ret;
}
