/* SPDX-License-Identifier: MIT */
/*
 * published.c - what a destination publishes, for the writing commands
 * (see published.h).
 *
 * A second engine (ENGINE_NO_TABLE) is given the caller's sources, each
 * wrapped so that its verdict for a domain is noted before the engine
 * sees it; the engine's answer plus those notes give the result.  At
 * most check_concurrency lookups run at once; the rest wait in order.
 *
 * LIMITS: PUBLISHED_BUCKETS hash buckets of notes (chains grow with the
 * number of domains looked up, one note per domain with a failure).
 */
#include "cli/published.h"
#include "engine/sources.h"
#include "policy/compare.h"
#include "util/config.h"
#include "util/log.h"
#include "util/text.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISHED_BUCKETS 4096
#define PUBLISHED_DEADLINE "120s"  /* > the engine's 60 s per source */
#define PUBLISHED_COMPAT 9999      /* parse any answer the daemon may give */

struct published_ctx;

struct wsrc {                      /* one wrapped source */
	struct published_ctx *pc;
	size_t idx;
	struct engine_source real;
};

struct wreq {                      /* one discover() of a wrapped source */
	struct wsrc *w;
	void *handle;
	source_done_fn done;
	void *done_arg;
	int in_call, finished;
	char domain[POLICY_KEY_MAX];
};

struct note {                      /* a failure seen for a domain */
	struct note *next;
	char *domain;
	size_t idx;                /* earliest failing source */
	char why[400];
};

struct plookup {
	struct plookup *next;      /* waiting queue, then running list */
	struct plookup *prev;      /* running list */
	struct published_ctx *pc;
	struct engine_req *req;
	published_cb cb;
	void *arg;
	int in_start, answered;
	char domain[POLICY_KEY_MAX];
};

struct published_ctx {
	struct event_base *base;
	struct config *cfg;        /* the daemon's, discovery on, no deadline */
	struct engine *eng;
	struct wsrc src[ENGINE_SOURCES_MAX];
	size_t nsrc;
	int have_dane;
	struct note *notes[PUBLISHED_BUCKETS];
	struct plookup *queue, *queue_tail;
	struct plookup *run;       /* started, not answered */
	size_t running, pending, conc;
	int starting;
};

const char *published_source_name(enum answer_source src)
{
	switch (src) {
	case ANSWER_DANE: return "DANE records";
	case ANSWER_STS: return "MTA-STS policy";
	case ANSWER_PROVIDER: return "provider template";
	case ANSWER_TABLE: return "table";
	case ANSWER_DEFAULT: return "_default";
	default: return "nothing";
	}
}

static const char *src_label(const char *name)
{
	if (strcmp(name, "dane") == 0)
		return "DANE";
	if (strcmp(name, "sts") == 0)
		return "MTA-STS";
	if (strcmp(name, "provider") == 0)
		return "provider";
	return name;
}

static unsigned bucket(const char *d)
{
	unsigned long long h = 1469598103934665603ULL;

	for (; *d; d++)
		h = (h ^ (unsigned char)*d) * 1099511628211ULL;
	return (unsigned)(h % PUBLISHED_BUCKETS);
}

static struct note *note_find(struct published_ctx *pc, const char *domain)
{
	struct note *n;

	for (n = pc->notes[bucket(domain)]; n; n = n->next)
		if (strcmp(n->domain, domain) == 0)
			return n;
	return NULL;
}

static void note_failure(struct published_ctx *pc, const char *domain, size_t idx,
			 const char *why)
{
	struct note *n = note_find(pc, domain);
	char clean[300];

	if (n && n->idx <= idx)
		return;                 /* an earlier source failed already */
	if (n == NULL) {
		unsigned b = bucket(domain);

		if ((n = calloc(1, sizeof(*n))) == NULL || (n->domain = strdup(domain)) == NULL)
			log_fatal("published");
		n->next = pc->notes[b];
		pc->notes[b] = n;
	}
	n->idx = idx;
	printable(clean, sizeof(clean), why && *why ? why : "failed",
		  strlen(why && *why ? why : "failed"));
	snprintf(n->why, sizeof(n->why), "%s: %s", src_label(pc->src[idx].real.name), clean);
}

/* ---- the wrapped sources ---------------------------------------------- */

static void w_done(void *arg, const struct source_result *res)
{
	struct wreq *r = arg;

	if (res->verdict == SOURCE_FAILED)
		note_failure(r->w->pc, r->domain, r->w->idx, res->reason);
	r->finished = 1;
	r->done(r->done_arg, res);
	if (!r->in_call)
		free(r);
}

static void *w_discover(void *ctx, const char *domain, source_done_fn done, void *done_arg)
{
	struct wsrc *w = ctx;
	struct wreq *r = calloc(1, sizeof(*r));

	if (r == NULL)
		log_fatal("published");
	r->w = w;
	r->done = done;
	r->done_arg = done_arg;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->in_call = 1;
	r->handle = w->real.discover(w->real.ctx, domain, w_done, r);
	r->in_call = 0;
	if (r->finished) {
		free(r);
		return NULL;
	}
	return r;
}

