/* SPDX-License-Identifier: MIT */
/*
 * store_mysql.c - the MariaDB/MySQL backend of the policy table, through
 * libmariadb (MariaDB Connector/C).
 *
 * It works on the ViMbAdmin-style table exactly as the issue gives it
 * (id int unsigned AUTO_INCREMENT, domain varchar(255) UNIQUE, policy
 * ENUM of the 8 levels, params varchar(255) NULL, InnoDB, latin1) and
 * never alters it; store_init() creates it with that DDL when missing.
 *
 * Every statement is a MYSQL_STMT with bound values.  The connection
 * has connect/read/write timeouts (URL ?timeout=, default
 * STORE_MYSQL_TIMEOUT), charset latin1 like the table, a strict session
 * sql_mode, LOAD DATA LOCAL disabled, and no option files read.
 * Autocommit stays on between writes, so a long-lived handle (the
 * daemon's reload) never reads from an old snapshot; a write turns it
 * off, commits or rolls back, and turns it on again.  A connection the
 * server dropped (wait_timeout, restart) is replaced before the next
 * operation, never in the middle of a transaction.
 *
 * LIMITS: result strings up to STORE_MYSQL_COLBUF-1 bytes (policy: 63);
 * a longer value (not possible with the documented table) makes its row
 * defective: reported by id, never used (store.h).
 */
#include "store/store_int.h"
#include "store/store_mysql_bind.h"
#include "util/log.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_MYSQL_COLBUF 1024
#define ER_NO_SUCH_TABLE_ 1146
/* "The MariaDB server is running with the --read-only option": a replica */
#define ER_OPTION_PREVENTS_STATEMENT_ 1290
#define CR_CONNECTION_ERROR_ 2002 /* socket */
#define CR_CONN_HOST_ERROR_ 2003  /* TCP */

struct mysql_store {
	struct store base;
	MYSQL *conn;          /* NULL after a failed reconnect */
	struct store_url url; /* to reconnect */
	int in_txn;           /* a transaction of ours is open on conn */
};

#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicies` (\n"                          \
	"  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n"                    \
	"  `domain` varchar(255) NOT NULL,\n"                                   \
	"  `policy` enum('none','may','encrypt','dane','dane-only',"            \
	"'fingerprint','verify','secure') NOT NULL,\n"                          \
	"  `params` varchar(255) DEFAULT NULL,\n"                               \
	"  PRIMARY KEY (`id`), UNIQUE KEY `domain` (`domain`)\n"                \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define SQL_EXISTS                                                              \
	"SELECT COUNT(*) FROM information_schema.TABLES "                       \
	"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
#define SQL_SHAPE "SELECT id, domain, policy, params FROM tlspolicies LIMIT 0"
#define SQL_GET \
	"SELECT id, domain, policy, params FROM tlspolicies WHERE domain = ?"
#define SQL_FIND \
	"SELECT id, domain, policy, params FROM tlspolicies WHERE domain = ? FOR UPDATE"
#define SQL_LIST \
	"SELECT id, domain, policy, params FROM tlspolicies ORDER BY domain"
#define SQL_INSERT \
	"INSERT INTO tlspolicies (domain, policy, params) VALUES (?, ?, ?)"
#define SQL_UPDATE "UPDATE tlspolicies SET policy = ?, params = ? WHERE id = ?"
#define SQL_DELETE "DELETE FROM tlspolicies WHERE domain = ?"
#define SQL_SESSION \
	"SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"

static int my_ready(struct mysql_store *m, struct errbuf *why);

/* Bound string parameters of one statement (at most 3). */
struct my_params {
	MYSQL_BIND b[3];
	unsigned long len[3];
	unsigned long long id;
};

/* Result buffers for "id, domain, policy, params". */
struct my_result {
	MYSQL_BIND b[4];
	unsigned long long id;
	char domain[STORE_MYSQL_COLBUF], policy[64], params[STORE_MYSQL_COLBUF];
	unsigned long len[4];
	my_bool is_null[4], error[4];
};

int store_mysql_fail(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		     const char *table, const char *what, struct errbuf *why)
{
	unsigned no = stmt ? mysql_stmt_errno(stmt) : mysql_errno(conn);
	const char *msg = stmt ? mysql_stmt_error(stmt) : mysql_error(conn);

	if (no == 0 && stmt) { /* e.g. prepare failed before stmt had errors */
		no = mysql_errno(conn);
		msg = mysql_error(conn);
	}
	st->err = store_mysql_err_class(no);
	if (no == ER_NO_SUCH_TABLE_)
		return errbuf_set(why, "%s: table %s does not exist in %s "
				  "(run 'tlspolicy db init')", what, table,
				  store_describe(st));
	if (no == ER_OPTION_PREVENTS_STATEMENT_)
		return errbuf_set(why, "%s: %s is read-only (a replica: %s); nothing "
				  "was changed: writes go to the primary, set "
				  "database_write = mysql://USER:PASSWORD@PRIMARY/DB in "
				  "tlspolicy.cf (or --db the primary's URL)", what,
				  store_describe(st), msg && *msg ? msg : "read_only");
	return errbuf_set(why, "%s: mysql: %s (error %u)", what,
			  msg && *msg ? msg : "unknown error", no);
}

