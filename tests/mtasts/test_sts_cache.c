/* SPDX-License-Identifier: MIT */
/*
 * test_sts_cache - the MTA-STS cache and refresh state machine
 * (sts_cache.c) on a controllable clock: the test plays the TXT
 * lookups and fetches itself, completes them when it wants, and moves
 * the time.  The policies and answers go through the real parser and
 * the real policy layer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/sts_cache.h"

#define T0 1700000000
#define REFRESH 3600

/* ---- the scripted I/O ---------------------------------------------- */

enum kind { K_TXT, K_FETCH, K_SHARED };

struct pend {
	enum kind kind;
	char domain[256];
	void *op;
	int cancelled, done;
};

struct tio {
	time_t now;
	struct pend p[512];
	size_t np;
	unsigned saves, removes;
	char last_saved[256], last_saved_id[40], last_removed[256];
	time_t last_removed_fetched;
	unsigned releases;
	int last_urgent;
	char last_shared_id[40];
	time_t last_fetched, last_expires;
};

static time_t t_now(void *ctx)
{
	return ((struct tio *)ctx)->now;
}

static void *t_start(struct tio *t, enum kind k, const char *domain, void *op)
{
	struct pend *p;

	assert_true(t->np < sizeof(t->p) / sizeof(t->p[0]));
	p = &t->p[t->np++];
	p->kind = k;
	snprintf(p->domain, sizeof(p->domain), "%s", domain);
	p->op = op;
	return p;
}

static void *t_txt(void *ctx, const char *domain, void *op)
{
	return t_start(ctx, K_TXT, domain, op);
}

static void *t_fetch(void *ctx, const char *domain, void *op)
{
	return t_start(ctx, K_FETCH, domain, op);
}

static void *t_shared(void *ctx, const char *domain, const char *id, int urgent,
		      void *op)
{
	struct tio *t = ctx;

	t->last_urgent = urgent;
	snprintf(t->last_shared_id, sizeof(t->last_shared_id), "%s", id);
	return t_start(ctx, K_SHARED, domain, op);
}

static void t_release(void *ctx, const char *domain)
{
	(void)domain;
	((struct tio *)ctx)->releases++;
}

static void t_cancel(void *ctx, void *handle)
{
	(void)ctx;
	((struct pend *)handle)->cancelled = 1;
}

static void t_save(void *ctx, const struct sts_record *r)
{
	struct tio *t = ctx;

	t->saves++;
	snprintf(t->last_saved, sizeof(t->last_saved), "%s", r->domain);
	snprintf(t->last_saved_id, sizeof(t->last_saved_id), "%s", r->id);
	t->last_fetched = r->fetched;
	t->last_expires = r->expires;
	assert_non_null(strstr(r->policy_text, "version: STSv1\n"));
}

static void t_remove(void *ctx, const char *domain, time_t fetched)
{
	struct tio *t = ctx;

	t->removes++;
	t->last_removed_fetched = fetched;
	snprintf(t->last_removed, sizeof(t->last_removed), "%s", domain);
}

/* Number of open (started, not completed or cancelled) I/O of a kind
 * (for domain, or any when NULL). */
static int open_io(struct tio *t, enum kind k, const char *domain)
{
	int n = 0;

	for (size_t i = 0; i < t->np; i++)
		if (t->p[i].kind == k && !t->p[i].done && !t->p[i].cancelled
		    && (domain == NULL || strcmp(t->p[i].domain, domain) == 0))
			n++;
	return n;
}

static struct pend *take(struct tio *t, enum kind k, const char *domain)
{
	for (size_t i = 0; i < t->np; i++) {
		struct pend *p = &t->p[i];

		if (p->kind == k && !p->done && !p->cancelled
		    && strcmp(p->domain, domain) == 0) {
			p->done = 1;
			return p;
		}
	}
	fail_msg("no open %s for %s", k == K_TXT ? "TXT lookup" : k == K_FETCH ? "fetch" :
		 "shared cache request", domain);
	return NULL;
}

