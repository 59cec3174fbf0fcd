/* SPDX-License-Identifier: MIT */
/*
 * store - the admin's policy table `tlspolicies` (id, domain UNIQUE,
 * policy ENUM of the 8 levels, params), one interface and two backends:
 * SQLite (embedded default, WAL) and MariaDB (Connector/C).  The rest of
 * the program never sees SQL.  Prepared statements only; every write is
 * one transaction.
 *
 * A store handle is used by one thread at a time; a thread that needs
 * the database (the daemon's reload worker) opens its own handle.
 *
 * URLs: sqlite:/path/file.db
 *       mysql://user:password@host[:port]/dbname[?socket=/path]
 * (user and password percent-decoded).
 */
#ifndef TP_STORE_STORE_H
#define TP_STORE_STORE_H

#include <stddef.h>
#include "util/errbuf.h"

#define STORE_DOMAIN_MAX 255
#define STORE_PARAMS_MAX 255

/* One row as stored; the strings are owned by whoever filled the row
 * (see store_row_free). */
struct store_row {
	unsigned long id;
	char *domain;
	char *policy;  /* level name as stored */
	char *params;  /* NULL when SQL NULL */
};

void store_row_free(struct store_row *row);

struct store;

/* Opens (but does not create the table). */
int store_open(const char *url, struct store **out, struct errbuf *why);
void store_close(struct store *st);
/* "sqlite" or "mysql" */
const char *store_backend(const struct store *st);

/* Creates the table when missing (tlspolicy db init); an existing table
 * of the documented shape is left as it is. *created = 1 when made. */
int store_init(struct store *st, int *created, struct errbuf *why);

/* Returns 1 and fills *row when found, 0 when not, -1 on error. */
int store_get(struct store *st, const char *domain, struct store_row *row,
	      struct errbuf *why);

/* Insert or replace. Returns 0; *change = 'a' added, 'c' changed,
 * 'u' unchanged (may be NULL). */
int store_put(struct store *st, const char *domain, const char *policy,
	      const char *params, char *change, struct errbuf *why);

/* Returns 1 when a row was deleted, 0 when none existed, -1 on error. */
int store_delete(struct store *st, const char *domain, struct errbuf *why);

/* Calls fn for every row ordered by domain; fn returning non-zero stops
 * the walk (store_list then returns that value).  Row strings are valid
 * only during the call. */
typedef int (*store_row_fn)(const struct store_row *row, void *arg);
int store_list(struct store *st, store_row_fn fn, void *arg,
	       struct errbuf *why);

/* Several puts in one transaction: all or nothing. Counts the changes. */
struct store_put_item {
	const char *domain, *policy, *params;
};
struct store_counts {
	unsigned long added, changed, unchanged;
};
int store_put_many(struct store *st, const struct store_put_item *items,
		   size_t n, struct store_counts *counts, struct errbuf *why);

#endif
