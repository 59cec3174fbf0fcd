/* SPDX-License-Identifier: MIT */
/*
 * sts_store - persistence of the MTA-STS cache (see sts_store.h).
 *
 * The loop thread only appends to a queue under a mutex; the writer
 * thread takes the operations in order and runs the (blocking) store
 * calls with a handle of its own.
 */
#include "mtasts/sts_store.h"
#include "store/store.h"
#include "store/store_sts.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum wop_kind { WOP_PUT, WOP_DELETE };

struct wop {
	struct wop *next;
	enum wop_kind kind;
	char *domain, *id, *policy;
	long long fetched, expires;
};

struct sts_store {
	char *url;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* work queued or stop */
	pthread_cond_t done_cv;  /* an operation finished */
	struct wop *head, *tail;
	size_t queued;
	unsigned long long enqueued, finished;
	int stop;
	struct sts_store_stats st;
	/* writer thread only */
	struct store *db;
	int outage;
};

/* ---- loading --------------------------------------------------------- */

struct load_arg {
	struct sts_cache *c;
	size_t loaded, skipped;
};

static int load_row(const struct store_sts_row *row, void *arg)
{
	struct load_arg *la = arg;
	struct sts_record r;
	struct errbuf why;

	memset(&r, 0, sizeof(r));
	r.domain = row->domain;
	r.id = row->policy_id;
	r.policy_text = row->policy;
	r.fetched = (time_t)row->fetched;
	r.expires = (time_t)row->expires;
	errbuf_clear(&why);
	if (sts_cache_load(la->c, &r, &why) < 0) {
		log_debug("sts store: row skipped: %s", why.msg);
		la->skipped++;
	} else {
		la->loaded++;
	}
	return 0;
}

int sts_store_load(struct store *st, struct sts_cache *c, size_t *loaded,
		   size_t *skipped, struct errbuf *why)
{
	struct load_arg la = { c, 0, 0 };
	int rc = store_sts_list(st, load_row, &la, why);

	if (loaded)
		*loaded = la.loaded;
	if (skipped)
		*skipped = la.skipped;
	return rc < 0 ? -1 : 0;
}

/* ---- the writer ---------------------------------------------------------- */

static void wop_free(struct wop *w)
{
	free(w->domain);
	free(w->id);
	free(w->policy);
	free(w);
}

static int apply(struct sts_store *s, const struct wop *w, struct errbuf *why)
{
	int rc;

	if (s->db == NULL && store_open(s->url, &s->db, why) < 0)
		return -1;
	if (w->kind == WOP_PUT) {
		struct store_sts_row row = { w->domain, w->id, w->policy, w->fetched,
					     w->expires };

		rc = store_sts_put(s->db, &row, why);
	} else {
		rc = store_sts_delete(s->db, w->domain, why) < 0 ? -1 : 0;
	}
	if (rc < 0) { /* a fresh handle next time */
		store_close(s->db);
		s->db = NULL;
	}
	return rc;
}

static void *writer(void *arg)
{
	struct sts_store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct wop *w;
		struct errbuf why;
		int rc;

		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->head == NULL)
			break;
		w = s->head;
		s->head = w->next;
		if (s->head == NULL)
			s->tail = NULL;
		s->queued--;
		pthread_mutex_unlock(&s->mu);

		errbuf_clear(&why);
		rc = apply(s, w, &why);
		if (rc < 0 && !s->outage) {
			log_warnx("sts store: cannot %s %s: %s (writes are dropped "
				  "until the database works again)",
				  w->kind == WOP_PUT ? "save" : "delete", w->domain,
				  why.msg);
			s->outage = 1;
		} else if (rc == 0 && s->outage) {
			log_info("sts store: writes work again");
			s->outage = 0;
		}

		pthread_mutex_lock(&s->mu);
		if (rc < 0)
			s->st.failed++;
		else if (w->kind == WOP_PUT)
			s->st.puts++;
		else
			s->st.deletes++;
		s->finished++;
		pthread_cond_broadcast(&s->done_cv);
		wop_free(w);
	}
	pthread_mutex_unlock(&s->mu);
	store_close(s->db);
	s->db = NULL;
	return NULL;
}

static void enqueue(struct sts_store *s, struct wop *w)
{
	pthread_mutex_lock(&s->mu);
	if (s->queued >= STS_STORE_QUEUE_MAX) {
		if (s->st.dropped++ % 1000 == 0)
			log_warnx("sts store: write queue full (%d); %llu writes "
				  "dropped so far", STS_STORE_QUEUE_MAX, s->st.dropped);
		pthread_mutex_unlock(&s->mu);
		wop_free(w);
		return;
	}
	if (s->tail)
		s->tail->next = w;
	else
		s->head = w;
	s->tail = w;
	s->queued++;
	s->enqueued++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void persist_save(void *ctx, const struct sts_record *rec)
{
	struct wop *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->domain = strdup(rec->domain)) == NULL
	    || (w->id = strdup(rec->id)) == NULL
	    || (w->policy = strdup(rec->policy_text)) == NULL)
		log_fatalx("sts store: out of memory");
	w->kind = WOP_PUT;
	w->fetched = (long long)rec->fetched;
	w->expires = (long long)rec->expires;
	enqueue(ctx, w);
}

static void persist_remove(void *ctx, const char *domain)
{
	struct wop *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->domain = strdup(domain)) == NULL)
		log_fatalx("sts store: out of memory");
	w->kind = WOP_DELETE;
	enqueue(ctx, w);
}

struct sts_store *sts_store_new(const char *url, struct errbuf *why)
{
	struct sts_store *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->url = strdup(url)) == NULL) {
		free(s);
		errbuf_set(why, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	if (pthread_create(&s->thread, NULL, writer, s) != 0) {
		errbuf_set(why, "cannot start the MTA-STS store writer thread");
		pthread_cond_destroy(&s->done_cv);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->url);
		free(s);
		return NULL;
	}
	return s;
}

void sts_store_persist(struct sts_store *s, struct sts_persist *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = s;
	out->save = persist_save;
	out->remove = persist_remove;
}

void sts_store_sync(struct sts_store *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->finished < s->enqueued)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void sts_store_stats(struct sts_store *s, struct sts_store_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

void sts_store_free(struct sts_store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->url);
	free(s);
}