static void txt_found(struct tio *t, struct sts_cache *c, const char *d, const char *id)
{
	sts_cache_txt_done(c, take(t, K_TXT, d)->op, STS_TXT_FOUND, id, NULL);
}

static void txt_other(struct tio *t, struct sts_cache *c, const char *d,
		      enum sts_txt_status st, const char *why)
{
	sts_cache_txt_done(c, take(t, K_TXT, d)->op, st, NULL, why);
}

static void fetch_ok(struct tio *t, struct sts_cache *c, const char *d, const char *body)
{
	sts_cache_fetch_done(c, take(t, K_FETCH, d)->op, 1, body, strlen(body), NULL);
}

static void fetch_fail(struct tio *t, struct sts_cache *c, const char *d, const char *why)
{
	sts_cache_fetch_done(c, take(t, K_FETCH, d)->op, 0, NULL, 0, why);
}

/* ---- answers ---------------------------------------------------- */

struct got {
	int called;
	enum source_verdict v;
	char text[4096];
	char reason[512];
	unsigned ttl;
};

static void done_cb(void *arg, const struct source_result *r)
{
	struct got *g = arg;

	g->called++;
	g->v = r->verdict;
	snprintf(g->text, sizeof(g->text), "%s", r->policy_text ? r->policy_text : "");
	snprintf(g->reason, sizeof(g->reason), "%s", r->reason ? r->reason : "");
	g->ttl = r->ttl;
	if (r->verdict == SOURCE_TEMP)
		fail_msg("MTA-STS must never answer TEMP (%s)", g->reason);
}

struct fx {
	struct tio t;
	struct sts_cache *c;
};

static struct fx *fx_new(unsigned concurrency, int testing_may)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sts_cache_opts o = { REFRESH, concurrency, { testing_may, 1, 307 } };
	struct sts_io io = { 0 };

	assert_non_null(f);
	f->t.now = T0;
	io.ctx = &f->t;
	io.now = t_now;
	io.txt_start = t_txt;
	io.txt_cancel = t_cancel;
	io.fetch_start = t_fetch;
	io.fetch_cancel = t_cancel;
	io.save = t_save;
	io.remove = t_remove;
	io.shared_start = t_shared;
	io.shared_cancel = t_cancel;
	io.release = t_release;
	f->c = sts_cache_new(&o, &io);
	assert_non_null(f->c);
	return f;
}

static void fx_free(struct fx *f)
{
	sts_cache_free(f->c);
	free(f);
}

static void *lookup(struct fx *f, const char *d, struct got *g)
{
	memset(g, 0, sizeof(*g));
	return sts_cache_lookup(f->c, d, done_cb, g);
}

/* An answer must be there now, once, with this verdict and text. */
static void want(const struct got *g, enum source_verdict v, const char *text_or_reason)
{
	if (g->called != 1)
		fail_msg("called %d times, want once", g->called);
	if (g->v != v)
		fail_msg("verdict %d, want %d (reason \"%s\")", g->v, v, g->reason);
	if (v == SOURCE_APPLIES && strcmp(g->text, text_or_reason) != 0)
		fail_msg("text \"%s\", want \"%s\"", g->text, text_or_reason);
	if (v != SOURCE_APPLIES && strstr(g->reason, text_or_reason) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", g->reason, text_or_reason);
}

#define POL(mode, mx, age) "version: STSv1\nmode: " mode "\nmx: " mx "\nmax_age: " age "\n"
#define ANS(mx) "secure match=" mx " servername=hostname"

/* Discovers d from scratch with id and body; returns the answer. */
static void discover(struct fx *f, const char *d, const char *id, const char *body,
		     struct got *g)
{
	assert_non_null(lookup(f, d, g));
	assert_int_equal(g->called, 0);
	txt_found(&f->t, f->c, d, id);
	assert_int_equal(g->called, 0);
	fetch_ok(&f->t, f->c, d, body);
}

/* ---- tests ------------------------------------------------------ */

static void test_cold_then_cached(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	assert_int_equal(g.ttl, REFRESH);
	assert_int_equal(f->t.saves, 1);
	assert_string_equal(f->t.last_saved, "a.example");
	assert_string_equal(f->t.last_saved_id, "id1");
	assert_int_equal(f->t.last_fetched, T0);
	assert_int_equal(f->t.last_expires, T0 + 86400);

	/* fresh: answered at once, no I/O */
	f->t.now += 100;
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	assert_int_equal(open_io(&f->t, K_TXT, NULL) + open_io(&f->t, K_FETCH, NULL), 0);
	fx_free(f);
}

static void test_refresh_same_id(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;
	struct sts_cache_stats st;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	f->t.now = T0 + REFRESH - 1;
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	/* due: answered from the cache, the TXT id checked behind it */
	f->t.now = T0 + REFRESH;
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 1);
	/* a second lookup does not start a second check */
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 1);
	txt_found(&f->t, f->c, "a.example", "id1");
	assert_int_equal(open_io(&f->t, K_FETCH, NULL), 0); /* same id: no fetch */
	assert_int_equal(f->t.saves, 1);
	/* the next check is a refresh interval later */
	f->t.now = T0 + 2 * REFRESH - 1;
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	f->t.now = T0 + 2 * REFRESH;
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 1);
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.fetches, 1);
	assert_int_equal(st.refreshes, 2);
	fx_free(f);
}

