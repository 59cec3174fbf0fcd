/* SPDX-License-Identifier: MIT */
/*
 * test_engine.c - the engine against a real SQLite policy table and a
 * test double of our own discovery-source interface (engine.h): table
 * precedence (exact, .parent walking up, _default; ".parent" keys never
 * `_default`), source order and verdicts, partial answers replaced by an
 * every-MX one, coalescing, caching, TEMP (fresh only), deadline ->
 * stale / NOTFOUND, our own failures -> NOTFOUND, keeping an answer when
 * discovery fails, refresh-ahead of entries near expiry, cancel, reload
 * and a database outage.
 *
 * The engine runs on a fake clock (util/timer.h, engine_set_clock):
 * time moves only when a test moves it, one second at a time where it
 * waits for a deadline or an expiry, so the tests take no real time and
 * every second is exact (the refresh tests: 3 s TTLs, refresh window the
 * last second).  They assert what happened, never how long it took.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "engine/engine.h"
#include "server/metrics_http.h"
#include "util/buf.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timer.h"

#define TEST_DIR "/tmp/tlspolicy-server-test"
#define LOOP_MAX_SECONDS 10
#define CLOCK_START ((time_t)1700000000)

/* --- fake source ------------------------------------------------- */

struct rule {
	const char *domain;
	enum source_verdict v;
	const char *text;
	unsigned ttl;
	int async;
	unsigned flags;              /* SOURCE_F_* */
	const char *rep_s, *rep_mx;  /* issue 15: report_strings / report_mx */
};

struct fake_pending {
	struct fake_pending *next;
	char domain[256];
	source_done_fn done;
	void *arg;
};

struct fake {
	const char *name;
	int calls, cancels;
	struct rule rules[16];
	size_t nrules;
	struct fake_pending *pend;
};

static void fake_rule_flags(struct fake *f, const char *domain, enum source_verdict v,
			    const char *text, unsigned ttl, int async, unsigned flags)
{
	for (size_t i = 0; i < f->nrules; i++) {
		if (strcmp(f->rules[i].domain, domain) == 0) {
			f->rules[i] = (struct rule){ domain, v, text, ttl, async, flags, NULL, NULL };
			return;
		}
	}
	assert_true(f->nrules < 16);
	f->rules[f->nrules++] = (struct rule){ domain, v, text, ttl, async, flags, NULL, NULL };
}

static void fake_rule(struct fake *f, const char *domain, enum source_verdict v,
		      const char *text, unsigned ttl, int async)
{
	fake_rule_flags(f, domain, v, text, ttl, async, 0);
}

/* issue 15: what the source reports with its verdict for domain */
static void fake_report(struct fake *f, const char *domain, const char *s, const char *mx)
{
	for (size_t i = 0; i < f->nrules; i++) {
		if (strcmp(f->rules[i].domain, domain) == 0) {
			f->rules[i].rep_s = s;
			f->rules[i].rep_mx = mx;
			return;
		}
	}
	fail_msg("fake_report: no rule for %s", domain);
}

static const struct rule *fake_find(struct fake *f, const char *domain)
{
	for (size_t i = 0; i < f->nrules; i++)
		if (strcmp(f->rules[i].domain, domain) == 0)
			return &f->rules[i];
	return NULL;
}

static void fake_answer(const struct rule *r, source_done_fn done, void *arg)
{
	struct source_result res;

	memset(&res, 0, sizeof(res));
	res.verdict = r ? r->v : SOURCE_NOT_APPLICABLE;
	res.policy_text = r ? r->text : NULL;
	res.reason = r && r->v != SOURCE_APPLIES ? "fake reason" : NULL;
	res.ttl = r ? r->ttl : 300;
	res.flags = r ? r->flags : 0;
	res.report_strings = r ? r->rep_s : NULL;
	res.report_mx = r ? r->rep_mx : NULL;
	done(arg, &res);
}

static void *fake_discover(void *ctx, const char *domain, source_done_fn done,
			   void *done_arg)
{
	struct fake *f = ctx;
	const struct rule *r = fake_find(f, domain);
	struct fake_pending *p;

	f->calls++;
	if (r == NULL || !r->async) {
		fake_answer(r, done, done_arg);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	snprintf(p->domain, sizeof(p->domain), "%s", domain);
	p->done = done;
	p->arg = done_arg;
	p->next = f->pend;
	f->pend = p;
	return p;
}

static void fake_cancel(void *ctx, void *handle)
{
	struct fake *f = ctx;

	for (struct fake_pending **pp = &f->pend; *pp; pp = &(*pp)->next) {
		if (*pp == handle) {
			struct fake_pending *p = *pp;

			*pp = p->next;
			free(p);
			f->cancels++;
			return;
		}
	}
	fail_msg("cancel of an unknown handle");
}

/* Completes the pending discovery of domain with the current rule. */
static void fake_complete(struct fake *f, const char *domain)
{
	for (struct fake_pending **pp = &f->pend; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->domain, domain) == 0) {
			struct fake_pending *p = *pp;
			const struct rule *r = fake_find(f, domain);
			struct rule sync;

			*pp = p->next;
			sync = r ? *r : (struct rule){ domain, SOURCE_NOT_APPLICABLE, NULL, 300, 0, 0, NULL, NULL };
			fake_answer(&sync, p->done, p->arg);
			free(p);
			return;
		}
	}
	fail_msg("no pending discovery for %s", domain);
}

static void fake_add(struct engine *eng, struct fake *f, const char *name,
		     enum answer_source as)
{
	struct engine_source src = { name, as, f, fake_discover, fake_cancel };

	f->name = name;
	assert_int_equal(engine_add_source(eng, &src), 0);
}

/* --- answers and the loop ---------------------------------------- */

