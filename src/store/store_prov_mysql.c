/* SPDX-License-Identifier: MIT */
/*
 * store_prov_mysql.c - table tlspolicy_provenance (store_prov.h) in the
 * MariaDB backend, on the connection of store_mysql.c.  The writes run
 * inside the transaction of the policy table's write (put_many, delete);
 * a missing table (error 1146 when a statement on it is prepared) means
 * "record nothing", never an error of the write.
 *
 * LIMITS: values read back longer than the column limits of store_prov.h
 * (written by hand) are shown cut; this table is information, never
 * policy.
 * SECURITY: every statement is a MYSQL_STMT with bound values.
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_provenance` (\n"                 \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `command` varchar(64) NOT NULL,\n"                                   \
	"  `written` bigint(20) NOT NULL,\n"                                    \
	"  `written_by` varchar(255) NOT NULL,\n"                               \
	"  `policy` varchar(512) NOT NULL,\n"                                   \
	"  `evidence` varchar(1024) NOT NULL,\n"                                \
	"  PRIMARY KEY (`domain`)\n"                                            \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_COLS "domain, command, written, written_by, policy, evidence"
#define SQL_SHAPE "SELECT " SQL_COLS " FROM tlspolicy_provenance LIMIT 0"
#define SQL_LIST "SELECT " SQL_COLS " FROM tlspolicy_provenance ORDER BY domain"
#define SQL_PUT                                                                 \
	"INSERT INTO tlspolicy_provenance (" SQL_COLS ") VALUES (?, ?, ?, ?, ?, ?)\n" \
	"  ON DUPLICATE KEY UPDATE domain = VALUES(domain),\n"                  \
	"  command = VALUES(command), written = VALUES(written),\n"             \
	"  written_by = VALUES(written_by), policy = VALUES(policy),\n"         \
	"  evidence = VALUES(evidence)"
#define SQL_DELETE "DELETE FROM tlspolicy_provenance WHERE domain = ?"

struct prov_params {
	MYSQL_BIND b[6];
	unsigned long len[6];
	long long num;
};

struct prov_result {
	MYSQL_BIND b[6];
	char domain[STORE_DOMAIN_MAX + 1];
	char command[STORE_PROV_COMMAND_MAX + 1];
	long long written;
	char by[STORE_PROV_BY_MAX + 1];
	char policy[STORE_PROV_POLICY_MAX + 1];
	char evidence[STORE_PROV_EVIDENCE_MAX + 1];
	unsigned long len[6];
	my_bool is_null[6], error[6];
};

/* A missing value is an empty string (the columns are NOT NULL). */
static void param_str(struct prov_params *p, int i, const char *v)
{
	store_mysql_param_str(&p->b[i], &p->len[i], v ? v : "");
}

static MYSQL_STMT *prepare(struct store *st, MYSQL *conn, const char *sql,
			   const char *what, int *missing, struct errbuf *why)
{
	return store_mysql_prepare_opt(st, conn, STORE_PROV_TABLE, sql, what, missing, why);
}

int store_prov_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_PROV_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_prov_mysql_prepare(struct store *st, MYSQL *conn, MYSQL_STMT **put,
			     struct errbuf *why)
{
	int missing;

	*put = prepare(st, conn, SQL_PUT, "write provenance", &missing, why);
	if (*put)
		return 1;
	return missing ? 0 : -1;
}

int store_prov_mysql_put(struct store *st, MYSQL *conn, MYSQL_STMT *put,
			 const char *domain, const char *policy, const char *params,
			 const struct store_provenance *p, struct errbuf *why)
{
	char text[STORE_PROV_POLICY_MAX + 1];
	struct prov_params b;

	store_prov_policy_text(text, sizeof(text), policy, params);
	param_str(&b, 0, domain);
	param_str(&b, 1, p->command);
	memset(&b.b[2], 0, sizeof(b.b[2]));
	b.num = p->written;
	b.b[2].buffer_type = MYSQL_TYPE_LONGLONG;
	b.b[2].buffer = &b.num;
	param_str(&b, 3, p->written_by);
	param_str(&b, 4, text);
	param_str(&b, 5, p->evidence);
	return store_mysql_run(st, conn, put, b.b, NULL, STORE_PROV_TABLE,
			       "write provenance", why);
}

int store_prov_mysql_del(struct store *st, MYSQL *conn, const char *domain,
			 struct errbuf *why)
{
	struct prov_params b;
	MYSQL_STMT *stmt;
	int missing, rc;

	if ((stmt = prepare(st, conn, SQL_DELETE, "delete provenance", &missing, why)) == NULL)
		return missing ? 0 : -1;
	param_str(&b, 0, domain);
	rc = store_mysql_run(st, conn, stmt, b.b, NULL, STORE_PROV_TABLE,
			     "delete provenance", why);
	mysql_stmt_close(stmt);
	return rc;
}

static void result_bind(struct prov_result *r)
{
	const struct store_mysql_col cols[6] = {
		{ r->domain, sizeof(r->domain), 0 },
		{ r->command, sizeof(r->command), 0 },
		{ &r->written, 0, 0 },
		{ r->by, sizeof(r->by), 0 },
		{ r->policy, sizeof(r->policy), 0 },
		{ r->evidence, sizeof(r->evidence), 0 },
	};

	store_mysql_bind_results(r->b, cols, 6, r->len, r->is_null, r->error);
}

int store_prov_mysql_list(struct store *st, store_prov_fn fn, void *arg,
			  struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	struct prov_result *r;
	MYSQL_STMT *stmt;
	int missing, rc, ret = -1;

	if (conn == NULL)
		return -1;
	if ((stmt = prepare(st, conn, SQL_LIST, "provenance", &missing, why)) == NULL)
		return missing ? STORE_PROV_NO_TABLE : -1;
	if ((r = malloc(sizeof(*r))) == NULL) {
		mysql_stmt_close(stmt);
		return errbuf_set(why, "out of memory");
	}
	result_bind(r);
	if (store_mysql_run(st, conn, stmt, NULL, r->b, STORE_PROV_TABLE, "provenance",
			    why) < 0)
		goto done;
	ret = 0;
	while ((rc = mysql_stmt_fetch(stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		struct store_prov_row row;
		char *s[6] = { r->domain, r->command, NULL, r->by, r->policy, r->evidence };
		size_t caps[6] = { sizeof(r->domain), sizeof(r->command), 0, sizeof(r->by),
				   sizeof(r->policy), sizeof(r->evidence) };

		for (int i = 0; i < 6; i++)
			if (s[i])       /* shown cut when too long: information only */
				store_mysql_column(s[i], caps[i], r->len[i], r->is_null[i]);
		row.domain = r->domain;
		row.command = r->command;
		row.written = r->is_null[2] ? 0 : r->written;
		row.written_by = r->by;
		row.policy = r->policy;
		row.evidence = r->evidence;
		if ((ret = fn(&row, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != MYSQL_NO_DATA)
		ret = store_mysql_fail(st, conn, stmt, STORE_PROV_TABLE, "provenance", why);
done:
	mysql_stmt_close(stmt);
	free(r);
	return ret;
}