static void test_id_change_refetches(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	f->t.now = T0 + REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id2");
	assert_int_equal(open_io(&f->t, K_FETCH, "a.example"), 1);
	/* while it is fetched, the old policy still answers */
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	f->t.now += 2;
	fetch_ok(&f->t, f->c, "a.example", POL("enforce", "*.b.example", "600"));
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS(".b.example"));
	assert_int_equal(g.ttl, 600);
	assert_int_equal(f->t.saves, 2);
	assert_string_equal(f->t.last_saved_id, "id2");
	assert_int_equal(f->t.last_expires, T0 + REFRESH + 2 + 600);
	fx_free(f);
}

static void test_fetch_failure_keeps_policy(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;
	struct sts_cache_stats st;
	time_t t;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	f->t.now = t = T0 + REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id2");
	fetch_fail(&f->t, f->c, "a.example", "HTTP status 404");
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	/* no new check before 5 minutes */
	f->t.now = t + STS_RETRY_MIN - 1;
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	f->t.now = t + STS_RETRY_MIN;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id2");
	fetch_ok(&f->t, f->c, "a.example", POL("enforce", "mx2.a.example", "86400"));
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx2.a.example"));
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.fetch_failed, 1);

	/* an invalid policy counts as a failed fetch and keeps the cache */
	f->t.now += REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id3");
	fetch_ok(&f->t, f->c, "a.example", "version: STSv1\nmode: enforce\nmax_age: 1\n");
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx2.a.example"));
	fx_free(f);
}

static void test_retry_limit_per_id(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;
	time_t t = T0;

	(void)state;
	/* nothing cached: the failure is SOURCE_FAILED, never TEMP */
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "x1");
	fetch_fail(&f->t, f->c, "b.example", "timed out after 10000 ms");
	want(&g, SOURCE_FAILED, "policy fetch failed: timed out after 10000 ms");
	/* a minute later (the engine asks again): TXT yes, fetch no */
	f->t.now = t + 60;
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "x1");
	assert_int_equal(open_io(&f->t, K_FETCH, NULL), 0);
	want(&g, SOURCE_FAILED, "policy id x1: fetch failed 60s ago (timed out after 10000 ms); next try in 240s");
	/* a new id may be fetched at once */
	f->t.now = t + 120;
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "x2");
	assert_int_equal(open_io(&f->t, K_FETCH, "b.example"), 1);
	fetch_fail(&f->t, f->c, "b.example", "HTTP status 500");
	want(&g, SOURCE_FAILED, "HTTP status 500");
	/* the tick keeps the entry while the limit applies */
	f->t.now = t + 120 + STS_RETRY_MIN - 1;
	sts_cache_tick(f->c);
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "x2");
	assert_int_equal(open_io(&f->t, K_FETCH, NULL), 0);
	want(&g, SOURCE_FAILED, "next try in 1s");
	f->t.now = t + 120 + STS_RETRY_MIN;
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "x2");
	fetch_ok(&f->t, f->c, "b.example", POL("enforce", "mx.b.example", "86400"));
	want(&g, SOURCE_APPLIES, ANS("mx.b.example"));
	fx_free(f);
}

