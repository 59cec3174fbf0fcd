/* SPDX-License-Identifier: MIT */
/*
 * sts_cache - MTA-STS policy cache and refresh state machine (see
 * sts_cache.h for the rules).
 *
 * Each domain is an entry in a hash table and in a list of all entries;
 * an entry has at most one operation (struct sts_op: TXT lookup, then
 * maybe a fetch) in flight, on which lookups wait.  Background
 * refreshes are queued (a FIFO through the entries) and started while
 * fewer than `concurrency` run.  An operation is detached from its
 * entry before any callback is made, so callbacks may start lookups.
 */
#include "mtasts/sts_cache.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STS_CACHE_BUCKETS 16384 /* power of two */

struct sts_waiter {
	struct sts_waiter *prev, *next;
	struct sts_op *op;
	source_done_fn done;
	void *arg;
};

enum op_stage { OP_TXT, OP_SHARED, OP_FETCH };

struct sts_op {
	struct sts_cache *c;
	struct sts_entry *e;
	enum op_stage stage;
	void *io;                  /* handle of the TXT lookup or fetch */
	int background;            /* counts against the concurrency */
	int force;                 /* refetch even when the id is unchanged */
	int installed;             /* fetched a policy: answer from it even
				    * when max_age 0 has it expired already */
	int leased;                /* we hold the shared fetch lease */
	char txt_id[STS_TXT_ID_MAX + 1];
	struct sts_waiter *waiters;
	size_t nwaiters;
};

struct sts_entry {
	struct sts_entry *hnext;            /* hash chain */
	struct sts_entry *prev, *next;      /* all entries */
	struct sts_entry *qprev, *qnext;    /* refresh queue */
	int queued, force;
	char domain[STS_DOMAIN_MAX + 1];
	char id[STS_TXT_ID_MAX + 1];
	struct sts_policy *pol;
	/* the answer the policy gives, computed when it is installed */
	int ans_rc;                          /* sts_policy_answer() */
	char *ans_text;
	char ans_why[STS_REASON_MAX];
	time_t fetched, expires, last_check, next_check, last_used;
	char fail_id[STS_TXT_ID_MAX + 1];
	time_t fail_time;
	char fail_why[STS_REASON_MAX];
	struct sts_op *op;
};

struct sts_cache {
	struct sts_cache_opts opts;
	struct sts_io io;
	struct sts_entry *buckets[STS_CACHE_BUCKETS];
	struct sts_entry *all;
	struct sts_entry *qhead, *qtail;
	unsigned running_bg;
	int share;                 /* sts_cache_set_sharing() */
	struct sts_cache_stats st;
};

static unsigned hash_domain(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h & (STS_CACHE_BUCKETS - 1);
}

static time_t now_of(struct sts_cache *c)
{
	return c->io.now(c->io.ctx);
}

static struct sts_entry *entry_find(struct sts_cache *c, const char *domain)
{
	struct sts_entry *e;

