/* SPDX-License-Identifier: MIT */
/*
 * engine - decides the answer for one socketmap lookup key.
 *
 * Precedence (ARCHITECTURE.md "Flow of one lookup"):
 *   1. the admin's table: the exact key; for a bare domain also its
 *      ".parent" entries walking up (a manual ".example.com" wins over
 *      anything discovered for sub.example.com);
 *   2. a fresh cached decision;
 *   3. discovery sources in the order they were added (DANE, MTA-STS,
 *      provider templates): the first that applies decides (a source
 *      may also decide NOTFOUND: SOURCE_NOTFOUND), except that a partial
 *      answer (SOURCE_F_PARTIAL: partial DANE) is replaced by a later
 *      one that authenticates every MX host (SOURCE_F_EVERY_MX: MTA-STS
 *      enforce);
 *   4. nothing published: the `_default` row; else NOTFOUND.
 * Only the key Postfix asks first gets `_default`: a ".parent" key (Postfix
 * sends those only while walking up after NOTFOUND) is answered from the
 * table's row for exactly that key, else NOTFOUND - never `_default`,
 * never discovery.  "[host]", "[host]:port" and IP literal keys are
 * answered from the table, else `_default`.
 * tlspolicy's own failures answer like Postfix alone: a lookup that runs
 * past `lookup_deadline`, or whose discovery failed by our own fault
 * (SOURCE_FAILED and nothing decided, the discovery limit), is answered
 * from the last decision of the domain (stale, at
 * most cache_max_ttl past its expiry) when there is one, else NOTFOUND
 * (Postfix applies main.cf) - never `_default`, never TEMP.  A TEMP
 * decision is only ever answered while fresh.  Out of memory ends the
 * process (util/xalloc.h, docs/ARCHITECTURE.md "Out of memory").
 * Concurrent lookups of one domain share one discovery.  Refresh-ahead:
 * a lookup answered from a cached decision in the last 10% of its TTL
 * (at least its last second; TTLs under 2 s excepted) starts one
 * background discovery of the domain (bounded in number, never delaying
 * any answer) whose decision replaces the cached one; only lookups start
 * refreshes, so domains nobody asks for expire, and a refresh that fails
 * by our own fault keeps the old decision until it expires.
 *
 * The engine runs on one libevent loop and never blocks it.  Callbacks
 * are always made from the loop, possibly before engine_lookup()
 * returns (table hits).
 */
#ifndef TP_ENGINE_ENGINE_H
#define TP_ENGINE_ENGINE_H

#include <stddef.h>
#include "engine/source.h"
#include "metrics/metrics.h"
#include "util/errbuf.h"

struct event_base;
struct config;

/* Mirrors the socketmap reply kinds (Postfix dict_sockmap). */
enum lookup_status { LOOKUP_OK, LOOKUP_NOTFOUND, LOOKUP_TEMP, LOOKUP_PERM };

struct engine_answer {
	enum lookup_status status;
	enum answer_source source;
	/* OK: the policy text "LEVEL attr=value ..."; TEMP/PERM: the reason;
	 * NOTFOUND: "".  Valid only during the callback. */
	const char *text;
	/* ANSWER_TABLE: the key of the row that matched (the key asked, or a
	 * ".parent" row for a bare domain); ANSWER_DEFAULT: "_default"; else
	 * NULL.  Valid only during the callback. */
	const char *key;
};

typedef void (*engine_cb)(const struct engine_answer *ans, void *arg);

struct engine;
struct engine_req;

/*
 * Creates an engine on base (owned by the caller) with the settings of
 * cfg (must outlive the engine).  The table snapshot is loaded from the
 * store named by the setting `database` (or db_url when not NULL)
 * before this returns; a failure to load the first snapshot is an error.
 */
struct engine *engine_new(struct event_base *base, const struct config *cfg,
			  const char *db_url, struct errbuf *why);
/* The same with flags.  ENGINE_NO_TABLE: discovery only, for commands
 * that must know what a domain publishes whatever the table holds (the
 * writers' "never weaker than published", cli/published.h): no store is
 * opened, the table is empty (so no `_default` either) and never
 * reloaded; db_url may be NULL. */
#define ENGINE_NO_TABLE 0x1
/* ENGINE_PERSIST (the daemon): keep the last good table in the file of
 * the setting table_snapshot (engine/snapshot_file.h), rewritten after
 * each load that changed it, and start from it when the database cannot
 * be read at start (reloads keep retrying; the first that succeeds
 * replaces it). */
#define ENGINE_PERSIST 0x2
struct engine *engine_new_ex(struct event_base *base, const struct config *cfg,
			     const char *db_url, unsigned flags, struct errbuf *why);
void engine_free(struct engine *eng);
/* The clock of the engine's time and timers (the cache's expiries and
 * refreshes, lookup_deadline, the discovery limit, reload_interval):
 * NULL, the default, is the real one; tests pass a fake one
 * (util/timer.h) and move it forward.  Before the first lookup. */
struct timer_clock;
void engine_set_clock(struct engine *eng, struct timer_clock *clk);

/* issue 13: the active emergency bypass (table tlspolicy_bypass) of a
 * domain: 1 with its level, expiry (unix time) and reason (valid until
 * the next reload), 0 when there is none or it expired. */
int engine_bypass(struct engine *eng, const char *domain, const char **level,
		  long long *expires, const char **reason);

