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
	struct store_mysql_row5 r;
	char subject[STORE_OWN_KEY_MAX + 1];
	char fact[STORE_OWN_KEY_MAX + 1];
	char value[STORE_OWN_VALUE_MAX + 1];
};

/* stmt: sql with params p, its results bound to a new *out */
static int run(struct store *st, MYSQL *conn, const char *sql,
	       struct store_mysql_params *p, struct own_result **out, const char *what,
	       MYSQL_STMT **stmt, struct errbuf *why)
{
	struct own_result *r;

	*stmt = NULL;
	if ((*out = r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	r->r = (struct store_mysql_row5){
		.s = { r->subject, r->fact, r->value },
		.cap = { sizeof(r->subject), sizeof(r->fact), sizeof(r->value) },
		.name = { "subject", "fact", "value" },
	};
	store_mysql_row5_bind(&r->r);
	return store_mysql_prepare_run(st, conn, STORE_OWN_TABLE, sql, p, r->r.b, what,
				       stmt, why);
}

static int fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		 struct own_result *r, struct store_own_row *v,
		 const char *what, struct errbuf *why)
{
	int rc = store_mysql_row5_fetch(st, conn, stmt, &r->r, STORE_OWN_TABLE, what, why);

	if (rc <= 0)
		return rc;
	v->subject = r->subject;
	v->fact = r->fact;
	v->value = r->value;
	v->first_seen = r->r.n[0];
	v->last_seen = r->r.n[1];
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
	struct own_result *r = NULL;
	struct store_own_row v;
	MYSQL_STMT *stmt = NULL;
	int rc = -1;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, subject);
	store_mysql_params_str(&p, 1, fact);
	if (run(st, conn, SQL_GET, &p, &r, "own get", &stmt, why) == 0) {
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
	struct store_mysql_params p;

	store_mysql_params_str(&p, 0, row->subject);
	store_mysql_params_str(&p, 1, row->fact);
	store_mysql_params_str(&p, 2, row->value);
	store_mysql_params_num(&p, 3, row->first_seen);
	store_mysql_params_num(&p, 4, row->last_seen);
	return store_mysql_write(st, STORE_OWN_TABLE, SQL_PUT, &p, "own put", NULL, why);
}

int store_own_mysql_del(struct store *st, const char *subject, const char *fact,
			struct errbuf *why)
{
	struct store_mysql_params p;
	unsigned long n = 0;

	store_mysql_params_str(&p, 0, subject);
	store_mysql_params_str(&p, 1, fact);
	if (store_mysql_write(st, STORE_OWN_TABLE, SQL_DELETE, &p, "own delete", &n,
			      why) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_own_mysql_list(struct store *st, const char *subject,
			 store_own_fn fn, void *arg, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	struct own_result *r = NULL;
	struct store_own_row v;
	MYSQL_STMT *stmt = NULL;
	int rc, ret = -1;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, subject);
	if (run(st, conn, SQL_LIST, &p, &r, "own list", &stmt, why) == 0) {
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
