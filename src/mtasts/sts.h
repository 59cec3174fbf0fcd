/* SPDX-License-Identifier: MIT */
/*
 * sts - the MTA-STS discovery source: sts_cache driven by the shared
 * DNS context (TXT at _mta-sts.<domain>, dns/dns.h) and sts_fetch
 * (libcurl) on the caller's libevent loop, with a timer for proactive
 * refresh.  sts_source_init() fills the engine_source the engine asks
 * after DANE.
 *
 * Settings: sts_testing, sts_servername, postfix_compatibility (the
 * answer), sts_refresh_interval, sts_refresh_concurrency (the cache),
 * https_ca_file, https_timeout (the fetch).
 *
 * Verdicts never TEMP: TXT or fetch failures with nothing cached are
 * SOURCE_FAILED (the engine answers the next source or NOTFOUND).
 */
#ifndef TP_MTASTS_STS_H
#define TP_MTASTS_STS_H

#include "engine/source.h"
#include "mtasts/sts_cache.h"
#include "mtasts/sts_fetch.h"
#include "util/errbuf.h"

#include <time.h>

#define STS_TICK_MAX 30   /* seconds between proactive refresh scans */

struct event_base;
struct config;
struct dns;
struct sts;

/* Persistence of cached policies (the store), optional: called on the
 * loop; must not block it (queue the write). */
struct sts_persist {
	void *ctx;
	void (*save)(void *ctx, const struct sts_record *rec);
	void (*remove)(void *ctx, const char *domain, time_t fetched);
};

/*
 * Creates the source on base with dns (both owned by the caller and
 * outliving it) and the settings of cfg.  fetch_opts (may be NULL)
 * overrides the https_* settings (tests).  persist may be NULL.
 */
struct sts *sts_new(struct event_base *base, struct dns *dns,
		    const struct config *cfg,
		    const struct sts_fetch_opts *fetch_opts,
		    const struct sts_persist *persist, struct errbuf *why);
void sts_free(struct sts *sts);

/* Fills *out: name "sts", ANSWER_STS, discover/cancel on sts. */
void sts_source_init(struct sts *sts, struct engine_source *out);

/* The cache, for loading persisted records and for inspection. */
struct sts_cache *sts_cache_of(struct sts *sts);
/* The store writer (NULL without persistence). */
struct sts_store;
struct sts_store *sts_store_of(struct sts *sts);

/*
 * The set-up the daemon and CLI commands share: sts_new() on dns (the
 * one context engine/sources.c or the CLI command made; required); the
 * source (sts_source_init()) is registered by engine/sources.c, after
 * DANE.  With db_url (NULL: no persistence) and flags
 * STS_PERSIST_LOAD the cached policies are loaded from that database's
 * tlspolicy_sts table (blocking; a database that cannot be read is
 * logged and the source starts empty); with STS_PERSIST_SAVE what is
 * fetched later is written there by jobs of worker (util/worker.h; may
 * be NULL without STS_PERSIST_SAVE), which also purges the expired rows
 * at start and every STS_PURGE_INTERVAL (sts_store.h).  The daemon
 * uses both.  Free it with sts_free() after the engine and before the
 * DNS context it was given.
 */
#define STS_PERSIST_LOAD 1
#define STS_PERSIST_SAVE 2
/* With STS_PERSIST_SAVE: share the cache with the other daemons on the
 * same database (sts_store.h "Sharing"): before fetching a policy, use
 * the row another daemon wrote, or wait (polling every
 * STS_SHARE_POLL_MS) while another daemon holds the fetch lease: at most
 * one lease (STS_SHARE_LEASE_EXTRA + https_timeout) when a cached policy
 * answers meanwhile, at most STS_SHARE_WAIT_URGENT seconds when lookups
 * wait (nothing cached), then fetch; every failure of the database
 * falls back to fetching.  The daemon uses it; `sts refresh` does not
 * (it is asked to fetch). */
#define STS_PERSIST_SHARE 4
#define STS_SHARE_POLL_MS 200
#define STS_SHARE_WAIT_URGENT 2    /* seconds */
#define STS_SHARE_LEASE_EXTRA 10   /* seconds of lease beyond https_timeout */
struct worker;
int sts_service_new(struct event_base *base, const struct config *cfg,
		    struct dns *dns, struct worker *worker, const char *db_url,
		    unsigned persist_flags, struct sts **out, struct errbuf *why);

#endif
