/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - the SQLite backend of the policy table (the embedded
 * default).
 *
 * The table is the MariaDB one translated: INTEGER PRIMARY KEY
 * AUTOINCREMENT id, domain UNIQUE and COLLATE NOCASE (MariaDB's latin1
 * collation compares case-insensitively too), policy restricted to the
 * 8 levels by a CHECK constraint, lengths limited to 255 by CHECKs.
 * WAL journal (readers never block the writer), busy timeout
 * STORE_SQLITE_BUSY_MS; writes run in BEGIN IMMEDIATE transactions.
 * Only db init (STORE_OPEN_CREATE) creates the file, and a missing
 * parent directory with mode 0750.
 *
 * SECURITY: statements are constant text; values are bound.
 */
#include "store/store_int.h"
#include "util/log.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Prepared statements kept for the per-lookup queries (the MTA-STS cache
 * and its lease: several per cold domain): preparing one costs ~100 heap
 * allocations and the SQL parse.  Keyed by the SQL text's address (the
 * callers' string constants). */
#define SQ_STMT_CACHE 8

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
		int busy;
	} stmts[SQ_STMT_CACHE];
};

#define SQL_CREATE                                                             \
	"CREATE TABLE IF NOT EXISTS tlspolicies (\n"                           \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                            \
	"  domain VARCHAR(255) NOT NULL COLLATE NOCASE UNIQUE\n"               \
	"    CHECK (length(domain) BETWEEN 1 AND 255),\n"                      \
	"  policy VARCHAR(11) NOT NULL CHECK (policy IN ('none','may',"        \
	"'encrypt','dane','dane-only','fingerprint','verify','secure')),\n"    \
	"  params VARCHAR(255) DEFAULT NULL\n"                                 \
	"    CHECK (params IS NULL OR length(params) <= 255)\n"                \
	")"
#define SQL_EXISTS \
	"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1"
#define SQL_SHAPE "SELECT id, domain, policy, params FROM tlspolicies LIMIT 0"
#define SQL_GET \
	"SELECT id, domain, policy, params FROM tlspolicies WHERE domain = ?1"
#define SQL_LIST \
	"SELECT id, domain, policy, params FROM tlspolicies ORDER BY domain"
#define SQL_FIND \
	"SELECT id, policy, params FROM tlspolicies WHERE domain = ?1"
#define SQL_INSERT \
	"INSERT INTO tlspolicies (domain, policy, params) VALUES (?1, ?2, ?3)"
#define SQL_UPDATE \
	"UPDATE tlspolicies SET policy = ?2, params = ?3 WHERE id = ?1"
#define SQL_DELETE "DELETE FROM tlspolicies WHERE domain = ?1"

int store_sqlite_err_class(int rc)
{
	switch (rc & 0xff) { /* the primary result code */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_INTERRUPT:
	case SQLITE_PROTOCOL:
		return STORE_ERR_RETRY;
	default:
		/* SQLITE_ERROR (no such table, SQL of another table shape),
		 * SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_CORRUPT,
		 * SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH, SQLITE_CONSTRAINT,
		 * SQLITE_TOOBIG, SQLITE_MISMATCH: the admin must act */
		return STORE_ERR_CONFIG;
	}
}

int store_sqlite_fail(struct store *st, const char *table, const char *what,
		      struct errbuf *why)
{
	const char *msg = sqlite3_errmsg(store_sqlite_db(st));

	st->err = store_sqlite_err_class(sqlite3_extended_errcode(store_sqlite_db(st)));

	if (strstr(msg, "no such table"))
		return errbuf_set(why, "%s: table %s does not exist in %s "
				  "(run 'tlspolicy db init')", what, table,
				  store_describe(st));
	return errbuf_set(why, "%s: sqlite: %s", what, msg);
}

int store_sqlite_prepare(struct store *st, const char *table, const char *sql,
			 sqlite3_stmt **stmt, const char *what, struct errbuf *why)
{
	if (sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return store_sqlite_fail(st, table, what, why);
	}
	return 0;
}