/* Starts a lookup.  Returns a handle for engine_cancel(), or NULL when
 * the callback has already been made.  A key policy_key_normalize()
 * refuses is answered like an unlisted key (`_default`, else NOTFOUND;
 * NOTFOUND when it begins with a dot): a strange next hop from Postfix
 * must never defer mail. */
struct engine_req *engine_lookup(struct engine *eng, const char *key,
				 engine_cb cb, void *arg);
/* The callback of req will not be made (client went away). */
void engine_cancel(struct engine_req *req);

/* Reloads the table snapshot off the loop (a job of the engine's
 * worker); the new snapshot is swapped in whole.  When the database is
 * down the old snapshot keeps serving.  Always reads the tables (SIGHUP:
 * the settings that judge rows may have changed); the reload_interval
 * timer reads them only when their change marker changed. */
void engine_reload(struct engine *eng);

/* The daemon's one worker (util/worker.h), made by engine_new(): table
 * reloads, and the MTA-STS store's writes and purges (engine/sources.c
 * hands it over; holders take worker_hold()). */
#define ENGINE_WORKER_QUEUE 10016
struct worker;
struct worker *engine_worker(struct engine *eng);

/* on: source failures of a domain (MTA-STS fetch, DNSSEC bogus, DNS
 * errors) are logged at info level, once per 10 minutes per domain (the
 * daemon); off (commands, which report them themselves): debug only. */
void engine_log_failures(struct engine *eng, int on);

/* Takes the live settings of cfg (SIGHUP; cfg must outlive the engine):
 * the cache TTLs, lookup_deadline, discovery, reload_interval.  forget:
 * also drops the cached decisions not in use (the settings that make
 * answers changed); returns how many. */
size_t engine_reconfigure(struct engine *eng, const struct config *cfg, int forget);

/* Adds a source; precedence is the order of addition.  The engine copies
 * the struct; ctx must outlive the engine.  With the setting
 * `discovery = no` the source is accepted (returns 0) but never asked:
 * the engine answers from the table and `_default` only. */
int engine_add_source(struct engine *eng, const struct engine_source *src);

/* issue 15 (TLSRPT decision journal): an observer told of every answer
 * the engine gives for a bare domain from discovery or its cache (not
 * for table rows, parent keys or explicit next hops), on the loop.
 * failed_src is the source that failed by our own fault during the
 * discovery behind the answer (ANSWER_NONE: none) and failed_reason
 * why (or "").  report_strings / report_mx: the policy as the source
 * gave it when it decided (source_result, "" when none), for RFC 8460's
 * policy-string and mx-host.  It must be cheap: it runs once per lookup. */
struct engine_observation {
	const char *domain;
	const struct engine_answer *ans;
	enum answer_source failed_src;
	const char *failed_reason;
	const char *report_strings;
	const char *report_mx;
};
typedef void (*engine_observer)(void *arg, const struct engine_observation *o);
void engine_set_observer(struct engine *eng, engine_observer fn, void *arg);

/* Counters by reply kind and source, for SIGUSR1 and benchmarks. */
struct engine_stats {
	unsigned long long by_status[4];
	unsigned long long by_source[ANSWER_SOURCE_COUNT];
	unsigned long long discoveries, coalesced;
	unsigned long long deadline_stale;    /* deadline passed: the last decision */
	unsigned long long deadline_notfound; /* deadline passed, nothing usable: NOTFOUND */
	unsigned long table_rows;
	/* added with the implementation: */
	unsigned long long cache_hits;      /* fresh cached decisions used */
	unsigned long long invalid_keys;    /* keys policy_key_normalize() refused */
	unsigned long long reloads, reload_failures;
	/* issue 14: timer reloads that read only the change marker
	 * (store/store_change.h): the tables had not changed */
	unsigned long long reload_unchanged;
	unsigned long table_invalid_rows;   /* skipped rows of the snapshot */
	unsigned long cache_entries;
	long long snapshot_time;            /* when the snapshot was loaded (time_t) */
	int db_down;                        /* the last reload failed */
	int db_config_error;                /* ... with STORE_ERR_CONFIG */
	/* refresh-ahead (not counted in discoveries): */
	unsigned long long refreshes_started;
	unsigned long long refreshes_completed; /* new decision swapped in */
	unsigned long long parent_keys;     /* ".parent" keys (Postfix walking up) */
	unsigned long long partial_replaced;/* partial answers replaced (MTA-STS) */
	unsigned long long disc_cancelled;  /* sources still running when an
					     * earlier one decided (issue 20) */
	int from_persisted;                 /* serving the table_snapshot file */
	/* database is a MariaDB replica whose state the last reload read: */
	int replica_known;
	int replica_running;                /* IO and SQL threads running */
	long long replica_lag;              /* Seconds_Behind_Master, -1 unknown */
	unsigned long long bypass_answers;  /* answered from tlspolicy_bypass */
	unsigned long bypass_active;        /* bypasses not expired */
	unsigned long long shadow_answers;  /* shadow mode: answers made NOTFOUND */
	/* issue 13 (Prometheus metrics, server/metrics_http.c): */
	unsigned long long by_source_status[ANSWER_SOURCE_COUNT][4];
	struct metrics_hist disc_latency[ANSWER_SOURCE_COUNT]; /* per source asked */
};
void engine_stats(const struct engine *eng, struct engine_stats *out);

#endif