static void test_expiring_same_id_refetches(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	/* max_age 7200: margin min(3600, 7200) = 3600 */
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "7200"), &g);
	f->t.now = T0 + 3600;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id1");
	assert_int_equal(open_io(&f->t, K_FETCH, "a.example"), 1);
	fetch_ok(&f->t, f->c, "a.example", POL("enforce", "mx.a.example", "7200"));
	assert_int_equal(f->t.last_expires, T0 + 3600 + 7200);
	/* a short max_age: renewed at half of it */
	discover(f, "s.example", "s1", POL("enforce", "mx.s.example", "600"), &g);
	f->t.now += 299;
	assert_null(lookup(f, "s.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, "s.example"), 0);
	f->t.now += 1;
	assert_null(lookup(f, "s.example", &g));
	txt_found(&f->t, f->c, "s.example", "s1");
	assert_int_equal(open_io(&f->t, K_FETCH, "s.example"), 1);
	fx_free(f);
}

static void test_mode_none_and_testing(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct fx *m = fx_new(8, 1);
	struct got g;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	f->t.now = T0 + REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "gone");
	fetch_ok(&f->t, f->c, "a.example", "version: STSv1\nmode: none\nmax_age: 86400\n");
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_NOT_APPLICABLE, "mode none");
	assert_int_equal(g.ttl, REFRESH);
	assert_int_equal(open_io(&f->t, K_TXT, NULL) + open_io(&f->t, K_FETCH, NULL), 0);

	discover(f, "t.example", "t1", POL("testing", "mx.t.example", "86400"), &g);
	want(&g, SOURCE_NOT_APPLICABLE, "mode testing (sts_testing = ignore)");
	discover(m, "t.example", "t1", POL("testing", "mx.t.example", "86400"), &g);
	want(&g, SOURCE_APPLIES, "may");
	fx_free(f);
	fx_free(m);
}

static void test_txt_missing_or_failing(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	assert_non_null(lookup(f, "n.example", &g));
	txt_other(&f->t, f->c, "n.example", STS_TXT_NONE, "no TXT record at _mta-sts.n.example (NXDOMAIN)");
	want(&g, SOURCE_NOT_APPLICABLE, "no MTA-STS policy: no TXT record");
	assert_non_null(lookup(f, "s.example", &g));
	txt_other(&f->t, f->c, "s.example", STS_TXT_FAILED, "SERVFAIL");
	want(&g, SOURCE_FAILED, "TXT lookup failed: SERVFAIL");

	/* with a policy cached, neither a missing TXT record nor a failing
	 * lookup removes it (RFC 8461 5.1) */
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	f->t.now = T0 + REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_other(&f->t, f->c, "a.example", STS_TXT_NONE, "no TXT record");
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	f->t.now += REFRESH;
	assert_null(lookup(f, "a.example", &g));
	txt_other(&f->t, f->c, "a.example", STS_TXT_FAILED, "timeout");
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	/* the failed check is retried after 5 minutes */
	f->t.now += STS_RETRY_MIN;
	assert_null(lookup(f, "a.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 1);
	fx_free(f);
}

static void test_expiry(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "100"), &g);
	assert_int_equal(g.ttl, 100);
	/* expired: no longer answered; a failure now means FAILED */
	f->t.now = T0 + 100;
	assert_non_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id1");
	fetch_fail(&f->t, f->c, "a.example", "Couldn't connect to server");
	want(&g, SOURCE_FAILED, "Couldn't connect");
	/* the tick drops it (and tells persistence) once the retry limit
	 * no longer needs it */
	f->t.now = T0 + 100 + STS_RETRY_MIN;
	sts_cache_tick(f->c);
	assert_int_equal(f->t.removes, 1);
	assert_string_equal(f->t.last_removed, "a.example");
	{
		struct sts_cache_stats st;

		sts_cache_stats(f->c, &st);
		assert_int_equal(st.entries, 0);
		assert_int_equal(st.expired, 1);
	}
	fx_free(f);
}

