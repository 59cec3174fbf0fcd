/* SPDX-License-Identifier: MIT */
/*
 * test_source_notfound.c - the engine's SOURCE_NOTFOUND verdict (what
 * the DANE source gives for dane_answer = notfound): NOTFOUND is the
 * answer, no later source is asked, `_default` is not used, the verdict
 * is cached like an applying one, kept when a later discovery fails
 * (our own failure) and served stale past the deadline.  Against a real
 * SQLite policy table and two test doubles of the source interface.
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
#include <unistd.h>

#include <event2/event.h>

#include "engine/engine.h"
#include "store/store.h"
#include "util/config.h"

#define TEST_DIR "/tmp/tlspolicy-dane-test"
#define LOOP_MAX_SECONDS 10

/* A source whose verdict the test sets; async: answered on demand. */
struct fake {
	int calls;
	enum source_verdict v;
	const char *text;
	unsigned ttl;
	int async;
	source_done_fn pend_done; /* one pending discovery */
	void *pend_arg;
};

static void fake_answer(struct fake *f, source_done_fn done, void *arg)
{
	struct source_result res;

	memset(&res, 0, sizeof(res));
	res.verdict = f->v;
	res.policy_text = f->v == SOURCE_APPLIES ? f->text : NULL;
	res.reason = "fake reason";
	res.ttl = f->ttl;
	done(arg, &res);
}

static void *fake_discover(void *ctx, const char *domain, source_done_fn done,
			   void *done_arg)
{
	struct fake *f = ctx;

	(void)domain;
	f->calls++;
	if (!f->async) {
		fake_answer(f, done, done_arg);
		return NULL;
	}
	assert_null(f->pend_done);
	f->pend_done = done;
	f->pend_arg = done_arg;
	return f;
}

static void fake_cancel(void *ctx, void *handle)
{
	struct fake *f = ctx;

	assert_ptr_equal(handle, f);
	f->pend_done = NULL;
}

struct ans {
	int done;
	enum lookup_status st;
	enum answer_source src;
	char text[256];
};

static void ans_cb(const struct engine_answer *a, void *arg)
{
	struct ans *x = arg;

	assert_int_equal(x->done, 0);
	x->done = 1;
	x->st = a->status;
	x->src = a->source;
	snprintf(x->text, sizeof(x->text), "%s", a->text);
}

static struct ans lookup_now(struct engine *eng, const char *key)
{
	struct ans a;

	memset(&a, 0, sizeof(a));
	assert_null(engine_lookup(eng, key, ans_cb, &a));
	assert_true(a.done);
	return a;
}

struct fx {
	char dbpath[256], url[300];
	struct config *cfg;
	struct event_base *base;
	struct engine *eng;
	struct fake dane, sts;
};

static int setup(void **state)
{
	static int n;
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store *st;
	struct errbuf why;
	int created;

	assert_non_null(fx);
	mkdir(TEST_DIR, 0755);
	snprintf(fx->dbpath, sizeof(fx->dbpath), TEST_DIR "/notfound-%ld-%d.db",
		 (long)getpid(), n++);
	unlink(fx->dbpath);
	snprintf(fx->url, sizeof(fx->url), "sqlite:%s", fx->dbpath);
	errbuf_clear(&why);
	if (store_open_ex(fx->url, STORE_OPEN_CREATE, &st, &why) < 0 || store_init(st, &created, &why) < 0 ||
	    store_put(st, "_default", "may", NULL, NULL, &why) < 0)
		fail_msg("store: %s", why.msg);
	store_close(st);
	fx->cfg = config_new();
	assert_int_equal(config_set(fx->cfg, "cache_min_ttl", "0", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "lookup_deadline", "1s", NULL), 0);
	assert_int_equal(config_set(fx->cfg, "reload_interval", "0", NULL), 0);
	fx->base = event_base_new();
	if ((fx->eng = engine_new(fx->base, fx->cfg, fx->url, &why)) == NULL)
		fail_msg("engine_new: %s", why.msg);
	struct engine_source d = { "dane", ANSWER_DANE, &fx->dane, fake_discover, fake_cancel };
	struct engine_source s = { "sts", ANSWER_STS, &fx->sts, fake_discover, fake_cancel };
	assert_int_equal(engine_add_source(fx->eng, &d), 0);
	assert_int_equal(engine_add_source(fx->eng, &s), 0);
	fx->dane.v = SOURCE_NOT_APPLICABLE;
	fx->sts.v = SOURCE_APPLIES;
	fx->sts.text = "secure match=mx.both.example";
	fx->sts.ttl = 300;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	engine_free(fx->eng);
	assert_null(fx->dane.pend_done);
	event_base_free(fx->base);
	config_free(fx->cfg);
	unlink(fx->dbpath);
	free(fx);
	return 0;
}

