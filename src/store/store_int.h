/* SPDX-License-Identifier: MIT */
/*
 * store_int - what the two backends of store/ share: the ops table and
 * the common part of a handle.  Nothing outside src/store/ includes it.
 */
#ifndef TP_STORE_STORE_INT_H
#define TP_STORE_STORE_INT_H

#include "store/store.h"

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

/* Same stored values?  NULL and "" params are the same (no attributes). */
int store_same(const char *policy_a, const char *params_a,
	       const char *policy_b, const char *params_b);

/* SQL of the table, shared by init and the Postfix table files. */
#define STORE_TABLE "tlspolicies"

#endif
