/* SPDX-License-Identifier: MIT */
/*
 * store_int - what the two backends of store/ share: the ops table and
 * the common part of a handle.  Nothing outside src/store/ includes it.
 */
#ifndef TP_STORE_STORE_INT_H
#define TP_STORE_STORE_INT_H

#include "store/store.h"
#include "store/store_sts.h"

struct store_ops {
	const char *name; /* "sqlite", "mysql" */
	void (*close)(struct store *st);
	int (*init)(struct store *st, int *created, struct errbuf *why);
	int (*get)(struct store *st, const char *domain, struct store_row *row,
		   struct errbuf *why);
	int (*put_many)(struct store *st, const struct store_put_item *items,
			size_t n, int flags, struct store_counts *counts,
			struct errbuf *why);
	int (*del)(struct store *st, const char *domain, struct errbuf *why);
	int (*list)(struct store *st, store_row_fn fn, void *arg,
		    struct errbuf *why);
	/* tlspolicy_sts (store_sts.h; store_sts_sqlite.c, store_sts_mysql.c) */
	int (*sts_init)(struct store *st, int *created, struct errbuf *why);
	int (*sts_get)(struct store *st, const char *domain,
		       struct store_sts_row *row, struct errbuf *why);
	int (*sts_put)(struct store *st, const struct store_sts_row *row,
		       struct errbuf *why);
	int (*sts_del)(struct store *st, const char *domain, struct errbuf *why);
	int (*sts_list)(struct store *st, store_sts_fn fn, void *arg,
			struct errbuf *why);
	int (*sts_purge)(struct store *st, long long now,
			 unsigned long *deleted, struct errbuf *why);
};

/* Every backend's handle starts with this (Postfix DICT style). */
struct store {
	const struct store_ops *ops;
	char *desc; /* store_url_describe() of the URL it was opened with */
};

int store_sqlite_open(const struct store_url *u, struct store **out,
		      struct errbuf *why);
int store_mysql_open(const struct store_url *u, struct store **out,
		     struct errbuf *why);
int store_mysql_global_init(struct errbuf *why);
void store_mysql_global_end(void);

/* The backends' handles for the tlspolicy_sts code: the SQLite
 * connection; the MariaDB connection after a reconnect when the server
 * dropped it (NULL with why when that fails). */
struct sqlite3;
struct st_mysql;
struct sqlite3 *store_sqlite_db(struct store *st);
struct st_mysql *store_mysql_conn(struct store *st, struct errbuf *why);

int store_sts_sqlite_init(struct store *st, int *created, struct errbuf *why);
int store_sts_sqlite_get(struct store *st, const char *domain,
			 struct store_sts_row *row, struct errbuf *why);
int store_sts_sqlite_put(struct store *st, const struct store_sts_row *row,
			 struct errbuf *why);
int store_sts_sqlite_del(struct store *st, const char *domain,
			 struct errbuf *why);
int store_sts_sqlite_list(struct store *st, store_sts_fn fn, void *arg,
			  struct errbuf *why);
int store_sts_sqlite_purge(struct store *st, long long now,
			   unsigned long *deleted, struct errbuf *why);
int store_sts_mysql_init(struct store *st, int *created, struct errbuf *why);
int store_sts_mysql_get(struct store *st, const char *domain,
			struct store_sts_row *row, struct errbuf *why);
int store_sts_mysql_put(struct store *st, const struct store_sts_row *row,
			struct errbuf *why);
int store_sts_mysql_del(struct store *st, const char *domain,
			struct errbuf *why);
int store_sts_mysql_list(struct store *st, store_sts_fn fn, void *arg,
			 struct errbuf *why);
int store_sts_mysql_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why);
/* Checks a row read back against the limits; -1 with why naming it. */
int store_sts_row_check(const struct store_sts_row *row, struct errbuf *why);
/* A malloc'ed copy of a checked row view (store_sts_row_free). */
int store_sts_row_copy(const struct store_sts_row *view,
		       struct store_sts_row *out, struct errbuf *why);

/* Same stored values?  NULL and "" params are the same (no attributes). */
int store_same(const char *policy_a, const char *params_a,
	       const char *policy_b, const char *params_b);

/* SQL of the table, shared by init and the Postfix table files. */
#define STORE_TABLE "tlspolicies"

#endif