/* NOTFOUND stops the chain: neither MTA-STS nor `_default` answers. */
static void test_notfound_stops(void **state)
{
	struct fx *fx = *state;
	struct ans a;
	struct engine_stats es;

	fx->dane.v = SOURCE_NOTFOUND;
	fx->dane.ttl = 300;
	a = lookup_now(fx->eng, "both.example");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_DANE);
	assert_string_equal(a.text, "");
	assert_int_equal(fx->sts.calls, 0);

	/* cached like an applying verdict: no second discovery */
	a = lookup_now(fx->eng, "both.example");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_DANE);
	assert_int_equal(fx->dane.calls, 1);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.cache_hits, 1);
	assert_int_equal(es.by_status[LOOKUP_NOTFOUND], 2);
	assert_int_equal(es.by_source[ANSWER_DANE], 2);

	/* for comparison: not applicable goes on to MTA-STS */
	fx->dane.v = SOURCE_NOT_APPLICABLE;
	a = lookup_now(fx->eng, "other.example");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_int_equal(a.src, ANSWER_STS);
	assert_int_equal(fx->sts.calls, 1);
}

/* A later failure of our own keeps the NOTFOUND decision (it is not
 * replaced by MTA-STS or `_default`); a domain that stops publishing
 * loses it. */
static void test_notfound_kept_on_failure(void **state)
{
	struct fx *fx = *state;
	struct ans a;

	fx->dane.v = SOURCE_NOTFOUND;
	fx->dane.ttl = 0; /* expires at once (cache_min_ttl 0) */
	a = lookup_now(fx->eng, "keep.example");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	fx->dane.v = SOURCE_FAILED;
	fx->sts.v = SOURCE_FAILED;
	a = lookup_now(fx->eng, "keep.example");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_DANE);
	assert_int_equal(fx->dane.calls, 2);
	fx->dane.v = SOURCE_NOT_APPLICABLE;
	fx->sts.v = SOURCE_NOT_APPLICABLE;
	sleep(1); /* past the short expiry of the kept answer */
	a = lookup_now(fx->eng, "keep.example");
	assert_int_equal(a.st, LOOKUP_OK);
	assert_int_equal(a.src, ANSWER_DEFAULT);
}

/* Past the deadline a stale NOTFOUND decision is served as it was. */
static void test_notfound_stale(void **state)
{
	struct fx *fx = *state;
	struct ans a;
	struct engine_stats es;
	time_t start;

	fx->dane.v = SOURCE_NOTFOUND;
	fx->dane.ttl = 0;
	a = lookup_now(fx->eng, "stale.example");
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	sleep(1);
	fx->dane.async = 1;
	memset(&a, 0, sizeof(a));
	assert_non_null(engine_lookup(fx->eng, "stale.example", ans_cb, &a));
	start = time(NULL);
	while (!a.done && time(NULL) - start < LOOP_MAX_SECONDS)
		event_base_loop(fx->base, EVLOOP_ONCE);
	assert_true(a.done);
	assert_int_equal(a.st, LOOKUP_NOTFOUND);
	assert_int_equal(a.src, ANSWER_DANE);
	engine_stats(fx->eng, &es);
	assert_int_equal(es.deadline_stale, 1);
	assert_non_null(fx->dane.pend_done);
	/* the discovery then finishes with the same verdict */
	source_done_fn done = fx->dane.pend_done;
	fx->dane.pend_done = NULL;
	fake_answer(&fx->dane, done, fx->dane.pend_arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notfound_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notfound_kept_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notfound_stale, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