static void test_max_age_zero(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	discover(f, "z.example", "z1", POL("enforce", "mx.z.example", "0"), &g);
	want(&g, SOURCE_APPLIES, ANS("mx.z.example"));
	assert_int_equal(g.ttl, 0);
	/* not cached: the next lookup asks again */
	assert_non_null(lookup(f, "z.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, "z.example"), 1);
	fx_free(f);
}

static void test_coalesce_and_cancel(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g1, g2, g3;
	void *h2;
	struct sts_cache_stats st;

	(void)state;
	assert_non_null(lookup(f, "a.example", &g1));
	assert_non_null(h2 = lookup(f, "a.example", &g2));
	assert_non_null(lookup(f, "a.example", &g3));
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 1);
	sts_cache_cancel(f->c, h2);
	txt_found(&f->t, f->c, "a.example", "id1");
	fetch_ok(&f->t, f->c, "a.example", POL("enforce", "mx.a.example", "86400"));
	want(&g1, SOURCE_APPLIES, ANS("mx.a.example"));
	want(&g3, SOURCE_APPLIES, ANS("mx.a.example"));
	assert_int_equal(g2.called, 0);
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.discoveries, 1);
	assert_int_equal(st.coalesced, 2);
	fx_free(f);
}

static void test_proactive_bounded(void **state)
{
	struct fx *f = fx_new(3, 0);
	struct got g;
	char d[32];
	struct sts_cache_stats st;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(d, sizeof(d), "d%d.example", i);
		discover(f, d, "id1", POL("enforce", "mx.example", "86400"), &g);
	}
	f->t.now = T0 + REFRESH - 1;
	sts_cache_tick(f->c);
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	f->t.now = T0 + REFRESH;
	sts_cache_tick(f->c);
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 3);
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.queued, 7);
	/* each completion starts the next one */
	for (int done = 0; done < 10; done++) {
		for (int i = 0; i < 10; i++) {
			snprintf(d, sizeof(d), "d%d.example", i);
			if (open_io(&f->t, K_TXT, d)) {
				txt_found(&f->t, f->c, d, "id1");
				break;
			}
		}
		assert_true(open_io(&f->t, K_TXT, NULL) <= 3);
	}
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.refreshes, 10);
	assert_int_equal(st.fetches, 10);
	assert_int_equal(st.entries, 10);
	fx_free(f);
}

/* A policy is kept fresh for one max_age after its last use, then it
 * lapses and is forgotten. */
static void test_idle_lapses(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;

	(void)state;
	/* max_age 7200: margin 3600, so every check refetches */
	discover(f, "idle.example", "i1", POL("enforce", "mx.idle.example", "7200"), &g);
	f->t.now = T0 + 3600;
	sts_cache_tick(f->c);
	txt_found(&f->t, f->c, "idle.example", "i1");
	fetch_ok(&f->t, f->c, "idle.example", POL("enforce", "mx.idle.example", "7200"));
	assert_int_equal(f->t.last_expires, T0 + 3600 + 7200);
	/* due again, but unused for max_age: not refreshed */
	f->t.now = T0 + 7200;
	sts_cache_tick(f->c);
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	f->t.now = T0 + 3600 + 7200;
	sts_cache_tick(f->c);
	assert_int_equal(f->t.removes, 1);
	assert_string_equal(f->t.last_removed, "idle.example");
	/* the same with a use in between: refreshed */
	discover(f, "used.example", "u1", POL("enforce", "mx.used.example", "7200"), &g);
	f->t.now += 3600;
	assert_null(lookup(f, "used.example", &g));
	txt_found(&f->t, f->c, "used.example", "u1");
	fetch_ok(&f->t, f->c, "used.example", POL("enforce", "mx.used.example", "7200"));
	f->t.now += 3600;
	sts_cache_tick(f->c);
	assert_int_equal(open_io(&f->t, K_TXT, "used.example"), 1);
	fx_free(f);
}