struct ans {
	int done;
	enum lookup_status st;
	enum answer_source src;
	char text[512];
	char key[256];           /* the row that matched, "" for none */
};

static void ans_cb(const struct engine_answer *a, void *arg)
{
	struct ans *x = arg;

	assert_int_equal(x->done, 0);
	x->done = 1;
	x->st = a->status;
	x->src = a->source;
	snprintf(x->text, sizeof(x->text), "%s", a->text);
	snprintf(x->key, sizeof(x->key), "%s", a->key ? a->key : "");
}

/* Runs the loop and moves the fake clock on, a second at a time, until
 * *flag is set (at most LOOP_MAX_SECONDS of fake time). */
static void run_until(struct event_base *base, struct timer_clock *clk, int *flag)
{
	for (int s = 0; !*flag && s <= LOOP_MAX_SECONDS; s++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (!*flag)
			timer_fake_advance(clk, 1);
	}
	assert_true(*flag);
}

/* Synchronous lookup: the answer must come before engine_lookup returns. */
static struct ans lookup_now(struct engine *eng, const char *key)
{
	struct ans a;

	memset(&a, 0, sizeof(a));
	assert_null(engine_lookup(eng, key, ans_cb, &a));
	assert_true(a.done);
	return a;
}

/* A lookup that waits for discovery, answered by the loop (the deadline
 * or the discovery, whichever comes first). */
static struct ans lookup_wait(struct engine *eng, struct event_base *base,
			      struct timer_clock *clk, const char *key)
{
	struct ans a;

	memset(&a, 0, sizeof(a));
	assert_non_null(engine_lookup(eng, key, ans_cb, &a));
	run_until(base, clk, &a.done);
	return a;
}

/* --- fixture ----------------------------------------------------- */

static struct timer_clock *test_clk;   /* the fixture's, for now_sec() */

struct fx {
	char dbpath[256], url[300];
	struct config *cfg;
	struct event_base *base;
	struct timer_clock *clk;
	struct engine *eng;
	struct fake a, b, c;
};

static void db_put(struct fx *fx, const char *domain, const char *level,
		   const char *params)
{
	struct store *st;
	struct errbuf why;

	errbuf_clear(&why);
	if (store_open(fx->url, &st, &why) < 0)
		fail_msg("store_open: %s", why.msg);
	if (store_put(st, domain, level, params, NULL, &why) < 0)
		fail_msg("store_put %s: %s", domain, why.msg);
	store_close(st);
}

static void db_sql(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(fx->dbpath, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static int setup(void **state)
{
	static int n;
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store *st;
	struct errbuf why;
	int created;

	mkdir(TEST_DIR, 0755);
	snprintf(fx->dbpath, sizeof(fx->dbpath), TEST_DIR "/engine-%ld-%d.db",
		 (long)getpid(), n++);
	unlink(fx->dbpath);
	snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->dbpath);
	errbuf_clear(&why);
	if (store_open_ex(fx->url, STORE_OPEN_CREATE, &st, &why) < 0 || store_init(st, &created, &why) < 0)
		fail_msg("store: %s", why.msg);
	store_close(st);
	db_put(fx, "example.com", "secure", "match=.example.com");
	db_put(fx, ".example.org", "encrypt", NULL);
	db_put(fx, ".org", "may", NULL);
	db_put(fx, "_default", "may", "protocols=>=TLSv1.2");
	db_put(fx, "[mx.example.net]:25", "verify", NULL);

	fx->cfg = config_new();
	assert_int_equal(config_set(fx->cfg, "cache_min_ttl", "0", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "lookup_deadline", "1s", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "reload_interval", "0", NULL), 0);
	fx->base = event_base_new();
	fx->eng = engine_new(fx->base, fx->cfg, fx->url, &why);
	if (fx->eng == NULL)
		fail_msg("engine_new: %s", why.msg);
	fx->clk = timer_fake_new(CLOCK_START);
	engine_set_clock(fx->eng, fx->clk);
	test_clk = fx->clk;
	fake_add(fx->eng, &fx->a, "dane", ANSWER_DANE);
	fake_add(fx->eng, &fx->b, "sts", ANSWER_STS);
	fake_add(fx->eng, &fx->c, "provider", ANSWER_PROVIDER);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	engine_free(fx->eng);
	timer_fake_free(fx->clk);        /* aborts if a timer is still armed */
	/* every pending discovery was cancelled by engine_free */
	assert_null(fx->a.pend);
	assert_null(fx->b.pend);
	assert_null(fx->c.pend);
	event_base_free(fx->base);
	config_free(fx->cfg);
	unlink(fx->dbpath);
	free(fx);
	return 0;
}

/* --- tests ------------------------------------------------------- */

static void test_table(void **state)
{
	struct fx *fx = *state;
	struct ans a;

	fake_rule(&fx->a, "example.com", SOURCE_APPLIES, "dane-only", 300, 0);
	fake_rule(&fx->a, "sub.example.org", SOURCE_APPLIES, "dane-only", 300, 0);

	a = lookup_now(fx->eng, "example.com");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_int_equal(a.src, ANSWER_TABLE);
	assert_string_equal(a.text, "secure match=.example.com");
	assert_string_equal(a.key, "example.com");            /* the row that matched */
	a = lookup_now(fx->eng, "EXAMPLE.com.");              /* normalised */
	assert_string_equal(a.text, "secure match=.example.com");
	assert_string_equal(a.key, "example.com");
	/* a manual .parent entry beats discovery for the child */
	a = lookup_now(fx->eng, "sub.example.org");
	assert_int_equal(a.src, ANSWER_TABLE);
	assert_string_equal(a.text, "encrypt");
	assert_string_equal(a.key, ".example.org");
	a = lookup_now(fx->eng, "a.b.deep.example.org");       /* walking up */
	assert_string_equal(a.text, "encrypt");
	assert_string_equal(a.key, ".example.org");
	a = lookup_now(fx->eng, "example.org");               /* .example.org: children only */
	assert_string_equal(a.text, "may");                   /* from .org */
	assert_int_equal(a.src, ANSWER_TABLE);
	assert_string_equal(a.key, ".org");
	assert_int_equal(fx->a.calls, 0);                     /* sources never asked */

	/* [host]:port and IP literals: table only, then _default */
	a = lookup_now(fx->eng, "[mx.example.net]:25");
	assert_string_equal(a.text, "verify");
	a = lookup_now(fx->eng, "[other.example.net]:25");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	assert_string_equal(a.key, "_default");
	assert_string_equal(a.text, "may protocols=>=TLSv1.2");
	a = lookup_now(fx->eng, "[192.0.2.1]");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	assert_int_equal(fx->a.calls, 0);

	/* ".parent" keys (Postfix walking up after NOTFOUND): the row for
	 * exactly that key, else NOTFOUND - never `_default`, no discovery */
	a = lookup_now(fx->eng, ".example.org");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_int_equal(a.src, ANSWER_TABLE);
	assert_string_equal(a.text, "encrypt");
	a = lookup_now(fx->eng, ".org");
	assert_string_equal(a.text, "may");
	a = lookup_now(fx->eng, ".example.com");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_NONE);
	assert_string_equal(a.text, "");
	a = lookup_now(fx->eng, ".sub.example.org");       /* Postfix asks .example.org next */
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	a = lookup_now(fx->eng, ".COM.");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	a = lookup_now(fx->eng, ".bad..key");               /* invalid, but a parent key */
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(fx->a.calls, 0);

	/* an invalid key is answered like an unlisted one, never TEMP/PERM */
	a = lookup_now(fx->eng, "bad..key");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_int_equal(a.src, ANSWER_DEFAULT);
	a = lookup_now(fx->eng, "\xff\xfe");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	{
		struct engine_stats es;

		engine_stats(fx->eng, &es);
		assert_int_equal(es.invalid_keys, 3);
		assert_int_equal(es.table_rows, 5);
		assert_int_equal(es.by_source[ANSWER_TABLE], 8);
		assert_int_equal(es.parent_keys, 5);
	}
}

