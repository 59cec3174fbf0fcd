/* SPDX-License-Identifier: MIT */
/*
 * engine.c - decides the answer for one lookup key (see engine.h).
 *
 * Table path: normalise the key, probe the snapshot for the key and,
 * for a bare domain, ".parent" keys walking up, else `_default`; a
 * ".parent" key itself (Postfix walking up after NOTFOUND) gets its own
 * row or NOTFOUND, never `_default`.  No allocation, no lock: the
 * snapshot is immutable and only the loop thread swaps it.
 *
 * Discovery path (bare domains not in the table, when sources exist):
 * a cache entry per domain holds the last decision (fresh until
 * `expires`, usable as stale answer until `stale_until`) and at most
 * one discovery in flight; concurrent lookups of the domain wait on
 * that entry (coalescing).  A discovery asks the sources in order until
 * one applies (answer OK), decides NOTFOUND (answer NOTFOUND, cached like
 * an applying one) or reports TEMP (answer TEMP); FAILED and
 * NOT_APPLICABLE go on to the next.  A partial answer (SOURCE_F_PARTIAL)
 * is kept aside while the later sources are asked: the first that
 * applies with SOURCE_F_EVERY_MX replaces it (cached for the shorter of
 * the two TTLs), anything else that decides, or the end of the chain,
 * gives the partial answer.  When nothing applies, RES_NONE (`_default`,
 * else NOTFOUND) if every source said "nothing published", RES_UNKNOWN
 * (NOTFOUND) if one failed by our own fault.  Every waiting lookup has
 * its own deadline (lookup_deadline): when it passes, the lookup is
 * answered from the stale decision if there is one (never a TEMP one),
 * else NOTFOUND, and the discovery goes on in the background to fill
 * the cache (at most ENGINE_DISCOVERY_LIMIT seconds, then the source is
 * cancelled).  A discovery in which a source failed (our own failure)
 * and none decided does not overwrite a previous decision (other than
 * TEMP): that one keeps being served and is retried soon.
 *
 * Refresh-ahead: a lookup answered from a fresh cache entry that is in
 * the last ENGINE_REFRESH_PERCENT of its TTL (at least
 * ENGINE_REFRESH_MIN_WINDOW seconds; TTLs under 2 s are never refreshed
 * ahead) is answered at once from the entry, and then one background
 * discovery of the domain starts (a "refresh"; no waiters, so nothing
 * waits for it).  Its decision replaces the entry when it arrives, like
 * any discovery.  At most one refresh per stored decision (a failed
 * refresh is not retried before the entry expires), at most one
 * discovery per domain in flight (a lookup arriving after the entry
 * expired waits on the running refresh, coalesced), and at most
 * ENGINE_REFRESH_MAX refreshes in flight in all: past that, the entry is
 * rediscovered the ordinary way once it has expired.  Refreshes are
 * started only by lookups, so a domain not asked for since its last
 * decision is not refreshed and ages out of the cache.  A refresh in
 * which our own sources failed (SOURCE_FAILED, the discovery limit) and
 * none decided leaves the old entry as it is until its expiry.
 *
 * Reload: a job of the worker (util/worker.h; the engine's store handle
 * is used only by the worker thread after engine_new()) reads the table
 * into a new snapshot, one reload at a time; its completion on the loop
 * swaps it in whole.  A reload of the timer first reads the tables'
 * change marker (store/store_change.h) and reads nothing more when it is
 * the one read with the snapshot; SIGHUP (engine_reload) always reads
 * the tables.  A failed check is a failed reload; after a failed load,
 * an unread bypass table or an unwritten persisted snapshot the next
 * check reloads whatever the marker says.  A failed reload keeps the
 * old snapshot; the first
 * failure of an outage, a change between a temporary failure
 * (STORE_ERR_RETRY: a MariaDB handle reconnects next time) and a
 * configuration error (STORE_ERR_CONFIG: logged as such, nothing
 * reopened), and the recovery are logged, nothing in between.
 *
 * Invalid keys: a key that policy_key_normalize() rejects is answered
 * like a key that is not in the table (`_default`, else NOTFOUND; a key
 * beginning with a dot NOTFOUND), so a strange next-hop from Postfix
 * never defers mail; it is counted (invalid_keys) and logged at debug
 * level.
 */
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/snapshot_file.h"
#include "store/store_bypass.h"
#include "store/store_change.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timer.h"
#include "util/worker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#define ENGINE_MAX_SOURCES 8
#define ENGINE_CACHE_MAX 100000        /* cached domains */
#define ENGINE_DISCOVERY_LIMIT 60      /* seconds a discovery may run */
#define ENGINE_FAILED_TTL_MAX 60       /* cache time of a failed discovery */
/* retry interval of a start from the persisted snapshot with
 * reload_interval = 0 */
#define ENGINE_DB_RETRY 10
#define ENGINE_TEXT_MAX POLICY_MAX_TEXT
/* issue 15: the longest report_strings / report_mx kept (longer: none) */
#define ENGINE_REPORT_MAX (16 * 1024)
#define ENGINE_REFRESH_PERCENT 10      /* refresh in the last 10% of a TTL */
#define ENGINE_REFRESH_MIN_WINDOW 1    /* seconds; window at least this */
#define ENGINE_REFRESH_MAX 64          /* refreshes in flight at once */
#define ENGINE_SHADOW_SEEN 16384       /* shadow mode: domains logged per day */

/* RES_NONE: nothing published (`_default`, else NOTFOUND);
 * RES_NOTFOUND: a source applied and decided NOTFOUND (no `_default`);
 * RES_UNKNOWN: our own failure, nothing decided (NOTFOUND: Postfix
 * alone decides; no `_default`, which may be weaker than published). */
enum result_kind { RES_NONE, RES_APPLIES, RES_TEMP, RES_NOTFOUND, RES_UNKNOWN };

struct discovery;

struct centry {
	struct centry *hnext;              /* hash chain */
	struct centry *lru_prev, *lru_next;
	uint64_t hash;
	char *domain;
	int have_result;
	enum result_kind kind;
	enum answer_source src;
	char *text;                        /* policy text or TEMP reason */
	time_t expires, stale_until;
	time_t refresh_at;                 /* hits from here on start a refresh */
	int refresh_tried;                 /* one refresh per stored decision */
	struct discovery *disc;
	struct engine_req *wait_head, *wait_tail;
	int busy;                          /* answering waiters: no eviction */
	time_t fail_logged;                /* last source failure logged (info) */
	/* issue 15: the source that failed in the discovery behind the
	 * answer, for the TLSRPT journal (engine_set_observer) */
	enum answer_source failed_src;
	char *failed_reason;               /* NULL when none failed */
	/* issue 15: the policy as the source decided it (source_result's
	 * report_strings / report_mx), NULL when none */
	char *rep_strings, *rep_mx;
};

/*
 * Every source of a discovery runs at once (issue 20 item 4): the DANE
 * source's MX query, the MTA-STS source's TXT query (and its HTTPS fetch
 * once the TXT names a policy) and the provider's MX query start
 * together; their verdicts are taken strictly in precedence order, as
 * when they ran one after the other: a later source's verdict waits in
 * its slot until every earlier one has passed the decision to it.  When
 * a verdict decides, the sources still running are cancelled
 * (disc_free).
 */
struct disc_slot {
	struct discovery *d;
	size_t i;
	void *handle;                      /* while running */
	int running, have;                 /* started / verdict waiting */
	struct source_result res;          /* copied verdict (no pointers) */
	char *text;                        /* its policy text (malloc'ed) */
	char reason[256];
	char *rep_strings, *rep_mx;        /* issue 15: its report_* (malloc'ed) */
	struct timespec t0;                /* issue 13: the source's start */
	double latency;                    /* seconds from t0 to its verdict */
};

struct discovery {
	struct engine *eng;
	struct centry *e;
	size_t idx;                        /* the source whose verdict is next */
	size_t started;                    /* sources started so far */
	int starting, any_failed;
	enum answer_source failed_src;     /* issue 15: first failed source */
	int refresh;                       /* started ahead of expiry by a hit */
	unsigned neg_ttl;
	struct disc_slot slot[ENGINE_MAX_SOURCES];
	struct source_result res;          /* the verdict being taken */
	char text[ENGINE_TEXT_MAX + 1];
	char reason[256];
	/* a partial answer kept aside (SOURCE_F_PARTIAL) */
	int have_partial;
	enum answer_source partial_src;
	unsigned partial_ttl;
	char partial_text[ENGINE_TEXT_MAX + 1];
	char partial_reason[256];
	char *rep_strings, *rep_mx;         /* issue 15: the verdict being taken's */
	char *partial_rep_strings, *partial_rep_mx;
	struct timer limit_t;
};

