/* SPDX-License-Identifier: MIT */
/*
 * sts - the MTA-STS discovery source: sts_cache on real I/O (see sts.h).
 *
 * TXT records come from the shared DNS context (validated in-process;
 * a bogus answer counts as a failed lookup, so it can neither create
 * nor remove a policy), policies from sts_fetch.  Both complete from
 * the loop, never from within their start call, as sts_cache requires.
 */
#include "mtasts/sts.h"
#include "mtasts/sts_store.h"
#include "dns/dns.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#define DNS_TYPE_TXT 16
#define STS_CONCURRENCY_MAX 1024

struct sts {
	struct event_base *base;
	struct dns *dns;
	struct sts_store *store;   /* the writer, sts_service_new() with db_url */
	struct sts_fetcher *fetcher;
	struct dns *host_dns;      /* the fetcher's, for policy hosts */
	struct sts_cache *cache;
	struct sts_persist persist;
	struct event tick;
	struct event purge_ev;     /* with store: every STS_PURGE_INTERVAL */
	int purge_on;
	unsigned refresh_interval; /* sts_refresh_interval */
	unsigned lease_secs;       /* the fetch lease: https_timeout + extra */
	/* TXT records of one answer, strings concatenated */
	char (*txt)[STS_TXT_MAX_LEN];
};

struct sts_txtq {
	struct sts *sts;
	void *op;
	struct dns_query *q;
};

struct sts_fetchq {
	struct sts *sts;
	void *op;
	struct sts_fetch *x;
};

static time_t io_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static void txt_cb(void *arg, const struct dns_answer *ans)
{
	struct sts_txtq *t = arg;
	struct sts *sts = t->sts;
	void *op = t->op;
	struct sts_txt_rec recs[STS_TXT_MAX_RECORDS + 1];
	struct sts_txt txt;
	struct errbuf why;
	char buf[STS_REASON_MAX];
	size_t n = 0;

	free(t);
	if (ans->sec == DNS_SEC_BOGUS) {
		snprintf(buf, sizeof(buf), "DNSSEC validation failed (%s)",
			 ans->why ? ans->why : "bogus");
		sts_cache_txt_done(sts->cache, op, STS_TXT_FAILED, NULL, buf);
		return;
	}
	switch (ans->status) {
	case DNS_STATUS_DATA:
		break;
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		snprintf(buf, sizeof(buf), "no TXT record at %s (%s)", ans->qname,
			 dns_status_name(ans->status));
		sts_cache_txt_done(sts->cache, op, STS_TXT_NONE, NULL, buf);
		return;
	default:
		snprintf(buf, sizeof(buf), "%s%s%s", dns_status_name(ans->status),
			 ans->why ? ": " : "", ans->why ? ans->why : "");
		sts_cache_txt_done(sts->cache, op, STS_TXT_FAILED, NULL, buf);
		return;
	}
	/* More records than the selection examines make it fail, so one
	 * past the limit is enough.  A record whose RDATA does not fit
	 * (over STS_TXT_MAX_LEN) is ignored like one of another protocol. */
	for (size_t i = 0; i < ans->count && n <= STS_TXT_MAX_RECORDS; i++) {
		size_t len;

		if (sts_txt_rdata_concat(ans->records[i].data, ans->records[i].len,
					 sts->txt[n], STS_TXT_MAX_LEN, &len, NULL) < 0)
			continue;
		recs[n].data = sts->txt[n];
		recs[n].len = len;
		n++;
	}
	errbuf_clear(&why);
	if (sts_txt_select(recs, n, &txt, &why) < 0)
		sts_cache_txt_done(sts->cache, op, STS_TXT_NONE, NULL, why.msg);
	else
		sts_cache_txt_done(sts->cache, op, STS_TXT_FOUND, txt.id, NULL);
}

static void *io_txt_start(void *ctx, const char *domain, void *op)
{
	struct sts *sts = ctx;
	struct sts_txtq *t = xcalloc(1, sizeof(*t));
	char qname[STS_DOMAIN_MAX + 16];


	t->sts = sts;
	t->op = op;
	snprintf(qname, sizeof(qname), "_mta-sts.%s", domain);
	t->q = dns_resolve(sts->dns, qname, DNS_TYPE_TXT, txt_cb, t);
	return t;
}

static void io_txt_cancel(void *ctx, void *handle)
{
	struct sts_txtq *t = handle;

	(void)ctx;
	dns_cancel(t->q);
	free(t);
}

static void fetch_cb(void *arg, const struct sts_fetch_result *res)
{
	struct sts_fetchq *f = arg;
	struct sts *sts = f->sts;
	void *op = f->op;

	free(f);
	sts_cache_fetch_done(sts->cache, op, res->ok, res->body, res->len,
			     res->error);
}