static void w_cancel(void *ctx, void *handle)
{
	struct wsrc *w = ctx;
	struct wreq *r = handle;

	/* the engine gave up on the source (its one-minute limit) */
	note_failure(w->pc, r->domain, w->idx, "no answer within the discovery limit");
	if (w->real.cancel && r->handle)
		w->real.cancel(w->real.ctx, r->handle);
	free(r);
}

/* ---- lookups ------------------------------------------------------------ */

static size_t src_index(const struct published_ctx *pc, enum answer_source a)
{
	for (size_t i = 0; i < pc->nsrc; i++)
		if (pc->src[i].real.answer == a)
			return i;
	return pc->nsrc;
}

static void result_of(struct published_ctx *pc, const char *domain,
		      const struct engine_answer *ans, struct published *res)
{
	const struct note *n = note_find(pc, domain);
	char t[POLICY_MAX_TEXT + 1];

	memset(res, 0, sizeof(res[0]));
	res->source = ans->source;
	printable(t, sizeof(t), ans->text ? ans->text : "", strlen(ans->text ? ans->text : ""));
	if (!pc->have_dane) {
		res->kind = PUBLISHED_UNKNOWN;
		snprintf(res->reason, sizeof(res->reason), "DNSSEC validation is off "
			 "(dns_trust_anchor_file is empty): DANE cannot be looked for");
		return;
	}
	if (ans->status == LOOKUP_TEMP || ans->status == LOOKUP_PERM) {
		res->kind = PUBLISHED_UNKNOWN;
		snprintf(res->reason, sizeof(res->reason), "the daemon answers TEMP: %.400s", t);
		return;
	}
	if (ans->status == LOOKUP_OK) {
		if (n && n->idx < src_index(pc, ans->source)) {
			res->kind = PUBLISHED_UNKNOWN;
			snprintf(res->reason, sizeof(res->reason), "%s", n->why);
			return;
		}
		res->kind = PUBLISHED_POLICY;
		snprintf(res->text, sizeof(res->text), "%s", t);
		return;
	}
	if (ans->source == ANSWER_DANE) {
		/* dane_answer = notfound: Postfix's own dane level decides */
		res->kind = PUBLISHED_POLICY;
		snprintf(res->text, sizeof(res->text), "dane");
		return;
	}
	if (n) {
		res->kind = PUBLISHED_UNKNOWN;
		snprintf(res->reason, sizeof(res->reason), "%s", n->why);
		return;
	}
	res->kind = PUBLISHED_NOTHING;
}

static void start_more(struct published_ctx *pc);

