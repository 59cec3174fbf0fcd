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

static const struct store_mysql_shape5 own_shape = {
	{ STORE_OWN_KEY_MAX + 1, STORE_OWN_KEY_MAX + 1, STORE_OWN_VALUE_MAX + 1 },
	{ "subject", "fact", "value" },
};

/* A get (copy) or a list (fn) of rows */
struct own_walk {
	struct store *st;
	const char *what;
	struct store_own_row *copy;
	store_own_fn fn;
	void *arg;
};

static int own_each(const struct store_mysql_row5 *r, void *arg, struct errbuf *why)
{
	struct own_walk *w = arg;
	struct store_own_row v = { r->s[0], r->s[1], r->s[2], r->n[0], r->n[1] };

	if (store_own_row_check(&v, why) < 0) {
		errbuf_prefix(why, "%s: table " STORE_OWN_TABLE, w->what);
		return store_mysql_bad_row(w->st);
	}
	if (w->copy)
		return store_own_row_copy(&v, w->copy, why) < 0 ? -1 : 1;
	return w->fn(&v, w->arg);
}

int store_own_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_OWN_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_own_mysql_get(struct store *st, const char *subject, const char *fact,
			struct store_own_row *row, struct errbuf *why)
{
	struct store_mysql_params p;
	struct own_walk w = { st, "own get", row, NULL, NULL };

	store_mysql_params_str(&p, 0, subject);
	store_mysql_params_str(&p, 1, fact);
	return store_mysql_row5_query(st, STORE_OWN_TABLE, &own_shape, SQL_GET, &p, w.what,
				      own_each, &w, why);
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
	struct store_mysql_params p;
	struct own_walk w = { st, "own list", NULL, fn, arg };

	store_mysql_params_str(&p, 0, subject);
	return store_mysql_row5_query(st, STORE_OWN_TABLE, &own_shape, SQL_LIST, &p, w.what,
				      own_each, &w, why);
}
