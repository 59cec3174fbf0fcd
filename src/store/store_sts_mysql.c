/* SPDX-License-Identifier: MIT */
/*
 * store_sts_mysql.c - table tlspolicy_sts (store_sts.h) in the MariaDB
 * backend, on the connection of store_mysql.c (which replaces a
 * connection the server dropped before each operation).
 *
 * DDL as store_sts.h gives it: InnoDB, latin1 like the connection, so
 * the policy bytes are stored and returned unchanged; policy is a
 * MEDIUMTEXT because TEXT holds only 65535 bytes, one less than the
 * 64 KiB a policy may have -- and MariaDB, even in strict mode, cuts
 * trailing white space (a policy's last "\n") that overflows a column
 * with only a note, so a TEXT column would lose it silently.  A put is
 * one INSERT ... ON DUPLICATE KEY UPDATE with autocommit on: one
 * statement, one transaction (or part of a batch's, store_sts_mysql_txn),
 * atomic against a second mail server writing the same domain.
 *
 * LIMITS: results are fetched into buffers one byte longer than the
 * limits of store_sts.h; a longer value (written by hand) is an error,
 * never truncated.
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"
#include "util/log.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_sts` (\n"                        \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `policy_id` varchar(32) NOT NULL,\n"                                 \
	"  `policy` mediumtext NOT NULL,\n"                                     \
	"  `fetched` bigint(20) NOT NULL,\n"                                    \
	"  `expires` bigint(20) NOT NULL,\n"                                    \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_COLS "domain, policy_id, policy, fetched, expires"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_sts LIMIT 0"
#define SQL_GET "SELECT " SQL_COLS " FROM tlspolicy_sts WHERE domain = ?"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_sts ORDER BY domain"
/* Only a row fetched later replaces one (store_sts.h).  MariaDB
 * evaluates the assignments left to right, later ones seeing the new
 * values (the session's sql_mode has no SIMULTANEOUS_ASSIGNMENT), so
 * fetched, which every condition reads, is assigned last.  Affected
 * rows: 1 inserted, 2 replaced, 0 kept. */
#define SQL_NEWER "IF(VALUES(fetched) > fetched, "
#define SQL_PUT                                                                 \
	"INSERT INTO tlspolicy_sts (" SQL_COLS ") VALUES (?, ?, ?, ?, ?)\n"     \
	"  ON DUPLICATE KEY UPDATE\n"                                           \
	"  domain = " SQL_NEWER "VALUES(domain), domain),\n"                    \
	"  policy_id = " SQL_NEWER "VALUES(policy_id), policy_id),\n"           \
	"  policy = " SQL_NEWER "VALUES(policy), policy),\n"                    \
	"  expires = " SQL_NEWER "VALUES(expires), expires),\n"                 \
	"  fetched = " SQL_NEWER "VALUES(fetched), fetched)"
#define SQL_DELETE "DELETE FROM tlspolicy_sts WHERE domain = ?"
#define SQL_PURGE "DELETE FROM tlspolicy_sts WHERE expires <= ?"

#define SQL_LEASE_CREATE                                                        \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_sts_lease` (\n"                  \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `owner` varchar(255) NOT NULL,\n"                                    \
	"  `expires` bigint(20) NOT NULL,\n"                                    \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_LEASE_SHAPE "SELECT domain, owner, expires FROM tlspolicy_sts_lease LIMIT 0"
/* Taken when new, expired (expires <= now) or ours: owner first (left to
 * right, see SQL_PUT), then expires only when the owner is now ours.
 * Whether it was taken is read back (affected rows are 0 when our own
 * lease is renewed to the same second). */
#define SQL_LEASE_CLAIM                                                         \
	"INSERT INTO tlspolicy_sts_lease (domain, owner, expires) VALUES (?, ?, ?)\n" \
	"  ON DUPLICATE KEY UPDATE\n"                                           \
	"  owner = IF(expires <= ? OR owner = VALUES(owner), VALUES(owner), owner),\n" \
	"  expires = IF(owner = VALUES(owner), VALUES(expires), expires)"