static void *io_fetch_start(void *ctx, const char *domain, void *op)
{
	struct sts *sts = ctx;
	struct sts_fetchq *f = xcalloc(1, sizeof(*f));


	f->sts = sts;
	f->op = op;
	f->x = sts_fetch_start(sts->fetcher, domain, fetch_cb, f);
	return f;
}

static void io_fetch_cancel(void *ctx, void *handle)
{
	struct sts_fetchq *f = handle;

	(void)ctx;
	sts_fetch_cancel(f->x);
	free(f);
}

static void io_save(void *ctx, const struct sts_record *rec)
{
	struct sts *sts = ctx;

	if (sts->persist.save)
		sts->persist.save(sts->persist.ctx, rec);
}

static void io_remove(void *ctx, const char *domain, time_t fetched)
{
	struct sts *sts = ctx;

	if (sts->persist.remove)
		sts->persist.remove(sts->persist.ctx, domain, fetched);
}

/* ---- sharing (STS_PERSIST_SHARE): ask the store, poll while another
 * daemon holds the lease, give up after one lease's time ------------- */

struct sts_shareq {
	struct sts *sts;
	void *op;
	struct sts_share *job;     /* the store's request in flight, or NULL */
	struct event timer;        /* the next poll */
	int timer_on;
	int fallback;              /* the timer ends the wait: fetch */
	int waited;                /* logged that we wait */
	unsigned max_wait;         /* seconds */
	struct timespec started;   /* CLOCK_MONOTONIC: immune to clock skew */
	char domain[STS_DOMAIN_MAX + 1];
	char id[STS_TXT_ID_MAX + 1];
};

static void share_ask(struct sts_shareq *q);

static double share_elapsed(const struct sts_shareq *q)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - q->started.tv_sec)
	       + (double)(now.tv_nsec - q->started.tv_nsec) / 1e9;
}

static void share_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_shareq *q = arg;
	struct sts *sts = q->sts;
	void *op = q->op;

	(void)fd;
	(void)what;
	q->timer_on = 0;
	if (q->fallback) {
		free(q);
		sts_cache_shared_done(sts->cache, op, STS_SHARED_FETCH, NULL);
		return;
	}
	share_ask(q);
}

static void share_arm(struct sts_shareq *q, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_assign(&q->timer, q->sts->base, share_timer_cb, q);
	evtimer_add(&q->timer, &tv);
	q->timer_on = 1;
}

static void share_cb(void *arg, int result, const struct sts_record *rec,
		     const char *holder)
{
	struct sts_shareq *q = arg;
	struct sts *sts = q->sts;
	void *op = q->op;

	q->job = NULL;
	if (result == STS_SHARE_WAIT && !q->waited) {
		q->waited = 1;
		log_info("sts %s: %s is fetching policy id %s; waiting for its "
			 "result (at most %us)", q->domain, holder ? holder : "another server",
			 q->id, q->max_wait);
	}
	if (result == STS_SHARE_WAIT) {
		if (share_elapsed(q) < (double)q->max_wait) {
			share_arm(q, STS_SHARE_POLL_MS);
			return;
		}
		/* lookups waiting, or a lease that outlives its own term (a
		 * peer's clock ahead): our own fetch, never an endless wait */
		log_info("sts %s: waited %us for another server's fetch; fetching",
			 q->domain, q->max_wait);
		result = STS_SHARED_FETCH;
	}
	free(q);
	sts_cache_shared_done(sts->cache, op, (enum sts_shared_result)result, rec);
}

static void share_ask(struct sts_shareq *q)
{
	struct sts *sts = q->sts;

	q->job = sts_store_share(sts->store, q->domain, q->id, sts->refresh_interval,
				 sts->lease_secs, share_cb, q);
	if (q->job == NULL) {   /* the worker's queue is full */
		q->fallback = 1;
		share_arm(q, 0);
	}
}

static void *io_shared_start(void *ctx, const char *domain, const char *id,
			     int urgent, void *op)
{
	struct sts *sts = ctx;
	struct sts_shareq *q = xcalloc(1, sizeof(*q));

	q->sts = sts;
	q->op = op;
	q->max_wait = urgent && sts->lease_secs > STS_SHARE_WAIT_URGENT
			      ? STS_SHARE_WAIT_URGENT : sts->lease_secs;
	clock_gettime(CLOCK_MONOTONIC, &q->started);
	snprintf(q->domain, sizeof(q->domain), "%s", domain);
	snprintf(q->id, sizeof(q->id), "%s", id);
	if (sts->store == NULL) {   /* cannot happen: sharing needs the store */
		q->fallback = 1;
		share_arm(q, 0);
	} else {
		share_ask(q);
	}
	return q;
}

