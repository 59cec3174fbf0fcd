/* SPDX-License-Identifier: MIT */
/*
 * store_sts_sqlite.c - table tlspolicy_sts (store_sts.h) in the SQLite
 * backend, on the connection of store_sqlite.c.
 *
 * The table is the MariaDB one translated: domain the PRIMARY KEY with
 * COLLATE NOCASE (MariaDB's latin1 collation compares case-
 * insensitively too), the limits as CHECK constraints (the policy's in
 * bytes: length(CAST(policy AS BLOB))).  A put is one upsert statement
 * (INSERT ... ON CONFLICT DO UPDATE, SQLite >= 3.24), its own
 * transaction unless in a batch (store_sts_sqlite_txn); a list reads in
 * one transaction (one snapshot).
 *
 * SECURITY: statements are constant text; values are bound.
 */
#include "store/store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicy_sts (\n"                         \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE PRIMARY KEY\n"          \
	"    CHECK (length(domain) BETWEEN 1 AND " XSTR(STORE_DOMAIN_MAX) "),\n" \
	"  policy_id VARCHAR(32) NOT NULL\n"                                   \
	"    CHECK (length(policy_id) BETWEEN 1 AND " XSTR(STORE_STS_ID_MAX) "),\n" \
	"  policy MEDIUMTEXT NOT NULL\n"                                       \
	"    CHECK (length(CAST(policy AS BLOB)) BETWEEN 1 AND "               \
	XSTR(STORE_STS_POLICY_MAX) "),\n"                                      \
	"  fetched BIGINT NOT NULL CHECK (fetched >= 0),\n"                    \
	"  expires BIGINT NOT NULL CHECK (expires >= fetched)\n"               \
	")"
#define SQL_COLS "domain, policy_id, policy, fetched, expires"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_sts LIMIT 0"
#define SQL_GET "SELECT " SQL_COLS " FROM tlspolicy_sts WHERE domain = ?1"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_sts ORDER BY domain"
#define SQL_PUT                                                                \
	"INSERT INTO tlspolicy_sts (" SQL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)\n" \
	"  ON CONFLICT (domain) DO UPDATE SET domain = excluded.domain,\n"     \
	"  policy_id = excluded.policy_id, policy = excluded.policy,\n"        \
	"  fetched = excluded.fetched, expires = excluded.expires\n"           \
	"  WHERE excluded.fetched > tlspolicy_sts.fetched"
#define SQL_DELETE "DELETE FROM tlspolicy_sts WHERE domain = ?1"
#define SQL_PURGE "DELETE FROM tlspolicy_sts WHERE expires <= ?1"

#define SQL_LEASE_CREATE                                                       \
	"CREATE TABLE IF NOT EXISTS tlspolicy_sts_lease (\n"                   \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE PRIMARY KEY\n"          \
	"    CHECK (length(domain) BETWEEN 1 AND " XSTR(STORE_DOMAIN_MAX) "),\n" \
	"  owner VARCHAR(255) NOT NULL\n"                                      \
	"    CHECK (length(owner) BETWEEN 1 AND " XSTR(STORE_STS_OWNER_MAX) "),\n" \
	"  expires BIGINT NOT NULL\n"                                          \
	")"
#define SQL_LEASE_SHAPE "SELECT domain, owner, expires FROM tlspolicy_sts_lease LIMIT 0"
/* taken when new, expired, or ours: changes() == 1 */
#define SQL_LEASE_CLAIM                                                        \
	"INSERT INTO tlspolicy_sts_lease (domain, owner, expires)\n"           \
	"  VALUES (?1, ?2, ?3) ON CONFLICT (domain) DO UPDATE\n"               \
	"  SET owner = excluded.owner, expires = excluded.expires\n"           \
	"  WHERE tlspolicy_sts_lease.expires <= ?4\n"                          \
	"     OR tlspolicy_sts_lease.owner = excluded.owner"
