/* SPDX-License-Identifier: MIT */
/*
 * store_sts - the persisted MTA-STS policy cache: table `tlspolicy_sts`
 * (tlspolicy's own, beside the admin's `tlspolicies`), one row per
 * policy domain with the TXT id, the raw policy body, the fetch time and
 * the expiry (fetch time + max_age).  The daemon writes what its
 * in-memory cache installs and loads the rows at start, so a restart,
 * or a second mail server sharing the MariaDB database, keeps them.
 *
 * MariaDB:
 *   CREATE TABLE tlspolicy_sts (
 *     domain varchar(255) NOT NULL PRIMARY KEY,
 *     policy_id varchar(32) NOT NULL,
 *     policy mediumtext NOT NULL,     -- <= STORE_STS_POLICY_MAX bytes
 *     fetched bigint NOT NULL,        -- unix time
 *     expires bigint NOT NULL         -- unix time
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * (latin1 like the connection: bytes go in and out unchanged, so a body
 * with UTF-8 in an unknown field survives; domain compares case-
 * insensitively).  SQLite: the same columns, domain COLLATE NOCASE,
 * CHECK constraints for the limits.
 *
 * store_init() (tlspolicy db init) creates the table when missing and
 * never alters an existing one; a database made before this table
 * existed gets it at the next `db init`.  Until then every function
 * here fails with "... table tlspolicy_sts does not exist in URL (run
 * 'tlspolicy db init')" and the admin's table works as before.
 *
 * Every write is one statement in its own transaction (autocommit),
 * unless it is made between store_sts_batch_begin() and _commit(): the
 * daemon's writer (mtasts/sts_store.c) puts many fetched policies in one
 * transaction, so the database syncs once per batch, not per policy;
 * values are bound, never put into SQL text.  A handle is used by one
 * thread at a time (store.h); these calls block, so the daemon makes
 * them off its event loop.
 *
 * LIMITS: domain 1..STORE_DOMAIN_MAX bytes of printable ASCII without
 * spaces; policy_id 1..STORE_STS_ID_MAX letters and digits (RFC 8461
 * 3.1); policy 1..STORE_STS_POLICY_MAX bytes without NUL (RFC 8461 3.3:
 * 64 KiB); 0 <= fetched <= expires.  Checked before any SQL runs; rows
 * read back that break them (written by hand) are errors naming the
 * domain, never truncated.
 */
#ifndef TP_STORE_STORE_STS_H
#define TP_STORE_STORE_STS_H

#include "util/errbuf.h"

struct store;

#define STORE_STS_TABLE "tlspolicy_sts"
#define STORE_STS_ID_MAX 32                /* RFC 8461 3.1: 1*32(ALPHA/DIGIT) */
#define STORE_STS_POLICY_MAX (64 * 1024)   /* RFC 8461 3.3: policy body */

/* One row.  From store_sts_get() the strings are malloc'ed (free with
 * store_sts_row_free); handed to a store_sts_list() callback they are
 * valid only during the call; store_sts_put() only reads them. */
struct store_sts_row {
	char *domain;
	char *policy_id;
	char *policy;          /* the raw fetched policy body */
	long long fetched;     /* unix time of the fetch */
	long long expires;     /* unix time: fetched + max_age */
};

void store_sts_row_free(struct store_sts_row *row);

/* Returns 1 and fills *row when domain (compared case-insensitively)
 * has a row, 0 when not, -1 on error (row zeroed then). */
int store_sts_get(struct store *st, const char *domain,
		  struct store_sts_row *row, struct errbuf *why);

/* Inserts or replaces the row of row->domain (all columns, the domain's
 * spelling too), in one transaction.  Returns 0, or -1 with why when a
 * limit is broken (nothing written) or the database fails. */
int store_sts_put(struct store *st, const struct store_sts_row *row,
		  struct errbuf *why);

/* Returns 1 when domain's row was deleted, 0 when none existed, -1 on
 * error. */
int store_sts_delete(struct store *st, const char *domain,
		     struct errbuf *why);

/* Deletes every row that expired at `now` (expires <= now): rows no
 * cache will load again.  Returns 0 and the count in *deleted (may be
 * NULL), or -1. */
int store_sts_purge(struct store *st, long long now, unsigned long *deleted,
		    struct errbuf *why);

/* Calls fn for every row, ordered by domain; fn returning non-zero stops
 * the walk and store_sts_list returns that value; 0 after the last row,
 * -1 on error (rows already handed to fn stay handed). */
typedef int (*store_sts_fn)(const struct store_sts_row *row, void *arg);
int store_sts_list(struct store *st, store_sts_fn fn, void *arg,
		   struct errbuf *why);

/*
 * A batch: store_sts_put/_delete calls between begin and commit are one
 * transaction.  On SQLite the handle's connection also stops syncing
 * per commit (synchronous=NORMAL in WAL mode: durable at the next
 * checkpoint, never corrupt; for the cache, which refetches what a
 * power loss took).  After a failed put or delete inside a batch the
 * caller rolls back (the database may have ended the transaction
 * itself).  Each returns 0, or a STORE_ERR_* (-1) with why; rollback
 * never fails.
 */
int store_sts_batch_begin(struct store *st, struct errbuf *why);
int store_sts_batch_commit(struct store *st, struct errbuf *why);
void store_sts_batch_rollback(struct store *st);

/* Like store_init(); *sts_created = 1 when tlspolicy_sts was made now
 * (either pointer may be NULL). */
int store_init_ex(struct store *st, int *created, int *sts_created,
		  struct errbuf *why);

#endif