static void test_load(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g;
	struct errbuf why;
	struct sts_record r = { 0 };

	(void)state;
	r.domain = "p.example";
	r.id = "pid";
	r.policy_text = POL("enforce", "*.p.example", "86400");
	r.fetched = T0 - 1000;
	r.expires = T0 - 1000 + 86400;
	assert_int_equal(sts_cache_load(f->c, &r, &why), 0);
	assert_null(lookup(f, "p.example", &g));
	want(&g, SOURCE_APPLIES, ANS(".p.example"));
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	/* the first check comes a refresh interval after the fetch */
	f->t.now = T0 - 1000 + REFRESH;
	assert_null(lookup(f, "p.example", &g));
	assert_int_equal(open_io(&f->t, K_TXT, "p.example"), 1);

	r.domain = "old.example";
	r.fetched = T0 - 86400;
	r.expires = T0;
	assert_int_equal(sts_cache_load(f->c, &r, &why), -1);
	assert_string_equal(why.msg, "old.example: expired");
	/* a stored expiry beyond fetched + max_age is not believed */
	r.domain = "long.example";
	r.fetched = T0 - 86400;
	r.expires = T0 + 86400;
	assert_int_equal(sts_cache_load(f->c, &r, &why), -1);
	r.domain = "bad.example";
	r.fetched = T0;
	r.expires = T0 + 86400;
	r.policy_text = "version: STSv1\nmode: enforce\n";
	assert_int_equal(sts_cache_load(f->c, &r, &why), -1);
	assert_string_equal(why.msg, "bad.example: no max_age field");
	fx_free(f);
}

static int count_cb(const struct sts_record *r, void *arg)
{
	(*(int *)arg)++;
	assert_non_null(r->domain);
	return 0;
}

static void test_flush_refresh_free(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct got g, g2;
	int n = 0;

	(void)state;
	discover(f, "a.example", "id1", POL("enforce", "mx.a.example", "86400"), &g);
	discover(f, "b.example", "id1", POL("enforce", "mx.b.example", "86400"), &g);
	assert_int_equal(sts_cache_walk(f->c, count_cb, &n), 0);
	assert_int_equal(n, 2);
	/* an explicit refresh refetches an unchanged id */
	assert_int_equal(sts_cache_refresh(f->c, "a.example"), 0);
	assert_int_equal(sts_cache_refresh(f->c, "a.example"), -1); /* busy */
	txt_found(&f->t, f->c, "a.example", "id1");
	assert_int_equal(open_io(&f->t, K_FETCH, "a.example"), 1);
	fetch_ok(&f->t, f->c, "a.example", POL("enforce", "mx9.a.example", "86400"));
	assert_null(lookup(f, "a.example", &g));
	want(&g, SOURCE_APPLIES, ANS("mx9.a.example"));

	assert_int_equal(sts_cache_flush(f->c, "a.example"), 1);
	assert_int_equal(f->t.removes, 1);
	assert_non_null(lookup(f, "a.example", &g));   /* discovered anew */
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 1);
	/* flushing a domain with a lookup waiting answers it FAILED */
	assert_int_equal(sts_cache_flush(f->c, "a.example"), 1);
	want(&g, SOURCE_FAILED, "flushed");
	assert_int_equal(open_io(&f->t, K_TXT, "a.example"), 0);
	assert_int_equal(sts_cache_flush(f->c, "nothing.example"), 0);

	/* free with work in flight: cancelled, no callback */
	assert_non_null(lookup(f, "c.example", &g2));
	assert_int_equal(open_io(&f->t, K_TXT, "c.example"), 1);
	sts_cache_free(f->c);
	assert_int_equal(g2.called, 0);
	assert_int_equal(open_io(&f->t, K_TXT, NULL), 0);
	free(f);
}

/* Sharing with other daemons (issue 14): a row with the TXT id answers
 * without a fetch and is not saved again; with the lease we fetch, and a
 * failed fetch releases it; without (the database failed) we fetch too;
 * a forced refresh skips the shared cache; a flush while the shared
 * cache is asked cancels the request. */
