/* SPDX-License-Identifier: MIT */
/*
 * store_report_mysql.c - table tlspolicy_report (store_report.h) in the
 * MariaDB backend, on the connection of store_mysql.c.  A missing table
 * (error 1146 when a statement on it is prepared) is
 * STORE_REPORT_NO_TABLE.  The replace is one transaction.
 *
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_report` (\n"                     \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `taken` bigint(20) NOT NULL,\n"                                      \
	"  `policy` varchar(512) NOT NULL,\n"                                   \
	"  `published` varchar(64) NOT NULL,\n"                                 \
	"  `sent` bigint(20) NOT NULL,\n"                                       \
	"  `verified` bigint(20) NOT NULL,\n"                                   \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_COLS "domain, taken, policy, published, sent, verified"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_report LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_report ORDER BY domain"
#define SQL_CLEAR "DELETE FROM tlspolicy_report"
#define SQL_PUT "REPLACE INTO tlspolicy_report (" SQL_COLS ") VALUES (?, ?, ?, ?, ?, ?)"

struct rep_result {
	MYSQL_BIND b[6];
	char domain[STORE_DOMAIN_MAX + 1];
	long long taken, sent, verified;
	char policy[STORE_REPORT_POLICY_MAX + 1];
	char published[STORE_REPORT_PUBLISHED_MAX + 1];
	unsigned long len[6];
	my_bool is_null[6], error[6];
};

static MYSQL_STMT *prepare(struct store *st, MYSQL *conn, const char *sql,
			   const char *what, int *missing, struct errbuf *why)
{
	return store_mysql_prepare_opt(st, conn, STORE_REPORT_TABLE, sql, what, missing, why);
}

int store_report_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_REPORT_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_report_mysql_list(struct store *st, store_report_fn fn, void *arg,
			    struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct rep_result *r;
	MYSQL_STMT *stmt;
	int missing, rc, ret = -1;

	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_LIST, "report snapshot", &missing, why)) == NULL)
		return missing ? STORE_REPORT_NO_TABLE : -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		mysql_stmt_close(stmt);
		return errbuf_set(why, "out of memory");
	}
	{
		const struct store_mysql_col cols[6] = {
			{ r->domain, sizeof(r->domain), 0 },
			{ &r->taken, 0, 0 },
			{ r->policy, sizeof(r->policy), 0 },
			{ r->published, sizeof(r->published), 0 },
			{ &r->sent, 0, 0 },
			{ &r->verified, 0, 0 },
		};

		store_mysql_bind_results(r->b, cols, 6, r->len, r->is_null, r->error);
	}
	if (store_mysql_run(st, conn, stmt, NULL, r->b, STORE_REPORT_TABLE, "report snapshot",
			    why) < 0)
		goto done;
	ret = 0;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		struct store_report_row row;

		store_mysql_column(r->domain, sizeof(r->domain), r->len[0], r->is_null[0]);
		store_mysql_column(r->policy, sizeof(r->policy), r->len[2], r->is_null[2]);
		store_mysql_column(r->published, sizeof(r->published), r->len[3], r->is_null[3]);
		row.domain = r->domain;
		row.taken = r->is_null[1] ? 0 : r->taken;
		row.policy = r->policy;
		row.published = r->published;
		row.sent = r->sent > 0 && !r->is_null[4] ? (unsigned long)r->sent : 0;
		row.verified = r->verified > 0 && !r->is_null[5] ? (unsigned long)r->verified : 0;
		if ((ret = fn(&row, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != MYSQL_NO_DATA)
		ret = store_mysql_fail(st, conn, stmt, STORE_REPORT_TABLE, "report snapshot", why);
done:
	mysql_stmt_close(stmt);
	free(r);
	return ret;
}

/* A string s, else the number *num. */
static void param(MYSQL_BIND *b, unsigned long *len, const char *s, long long *num)
{
	if (s)
		store_mysql_param_str(b, len, s);
	else
		store_mysql_param_ll(b, num, 0);
}

int store_report_mysql_replace(struct store *st, const struct store_report_row *rows,
			       size_t n, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *clear = NULL, *put = NULL;
	char policy[STORE_REPORT_POLICY_MAX + 1], pub[STORE_REPORT_PUBLISHED_MAX + 1];
	int missing = 0, rc = -1;

	if (conn == NULL)
		return -1;
	if (mysql_autocommit(conn, 0) != 0)
		return store_mysql_fail(st, conn, NULL, STORE_REPORT_TABLE,
					"keep report snapshot", why);
	if ((clear = prepare(st, conn, SQL_CLEAR, "keep report snapshot", &missing, why)) == NULL ||
	    (put = prepare(st, conn, SQL_PUT, "keep report snapshot", &missing, why)) == NULL)
		goto out;
	if (store_mysql_run(st, conn, clear, NULL, NULL, STORE_REPORT_TABLE,
			    "keep report snapshot", why) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		MYSQL_BIND b[6];
		unsigned long len[6];
		long long taken = rows[i].taken, sent = (long long)rows[i].sent;
		long long ver = (long long)rows[i].verified;

		store_report_text(policy, sizeof(policy), rows[i].policy);
		store_report_text(pub, sizeof(pub), rows[i].published);
		param(&b[0], &len[0], rows[i].domain, NULL);
		param(&b[1], &len[1], NULL, &taken);
		param(&b[2], &len[2], policy, NULL);
		param(&b[3], &len[3], pub, NULL);
		param(&b[4], &len[4], NULL, &sent);
		param(&b[5], &len[5], NULL, &ver);
		if (store_mysql_run(st, conn, put, b, NULL, STORE_REPORT_TABLE,
				    "keep report snapshot", why) < 0)
			goto out;
	}
	if (mysql_commit(conn) != 0) {
		store_mysql_fail(st, conn, NULL, STORE_REPORT_TABLE, "keep report snapshot", why);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		mysql_rollback(conn);
	mysql_autocommit(conn, 1);
	if (clear)
		mysql_stmt_close(clear);
	if (put)
		mysql_stmt_close(put);
	return rc < 0 && missing ? STORE_REPORT_NO_TABLE : rc;
}