static void run_unlink(struct published_ctx *pc, struct plookup *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		pc->run = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

static void answer_cb(const struct engine_answer *ans, void *arg)
{
	struct plookup *l = arg;
	struct published_ctx *pc = l->pc;
	struct published res;

	l->req = NULL;
	result_of(pc, l->domain, ans, &res);
	run_unlink(pc, l);
	pc->running--;
	pc->pending--;
	l->cb(l->arg, &res);
	if (l->in_start)
		l->answered = 1;        /* start_more frees it */
	else
		free(l);
	start_more(pc);
}

static void start_more(struct published_ctx *pc)
{
	if (pc->starting)
		return;                 /* no recursion through answers made at once */
	pc->starting = 1;
	while (pc->running < pc->conc && pc->queue) {
		struct plookup *l = pc->queue;
		struct engine_req *req;

		pc->queue = l->next;
		if (pc->queue == NULL)
			pc->queue_tail = NULL;
		l->next = pc->run;
		l->prev = NULL;
		if (pc->run)
			pc->run->prev = l;
		pc->run = l;
		pc->running++;
		l->in_start = 1;
		req = engine_lookup(pc->eng, l->domain, answer_cb, l);
		if (l->answered) {
			free(l);
			continue;
		}
		l->in_start = 0;
		l->req = req;
	}
	pc->starting = 0;
}

void published_lookup(struct published_ctx *pc, const char *domain, published_cb cb,
		      void *arg)
{
	struct plookup *l;

	if (!pc->have_dane) {
		/* nothing to ask: DANE, first in precedence, cannot be known */
		struct engine_answer none = { LOOKUP_NOTFOUND, ANSWER_NONE, "", NULL };
		struct published res;

		result_of(pc, domain, &none, &res);
		cb(arg, &res);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		log_fatal("published");
	l->pc = pc;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->domain, sizeof(l->domain), "%s", domain);
	if (pc->queue_tail)
		pc->queue_tail->next = l;
	else
		pc->queue = l;
	pc->queue_tail = l;
	pc->pending++;
	start_more(pc);
}

void published_wait(struct published_ctx *pc)
{
	while (pc->pending > 0 && event_base_loop(pc->base, EVLOOP_ONCE) == 0)
		;
}

/* ---- set-up --------------------------------------------------------------- */

struct published_ctx *published_new(struct event_base *base, const struct config *cfg,
				    struct engine_sources *srcs, struct errbuf *why)
{
	struct published_ctx *pc = calloc(1, sizeof(*pc));
	struct engine_source list[ENGINE_SOURCES_MAX];
	long conc;

	if (pc == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	pc->base = base;
	pc->cfg = config_dup(cfg);
	if (config_set(pc->cfg, "discovery", "yes", why) < 0 ||
	    config_set(pc->cfg, "lookup_deadline", PUBLISHED_DEADLINE, why) < 0)
		goto fail;
	conc = config_get_int(pc->cfg, "check_concurrency");
	pc->conc = conc > 0 ? (size_t)conc : 1;
	if ((pc->eng = engine_new_ex(base, pc->cfg, NULL, ENGINE_NO_TABLE, why)) == NULL)
		goto fail;
	pc->nsrc = engine_sources_list(srcs, list, ENGINE_SOURCES_MAX);
	pc->have_dane = engine_sources_dane(srcs) != NULL;
	for (size_t i = 0; i < pc->nsrc; i++) {
		struct engine_source es;

		pc->src[i].pc = pc;
		pc->src[i].idx = i;
		pc->src[i].real = list[i];
		memset(&es, 0, sizeof(es));
		es.name = list[i].name;
		es.answer = list[i].answer;
		es.ctx = &pc->src[i];
		es.discover = w_discover;
		es.cancel = w_cancel;
		if (engine_add_source(pc->eng, &es) < 0) {
			errbuf_set(why, "cannot add the %s source", list[i].name);
			goto fail;
		}
	}
	return pc;
fail:
	published_free(pc);
	return NULL;
}

void published_free(struct published_ctx *pc)
{
	if (pc == NULL)
		return;
	while (pc->run) {              /* lookups not answered: dropped */
		struct plookup *l = pc->run;

		run_unlink(pc, l);
		engine_cancel(l->req);
		free(l);
	}
	if (pc->eng)
		engine_free(pc->eng);  /* cancels what still runs (w_cancel) */
	while (pc->queue) {
		struct plookup *l = pc->queue;

		pc->queue = l->next;
		free(l);
	}
	for (size_t b = 0; b < PUBLISHED_BUCKETS; b++)
		while (pc->notes[b]) {
			struct note *n = pc->notes[b];

			pc->notes[b] = n->next;
			free(n->domain);
			free(n);
		}
	config_free(pc->cfg);
	free(pc);
}

/* ---- the judge -------------------------------------------------------------- */

enum published_verdict published_judge(const struct published *res, const char *domain,
				       const char *row_text, char *why, size_t whylen)
{
	struct policy_opts o = { PUBLISHED_COMPAT };
	struct policy *row = NULL, *pub = NULL;
	struct errbuf eb;
	char how[256];
	enum published_verdict v;

	if (why && whylen)
		why[0] = '\0';
	if (res->kind == PUBLISHED_NOTHING)
		return PUBLISHED_WRITE;
	if (res->kind == PUBLISHED_UNKNOWN) {
		snprintf(why, whylen, "cannot tell what %s publishes: %s", domain, res->reason);
		return PUBLISHED_NOT_KNOWN;
	}
	errbuf_clear(&eb);
	if (policy_parse(row_text, &o, &row, &eb) < 0 ||
	    policy_parse(res->text, &o, &pub, &eb) < 0) {
		snprintf(why, whylen, "cannot compare with the published %s \"%s\": %s",
			 published_source_name(res->source), res->text, eb.msg);
		policy_free(row);
		return PUBLISHED_NOT_KNOWN;
	}
	if (policy_weaker(row, pub, domain, how, sizeof(how))) {
		snprintf(why, whylen, "\"%s\" is weaker than \"%s\", which the daemon answers "
			 "from the %s: %s", row_text, res->text,
			 published_source_name(res->source), how);
		v = PUBLISHED_WEAKER;
	} else if (!policy_weaker(pub, row, domain, NULL, 0)) {
		snprintf(why, whylen, "the daemon already answers \"%s\" from the %s",
			 res->text, published_source_name(res->source));
		v = PUBLISHED_SERVED;
	} else {
		v = PUBLISHED_WRITE;   /* stronger than what is published */
	}
	policy_free(row);
	policy_free(pub);
	return v;
}

int published_force_add(struct published_force *f, const char *domain, struct errbuf *why)
{
	enum policy_key_kind kind;

	if (f->n >= PUBLISHED_FORCE_MAX)
		return errbuf_set(why, "more than %d --force-weaker domains", PUBLISHED_FORCE_MAX);
	if (policy_key_normalize(domain, f->key[f->n], sizeof(f->key[f->n]), &kind, why) < 0)
		return errbuf_prefix(why, "--force-weaker");
	if (kind != POLICY_KEY_DOMAIN)
		return errbuf_set(why, "--force-weaker %s: not a domain", f->key[f->n]);
	f->used[f->n] = 0;
	f->n++;
	return 0;
}

int published_forced(struct published_force *f, const char *domain)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->key[i], domain) == 0) {
			f->used[i] = 1;
			return 1;
		}
	return 0;
}
