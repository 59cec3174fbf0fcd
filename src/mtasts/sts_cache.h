/* SPDX-License-Identifier: MIT */
/*
 * sts_cache - the MTA-STS policy cache and its refresh state machine
 * (RFC 8461 3.3, 5.1, 10.2), independent of how TXT records and
 * policies are obtained: the caller supplies the I/O and the clock
 * (struct sts_io), so the daemon runs it on libunbound + libcurl
 * (sts.c) and the unit tests on a scripted clock.
 *
 * Per domain: the TXT id, the parsed policy, fetch time, expiry
 * (fetch + max_age), when the id was last checked and when it is due
 * again, when a fetch last failed and for which id.
 *
 * Lookup (engine discover()):
 *   - a cached policy that has not expired answers at once (enforce:
 *     the Postfix answer; testing/none: not applicable); when its check
 *     is due (sts_refresh_interval after the last one, or the policy
 *     nears its expiry) a background refresh is queued;
 *   - otherwise a discovery runs: TXT lookup, then a fetch when the id
 *     is new or the policy expired; concurrent lookups of a domain wait
 *     on the one discovery.
 * Refresh: the TXT record is looked up; an unchanged id and a policy
 * not near expiry only move the next check; a changed id, or a policy
 * within its refresh margin (min(max_age/2, 2*refresh_interval)) of
 * expiry, is refetched.  A failed fetch (transport error, or a policy
 * that does not parse) keeps the cached policy until its own expiry and
 * is retried no sooner than STS_RETRY_MIN seconds for the same id
 * (RFC 8461 10.2).  A missing or failing TXT lookup keeps the cached
 * policy too.  A fetched policy with mode none replaces the cached one
 * (so it answers "not applicable" for its max_age without refetching).
 * Proactive refresh (sts_cache_tick): every cached policy used within
 * max(max_age, refresh interval) is checked when due, at most
 * `concurrency` background refreshes at once; expired policies are
 * dropped (and removed from persistence).
 * Verdicts: SOURCE_APPLIES / SOURCE_NOT_APPLICABLE from a policy;
 * SOURCE_NOT_APPLICABLE when no TXT record or no valid one exists;
 * SOURCE_FAILED when the TXT lookup or the fetch failed and no valid
 * policy is cached.  Never SOURCE_TEMP: an MTA-STS outage must not
 * defer mail.
 *
 * LIMITS: STS_CACHE_MAX domains, STS_CACHE_MAX_WAITERS waiting lookups
 * per domain.  Not thread-safe: one loop.
 */
#ifndef TP_MTASTS_STS_CACHE_H
#define TP_MTASTS_STS_CACHE_H

#include <stddef.h>
#include <time.h>

#include "engine/source.h"
#include "mtasts/sts_policy.h"
#include "mtasts/sts_txt.h"
#include "util/errbuf.h"
#include "util/hostname.h"

#define STS_RETRY_MIN 300          /* seconds between fetches of one id */
#define STS_CACHE_MAX 100000       /* domains */
#define STS_CACHE_MAX_WAITERS 1024 /* lookups waiting on one domain */
#define STS_DOMAIN_MAX HOSTNAME_MAX
#define STS_REASON_MAX 256

struct sts_cache;

/* Result of a TXT lookup of _mta-sts.<domain>. */
enum sts_txt_status {
	STS_TXT_FOUND,   /* exactly one valid record: id */
	STS_TXT_NONE,    /* no record, or not exactly one valid one: why */
	STS_TXT_FAILED,  /* the lookup failed (SERVFAIL, timeout, bogus): why */
};

/* One cached domain as persisted and shown (strings valid during the
 * call that hands it out). */
struct sts_record {
	const char *domain;
	const char *id;
	const char *policy_text;   /* sts_policy.text */
	time_t fetched, expires;
	/* shown only, not persisted: */
	enum sts_mode mode;
	time_t last_check, next_check, last_used;
	time_t fail_time;          /* 0: none */
	const char *fail_id, *fail_why;
	int busy;                  /* a discovery or refresh is running */
};

/*
 * The I/O and clock.  txt_start/fetch_start start work for op (an
 * opaque token) and return a handle for the matching cancel; they must
 * not complete from within the call.  Completion:
 * sts_cache_txt_done() / sts_cache_fetch_done() with the token.
 * save/remove (may be NULL) persist a fetched policy or forget one (a
 * max_age 0 policy is never saved: it is removed); remove's fetched is
 * the newest fetch time the removal covers (a row fetched later, by
 * another daemon sharing the table, stays), 0: whatever is stored.
 *
 * Sharing (off until sts_cache_set_sharing()): before a fetch that is not forced,
 * shared_start asks the policies shared with other daemons (the store's
 * tlspolicy_sts, sts_store.h) whether one of them already has policy
 * `id` fresh, or is fetching it (a lease; urgent: no usable policy is
 * cached, lookups wait, so wait only briefly); it completes, never from
 * within the call, with sts_cache_shared_done(): STS_SHARED_USE with
 * the record (installed as if fetched now: no fetch, no save),
 * STS_SHARED_LEASED (we fetch and hold the lease: release() is called
 * when the fetch fails or is cancelled; a save ends it otherwise) or
 * STS_SHARED_FETCH (fetch without a lease: the shared cache failed or
 * the wait for another daemon's fetch ran out).  While it runs, a
 * cached policy keeps answering.
 */