static void io_shared_cancel(void *ctx, void *handle)
{
	struct sts_shareq *q = handle;

	(void)ctx;
	if (q->job)
		sts_store_share_cancel(q->job);
	if (q->timer_on)
		event_del(&q->timer);
	free(q);
}

static void io_release(void *ctx, const char *domain)
{
	struct sts *sts = ctx;

	if (sts->store != NULL)
		sts_store_release(sts->store, domain);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts *sts = arg;

	(void)fd;
	(void)what;
	sts_cache_tick(sts->cache);
}

struct sts *sts_new(struct event_base *base, struct dns *dns,
		    const struct config *cfg,
		    const struct sts_fetch_opts *fetch_opts,
		    const struct sts_persist *persist, struct errbuf *why)
{
	struct sts_cache_opts copts;
	struct sts_fetch_opts fopts;
	struct sts_io io;
	struct sts *sts;
	struct timeval tv = { 0, 0 };
	long conc;

	memset(&copts, 0, sizeof(copts));
	if (sts_answer_opts_from_config(cfg, &copts.answer, why) < 0)
		return NULL;
	copts.refresh_interval = config_get_time(cfg, "sts_refresh_interval");
	if (copts.refresh_interval == 0) {
		errbuf_set(why, "sts_refresh_interval must be at least 1s");
		return NULL;
	}
	conc = config_get_int(cfg, "sts_refresh_concurrency");
	if (conc < 1 || conc > STS_CONCURRENCY_MAX) {
		errbuf_set(why, "sts_refresh_concurrency = %ld: must be 1..%d", conc,
			   STS_CONCURRENCY_MAX);
		return NULL;
	}
	copts.concurrency = (unsigned)conc;
	if (fetch_opts)
		fopts = *fetch_opts;
	else
		sts_fetch_opts_from_config(cfg, &fopts);

	if ((sts = calloc(1, sizeof(*sts))) == NULL
	    || (sts->txt = calloc(STS_TXT_MAX_RECORDS + 1, sizeof(*sts->txt))) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	sts->base = base;
	sts->dns = dns;
	sts->refresh_interval = copts.refresh_interval;
	sts->lease_secs = (fopts.timeout_ms ? fopts.timeout_ms : 10000) / 1000
			  + STS_SHARE_LEASE_EXTRA;
	if (persist)
		sts->persist = *persist;
	/*
	 * The policy hosts' addresses (sts_fetch.h): a context of their own
	 * on the same resolvers, without DNSSEC validation.  MTA-STS rests
	 * on the certificate, not on DNSSEC (RFC 8461 section 10): libcurl's
	 * resolver did not validate either, and a forged address gives no
	 * more than a failed fetch.  Validating them in the main context
	 * would cost a signature check or two per host (measured:
	 * docs/benchmarks.md, "policy hosts resolved in-process").  Names
	 * in /etc/hosts are answered from it, as getaddrinfo() did.
	 */
	if (fopts.dns == NULL && fopts.connect_to == NULL && !sts_fetch_resolves_hosts(&fopts)) {
		log_debug("MTA-STS: an https proxy from the environment fetches the policies "
			  "and resolves their hosts");
	} else if (fopts.dns == NULL && sts_fetch_resolves_hosts(&fopts)) {
		struct dns_opts o;

		dns_opts_from_config(cfg, &o);
		o.trust_anchor_file = NULL;
		o.unvalidated = 1;
		o.hosts_file = "/etc/hosts"; /* as libcurl's getaddrinfo() */
		if ((sts->host_dns = dns_new_opts(base, &o, why)) == NULL) {
			errbuf_prefix(why, "MTA-STS policy hosts");
			goto fail;
		}
		fopts.dns = sts->host_dns;
	}
	if ((sts->fetcher = sts_fetcher_new(base, &fopts, why)) == NULL)
		goto fail;
	memset(&io, 0, sizeof(io));
	io.ctx = sts;
	io.now = io_now;
	io.txt_start = io_txt_start;
	io.txt_cancel = io_txt_cancel;
	io.fetch_start = io_fetch_start;
	io.fetch_cancel = io_fetch_cancel;
	io.save = io_save;
	io.remove = io_remove;
	io.shared_start = io_shared_start;
	io.shared_cancel = io_shared_cancel;
	io.release = io_release;
	if ((sts->cache = sts_cache_new(&copts, &io)) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	tv.tv_sec = copts.refresh_interval / 4;
	if (tv.tv_sec < 1)
		tv.tv_sec = 1;
	if (tv.tv_sec > STS_TICK_MAX)
		tv.tv_sec = STS_TICK_MAX;
	event_assign(&sts->tick, base, -1, EV_PERSIST, tick_cb, sts);
	event_add(&sts->tick, &tv);
	return sts;
fail:
	if (sts) {
		sts_fetcher_free(sts->fetcher);
		dns_free(sts->host_dns);
		free(sts->txt);
		free(sts);
	}
	return NULL;
}

void sts_free(struct sts *sts)
{
	if (sts == NULL)
		return;
	event_del(&sts->tick);
	if (sts->purge_on)
		event_del(&sts->purge_ev);
	if (sts->store)   /* completions still queued must not reach the cache */
		sts_store_set_cache(sts->store, NULL);
	sts_cache_free(sts->cache);   /* cancels its TXT lookups and fetches */
	sts_fetcher_free(sts->fetcher);
	dns_free(sts->host_dns);      /* after the fetcher that uses it */
	sts_store_free(sts->store);   /* after the cache: writes what is queued */
	free(sts->txt);
	free(sts);
}

static void *src_discover(void *ctx, const char *domain, source_done_fn done,
			  void *done_arg)
{
	struct sts *sts = ctx;

	return sts_cache_lookup(sts->cache, domain, done, done_arg);
}

static void src_cancel(void *ctx, void *handle)
{
	struct sts *sts = ctx;

	sts_cache_cancel(sts->cache, handle);
}

void sts_source_init(struct sts *sts, struct engine_source *out)
{
	*out = (struct engine_source){ .name = "sts", .answer = ANSWER_STS, .ctx = sts,
				       .discover = src_discover, .cancel = src_cancel };
}

struct sts_cache *sts_cache_of(struct sts *sts)
{
	return sts->cache;
}

/* Loads the persisted policies; 0 when the database answered. */
static int load_persisted(struct sts *sts, const char *db_url)
{
	struct store *st = NULL;
	struct errbuf why;
	size_t loaded = 0, skipped = 0;

	errbuf_clear(&why);
	if (store_open(db_url, &st, &why) < 0
	    || sts_store_load(st, sts->cache, &loaded, &skipped, &why) < 0) {
		log_warnx("sts: cached MTA-STS policies not loaded: %s", why.msg);
		store_close(st);
		return -1;
	}
	store_close(st);
	log_info("sts: %zu cached MTA-STS policies loaded (%zu expired or "
		 "invalid skipped)", loaded, skipped);
	return 0;
}

/* Removes the rows of tlspolicy_sts that expired (nobody else does:
 * a domain not asked for again is never rewritten). */
static void purge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts *sts = arg;

	(void)fd;
	(void)what;
	sts_store_purge(sts->store, (long long)time(NULL));
}

int sts_service_new(struct event_base *base, const struct config *cfg,
		    struct dns *dns, struct worker *worker, const char *db_url,
		    unsigned persist_flags, struct sts **out, struct errbuf *why)
{
	struct sts_store *store = NULL;
	struct sts_persist persist;
	struct sts *sts;

	*out = NULL;
	memset(&persist, 0, sizeof(persist));
	if (db_url != NULL && (persist_flags & STS_PERSIST_SAVE)) {
		if (worker == NULL)
			return errbuf_set(why, "MTA-STS: persistence without a worker");
		if ((store = sts_store_new(db_url, worker, why)) == NULL)
			return -1;
		sts_store_persist(store, &persist);
	}
	if (dns == NULL) {
		sts_store_free(store);
		return errbuf_set(why, "MTA-STS: no DNS context");
	}
	if ((sts = sts_new(base, dns, cfg, NULL, &persist, why)) == NULL) {
		sts_store_free(store);
		return -1;
	}
	sts->store = store;
	if (store != NULL && (persist_flags & STS_PERSIST_SHARE)) {
		sts_store_set_cache(store, sts->cache);
		sts_cache_set_sharing(sts->cache, 1);
	}
	if (db_url != NULL && (persist_flags & STS_PERSIST_LOAD))
		load_persisted(sts, db_url);
	if (store != NULL) {
		struct timeval tv = { STS_PURGE_INTERVAL, 0 };

		event_assign(&sts->purge_ev, base, -1, EV_PERSIST, purge_cb, sts);
		event_add(&sts->purge_ev, &tv);
		sts->purge_on = 1;
		sts_store_purge(store, (long long)time(NULL)); /* once at start */
	}
	*out = sts;
	return 0;
}

struct sts_store *sts_store_of(struct sts *sts)
{
	return sts->store;
}
