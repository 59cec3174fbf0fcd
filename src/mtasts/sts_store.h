/* SPDX-License-Identifier: MIT */
/*
 * sts_store - the MTA-STS cache persisted in the store's tlspolicy_sts
 * table (store/store_sts.h), so a restart, or a second mail server on
 * the same MariaDB database, keeps the policies it fetched.
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
/* Writes what is queued, frees (the worker stays). */
void sts_store_free(struct sts_store *s);

struct sts_store_stats {
	unsigned long long puts, deletes, failed, dropped, purges, purged;
	unsigned long long batches;   /* transactions of saves and removals */
};
/* Counters so far (loop thread: counted when a write is done). */
void sts_store_stats(struct sts_store *s, struct sts_store_stats *out);
/* Blocks until everything queued so far is written (tests, CLI); runs
 * the worker's completions. */
void sts_store_sync(struct sts_store *s);

#endif
