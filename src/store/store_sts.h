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
 * spelling too), in one statement, only when the table holds no row for
 * the domain or one fetched before row->fetched: a policy fetched
 * earlier never replaces one fetched later, whatever their ids (several
 * daemons share the table; a slow one must not undo a newer fetch).
 * The comparison is in the statement itself (atomic against another
 * writer).  Returns 0 when written, STORE_STS_KEPT when a row fetched at
 * or after row->fetched was kept (nothing written), -1 with why when a
 * limit is broken (nothing written) or the database fails. */
#define STORE_STS_KEPT 1
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
 * The fetch lease (table tlspolicy_sts_lease: domain, owner, expires),
 * so that of several daemons sharing tlspolicy_sts one fetches a policy
 * and the others read its row:
 *   MariaDB: CREATE TABLE tlspolicy_sts_lease (
 *              domain varchar(255) NOT NULL PRIMARY KEY,
 *              owner varchar(255) NOT NULL,
 *              expires bigint NOT NULL      -- unix time, owner's clock
 *            ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 *   SQLite: the same, domain COLLATE NOCASE, CHECKs for the limits.
 * A lease ends when released or at `expires`: one held by a daemon that
 * died is taken over by the next claim after that time.
 * LIMITS: owner 1..STORE_STS_OWNER_MAX printable ASCII bytes.
 */
#define STORE_STS_LEASE_TABLE "tlspolicy_sts_lease"
#define STORE_STS_OWNER_MAX 255
struct store_sts_lease {
	const char *domain;
	char owner[STORE_STS_OWNER_MAX + 1];
	long long expires;
};
/* db init of the lease table; *created = 1 when made now. */
int store_sts_lease_init(struct store *st, int *created, struct errbuf *why);
/* Takes the lease of want->domain for want->owner until want->expires,
 * when no lease exists, the existing one expired (expires <= now), or
 * want->owner holds it already (then it is extended); one statement,
 * atomic against other claimers.  Returns 1 when taken, 0 when another
 * owner holds it (held, may be NULL, gets its owner and expiry), -1
 * with why (e.g. the table missing: "run 'tlspolicy db init'"). */
int store_sts_claim(struct store *st, const struct store_sts_lease *want,
		    long long now, struct store_sts_lease *held, struct errbuf *why);
/* Ends owner's lease of domain: 1 when it held one, 0 when not, -1. */
int store_sts_release(struct store *st, const char *domain, const char *owner,
		      struct errbuf *why);
/* Deletes the leases that expired at now; count in *deleted (may be NULL). */
int store_sts_lease_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why);

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