int store_mysql_err_class(unsigned no)
{
	switch (no) {
	case 1044: /* ER_DBACCESS_DENIED_ERROR */
	case 1045: /* ER_ACCESS_DENIED_ERROR */
	case 1046: /* ER_NO_DB_ERROR */
	case 1049: /* ER_BAD_DB_ERROR */
	case 1054: /* ER_BAD_FIELD_ERROR: a table of another shape */
	case 1064: /* ER_PARSE_ERROR */
	case 1142: /* ER_TABLEACCESS_DENIED_ERROR */
	case 1143: /* ER_COLUMNACCESS_DENIED_ERROR */
	case 1146: /* ER_NO_SUCH_TABLE */
	case 1227: /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
	case 1264: /* ER_WARN_DATA_OUT_OF_RANGE (strict mode) */
	case 1265: /* WARN_DATA_TRUNCATED (strict mode) */
	case 1366: /* ER_TRUNCATED_WRONG_VALUE_FOR_FIELD */
	case 1406: /* ER_DATA_TOO_LONG */
	case 1644: /* ER_SIGNAL_EXCEPTION: a trigger refused the row */
	case 4025: /* ER_CONSTRAINT_FAILED (CHECK) */
	case 1062: /* ER_DUP_ENTRY */
	case 1698: /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
	case 1290: /* ER_OPTION_PREVENTS_STATEMENT: read_only (a replica) */
	case 2005: /* CR_UNKNOWN_HOST */
		return STORE_ERR_CONFIG;
	default:
		/* 2002/2003 not reachable, 2006/2013 server gone/lost, 1205
		 * lock wait timeout, 1213 deadlock, 1040 too many connections,
		 * 1927 connection killed, and whatever is not listed */
		return STORE_ERR_RETRY;
	}
}

MYSQL_STMT *store_mysql_prepare_opt(struct store *st, MYSQL *conn, const char *table,
				    const char *sql, const char *what, int *missing,
				    struct errbuf *why)
{
	MYSQL_STMT *stmt = mysql_stmt_init(conn);

	if (missing)
		*missing = 0;
	if (stmt == NULL) {
		store_mysql_fail(st, conn, NULL, table, what, why);
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
		if (missing && (mysql_stmt_errno(stmt) == ER_NO_SUCH_TABLE_ ||
				mysql_errno(conn) == ER_NO_SUCH_TABLE_))
			*missing = 1;
		else
			store_mysql_fail(st, conn, stmt, table, what, why);
		mysql_stmt_close(stmt);
		return NULL;
	}
	return stmt;
}

MYSQL_STMT *store_mysql_prepare(struct store *st, MYSQL *conn, const char *table,
				const char *sql, const char *what,
				struct errbuf *why)
{
	return store_mysql_prepare_opt(st, conn, table, sql, what, NULL, why);
}

int store_mysql_run(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		    MYSQL_BIND *params, MYSQL_BIND *results, const char *table,
		    const char *what, struct errbuf *why)
{
	if (params && mysql_stmt_bind_param(stmt, params) != 0)
		return store_mysql_fail(st, conn, stmt, table, what, why);
	if (mysql_stmt_execute(stmt) != 0)
		return store_mysql_fail(st, conn, stmt, table, what, why);
	if (results && (mysql_stmt_bind_result(stmt, results) != 0 ||
			mysql_stmt_store_result(stmt) != 0))
		return store_mysql_fail(st, conn, stmt, table, what, why);
	return 0;
}

int store_mysql_column(char *buf, size_t cap, unsigned long len, int is_null)
{
	size_t n = is_null ? 0 : len;
	int rc = STORE_COL_OK;

	/* n == cap: the buffer is full and has no room for the NUL */
	if (n >= cap) {
		n = cap - 1;
		rc = STORE_COL_LONG;
	}
	buf[n] = '\0';
	if (rc == STORE_COL_OK && memchr(buf, '\0', n) != NULL)
		rc = STORE_COL_NUL;
	return rc;
}

int store_mysql_fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		      const char *table, int *truncated, const char *what,
		      struct errbuf *why)
{
	int rc = mysql_stmt_fetch(stmt);

	*truncated = rc == MYSQL_DATA_TRUNCATED;
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return store_mysql_fail(st, conn, stmt, table, what, why);
	return 1;
}