enum sts_shared_result { STS_SHARED_USE, STS_SHARED_LEASED, STS_SHARED_FETCH };
struct sts_io {
	void *ctx;
	time_t (*now)(void *ctx);
	void *(*txt_start)(void *ctx, const char *domain, void *op);
	void (*txt_cancel)(void *ctx, void *handle);
	void *(*fetch_start)(void *ctx, const char *domain, void *op);
	void (*fetch_cancel)(void *ctx, void *handle);
	void (*save)(void *ctx, const struct sts_record *rec);
	void (*remove)(void *ctx, const char *domain, time_t fetched);
	void *(*shared_start)(void *ctx, const char *domain, const char *id,
			      int urgent, void *op);
	void (*shared_cancel)(void *ctx, void *handle);
	void (*release)(void *ctx, const char *domain);
};

struct sts_cache_opts {
	unsigned refresh_interval;      /* seconds, >= 1 */
	unsigned concurrency;           /* background refreshes at once, >= 1 */
	struct sts_answer_opts answer;
};

struct sts_cache_stats {
	unsigned long long lookups, hits, discoveries, coalesced;
	unsigned long long txt_lookups, txt_failed, fetches, fetch_failed,
		fetch_throttled, installs, refreshes, expired;
	unsigned long long shared_used;   /* installed from the shared cache */
	size_t entries, busy, queued;
};

/* io is copied; io->ctx must outlive the cache. */
struct sts_cache *sts_cache_new(const struct sts_cache_opts *opts,
				const struct sts_io *io);
/* Cancels all I/O; waiting lookups get no callback. */
void sts_cache_free(struct sts_cache *c);

/*
 * Engine discover(): calls done exactly once, possibly before returning
 * (then the return value is NULL), else later from an I/O completion;
 * returns a handle for sts_cache_cancel().
 */
void *sts_cache_lookup(struct sts_cache *c, const char *domain,
		       source_done_fn done, void *done_arg);
/* The callback of handle will not be made; the discovery goes on. */
void sts_cache_cancel(struct sts_cache *c, void *handle);

/* I/O completions.  id: STS_TXT_FOUND only; why: the others. */
void sts_cache_txt_done(struct sts_cache *c, void *op,
			enum sts_txt_status status, const char *id,
			const char *why);
/* ok: body of len bytes (fetched with status 200, text/plain); else why. */
void sts_cache_fetch_done(struct sts_cache *c, void *op, int ok,
			  const char *body, size_t len, const char *why);

/* Turns sharing on (the io's shared_start is used from now on) or off. */
void sts_cache_set_sharing(struct sts_cache *c, int on);
/* Sharing completion (see struct sts_io); rec: STS_SHARED_USE only. */
void sts_cache_shared_done(struct sts_cache *c, void *op,
			   enum sts_shared_result res, const struct sts_record *rec);
/*
 * Whether rec (a stored row) can answer for policy id at now without a
 * fetch: the same id, a policy that parses, and not within the refresh
 * margin of its expiry (the rule sts_cache uses for its own entries).
 * Pure: any thread may call it.
 */
int sts_record_fresh(const struct sts_record *rec, const char *id,
		     unsigned refresh_interval, time_t now);

/* Proactive refresh and expiry; call every few seconds. */
void sts_cache_tick(struct sts_cache *c);

/* Inserts a persisted record (restart, shared database).  An expired
 * record or one whose text does not parse is refused (-1, why). */
int sts_cache_load(struct sts_cache *c, const struct sts_record *rec,
		   struct errbuf *why);
/* Forgets domain (NULL: all) and tells persistence; waiting lookups get
 * SOURCE_FAILED.  Returns the number of domains forgotten. */
size_t sts_cache_flush(struct sts_cache *c, const char *domain);
/* New answer options (SIGHUP: sts_testing, sts_servername): every
 * cached policy's answer is made again. */
void sts_cache_set_answer_opts(struct sts_cache *c, const struct sts_answer_opts *opts);
/* Starts a refresh of domain now that refetches the policy even when
 * the id is unchanged and ignores the retry limit.  Returns 0, or -1
 * when one is already running. */
int sts_cache_refresh(struct sts_cache *c, const char *domain);
/* Calls fn for every domain (in no particular order); a non-zero return
 * stops the walk. */
int sts_cache_walk(struct sts_cache *c,
		   int (*fn)(const struct sts_record *rec, void *arg), void *arg);
void sts_cache_stats(const struct sts_cache *c, struct sts_cache_stats *out);

#endif