struct engine_req {
	struct engine_req *prev, *next;
	struct engine *eng;
	struct centry *e;
	engine_cb cb;
	void *arg;
	struct timer deadline_t;
};

/* An emergency bypass (store_bypass.h) as the daemon holds it. */
struct bypass {
	char key[STORE_BYPASS_KEY_MAX + 1];
	char level[STORE_BYPASS_LEVEL_MAX + 1];
	char reason[STORE_BYPASS_REASON_MAX + 1];
	long long expires;
	int expired_logged;
};

struct bypass_set {
	struct bypass *v;
	size_t n;
};

struct reload_job {
	struct engine *eng;
	struct bypass_set bypass;          /* read with the table */
	int bypass_ok;                     /* 0: the table could not be read */
	struct snapshot *snap;
	int err;                           /* STORE_ERR_* when snap is NULL */
	struct errbuf why;
	int persisted;                     /* 1: written, -1: write failed */
	struct errbuf persist_why;
	int rep_rc;                        /* store_replica_status(): 0 read */
	struct store_replica rep;
	int force;                         /* 0: only when the marker changed */
	int unchanged;                     /* the marker said: nothing to read */
	struct store_mark mark;            /* read before the tables */
};

struct engine {
	struct event_base *base;
	struct timer_clock *clk;           /* NULL: the real clock */
	const struct config *cfg;
	char *db_url;
	struct store *store;               /* used by one thread at a time */
	struct policy_opts popts;
	struct snapshot *snap;
	time_t snap_time;
	size_t last_invalid;
	/* reload, on the worker (util/worker.h) */
	struct worker *worker;
	struct timer reload_t;
	unsigned reload_interval;          /* seconds, 0: no timer */
	struct reload_job *job;            /* submitted, not done */
	int reload_again, db_down, db_config_error;
	/* the persisted snapshot (ENGINE_PERSIST): path, digest of the rows
	 * last written (worker thread after engine_new) */
	char *persist_path;
	unsigned char persist_digest[SNAPSHOT_DIGEST_LEN];
	int persist_written, persist_failing, from_persisted;
	/* replication of a MariaDB replica, read with each reload (issue 14) */
	struct store_replica rep;
	int rep_known, rep_stopped_logged;
	int retry_only;                    /* reload_interval is ENGINE_DB_RETRY */
	int force_again;                   /* reload_again must read the tables */
	/* the change marker read with the snapshot in use (worker thread
	 * after engine_new; kind NONE: the next check reloads) */
	struct store_mark mark;
	struct bypass_set bypass;          /* issue 13 item 5 */
	/* shadow mode (issue 13 item 4): the setting, and what was logged
	 * on the UTC day shadow_day (hashes of the domain and its answer;
	 * open addressing, emptied at ENGINE_SHADOW_SEEN / 2 entries) */
	int shadow;
	long long shadow_day;
	size_t shadow_n;
	struct { uint64_t dom, ans; } shadow_seen[ENGINE_SHADOW_SEEN];
	/* sources and cache */
	struct engine_source sources[ENGINE_MAX_SOURCES];
	size_t nsources;
	struct centry **buckets;
	size_t nbuckets, nentries;
	struct centry *lru_head, *lru_tail;
	unsigned cache_min_ttl, cache_max_ttl, negative_ttl, failed_ttl, deadline;
	unsigned refreshing;               /* refreshes in flight */
	int discovery;                     /* setting discovery */
	int no_table;                      /* ENGINE_NO_TABLE */
	int log_failures;                  /* engine_log_failures() */
	struct engine_stats st;
	engine_observer observer;          /* issue 15: TLSRPT journal */
	void *observer_arg;
};

static time_t engine_now(const struct engine *eng)
{
	return timer_now(eng->clk, eng->base);
}

/* key: the table row that matched (ANSWER_TABLE, ANSWER_DEFAULT), else NULL */
static void answer_row(struct engine *eng, engine_cb cb, void *arg,
		       enum lookup_status st, enum answer_source src, const char *text,
		       const char *key)
{
	struct engine_answer ans;

	eng->st.by_status[st]++;
	eng->st.by_source[src]++;
	eng->st.by_source_status[src][st]++; /* issue 13: metrics */
	ans.status = st;
	ans.source = src;
	ans.text = text ? text : "";
	ans.key = key;
	cb(&ans, arg);
}

static void answer(struct engine *eng, engine_cb cb, void *arg,
		   enum lookup_status st, enum answer_source src, const char *text)
{
	answer_row(eng, cb, arg, st, src, text, NULL);
}

/* --- shadow mode (issue 13 item 4) ------------------------------ */