void store_mysql_param_str(MYSQL_BIND *b, unsigned long *len, const char *v)
{
	memset(b, 0, sizeof(*b));
	*len = (unsigned long)strlen(v);
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)v;
	b->buffer_length = *len;
	b->length = len;
}

void store_mysql_param_null(MYSQL_BIND *b)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_NULL;
}

void store_mysql_param_ll(MYSQL_BIND *b, void *v, int is_unsigned)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = is_unsigned ? 1 : 0;
}

void store_mysql_params_str(struct store_mysql_params *p, int i, const char *v)
{
	store_mysql_param_str(&p->b[i], &p->len[i], v);
}

void store_mysql_params_num(struct store_mysql_params *p, int i, long long v)
{
	p->num[i] = v;
	store_mysql_param_ll(&p->b[i], &p->num[i], 0);
}

int store_mysql_prepare_run(struct store *st, MYSQL *conn, const char *table,
			    const char *sql, struct store_mysql_params *params,
			    MYSQL_BIND *results, const char *what, MYSQL_STMT **out,
			    struct errbuf *why)
{
	MYSQL_STMT *stmt = store_mysql_prepare(st, conn, table, sql, what, why);

	*out = stmt;
	if (stmt == NULL)
		return -1;
	return store_mysql_run(st, conn, stmt, params ? params->b : NULL, results, table,
			       what, why);
}

int store_mysql_write(struct store *st, const char *table, const char *sql,
		      struct store_mysql_params *p, const char *what,
		      unsigned long *affected, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (conn == NULL)
		return -1;
	rc = store_mysql_prepare_run(st, conn, table, sql, p, NULL, what, &stmt, why);
	if (rc == 0 && affected != NULL)
		*affected = (unsigned long)mysql_stmt_affected_rows(stmt);
	if (stmt)
		mysql_stmt_close(stmt);
	return rc;
}

int store_mysql_bad_row(struct store *st)
{
	st->err = STORE_ERR_CONFIG;
	return -1;
}

/* A query's result row: the binds, the strings' buffers after it */
struct row5_buf {
	struct store_mysql_row5 v;
	MYSQL_BIND b[5];
	unsigned long len[5];
	my_bool is_null[5], error[5];
	char str[];
};

/* The next row into r: 1, 0 at the end, -1 with why (row5_query) */
static int row5_fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		      struct row5_buf *r, const struct store_mysql_shape5 *shape,
		      const char *table, const char *what, struct errbuf *why)
{
	int truncated;
	int rc = store_mysql_fetch(st, conn, stmt, table, &truncated, what, why);

	if (rc <= 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		size_t cap = shape->cap[i];
		int c = store_mysql_column(r->v.s[i], cap, r->len[i], r->is_null[i]);

		if (c == STORE_COL_LONG) { /* longer than the limit: an error, never cut */
			char d[80];

			printable(d, sizeof(d), r->v.s[0],
				  r->len[0] < shape->cap[0] ? r->len[0] : shape->cap[0] - 1);
			errbuf_set(why, "%s: table %s, row \"%s\": %s longer than %zu bytes",
				   what, table, d, shape->name[i], cap - 1);
			return store_mysql_bad_row(st);
		}
		if (c == STORE_COL_NUL) {
			errbuf_set(why, "%s: table %s: NUL byte in a value", what, table);
			return store_mysql_bad_row(st);
		}
	}
	if (truncated) { /* a number out of range */
		errbuf_set(why, "%s: table %s: a value does not fit", what, table);
		return store_mysql_bad_row(st);
	}
	for (int i = 0; i < 2; i++)
		if (r->is_null[3 + i])
			r->v.n[i] = -1;
	st->err = 0;
	return 1;
}

int store_mysql_row5_query(struct store *st, const char *table,
			   const struct store_mysql_shape5 *shape, const char *sql,
			   struct store_mysql_params *p, const char *what,
			   store_mysql_row5_fn each, void *arg, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *stmt = NULL;
	struct row5_buf *r;
	int rc, ret = -1;

	if (conn == NULL)
		return -1;
	r = calloc(1, sizeof(*r) + shape->cap[0] + shape->cap[1] + shape->cap[2]);
	if (r == NULL)
		return errbuf_set(why, "out of memory");
	r->v.s[0] = r->str;
	r->v.s[1] = r->v.s[0] + shape->cap[0];
	r->v.s[2] = r->v.s[1] + shape->cap[1];
	{
		const struct store_mysql_col cols[5] = {
			{ r->v.s[0], shape->cap[0], 0 },
			{ r->v.s[1], shape->cap[1], 0 },
			{ r->v.s[2], shape->cap[2], 0 },
			{ &r->v.n[0], 0, 0 },
			{ &r->v.n[1], 0, 0 },
		};

		store_mysql_bind_results(r->b, cols, 5, r->len, r->is_null, r->error);
	}
	if (store_mysql_prepare_run(st, conn, table, sql, p, r->b, what, &stmt, why) == 0) {
		ret = 0;
		while ((rc = row5_fetch(st, conn, stmt, r, shape, table, what, why)) == 1)
			if ((ret = each(&r->v, arg, why)) != 0)
				break;
		if (rc < 0)
			ret = -1;
	}
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return ret;
}