	for (e = c->buckets[hash_domain(domain)]; e; e = e->hnext)
		if (strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

static struct sts_entry *entry_new(struct sts_cache *c, const char *domain)
{
	struct sts_entry *e;
	unsigned h;

	if (strlen(domain) > STS_DOMAIN_MAX || c->st.entries >= STS_CACHE_MAX)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->domain, domain, strlen(domain) + 1);
	h = hash_domain(domain);
	e->hnext = c->buckets[h];
	c->buckets[h] = e;
	e->next = c->all;
	if (c->all)
		c->all->prev = e;
	c->all = e;
	c->st.entries++;
	return e;
}

static void queue_remove(struct sts_cache *c, struct sts_entry *e)
{
	if (!e->queued)
		return;
	if (e->qprev)
		e->qprev->qnext = e->qnext;
	else
		c->qhead = e->qnext;
	if (e->qnext)
		e->qnext->qprev = e->qprev;
	else
		c->qtail = e->qprev;
	e->qprev = e->qnext = NULL;
	e->queued = 0;
	c->st.queued--;
}

static void queue_add(struct sts_cache *c, struct sts_entry *e)
{
	if (e->queued)
		return;
	e->qnext = NULL;
	e->qprev = c->qtail;
	if (c->qtail)
		c->qtail->qnext = e;
	else
		c->qhead = e;
	c->qtail = e;
	e->queued = 1;
	c->st.queued++;
}

/* Takes an entry out of the table, the list and the queue. */
static void entry_unlink(struct sts_cache *c, struct sts_entry *e)
{
	struct sts_entry **pp = &c->buckets[hash_domain(e->domain)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->all = e->next;
	if (e->next)
		e->next->prev = e->prev;
	queue_remove(c, e);
	c->st.entries--;
}

static void entry_destroy(struct sts_entry *e)
{
	sts_policy_free(e->pol);
	free(e->ans_text);
	free(e);
}

/* Frees an entry that has no operation. */
static void entry_free(struct sts_cache *c, struct sts_entry *e)
{
	entry_unlink(c, e);
	entry_destroy(e);
}

static int usable(const struct sts_entry *e, time_t now)
{
	return e->pol != NULL && now < e->expires;
}

static time_t refresh_margin(const struct sts_cache *c, const struct sts_entry *e)
{
	time_t half = (time_t)(e->pol->max_age / 2);
	time_t two = 2 * (time_t)c->opts.refresh_interval;

	return half < two ? half : two;
}

static int expiring(const struct sts_cache *c, const struct sts_entry *e,
		    time_t now)
{
	return now >= e->expires - refresh_margin(c, e);
}

/* When the next check of a cached policy is due, counted from `from`. */
static void schedule(struct sts_cache *c, struct sts_entry *e, time_t from,
		     time_t now)
{
	time_t t = from + (time_t)c->opts.refresh_interval;
	time_t renew = e->expires - refresh_margin(c, e);

	if (renew < t)
		t = renew;
	if (t <= now)
		t = now + 1;
	e->next_check = t;
}

static void fill_record(const struct sts_entry *e, struct sts_record *r)
{
	memset(r, 0, sizeof(*r));
	r->domain = e->domain;
	r->id = e->id;
	r->policy_text = e->pol ? e->pol->text : "";
	r->fetched = e->fetched;
	r->expires = e->expires;
	r->mode = e->pol ? e->pol->mode : STS_MODE_NONE;
	r->last_check = e->last_check;
	r->next_check = e->next_check;
	r->last_used = e->last_used;
	r->fail_time = e->fail_time;
	r->fail_id = e->fail_id;
	r->fail_why = e->fail_why;
	r->busy = e->op != NULL;
}

/* Makes pol the entry's policy (takes ownership). */
static void install(struct sts_cache *c, struct sts_entry *e, const char *id,
		    struct sts_policy *pol, time_t fetched, time_t expires,
		    time_t now)
{
	struct errbuf why;

	sts_policy_free(e->pol);
	free(e->ans_text);
	e->ans_text = NULL;
	e->pol = pol;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->fetched = fetched;
	e->expires = expires;
	e->last_check = fetched;
	errbuf_clear(&why);
	e->ans_rc = sts_policy_answer(pol, e->domain, &c->opts.answer,
				      &e->ans_text, &why);
	snprintf(e->ans_why, sizeof(e->ans_why), "%s", why.msg);
	if (e->ans_rc < 0)
		log_warnx("sts %s: policy id %s gives no valid answer: %s",
			  e->domain, e->id, why.msg);
	else if (e->ans_rc > 0 && why.msg[0])
		log_warnx("sts %s: policy id %s: %s", e->domain, e->id, why.msg);
	schedule(c, e, fetched, now);
	c->st.installs++;
}

static void forget_persisted(struct sts_cache *c, const char *domain,
			     time_t fetched)
{
	if (c->io.remove)
		c->io.remove(c->io.ctx, domain, fetched);
}

/* Cancels the I/O of op (the TXT lookup, the shared cache or the fetch);
 * a lease we hold is released. */
static void cancel_io(struct sts_cache *c, struct sts_op *op)
{
	if (op->io) {
		if (op->stage == OP_TXT)
			c->io.txt_cancel(c->io.ctx, op->io);
		else if (op->stage == OP_SHARED)
			c->io.shared_cancel(c->io.ctx, op->io);
		else
			c->io.fetch_cancel(c->io.ctx, op->io);
		op->io = NULL;
	}
	if (op->leased && c->io.release)
		c->io.release(c->io.ctx, op->e->domain);
	op->leased = 0;
}

/* The policy's mx patterns, one a line (malloc'ed). */
static char *mx_lines(const struct sts_policy *p)
{
	size_t n = 1, k = 0;
	char *out;

	for (size_t i = 0; i < p->nmx; i++)
		n += strlen(p->mx[i]) + 1;
	out = xmalloc(n);
	for (size_t i = 0; i < p->nmx; i++) {
		size_t l = strlen(p->mx[i]);

		if (k)
			out[k++] = '\n';
		memcpy(out + k, p->mx[i], l);
		k += l;
	}
	out[k] = '\0';
	return out;
}

/*
 * Answers one lookup from the entry when its policy is usable, else
 * with verdict/reason.
 */
static void answer(struct sts_cache *c, struct sts_entry *e, time_t now,
		   int fresh, source_done_fn done, void *arg,
		   enum source_verdict verdict, const char *reason)
{
	struct source_result res;
	char *mx = NULL;

	memset(&res, 0, sizeof(res));
	if (e != NULL && (usable(e, now) || (fresh && e->pol != NULL))) {
		time_t ttl = e->expires > now ? e->expires - now : 0;

		if (ttl > (time_t)c->opts.refresh_interval)
			ttl = (time_t)c->opts.refresh_interval;
		res.ttl = (unsigned)ttl;
		if (e->ans_rc > 0) {
			res.verdict = SOURCE_APPLIES;
			res.policy_text = e->ans_text;
			/* issue 15 (TLSRPT): the policy lines and mx patterns
			 * behind this answer, as the report names them */
			res.report_strings = e->pol->text;
			res.report_mx = mx = mx_lines(e->pol);
			/* enforce: every MX host authenticated (replaces a
			 * partial DANE answer, engine.h) */
			if (e->pol->mode == STS_MODE_ENFORCE)
				res.flags |= SOURCE_F_EVERY_MX;
		} else if (e->ans_rc == 0) {
			res.verdict = SOURCE_NOT_APPLICABLE;
			res.reason = e->ans_why;
		} else {
			res.verdict = SOURCE_FAILED;
			res.reason = e->ans_why;
			res.ttl = 0;
		}
	} else {
		res.verdict = verdict;
		res.reason = reason;
	}
	done(arg, &res);
	free(mx);
}

static void start_op(struct sts_cache *c, struct sts_entry *e, int background,
		     int force);
static void pump(struct sts_cache *c);

/* Ends op: detaches it, answers its waiters, frees it. */
static void finish_op(struct sts_op *op, enum source_verdict verdict,
		      const char *reason)
{
	struct sts_cache *c = op->c;
	struct sts_entry *e = op->e;
	struct sts_waiter *w;
	time_t now = now_of(c);

	e->op = NULL;
	if (op->background)
		c->running_bg--;
	while ((w = op->waiters) != NULL) {
		op->waiters = w->next;
		answer(c, e, now, op->installed, w->done, w->arg, verdict, reason);
		free(w);
	}
	free(op);
	pump(c);
}

static void start_op(struct sts_cache *c, struct sts_entry *e, int background,
		     int force)
{
	struct sts_op *op = xcalloc(1, sizeof(*op));


	queue_remove(c, e);
	op->c = c;
	op->e = e;
	op->stage = OP_TXT;
	op->background = background;
	op->force = force || e->force;
	e->force = 0;
	e->op = op;
	if (background) {
		c->running_bg++;
		c->st.refreshes++;
	}
	c->st.txt_lookups++;
	op->io = c->io.txt_start(c->io.ctx, e->domain, op);
}

/* Starts queued background refreshes while there is room. */
static void pump(struct sts_cache *c)
{
	while (c->running_bg < c->opts.concurrency && c->qhead) {
		struct sts_entry *e = c->qhead;

		queue_remove(c, e);
		if (e->op == NULL)
			start_op(c, e, 1, 0);
	}
}

void *sts_cache_lookup(struct sts_cache *c, const char *domain,
		       source_done_fn done, void *done_arg)
{
	struct sts_entry *e = entry_find(c, domain);
	struct sts_waiter *w;
	time_t now = now_of(c);

	c->st.lookups++;
	if (e != NULL)
		e->last_used = now;
	if (e != NULL && usable(e, now)) {
		c->st.hits++;
		if (now >= e->next_check && e->op == NULL) {
			queue_add(c, e);
			pump(c);
		}
		answer(c, e, now, 0, done, done_arg, SOURCE_FAILED, "");
		return NULL;
	}
	if (e == NULL && (e = entry_new(c, domain)) == NULL) {
		struct source_result res = { .verdict = SOURCE_FAILED,
					     .reason = "MTA-STS cache full or bad name" };

		done(done_arg, &res);
		return NULL;
	}
	e->last_used = now;
	if (e->op != NULL && e->op->nwaiters >= STS_CACHE_MAX_WAITERS) {
		struct source_result res = { .verdict = SOURCE_FAILED,
					     .reason = "too many lookups waiting" };

		done(done_arg, &res);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->done = done;
	w->arg = done_arg;
	if (e->op != NULL) {
		c->st.coalesced++;
	} else {
		c->st.discoveries++;
		start_op(c, e, 0, 0);
	}
	w->op = e->op;
	w->next = e->op->waiters;
	if (w->next)
		w->next->prev = w;
	e->op->waiters = w;
	e->op->nwaiters++;
	return w;
}

void sts_cache_cancel(struct sts_cache *c, void *handle)
{
	struct sts_waiter *w = handle;

	(void)c;
	if (w == NULL)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->op->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->op->nwaiters--;
	free(w);
}

static void start_fetch(struct sts_cache *c, struct sts_op *op)
{
	op->stage = OP_FETCH;
	c->st.fetches++;
	op->io = c->io.fetch_start(c->io.ctx, op->e->domain, op);
}

void sts_cache_txt_done(struct sts_cache *c, void *opv, enum sts_txt_status status,
			const char *id, const char *why)
{
	struct sts_op *op = opv;
	struct sts_entry *e = op->e;
	time_t now = now_of(c);
	char reason[STS_REASON_MAX];

	op->io = NULL;
	if (status == STS_TXT_FOUND && (id == NULL || *id == '\0')) {
		status = STS_TXT_NONE;
		why = "empty id";
	}
	if (status == STS_TXT_FAILED) {
		c->st.txt_failed++;
		snprintf(reason, sizeof(reason), "TXT lookup failed: %s",
			 why ? why : "?");
		if (usable(e, now)) {
			/* keep the policy; try again later */
			e->next_check = now + STS_RETRY_MIN < e->expires
						? now + STS_RETRY_MIN : e->expires;
			log_info("sts %s: %s; keeping policy id %s", e->domain,
				 reason, e->id);
		}
		finish_op(op, SOURCE_FAILED, reason);
		return;
	}
	if (status == STS_TXT_NONE) {
		snprintf(reason, sizeof(reason), "no MTA-STS policy: %s",
			 why ? why : "no TXT record");
		if (usable(e, now)) {
			/* RFC 8461 5.1: a cached policy outlives its TXT record */
			e->last_check = now;
			schedule(c, e, now, now);
		}
		finish_op(op, SOURCE_NOT_APPLICABLE, reason);
		return;
	}
	if (usable(e, now) && !op->force && strcmp(id, e->id) == 0
	    && !expiring(c, e, now)) {
		e->last_check = now;
		schedule(c, e, now, now);
		finish_op(op, SOURCE_FAILED, "");
		return;
	}
	if (!op->force && e->fail_time && strcmp(e->fail_id, id) == 0
	    && now - e->fail_time < STS_RETRY_MIN) {
		c->st.fetch_throttled++;
		snprintf(reason, sizeof(reason), "policy id %s: fetch failed %lds ago "
			 "(%.150s); next try in %lds", id, (long)(now - e->fail_time),
			 e->fail_why, (long)(e->fail_time + STS_RETRY_MIN - now));
		if (usable(e, now))
			e->next_check = e->fail_time + STS_RETRY_MIN;
		finish_op(op, SOURCE_FAILED, reason);
		return;
	}
	snprintf(op->txt_id, sizeof(op->txt_id), "%s", id);
	if (c->share && c->io.shared_start != NULL && !op->force) {
		/* another daemon may have it, or be fetching it */
		op->stage = OP_SHARED;
		op->io = c->io.shared_start(c->io.ctx, e->domain, id,
					    !usable(e, now), op);
		return;
	}
	start_fetch(c, op);
}

void sts_cache_shared_done(struct sts_cache *c, void *opv,
			   enum sts_shared_result res, const struct sts_record *rec)
{
	struct sts_op *op = opv;
	struct sts_entry *e = op->e;
	time_t now = now_of(c);
	struct sts_policy *pol = NULL;
	struct errbuf why;

	op->io = NULL;
	if (res == STS_SHARED_USE && rec != NULL && rec->id != NULL
	    && strcmp(rec->id, op->txt_id) == 0 && rec->policy_text != NULL
	    && sts_policy_parse(rec->policy_text, strlen(rec->policy_text), &pol,
				&why) == 0) {
		time_t expires = rec->fetched + (time_t)pol->max_age;

		if (rec->expires < expires)
			expires = rec->expires;
		if (expires > now) {
			if (e->pol && strcmp(e->id, op->txt_id) != 0)
				log_info("sts %s: policy id %s replaces %s (mode %s, "
					 "from the shared cache)", e->domain, op->txt_id,
					 e->id, sts_mode_name(pol->mode));
			else
				log_info("sts %s: policy id %s from the shared cache",
					 e->domain, op->txt_id);
			install(c, e, op->txt_id, pol, rec->fetched, expires, now);
			op->installed = 1;
			e->fail_time = 0;
			e->fail_id[0] = e->fail_why[0] = '\0';
			c->st.shared_used++;
			finish_op(op, SOURCE_FAILED, "");
			return;
		}
	}
	sts_policy_free(pol);
	op->leased = res == STS_SHARED_LEASED;
	start_fetch(c, op);
}

void sts_cache_fetch_done(struct sts_cache *c, void *opv, int ok,
			  const char *body, size_t len, const char *why)
{
	struct sts_op *op = opv;
	struct sts_entry *e = op->e;
	time_t now = now_of(c);
	struct sts_policy *pol = NULL;
	struct errbuf perr;
	char reason[STS_REASON_MAX];

	op->io = NULL;
	if (ok && sts_policy_parse(body, len, &pol, &perr) == 0) {
		if (e->pol && strcmp(e->id, op->txt_id) != 0)
			log_info("sts %s: policy id %s replaces %s (mode %s)",
				 e->domain, op->txt_id, e->id,
				 sts_mode_name(pol->mode));
		install(c, e, op->txt_id, pol, now, now + (time_t)pol->max_age, now);
		op->installed = 1;
		e->fail_time = 0;
		e->fail_id[0] = e->fail_why[0] = '\0';
		if (e->expires <= now) {
			/* max_age 0: used once, never kept */
			forget_persisted(c, e->domain, now);
			if (op->leased && c->io.release)
				c->io.release(c->io.ctx, e->domain);
		} else if (c->io.save) {
			struct sts_record r;

			fill_record(e, &r);
			c->io.save(c->io.ctx, &r);
		}
		op->leased = 0;   /* the save ends it */
		finish_op(op, SOURCE_FAILED, "");
		return;
	}
	c->st.fetch_failed++;
	if (op->leased && c->io.release)
		c->io.release(c->io.ctx, e->domain);
	op->leased = 0;
	if (ok)
		snprintf(e->fail_why, sizeof(e->fail_why), "invalid policy: %.200s",
			 perr.msg);
	else
		snprintf(e->fail_why, sizeof(e->fail_why), "%s", why ? why : "?");
	snprintf(e->fail_id, sizeof(e->fail_id), "%s", op->txt_id);
	e->fail_time = now;
	snprintf(reason, sizeof(reason), "policy fetch failed: %.220s", e->fail_why);
	if (usable(e, now)) {
		e->next_check = now + STS_RETRY_MIN < e->expires
					? now + STS_RETRY_MIN : e->expires;
		log_warnx("sts %s: %s; keeping policy id %s until it expires in %lds",
			  e->domain, reason, e->id, (long)(e->expires - now));
	} else {
		/* nothing cached: the domain's own problem, common; the
		 * engine's log shows the verdict */
		log_debug("sts %s: id %s: %s", e->domain, op->txt_id, reason);
	}
	finish_op(op, SOURCE_FAILED, reason);
}

void sts_cache_tick(struct sts_cache *c)
{
	time_t now = now_of(c);
	struct sts_entry *e, *next;

	for (e = c->all; e; e = next) {
		next = e->next;
		if (e->op != NULL)
			continue;
		if (usable(e, now)) {
			time_t keep = (time_t)e->pol->max_age;

			if (keep < (time_t)c->opts.refresh_interval)
				keep = (time_t)c->opts.refresh_interval;
			if (now >= e->next_check && now - e->last_used < keep)
				queue_add(c, e);
			continue;
		}
		if (e->pol != NULL) {
			c->st.expired++;
			log_info("sts %s: policy id %s expired", e->domain, e->id);
			forget_persisted(c, e->domain, e->fetched);
			sts_policy_free(e->pol);
			e->pol = NULL;
			free(e->ans_text);
			e->ans_text = NULL;
		}
		/* Keep a failure around while it limits retries. */
		if (e->fail_time == 0 || now - e->fail_time >= STS_RETRY_MIN)
			entry_free(c, e);
	}
	pump(c);
}

int sts_cache_load(struct sts_cache *c, const struct sts_record *rec,
		   struct errbuf *why)
{
	struct sts_policy *pol;
	struct sts_entry *e;
	time_t now = now_of(c), expires;

	if (rec->domain == NULL || rec->id == NULL || rec->policy_text == NULL)
		return errbuf_set(why, "incomplete record");
	if (sts_policy_parse(rec->policy_text, strlen(rec->policy_text), &pol,
			     why) < 0)
		return errbuf_prefix(why, "%s", rec->domain);
	/* Trust the stored expiry only as far as the policy allows. */
	expires = rec->fetched + (time_t)pol->max_age;
	if (rec->expires < expires)
		expires = rec->expires;
	if (expires <= now) {
		sts_policy_free(pol);
		return errbuf_set(why, "%s: expired", rec->domain);
	}
	if ((e = entry_find(c, rec->domain)) == NULL
	    && (e = entry_new(c, rec->domain)) == NULL) {
		sts_policy_free(pol);
		return errbuf_set(why, "%s: cache full or bad name", rec->domain);
	}
	if (e->op != NULL || (e->pol != NULL && e->fetched >= rec->fetched)) {
		sts_policy_free(pol); /* ours is newer or being replaced */
		return 0;
	}
	install(c, e, rec->id, pol, rec->fetched, expires, now);
	e->last_used = now;
	return 0;
}

static void flush_entry(struct sts_cache *c, struct sts_entry *e)
{
	struct sts_op *op = e->op;

	/* Out of the table first: a callback below may look the domain up
	 * again and must get a new entry. */
	entry_unlink(c, e);
	forget_persisted(c, e->domain, 0);
	if (op != NULL) {
		cancel_io(c, op);
		sts_policy_free(e->pol);
		e->pol = NULL;
		op->installed = 0;
		finish_op(op, SOURCE_FAILED, "MTA-STS cache flushed");
	}
	entry_destroy(e);
}

void sts_cache_set_answer_opts(struct sts_cache *c, const struct sts_answer_opts *opts)
{
	c->opts.answer = *opts;
	for (struct sts_entry *e = c->all; e; e = e->next) {
		struct errbuf why;

		if (e->pol == NULL)
			continue;
		free(e->ans_text);
		e->ans_text = NULL;
		errbuf_clear(&why);
		e->ans_rc = sts_policy_answer(e->pol, e->domain, &c->opts.answer,
					      &e->ans_text, &why);
		snprintf(e->ans_why, sizeof(e->ans_why), "%s", why.msg);
	}
}

size_t sts_cache_flush(struct sts_cache *c, const char *domain)
{
	struct sts_entry *e;
	size_t n = 0;

	if (domain != NULL) {
		if ((e = entry_find(c, domain)) == NULL)
			return 0;
		flush_entry(c, e);
		return 1;
	}
	while ((e = c->all) != NULL) {
		flush_entry(c, e);
		n++;
	}
	return n;
}

int sts_cache_refresh(struct sts_cache *c, const char *domain)
{
	struct sts_entry *e = entry_find(c, domain);

	if (e == NULL && (e = entry_new(c, domain)) == NULL)
		return -1;
	if (e->op != NULL)
		return -1;
	e->force = 1;
	start_op(c, e, 0, 1);
	return 0;
}

int sts_cache_walk(struct sts_cache *c,
		   int (*fn)(const struct sts_record *rec, void *arg), void *arg)
{
	struct sts_record r;
	int rc;

	for (struct sts_entry *e = c->all; e; e = e->next) {
		fill_record(e, &r);
		if ((rc = fn(&r, arg)) != 0)
			return rc;
	}
	return 0;
}

void sts_cache_stats(const struct sts_cache *c, struct sts_cache_stats *out)
{
	*out = c->st;
	out->busy = 0;
	for (const struct sts_entry *e = c->all; e; e = e->next)
		out->busy += e->op != NULL;
}

struct sts_cache *sts_cache_new(const struct sts_cache_opts *opts,
				const struct sts_io *io)
{
	struct sts_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->opts = *opts;
	if (c->opts.refresh_interval == 0)
		c->opts.refresh_interval = 1;
	if (c->opts.concurrency == 0)
		c->opts.concurrency = 1;
	c->io = *io;
	return c;
}

void sts_cache_set_sharing(struct sts_cache *c, int on)
{
	c->share = on;
}

void sts_cache_free(struct sts_cache *c)
{
	struct sts_entry *e;

	if (c == NULL)
		return;
	while ((e = c->all) != NULL) {
		struct sts_op *op = e->op;

		if (op != NULL) {
			struct sts_waiter *w;

			cancel_io(c, op);
			while ((w = op->waiters) != NULL) {
				op->waiters = w->next;
				free(w);
			}
			free(op);
			e->op = NULL;
		}
		entry_free(c, e);
	}
	free(c);
}

int sts_record_fresh(const struct sts_record *rec, const char *id,
		     unsigned refresh_interval, time_t now)
{
	struct sts_policy *pol;
	struct errbuf why;
	time_t expires, half, two, margin;

	if (rec->id == NULL || id == NULL || strcmp(rec->id, id) != 0
	    || rec->policy_text == NULL
	    || sts_policy_parse(rec->policy_text, strlen(rec->policy_text), &pol,
				&why) < 0)
		return 0;
	expires = rec->fetched + (time_t)pol->max_age;
	if (rec->expires < expires)
		expires = rec->expires;
	/* refresh_margin() of an entry with this policy */
	half = (time_t)(pol->max_age / 2);
	two = 2 * (time_t)refresh_interval;
	margin = half < two ? half : two;
	sts_policy_free(pol);
	return now < expires - margin;
}