int store_sqlite_cached(struct store *st, const char *table, const char *sql,
			sqlite3_stmt **stmt, const char *what, struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	size_t i, slot = SQ_STMT_CACHE;

	for (i = 0; i < SQ_STMT_CACHE; i++) {
		if (s->stmts[i].sql == sql && s->stmts[i].stmt) {
			if (s->stmts[i].busy)
				break; /* in use (a nested call): a fresh one */
			s->stmts[i].busy = 1;
			*stmt = s->stmts[i].stmt;
			return 0;
		}
		if (s->stmts[i].stmt == NULL && slot == SQ_STMT_CACHE)
			slot = i;
	}
	if (store_sqlite_prepare(st, table, sql, stmt, what, why) < 0)
		return -1;
	if (i == SQ_STMT_CACHE && slot < SQ_STMT_CACHE) {
		s->stmts[slot].sql = sql;
		s->stmts[slot].stmt = *stmt;
		s->stmts[slot].busy = 1;
	}
	return 0;
}

void store_sqlite_done(struct store *st, sqlite3_stmt *stmt)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	size_t i;

	for (i = 0; i < SQ_STMT_CACHE; i++)
		if (s->stmts[i].stmt == stmt && s->stmts[i].busy) {
			/* ends its read or write; the next use binds anew */
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			s->stmts[i].busy = 0;
			return;
		}
	sqlite3_finalize(stmt);
}

static void sq_stmts_free(struct sqlite_store *s)
{
	size_t i;

	for (i = 0; i < SQ_STMT_CACHE; i++) {
		sqlite3_finalize(s->stmts[i].stmt);
		s->stmts[i].stmt = NULL;
		s->stmts[i].sql = NULL;
	}
}

int store_sqlite_exec(struct store *st, const char *table, const char *sql,
		      const char *what, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_prepare(st, table, sql, &stmt, what, why) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(st, table, what, why);
	return 0;
}

int store_sqlite_init_table(struct store *st, const char *table,
			    const char *sql_create, const char *sql_shape,
			    int *created, struct errbuf *why)
{
	char what[3][64];
	sqlite3_stmt *stmt;
	int rc, exists;

	snprintf(what[0], sizeof(what[0]), "init %s", table);
	snprintf(what[1], sizeof(what[1]), "init: create %s", table);
	snprintf(what[2], sizeof(what[2]), "init: existing table %s", table);
	*created = 0;
	if (store_sqlite_exec(st, table, "BEGIN IMMEDIATE", what[0], why) < 0)
		return -1;
	if (store_sqlite_prepare(st, table, SQL_EXISTS, &stmt, what[0], why) < 0)
		goto fail;
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	exists = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_sqlite_fail(st, table, what[0], why);
		goto fail;
	}
	if (!exists && store_sqlite_exec(st, table, sql_create, what[1], why) < 0)
		goto fail;
	/* the table (an existing one too) must have the columns we use */
	if (store_sqlite_prepare(st, table, sql_shape, &stmt, what[2], why) < 0)
		goto fail;
	sqlite3_finalize(stmt);
	if (store_sqlite_exec(st, table, "COMMIT", what[0], why) < 0)
		goto fail;
	*created = !exists;
	return 0;