void store_mysql_bind_results(MYSQL_BIND *b, const struct store_mysql_col *cols,
			      size_t n, unsigned long *len, my_bool *is_null,
			      my_bool *error)
{
	memset(b, 0, n * sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		b[i].buffer = cols[i].buf;
		if (cols[i].cap > 0) {
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer_length = (unsigned long)cols[i].cap;
		} else {
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].is_unsigned = cols[i].is_unsigned ? 1 : 0;
		}
		b[i].length = &len[i];
		b[i].is_null = &is_null[i];
		b[i].error = &error[i];
	}
}

int store_mysql_init_table(struct store *st, const char *table,
			   const char *sql_create, const char *sql_shape,
			   int *created, struct errbuf *why)
{
	char what[3][64];
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *stmt;
	MYSQL_BIND p, b;
	unsigned long tlen = (unsigned long)strlen(table);
	long long count = 0;
	int rc;

	snprintf(what[0], sizeof(what[0]), "init %s", table);
	snprintf(what[1], sizeof(what[1]), "init: create %s", table);
	snprintf(what[2], sizeof(what[2]), "init: existing table %s", table);
	*created = 0;
	if (conn == NULL)
		return -1;
	if ((stmt = store_mysql_prepare(st, conn, table, SQL_EXISTS, what[0], why)) == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_STRING;
	p.buffer = (void *)table;
	p.buffer_length = tlen;
	p.length = &tlen;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONGLONG;
	b.buffer = &count;
	rc = store_mysql_run(st, conn, stmt, &p, &b, table, what[0], why);
	if (rc == 0 && mysql_stmt_fetch(stmt) != 0)
		rc = store_mysql_fail(st, conn, stmt, table, what[0], why);
	mysql_stmt_close(stmt);
	if (rc < 0)
		return -1;
	if (count == 0) {
		if ((stmt = store_mysql_prepare(st, conn, table, sql_create, what[1],
						why)) == NULL)
			return -1;
		rc = store_mysql_run(st, conn, stmt, NULL, NULL, table, what[1], why);
		mysql_stmt_close(stmt);
		if (rc < 0)
			return -1;
		*created = 1;
	}
	/* the table (an existing one too) must have the columns we use */
	if ((stmt = store_mysql_prepare(st, conn, table, sql_shape, what[2], why)) == NULL)
		return -1;
	rc = store_mysql_run(st, conn, stmt, NULL, NULL, table, what[2], why);
	mysql_stmt_close(stmt);
	return rc;
}

/* The policy table's shorthands. */
static int my_err(struct mysql_store *m, MYSQL_STMT *stmt, const char *what,
		  struct errbuf *why)
{
	return store_mysql_fail(&m->base, m->conn, stmt, STORE_TABLE, what, why);
}

static MYSQL_STMT *my_prepare(struct mysql_store *m, const char *sql,
			      const char *what, struct errbuf *why)
{
	return store_mysql_prepare(&m->base, m->conn, STORE_TABLE, sql, what, why);
}

/* An empty or missing value is SQL NULL in tlspolicies (params). */
static void param_str(struct my_params *p, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		store_mysql_param_null(&p->b[i]);
	else
		store_mysql_param_str(&p->b[i], &p->len[i], v);
}

static void param_id(struct my_params *p, int i, unsigned long long id)
{
	p->id = id;
	store_mysql_param_ll(&p->b[i], &p->id, 1);
}

static void result_bind(struct my_result *r)
{
	const struct store_mysql_col cols[4] = {
		{ &r->id, 0, 1 },
		{ r->domain, sizeof(r->domain), 0 },
		{ r->policy, sizeof(r->policy), 0 },
		{ r->params, sizeof(r->params), 0 },
	};

	store_mysql_bind_results(r->b, cols, 4, r->len, r->is_null, r->error);
}

/* Executes stmt with params bound and results bound to r (either may be
 * NULL) and buffers the result set client-side. */
static int my_execute(struct mysql_store *m, MYSQL_STMT *stmt,
		      struct my_params *p, struct my_result *r,
		      const char *what, struct errbuf *why)
{
	if (r)
		result_bind(r);
	return store_mysql_run(&m->base, m->conn, stmt, p ? p->b : NULL,
			       r ? r->b : NULL, STORE_TABLE, what, why);
}

/* Returns 1 with a row in r (strings NUL-terminated, row view filled),
 * 0 at the end, -1 on error.  A value that does not fit its buffer, or
 * holds a NUL byte, is cut and makes the row defective (reported by its
 * id by store_row_policy(), never used). */
static int my_fetch(struct mysql_store *m, MYSQL_STMT *stmt,
		    struct my_result *r, struct store_row *row,
		    const char *what, struct errbuf *why)
{
	char *col[3] = { r->domain, r->policy, r->params };
	size_t cap[3] = { sizeof(r->domain), sizeof(r->policy), sizeof(r->params) };
	int truncated;
	int rc = store_mysql_fetch(&m->base, m->conn, stmt, STORE_TABLE, &truncated,
				   what, why);

	if (rc <= 0)
		return rc;
	memset(row, 0, sizeof(*row));
	if (truncated && r->error[0])
		return errbuf_set(why, "%s: an id does not fit", what);
	for (int i = 0; i < 3; i++) {
		switch (store_mysql_column(col[i], cap[i], r->len[i + 1],
					   r->is_null[i + 1])) {
		case STORE_COL_LONG:
			row->defect = "a value longer than the column allows";
			break;
		case STORE_COL_NUL:
			row->defect = "NUL byte in a value";
			break;
		}
	}
	row->id = (unsigned long)r->id;
	row->domain = r->domain;
	row->policy = r->policy;
	row->params = r->is_null[3] ? NULL : r->params;
	return 1;
}

static void my_close(struct store *st)
{
	struct mysql_store *m = (struct mysql_store *)st;

	if (m->conn)
		mysql_close(m->conn);
	store_url_free(&m->url);
	free(m);
}

static int my_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

static int my_get(struct store *st, const char *domain, struct store_row *row,
		  struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;
	struct my_params p;
	struct my_result *r;
	struct store_row view;
	MYSQL_STMT *stmt;
	int rc = -1;

	if (my_ready(m, why) < 0)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if ((stmt = my_prepare(m, SQL_GET, "get", why)) == NULL)
		goto done;
	param_str(&p, 0, domain);
	if (my_execute(m, stmt, &p, r, "get", why) < 0)
		goto done;
	rc = my_fetch(m, stmt, r, &view, "get", why);
	if (rc == 1) {
		row->id = view.id;
		row->defect = view.defect;
		row->domain = strdup(view.domain);
		row->policy = strdup(view.policy);
		row->params = view.params ? strdup(view.params) : NULL;
		if (!row->domain || !row->policy || (view.params && !row->params)) {
			store_row_free(row);
			rc = errbuf_set(why, "out of memory");
		}
	}
done:
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return rc;
}

/* The provenance of a row just added or changed (pput NULL: no table). */
static int my_prov(struct mysql_store *m, MYSQL_STMT *pput,
		   const struct store_put_item *it, struct store_counts *c,
		   struct errbuf *why)
{
	if (pput == NULL || it->prov == NULL)
		return 0;
	if (store_prov_mysql_put(&m->base, m->conn, pput, it->domain, it->policy,
				 it->params, it->prov, why) < 0)
		return -1;
	c->provenance++;
	return 0;
}

static int my_put_one(struct mysql_store *m, MYSQL_STMT *find,
		      MYSQL_STMT *ins, MYSQL_STMT *upd, MYSQL_STMT *pput,
		      struct my_result *r, const struct store_put_item *it,
		      struct store_counts *c, struct errbuf *why)
{
	struct my_params p;
	struct store_row view;
	int rc;

	if (it->policy == NULL) {
		MYSQL_STMT *del = my_prepare(m, SQL_DELETE, "delete", why);

		if (del == NULL)
			return -1;
		param_str(&p, 0, it->domain);
		rc = my_execute(m, del, &p, NULL, it->domain, why);
		if (rc == 0 && mysql_stmt_affected_rows(del) > 0) {
			c->removed++;
			rc = store_prov_mysql_del(&m->base, m->conn, it->domain, why) < 0 ? -1 : 0;
		}
		mysql_stmt_close(del);
		return rc;
	}
	param_str(&p, 0, it->domain);
	if (my_execute(m, find, &p, r, it->domain, why) < 0)
		return -1;
	rc = my_fetch(m, find, r, &view, it->domain, why);
	mysql_stmt_free_result(find);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		param_str(&p, 0, it->domain);
		param_str(&p, 1, it->policy);
		param_str(&p, 2, it->params);
		if (my_execute(m, ins, &p, NULL, it->domain, why) < 0)
			return -1;
		c->added++;
		return my_prov(m, pput, it, c, why);
	}
	if (store_same(view.policy, view.params, it->policy, it->params)) {
		c->unchanged++;
		return 0;
	}
	param_str(&p, 0, it->policy);
	param_str(&p, 1, it->params);
	param_id(&p, 2, r->id);
	if (my_execute(m, upd, &p, NULL, it->domain, why) < 0)
		return -1;
	c->changed++;
	return my_prov(m, pput, it, c, why);
}