static uint64_t shadow_hash(const char *p, uint64_t h)
{
	for (; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/* Logs, once per domain, answer and UTC day, that a shadowed answer
 * (from: "dane", "table .example.com", ...; temp: a TEMP answer with
 * its reason) was replaced by NOTFOUND.  The set of what was logged is
 * bounded: when it is half full it starts again (a domain may then be
 * logged twice that day; never left out). */
static void shadow_log(struct engine *eng, const char *domain, const char *from,
		       int temp, const char *text)
{
	long long day = (long long)engine_now(eng) / 86400;
	uint64_t dh = shadow_hash(domain, 0xcbf29ce484222325ULL);
	uint64_t ah = shadow_hash(from, shadow_hash(text, (uint64_t)temp + 7));
	size_t mask = ENGINE_SHADOW_SEEN - 1, j;

	eng->st.shadow_answers++;
	if (day != eng->shadow_day || eng->shadow_n >= ENGINE_SHADOW_SEEN / 2) {
		memset(eng->shadow_seen, 0, sizeof(eng->shadow_seen));
		eng->shadow_n = 0;
		eng->shadow_day = day;
	}
	for (j = dh & mask; eng->shadow_seen[j].dom; j = (j + 1) & mask)
		if (eng->shadow_seen[j].dom == dh)
			break;
	if (eng->shadow_seen[j].dom == dh && eng->shadow_seen[j].ans == ah)
		return;
	if (eng->shadow_seen[j].dom == 0)
		eng->shadow_n++;
	eng->shadow_seen[j].dom = dh;
	eng->shadow_seen[j].ans = ah;
	log_info("shadow: %s would answer %s\"%s\" (from %s); answered NOTFOUND",
		 domain, temp ? "TEMP " : "", text, from);
}

/* The global setting `shadow` applies to discovery answers. */
static int shadowed_source(const struct engine *eng, enum answer_source src)
{
	return eng->shadow && (src == ANSWER_DANE || src == ANSWER_STS ||
			       src == ANSWER_PROVIDER);
}

/* A table row's text: NULL when the row is shadowed (`testing`); then
 * the lookup of domain (NULL: not logged, e.g. a ".parent" key) is
 * logged and must be answered NOTFOUND. */
static const char *row_text(struct engine *eng, const char *t, const char *domain,
			    const char *row)
{
	char from[POLICY_KEY_MAX + 8];

	if (t == NULL || t[0] != SNAPSHOT_SHADOW_MARK)
		return t;
	if (domain) {
		snprintf(from, sizeof(from), "table %s", row);
		shadow_log(eng, domain, from, 0, t + 1);
	}
	return NULL;
}

/* Step 4, nothing published: `_default`, else NOTFOUND.  domain: the
 * key asked (for the shadow log; NULL: none). */
static void answer_fallback(struct engine *eng, engine_cb cb, void *arg,
			    const char *domain)
{
	const char *t = snapshot_get(eng->snap, "_default", 8);

	if (t && t[0] == SNAPSHOT_SHADOW_MARK) {
		row_text(eng, t, domain, "_default");
		answer(eng, cb, arg, LOOKUP_NOTFOUND, ANSWER_NONE, NULL);
	} else if (t)
		answer_row(eng, cb, arg, LOOKUP_OK, ANSWER_DEFAULT, t, "_default");
	else
		answer(eng, cb, arg, LOOKUP_NOTFOUND, ANSWER_NONE, NULL);
}

/* Our own failure, or a key that is not the first Postfix asks:
 * NOTFOUND, so that Postfix decides as it would alone (main.cf). */
static void answer_notfound(struct engine *eng, engine_cb cb, void *arg)
{
	answer(eng, cb, arg, LOOKUP_NOTFOUND, ANSWER_NONE, NULL);
}

static void observe(struct engine *eng, struct centry *e, enum lookup_status st,
		    enum answer_source src, const char *text)
{
	struct engine_answer ans = { st, src, text ? text : "", NULL };
	struct engine_observation o = { e->domain, &ans, e->failed_src,
					e->failed_reason ? e->failed_reason : "",
					e->rep_strings ? e->rep_strings : "",
					e->rep_mx ? e->rep_mx : "" };

	eng->observer(eng->observer_arg, &o);
}

void engine_set_observer(struct engine *eng, engine_observer fn, void *arg)
{
	eng->observer = fn;
	eng->observer_arg = arg;
}

static void answer_entry(struct engine *eng, struct centry *e, engine_cb cb,
			 void *arg)
{
	int kind = e->kind;

	/* shadow mode: what discovery decided is logged, Postfix gets
	 * NOTFOUND (main.cf: what it would do alone) */
	if ((kind == RES_APPLIES && shadowed_source(eng, e->src)) ||
	    (kind == RES_TEMP && eng->shadow)) {
		shadow_log(eng, e->domain, kind == RES_TEMP ? "dnssec" : answer_source_name(e->src),
			   kind == RES_TEMP, e->text ? e->text : "");
		kind = RES_UNKNOWN;
	}
	if (eng->observer) { /* issue 15: TLSRPT journal */
		const char *dt = kind == RES_NONE ? snapshot_get(eng->snap, "_default", 8) : NULL;

		if (dt && dt[0] == SNAPSHOT_SHADOW_MARK)
			dt = NULL;
		switch (kind) {
		case RES_APPLIES:
			observe(eng, e, LOOKUP_OK, e->src, e->text);
			break;
		case RES_TEMP:
			observe(eng, e, LOOKUP_TEMP, ANSWER_ERROR, e->text);
			break;
		case RES_NOTFOUND:
			observe(eng, e, LOOKUP_NOTFOUND, e->src, NULL);
			break;
		case RES_NONE:
			observe(eng, e, dt ? LOOKUP_OK : LOOKUP_NOTFOUND,
				dt ? ANSWER_DEFAULT : ANSWER_NONE, dt);
			break;
		default:
			observe(eng, e, LOOKUP_NOTFOUND, ANSWER_NONE, NULL);
			break;
		}
	}
	switch (kind) {
	case RES_APPLIES:
		answer(eng, cb, arg, LOOKUP_OK, e->src, e->text);
		break;
	case RES_TEMP:
		answer(eng, cb, arg, LOOKUP_TEMP, ANSWER_ERROR, e->text);
		break;
	case RES_NOTFOUND:
		answer(eng, cb, arg, LOOKUP_NOTFOUND, e->src, NULL);
		break;
	case RES_UNKNOWN:
		answer_notfound(eng, cb, arg);
		break;
	case RES_NONE:
	default:
		answer_fallback(eng, cb, arg, e->domain);
		break;
	}
}

/* --- table ------------------------------------------------------- */

/* The table's policy for a normalised key (NUL-terminated), or NULL;
 * *matched: the row's key (key itself or a ".parent" suffix of it). */
static const char *table_find(struct engine *eng, const char *key, size_t len,
			      enum policy_key_kind kind, const char **matched)
{
	const char *t = snapshot_get(eng->snap, key, len), *dot;

	*matched = key;
	if (t || kind != POLICY_KEY_DOMAIN)
		return t;
	/* ".parent" entries, nearest first: a.b.c -> .b.c, .c (each a
	 * suffix of the key itself, so no copy) */
	for (dot = memchr(key, '.', len); dot;
	     dot = memchr(dot + 1, '.', len - (size_t)(dot + 1 - key))) {
		size_t n = len - (size_t)(dot - key);

		if (n <= 1)
			break;
		if ((t = snapshot_get(eng->snap, dot, n)) != NULL) {
			*matched = dot;
			return t;
		}
	}
	return NULL;
}

/* --- cache ------------------------------------------------------- */

static void lru_unlink(struct engine *eng, struct centry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		eng->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		eng->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_front(struct engine *eng, struct centry *e)
{
	if (eng->lru_head == e)
		return;
	if (e->lru_prev || e->lru_next || eng->lru_tail == e)
		lru_unlink(eng, e);
	e->lru_next = eng->lru_head;
	if (eng->lru_head)
		eng->lru_head->lru_prev = e;
	eng->lru_head = e;
	if (eng->lru_tail == NULL)
		eng->lru_tail = e;
}

static struct centry *cache_find(struct engine *eng, const char *d, size_t n,
				 uint64_t h)
{
	struct centry *e;

	if (eng->buckets == NULL)
		return NULL;
	for (e = eng->buckets[h & (eng->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && strlen(e->domain) == n && memcmp(e->domain, d, n) == 0)
			return e;
	return NULL;
}

static void cache_remove(struct engine *eng, struct centry *e)
{
	struct centry **pp = &eng->buckets[e->hash & (eng->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(eng, e);
	eng->nentries--;
	free(e->domain);
	free(e->text);
	free(e->failed_reason);
	free(e->rep_strings);
	free(e->rep_mx);
	free(e);
}

static int cache_grow(struct engine *eng)
{
	size_t nb = eng->nbuckets ? eng->nbuckets * 2 : 1024;
	struct centry **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < eng->nbuckets; i++) {
		struct centry *e = eng->buckets[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(eng->buckets);
	eng->buckets = b;
	eng->nbuckets = nb;
	return 0;
}

static void cache_evict(struct engine *eng)
{
	struct centry *e = eng->lru_tail, *prev;
	size_t scanned = 0;

	/* Least recently used first; entries in use stay. */
	while (e && eng->nentries >= ENGINE_CACHE_MAX && scanned++ < 64) {
		prev = e->lru_prev;
		if (e->disc == NULL && e->wait_head == NULL && !e->busy)
			cache_remove(eng, e);
		e = prev;
	}
}

static struct centry *cache_insert(struct engine *eng, const char *d, size_t n,
				   uint64_t h)
{
	struct centry *e;

	if (eng->nentries >= ENGINE_CACHE_MAX)
		cache_evict(eng);
	if (eng->nentries >= eng->nbuckets)
		cache_grow(eng);
	e = xcalloc(1, sizeof(*e));
	e->failed_src = ANSWER_NONE; /* issue 15 */
	e->domain = xmalloc(n + 1);
	memcpy(e->domain, d, n);
	e->domain[n] = '\0';
	e->hash = h;
	e->hnext = eng->buckets[h & (eng->nbuckets - 1)];
	eng->buckets[h & (eng->nbuckets - 1)] = e;
	eng->nentries++;
	lru_front(eng, e);
	return e;
}

/* --- discovery --------------------------------------------------- */

static unsigned clamp_ttl(unsigned ttl, unsigned lo, unsigned hi)
{
	if (ttl < lo)
		ttl = lo;
	if (ttl > hi)
		ttl = hi;
	return ttl;
}

static void waiter_unlink(struct centry *e, struct engine_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		e->wait_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		e->wait_tail = r->prev;
	r->prev = r->next = NULL;
}

/* Cancels the sources still running (their done() is not made), frees. */
static void disc_free(struct discovery *d)
{
	for (size_t i = 0; i < d->started; i++) {
		struct disc_slot *sl = &d->slot[i];
		const struct engine_source *src = &d->eng->sources[i];

		if (sl->running && src->cancel && sl->handle) {
			src->cancel(src->ctx, sl->handle);
			d->eng->st.disc_cancelled++;
		}
		free(sl->text);
		free(sl->rep_strings);
		free(sl->rep_mx);
	}
	if (d->refresh)
		d->eng->refreshing--;
	timer_stop(&d->limit_t);
	free(d->rep_strings);
	free(d->rep_mx);
	free(d->partial_rep_strings);
	free(d->partial_rep_mx);
	free(d);
}

/* Sets a new expiry of e: fresh for ttl seconds, refreshed ahead in the
 * last ENGINE_REFRESH_PERCENT of them (never for ttl < 2). */
static void entry_set_expiry(struct centry *e, time_t now, unsigned ttl)
{
	unsigned window = ttl / (100 / ENGINE_REFRESH_PERCENT);

	if (window < ENGINE_REFRESH_MIN_WINDOW)
		window = ENGINE_REFRESH_MIN_WINDOW;
	if (window > ttl / 2)
		window = 0;
	e->expires = now + ttl;
	e->refresh_at = e->expires - window;
	e->refresh_tried = 0;
}

/* Stores the outcome in the entry and answers every waiter. */
static void disc_finish(struct discovery *d, enum result_kind kind,
			enum answer_source src, const char *text, unsigned ttl)
{
	struct engine *eng = d->eng;
	struct centry *e = d->e;
	time_t now = engine_now(eng);
	struct engine_req *r;

	if (kind == RES_UNKNOWN && e->have_result && d->refresh &&
	    now < e->expires) {
		/* A failed refresh: the entry stays as it is until it
		 * expires (refresh_tried: not retried before). */
		log_debug("engine: %s: refresh failed; keeping the cached answer",
			  e->domain);
	} else if (kind == RES_UNKNOWN && e->have_result &&
		   (e->kind == RES_APPLIES || e->kind == RES_NOTFOUND ||
		    e->kind == RES_NONE) && now < e->stale_until) {
		/* Our own failure: keep serving the last decision (never a
		 * TEMP one: TEMP is answered fresh only). */
		log_debug("engine: %s: discovery failed; keeping the previous answer",
			  e->domain);
		entry_set_expiry(e, now, eng->failed_ttl);
	} else {
		char *t = text ? xstrdup(text) : NULL;

		free(e->text);
		e->text = t;
		e->kind = kind;
		e->src = src;
		e->have_result = 1;
		e->failed_src = d->failed_src; /* issue 15 */
		free(e->rep_strings);
		free(e->rep_mx);
		e->rep_strings = e->rep_mx = NULL;
		if (kind == RES_APPLIES || kind == RES_NOTFOUND) {
			e->rep_strings = d->rep_strings;
			e->rep_mx = d->rep_mx;
			d->rep_strings = d->rep_mx = NULL;
		}
		if (d->failed_src == ANSWER_NONE) {
			free(e->failed_reason);
			e->failed_reason = NULL;
		}
		entry_set_expiry(e, now, ttl);
		e->stale_until = e->expires + eng->cache_max_ttl;
		if (d->refresh)
			eng->st.refreshes_completed++;
	}
	e->disc = NULL;
	disc_free(d);
	e->busy++;
	while ((r = e->wait_head) != NULL) {
		waiter_unlink(e, r);
		timer_stop(&r->deadline_t);
		answer_entry(eng, e, r->cb, r->arg);
		free(r);
	}
	e->busy--;
}

static void disc_done(void *arg, const struct source_result *res);

/* A source's failure for a domain (MTA-STS fetch, DNSSEC bogus, DNS
 * errors): at info level, at most once per ENGINE_FAIL_LOG_INTERVAL per
 * domain (debug lines in between). */
#define ENGINE_FAIL_LOG_INTERVAL 600
static void fail_log(struct engine *eng, struct centry *e, const char *src,
		     const char *what, const char *reason)
{
	time_t now = engine_now(eng);

	if (eng->log_failures &&
	    (e->fail_logged == 0 || now - e->fail_logged >= ENGINE_FAIL_LOG_INTERVAL)) {
		e->fail_logged = now;
		log_info("%s %s: %s: %s (logged once per %d s for the domain)", src,
			 e->domain, what, reason, ENGINE_FAIL_LOG_INTERVAL);
	} else {
		log_debug("%s %s: %s: %s", src, e->domain, what, reason);
	}
}

/* Ends a discovery that kept a partial answer aside with that answer. */
static void disc_finish_partial(struct discovery *d)
{
	free(d->rep_strings);
	free(d->rep_mx);
	d->rep_strings = d->partial_rep_strings;
	d->rep_mx = d->partial_rep_mx;
	d->partial_rep_strings = d->partial_rep_mx = NULL;
	disc_finish(d, RES_APPLIES, d->partial_src, d->partial_text, d->partial_ttl);
}

/*
 * Takes the verdicts waiting in precedence order, from the source at
 * d->idx on, until one decides (the discovery is then finished and
 * freed: returns 1) or the next one has not answered yet (returns 0).
 */
static int disc_advance(struct discovery *d)
{
	struct engine *eng = d->eng;

	for (;;) {
		if (d->idx < d->started && d->slot[d->idx].have) {
			const struct engine_source *src = &eng->sources[d->idx];
			struct disc_slot *sl = &d->slot[d->idx];
			struct source_result *res = &d->res;
			unsigned ttl;

			sl->have = 0;
			metrics_hist_observe(&eng->st.disc_latency[src->answer], sl->latency);
			d->res = sl->res;
			d->text[0] = '\0';
			if (sl->text)
				memcpy(d->text, sl->text, strlen(sl->text) + 1);
			memcpy(d->reason, sl->reason, sizeof(d->reason));
			free(d->rep_strings);   /* issue 15: this verdict's */
			free(d->rep_mx);
			d->rep_strings = sl->rep_strings;
			d->rep_mx = sl->rep_mx;
			sl->rep_strings = sl->rep_mx = NULL;
			if (d->have_partial && (res->verdict == SOURCE_APPLIES ||
						res->verdict == SOURCE_NOTFOUND ||
						res->verdict == SOURCE_TEMP)) {
				/* A partial answer waits aside: an answer that
				 * authenticates every MX host replaces it, any
				 * other decision leaves it standing. */
				if (res->verdict == SOURCE_APPLIES &&
				    (res->flags & SOURCE_F_EVERY_MX)) {
					ttl = clamp_ttl(res->ttl, eng->cache_min_ttl,
							eng->cache_max_ttl);
					log_info("engine: %s: partial DANE (%s): the %s answer "
						 "authenticates every MX host, so it answers instead",
						 d->e->domain, d->partial_reason, src->name);
					eng->st.partial_replaced++;
					disc_finish(d, RES_APPLIES, src->answer, d->text,
						    ttl < d->partial_ttl ? ttl : d->partial_ttl);
				} else {
					disc_finish_partial(d);
				}
				return 1;
			}
			switch (res->verdict) {
			case SOURCE_APPLIES:
				ttl = clamp_ttl(res->ttl, eng->cache_min_ttl, eng->cache_max_ttl);
				if (res->flags & SOURCE_F_PARTIAL) {
					/* keep it aside; a later source may do better */
					d->have_partial = 1;
					d->partial_src = src->answer;
					d->partial_ttl = ttl;
					memcpy(d->partial_text, d->text, sizeof(d->text));
					memcpy(d->partial_reason, d->reason, sizeof(d->reason));
					free(d->partial_rep_strings);
					free(d->partial_rep_mx);
					d->partial_rep_strings = d->rep_strings;
					d->partial_rep_mx = d->rep_mx;
					d->rep_strings = d->rep_mx = NULL;
					break;
				}
				disc_finish(d, RES_APPLIES, src->answer, d->text, ttl);
				return 1;
			case SOURCE_NOTFOUND:
				disc_finish(d, RES_NOTFOUND, src->answer, NULL,
					    clamp_ttl(res->ttl, eng->cache_min_ttl,
						      eng->cache_max_ttl));
				return 1;
			case SOURCE_TEMP:
				fail_log(eng, d->e, src->name, "TEMP (the domain's DNSSEC is broken)",
					 d->reason[0] ? d->reason : "temporary failure");
				disc_finish(d, RES_TEMP, ANSWER_ERROR,
					    d->reason[0] ? d->reason : "temporary failure",
					    clamp_ttl(res->ttl, eng->cache_min_ttl,
						      eng->negative_ttl));
				return 1;
			case SOURCE_FAILED:
				fail_log(eng, d->e, src->name, "failed (the next source decides)",
					 d->reason);
				if (!d->any_failed) { /* issue 15: for the journal */
					d->failed_src = src->answer;
					free(d->e->failed_reason);
					d->e->failed_reason = xstrdup(d->reason);
				}
				d->any_failed = 1;
				break;
			case SOURCE_NOT_APPLICABLE:
			default:
				if (res->ttl > 0 && res->ttl < d->neg_ttl)
					d->neg_ttl = res->ttl < eng->cache_min_ttl
							     ? eng->cache_min_ttl
							     : res->ttl;
				break;
			}
			d->idx++;
		}
		if (d->idx >= eng->nsources) {
			if (d->have_partial)
				disc_finish_partial(d);
			else if (d->any_failed)
				disc_finish(d, RES_UNKNOWN, ANSWER_NONE, NULL, eng->failed_ttl);
			else
				disc_finish(d, RES_NONE, ANSWER_NONE, NULL, d->neg_ttl);
			return 1;
		}
		if (d->idx >= d->started || !d->slot[d->idx].have)
			return 0; /* not started yet, or still running */
	}
}

static void disc_done(void *arg, const struct source_result *res)
{
	struct disc_slot *sl = arg;
	struct discovery *d = sl->d;
	const struct engine_source *src = &d->eng->sources[sl->i];
	size_t n;

	if (!sl->running || sl->have)
		log_panic("engine: source %s answered twice", src->name);
	{ /* issue 13: discovery latency per source (from its start),
	   * observed when its verdict is taken (disc_advance) */
		struct timespec t1;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		sl->latency = (double)(t1.tv_sec - sl->t0.tv_sec) +
			      (t1.tv_nsec - sl->t0.tv_nsec) / 1e9;
	}
	sl->running = 0;
	sl->handle = NULL;
	sl->res = *res;
	sl->reason[0] = '\0';
	if (res->verdict == SOURCE_APPLIES) {
		if (res->policy_text == NULL || *res->policy_text == '\0' ||
		    (n = strlen(res->policy_text)) > ENGINE_TEXT_MAX) {
			log_warnx("engine: source %s: bad policy text; ignored", src->name);
			sl->res.verdict = SOURCE_FAILED;
		} else {
			free(sl->text);
			sl->text = xstrdup(res->policy_text);
		}
	}
	if (res->reason)
		printable(sl->reason, sizeof(sl->reason), res->reason, strlen(res->reason));
	/* issue 15: the policy as this source decided it, kept in its slot
	 * until its verdict is taken (disc_advance) */
	free(sl->rep_strings);
	free(sl->rep_mx);
	sl->rep_strings = sl->rep_mx = NULL;
	if ((sl->res.verdict == SOURCE_APPLIES || sl->res.verdict == SOURCE_NOTFOUND) &&
	    res->report_strings && strlen(res->report_strings) <= ENGINE_REPORT_MAX &&
	    (res->report_mx == NULL || strlen(res->report_mx) <= ENGINE_REPORT_MAX)) {
		sl->rep_strings = xstrdup(res->report_strings);
		sl->rep_mx = xstrdup(res->report_mx ? res->report_mx : "");
	}
	sl->res.policy_text = NULL;
	sl->res.reason = NULL;
	sl->res.report_strings = sl->res.report_mx = NULL;
	sl->have = 1;
	if (!d->starting && sl->i == d->idx)
		disc_advance(d);
}

static void disc_limit_cb(void *arg)
{
	struct discovery *d = arg;
	const struct engine_source *src = &d->eng->sources[d->idx];

	log_warnx("engine: %s: source %s still busy after %ds; cancelled",
		  d->e->domain, src->name, ENGINE_DISCOVERY_LIMIT);
	/* disc_finish*() ends in disc_free(), which cancels it and every
	 * later source still running */
	d->any_failed = 1;
	if (d->have_partial)
		disc_finish_partial(d);
	else
		disc_finish(d, RES_UNKNOWN, ANSWER_NONE, NULL, d->eng->failed_ttl);
}

static void disc_start(struct engine *eng, struct centry *e, int refresh)
{
	struct discovery *d = xcalloc(1, sizeof(*d));

	d->eng = eng;
	d->e = e;
	d->neg_ttl = eng->negative_ttl;
	d->failed_src = ANSWER_NONE;
	timer_init(&d->limit_t, eng->clk, eng->base, disc_limit_cb, d);
	timer_start(&d->limit_t, ENGINE_DISCOVERY_LIMIT);
	e->disc = d;
	if (refresh) {
		d->refresh = 1;
		eng->refreshing++;
		eng->st.refreshes_started++;
	} else {
		eng->st.discoveries++;
	}
	e->busy++;
	/* every source at once, in precedence order; one whose verdict
	 * (synchronous, e.g. from its own cache) decides before the later
	 * ones start spares them */
	for (size_t i = 0; i < eng->nsources; i++) {
		struct disc_slot *sl = &d->slot[i];
		void *h;

		sl->d = d;
		sl->i = i;
		sl->running = 1;
		clock_gettime(CLOCK_MONOTONIC, &sl->t0); /* issue 13 */
		d->started = i + 1;
		d->starting = 1;
		h = eng->sources[i].discover(eng->sources[i].ctx, e->domain, disc_done, sl);
		d->starting = 0;
		if (sl->running)
			sl->handle = h; /* asynchronous: disc_done continues */
		if (disc_advance(d))
			break;
	}
	if (eng->nsources == 0)
		disc_advance(d);
	e->busy--;
}

static void req_deadline_cb(void *arg)
{
	struct engine_req *r = arg;
	struct engine *eng = r->eng;
	struct centry *e = r->e;

	waiter_unlink(e, r);
	if (e->have_result && e->kind != RES_TEMP && engine_now(eng) < e->stale_until) {
		/* the last decision, stale (a TEMP one only ever fresh) */
		eng->st.deadline_stale++;
		answer_entry(eng, e, r->cb, r->arg);
	} else {
		/* never `_default`, which may be weaker than published */
		eng->st.deadline_notfound++;
		answer_notfound(eng, r->cb, r->arg);
	}
	free(r);
}

/* --- lookups ----------------------------------------------------- */

static const char *bypass_answer(struct engine *eng, const char *key);

struct engine_req *engine_lookup(struct engine *eng, const char *key,
				 engine_cb cb, void *arg)
{
	char norm[POLICY_KEY_MAX];
	enum policy_key_kind kind;
	struct errbuf why;
	const char *t, *matched;
	size_t len;
	uint64_t h;
	struct centry *e;
	struct engine_req *r;
	time_t now;

	errbuf_clear(&why);
	if (policy_key_normalize(key, norm, sizeof(norm), &kind, &why) < 0) {
		eng->st.invalid_keys++;
		log_debug("engine: %s", why.msg);
		if (key[0] == '.')
			answer_notfound(eng, cb, arg); /* a parent key: never `_default` */
		else
			answer_fallback(eng, cb, arg, NULL);
		return NULL;
	}
	len = strlen(norm);
	if (kind == POLICY_KEY_PARENT)
		eng->st.parent_keys++;
	/* the admin's emergency bypass: above everything */
	if (kind == POLICY_KEY_DOMAIN && (t = bypass_answer(eng, norm)) != NULL) {
		eng->st.bypass_answers++;
		answer(eng, cb, arg, LOOKUP_OK, ANSWER_TABLE, t);
		return NULL;
	}
	if ((t = table_find(eng, norm, len, kind, &matched)) != NULL) {
		/* a shadowed row (`testing`): NOTFOUND, also for the
		 * ".parent" keys of Postfix's walk after it */
		if ((t = row_text(eng, t, kind == POLICY_KEY_PARENT ? NULL : norm, matched)) == NULL)
			answer_notfound(eng, cb, arg);
		else
			answer_row(eng, cb, arg, LOOKUP_OK, ANSWER_TABLE, t, matched);
		return NULL;
	}
	if (kind == POLICY_KEY_PARENT) {
		/* Postfix walks up (.example.com, .com) only after NOTFOUND
		 * for the key it asked first; `_default` or a discovered
		 * policy here would override that NOTFOUND (dane_answer =
		 * notfound, a failure) with something weaker. */
		answer_notfound(eng, cb, arg);
		return NULL;
	}
	if (kind != POLICY_KEY_DOMAIN || eng->nsources == 0) {
		answer_fallback(eng, cb, arg, norm);
		return NULL;
	}

	h = snapshot_hash(norm, len);
	e = cache_find(eng, norm, len, h);
	if (e && e->have_result && (now = engine_now(eng)) < e->expires) {
		/* Fresh (possibly with a refresh running): answer now, then
		 * maybe refresh ahead; nothing waits for the refresh. */
		int refresh = now >= e->refresh_at && !e->refresh_tried &&
			      e->disc == NULL && eng->refreshing < ENGINE_REFRESH_MAX;

		eng->st.cache_hits++;
		lru_front(eng, e);
		e->busy++;
		answer_entry(eng, e, cb, arg);
		e->busy--;
		if (refresh && e->disc == NULL && !e->refresh_tried) {
			e->refresh_tried = 1;
			disc_start(eng, e, 1);
		}
		return NULL;
	}
	if (e == NULL)
		e = cache_insert(eng, norm, len, h);
	lru_front(eng, e);
	if (e->disc == NULL) {
		disc_start(eng, e, 0);
		if (e->disc == NULL) {
			/* Finished before returning. */
			answer_entry(eng, e, cb, arg);
			return NULL;
		}
	} else {
		eng->st.coalesced++;
	}
	r = xcalloc(1, sizeof(*r));
	r->eng = eng;
	r->e = e;
	r->cb = cb;
	r->arg = arg;
	r->prev = e->wait_tail;
	if (e->wait_tail)
		e->wait_tail->next = r;
	else
		e->wait_head = r;
	e->wait_tail = r;
	timer_init(&r->deadline_t, eng->clk, eng->base, req_deadline_cb, r);
	timer_start(&r->deadline_t, eng->deadline);
	return r;
}

void engine_cancel(struct engine_req *r)
{
	if (r == NULL)
		return;
	waiter_unlink(r->e, r);
	timer_stop(&r->deadline_t);
	free(r);
}

int engine_add_source(struct engine *eng, const struct engine_source *src)
{
	if (src->discover == NULL)
		return -1;
	if (!eng->discovery) {
		log_debug("engine: discovery = no: source %s not used", src->name);
		return 0;
	}
	if (eng->nsources >= ENGINE_MAX_SOURCES)
		return -1;
	eng->sources[eng->nsources++] = *src;
	return 0;
}

void engine_stats(const struct engine *eng, struct engine_stats *out)
{
	*out = eng->st;
	out->table_rows = (unsigned long)snapshot_rows(eng->snap);
	out->table_invalid_rows = (unsigned long)snapshot_invalid_rows(eng->snap);
	out->cache_entries = (unsigned long)eng->nentries;
	out->snapshot_time = eng->snap_time;
	out->from_persisted = eng->from_persisted;
	out->replica_known = eng->rep_known && eng->rep.is_replica;
	out->replica_running = out->replica_known && !store_replica_stopped(&eng->rep);
	out->replica_lag = out->replica_known ? eng->rep.lag : -1;
	out->bypass_answers = eng->st.bypass_answers;
	{
		long long now = (long long)engine_now(eng);

		out->bypass_active = 0;
		for (size_t i = 0; i < eng->bypass.n; i++)
			out->bypass_active += eng->bypass.v[i].expires > now;
	}
	out->db_down = eng->db_down;
	out->db_config_error = eng->db_config_error;
}

/* --- emergency bypass (issue 13 item 5) --------------------------- */

static int bypass_collect(const struct store_bypass_row *r, void *arg)
{
	struct bypass_set *bs = arg;
	struct bypass *nv = realloc(bs->v, (bs->n + 1) * sizeof(*nv));
	struct bypass *b;

	if (nv == NULL)
		return -1;
	bs->v = nv;
	b = &nv[bs->n];
	memset(b, 0, sizeof(*b));
	snprintf(b->key, sizeof(b->key), "%s", r->domain);
	snprintf(b->level, sizeof(b->level), "%s", r->level);
	snprintf(b->reason, sizeof(b->reason), "%s", r->reason);
	b->expires = r->expires;
	bs->n++;
	return 0;
}

static struct bypass *bypass_find(const struct bypass_set *bs, const char *key)
{
	for (size_t i = 0; i < bs->n; i++)
		if (strcmp(bs->v[i].key, key) == 0)
			return &bs->v[i];
	return NULL;
}

static void bypass_when(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void bypass_log_expired(struct bypass *b)
{
	if (b->expired_logged)
		return;
	b->expired_logged = 1;
	log_info("bypass for %s expired: answering its policy as before", b->key);
}

/* Loop thread: the bypasses just read replace the old ones; logs each
 * new one (or a new expiry), each gone while active, each expired. */
static void bypass_swap(struct engine *eng, struct bypass_set *nb)
{
	long long now = (long long)engine_now(eng);
	char when[32];

	for (size_t i = 0; i < nb->n; i++) {
		struct bypass *b = &nb->v[i], *o = bypass_find(&eng->bypass, b->key);

		if (o && o->expires == b->expires && strcmp(o->level, b->level) == 0) {
			b->expired_logged = o->expired_logged;
		} else if (b->expires > now) {
			bypass_when(b->expires, when, sizeof(when));
			log_warnx("bypass for %s: answering %s until %s, above the table and "
				  "discovery (reason: %s)", b->key, b->level, when,
				  b->reason[0] ? b->reason : "none given");
		} else {
			b->expired_logged = 1;  /* expired before we saw it */
		}
		if (b->expires <= now)
			bypass_log_expired(b);
	}
	for (size_t i = 0; i < eng->bypass.n; i++) {
		struct bypass *o = &eng->bypass.v[i];

		if (bypass_find(nb, o->key) == NULL && o->expires > now)
			log_info("bypass for %s deleted: answering its policy as before", o->key);
	}
	free(eng->bypass.v);
	eng->bypass = *nb;
	nb->v = NULL;
	nb->n = 0;
}

/* The bypass level for a normalised domain key, or NULL. */
static const char *bypass_answer(struct engine *eng, const char *key)
{
	struct bypass *b;

	if (eng->bypass.n == 0 || (b = bypass_find(&eng->bypass, key)) == NULL)
		return NULL;
	if ((long long)engine_now(eng) < b->expires)
		return b->level;
	bypass_log_expired(b);
	return NULL;
}

int engine_bypass(struct engine *eng, const char *domain, const char **level,
		  long long *expires, const char **reason)
{
	char norm[POLICY_KEY_MAX];
	struct bypass *b;
	struct errbuf why;

	if (policy_key_normalize(domain, norm, sizeof(norm), NULL, &why) < 0 ||
	    (b = bypass_find(&eng->bypass, norm)) == NULL ||
	    (long long)engine_now(eng) >= b->expires)
		return 0;
	*level = b->level;
	*expires = b->expires;
	*reason = b->reason;
	return 1;
}

/* --- reload ------------------------------------------------------ */

static int engine_store_open(struct engine *eng, struct errbuf *why)
{
	if (eng->store)
		return 0;
	/* The daemon and `query` only read: a missing SQLite file is an
	 * error ("run tlspolicy db init"), never created empty. */
	return store_open_ex(eng->db_url, STORE_OPEN_EXISTING, &eng->store, why);
}

/* Names the skipped rows (first load, and when their number changed). */
static void log_invalid_rows(const struct snapshot *s)
{
	size_t n = snapshot_invalid_rows(s);
	const char *msg;

	for (size_t i = 0; (msg = snapshot_invalid_reason(s, i)) != NULL; i++)
		log_warnx("policy table: skipping invalid row: %s", msg);
	if (n > SNAPSHOT_LOG_INVALID)
		log_warnx("policy table: %zu invalid rows skipped in all", n);
}

/* Writes snap to the setting table_snapshot when its rows differ from
 * what was written last.  Returns 1 written, 0 unchanged, -1 failed
 * (why).  Worker thread, or engine_new before the worker runs. */
static int persist_snapshot(struct engine *eng, const struct snapshot *snap,
			    const struct bypass_set *bs, struct errbuf *why)
{
	unsigned char digest[SNAPSHOT_DIGEST_LEN];
	struct store_bypass_row *bp = NULL;
	size_t len;
	char *data;
	int rc;

	if (eng->persist_path == NULL)
		return 0;
	/* the bypasses too: a start from the file answers them (issue 13) */
	if (bs->n > 0)
		bp = xcalloc(bs->n, sizeof(*bp));
	for (size_t i = 0; i < bs->n; i++) {
		bp[i].domain = bs->v[i].key;
		bp[i].level = bs->v[i].level;
		bp[i].reason = bs->v[i].reason;
		bp[i].expires = bs->v[i].expires;
	}
	data = snapshot_file_format_bp(snap, bp, bs->n, time(NULL), &len, digest);
	free(bp);
	if (data == NULL) {
		errbuf_set(why, "out of memory");
		return -1;
	}
	if (eng->persist_written && memcmp(digest, eng->persist_digest, sizeof(digest)) == 0) {
		free(data);
		return 0;
	}
	rc = snapshot_file_write(eng->persist_path, data, len, why);
	free(data);
	if (rc < 0)
		return -1;
	memcpy(eng->persist_digest, digest, sizeof(digest));
	eng->persist_written = 1;
	return 1;
}

static void log_persist(struct engine *eng, int rc, const struct snapshot *snap,
			const struct errbuf *why)
{
	if (rc > 0) {
		log_debug("policy table snapshot written to %s (%zu rows)",
			  eng->persist_path, snapshot_rows(snap));
		if (eng->persist_failing)
			log_info("policy table snapshot %s written again", eng->persist_path);
		eng->persist_failing = 0;
	} else if (rc < 0 && !eng->persist_failing) {
		log_warnx("cannot keep the policy table snapshot (%s): a restart while "
			  "the database is down will have no table; check the setting "
			  "table_snapshot and that its directory is writable by the daemon's user",
			  why->msg);
		eng->persist_failing = 1;
	}
}

/* worker thread, after a load or an unchanged change marker: the
 * replication state (store.h); a user without the privilege to read it
 * (SLAVE MONITOR): unknown. */
static void replica_read(struct engine *eng, struct reload_job *job)
{
	struct errbuf rw;

	errbuf_clear(&rw);
	job->rep_rc = -1;
	if (strcmp(store_backend(eng->store), "mysql") != 0)
		return;
	if ((job->rep_rc = store_replica_status(eng->store, &job->rep, &rw)) < 0)
		log_debug("replication state not read: %s", rw.msg);
}

/* loop thread: keeps the state for the metrics; logs when a replica's
 * replication stops (the table no longer follows the primary) and when
 * it runs again. */
static void replica_note(struct engine *eng, const struct reload_job *job)
{
	int stopped;

	if (job->rep_rc < 0) {
		eng->rep_known = 0;
		return;
	}
	eng->rep = job->rep;
	eng->rep_known = 1;
	stopped = store_replica_stopped(&job->rep);
	if (stopped && !eng->rep_stopped_logged)
		log_warnx("replication stopped on %s (IO thread %s, SQL thread %s%s%s): "
			  "serving its table, which no longer follows the primary %s; "
			  "tlspolicy db check shows it", store_describe(eng->store),
			  job->rep.io_running, job->rep.sql_running,
			  job->rep.last_error[0] ? "; last error: " : "", job->rep.last_error,
			  job->rep.primary);
	else if (!stopped && eng->rep_stopped_logged)
		log_info("replication running again on %s", store_describe(eng->store));
	eng->rep_stopped_logged = stopped;
}

/* worker thread: the blocking part (util/worker.h).  The engine's
 * store handle is used by the worker thread only, after engine_new(). */
static void reload_run(void *arg)
{
	struct reload_job *job = arg;
	struct engine *eng = job->eng;

	if ((job->err = engine_store_open(eng, &job->why)) == 0 &&
	    (job->err = store_change_mark(eng->store, &job->mark, &job->why)) == 0 &&
	    !job->force && store_mark_same(&job->mark, &eng->mark)) {
		job->unchanged = 1;
		/* a replica whose table did not change may still have stopped
		 * following its primary: read its state on every tick */
		replica_read(eng, job);
		return;
	}
	if (job->err == 0) {
		eng->mark.kind = STORE_MARK_NONE; /* until a load succeeds */
		job->snap = snapshot_load(eng->store, &eng->popts, &job->err, &job->why);
		if (job->snap == NULL && job->err == STORE_ERR_RETRY &&
		    strcmp(store_backend(eng->store), "sqlite") != 0) {
			/* Reconnect next time (the MariaDB server may have
			 * gone).  An SQLite handle stays: it was opened before
			 * the privilege drop, a new one might not be allowed
			 * the -wal/-shm files.  A configuration error is not
			 * cured by reconnecting. */
			store_close(eng->store);
			eng->store = NULL;
		}
		if (job->snap) {
			struct errbuf bw;

			/* a missing tlspolicy_bypass table (no db init yet): none */
			errbuf_clear(&bw);
			job->bypass_ok = store_bypass_list(eng->store, bypass_collect,
							   &job->bypass, &bw) == 0;
			if (!job->bypass_ok)
				log_debug("bypass table not read: %s", bw.msg);
			errbuf_clear(&job->persist_why);
			job->persisted = persist_snapshot(eng, job->snap, &job->bypass,
							  &job->persist_why);
			replica_read(eng, job);
		}
		if (job->snap && job->bypass_ok && job->persisted >= 0)
			eng->mark = job->mark;
	} else {
		/* the check failed: a failed reload (the next one reads the
		 * tables); reconnect next time, as after a failed load */
		eng->mark.kind = STORE_MARK_NONE;
		if (job->err == STORE_ERR_RETRY && eng->store &&
		    strcmp(store_backend(eng->store), "sqlite") != 0) {
			store_close(eng->store);
			eng->store = NULL;
		}
	}
}

static void reload_done(void *arg);

/* force: read the tables whatever the change marker says */
static void reload_start(struct engine *eng, int force)
{
	struct reload_job *job;

	if (eng->no_table)
		return;
	if (eng->job) {
		eng->reload_again = 1;
		eng->force_again |= force;
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->eng = eng;
	job->force = force;
	errbuf_clear(&job->why);
	eng->job = job;
	if (worker_submit(eng->worker, reload_run, reload_done, job) < 0) {
		log_warnx("engine: reload: the worker queue is full");
		eng->job = NULL;
		free(job);
	}
}

/* loop thread */
static void reload_done(void *arg)
{
	struct reload_job *job = arg;
	struct engine *eng = job->eng;

	eng->job = NULL;
	if (job->unchanged) {
		eng->st.reload_unchanged++;
		log_debug("policy table unchanged (change marker: %s)",
			  store_mark_kind_name(job->mark.kind));
		if (eng->db_down)
			log_info("policy table available again: %zu rows (unchanged)",
				 snapshot_rows(eng->snap));
		eng->db_down = 0;
		eng->db_config_error = 0;
		replica_note(eng, job);
	} else if (job->snap) {
		size_t inv = snapshot_invalid_rows(job->snap);
		struct snapshot_diff d;

		snapshot_diff(eng->snap, job->snap, &d);
		if (eng->db_down)
			log_info("policy table available again: %zu rows%s", snapshot_rows(job->snap),
				 eng->from_persisted ? " (no longer serving the persisted snapshot)" : "");
		if (d.added || d.changed || d.removed || inv != eng->last_invalid)
			log_info("policy table reloaded: %zu rows (%zu added, %zu changed, "
				 "%zu removed%s%s)", snapshot_rows(job->snap), d.added,
				 d.changed, d.removed, d.names[0] ? ": " : "", d.names);
		if (inv != eng->last_invalid)
			log_invalid_rows(job->snap);
		log_persist(eng, job->persisted, job->snap, &job->persist_why);
		replica_note(eng, job);
		if (job->bypass_ok)
			bypass_swap(eng, &job->bypass);
		if (eng->retry_only) {
			/* the retry timer of a start with reload_interval = 0 */
			timer_stop(&eng->reload_t);
			eng->reload_interval = 0;
			eng->retry_only = 0;
		}
		eng->from_persisted = 0;
		eng->db_down = 0;
		eng->db_config_error = 0;
		eng->last_invalid = inv;
		snapshot_free(eng->snap);
		eng->snap = job->snap;
		eng->snap_time = engine_now(eng);
		eng->st.reloads++;
	} else {
		int config = job->err == STORE_ERR_CONFIG;

		eng->st.reload_failures++;
		log_debug("policy table reload failed (%s): %s", store_err_name(job->err),
			  job->why.msg);
		/* the first failure of an outage, and a change of its kind */
		if (!eng->db_down || config != eng->db_config_error) {
			if (eng->from_persisted)
				log_warnx("policy table still unavailable (%s); serving the "
					  "persisted snapshot %s (%zu rows) until it is back",
					  job->why.msg, eng->persist_path, snapshot_rows(eng->snap));
			else if (config)
				log_warnx("policy table unavailable (%s): a configuration "
					  "error, retrying does not help - fix the "
					  "database or its grants (tlspolicy db init); "
					  "serving the last snapshot (%zu rows)",
					  job->why.msg, snapshot_rows(eng->snap));
			else
				log_warnx("policy table unavailable (%s); serving the last "
					  "snapshot (%zu rows) until it is back",
					  job->why.msg, snapshot_rows(eng->snap));
		}
		eng->db_down = 1;
		eng->db_config_error = config;
	}
	free(job->bypass.v);
	free(job);
	if (eng->reload_again) {
		int force = eng->force_again;

		eng->reload_again = 0;
		eng->force_again = 0;
		reload_start(eng, force);
	}
}

static void reload_timer_cb(void *arg)
{
	struct engine *eng = arg;

	timer_start(&eng->reload_t, eng->reload_interval);
	reload_start(eng, 0);
}

void engine_reload(struct engine *eng)
{
	reload_start(eng, 1);
}

struct worker *engine_worker(struct engine *eng)
{
	return eng->worker;
}

void engine_log_failures(struct engine *eng, int on)
{
	eng->log_failures = on;
}

size_t engine_reconfigure(struct engine *eng, const struct config *cfg, int forget)
{
	unsigned interval = config_get_time(cfg, "reload_interval");
	size_t n = 0;

	eng->cfg = cfg;
	eng->cache_min_ttl = config_get_time(cfg, "cache_min_ttl");
	eng->cache_max_ttl = config_get_time(cfg, "cache_max_ttl");
	if (eng->cache_max_ttl < eng->cache_min_ttl)
		eng->cache_max_ttl = eng->cache_min_ttl;
	eng->negative_ttl = config_get_time(cfg, "negative_cache_ttl");
	eng->failed_ttl = eng->cache_min_ttl < ENGINE_FAILED_TTL_MAX
				  ? eng->cache_min_ttl : ENGINE_FAILED_TTL_MAX;
	eng->deadline = config_get_time(cfg, "lookup_deadline");
	eng->discovery = config_get_bool(cfg, "discovery");
	eng->shadow = config_get_bool(cfg, "shadow");
	timer_stop(&eng->reload_t);
	eng->reload_interval = eng->no_table ? 0 : interval;
	if (eng->retry_only && eng->reload_interval == 0)
		eng->reload_interval = ENGINE_DB_RETRY; /* still retrying a dead database */
	else
		eng->retry_only = 0;
	if (eng->reload_interval > 0)
		timer_start(&eng->reload_t, eng->reload_interval);
	/* decisions made under the old settings; those in use finish */
	for (size_t i = 0; forget && i < eng->nbuckets; i++) {
		struct centry *e = eng->buckets[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			if (e->disc == NULL && e->wait_head == NULL && !e->busy) {
				cache_remove(eng, e);
				n++;
			}
		}
	}
	return n;
}

/* --- life cycle -------------------------------------------------- */

/* engine_new: the database could not be read (why); serve the persisted
 * snapshot instead, or fail with both reasons. */
static int start_from_persisted(struct engine *eng, struct errbuf *why)
{
	struct bypass_set nb = { NULL, 0 };
	struct errbuf pw;
	time_t written = 0;
	char when[32];
	struct tm tm;

	errbuf_prefix(why, "policy table");
	if (eng->persist_path == NULL)
		return -1;
	errbuf_clear(&pw);
	if ((eng->snap = snapshot_file_read_bp(eng->persist_path, &eng->popts, &written,
					       bypass_collect, &nb, &pw)) == NULL) {
		char db[ERRBUF_MAX];

		free(nb.v);
		memcpy(db, why->msg, sizeof(db));
		return errbuf_set(why, "%.*s; the persisted snapshot cannot be used either "
				  "(%.*s): not starting - make the database readable "
				  "(nothing is served until it is)", ERRBUF_MAX / 2, db,
				  ERRBUF_MAX / 3, pw.msg);
	}
	if (eng->store && strcmp(store_backend(eng->store), "sqlite") != 0) {
		store_close(eng->store);  /* reconnect on the next reload */
		eng->store = NULL;
	}
	gmtime_r(&written, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_warnx("%s; serving the persisted snapshot %s (%zu rows, %zu bypasses, written %s) "
		  "until the database answers again", why->msg, eng->persist_path,
		  snapshot_rows(eng->snap), nb.n, when);
	bypass_swap(eng, &nb);   /* logs each one, as when read from the table */
	errbuf_clear(why);
	eng->from_persisted = 1;
	eng->db_down = 1;
	eng->snap_time = written;
	return 0;
}

struct engine *engine_new(struct event_base *base, const struct config *cfg,
			  const char *db_url, struct errbuf *why)
{
	return engine_new_ex(base, cfg, db_url, 0, why);
}

struct engine *engine_new_ex(struct event_base *base, const struct config *cfg,
			     const char *db_url, unsigned flags, struct errbuf *why)
{
	static int store_inited;
	struct engine *eng = calloc(1, sizeof(*eng));
	unsigned interval;
	int err;

	if (eng == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	eng->base = base;
	eng->cfg = cfg;
	eng->popts.postfix_compat = config_get_version(cfg, "postfix_compatibility");
	eng->cache_min_ttl = config_get_time(cfg, "cache_min_ttl");
	eng->cache_max_ttl = config_get_time(cfg, "cache_max_ttl");
	if (eng->cache_max_ttl < eng->cache_min_ttl)
		eng->cache_max_ttl = eng->cache_min_ttl;
	eng->negative_ttl = config_get_time(cfg, "negative_cache_ttl");
	eng->failed_ttl = eng->cache_min_ttl < ENGINE_FAILED_TTL_MAX
				  ? eng->cache_min_ttl : ENGINE_FAILED_TTL_MAX;
	eng->deadline = config_get_time(cfg, "lookup_deadline");
	eng->discovery = config_get_bool(cfg, "discovery");
	eng->shadow = config_get_bool(cfg, "shadow");
	if ((eng->db_url = strdup(db_url ? db_url : config_get(cfg, "database"))) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	if (flags & ENGINE_NO_TABLE) {
		/* discovery only: an empty table, never reloaded */
		eng->no_table = 1;
		if ((eng->snap = snapshot_empty()) == NULL) {
			errbuf_set(why, "out of memory");
			goto fail;
		}
	} else {
		if (!store_inited) {
			if (store_global_init(why) < 0)
				goto fail;
			store_inited = 1;
		}
		const char *pp = config_get(cfg, "table_snapshot");

		if ((flags & ENGINE_PERSIST) && pp && *pp &&
		    (eng->persist_path = strdup(pp)) == NULL) {
			errbuf_set(why, "out of memory");
			goto fail;
		}
		if ((err = engine_store_open(eng, why)) == 0 &&
		    store_change_mark(eng->store, &eng->mark, why) < 0)
			eng->mark.kind = STORE_MARK_NONE; /* the load says why */
		if (err == 0)
			eng->snap = snapshot_load(eng->store, &eng->popts, &err, why);
		if (eng->snap == NULL)
			eng->mark.kind = STORE_MARK_NONE;
		if (eng->snap == NULL) {
			if (start_from_persisted(eng, why) < 0)
				goto fail;
			/* the reloads log a change of the failure's kind only */
			eng->db_config_error = err == STORE_ERR_CONFIG;
		}
	}
	eng->last_invalid = snapshot_invalid_rows(eng->snap);
	log_invalid_rows(eng->snap);
	if (eng->store && !eng->from_persisted) {
		struct bypass_set nb = { NULL, 0 };
		struct errbuf bw;

		errbuf_clear(&bw);
		if (store_bypass_list(eng->store, bypass_collect, &nb, &bw) != 0) {
			eng->mark.kind = STORE_MARK_NONE; /* read it at the next check */
		} else if (flags & ENGINE_PERSIST) {
			bypass_swap(eng, &nb);   /* the daemon logs them */
		} else {
			/* query, check: they say so in their own words */
			for (size_t i = 0; i < nb.n; i++)
				nb.v[i].expired_logged = 1;
			eng->bypass = nb;
			nb.v = NULL;
		}
		free(nb.v);
	}
	if (!eng->from_persisted) {
		struct errbuf pw;

		eng->snap_time = engine_now(eng);
		errbuf_clear(&pw);
		if ((err = persist_snapshot(eng, eng->snap, &eng->bypass, &pw)) < 0)
			eng->mark.kind = STORE_MARK_NONE; /* write it at the next check */
		log_persist(eng, err, eng->snap, &pw);
	}
	if ((eng->worker = worker_new(base, "engine", ENGINE_WORKER_QUEUE, why)) == NULL)
		goto fail;
	if ((interval = config_get_time(cfg, "reload_interval")) > 0 && !eng->no_table)
		eng->reload_interval = interval;
	/* started from the persisted snapshot: retry even without reloads */
	if (eng->reload_interval == 0 && eng->from_persisted) {
		eng->reload_interval = ENGINE_DB_RETRY;
		eng->retry_only = 1;
	}
	engine_set_clock(eng, NULL);
	return eng;
fail:
	if (eng->store)
		store_close(eng->store);
	snapshot_free(eng->snap);
	free(eng->persist_path);
	free(eng->db_url);
	free(eng);
	return NULL;
}

void engine_set_clock(struct engine *eng, struct timer_clock *clk)
{
	timer_stop(&eng->reload_t);
	eng->clk = clk;
	timer_init(&eng->reload_t, clk, eng->base, reload_timer_cb, eng);
	if (eng->reload_interval > 0)
		timer_start(&eng->reload_t, eng->reload_interval);
}

void engine_free(struct engine *eng)
{
	if (eng == NULL)
		return;
	/* a reload still running finishes (its done() runs from here); the
	 * worker stays for its other users (the MTA-STS store) */
	timer_stop(&eng->reload_t);
	eng->no_table = 1;      /* no reload_again restart */
	eng->reload_again = 0;
	worker_free(eng->worker);
	for (size_t i = 0; i < eng->nbuckets; i++) {
		while (eng->buckets[i]) {
			struct centry *e = eng->buckets[i];
			struct discovery *d = e->disc;

			if (d) {
				disc_free(d);   /* cancels its running sources */
				e->disc = NULL;
			}
			while (e->wait_head)
				engine_cancel(e->wait_head);
			cache_remove(eng, e);
		}
	}
	free(eng->buckets);
	if (eng->store)
		store_close(eng->store);
	snapshot_free(eng->snap);
	free(eng->bypass.v);
	free(eng->persist_path);
	free(eng->db_url);
	free(eng);
}