fail:
	sqlite3_exec(store_sqlite_db(st), "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The policy table's shorthands. */
static int sq_err(struct sqlite_store *s, struct errbuf *why, const char *what)
{
	return store_sqlite_fail(&s->base, STORE_TABLE, what, why);
}

static int sq_prepare(struct sqlite_store *s, const char *sql,
		      sqlite3_stmt **stmt, const char *what, struct errbuf *why)
{
	return store_sqlite_prepare(&s->base, STORE_TABLE, sql, stmt, what, why);
}

static int sq_exec(struct sqlite_store *s, const char *sql, const char *what,
		   struct errbuf *why)
{
	return store_sqlite_exec(&s->base, STORE_TABLE, sql, what, why);
}

static int bind_text(sqlite3_stmt *stmt, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_text(stmt, i, v, -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

/* Creates the missing directories of path's parent, each with 0750. */
static int make_parent(const char *path, struct errbuf *why)
{
	char *dir = strdup(path), *slash;
	struct stat sb;
	int rc = 0;

	if (dir == NULL)
		return errbuf_set(why, "out of memory");
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		goto done;
	*slash = '\0';
	if (stat(dir, &sb) == 0)
		goto done;
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			rc = errbuf_set(why, "cannot create directory %s: %s", dir,
					strerror(errno));
			goto done;
		}
		*p = c;
		if (c == '\0')
			break;
	}
done:
	free(dir);
	return rc;
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	sq_stmts_free(s);
	sqlite3_close(s->db);
	free(s);
}

static int sq_init(struct store *st, int *created, struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (store_sqlite_init_table(st, STORE_TABLE, SQL_CREATE, SQL_SHAPE,
				    created, why) < 0)
		return -1;
	/* WAL is persistent in the file; a read-only opener may not set it */
	return sq_exec(s, "PRAGMA journal_mode=WAL", "init", why);
}

/* Text of column i, "" for NULL; an embedded NUL (which would shorten
 * the value silently) makes the row defective. */
static const char *sq_col(sqlite3_stmt *stmt, int i, struct store_row *row)
{
	const char *t = (const char *)sqlite3_column_text(stmt, i);

	if (t == NULL)
		return NULL;
	if ((size_t)sqlite3_column_bytes(stmt, i) != strlen(t))
		row->defect = "NUL byte in a value";
	return t;
}

/* Fills row from columns id, domain, policy, params. */
static int sq_row(sqlite3_stmt *stmt, struct store_row *row, struct errbuf *why)
{
	const char *d = sq_col(stmt, 1, row), *p = sq_col(stmt, 2, row),
		   *q = sq_col(stmt, 3, row);

	row->id = (unsigned long)sqlite3_column_int64(stmt, 0);
	row->domain = strdup(d ? d : "");
	row->policy = strdup(p ? p : "");
	row->params = q ? strdup(q) : NULL;
	if (row->domain == NULL || row->policy == NULL || (q && row->params == NULL)) {
		store_row_free(row);
		return errbuf_set(why, "out of memory");
	}
	return 0;
}

static int sq_get(struct store *st, const char *domain, struct store_row *row,
		  struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *stmt;
	int rc, ret;

	if (sq_prepare(s, SQL_GET, &stmt, "get", why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		ret = sq_row(stmt, row, why) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = sq_err(s, why, "get");
	sqlite3_finalize(stmt);
	return ret;
}

/* The provenance of a row just added or changed (pput NULL: no table). */
static int sq_prov(struct sqlite_store *s, sqlite3_stmt *pput,
		   const struct store_put_item *it, struct store_counts *c,
		   struct errbuf *why)
{
	if (pput == NULL || it->prov == NULL)
		return 0;
	if (store_prov_sqlite_put(&s->base, pput, it->domain, it->policy, it->params,
				  it->prov, why) < 0)
		return -1;
	c->provenance++;
	return 0;
}

/* One put inside the open transaction. */
static int sq_put_one(struct sqlite_store *s, sqlite3_stmt *find,
		      sqlite3_stmt *ins, sqlite3_stmt *upd, sqlite3_stmt *pput,
		      const struct store_put_item *it, struct store_counts *c,
		      struct errbuf *why)
{
	int rc;

	if (it->policy == NULL) {
		sqlite3_stmt *del;

		if (sq_prepare(s, SQL_DELETE, &del, "delete", why) < 0)
			return -1;
		sqlite3_bind_text(del, 1, it->domain, -1, SQLITE_STATIC);
		rc = sqlite3_step(del);
		sqlite3_finalize(del);
		if (rc != SQLITE_DONE)
			return sq_err(s, why, it->domain);
		if (sqlite3_changes(s->db) > 0) {
			c->removed++;
			return store_prov_sqlite_del(&s->base, it->domain, why);
		}
		return 0;
	}
	sqlite3_reset(find);
	sqlite3_bind_text(find, 1, it->domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(find);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, it->domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, it->policy, -1, SQLITE_STATIC);
		bind_text(ins, 3, it->params);
		if (sqlite3_step(ins) != SQLITE_DONE)
			return sq_err(s, why, it->domain);
		c->added++;
		return sq_prov(s, pput, it, c, why);
	}
	if (rc != SQLITE_ROW)
		return sq_err(s, why, it->domain);
	if (store_same(col_text(find, 1), col_text(find, 2), it->policy, it->params)) {
		c->unchanged++;
		return 0;
	}
	sqlite3_reset(upd);
	sqlite3_bind_int64(upd, 1, sqlite3_column_int64(find, 0));
	sqlite3_bind_text(upd, 2, it->policy, -1, SQLITE_STATIC);
	bind_text(upd, 3, it->params);
	if (sqlite3_step(upd) != SQLITE_DONE)
		return sq_err(s, why, it->domain);
	c->changed++;
	return sq_prov(s, pput, it, c, why);
}

static int sq_put_many(struct store *st, const struct store_put_item *items,
		       size_t n, int flags, struct store_counts *counts,
		       struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *find = NULL, *ins = NULL, *upd = NULL, *pput = NULL;
	size_t i;
	int any_prov = 0;

	for (i = 0; i < n; i++)
		any_prov |= items[i].prov != NULL;
	if (sq_exec(s, "BEGIN IMMEDIATE", "write", why) < 0)
		return -1;
	if (sq_prepare(s, SQL_FIND, &find, "write", why) < 0 ||
	    sq_prepare(s, SQL_INSERT, &ins, "write", why) < 0 ||
	    sq_prepare(s, SQL_UPDATE, &upd, "write", why) < 0)
		goto fail;
	if (any_prov) {
		int rc = store_prov_sqlite_prepare(st, &pput, why);

		if (rc < 0)
			goto fail;
		counts->provenance_missing = rc == 0;
	}
	for (i = 0; i < n; i++)
		if (sq_put_one(s, find, ins, upd, pput, &items[i], counts, why) < 0)
			goto fail;
	sqlite3_finalize(find);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(pput);
	find = ins = upd = pput = NULL;
	if (flags & STORE_DRY_RUN) {
		if (sq_exec(s, "ROLLBACK", "dry run", why) < 0)
			goto fail;
		return 0;
	}
	if (sq_exec(s, "COMMIT", "commit", why) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(find);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(pput);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	memset(counts, 0, sizeof(*counts));
	return -1;
}

static int sq_delete(struct store *st, const char *domain, struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *stmt;
	int rc, deleted;

	/* the row and its provenance in one transaction */
	if (sq_exec(s, "BEGIN IMMEDIATE", "delete", why) < 0)
		return -1;
	if (sq_prepare(s, SQL_DELETE, &stmt, "delete", why) < 0)
		goto fail;
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		sq_err(s, why, "delete");
		goto fail;
	}
	deleted = sqlite3_changes(s->db) > 0;
	if (deleted && store_prov_sqlite_del(st, domain, why) < 0)
		goto fail;
	if (sq_exec(s, "COMMIT", "delete", why) < 0)
		goto fail;
	return deleted;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int sq_list(struct store *st, store_row_fn fn, void *arg,
		   struct errbuf *why)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *stmt;
	int rc, ret = 0;

	/* one read transaction: a consistent snapshot of the whole table */
	if (sq_exec(s, "BEGIN", "list", why) < 0)
		return -1;
	if (sq_prepare(s, SQL_LIST, &stmt, "list", why) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_row row = { 0 };
		const char *d = sq_col(stmt, 1, &row), *p = sq_col(stmt, 2, &row);

		row.id = (unsigned long)sqlite3_column_int64(stmt, 0);
		row.domain = (char *)(d ? d : "");
		row.policy = (char *)(p ? p : "");
		row.params = (char *)sq_col(stmt, 3, &row);
		if ((ret = fn(&row, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sq_err(s, why, "list");
	sqlite3_finalize(stmt);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

int store_sqlite_table_exists(struct store *st, const char *table, const char *what,
			      struct errbuf *why)
{
	sqlite3_stmt *stmt;
	int rc;

	if (store_sqlite_prepare(st, table, "SELECT 1 FROM sqlite_master WHERE type = 'table' "
				 "AND name = ?1", &stmt, what, why) < 0)
		return -1;
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_sqlite_fail(st, table, what, why);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.init = sq_init,
	.get = sq_get,
	.put_many = sq_put_many,
	.del = sq_delete,
	.list = sq_list,
	.sts_init = store_sts_sqlite_init,
	.sts_get = store_sts_sqlite_get,
	.sts_put = store_sts_sqlite_put,
	.sts_del = store_sts_sqlite_del,
	.sts_list = store_sts_sqlite_list,
	.sts_purge = store_sts_sqlite_purge,
	.lease_init = store_sts_sqlite_lease_init,
	.lease_claim = store_sts_sqlite_claim,
	.lease_release = store_sts_sqlite_release,
	.lease_purge = store_sts_sqlite_lease_purge,
	.sts_txn = store_sts_sqlite_txn,
	.prov_init = store_prov_sqlite_init,
	.prov_list = store_prov_sqlite_list,
	.own_init = store_own_sqlite_init,
	.own_get = store_own_sqlite_get,
	.own_put = store_own_sqlite_put,
	.own_del = store_own_sqlite_del,
	.own_list = store_own_sqlite_list,
	.bypass_init = store_bypass_sqlite_init,
	.bypass_put = store_bypass_sqlite_put,
	.bypass_del = store_bypass_sqlite_del,
	.bypass_list = store_bypass_sqlite_list,
	.report_init = store_report_sqlite_init,
	.report_list = store_report_sqlite_list,
	.report_replace = store_report_sqlite_replace,
	.change_init = store_change_sqlite_init,
	.change_mark = store_change_sqlite_mark,
};

struct sqlite3 *store_sqlite_db(struct store *st)
{
	return ((struct sqlite_store *)st)->db;
}

int store_sqlite_open(const struct store_url *u, int flags, struct store **out,
		      struct errbuf *why)
{
	struct sqlite_store *s;
	struct stat sb;
	int rc;

	*out = NULL;
	if (!(flags & STORE_OPEN_CREATE)) {
		/* Nothing is created: no directory, no empty file. */
		if (stat(u->path, &sb) < 0 && errno == ENOENT) {
			errbuf_set(why, "database %s does not exist (run "
				   "tlspolicy db init)", u->path);
			return STORE_ERR_CONFIG;
		}
	} else if (make_parent(u->path, why) < 0) {
		return STORE_ERR_CONFIG;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return errbuf_set(why, "out of memory");
	s->base.ops = &sqlite_ops;
	rc = sqlite3_open_v2(u->path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			     (flags & STORE_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0),
			     NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(why, "cannot open sqlite:%s: %s", u->path,
			   s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sqlite3_close(s->db);
		free(s);
		return store_sqlite_err_class(rc);
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_SQLITE_BUSY_MS);
	/* WAL is persistent once set (store_init sets it); a reader without
	 * write access cannot switch and need not. */
	sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	/* Fail now, not at the first query, when the file is no database. */
	rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(why, "cannot open sqlite:%s: %s", u->path, sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		free(s);
		return store_sqlite_err_class(rc);
	}
	*out = &s->base;
	return 0;
}