static int my_put_many(struct store *st, const struct store_put_item *items,
		       size_t n, int flags, struct store_counts *counts,
		       struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;
	MYSQL_STMT *find = NULL, *ins = NULL, *upd = NULL, *pput = NULL;
	struct my_result *r;
	int any_prov = 0;

	for (size_t i = 0; i < n; i++)
		any_prov |= items[i].prov != NULL;
	if (my_ready(m, why) < 0)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if (mysql_autocommit(m->conn, 0) != 0) {
		free(r);
		return my_err(m, NULL, "write: begin", why);
	}
	if ((find = my_prepare(m, SQL_FIND, "write", why)) == NULL ||
	    (ins = my_prepare(m, SQL_INSERT, "write", why)) == NULL ||
	    (upd = my_prepare(m, SQL_UPDATE, "write", why)) == NULL)
		goto fail;
	if (any_prov) {
		int rc = store_prov_mysql_prepare(st, m->conn, &pput, why);

		if (rc < 0)
			goto fail;
		counts->provenance_missing = rc == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (my_put_one(m, find, ins, upd, pput, r, &items[i], counts, why) < 0)
			goto fail;
	if (flags & STORE_DRY_RUN) {
		if (mysql_rollback(m->conn) != 0) {
			my_err(m, NULL, "dry run: rollback", why);
			goto fail;
		}
	} else if (mysql_commit(m->conn) != 0) {
		my_err(m, NULL, "commit", why);
		goto fail;
	}
	mysql_stmt_close(find);
	mysql_stmt_close(ins);
	mysql_stmt_close(upd);
	if (pput)
		mysql_stmt_close(pput);
	free(r);
	if (mysql_autocommit(m->conn, 1) != 0)
		return my_err(m, NULL, "write: end", why);
	return 0;
fail:
	if (find)
		mysql_stmt_close(find);
	if (ins)
		mysql_stmt_close(ins);
	if (upd)
		mysql_stmt_close(upd);
	if (pput)
		mysql_stmt_close(pput);
	free(r);
	mysql_rollback(m->conn);
	mysql_autocommit(m->conn, 1);
	memset(counts, 0, sizeof(*counts));
	return -1;
}

static int my_delete(struct store *st, const char *domain, struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;
	struct my_params p;
	MYSQL_STMT *stmt;
	int rc;

	if (my_ready(m, why) < 0)
		return -1;
	/* the row and its provenance in one transaction */
	if (mysql_autocommit(m->conn, 0) != 0)
		return my_err(m, NULL, "delete: begin", why);
	if ((stmt = my_prepare(m, SQL_DELETE, "delete", why)) == NULL) {
		rc = -1;
		goto end;
	}
	param_str(&p, 0, domain);
	rc = my_execute(m, stmt, &p, NULL, "delete", why);
	if (rc == 0)
		rc = mysql_stmt_affected_rows(stmt) > 0 ? 1 : 0;
	mysql_stmt_close(stmt);
	if (rc == 1 && store_prov_mysql_del(st, m->conn, domain, why) < 0)
		rc = -1;
	if (rc >= 0 && mysql_commit(m->conn) != 0)
		rc = my_err(m, NULL, "delete: commit", why);
end:
	if (rc < 0)
		mysql_rollback(m->conn);
	if (mysql_autocommit(m->conn, 1) != 0 && rc >= 0)
		return my_err(m, NULL, "delete: end", why);
	return rc;
}

static int my_list(struct store *st, store_row_fn fn, void *arg,
		   struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;
	struct my_result *r;
	struct store_row view;
	MYSQL_STMT *stmt;
	int rc, ret = -1;

	if (my_ready(m, why) < 0)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return errbuf_set(why, "out of memory");
	if ((stmt = my_prepare(m, SQL_LIST, "list", why)) == NULL)
		goto done;
	if (my_execute(m, stmt, NULL, r, "list", why) < 0)
		goto done;
	ret = 0;
	while ((rc = my_fetch(m, stmt, r, &view, "list", why)) == 1)
		if ((ret = fn(&view, arg)) != 0)
			break;
	if (rc < 0)
		ret = -1;
done:
	if (stmt)
		mysql_stmt_close(stmt);
	free(r);
	return ret;
}

static const struct store_ops mysql_ops = {
	.name = "mysql",
	.close = my_close,
	.init = my_init,
	.get = my_get,
	.put_many = my_put_many,
	.del = my_delete,
	.list = my_list,
	.sts_init = store_sts_mysql_init,
	.sts_get = store_sts_mysql_get,
	.sts_put = store_sts_mysql_put,
	.sts_del = store_sts_mysql_del,
	.sts_list = store_sts_mysql_list,
	.sts_purge = store_sts_mysql_purge,
	.lease_init = store_sts_mysql_lease_init,
	.lease_claim = store_sts_mysql_claim,
	.lease_release = store_sts_mysql_release,
	.lease_purge = store_sts_mysql_lease_purge,
	.sts_txn = store_sts_mysql_txn,
	.prov_init = store_prov_mysql_init,
	.prov_list = store_prov_mysql_list,
	.own_init = store_own_mysql_init,
	.own_get = store_own_mysql_get,
	.own_put = store_own_mysql_put,
	.own_del = store_own_mysql_del,
	.own_list = store_own_mysql_list,
	.bypass_init = store_bypass_mysql_init,
	.bypass_put = store_bypass_mysql_put,
	.bypass_del = store_bypass_mysql_del,
	.bypass_list = store_bypass_mysql_list,
	.report_init = store_report_mysql_init,
	.report_list = store_report_mysql_list,
	.report_replace = store_report_mysql_replace,
	.change_init = store_change_mysql_init,
	.change_mark = store_change_mysql_mark,
};

int store_mysql_global_init(struct errbuf *why)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		return errbuf_set(why, "cannot initialise libmariadb");
	return 0;
}

