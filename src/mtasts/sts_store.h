/* SPDX-License-Identifier: MIT */
/*
 * sts_store - the MTA-STS cache persisted in the store's tlspolicy_sts
 * table (store/store_sts.h), so a restart, or a second mail server on
 * the same MariaDB database, keeps the policies it fetched.
 *
 * sts_store_load() reads every row into a cache (blocking: at start-up,
 * like the engine's first snapshot, and in the CLI).  sts_store_new()
 * starts a writer thread with its own store handle that applies the
 * cache's saves and removals in order, so the daemon's loop never waits
 * for the database (ARCHITECTURE.md: blocking work off the loop).
 *
 * Best effort: a write that fails is dropped and logged (the first
 * failure of an outage and the recovery, nothing in between); the
 * policy is then fetched again after a restart, as without persistence.
 *
 * LIMITS: STS_STORE_QUEUE_MAX writes queued (more are dropped, counted
 * and logged).
 */
#ifndef TP_MTASTS_STS_STORE_H
#define TP_MTASTS_STS_STORE_H

#include <stddef.h>
#include "mtasts/sts.h"
#include "util/errbuf.h"

#define STS_STORE_QUEUE_MAX 10000

struct store;
struct sts_store;

/*
 * Loads every row of st's tlspolicy_sts into c: rows that expired or
 * whose policy does not parse are skipped (counted).  Returns 0, or -1
 * with why when the table cannot be read.
 */
int sts_store_load(struct store *st, struct sts_cache *c, size_t *loaded,
		   size_t *skipped, struct errbuf *why);

/* Starts the writer for the database at url (its handle is opened by
 * the thread, on first use and again after an error). */
struct sts_store *sts_store_new(const char *url, struct errbuf *why);
/* The callbacks to hand to sts_new()/sts_service_new(). */
void sts_store_persist(struct sts_store *s, struct sts_persist *out);
/* Writes what is queued, stops the thread, frees. */
void sts_store_free(struct sts_store *s);

struct sts_store_stats {
	unsigned long long puts, deletes, failed, dropped;
};
/* Counters so far (thread-safe). */
void sts_store_stats(struct sts_store *s, struct sts_store_stats *out);
/* Blocks until everything queued so far is written (tests, CLI). */
void sts_store_sync(struct sts_store *s);

#endif