#define SQL_LEASE_GET "SELECT owner, expires FROM tlspolicy_sts_lease WHERE domain = ?1"
#define SQL_LEASE_RELEASE "DELETE FROM tlspolicy_sts_lease WHERE domain = ?1 AND owner = ?2"
#define SQL_LEASE_PURGE "DELETE FROM tlspolicy_sts_lease WHERE expires <= ?1"

static int sts_err(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_STS_TABLE, what, why);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
		   const char *what, struct errbuf *why)
{
	return store_sqlite_cached(st, STORE_STS_TABLE, sql, stmt, what, why);
}

static void rollback(struct store *st)
{
	sqlite3_exec(store_sqlite_db(st), "ROLLBACK", NULL, NULL, NULL);
}

int store_sts_sqlite_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_STS_TABLE, SQL_CREATE, SQL_SHAPE,
				       created, why);
}

/* A view of the current row of stmt (strings owned by stmt), checked. */
static int row_view(sqlite3_stmt *stmt, struct store_sts_row *v,
		    const char *what, struct errbuf *why)
{
	const char *t[3];
	int nul = 0;

	for (int i = 0; i < 3; i++) {
		t[i] = (const char *)sqlite3_column_text(stmt, i);
		if (t[i] == NULL)
			t[i] = "";
		/* an embedded NUL would shorten the value silently */
		else if ((size_t)sqlite3_column_bytes(stmt, i) != strlen(t[i]))
			nul = 1;
	}
	v->domain = (char *)t[0];
	v->policy_id = (char *)t[1];
	v->policy = (char *)t[2];
	v->fetched = (long long)sqlite3_column_int64(stmt, 3);
	v->expires = (long long)sqlite3_column_int64(stmt, 4);
	if (store_sts_row_check(v, why) < 0)
		return errbuf_prefix(why, "%s", what);
	if (nul)
		return errbuf_set(why, "%s: table " STORE_STS_TABLE ", row \"%s\": "
				  "NUL byte in a value", what, v->domain);
	return 0;
}

int store_sts_sqlite_get(struct store *st, const char *domain,
			 struct store_sts_row *row, struct errbuf *why)
{
	struct store_sts_row v;
	sqlite3_stmt *stmt;
	int rc, ret;

	if (prepare(st, SQL_GET, &stmt, "sts get", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		ret = row_view(stmt, &v, "sts get", why) < 0 ||
		      store_sts_row_copy(&v, row, why) < 0 ? -1 : 1;
		if (ret < 0) /* a row the table should not hold: the admin's */
			st->err = STORE_ERR_CONFIG;
	}
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = sts_err(st, "sts get", why);
	store_sqlite_done(st, stmt);
	return ret;
}

int store_sts_sqlite_put(struct store *st, const struct store_sts_row *row,
			 struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_PUT, &stmt, "sts put", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, row->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, row->policy_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, row->policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)row->fetched);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)row->expires);
	/* one statement: its own transaction in autocommit mode, or part of
	 * a batch's (store_sts_batch_begin); atomic either way */
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return sts_err(st, "sts put", why);
	/* the upsert's WHERE: no change when the row was fetched later */
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? 0 : STORE_STS_KEPT;
}

int store_sts_sqlite_del(struct store *st, const char *domain,
			 struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_DELETE, &stmt, "sts delete", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return sts_err(st, "sts delete", why);
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? 1 : 0;
}

