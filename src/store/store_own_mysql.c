/* SPDX-License-Identifier: MIT */
/*
 * store_own_mysql.c - table tlspolicy_own (store_own.h) in the MariaDB
 * backend, on the connection of store_mysql.c.  InnoDB, latin1 like
 * the connection; value is a MEDIUMTEXT (an MTA-STS policy of 64 KiB
 * plus its id does not fit a TEXT).  A put is one INSERT ... ON
 * DUPLICATE KEY UPDATE with autocommit on.
 *
 * LIMITS: results are fetched into buffers one byte longer than the
 * limits; a longer value (written by hand) is an error, never cut.
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_own` (\n"                        \
	"  `subject` varchar(255) NOT NULL,\n"                                  \
	"  `fact` varchar(255) NOT NULL,\n"                                     \
	"  `value` mediumtext NOT NULL,\n"                                      \
	"  `first_seen` bigint(20) NOT NULL,\n"                                 \
	"  `last_seen` bigint(20) NOT NULL,\n"                                  \
	"  PRIMARY KEY (`subject`, `fact`)\n"                                   \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_COLS "subject, fact, value, first_seen, last_seen"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_own LIMIT 0"
#define SQL_GET "SELECT " SQL_COLS " FROM tlspolicy_own WHERE subject = ? AND fact = ?"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_own WHERE subject = ? ORDER BY fact"
#define SQL_PUT                                                                 \
	"INSERT INTO tlspolicy_own (" SQL_COLS ") VALUES (?, ?, ?, ?, ?)\n"     \
	"  ON DUPLICATE KEY UPDATE value = VALUES(value),\n"                    \
	"  first_seen = VALUES(first_seen), last_seen = VALUES(last_seen)"
#define SQL_DELETE "DELETE FROM tlspolicy_own WHERE subject = ? AND fact = ?"

struct own_result {
	MYSQL_BIND b[5];
	char subject[STORE_OWN_KEY_MAX + 1];
	char fact[STORE_OWN_KEY_MAX + 1];
	char value[STORE_OWN_VALUE_MAX + 1];
	long long first, last;
	unsigned long len[5];
	my_bool is_null[5], error[5];
};

static void result_bind(struct own_result *r)
{
	const struct store_mysql_col cols[5] = {
		{ r->subject, sizeof(r->subject), 0 },
		{ r->fact, sizeof(r->fact), 0 },
		{ r->value, sizeof(r->value), 0 },
		{ &r->first, 0, 0 },
		{ &r->last, 0, 0 },
	};

	store_mysql_bind_results(r->b, cols, 5, r->len, r->is_null, r->error);
}

static int run(struct store *st, MYSQL *conn, const char *sql,
	       struct store_mysql_params *p, struct own_result *r, const char *what,
	       MYSQL_STMT **out, struct errbuf *why)
{
	if (r)
		result_bind(r);
	return store_mysql_prepare_run(st, conn, STORE_OWN_TABLE, sql, p,
				       r ? r->b : NULL, what, out, why);
}

static int fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		 struct own_result *r, struct store_own_row *v,
		 const char *what, struct errbuf *why)
{
	char *col[3] = { r->subject, r->fact, r->value };
	size_t cap[3] = { sizeof(r->subject), sizeof(r->fact), sizeof(r->value) };
	int rc = mysql_stmt_fetch(stmt);

	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return store_mysql_fail(st, conn, stmt, STORE_OWN_TABLE, what, why);
	for (int i = 0; i < 3; i++) {
		int c = store_mysql_column(col[i], cap[i], r->len[i], r->is_null[i]);

		if (c == STORE_COL_LONG)
			return errbuf_set(why, "%s: table " STORE_OWN_TABLE ": a value "
					  "longer than %zu bytes", what, cap[i] - 1);
		if (c == STORE_COL_NUL)
			return errbuf_set(why, "%s: table " STORE_OWN_TABLE
					  ": NUL byte in a value", what);
	}
	if (rc == MYSQL_DATA_TRUNCATED)
		return errbuf_set(why, "%s: table " STORE_OWN_TABLE ": a value "
				  "does not fit", what);
	v->subject = r->subject;
	v->fact = r->fact;
	v->value = r->value;
	v->first_seen = r->is_null[3] ? -1 : r->first;
	v->last_seen = r->is_null[4] ? -1 : r->last;
	if (store_own_row_check(v, why) < 0)
		return errbuf_prefix(why, "%s: table " STORE_OWN_TABLE, what);
	return 1;
}

int store_own_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_OWN_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_own_mysql_get(struct store *st, const char *subject, const char *fact,
			struct store_own_row *row, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	struct own_result *r;
	struct store_own_row v;
	MYSQL_STMT *stmt = NULL;
	int rc = -1;

	if (conn == NULL)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	store_mysql_params_str(&p, 0, subject);
	store_mysql_params_str(&p, 1, fact);
	if (run(st, conn, SQL_GET, &p, r, "own get", &stmt, why) == 0) {
		rc = fetch(st, conn, stmt, r, &v, "own get", why);
		if (rc == 1 && store_own_row_copy(&v, row, why) < 0)
			rc = -1;
	}
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return rc;
}

int store_own_mysql_put(struct store *st, const struct store_own_row *row,
			struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, row->subject);
	store_mysql_params_str(&p, 1, row->fact);
	store_mysql_params_str(&p, 2, row->value);
	store_mysql_params_num(&p, 3, row->first_seen);
	store_mysql_params_num(&p, 4, row->last_seen);
	rc = run(st, conn, SQL_PUT, &p, NULL, "own put", &stmt, why);
	if (stmt)
		mysql_stmt_close(stmt);
	return rc;
}

int store_own_mysql_del(struct store *st, const char *subject, const char *fact,
			struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, subject);
	store_mysql_params_str(&p, 1, fact);
	rc = run(st, conn, SQL_DELETE, &p, NULL, "own delete", &stmt, why);
	if (rc == 0)
		rc = mysql_stmt_affected_rows(stmt) > 0 ? 1 : 0;
	if (stmt)
		mysql_stmt_close(stmt);
	return rc;
}

int store_own_mysql_list(struct store *st, const char *subject,
			 store_own_fn fn, void *arg, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	struct own_result *r;
	struct store_own_row v;
	MYSQL_STMT *stmt = NULL;
	int rc, ret = -1;

	if (conn == NULL)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	store_mysql_params_str(&p, 0, subject);
	if (run(st, conn, SQL_LIST, &p, r, "own list", &stmt, why) == 0) {
		ret = 0;
		while ((rc = fetch(st, conn, stmt, r, &v, "own list", why)) == 1)
			if ((ret = fn(&v, arg)) != 0)
				break;
		if (rc < 0)
			ret = -1;
	}
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return ret;
}
