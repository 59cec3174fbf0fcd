/* SPDX-License-Identifier: MIT */
/*
 * store_change_mysql.c - the change marker (store_change.h) in the
 * MariaDB backend: table tlspolicy_meta, its triggers, CHECKSUM TABLE
 * as the fallback.  The check is one round trip after the connection
 * check (text protocol: a constant statement, nothing bound).
 * SECURITY: constant statements only.
 */
#include "store/store_int.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ER_NO_SUCH_TABLE_ 1146
#define SQL_CREATE                                                              \
	"CREATE TABLE IF NOT EXISTS `tlspolicy_meta` (\n"                       \
	"  `name` varchar(64) NOT NULL,\n"                                      \
	"  `value` bigint(20) NOT NULL,\n"                                      \
	"  PRIMARY KEY (`name`)\n"                                              \
	") ENGINE=InnoDB DEFAULT CHARSET=latin1"
#define TRIGGER(t, suffix, event)                                               \
	"CREATE TRIGGER IF NOT EXISTS tlspolicy_meta_" t "_" suffix " AFTER "    \
	event " ON " t " FOR EACH ROW " STORE_META_SQL_BUMP
#define SQL_ROW "INSERT IGNORE INTO tlspolicy_meta (name, value) VALUES ('changes', 1)"
#define SQL_CHECKSUM "CHECKSUM TABLE tlspolicies, tlspolicy_bypass"

static const char *const triggers[] = { STORE_META_TRIGGERS(TRIGGER) };

static int query(struct store *st, MYSQL *conn, const char *sql, const char *what,
		 struct errbuf *why)
{
	if (mysql_real_query(conn, sql, (unsigned long)strlen(sql)) != 0)
		return store_mysql_fail(st, conn, NULL, STORE_META_TABLE, what, why);
	return 0;
}

/* The privilege errors of CREATE TRIGGER: no TRIGGER privilege (1142),
 * binary logging without SUPER (1419), another privilege (1227). */
static int privilege_error(unsigned no)
{
	return no == 1142 || no == 1419 || no == 1227 || no == 1044;
}

int store_change_mysql_init(struct store *st, int *created, int *marker,
			    struct errbuf *warn, struct errbuf *why)
{
	MYSQL *conn;

	*marker = 0;
	if (store_mysql_init_table(st, STORE_META_TABLE, SQL_CREATE, STORE_META_SQL_SHAPE,
				   created, why) < 0)
		return -1;
	if ((conn = store_mysql_conn(st, why)) == NULL)
		return -1;
	/* DDL is not transactional here: the row comes last, after every
	 * trigger exists, so that a row always means "triggers in place" */
	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
		if (mysql_real_query(conn, triggers[i], (unsigned long)strlen(triggers[i])) == 0)
			continue;
		if (privilege_error(mysql_errno(conn))) {
			errbuf_set(warn, "cannot create the triggers of %s: %s (error %u); "
				   "daemons detect changes with CHECKSUM TABLE instead (a full "
				   "scan on the server at every check): grant the TRIGGER privilege "
				   "(with binary logging also SUPER, or set "
				   "log_bin_trust_function_creators = 1) and run tlspolicy db init again",
				   STORE_META_TABLE, mysql_error(conn), mysql_errno(conn));
			return 0;
		}
		return store_mysql_fail(st, conn, NULL, STORE_META_TABLE,
					"init: create the triggers of tlspolicy_meta", why);
	}
	if (query(st, conn, SQL_ROW, "init tlspolicy_meta", why) < 0)
		return -1;
	*marker = 1;
	return 0;
}

/* CHECKSUM TABLE: a = tlspolicies, b = tlspolicy_bypass (~0 for NULL:
 * a missing table). */
static int checksum(struct store *st, MYSQL *conn, struct store_mark *mark,
		    struct errbuf *why)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long long v[2] = { ~0ULL, ~0ULL };
	size_t n = 0;

	if (query(st, conn, SQL_CHECKSUM, "change check", why) < 0)
		return -1;
	if ((res = mysql_store_result(conn)) == NULL)
		return store_mysql_fail(st, conn, NULL, STORE_META_TABLE, "change check", why);
	while ((row = mysql_fetch_row(res)) != NULL && n < 2) {
		if (mysql_num_fields(res) >= 2 && row[1])
			v[n] = strtoull(row[1], NULL, 10);
		n++;
	}
	mysql_free_result(res);
	mark->kind = STORE_MARK_CHECKSUM;
	mark->a = v[0];
	mark->b = v[1];
	return 0;
}

int store_change_mysql_mark(struct store *st, struct store_mark *mark,
			    struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_RES *res;
	MYSQL_ROW row;
	int found = 0;

	if (conn == NULL)
		return -1;
	if (mysql_real_query(conn, STORE_META_SQL_GET,
			     (unsigned long)strlen(STORE_META_SQL_GET)) != 0) {
		if (mysql_errno(conn) != ER_NO_SUCH_TABLE_)
			return store_mysql_fail(st, conn, NULL, STORE_META_TABLE,
						"change check", why);
		return checksum(st, conn, mark, why);  /* no db init since */
	}
	if ((res = mysql_store_result(conn)) == NULL)
		return store_mysql_fail(st, conn, NULL, STORE_META_TABLE, "change check", why);
	if ((row = mysql_fetch_row(res)) != NULL && row[0]) {
		mark->kind = STORE_MARK_COUNTER;
		mark->a = strtoull(row[0], NULL, 10);
		mark->b = 0;
		found = 1;
	}
	mysql_free_result(res);
	/* no row: the triggers could not be made (privileges) */
	return found ? 0 : checksum(st, conn, mark, why);
}
