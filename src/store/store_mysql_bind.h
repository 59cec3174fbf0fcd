/* SPDX-License-Identifier: MIT */
/*
 * store_mysql_bind - MYSQL_BIND set-up shared by the MariaDB files of
 * the store (store_mysql.c and the table files store_*_mysql.c):
 * statement parameters and result columns.  Internal to store/.
 */
#ifndef TP_STORE_MYSQL_BIND_H
#define TP_STORE_MYSQL_BIND_H

#include <stddef.h>
#include <mysql.h>

struct store;
struct errbuf;

/* Parameter b: the string v (not NULL; "" is an empty string), its
 * length kept in *len; SQL NULL; a BIGINT read from *v (long long, or
 * unsigned long long with is_unsigned). */
void store_mysql_param_str(MYSQL_BIND *b, unsigned long *len, const char *v);
void store_mysql_param_null(MYSQL_BIND *b);
void store_mysql_param_ll(MYSQL_BIND *b, void *v, int is_unsigned);

/* The parameters of one statement (at most STORE_MYSQL_NPARAMS): the
 * binds with the lengths of their strings and the values of their
 * numbers, kept together so that they live as long as the statement's
 * execution.  params_str: parameter i is the string v (not NULL);
 * params_num: parameter i is the BIGINT v. */
#define STORE_MYSQL_NPARAMS 5
struct store_mysql_params {
	MYSQL_BIND b[STORE_MYSQL_NPARAMS];
	unsigned long len[STORE_MYSQL_NPARAMS];
	long long num[STORE_MYSQL_NPARAMS];
};
void store_mysql_params_str(struct store_mysql_params *p, int i, const char *v);
void store_mysql_params_num(struct store_mysql_params *p, int i, long long v);

/* store_mysql_prepare() of sql on table, then store_mysql_run() with
 * params (may be NULL) and the already bound results (may be NULL);
 * the statement in *out (NULL when it could not be prepared). */
int store_mysql_prepare_run(struct store *st, MYSQL *conn, const char *table,
			    const char *sql, struct store_mysql_params *params,
			    MYSQL_BIND *results, const char *what, MYSQL_STMT **out,
			    struct errbuf *why);

/* One result column: a string buffer of cap bytes, or (cap 0) a BIGINT
 * into buf (long long, or unsigned long long with is_unsigned). */
struct store_mysql_col {
	void *buf;
	size_t cap;
	int is_unsigned;
};
/* Binds the n columns of a result to b, with their lengths, NULL and
 * truncation flags in len, is_null, error (n of each). */
void store_mysql_bind_results(MYSQL_BIND *b, const struct store_mysql_col *cols,
			      size_t n, unsigned long *len, my_bool *is_null,
			      my_bool *error);

/* The next row of stmt: 1 (with *truncated when a value did not fit its
 * buffer), 0 at the end, -1 on error (store_mysql_fail() on table). */
int store_mysql_fetch(struct store *st, MYSQL *conn, MYSQL_STMT *stmt,
		      const char *table, int *truncated, const char *what,
		      struct errbuf *why);

/* A write (sql with params p, no result) on table: *affected (may be
 * NULL) = the rows it changed.  0, or -1 with why. */
int store_mysql_write(struct store *st, const char *table, const char *sql,
		      struct store_mysql_params *p, const char *what,
		      unsigned long *affected, struct errbuf *why);

/*
 * Queries of the tables whose rows are three strings and two BIGINTs
 * (tlspolicy_sts, tlspolicy_bypass, tlspolicy_own).  A shape gives the
 * string columns' buffer sizes (the longest valid value + 1) and their
 * names for messages.  store_mysql_row5_query() runs sql with params p
 * (may be NULL) and calls each() for every row, with the strings
 * NUL-terminated in r->s and the numbers in r->n (-1 for SQL NULL),
 * until each returns non-zero; returns that value, 0 after the last
 * row, or -1 with why.  A row that does not fit ("WHAT: table T, row
 * \"KEY\": NAME longer than N bytes", "...: NUL byte in a value",
 * "...: a value does not fit") is an error of the admin's to fix (the
 * store's error class says so); each() that rejects a row does the same
 * with store_mysql_bad_row().
 */
struct store_mysql_shape5 {
	size_t cap[3];
	const char *name[3];
};
struct store_mysql_row5 {
	char *s[3];
	long long n[2];
};
typedef int (*store_mysql_row5_fn)(const struct store_mysql_row5 *r, void *arg,
				   struct errbuf *why);
int store_mysql_row5_query(struct store *st, const char *table,
			   const struct store_mysql_shape5 *shape, const char *sql,
			   struct store_mysql_params *p, const char *what,
			   store_mysql_row5_fn each, void *arg, struct errbuf *why);
/* -1: marks the store's last error as the admin's to fix (a bad row) */
int store_mysql_bad_row(struct store *st);

#endif