#define SQL_LEASE_GET "SELECT owner, expires FROM tlspolicy_sts_lease WHERE domain = ?"
#define SQL_LEASE_RELEASE "DELETE FROM tlspolicy_sts_lease WHERE domain = ? AND owner = ?"
#define SQL_LEASE_PURGE "DELETE FROM tlspolicy_sts_lease WHERE expires <= ?"

/* Result buffers for SQL_COLS. */
static const struct store_mysql_shape5 sts_shape = {
	{ STORE_DOMAIN_MAX + 1, STORE_STS_ID_MAX + 1, STORE_STS_POLICY_MAX + 1 },
	{ "domain", "policy id", "policy" },
};

/* A get (copy) or a list (fn) of rows */
struct sts_walk {
	struct store *st;
	const char *what;
	struct store_sts_row *copy;
	store_sts_fn fn;
	void *arg;
};

static int sts_each(const struct store_mysql_row5 *r, void *arg, struct errbuf *why)
{
	struct sts_walk *w = arg;
	struct store_sts_row v = { r->s[0], r->s[1], r->s[2], r->n[0], r->n[1] };

	if (store_sts_row_check(&v, why) < 0) {
		errbuf_prefix(why, "%s", w->what);
		return store_mysql_bad_row(w->st);
	}
	if (w->copy)
		return store_sts_row_copy(&v, w->copy, why) < 0 ? -1 : 1;
	return w->fn(&v, w->arg);
}

int store_sts_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_STS_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_sts_mysql_get(struct store *st, const char *domain,
			struct store_sts_row *row, struct errbuf *why)
{
	struct store_mysql_params p;
	struct sts_walk w = { st, "sts get", row, NULL, NULL };

	store_mysql_params_str(&p, 0, domain);
	return store_mysql_row5_query(st, STORE_STS_TABLE, &sts_shape, SQL_GET, &p,
				      w.what, sts_each, &w, why);
}

int store_sts_mysql_put(struct store *st, const struct store_sts_row *row,
			struct errbuf *why)
{
	struct store_mysql_params p;
	unsigned long n = 0;

	store_mysql_params_str(&p, 0, row->domain);
	store_mysql_params_str(&p, 1, row->policy_id);
	store_mysql_params_str(&p, 2, row->policy);
	store_mysql_params_num(&p, 3, row->fetched);
	store_mysql_params_num(&p, 4, row->expires);
	/* autocommit is on (store_mysql.c): one statement, one transaction,
	 * unless a batch's transaction is open (store_sts_mysql_txn) */
	if (store_mysql_write(st, STORE_STS_TABLE, SQL_PUT, &p, "sts put", &n, why) < 0)
		return -1;
	return n == 0 ? STORE_STS_KEPT : 0;   /* KEPT: a row fetched at or after this one */
}

int store_sts_mysql_del(struct store *st, const char *domain,
			struct errbuf *why)
{
	struct store_mysql_params p;
	unsigned long n = 0;

	store_mysql_params_str(&p, 0, domain);
	if (store_mysql_write(st, STORE_STS_TABLE, SQL_DELETE, &p, "sts delete", &n,
			      why) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_sts_mysql_list(struct store *st, store_sts_fn fn, void *arg,
			 struct errbuf *why)
{
	struct sts_walk w = { st, "sts list", NULL, fn, arg };

	return store_mysql_row5_query(st, STORE_STS_TABLE, &sts_shape, SQL_LIST, NULL,
				      w.what, sts_each, &w, why);
}

int store_sts_mysql_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why)
{
	struct store_mysql_params p;

	store_mysql_params_num(&p, 0, now);
	return store_mysql_write(st, STORE_STS_TABLE, SQL_PURGE, &p, "sts purge", deleted,
				 why);
}

/* ---- the fetch lease (store_sts.h) ---------------------------------------- */

int store_sts_mysql_lease_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_STS_LEASE_TABLE, SQL_LEASE_CREATE,
				      SQL_LEASE_SHAPE, created, why);
}

/* Runs sql (a write) with p on the lease table; *n affected rows. */
static int lease_write(struct store *st, const char *sql, struct store_mysql_params *p,
		       const char *what, unsigned long *n, struct errbuf *why)
{
	return store_mysql_write(st, STORE_STS_LEASE_TABLE, sql, p, what, n, why);
}