static void test_shared(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct sts_cache_stats st;
	struct sts_record rec;
	struct got g;

	(void)state;
	/* off until turned on: straight to the fetch */
	discover(f, "plain.example", "p1", POL("enforce", "mx.plain.example", "86400"), &g);
	want(&g, SOURCE_APPLIES, ANS("mx.plain.example"));
	sts_cache_set_sharing(f->c, 1);

	/* another daemon's row: used, no fetch, no save */
	assert_non_null(lookup(f, "a.example", &g));
	txt_found(&f->t, f->c, "a.example", "id1");
	assert_int_equal(open_io(&f->t, K_SHARED, "a.example"), 1);
	assert_int_equal(open_io(&f->t, K_FETCH, NULL), 0);
	assert_string_equal(f->t.last_shared_id, "id1");
	assert_int_equal(f->t.last_urgent, 1);   /* nothing cached: lookups wait */
	assert_int_equal(g.called, 0);
	memset(&rec, 0, sizeof(rec));
	rec.domain = "a.example";
	rec.id = "id1";
	rec.policy_text = POL("enforce", "mx.a.example", "86400");
	rec.fetched = T0 - 100;
	rec.expires = T0 - 100 + 86400;
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "a.example")->op,
			      STS_SHARED_USE, &rec);
	want(&g, SOURCE_APPLIES, ANS("mx.a.example"));
	assert_int_equal(open_io(&f->t, K_FETCH, NULL), 0);
	assert_int_equal(f->t.saves, 1);   /* plain.example's only */
	sts_cache_stats(f->c, &st);
	assert_int_equal(st.shared_used, 1);
	assert_int_equal(st.fetches, 1);

	/* a row of another id (stale) is not used: fetched */
	assert_non_null(lookup(f, "b.example", &g));
	txt_found(&f->t, f->c, "b.example", "new");
	rec.domain = "b.example";
	rec.id = "old";
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "b.example")->op,
			      STS_SHARED_USE, &rec);
	assert_int_equal(open_io(&f->t, K_FETCH, "b.example"), 1);
	fetch_ok(&f->t, f->c, "b.example", POL("enforce", "mx.b.example", "86400"));
	want(&g, SOURCE_APPLIES, ANS("mx.b.example"));
	assert_int_equal(f->t.releases, 0);

	/* the lease: we fetch; a failure releases it, the answer is ours */
	assert_non_null(lookup(f, "c.example", &g));
	txt_found(&f->t, f->c, "c.example", "c1");
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "c.example")->op,
			      STS_SHARED_LEASED, NULL);
	fetch_fail(&f->t, f->c, "c.example", "HTTP status 500");
	want(&g, SOURCE_FAILED, "HTTP status 500");
	assert_int_equal(f->t.releases, 1);
	/* the lease and a good fetch: saved (the save ends the lease) */
	f->t.now += STS_RETRY_MIN;
	assert_non_null(lookup(f, "c.example", &g));
	txt_found(&f->t, f->c, "c.example", "c1");
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "c.example")->op,
			      STS_SHARED_LEASED, NULL);
	fetch_ok(&f->t, f->c, "c.example", POL("enforce", "mx.c.example", "86400"));
	want(&g, SOURCE_APPLIES, ANS("mx.c.example"));
	assert_int_equal(f->t.releases, 1);
	assert_string_equal(f->t.last_saved, "c.example");

	/* the shared cache failed: fetched all the same */
	assert_non_null(lookup(f, "d.example", &g));
	txt_found(&f->t, f->c, "d.example", "d1");
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "d.example")->op,
			      STS_SHARED_FETCH, NULL);
	fetch_ok(&f->t, f->c, "d.example", POL("enforce", "mx.d.example", "86400"));
	want(&g, SOURCE_APPLIES, ANS("mx.d.example"));

	/* a refresh of a cached policy (new id) is not urgent: it answers */
	f->t.now += 60;
	assert_int_equal(open_io(&f->t, K_SHARED, NULL), 0);
	{
		struct got g2;
		time_t due = f->t.now + REFRESH;

		f->t.now = due;
		assert_null(lookup(f, "d.example", &g2));
		want(&g2, SOURCE_APPLIES, ANS("mx.d.example"));
		txt_found(&f->t, f->c, "d.example", "d2");
		assert_int_equal(open_io(&f->t, K_SHARED, "d.example"), 1);
		assert_int_equal(f->t.last_urgent, 0);
		/* another lookup meanwhile: answered from the cache at once */
		assert_null(lookup(f, "d.example", &g2));
		want(&g2, SOURCE_APPLIES, ANS("mx.d.example"));
		sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "d.example")->op,
				      STS_SHARED_FETCH, NULL);
		fetch_ok(&f->t, f->c, "d.example", POL("enforce", "mx.d.example", "86400"));
	}
	/* a forced refresh (sts refresh, admin) fetches without asking */
	assert_int_equal(sts_cache_refresh(f->c, "d.example"), 0);
	txt_found(&f->t, f->c, "d.example", "d1");
	assert_int_equal(open_io(&f->t, K_SHARED, NULL), 0);
	fetch_ok(&f->t, f->c, "d.example", POL("enforce", "mx.d.example", "86400"));

	/* flushed while asking: the request is cancelled, the lookup fails */
	assert_non_null(lookup(f, "e.example", &g));
	txt_found(&f->t, f->c, "e.example", "e1");
	assert_int_equal(open_io(&f->t, K_SHARED, "e.example"), 1);
	assert_int_equal(sts_cache_flush(f->c, "e.example"), 1);
	assert_int_equal(open_io(&f->t, K_SHARED, NULL), 0);
	want(&g, SOURCE_FAILED, "flushed");
	/* a lease held while flushed mid-fetch is released */
	assert_non_null(lookup(f, "g.example", &g));
	txt_found(&f->t, f->c, "g.example", "g1");
	sts_cache_shared_done(f->c, take(&f->t, K_SHARED, "g.example")->op,
			      STS_SHARED_LEASED, NULL);
	assert_int_equal(sts_cache_flush(f->c, "g.example"), 1);
	assert_int_equal(f->t.releases, 2);
	/* freed while asking: cancelled, no callback */
	assert_non_null(lookup(f, "h.example", &g));
	txt_found(&f->t, f->c, "h.example", "h1");
	fx_free(f);
}

