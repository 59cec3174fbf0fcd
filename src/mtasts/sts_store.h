/* SPDX-License-Identifier: MIT */
/*
 * sts_store - the MTA-STS cache persisted in the store's tlspolicy_sts
 * table (store/store_sts.h), so a restart, or a second mail server on
 * the same MariaDB database, keeps the policies it fetched.
 *
 * Several daemons on one database share the cache (sts_store_share):
 * a policy one of them fetched is read by the others instead of fetched
 * again, a lease lets one of them fetch while the others wait for its
 * row, and a save never replaces a row fetched later (store_sts_put).
 *
 * sts_store_load() reads every row into a cache (blocking: at start-up,
 * like the engine's first snapshot, and in the CLI).  sts_store_new()
 * opens a store handle of its own and applies the cache's saves and
 * removals, and the purges of expired rows, in order as jobs of the
 * worker it is given (util/worker.h), so the daemon's loop never waits
 * for the database (ARCHITECTURE.md "Background work").  Saves and
 * removals go in batches: every write made while the previous batch is
 * on the worker goes in the next one, one transaction (up to
 * STS_STORE_BATCH_MAX writes), and SQLite does not fsync per commit
 * (store_sts_batch_begin), so a cold start with thousands of fetches
 * costs a few transactions, not one fsync per policy.
 *
 * Best effort: a write that fails is dropped and logged (the first
 * failure of an outage and the recovery, nothing in between; every
 * configuration error, STORE_ERR_CONFIG); the policy is then fetched
 * again after a restart, as without persistence.
 *
 * LIMITS: STS_STORE_BATCH_MAX writes per batch; the worker's queue
 * limit in jobs (STS_STORE_QUEUE_MAX for the CLI's worker): a batch the
 * worker refuses is dropped, each of its writes counted, and logged.
 */
#ifndef TP_MTASTS_STS_STORE_H
#define TP_MTASTS_STS_STORE_H

#include <stddef.h>
#include "mtasts/sts.h"
#include "util/errbuf.h"

#define STS_STORE_QUEUE_MAX 10000
#define STS_STORE_BATCH_MAX 1000  /* writes per transaction at most */
#define STS_PURGE_INTERVAL 3600   /* seconds between purges of expired rows */

struct store;
struct sts_store;

/*
 * Loads every row of st's tlspolicy_sts into c: rows that expired or
 * whose policy does not parse are skipped (counted).  Returns 0, or -1
 * with why when the table cannot be read.
 */
int sts_store_load(struct store *st, struct sts_cache *c, size_t *loaded,
		   size_t *skipped, struct errbuf *why);

/* The writer for the database at url on worker w (which must outlive
 * it).  Its handle is opened now (before the privilege drop), or at
 * first use when the database is down now. */
struct worker;
struct sts_store *sts_store_new(const char *url, struct worker *w, struct errbuf *why);
/* The callbacks to hand to sts_new()/sts_service_new(). */
void sts_store_persist(struct sts_store *s, struct sts_persist *out);
/* Queues the removal of the rows that expired before now (store_sts.h
 * store_sts_purge); sts.c does it every STS_PURGE_INTERVAL. */
void sts_store_purge(struct sts_store *s, long long now);
/* `tlspolicy sts flush` reaching the daemon (SIGUSR2): reads the domains
 * of tlspolicy_sts on the worker, then forgets every policy of c the
 * table no longer holds (sts_cache_flush), and logs how many. */
void sts_store_forget_flushed(struct sts_store *s, struct sts_cache *c);
/*
 * Sharing with other daemons on the same database (sts.c with
 * STS_PERSIST_SHARE; sts_cache.h "Sharing"): one job on the worker
 * reads domain's row and, when it cannot answer for id (missing, another
 * id, near expiry: sts_record_fresh), tries to take the fetch lease
 * (store_sts_claim, for lease_secs) under this store's owner name, then
 * reads the row again (another daemon may have written it and released
 * the lease in between).  fn gets on the loop STS_SHARED_USE with the
 * row, STS_SHARED_LEASED, STS_SHARE_WAIT (another daemon holds the
 * lease: ask again later) or STS_SHARED_FETCH (the database failed:
 * fetch yourself; the first failure of an outage is logged).
 * NULL when the worker's queue is full (fn is never called: fetch).
 * sts_store_share_cancel(): fn is not called (a lease taken meanwhile
 * is released).
 */
#define STS_SHARE_WAIT 3
/* holder: STS_SHARE_WAIT only, the lease owner's name (else NULL) */
typedef void (*sts_share_fn)(void *arg, int result, const struct sts_record *rec,
			     const char *holder);
struct sts_share;
struct sts_share *sts_store_share(struct sts_store *s, const char *domain,
				  const char *id, unsigned refresh_interval,
				  unsigned lease_secs, sts_share_fn fn, void *arg);
void sts_store_share_cancel(struct sts_share *j);
/* Queues the end of our lease of domain (a fetch that failed). */
void sts_store_release(struct sts_store *s, const char *domain);
/* A save that finds a row fetched later (another daemon's) loads that
 * row into c (sts_cache_load: only when it is newer than c's). */
void sts_store_set_cache(struct sts_store *s, struct sts_cache *c);
/* This daemon's lease owner name: "HOST:PID:RANDOM". */
const char *sts_store_owner(const struct sts_store *s);

/* Writes what is queued, frees (the worker stays). */
void sts_store_free(struct sts_store *s);

struct sts_store_stats {
	unsigned long long puts, deletes, failed, dropped, purges, purged;
	/* sharing: asked, answered from a row, leases taken, waits, failed;
	 * saves that kept a row fetched later */
	unsigned long long shares, share_used, share_leased, share_waits,
		share_failed, kept;
	unsigned long long batches;   /* transactions of saves and removals */
};
/* Counters so far (loop thread: counted when a write is done). */
void sts_store_stats(struct sts_store *s, struct sts_store_stats *out);
/* Blocks until everything queued so far is written (tests, CLI); runs
 * the worker's completions. */
void sts_store_sync(struct sts_store *s);

#endif