/* The lease row of domain into *held: 1, 0 when none, -1. */
static int lease_get(struct store *st, const char *domain,
		     struct store_sts_lease *held, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	MYSQL_BIND b[2];
	unsigned long len[2];
	my_bool is_null[2], error[2];
	const struct store_mysql_col cols[2] = {
		{ held->owner, sizeof(held->owner), 0 },
		{ &held->expires, 0, 0 },
	};
	MYSQL_STMT *stmt;
	int truncated, rc;

	if (conn == NULL)
		return -1;
	if ((stmt = store_mysql_prepare(st, conn, STORE_STS_LEASE_TABLE, SQL_LEASE_GET,
					"sts lease", why)) == NULL)
		return -1;
	store_mysql_params_str(&p, 0, domain);
	store_mysql_bind_results(b, cols, 2, len, is_null, error);
	rc = store_mysql_run(st, conn, stmt, p.b, b, STORE_STS_LEASE_TABLE, "sts lease", why);
	if (rc == 0)
		rc = store_mysql_fetch(st, conn, stmt, STORE_STS_LEASE_TABLE, &truncated,
				       "sts lease", why);
	if (rc == 1)
		store_mysql_column(held->owner, sizeof(held->owner), len[0], is_null[0]);
	mysql_stmt_close(stmt);
	return rc;
}

int store_sts_mysql_claim(struct store *st, const struct store_sts_lease *want,
			  long long now, struct store_sts_lease *held,
			  struct errbuf *why)
{
	struct store_mysql_params p;
	int rc;

	store_mysql_params_str(&p, 0, want->domain);
	store_mysql_params_str(&p, 1, want->owner);
	store_mysql_params_num(&p, 2, want->expires);
	store_mysql_params_num(&p, 3, now);
	if (lease_write(st, SQL_LEASE_CLAIM, &p, "sts lease", NULL, why) < 0)
		return -1;
	if ((rc = lease_get(st, want->domain, held, why)) < 0)
		return -1;
	if (rc == 1 && strcmp(held->owner, want->owner) == 0
	    && held->expires == want->expires) {
		memset(held, 0, sizeof(*held));
		return 1;
	}
	return 0;   /* another owner's (or gone again: released meanwhile) */
}

int store_sts_mysql_release(struct store *st, const char *domain, const char *owner,
			    struct errbuf *why)
{
	struct store_mysql_params p;
	unsigned long n = 0;

	store_mysql_params_str(&p, 0, domain);
	store_mysql_params_str(&p, 1, owner);
	if (lease_write(st, SQL_LEASE_RELEASE, &p, "sts lease release", &n, why) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_sts_mysql_lease_purge(struct store *st, long long now,
				unsigned long *deleted, struct errbuf *why)
{
	struct store_mysql_params p;

	store_mysql_params_num(&p, 0, now);
	return lease_write(st, SQL_LEASE_PURGE, &p, "sts lease purge", deleted, why);
}

/* A batch of writes in one transaction (store_sts_batch_begin): InnoDB
 * then flushes its log once per batch, not once per row. */
int store_sts_mysql_txn(struct store *st, int op, struct errbuf *why)
{
	static const char *const sql[] = { "START TRANSACTION", "COMMIT", "ROLLBACK" };
	static const char *const what[] = { "sts batch", "sts batch commit",
					     "sts batch rollback" };
	MYSQL *conn = store_mysql_conn(st, op == STORE_STS_TXN_ROLLBACK ? NULL : why);
	int rc = 0;

	if (conn == NULL)
		rc = -1;
	else if (mysql_query(conn, sql[op]) != 0)
		rc = op == STORE_STS_TXN_ROLLBACK ? -1 :
		     store_mysql_fail(st, conn, NULL, STORE_STS_TABLE, what[op], why);
	/* open after a START TRANSACTION that worked; a failed COMMIT
	 * stays open until the caller's ROLLBACK, whatever that does */
	if (op == STORE_STS_TXN_BEGIN)
		store_mysql_txn_open(st, rc == 0);
	else if (op == STORE_STS_TXN_ROLLBACK || rc == 0)
		store_mysql_txn_open(st, 0);
	return op == STORE_STS_TXN_ROLLBACK ? 0 : rc;
}