/* sts_record_fresh: the id, a parsable policy, outside the refresh
 * margin min(max_age/2, 2 * refresh interval) of the expiry. */
static void test_record_fresh(void **state)
{
	struct sts_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.domain = "a.example";
	r.id = "id1";
	r.policy_text = POL("enforce", "mx.a.example", "86400");
	r.fetched = T0;
	r.expires = T0 + 86400;
	assert_true(sts_record_fresh(&r, "id1", REFRESH, T0));
	assert_false(sts_record_fresh(&r, "id2", REFRESH, T0));
	/* margin 2 h: fresh until 22 h */
	assert_true(sts_record_fresh(&r, "id1", REFRESH, T0 + 86400 - 2 * REFRESH - 1));
	assert_false(sts_record_fresh(&r, "id1", REFRESH, T0 + 86400 - 2 * REFRESH));
	/* the stored expiry counts only as far as max_age allows */
	r.expires = T0 + 10 * 86400;
	assert_false(sts_record_fresh(&r, "id1", REFRESH, T0 + 86400));
	r.policy_text = "not a policy";
	assert_false(sts_record_fresh(&r, "id1", REFRESH, T0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_then_cached),
		cmocka_unit_test(test_refresh_same_id),
		cmocka_unit_test(test_id_change_refetches),
		cmocka_unit_test(test_fetch_failure_keeps_policy),
		cmocka_unit_test(test_retry_limit_per_id),
		cmocka_unit_test(test_expiring_same_id_refetches),
		cmocka_unit_test(test_mode_none_and_testing),
		cmocka_unit_test(test_txt_missing_or_failing),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_max_age_zero),
		cmocka_unit_test(test_coalesce_and_cancel),
		cmocka_unit_test(test_proactive_bounded),
		cmocka_unit_test(test_idle_lapses),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_flush_refresh_free),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_record_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
