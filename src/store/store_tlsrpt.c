/* SPDX-License-Identifier: MIT */
/*
 * store_tlsrpt.c - the TLSRPT tables (store_tlsrpt.h): DDL for both
 * backends and one bound-statement runner per backend.  The statements
 * themselves live with their users in src/tlsrpt/ (tlsrpt_store.c); this
 * file is the only place that touches SQLite or MariaDB for them.
 *
 * MariaDB: InnoDB, latin1 like the connection (bytes in and out
 * unchanged); result columns are fetched into STORE_TLSRPT_TEXT_MAX + 1
 * byte buffers; a longer value is an error, never truncated.
 */
#include "store/store_int.h"
#include "store/store_tlsrpt.h"

#include <mysql.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- DDL -------------------------------------------------------------- */

struct tdef {
	const char *name;
	const char *sqlite;
	const char *mysql;
	const char *shape;
};

#define MY_TAIL ") ENGINE=InnoDB DEFAULT CHARSET=latin1"

static const struct tdef tables[] = {
	{ STORE_TLSRPT_SESSIONS,
	  "CREATE TABLE tlspolicy_tlsrpt_sessions (\n"
	  "  domain TEXT NOT NULL COLLATE NOCASE, day TEXT NOT NULL,\n"
	  "  mta TEXT NOT NULL, mx_host TEXT NOT NULL, mx_ip TEXT NOT NULL,\n"
	  "  result TEXT NOT NULL, mta_ip TEXT NOT NULL, count INTEGER NOT NULL,\n"
	  "  policy_key TEXT NOT NULL DEFAULT '',\n"
	  "  PRIMARY KEY (domain, day, mta, mx_host, mx_ip, result, policy_key))",
	  "CREATE TABLE IF NOT EXISTS `tlspolicy_tlsrpt_sessions` (\n"
	  "  `domain` varchar(255) NOT NULL, `day` char(10) NOT NULL,\n"
	  "  `mta` varchar(255) NOT NULL, `mx_host` varchar(255) NOT NULL,\n"
	  "  `mx_ip` varchar(45) NOT NULL, `result` varchar(32) NOT NULL,\n"
	  "  `mta_ip` varchar(45) NOT NULL, `count` bigint(20) NOT NULL,\n"
	  "  `policy_key` char(64) NOT NULL DEFAULT '',\n"
	  "  PRIMARY KEY (`domain`, `day`, `mta`, `mx_host`, `mx_ip`, `result`, `policy_key`)\n"
	  MY_TAIL,
	  "SELECT domain, day, mta, mx_host, mx_ip, result, mta_ip, count, policy_key "
	  "FROM tlspolicy_tlsrpt_sessions LIMIT 0" },
	{ STORE_TLSRPT_POLICIES,
	  "CREATE TABLE tlspolicy_tlsrpt_policies (\n"
	  "  domain TEXT NOT NULL COLLATE NOCASE, day TEXT NOT NULL, mta TEXT NOT NULL,\n"
	  "  policy_key TEXT NOT NULL, policy_type TEXT NOT NULL,\n"
	  "  policy_strings TEXT NOT NULL, mx TEXT NOT NULL, result TEXT NOT NULL,\n"
	  "  count INTEGER NOT NULL, first_seen INTEGER NOT NULL DEFAULT 0,\n"
	  "  last_seen INTEGER NOT NULL DEFAULT 0,\n"
	  "  PRIMARY KEY (domain, day, mta, policy_key))",
	  "CREATE TABLE IF NOT EXISTS `tlspolicy_tlsrpt_policies` (\n"
	  "  `domain` varchar(255) NOT NULL, `day` char(10) NOT NULL,\n"
	  "  `mta` varchar(255) NOT NULL, `policy_key` char(64) NOT NULL,\n"
	  "  `policy_type` varchar(16) NOT NULL, `policy_strings` mediumtext NOT NULL,\n"
	  "  `mx` mediumtext NOT NULL, `result` varchar(32) NOT NULL,\n"
	  "  `count` bigint(20) NOT NULL, `first_seen` bigint(20) NOT NULL DEFAULT 0,\n"
	  "  `last_seen` bigint(20) NOT NULL DEFAULT 0,\n"
	  "  PRIMARY KEY (`domain`, `day`, `mta`, `policy_key`)\n" MY_TAIL,
	  "SELECT domain, day, mta, policy_key, policy_type, policy_strings, mx, "
	  "result, count, first_seen, last_seen FROM tlspolicy_tlsrpt_policies LIMIT 0" },
	{ STORE_TLSRPT_OFFSETS,
	  "CREATE TABLE tlspolicy_tlsrpt_offsets (\n"
	  "  mta TEXT NOT NULL, path TEXT NOT NULL, inode INTEGER NOT NULL,\n"
	  "  pos INTEGER NOT NULL, updated INTEGER NOT NULL, state TEXT NOT NULL,\n"
	  "  PRIMARY KEY (mta, path))",
	  "CREATE TABLE IF NOT EXISTS `tlspolicy_tlsrpt_offsets` (\n"
	  "  `mta` varchar(255) NOT NULL, `path` varchar(255) NOT NULL,\n"
	  "  `inode` bigint(20) NOT NULL, `pos` bigint(20) NOT NULL,\n"
	  "  `updated` bigint(20) NOT NULL, `state` mediumtext NOT NULL,\n"
	  "  PRIMARY KEY (`mta`, `path`)\n" MY_TAIL,
	  "SELECT mta, path, inode, pos, updated, state FROM tlspolicy_tlsrpt_offsets LIMIT 0" },
	{ STORE_TLSRPT_SENT,
	  "CREATE TABLE tlspolicy_tlsrpt_sent (\n"
	  "  domain TEXT NOT NULL COLLATE NOCASE, day TEXT NOT NULL, rua TEXT NOT NULL,\n"
	  "  report_id TEXT NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL,\n"
	  "  updated INTEGER NOT NULL, detail TEXT NOT NULL,\n"
	  "  PRIMARY KEY (domain, day, rua))",
	  "CREATE TABLE IF NOT EXISTS `tlspolicy_tlsrpt_sent` (\n"
	  "  `domain` varchar(255) NOT NULL, `day` char(10) NOT NULL,\n"
	  "  `rua` varchar(1024) NOT NULL, `report_id` varchar(255) NOT NULL,\n"
	  "  `state` varchar(16) NOT NULL, `owner` varchar(255) NOT NULL,\n"
	  "  `updated` bigint(20) NOT NULL, `detail` varchar(1024) NOT NULL,\n"
	  "  PRIMARY KEY (`domain`, `day`, `rua`(255))\n" MY_TAIL,
	  "SELECT domain, day, rua, report_id, state, owner, updated, detail "
	  "FROM tlspolicy_tlsrpt_sent LIMIT 0" },
	{ STORE_TLSRPT_RECEIVED,
	  "CREATE TABLE tlspolicy_tlsrpt_received (\n"
	  "  organization TEXT NOT NULL, report_id TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	  "  contact TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER NOT NULL,\n"
	  "  policy_domain TEXT NOT NULL COLLATE NOCASE, policy_type TEXT NOT NULL,\n"
	  "  mx_host TEXT NOT NULL, result TEXT NOT NULL, receiving_mx TEXT NOT NULL,\n"
	  "  receiving_ip TEXT NOT NULL, sending_ip TEXT NOT NULL, count INTEGER NOT NULL,\n"
	  "  received INTEGER NOT NULL,\n"
	  "  PRIMARY KEY (organization, report_id, seq))",
	  "CREATE TABLE IF NOT EXISTS `tlspolicy_tlsrpt_received` (\n"
	  "  `organization` varchar(255) NOT NULL, `report_id` varchar(255) NOT NULL,\n"
	  "  `seq` int NOT NULL, `contact` varchar(1024) NOT NULL,\n"
	  "  `start_time` bigint(20) NOT NULL, `end_time` bigint(20) NOT NULL,\n"
	  "  `policy_domain` varchar(255) NOT NULL, `policy_type` varchar(16) NOT NULL,\n"
	  "  `mx_host` varchar(1024) NOT NULL, `result` varchar(64) NOT NULL,\n"
	  "  `receiving_mx` varchar(255) NOT NULL, `receiving_ip` varchar(45) NOT NULL,\n"
	  "  `sending_ip` varchar(45) NOT NULL, `count` bigint(20) NOT NULL,\n"
	  "  `received` bigint(20) NOT NULL,\n"
	  "  PRIMARY KEY (`organization`, `report_id`, `seq`)\n" MY_TAIL,
	  "SELECT organization, report_id, seq, contact, start_time, end_time, "
	  "policy_domain, policy_type, mx_host, result, receiving_mx, receiving_ip, "
	  "sending_ip, count, received FROM tlspolicy_tlsrpt_received LIMIT 0" },
};

