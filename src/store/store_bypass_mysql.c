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

static const struct store_mysql_shape5 bypass_shape = {
	{ STORE_BYPASS_KEY_MAX + 1, STORE_BYPASS_LEVEL_MAX + 1, STORE_BYPASS_REASON_MAX + 1 },
	{ "domain", "level", "reason" },
};

struct bypass_walk {
	struct store *st;
	store_bypass_fn fn;
	void *arg;
};

static int bypass_each(const struct store_mysql_row5 *r, void *arg, struct errbuf *why)
{
	struct bypass_walk *w = arg;
	struct store_bypass_row v = { r->s[0], r->s[1], r->s[2], r->n[0], r->n[1] };

	if (store_bypass_row_check(&v, why) < 0) {
		errbuf_prefix(why, "bypass list: table " STORE_BYPASS_TABLE);
		return store_mysql_bad_row(w->st);
	}
	return w->fn(&v, w->arg);
}

int store_bypass_mysql_init(struct store *st, int *created, struct errbuf *why)
{
	return store_mysql_init_table(st, STORE_BYPASS_TABLE, SQL_CREATE, SQL_SHAPE,
				      created, why);
}

int store_bypass_mysql_put(struct store *st, const struct store_bypass_row *row,
			   struct errbuf *why)
{
	struct store_mysql_params p;

	store_mysql_params_str(&p, 0, row->domain);
	store_mysql_params_str(&p, 1, row->level);
	store_mysql_params_str(&p, 2, row->reason);
	store_mysql_params_num(&p, 3, row->created);
	store_mysql_params_num(&p, 4, row->expires);
	return store_mysql_write(st, STORE_BYPASS_TABLE, SQL_PUT, &p, "bypass", NULL, why);
}

int store_bypass_mysql_del(struct store *st, const char *domain, struct errbuf *why)
{
	struct store_mysql_params p;
	unsigned long n = 0;

	store_mysql_params_str(&p, 0, domain);
	if (store_mysql_write(st, STORE_BYPASS_TABLE, SQL_DELETE, &p, "bypass delete", &n,
			      why) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_bypass_mysql_list(struct store *st, store_bypass_fn fn, void *arg,
			    struct errbuf *why)
{
	struct bypass_walk w = { st, fn, arg };

	return store_mysql_row5_query(st, STORE_BYPASS_TABLE, &bypass_shape, SQL_LIST, NULL,
				      "bypass list", bypass_each, &w, why);
}
