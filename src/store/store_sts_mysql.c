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
 * with only a note, so a TEXT column would lose it silently.  A put is one INSERT ... ON DUPLICATE KEY
 * UPDATE with autocommit on: one statement, one transaction, atomic
 * against a second mail server writing the same domain.
 *
 * LIMITS: results are fetched into buffers one byte longer than the
 * limits of store_sts.h; a longer value (written by hand) is an error,
 * never truncated.
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "util/log.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define ER_NO_SUCH_TABLE_ 1146

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_sts` (\n"                        \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `policy_id` varchar(32) NOT NULL,\n"                                 \
	"  `policy` mediumtext NOT NULL,\n"                                     \
	"  `fetched` bigint(20) NOT NULL,\n"                                    \
	"  `expires` bigint(20) NOT NULL,\n"                                    \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_EXISTS                                                              \
	"SELECT COUNT(*) FROM information_schema.TABLES "                       \
	"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tlspolicy_sts'"
#define SQL_COLS "domain, policy_id, policy, fetched, expires"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_sts LIMIT 0"
#define SQL_GET "SELECT " SQL_COLS " FROM tlspolicy_sts WHERE domain = ?"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_sts ORDER BY domain"
#define SQL_PUT                                                                 \
	"INSERT INTO tlspolicy_sts (" SQL_COLS ") VALUES (?, ?, ?, ?, ?)\n"     \
	"  ON DUPLICATE KEY UPDATE domain = VALUES(domain),\n"                  \
	"  policy_id = VALUES(policy_id), policy = VALUES(policy),\n"           \
	"  fetched = VALUES(fetched), expires = VALUES(expires)"
#define SQL_DELETE "DELETE FROM tlspolicy_sts WHERE domain = ?"
#define SQL_PURGE "DELETE FROM tlspolicy_sts WHERE expires <= ?"

/* Result buffers for SQL_COLS. */
struct sts_result {
	MYSQL_BIND b[5];
	char domain[STORE_DOMAIN_MAX + 1];
	char id[STORE_STS_ID_MAX + 1];
	char policy[STORE_STS_POLICY_MAX + 1];
	long long fetched, expires;
	unsigned long len[5];
	my_bool is_null[5], error[5];
};

/* Bound parameters: up to three strings and two numbers. */
struct sts_params {
	MYSQL_BIND b[5];
	unsigned long len[5];
	long long num[5];
};

static int sts_err(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		   const char *what, struct errbuf *why)
{
	unsigned no = stmt ? mysql_stmt_errno(stmt) : mysql_errno(conn);
	const char *msg = stmt ? mysql_stmt_error(stmt) : mysql_error(conn);

	if (no == 0 && stmt) { /* prepare failed before stmt had errors */
		no = mysql_errno(conn);
		msg = mysql_error(conn);
	}
	if (no == ER_NO_SUCH_TABLE_)
		return errbuf_set(why, "%s: table " STORE_STS_TABLE " does not exist "
				  "in %s (run 'tlspolicy db init')", what,
				  store_describe(st));
	return errbuf_set(why, "%s: mysql: %s (error %u)", what,
			  msg && *msg ? msg : "unknown error", no);
}

static MYSQL_STMT *prepare(struct store *st, MYSQL *conn, const char *sql,
			   const char *what, struct errbuf *why)
{
	MYSQL_STMT *stmt = mysql_stmt_init(conn);

	if (stmt == NULL) {
		sts_err(st, conn, NULL, what, why);
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
		sts_err(st, conn, stmt, what, why);
		mysql_stmt_close(stmt);
		return NULL;
	}
	return stmt;
}

static void param_str(struct sts_params *p, int i, const char *v)
{
	memset(&p->b[i], 0, sizeof(p->b[i]));
	p->len[i] = (unsigned long)strlen(v);
	p->b[i].buffer_type = MYSQL_TYPE_STRING;
	p->b[i].buffer = (void *)v;
	p->b[i].buffer_length = p->len[i];
	p->b[i].length = &p->len[i];
}

static void param_num(struct sts_params *p, int i, long long v)
{
	memset(&p->b[i], 0, sizeof(p->b[i]));
	p->num[i] = v;
	p->b[i].buffer_type = MYSQL_TYPE_LONGLONG;
	p->b[i].buffer = &p->num[i];
}

static void result_bind(struct sts_result *r)
{
	memset(r->b, 0, sizeof(r->b));
	r->b[0].buffer_type = MYSQL_TYPE_STRING;
	r->b[0].buffer = r->domain;
	r->b[0].buffer_length = sizeof(r->domain);
	r->b[1].buffer_type = MYSQL_TYPE_STRING;
	r->b[1].buffer = r->id;
	r->b[1].buffer_length = sizeof(r->id);
	r->b[2].buffer_type = MYSQL_TYPE_STRING;
	r->b[2].buffer = r->policy;
	r->b[2].buffer_length = sizeof(r->policy);
	r->b[3].buffer_type = MYSQL_TYPE_LONGLONG;
	r->b[3].buffer = &r->fetched;
	r->b[4].buffer_type = MYSQL_TYPE_LONGLONG;
	r->b[4].buffer = &r->expires;
	for (int i = 0; i < 5; i++) {
		r->b[i].length = &r->len[i];
		r->b[i].is_null = &r->is_null[i];
		r->b[i].error = &r->error[i];
	}
}

/* Executes stmt with params p and results bound to r (either may be
 * NULL), the result set buffered client-side. */
static int execute(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		   struct sts_params *p, struct sts_result *r, const char *what,
		   struct errbuf *why)
{
	if (p && mysql_stmt_bind_param(stmt, p->b) != 0)
		return sts_err(st, conn, stmt, what, why);
	if (mysql_stmt_execute(stmt) != 0)
		return sts_err(st, conn, stmt, what, why);
	if (r) {
		result_bind(r);
		if (mysql_stmt_bind_result(stmt, r->b) != 0 ||
		    mysql_stmt_store_result(stmt) != 0)
			return sts_err(st, conn, stmt, what, why);
	}
	return 0;
}

/* Returns 1 with a checked view of the next row in v (strings in r), 0
 * at the end, -1 on error. */
static int fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		 struct sts_result *r, struct store_sts_row *v,
		 const char *what, struct errbuf *why)
{
	char *col[3] = { r->domain, r->id, r->policy };
	size_t cap[3] = { sizeof(r->domain), sizeof(r->id), sizeof(r->policy) };
	int rc = mysql_stmt_fetch(stmt);

	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return sts_err(st, conn, stmt, what, why);
	for (int i = 0; i < 3; i++) {
		size_t n = r->is_null[i] ? 0 : r->len[i];

		if (n >= cap[i]) { /* longer than the limit: never truncate */
			char d[80];

			printable(d, sizeof(d), r->domain,
				  r->len[0] < cap[0] ? r->len[0] : cap[0] - 1);
			return errbuf_set(why, "%s: table " STORE_STS_TABLE ", row \"%s\": "
					  "%s longer than %zu bytes", what, d,
					  i == 0 ? "domain" : i == 1 ? "policy id" : "policy",
					  cap[i] - 1);
		}
		col[i][n] = '\0';
		if (memchr(col[i], '\0', n) != NULL)
			return errbuf_set(why, "%s: table " STORE_STS_TABLE
					  ": NUL byte in a value", what);
	}
	if (rc == MYSQL_DATA_TRUNCATED) /* a number out of range */
		return errbuf_set(why, "%s: table " STORE_STS_TABLE ": a value "
				  "does not fit", what);
	v->domain = r->domain;
	v->policy_id = r->id;
	v->policy = r->policy;
	v->fetched = r->is_null[3] ? -1 : r->fetched;
	v->expires = r->is_null[4] ? -1 : r->expires;
	if (store_sts_row_check(v, why) < 0)
		return errbuf_prefix(why, "%s", what);
	return 1;
}

int store_sts_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	const char *what = "init " STORE_STS_TABLE;
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *stmt;
	MYSQL_BIND b;
	long long count = 0;
	int rc;

	*created = 0;
	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_EXISTS, what, why)) == NULL)
		return -1;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONGLONG;
	b.buffer = &count;
	if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_bind_result(stmt, &b) != 0 ||
	    mysql_stmt_fetch(stmt) != 0) {
		sts_err(st, conn, stmt, what, why);
		mysql_stmt_close(stmt);
		return -1;
	}
	mysql_stmt_close(stmt);
	if (count == 0) {
		if ((stmt = prepare(st, conn, SQL_CREATE, what, why)) == NULL)
			return -1;
		rc = execute(st, conn, stmt, NULL, NULL, what, why);
		mysql_stmt_close(stmt);
		if (rc < 0)
			return -1;
		*created = 1;
	}
	/* an existing table must have the columns we use */
	what = "init: existing table " STORE_STS_TABLE;
	if ((stmt = prepare(st, conn, SQL_SHAPE, what, why)) == NULL)
		return -1;
	rc = execute(st, conn, stmt, NULL, NULL, what, why);
	mysql_stmt_close(stmt);
	return rc;
}

int store_sts_mysql_get(struct store *st, const char *domain,
			struct store_sts_row *row, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct sts_params p;
	struct sts_result *r;
	struct store_sts_row v;
	MYSQL_STMT *stmt = NULL;
	int rc = -1;

	if (conn == NULL)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if ((stmt = prepare(st, conn, SQL_GET, "sts get", why)) == NULL)
		goto done;
	param_str(&p, 0, domain);
	if (execute(st, conn, stmt, &p, r, "sts get", why) < 0)
		goto done;
	rc = fetch(st, conn, stmt, r, &v, "sts get", why);
	if (rc == 1 && store_sts_row_copy(&v, row, why) < 0)
		rc = -1;
done:
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return rc;
}

int store_sts_mysql_put(struct store *st, const struct store_sts_row *row,
			struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct sts_params p;
	MYSQL_STMT *stmt;
	int rc;

	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_PUT, "sts put", why)) == NULL)
		return -1;
	param_str(&p, 0, row->domain);
	param_str(&p, 1, row->policy_id);
	param_str(&p, 2, row->policy);
	param_num(&p, 3, row->fetched);
	param_num(&p, 4, row->expires);
	/* autocommit is on (store_mysql.c): one statement, one transaction */
	rc = execute(st, conn, stmt, &p, NULL, "sts put", why);
	mysql_stmt_close(stmt);
	return rc;
}

int store_sts_mysql_del(struct store *st, const char *domain,
			struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct sts_params p;
	MYSQL_STMT *stmt;
	int rc;

	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_DELETE, "sts delete", why)) == NULL)
		return -1;
	param_str(&p, 0, domain);
	rc = execute(st, conn, stmt, &p, NULL, "sts delete", why);
	if (rc == 0)
		rc = mysql_stmt_affected_rows(stmt) > 0 ? 1 : 0;
	mysql_stmt_close(stmt);
	return rc;
}

int store_sts_mysql_list(struct store *st, store_sts_fn fn, void *arg,
			 struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct sts_result *r;
	struct store_sts_row v;
	MYSQL_STMT *stmt = NULL;
	int rc, ret = -1;

	if (conn == NULL)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if ((stmt = prepare(st, conn, SQL_LIST, "sts list", why)) == NULL)
		goto done;
	if (execute(st, conn, stmt, NULL, r, "sts list", why) < 0)
		goto done;
	ret = 0;
	while ((rc = fetch(st, conn, stmt, r, &v, "sts list", why)) == 1)
		if ((ret = fn(&v, arg)) != 0)
			break;
	if (rc < 0)
		ret = -1;
done:
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return ret;
}

int store_sts_mysql_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct sts_params p;
	MYSQL_STMT *stmt;
	int rc;

	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_PURGE, "sts purge", why)) == NULL)
		return -1;
	param_num(&p, 0, now);
	rc = execute(st, conn, stmt, &p, NULL, "sts purge", why);
	if (rc == 0)
		*deleted = (unsigned long)mysql_stmt_affected_rows(stmt);
	mysql_stmt_close(stmt);
	return rc;
}