static void test_source_order(void **state)
{
	struct fx *fx = *state;
	struct ans a;

	/* first source that applies wins */
	fake_rule(&fx->a, "both.test", SOURCE_APPLIES, "dane-only", 300, 0);
	fake_rule(&fx->b, "both.test", SOURCE_APPLIES, "secure match=mx.both.test", 300, 0);
	a = lookup_now(fx->eng, "both.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane-only");
	assert_int_equal(fx->b.calls, 0);

	/* not applicable -> next */
	fake_rule(&fx->b, "sts.test", SOURCE_APPLIES, "secure match=mx.sts.test", 300, 0);
	a = lookup_now(fx->eng, "sts.test");
	assert_int_equal(a.src, ANSWER_STS);
	assert_string_equal(a.text, "secure match=mx.sts.test");

	/* our own failure -> next */
	fake_rule(&fx->a, "failed.test", SOURCE_FAILED, NULL, 0, 0);
	fake_rule(&fx->b, "failed.test", SOURCE_APPLIES, "secure", 300, 0);
	a = lookup_now(fx->eng, "failed.test");
	assert_int_equal(a.src, ANSWER_STS);

	/* our own failure and nothing decided: NOTFOUND (Postfix alone),
	 * never `_default` (DANE might be published; we could not tell) */
	fake_rule(&fx->a, "unknown.test", SOURCE_FAILED, NULL, 0, 0);
	a = lookup_now(fx->eng, "unknown.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_NONE);
	a = lookup_now(fx->eng, "unknown.test");            /* cached briefly: the same */
	assert_int_equal(a.st, LOOKUP_NOTFOUND);

	/* TEMP stops the chain and is answered TEMP */
	fake_rule(&fx->a, "bogus.test", SOURCE_TEMP, NULL, 300, 0);
	fake_rule(&fx->b, "bogus.test", SOURCE_APPLIES, "secure", 300, 0);
	int bcalls = fx->b.calls;
	a = lookup_now(fx->eng, "bogus.test");
	assert_int_equal(a.st, LOOKUP_TEMP);
	assert_int_equal(a.src, ANSWER_ERROR);
	assert_string_equal(a.text, "fake reason");
	assert_int_equal(fx->b.calls, bcalls);

	/* nothing applies -> _default */
	a = lookup_now(fx->eng, "nothing.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	assert_string_equal(a.text, "may protocols=>=TLSv1.2");
}

static void test_notfound_without_default(void **state)
{
	struct fx *fx = *state;
	struct errbuf why;
	struct store *st;
	struct ans a;
	struct engine_stats es;

	errbuf_clear(&why);
	assert_int_equal(store_open(fx->url, &st, &why), 0);
	assert_int_equal(store_delete(st, "_default", &why), 1);
	store_close(st);
	engine_reload(fx->eng);
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		engine_stats(fx->eng, &es);
	} while (es.reloads == 0);
	a = lookup_now(fx->eng, "nothing.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_NONE);
	assert_string_equal(a.text, "");
	a = lookup_now(fx->eng, "[host.test]");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
}

static void test_coalescing_and_cache(void **state)
{
	struct fx *fx = *state;
	struct ans a[3], c;
	struct engine_stats es;

	memset(a, 0, sizeof(a));
	fake_rule(&fx->a, "slow.test", SOURCE_APPLIES, "dane", 300, 1);
	for (int i = 0; i < 3; i++)
		assert_non_null(engine_lookup(fx->eng, "slow.test", ans_cb, &a[i]));
	assert_int_equal(fx->a.calls, 1);                  /* one discovery */
	assert_false(a[0].done || a[1].done || a[2].done);
	fake_complete(&fx->a, "slow.test");
	for (int i = 0; i < 3; i++) {
		assert_true(a[i].done);
		assert_int_equal(a[i].src, ANSWER_DANE);
		assert_string_equal(a[i].text, "dane");
	}
	engine_stats(fx->eng, &es);
	assert_int_equal(es.discoveries, 1);
	assert_int_equal(es.coalesced, 2);

	/* cached: answered at once, no new discovery */
	c = lookup_now(fx->eng, "slow.test");
	assert_string_equal(c.text, "dane");
	assert_int_equal(fx->a.calls, 1);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.cache_hits, 1);

	/* negative answers are cached too */
	c = lookup_now(fx->eng, "neg.test");
	assert_int_equal(c.src, ANSWER_DEFAULT);
	int calls = fx->a.calls;
	c = lookup_now(fx->eng, "neg.test");
	assert_int_equal(fx->a.calls, calls);

	/* ttl 0 (cache_min_ttl 0): expired at once, rediscovered */
	fake_rule(&fx->a, "short.test", SOURCE_APPLIES, "dane-only", 0, 0);
	c = lookup_now(fx->eng, "short.test");
	c = lookup_now(fx->eng, "short.test");
	assert_string_equal(c.text, "dane-only");
	assert_int_equal(fx->a.calls, calls + 2);
}

static void test_deadline(void **state)
{
	struct fx *fx = *state;
	struct ans a, s;
	struct engine_stats es;

	/* no previous answer: NOTFOUND at the deadline (Postfix alone),
	 * never `_default`: the domain may publish DANE */
	memset(&a, 0, sizeof(a));
	fake_rule(&fx->a, "never.test", SOURCE_APPLIES, "dane-only", 300, 1);
	assert_non_null(engine_lookup(fx->eng, "never.test", ans_cb, &a));
	run_until(fx->base, fx->clk, &a.done);
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_NONE);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.deadline_notfound, 1);
	/* the discovery goes on and fills the cache */
	fake_complete(&fx->a, "never.test");
	s = lookup_now(fx->eng, "never.test");
	assert_int_equal(s.src, ANSWER_DANE);

	/* an expired answer is served stale when rediscovery is late */
	fake_rule(&fx->a, "stale.test", SOURCE_APPLIES, "dane-only", 0, 0);
	s = lookup_now(fx->eng, "stale.test");
	assert_string_equal(s.text, "dane-only");
	fake_rule(&fx->a, "stale.test", SOURCE_APPLIES, "dane", 300, 1);
	a = lookup_wait(fx->eng, fx->base, fx->clk, "stale.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane-only");          /* the stale one */
	engine_stats(fx->eng, &es);
	assert_int_equal(es.deadline_stale, 1);
	fake_complete(&fx->a, "stale.test");
	s = lookup_now(fx->eng, "stale.test");
	assert_string_equal(s.text, "dane");               /* refreshed */

	/* a TEMP is answered fresh only: expired, a late rediscovery
	 * gives NOTFOUND, not the stale TEMP (our slowness must not defer) */
	fake_rule(&fx->a, "temp.test", SOURCE_TEMP, NULL, 0, 0);
	s = lookup_now(fx->eng, "temp.test");
	assert_int_equal(s.st, LOOKUP_TEMP);
	fake_rule(&fx->a, "temp.test", SOURCE_TEMP, NULL, 300, 1);
	a = lookup_wait(fx->eng, fx->base, fx->clk, "temp.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_NONE);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.deadline_stale, 1);
	assert_int_equal(es.deadline_notfound, 2);
	fake_complete(&fx->a, "temp.test");                 /* fresh again: TEMP */
	s = lookup_now(fx->eng, "temp.test");
	assert_int_equal(s.st, LOOKUP_TEMP);

	/* an expired "nothing published" is served stale: `_default` */
	fake_rule(&fx->a, "none.test", SOURCE_NOT_APPLICABLE, NULL, 1, 0);
	fake_rule(&fx->b, "none.test", SOURCE_NOT_APPLICABLE, NULL, 1, 0);
	fake_rule(&fx->c, "none.test", SOURCE_NOT_APPLICABLE, NULL, 1, 0);
	s = lookup_now(fx->eng, "none.test");
	assert_int_equal(s.src, ANSWER_DEFAULT);
	timer_fake_advance(fx->clk, 1);                     /* the 1 s TTL expires */
	fake_rule(&fx->a, "none.test", SOURCE_NOT_APPLICABLE, NULL, 300, 1);
	a = lookup_wait(fx->eng, fx->base, fx->clk, "none.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	fake_complete(&fx->a, "none.test");
}

static void test_partial(void **state)
{
	struct fx *fx = *state;
	struct engine_stats es;
	struct ans a;

	/* partial DANE + MTA-STS enforce: MTA-STS, every MX authenticated;
	 * cached for the shorter TTL (cache_min_ttl 0 here) */
	fake_rule_flags(&fx->a, "p.test", SOURCE_APPLIES, "dane", 100, 0, SOURCE_F_PARTIAL);
	fake_rule_flags(&fx->b, "p.test", SOURCE_APPLIES, "secure match=mx1.p.test:mx2.p.test",
			300, 0, SOURCE_F_EVERY_MX);
	a = lookup_now(fx->eng, "p.test");
	assert_int_equal(a.src, ANSWER_STS);
	assert_string_equal(a.text, "secure match=mx1.p.test:mx2.p.test");
	assert_int_equal(fx->c.calls, 0);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.partial_replaced, 1);
	a = lookup_now(fx->eng, "p.test");                   /* cached */
	assert_string_equal(a.text, "secure match=mx1.p.test:mx2.p.test");
	assert_int_equal(fx->a.calls, 1);

	/* partial DANE, no MTA-STS: dane; a provider template (no EVERY_MX)
	 * does not replace it */
	fake_rule_flags(&fx->a, "q.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_rule(&fx->c, "q.test", SOURCE_APPLIES, "secure match=.provider.test", 300, 0);
	a = lookup_now(fx->eng, "q.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane");

	/* MTA-STS answers without EVERY_MX (testing: may), fails, or finds
	 * nothing: the partial answer stands */
	fake_rule_flags(&fx->a, "r.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_rule(&fx->b, "r.test", SOURCE_APPLIES, "may", 300, 0);
	a = lookup_now(fx->eng, "r.test");
	assert_string_equal(a.text, "dane");
	fake_rule_flags(&fx->a, "s.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_rule(&fx->b, "s.test", SOURCE_FAILED, NULL, 0, 0);
	a = lookup_now(fx->eng, "s.test");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_string_equal(a.text, "dane");
	fake_rule_flags(&fx->a, "t.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_rule(&fx->b, "t.test", SOURCE_NOTFOUND, NULL, 300, 0);
	a = lookup_now(fx->eng, "t.test");
	assert_string_equal(a.text, "dane");

	/* full DANE (no PARTIAL flag): MTA-STS is never asked */
	int bcalls = fx->b.calls;
	fake_rule(&fx->a, "u.test", SOURCE_APPLIES, "dane-only", 300, 0);
	fake_rule_flags(&fx->b, "u.test", SOURCE_APPLIES, "secure", 300, 0, SOURCE_F_EVERY_MX);
	a = lookup_now(fx->eng, "u.test");
	assert_string_equal(a.text, "dane-only");
	assert_int_equal(fx->b.calls, bcalls);

	/* the deadline while MTA-STS is slow: NOTFOUND; then the answer */
	fake_rule_flags(&fx->a, "v.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_rule_flags(&fx->b, "v.test", SOURCE_APPLIES, "secure match=mx.v.test", 300, 1,
			SOURCE_F_EVERY_MX);
	a = lookup_wait(fx->eng, fx->base, fx->clk, "v.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	fake_complete(&fx->b, "v.test");
	a = lookup_now(fx->eng, "v.test");
	assert_string_equal(a.text, "secure match=mx.v.test");
}

static void test_failure_keeps_answer(void **state)
{
	struct fx *fx = *state;
	struct ans a;

	fake_rule(&fx->a, "keep.test", SOURCE_APPLIES, "dane-only", 0, 0);
	a = lookup_now(fx->eng, "keep.test");
	assert_string_equal(a.text, "dane-only");
	/* our resolver fails now: the positive answer stays */
	fake_rule(&fx->a, "keep.test", SOURCE_FAILED, NULL, 0, 0);
	a = lookup_now(fx->eng, "keep.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane-only");
	/* but a domain that really stopped publishing loses it */
	fake_rule(&fx->a, "keep.test", SOURCE_NOT_APPLICABLE, NULL, 0, 0);
	a = lookup_now(fx->eng, "keep.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	/* "nothing published" is kept through our failure too */
	fake_rule(&fx->a, "keep.test", SOURCE_FAILED, NULL, 0, 0);
	a = lookup_now(fx->eng, "keep.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);

	/* a TEMP is not: our failure then gives NOTFOUND */
	fake_rule(&fx->a, "temp.test", SOURCE_TEMP, NULL, 0, 0);
	a = lookup_now(fx->eng, "temp.test");
	assert_int_equal(a.st, LOOKUP_TEMP);
	fake_rule(&fx->a, "temp.test", SOURCE_FAILED, NULL, 0, 0);
	a = lookup_now(fx->eng, "temp.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
}

/* --- refresh-ahead --------------------------------------------- */

static time_t now_sec(void)
{
	return timer_now(test_clk, NULL);
}

/* Moves the fake clock on until now_sec() is past t. */
static void advance_past(struct fx *fx, time_t t)
{
	if (now_sec() <= t)
		timer_fake_advance(fx->clk, (unsigned)(t + 1 - now_sec()));
}

static unsigned long long refreshes_started(struct fx *fx)
{
	struct engine_stats es;

	engine_stats(fx->eng, &es);
	return es.refreshes_started;
}

/* Looks key up until a refresh starts; every answer must be immediate
 * and the cached want_text.  Returns the second the refresh started. */
static time_t hit_until_refresh(struct fx *fx, const char *key,
				const char *want_text)
{
	unsigned long long before = refreshes_started(fx);
	time_t start = now_sec(), t;
	struct ans a;
	int first = 1;

	do {
		assert_true(now_sec() - start < LOOP_MAX_SECONDS);
		if (!first)
			timer_fake_advance(fx->clk, 1);
		first = 0;
		t = now_sec();
		a = lookup_now(fx->eng, key);
		assert_int_equal(a.st, LOOKUP_OK);
		assert_string_equal(a.text, want_text);
	} while (refreshes_started(fx) == before);
	assert_int_equal(refreshes_started(fx), before + 1);
	return t;
}

static void test_refresh_ahead(void **state)
{
	struct fx *fx = *state;
	struct engine_stats es;
	struct ans a;
	time_t t0;

	fake_rule(&fx->a, "hot.test", SOURCE_APPLIES, "dane-only", 3, 0);
	fake_rule(&fx->a, "cold.test", SOURCE_APPLIES, "dane-only", 3, 0);
	a = lookup_now(fx->eng, "hot.test");
	assert_string_equal(a.text, "dane-only");
	t0 = now_sec();
	a = lookup_now(fx->eng, "cold.test");
	assert_int_equal(fx->a.calls, 2);
	/* a fresh hit far from expiry does not refresh */
	a = lookup_now(fx->eng, "hot.test");
	if (now_sec() == t0)
		assert_int_equal(refreshes_started(fx), 0);

	/* the domain now publishes something else, slowly */
	fake_rule(&fx->a, "hot.test", SOURCE_APPLIES, "dane", 300, 1);
	hit_until_refresh(fx, "hot.test", "dane-only");
	assert_int_equal(fx->a.calls, 3);          /* one refresh ... */
	for (int i = 0; i < 5; i++) {              /* ... however many hits */
		struct ans b;

		memset(&b, 0, sizeof(b));
		if (engine_lookup(fx->eng, "hot.test", ans_cb, &b) == NULL) {
			assert_string_equal(b.text, "dane-only");
		} else {
			/* expired meanwhile: waits on the running refresh */
			fake_complete(&fx->a, "hot.test");
			assert_true(b.done);
			assert_string_equal(b.text, "dane");
			break;
		}
	}
	assert_int_equal(fx->a.calls, 3);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.refreshes_started, 1);
	assert_int_equal(es.discoveries, 2);       /* refreshes counted apart */
	if (fx->a.pend)
		fake_complete(&fx->a, "hot.test");
	engine_stats(fx->eng, &es);
	assert_int_equal(es.refreshes_completed, 1);
	/* the refreshed decision replaced the old one */
	a = lookup_now(fx->eng, "hot.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane");
	assert_int_equal(fx->a.calls, 3);

	/* cold.test was not asked for: no refresh, it just expires */
	advance_past(fx, t0 + 4);
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	assert_int_equal(fx->a.calls, 3);
	a = lookup_now(fx->eng, "cold.test");      /* rediscovered, not refreshed */
	assert_string_equal(a.text, "dane-only");
	assert_int_equal(fx->a.calls, 4);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.refreshes_started, 1);
	assert_int_equal(es.discoveries, 3);
}

static void test_refresh_failed(void **state)
{
	struct fx *fx = *state;
	struct engine_stats es;
	struct ans a;
	time_t t;

	fake_rule(&fx->a, "keep.test", SOURCE_APPLIES, "dane-only", 3, 0);
	a = lookup_now(fx->eng, "keep.test");
	assert_string_equal(a.text, "dane-only");
	/* our resolver fails from now on (synchronously) */
	fake_rule(&fx->a, "keep.test", SOURCE_FAILED, NULL, 0, 0);
	t = hit_until_refresh(fx, "keep.test", "dane-only");
	engine_stats(fx->eng, &es);
	assert_int_equal(es.refreshes_completed, 0);
	int calls = fx->a.calls;
	a = lookup_now(fx->eng, "keep.test");      /* the old answer stays */
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "dane-only");
	if (now_sec() == t) {
		/* still before its expiry: the failed refresh is not retried */
		assert_int_equal(fx->a.calls, calls);
		assert_int_equal(refreshes_started(fx), 1);
	}
	/* the refresh that failed changed nothing; a success afterwards does */
	fake_rule(&fx->a, "keep.test", SOURCE_APPLIES, "dane", 300, 0);
	advance_past(fx, t + 1);
	a = lookup_now(fx->eng, "keep.test");
	assert_string_equal(a.text, "dane");
}

static void test_cancel(void **state)
{
	struct fx *fx = *state;
	struct ans a, b;
	struct engine_req *r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fake_rule(&fx->a, "gone.test", SOURCE_APPLIES, "dane", 300, 1);
	r = engine_lookup(fx->eng, "gone.test", ans_cb, &a);
	assert_non_null(r);
	assert_non_null(engine_lookup(fx->eng, "gone.test", ans_cb, &b));
	engine_cancel(r);
	fake_complete(&fx->a, "gone.test");
	assert_false(a.done);                  /* cancelled: no callback */
	assert_true(b.done);
	/* a discovery still running at engine_free is cancelled (teardown) */
	fake_rule(&fx->b, "inflight.test", SOURCE_APPLIES, "secure", 300, 1);
	memset(&a, 0, sizeof(a));
	assert_non_null(engine_lookup(fx->eng, "inflight.test", ans_cb, &a));
}

static void test_reload_and_outage(void **state)
{
	struct fx *fx = *state;
	struct engine_stats es;
	struct ans a;

	db_put(fx, "new.test", "dane-only", NULL);
	a = lookup_now(fx->eng, "new.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	engine_reload(fx->eng);
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		engine_stats(fx->eng, &es);
	} while (es.reloads == 0);
	a = lookup_now(fx->eng, "new.test");
	assert_int_equal(a.src, ANSWER_TABLE);
	assert_string_equal(a.text, "dane-only");

	/* the table disappears: the old snapshot keeps serving */
	db_sql(fx, "ALTER TABLE tlspolicies RENAME TO gone");
	engine_reload(fx->eng);
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		engine_stats(fx->eng, &es);
	} while (es.reload_failures == 0);
	assert_int_equal(es.db_down, 1);
	assert_int_equal(es.table_rows, 6);
	a = lookup_now(fx->eng, "example.com");
	assert_string_equal(a.text, "secure match=.example.com");
	engine_reload(fx->eng);               /* still down: no new log line */
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		engine_stats(fx->eng, &es);
	} while (es.reload_failures == 1);
	/* back */
	db_sql(fx, "ALTER TABLE gone RENAME TO tlspolicies");
	db_put(fx, "back.test", "encrypt", NULL);
	engine_reload(fx->eng);
	do {
		event_base_loop(fx->base, EVLOOP_ONCE);
		engine_stats(fx->eng, &es);
	} while (es.reloads == 1);
	assert_int_equal(es.db_down, 0);
	a = lookup_now(fx->eng, "back.test");
	assert_string_equal(a.text, "encrypt");
}

/* issue 15: the TLSRPT journal's observer gets the policy strings the
 * source gave when it decided (not looked up again later): from the
 * answer that won (a partial DANE replaced by MTA-STS: MTA-STS's), kept
 * with the cached decision when the source's data changes, and cleared
 * by a new decision without any */
struct seen {
	int n;
	char domain[64], strings[256], mx[256];
	enum answer_source src;
};

static void observe_cb(void *arg, const struct engine_observation *o)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->domain, sizeof(s->domain), "%s", o->domain);
	snprintf(s->strings, sizeof(s->strings), "%s", o->report_strings);
	snprintf(s->mx, sizeof(s->mx), "%s", o->report_mx);
	s->src = o->ans->source;
}

static void test_observer_report_strings(void **state)
{
	struct fx *fx = *state;
	struct seen s;
	struct ans a;

	memset(&s, 0, sizeof(s));
	engine_set_observer(fx->eng, observe_cb, &s);
	/* partial DANE replaced by MTA-STS enforce: MTA-STS's policy */
	fake_rule_flags(&fx->a, "p.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_report(&fx->a, "p.test", "_25._tcp.mx1.p.test TLSA 3 1 1 aa", "mx1.p.test");
	fake_rule_flags(&fx->b, "p.test", SOURCE_APPLIES, "secure match=mx1.p.test", 300, 0,
			SOURCE_F_EVERY_MX);
	fake_report(&fx->b, "p.test", "version: STSv1\nmode: enforce\nmx: mx1.p.test", "mx1.p.test");
	a = lookup_now(fx->eng, "p.test");
	assert_int_equal(a.src, ANSWER_STS);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.strings, "version: STSv1\nmode: enforce\nmx: mx1.p.test");
	assert_string_equal(s.mx, "mx1.p.test");
	/* partial DANE that stands: DANE's records */
	fake_rule_flags(&fx->a, "q.test", SOURCE_APPLIES, "dane", 300, 0, SOURCE_F_PARTIAL);
	fake_report(&fx->a, "q.test", "_25._tcp.mx.q.test TLSA 3 1 1 bb", "mx.q.test");
	fake_rule(&fx->b, "q.test", SOURCE_APPLIES, "may", 300, 0);
	fake_report(&fx->b, "q.test", "version: STSv1\nmode: testing", "mx.q.test");
	a = lookup_now(fx->eng, "q.test");
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(s.strings, "_25._tcp.mx.q.test TLSA 3 1 1 bb");
	/* the records change at the source; the cached decision (and what
	 * the journal records with it) stays the one made */
	fake_report(&fx->a, "q.test", "_25._tcp.mx.q.test TLSA 3 1 1 cc", "mx.q.test");
	a = lookup_now(fx->eng, "q.test");
	assert_int_equal(s.n, 3);
	assert_string_equal(s.strings, "_25._tcp.mx.q.test TLSA 3 1 1 bb");
	/* DANE NOTFOUND (dane_answer = notfound) reports its records too */
	fake_rule(&fx->a, "n.test", SOURCE_NOTFOUND, NULL, 300, 0);
	fake_report(&fx->a, "n.test", "_25._tcp.mx.n.test TLSA 2 0 1 dd", "mx.n.test");
	a = lookup_now(fx->eng, "n.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_string_equal(s.strings, "_25._tcp.mx.n.test TLSA 2 0 1 dd");
	assert_string_equal(s.mx, "mx.n.test");
	/* nothing published: no strings */
	a = lookup_now(fx->eng, "none.test");
	assert_string_equal(s.domain, "none.test");
	assert_string_equal(s.strings, "");
	assert_string_equal(s.mx, "");
	engine_set_observer(fx->eng, NULL, NULL);
}

static void test_first_load_fails(void **state)
{
	struct config *cfg = config_new();
	struct event_base *base = event_base_new();
	struct errbuf why;

	(void)state;
	errbuf_clear(&why);
	assert_null(engine_new(base, cfg, "sqlite:/dev/null/x.db", &why));
	assert_true(why.msg[0] != '\0');
	event_base_free(base);
	config_free(cfg);
}

/* issue 13: the counters behind the Prometheus endpoint (server/metrics_http.c):
 * lookups by source x reply kind, discovery latency per source */
/* stderr (the log) into a file while fn runs; returns how many lines
 * of it hold needle. */
static int count_log(const char *path, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Shadow mode (issue 13 item 4): shadow = yes makes discovery answers
 * (and TEMP) NOTFOUND, logged once per domain, answer and UTC day;
 * table rows and `_default` are not touched; shadow = no enforces. */
static void test_shadow(void **state)
{
	struct fx *fx = *state;
	struct engine_stats es;
	char logf[300];
	struct ans a;
	int saved;

	snprintf(logf, sizeof(logf), "%s.log", fx->dbpath);
	fflush(stderr);
	saved = dup(2);
	assert_true(freopen(logf, "w", stderr) != NULL);
	setvbuf(stderr, NULL, _IONBF, 0);
	log_set_info(1);

	assert_int_equal(config_set(fx->cfg, "shadow", "yes", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "cache_min_ttl", "60s", NULL), 0);
	engine_reconfigure(fx->eng, fx->cfg, 1);
	fake_rule(&fx->a, "d.test", SOURCE_APPLIES, "dane-only", 300, 0);
	fake_rule(&fx->b, "s.test", SOURCE_APPLIES, "secure match=mx.s.test", 300, 0);
	fake_rule(&fx->a, "bogus.test", SOURCE_TEMP, NULL, 300, 0);
	for (int i = 0; i < 3; i++) {   /* discovery, then the cache */
		a = lookup_now(fx->eng, "d.test");
		assert_int_equal(a.st, LOOKUP_NOTFOUND);
		assert_int_equal(a.src, ANSWER_NONE);
	}
	a = lookup_now(fx->eng, "s.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	a = lookup_now(fx->eng, "bogus.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	/* the admin's rows answer as before */
	a = lookup_now(fx->eng, "example.com");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_string_equal(a.text, "secure match=.example.com");
	a = lookup_now(fx->eng, "nothing.test");
	assert_int_equal(a.src, ANSWER_DEFAULT);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.shadow_answers, 5);
	assert_int_equal(count_log(logf, "shadow: d.test would answer \"dane-only\" (from dane); "
				   "answered NOTFOUND"), 1);
	assert_int_equal(count_log(logf, "shadow: s.test would answer \"secure match=mx.s.test\" "
				   "(from sts)"), 1);
	assert_int_equal(count_log(logf, "shadow: bogus.test would answer TEMP \"fake reason\" "
				   "(from dnssec)"), 1);
	/* the next UTC day: logged again */
	advance_past(fx, (now_sec() / 86400 + 1) * 86400);
	a = lookup_now(fx->eng, "d.test");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(count_log(logf, "shadow: d.test would answer"), 2);
	/* shadow = no: enforced */
	assert_int_equal(config_set(fx->cfg, "shadow", "no", NULL), 0);
	engine_reconfigure(fx->eng, fx->cfg, 0);
	a = lookup_now(fx->eng, "d.test");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_string_equal(a.text, "dane-only");
	assert_int_equal(count_log(logf, "shadow: d.test would answer"), 2);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unlink(logf);
}

static void test_metrics_counts(void **state)
{
	struct fx *fx = *state;
	struct engine_stats *es = calloc(1, sizeof(*es));
	struct ans a;
	struct buf b;
	unsigned long long le10ms;

	assert_non_null(es);
	fake_rule(&fx->a, "slow.test", SOURCE_APPLIES, "dane-only", 300, 1);
	memset(&a, 0, sizeof(a));
	assert_non_null(engine_lookup(fx->eng, "slow.test", ans_cb, &a));
	usleep(30 * 1000);                        /* the source takes >= 30 ms */
	fake_complete(&fx->a, "slow.test");
	assert_true(a.done);
	a = lookup_now(fx->eng, "slow.test");      /* cached: no new observation */
	fake_rule(&fx->a, "bogus.test", SOURCE_TEMP, NULL, 300, 0);
	a = lookup_now(fx->eng, "bogus.test");
	assert_int_equal(a.st, LOOKUP_TEMP);
	a = lookup_now(fx->eng, "nothing.test");   /* dane, sts, provider: n/a -> _default */
	assert_int_equal(a.src, ANSWER_DEFAULT);

	engine_stats(fx->eng, es);
	assert_int_equal(es->by_source_status[ANSWER_DANE][LOOKUP_OK], 2);
	assert_int_equal(es->by_source_status[ANSWER_ERROR][LOOKUP_TEMP], 1);
	assert_int_equal(es->by_source_status[ANSWER_DEFAULT][LOOKUP_OK], 1);
	assert_int_equal(es->by_source_status[ANSWER_DANE][LOOKUP_NOTFOUND], 0);
	/* dane asked 3 times (slow, bogus, nothing), sts once (nothing) */
	assert_int_equal(es->disc_latency[ANSWER_DANE].count, 3);
	assert_int_equal(es->disc_latency[ANSWER_STS].count, 1);
	assert_true(es->disc_latency[ANSWER_DANE].sum >= 0.03);
	/* the slow one is above the 25 ms bound (index 4), the others below 10 ms */
	le10ms = 0;
	for (int i = 0; i <= 3; i++)
		le10ms += es->disc_latency[ANSWER_DANE].bucket[i];
	assert_int_equal(le10ms, 2);
	assert_int_equal(es->disc_latency[ANSWER_DANE].bucket[4], 0);

	/* the exposition, as the endpoint serves it (no server: no connections) */
	buf_init(&b, 256 * 1024);
	assert_int_equal(metrics_render(&b, fx->eng, NULL), 0);
	assert_non_null(strstr(b.data, "# TYPE tlspolicy_lookups_total counter\n"));
	assert_non_null(strstr(b.data,
		"tlspolicy_lookups_total{source=\"dane\",reply=\"OK\"} 2\n"));
	assert_non_null(strstr(b.data,
		"tlspolicy_lookups_total{source=\"error\",reply=\"TEMP\"} 1\n"));
	assert_non_null(strstr(b.data, "tlspolicy_discovery_duration_seconds_bucket"
		"{source=\"dane\",le=\"0.01\"} 2\n"));
	assert_non_null(strstr(b.data, "tlspolicy_discovery_duration_seconds_bucket"
		"{source=\"dane\",le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(b.data,
		"tlspolicy_discovery_duration_seconds_count{source=\"mtasts\"} 1\n"));
	assert_non_null(strstr(b.data, "tlspolicy_cache_hits_total 1\n"));
	assert_null(strstr(b.data, "tlspolicy_connections "));
	buf_free(&b);
	free(es);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notfound_without_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalescing_and_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_and_outage, setup, teardown),
		cmocka_unit_test(test_first_load_fails),
		cmocka_unit_test_setup_teardown(test_observer_report_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shadow, setup, teardown),
	};

	log_init("test_engine", LOG_DEST_STDERR, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