static int is_mysql(const struct store *st)
{
	return strcmp(store_backend(st), "mysql") == 0;
}

int store_tlsrpt_init(struct store *st, struct errbuf *why)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int created = 0, rc;

		if (is_mysql(st))
			rc = store_mysql_init_table(st, tables[i].name, tables[i].mysql,
						    tables[i].shape, &created, why);
		else
			rc = store_sqlite_init_table(st, tables[i].name, tables[i].sqlite,
						     tables[i].shape, &created, why);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- SQLite ------------------------------------------------------------ */

static int sq_exec(struct store *st, const char *table, const char *what, const char *sql,
		   const struct store_tlsrpt_val *v, int nv, int ncols,
		   store_tlsrpt_row_fn fn, void *arg, long long *changed, struct errbuf *why)
{
	sqlite3_stmt *stmt;
	char *cols[STORE_TLSRPT_COLS];
	int rc, ret = 0;

	if (ncols > STORE_TLSRPT_COLS)
		return errbuf_set(why, "%s: too many columns", what);
	if (store_sqlite_prepare(st, table, sql, &stmt, what, why) < 0)
		return -1;
	for (int i = 0; i < nv; i++) {
		if (v[i].s)
			sqlite3_bind_text(stmt, i + 1, v[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(stmt, i + 1, v[i].i);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (ncols <= 0 || fn == NULL)
			continue;
		for (int c = 0; c < ncols; c++) {
			const unsigned char *t = sqlite3_column_text(stmt, c);

			cols[c] = (char *)(t ? (const char *)t : "");
		}
		if ((ret = fn(arg, cols, ncols)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		store_sqlite_fail(st, table, what, why);
		sqlite3_finalize(stmt);
		return -1;
	}
	if (changed)
		*changed = sqlite3_changes(store_sqlite_db(st));
	sqlite3_finalize(stmt);
	return ret;
}

/* ---- MariaDB ------------------------------------------------------------ */

static int my_exec(struct store *st, const char *table, const char *what, const char *sql,
		   const struct store_tlsrpt_val *v, int nv, int ncols,
		   store_tlsrpt_row_fn fn, void *arg, long long *changed, struct errbuf *why)
{
	MYSQL *conn = store_mysql_conn(st, why);
	MYSQL_STMT *stmt;
	MYSQL_BIND pb[STORE_TLSRPT_COLS * 2], rb[STORE_TLSRPT_COLS];
	unsigned long plen[STORE_TLSRPT_COLS * 2], rlen[STORE_TLSRPT_COLS];
	long long pnum[STORE_TLSRPT_COLS * 2];
	my_bool rnull[STORE_TLSRPT_COLS], rerr[STORE_TLSRPT_COLS];
	char *buf = NULL, *cols[STORE_TLSRPT_COLS];
	const size_t cap = STORE_TLSRPT_TEXT_MAX + 1;
	int rc = 0;

	if (conn == NULL)
		return -1;
	if (nv > STORE_TLSRPT_COLS * 2 || ncols > STORE_TLSRPT_COLS)
		return errbuf_set(why, "%s: too many values", what);
	if ((stmt = store_mysql_prepare(st, conn, table, sql, what, why)) == NULL)
		return -1;
	memset(pb, 0, sizeof(pb));
	for (int i = 0; i < nv; i++) {
		if (v[i].s) {
			plen[i] = (unsigned long)strlen(v[i].s);
			pb[i].buffer_type = MYSQL_TYPE_STRING;
			pb[i].buffer = (void *)v[i].s;
			pb[i].buffer_length = plen[i];
			pb[i].length = &plen[i];
		} else {
			pnum[i] = v[i].i;
			pb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			pb[i].buffer = &pnum[i];
		}
	}
	if (ncols > 0) {
		if ((buf = malloc(cap * (size_t)ncols)) == NULL) {
			mysql_stmt_close(stmt);
			return errbuf_set(why, "%s: out of memory", what);
		}
		memset(rb, 0, sizeof(rb));
		for (int c = 0; c < ncols; c++) {
			cols[c] = buf + cap * (size_t)c;
			rb[c].buffer_type = MYSQL_TYPE_STRING;
			rb[c].buffer = cols[c];
			rb[c].buffer_length = cap;
			rb[c].length = &rlen[c];
			rb[c].is_null = &rnull[c];
			rb[c].error = &rerr[c];
		}
	}
	if (store_mysql_run(st, conn, stmt, nv ? pb : NULL, ncols > 0 ? rb : NULL, table, what,
			    why) < 0) {
		rc = -1;
		goto out;
	}
	if (changed)
		*changed = (long long)mysql_stmt_affected_rows(stmt);
	while (ncols > 0) {
		int f = mysql_stmt_fetch(stmt);

		if (f == MYSQL_NO_DATA)
			break;
		if (f == 1) {
			rc = store_mysql_fail(st, conn, stmt, table, what, why);
			break;
		}
		for (int c = 0; c < ncols; c++)
			if (store_mysql_column(cols[c], cap, rlen[c], rnull[c]) != STORE_COL_OK) {
				rc = errbuf_set(why, "%s: a value of column %d is too long or "
						"holds a NUL byte", what, c + 1);
				goto out;
			}
		if (fn && (rc = fn(arg, cols, ncols)) != 0)
			break;
	}
out:
	mysql_stmt_close(stmt);
	free(buf);
	return rc;
}

int store_tlsrpt_exec(struct store *st, const char *table, const char *what,
		      const char *sql, const char *sql_mysql,
		      const struct store_tlsrpt_val *v, int nv, int ncols,
		      store_tlsrpt_row_fn fn, void *arg, long long *changed,
		      struct errbuf *why)
{
	if (changed)
		*changed = 0;
	if (is_mysql(st))
		return my_exec(st, table, what, sql_mysql ? sql_mysql : sql, v, nv, ncols, fn, arg,
			       changed, why);
	return sq_exec(st, table, what, sql, v, nv, ncols, fn, arg, changed, why);
}

int store_tlsrpt_begin(struct store *st, struct errbuf *why)
{
	if (is_mysql(st)) {
		MYSQL *conn = store_mysql_conn(st, why);

		if (conn == NULL)
			return -1;
		if (mysql_query(conn, "START TRANSACTION") != 0)
			return store_mysql_fail(st, conn, NULL, STORE_TLSRPT_SESSIONS, "begin", why);
		return 0;
	}
	return store_sqlite_exec(st, STORE_TLSRPT_SESSIONS, "BEGIN IMMEDIATE", "begin", why);
}

int store_tlsrpt_commit(struct store *st, struct errbuf *why)
{
	if (is_mysql(st)) {
		MYSQL *conn = store_mysql_conn(st, why);

		if (conn == NULL)
			return -1;
		if (mysql_query(conn, "COMMIT") != 0)
			return store_mysql_fail(st, conn, NULL, STORE_TLSRPT_SESSIONS, "commit", why);
		return 0;
	}
	return store_sqlite_exec(st, STORE_TLSRPT_SESSIONS, "COMMIT", "commit", why);
}

void store_tlsrpt_rollback(struct store *st)
{
	if (is_mysql(st)) {
		MYSQL *conn = store_mysql_conn(st, NULL);

		if (conn)
			(void)mysql_query(conn, "ROLLBACK");
		return;
	}
	sqlite3_exec(store_sqlite_db(st), "ROLLBACK", NULL, NULL, NULL);
}