int store_sts_sqlite_list(struct store *st, store_sts_fn fn, void *arg,
			  struct errbuf *why)
{
	struct store_sts_row v;
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	/* one read transaction: a consistent snapshot of the whole table */
	if (store_sqlite_exec(st, STORE_STS_TABLE, "BEGIN", "sts list", why) < 0)
		return -1;
	if (prepare(st, SQL_LIST, &stmt, "sts list", why) < 0) {
		rollback(st);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (row_view(stmt, &v, "sts list", why) < 0) {
			st->err = STORE_ERR_CONFIG;
			ret = -1;
			break;
		}
		if ((ret = fn(&v, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sts_err(st, "sts list", why);
	store_sqlite_done(st, stmt);
	sqlite3_exec(store_sqlite_db(st), "COMMIT", NULL, NULL, NULL);
	return ret;
}

int store_sts_sqlite_purge(struct store *st, long long now,
			   unsigned long *deleted, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SQL_PURGE, &stmt, "sts purge", why) < 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return sts_err(st, "sts purge", why);
	*deleted = (unsigned long)sqlite3_changes(store_sqlite_db(st));
	return 0;
}

/* ---- the fetch lease (store_sts.h) ---------------------------------------- */

static int lease_err(struct store *st, const char *what, struct errbuf *why)
{
	return store_sqlite_fail(st, STORE_STS_LEASE_TABLE, what, why);
}

int store_sts_sqlite_lease_init(struct store *st, int *created, struct errbuf *why)
{
	return store_sqlite_init_table(st, STORE_STS_LEASE_TABLE, SQL_LEASE_CREATE,
				       SQL_LEASE_SHAPE, created, why);
}

/* The lease row of domain into *held: 1, 0 when none, -1. */
static int lease_get(struct store *st, const char *domain,
		     struct store_sts_lease *held, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc, ret;

	if (store_sqlite_cached(st, STORE_STS_LEASE_TABLE, SQL_LEASE_GET, &stmt,
				 "sts lease", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(stmt, 0);

		snprintf(held->owner, sizeof(held->owner), "%s", o ? o : "");
		held->expires = (long long)sqlite3_column_int64(stmt, 1);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = lease_err(st, "sts lease", why);
	}
	store_sqlite_done(st, stmt);
	return ret;
}

int store_sts_sqlite_claim(struct store *st, const struct store_sts_lease *want,
			   long long now, struct store_sts_lease *held,
			   struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_cached(st, STORE_STS_LEASE_TABLE, SQL_LEASE_CLAIM, &stmt,
				 "sts lease", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, want->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, want->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)want->expires);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)now);
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return lease_err(st, "sts lease", why);
	if (sqlite3_changes(store_sqlite_db(st)) > 0)
		return 1;
	/* held by another owner: who, until when (gone meanwhile: 0 too) */
	return lease_get(st, want->domain, held, why) < 0 ? -1 : 0;
}

int store_sts_sqlite_release(struct store *st, const char *domain, const char *owner,
			     struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_cached(st, STORE_STS_LEASE_TABLE, SQL_LEASE_RELEASE, &stmt,
				 "sts lease release", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, owner, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return lease_err(st, "sts lease release", why);
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? 1 : 0;
}

int store_sts_sqlite_lease_purge(struct store *st, long long now,
				 unsigned long *deleted, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_prepare(st, STORE_STS_LEASE_TABLE, SQL_LEASE_PURGE, &stmt,
				 "sts lease purge", why) < 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	rc = sqlite3_step(stmt);
	store_sqlite_done(st, stmt);
	if (rc != SQLITE_DONE)
		return lease_err(st, "sts lease purge", why);
	*deleted = (unsigned long)sqlite3_changes(store_sqlite_db(st));
	return 0;
}

/*
 * A batch of writes in one transaction (store_sts_batch_begin).  The
 * first batch on a connection also sets synchronous=NORMAL for it: in
 * WAL mode a commit then appends to the WAL without an fsync (the WAL
 * is synced at checkpoints), so a power loss may lose the last batches,
 * never corrupt the file; the cache fetches those policies again.  Only
 * the writer's own connection (sts_store.c) makes batches; the admin's
 * table writes keep the default.
 */
int store_sts_sqlite_txn(struct store *st, int op, struct errbuf *why)
{
	static const char *const sql[] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };
	static const char *const what[] = { "sts batch", "sts batch commit",
					     "sts batch rollback" };

	if (op == STORE_STS_TXN_ROLLBACK) {
		sqlite3_exec(store_sqlite_db(st), "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if (op == STORE_STS_TXN_BEGIN)
		sqlite3_exec(store_sqlite_db(st), "PRAGMA synchronous=NORMAL", NULL,
			     NULL, NULL);
	return store_sqlite_exec(st, STORE_STS_TABLE, sql[op], what[op], why);
}
