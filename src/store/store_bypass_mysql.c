/* SPDX-License-Identifier: MIT */
/*
 * store_bypass_mysql.c - table tlspolicy_bypass (store_bypass.h) in the
 * MariaDB backend.  LIMITS: results fetched into buffers one byte longer
 * than the limits; a longer value is an error, never cut.
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_bypass` (\n"                     \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `level` varchar(16) NOT NULL,\n"                                     \
	"  `reason` varchar(255) NOT NULL,\n"                                   \
	"  `created` bigint(20) NOT NULL,\n"                                    \
	"  `expires` bigint(20) NOT NULL,\n"                                    \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_COLS "domain, level, reason, created, expires"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_bypass LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_bypass ORDER BY domain"
#define SQL_PUT                                                                 \
	"INSERT INTO tlspolicy_bypass (" SQL_COLS ") VALUES (?, ?, ?, ?, ?)\n"  \
	"  ON DUPLICATE KEY UPDATE level = VALUES(level), reason = VALUES(reason),\n" \
	"  created = VALUES(created), expires = VALUES(expires)"
#define SQL_DELETE "DELETE FROM tlspolicy_bypass WHERE domain = ?"

struct bp_result {
	MYSQL_BIND b[5];
	char domain[STORE_BYPASS_KEY_MAX + 1];
	char level[STORE_BYPASS_LEVEL_MAX + 1];
	char reason[STORE_BYPASS_REASON_MAX + 1];
	long long created, expires;
	unsigned long len[5];
	my_bool is_null[5], error[5];
};

static void result_bind(struct bp_result *r)
{
	const struct store_mysql_col cols[5] = {
		{ r->domain, sizeof(r->domain), 0 },
		{ r->level, sizeof(r->level), 0 },
		{ r->reason, sizeof(r->reason), 0 },
		{ &r->created, 0, 0 },
		{ &r->expires, 0, 0 },
	};

	store_mysql_bind_results(r->b, cols, 5, r->len, r->is_null, r->error);
}

static int run(struct store *st, MYSQL *conn, const char *sql,
	       struct store_mysql_params *p, struct bp_result *r, const char *what,
	       MYSQL_STMT **out, struct errbuf *why)
{
	if (r)
		result_bind(r);
	return store_mysql_prepare_run(st, conn, STORE_BYPASS_TABLE, sql, p,
				       r ? r->b : NULL, what, out, why);
}

int store_bypass_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_BYPASS_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_bypass_mysql_put(struct store *st, const struct store_bypass_row *row,
			   struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, row->domain);
	store_mysql_params_str(&p, 1, row->level);
	store_mysql_params_str(&p, 2, row->reason);
	store_mysql_params_num(&p, 3, row->created);
	store_mysql_params_num(&p, 4, row->expires);
	rc = run(st, conn, SQL_PUT, &p, NULL, "bypass", &stmt, why);
	if (stmt)
		mysql_stmt_close(stmt);
	return rc;
}

int store_bypass_mysql_del(struct store *st, const char *domain, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct store_mysql_params p;
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (conn == NULL)
		return -1;
	store_mysql_params_str(&p, 0, domain);
	rc = run(st, conn, SQL_DELETE, &p, NULL, "bypass delete", &stmt, why);
	if (rc == 0)
		rc = mysql_stmt_affected_rows(stmt) > 0 ? 1 : 0;
	if (stmt)
		mysql_stmt_close(stmt);
	return rc;
}

int store_bypass_mysql_list(struct store *st, store_bypass_fn fn, void *arg,
			    struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct bp_result *r;
	struct store_bypass_row v;
	MYSQL_STMT *stmt = NULL;
	int rc, ret = -1;

	if (conn == NULL)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if (run(st, conn, SQL_LIST, NULL, r, "bypass list", &stmt, why) == 0) {
		ret = 0;
		while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
			char *col[3] = { r->domain, r->level, r->reason };
			size_t cap[3] = { sizeof(r->domain), sizeof(r->level), sizeof(r->reason) };

			for (int i = 0; i < 3 && ret == 0; i++)
				if (store_mysql_column(col[i], cap[i], r->len[i], r->is_null[i]) !=
				    STORE_COL_OK)
					ret = errbuf_set(why, "bypass list: table " STORE_BYPASS_TABLE
							 ": a value too long or with a NUL byte");
			if (ret == 0 && rc == MYSQL_DATA_TRUNCATED)
				ret = errbuf_set(why, "bypass list: table " STORE_BYPASS_TABLE
						 ": a value does not fit");
			if (ret != 0)
				break;
			v.domain = r->domain;
			v.level = r->level;
			v.reason = r->reason;
			v.created = r->is_null[3] ? -1 : r->created;
			v.expires = r->is_null[4] ? -1 : r->expires;
			if (store_bypass_row_check(&v, why) < 0) {
				ret = errbuf_prefix(why, "bypass list: table " STORE_BYPASS_TABLE);
				break;
			}
			if ((ret = fn(&v, arg)) != 0)
				break;
		}
		if (ret == 0 && rc != MYSQL_NO_DATA)
			ret = store_mysql_fail(st, conn, stmt, STORE_BYPASS_TABLE,
					       "bypass list", why);
	}
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return ret;
}