void store_mysql_global_end(void)
{
	mysql_library_end();
}

/* Connects m->conn from m->url; on failure m->conn is NULL. */
static int my_connect(struct mysql_store *m, struct errbuf *why)
{
	const struct store_url *u = &m->url;
	unsigned timeout = u->timeout ? u->timeout : STORE_MYSQL_TIMEOUT;
	unsigned proto;
	my_bool off = 0;
	const char *host = u->host;
	char *desc;

	m->conn = mysql_init(NULL);
	if (m->conn == NULL)
		return errbuf_set(why, "cannot initialise libmariadb (out of memory?)");
	mysql_options(m->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m->conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m->conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(m->conn, MYSQL_SET_CHARSET_NAME, "latin1");
	mysql_options(m->conn, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_options(m->conn, MYSQL_INIT_COMMAND, SQL_SESSION);
	if (u->socket) {
		proto = MYSQL_PROTOCOL_SOCKET;
		mysql_options(m->conn, MYSQL_OPT_PROTOCOL, &proto);
		host = "localhost";
	} else if (strcmp(u->host, "localhost") != 0) {
		proto = MYSQL_PROTOCOL_TCP;
		mysql_options(m->conn, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (mysql_real_connect(m->conn, host, u->user, u->password, u->dbname,
			       u->port, u->socket, 0) == NULL) {
		unsigned no = mysql_errno(m->conn);

		desc = store_url_describe(u);
		errbuf_set(why, "cannot connect to %s: %s%s (error %u)",
			   desc ? desc : "mysql",
			   no == CR_CONNECTION_ERROR_ || no == CR_CONN_HOST_ERROR_ ?
			   "server not reachable: " : "",
			   mysql_error(m->conn), no);
		free(desc);
		mysql_close(m->conn);
		m->conn = NULL;
		m->base.err = store_mysql_err_class(no);
		return m->base.err;
	}
	return 0;
}

/*
 * Before each operation: a connection the server closed meanwhile
 * (wait_timeout, restart) is replaced by a new one.  Never inside a
 * transaction -- libmariadb's own auto-reconnect stays off because it
 * would silently continue a broken transaction in autocommit mode.
 */
static int my_ready(struct mysql_store *m, struct errbuf *why)
{
	if (m->conn && mysql_ping(m->conn) == 0)
		return 0;
	if (m->conn)
		mysql_close(m->conn);
	m->conn = NULL;
	if (m->in_txn) {
		/* the server rolled the transaction back with the connection:
		 * a new one would carry on in autocommit as if the writes
		 * before were kept.  Fail until store_mysql_txn_open(0). */
		m->base.err = STORE_ERR_RETRY;
		errbuf_set(why, "mysql: the connection to the server was lost inside "
			   "a transaction; its writes were rolled back");
		return STORE_ERR_RETRY;
	}
	return my_connect(m, why);
}

static int url_copy(struct store_url *dst, const struct store_url *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	dst->port = src->port;
	dst->timeout = src->timeout;
#define COPY(f) \
	if (src->f && (dst->f = strdup(src->f)) == NULL) \
		goto fail
	COPY(user);
	COPY(password);
	COPY(host);
	COPY(dbname);
	COPY(socket);
#undef COPY
	return 0;
fail:
	store_url_free(dst);
	return -1;
}

int store_mysql_open(const struct store_url *u, struct store **out,
		     struct errbuf *why)
{
	struct mysql_store *m;
	int rc;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL || url_copy(&m->url, u) < 0) {
		free(m);
		return errbuf_set(why, "out of memory");
	}
	m->base.ops = &mysql_ops;
	if ((rc = my_connect(m, why)) < 0) {
		store_url_free(&m->url);
		free(m);
		return rc;
	}
	*out = &m->base;
	return 0;
}

struct st_mysql *store_mysql_conn(struct store *st, struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;

	return my_ready(m, why) < 0 ? NULL : m->conn;
}

void store_mysql_txn_open(struct store *st, int open)
{
	((struct mysql_store *)st)->in_txn = open;
}

/*
 * Replication state (store_replica_status).  SHOW REPLICA STATUS has no
 * prepared form worth having (its columns vary by version: read by
 * name); the statements are constant text, nothing from input.
 */
struct my_query {
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *fields;
	unsigned nfields;
};

static int my_query(struct mysql_store *m, const char *sql, struct my_query *q,
		    struct errbuf *why)
{
	memset(q, 0, sizeof(*q));
	if (mysql_real_query(m->conn, sql, strlen(sql)) != 0 ||
	    (q->res = mysql_store_result(m->conn)) == NULL)
		return store_mysql_fail(&m->base, m->conn, NULL, "replication",
					"replication status", why);
	q->fields = mysql_fetch_fields(q->res);
	q->nfields = mysql_num_fields(q->res);
	q->row = mysql_fetch_row(q->res);
	return 0;
}

/* The value of column name in q's row; NULL when absent or SQL NULL. */
static const char *my_col(const struct my_query *q, const char *name)
{
	if (q->row == NULL)
		return NULL;
	for (unsigned i = 0; i < q->nfields; i++)
		if (strcmp(q->fields[i].name, name) == 0)
			return q->row[i];
	return NULL;
}

static void my_copy(char *dst, size_t cap, const char *v)
{
	snprintf(dst, cap, "%s", v ? v : "");
}

static int my_replica_threads(struct mysql_store *m, struct store_replica *r,
			      struct errbuf *why)
{
	struct my_query q;
	const char *v;

	/* SHOW SLAVE STATUS: also MariaDB before 10.5 */
	if (my_query(m, "SHOW SLAVE STATUS", &q, why) < 0) {
		if (mysql_errno(m->conn) != 1227) /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
			return -1;
		r->denied = 1;
		errbuf_clear(why);
		m->base.err = 0;
		return 0;
	}
	if (q.row != NULL) {
		const char *host = my_col(&q, "Master_Host"), *port = my_col(&q, "Master_Port");

		r->is_replica = 1;
		snprintf(r->primary, sizeof(r->primary), "%s:%s", host ? host : "?",
			 port ? port : "?");
		my_copy(r->io_running, sizeof(r->io_running), my_col(&q, "Slave_IO_Running"));
		my_copy(r->sql_running, sizeof(r->sql_running),
			my_col(&q, "Slave_SQL_Running"));
		r->lag = (v = my_col(&q, "Seconds_Behind_Master")) ? strtoll(v, NULL, 10) : -1;
		v = my_col(&q, "Last_IO_Error");
		if (v == NULL || *v == '\0')
			v = my_col(&q, "Last_SQL_Error");
		my_copy(r->last_error, sizeof(r->last_error), v);
	}
	mysql_free_result(q.res);
	return 0;
}

static int my_galera(struct mysql_store *m, struct store_replica *r, struct errbuf *why)
{
	struct my_query q;

	if (my_query(m, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', "
		     "'wsrep_local_state_comment', 'wsrep_cluster_size')", &q, why) < 0)
		return -1;
	for (; q.row != NULL; q.row = mysql_fetch_row(q.res)) {
		const char *name = q.row[0], *v = q.row[1] ? q.row[1] : "";

		if (name == NULL)
			continue;
		if (strcmp(name, "wsrep_ready") == 0) {
			r->galera = 1;
			r->galera_ready = strcmp(v, "ON") == 0;
		} else if (strcmp(name, "wsrep_local_state_comment") == 0) {
			my_copy(r->galera_state, sizeof(r->galera_state), v);
		} else if (strcmp(name, "wsrep_cluster_size") == 0) {
			r->galera_size = strtol(v, NULL, 10);
		}
	}
	mysql_free_result(q.res);
	/* a server without the wsrep provider loaded has these at their
	 * defaults: OFF, "", 0 */
	if (r->galera && r->galera_size == 0 && !r->galera_ready)
		r->galera = 0;
	return 0;
}

int store_mysql_replica(struct store *st, struct store_replica *r, struct errbuf *why)
{
	struct mysql_store *m = (struct mysql_store *)st;
	struct my_query q;
	const char *v;

	if (my_ready(m, why) < 0)
		return -1;
	if (my_query(m, "SELECT @@global.read_only", &q, why) < 0)
		return -1;
	v = q.row ? q.row[0] : NULL;
	r->read_only = v && strcmp(v, "0") != 0;
	mysql_free_result(q.res);
	if (my_galera(m, r, why) < 0 || my_replica_threads(m, r, why) < 0)
		return -1;
	return 0;
}
