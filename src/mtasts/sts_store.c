/* SPDX-License-Identifier: MIT */
/*
 * sts_store - persistence of the MTA-STS cache (see sts_store.h).
 *
 * The loop hands the writes to the daemon's worker (util/worker.h) in
 * batches, one transaction each (below: struct batch): the worker runs
 * the blocking store calls with this store's own handle, the loop
 * counts and logs each write's outcome.
 */
#include "mtasts/sts_store.h"
#include "store/store.h"
#include "store/store_sts.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/worker.h"

#include "mtasts/sts_cache.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- loading --------------------------------------------------------- */

struct load_arg {
	struct sts_cache *c;
	size_t loaded, skipped;
};

/* The cache's view of a stored row (strings stay row's). */
static void record_of_row(struct sts_record *r, const struct store_sts_row *row)
{
	memset(r, 0, sizeof(*r));
	r->domain = row->domain;
	r->id = row->policy_id;
	r->policy_text = row->policy;
	r->fetched = (time_t)row->fetched;
	r->expires = (time_t)row->expires;
}

static int load_row(const struct store_sts_row *row, void *arg)
{
	struct load_arg *la = arg;
	struct sts_record r;
	struct errbuf why;

	record_of_row(&r, row);
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

/*
 * One rule for database handles across the privilege drop (daemon.c):
 * every handle is opened at set-up, before the drop, and used only by
 * the worker thread afterwards.  On STORE_ERR_RETRY a MariaDB handle
 * reconnects by itself (store_mysql.c: a new connection needs no files);
 * a SQLite handle is kept (a new one might not be allowed the -wal/-shm
 * files after the drop).  A handle that could not be opened at set-up
 * (MariaDB down) is opened at first use.  On STORE_ERR_CONFIG nothing is
 * reopened: the write is dropped and logged, the admin must act.
 */

enum wop_kind { WOP_PUT, WOP_DELETE, WOP_PURGE, WOP_RELEASE };

struct wop {
	struct sts_store *s;
	enum wop_kind kind;
	char *domain, *id, *policy;
	long long fetched, expires;  /* WOP_PURGE: expires is "now";
				      * WOP_DELETE: fetched is the bound */
	/* outcome (run on the worker, read in done on the loop) */
	int rc;
	struct store_sts_row newer;  /* WOP_PUT kept: the row fetched later */
	unsigned long purged;
	char why[ERRBUF_MAX];
};

/*
 * The saves and removals go to the worker in batches: one job, one
 * transaction (store_sts_batch_begin) for every write the cache made
 * since the last batch was handed over.  A batch is handed over when
 * none is on the worker (so while one transaction runs, the next
 * collects), when it reaches STS_STORE_BATCH_MAX, and before any other
 * job of ours (a purge, a forget, a sync, a share of a domain the batch
 * writes), so the worker still sees every write in the order the cache
 * made it.  A lease release (after a save, or WOP_RELEASE) is in the
 * batch too: other daemons see the row and the lease's end at commit.
 */
struct batch {
	struct sts_store *s;
	struct wop **op;
	size_t n, cap;
};

struct sts_store {
	char *url;
	struct worker *w;            /* held (worker_hold) */
	struct sts_store_stats st;   /* loop thread only */
	int outage;                  /* loop thread only */
	int share_outage;            /* loop thread only */
	struct sts_cache *cache;     /* loop thread only: sts_store_set_cache */
	char owner[STORE_STS_OWNER_MAX + 1];   /* constant after set-up */
	struct batch *next;          /* loop thread: collecting, or NULL */
	size_t inflight;             /* loop thread: batches on the worker */
	/* worker thread only (and set-up / free) */
	struct store *db;
};

static void wop_free(struct wop *w)
{
	free(w->domain);
	free(w->id);
	free(w->policy);
	store_sts_row_free(&w->newer);
	free(w);
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		wop_free(b->op[i]);
	free(b->op);
	free(b);
}

/* worker thread: s->db open, or -1 with the reason in w */
static int wop_open(struct sts_store *s, struct wop *w)
{
	struct errbuf why;

	errbuf_clear(&why);
	if (s->db == NULL && (w->rc = store_open(s->url, &s->db, &why)) < 0) {
		snprintf(w->why, sizeof(w->why), "%s", why.msg);
		return -1;
	}
	return 0;
}

/*
 * worker thread: a statement whose failure the write ignores (the lease
 * release, the read of a row kept) breaks a batch all the same when the
 * database may have ended the transaction with it (a deadlock, a lost
 * connection): only a configuration error (no lease table) leaves the
 * transaction as it was.  Returns rc, or 0 for a failure to ignore.
 */
static int side_rc(int rc, int in_batch)
{
	return rc < 0 && in_batch && rc != STORE_ERR_CONFIG ? rc : 0;
}

/*
 * worker thread: one write on the open handle, its outcome in w.
 * Returns < 0 when the write failed, or (in_batch) when a statement it
 * made besides failed in a way that may have ended the batch's
 * transaction: the caller rolls the batch back.
 */
static int wop_apply(struct sts_store *s, struct wop *w, int in_batch)
{
	struct errbuf why;
	int side = 0;

	errbuf_clear(&why);
	if (w->kind == WOP_PUT) {
		struct store_sts_row row = { w->domain, w->id, w->policy, w->fetched,
					     w->expires };

		struct errbuf ignore;
		int got;

		/* made again after a batch's rollback: the first try's row goes */
		store_sts_row_free(&w->newer);
		w->rc = store_sts_put(s->db, &row, &why);
		if (w->rc == STORE_STS_KEPT) {
			/* another daemon's, fetched later: the cache may want it */
			errbuf_clear(&ignore);
			got = store_sts_get(s->db, w->domain, &w->newer, &ignore);
			if (got != 1)
				store_sts_row_free(&w->newer);
			side = side_rc(got, in_batch);
		}
		/* our fetch is written: our lease, if any, ends (a database
		 * without the lease table has none); in a batch both are one
		 * transaction, so another daemon sees the row and the lease's
		 * end at once */
		if (w->rc >= 0 && side == 0) {
			errbuf_clear(&ignore);
			side = side_rc(store_sts_release(s->db, w->domain, s->owner,
							 &ignore), in_batch);
		} else if (w->rc < 0) {
			errbuf_clear(&ignore);
			store_sts_release(s->db, w->domain, s->owner, &ignore);
		}
	} else if (w->kind == WOP_RELEASE) {
		struct errbuf ignore;

		errbuf_clear(&ignore);
		side = side_rc(store_sts_release(s->db, w->domain, s->owner, &ignore),
			       in_batch);
		w->rc = 0;
	} else if (w->kind == WOP_DELETE) {
		struct store_sts_row cur;
		int got = w->fetched > 0 ? store_sts_get(s->db, w->domain, &cur, &why) : 0;

		/* a row fetched after what we forget is another daemon's newer
		 * policy: it stays */
		if (got == 1 && cur.fetched > w->fetched)
			w->rc = 0;
		else if (got < 0)
			w->rc = got;
		else if ((w->rc = store_sts_delete(s->db, w->domain, &why)) > 0)
			w->rc = 0;
		if (got == 1)
			store_sts_row_free(&cur);
	} else {
		struct errbuf ignore;
		unsigned long leases;

		w->rc = store_sts_purge(s->db, w->expires, &w->purged, &why);
		/* leases of daemons that died (a missing table: none) */
		errbuf_clear(&ignore);
		store_sts_lease_purge(s->db, w->expires, &leases, &ignore);
	}
	if (w->rc < 0)
		snprintf(w->why, sizeof(w->why), "%s", why.msg);
	return w->rc < 0 ? w->rc : side;
}

/* worker thread */
static void wop_run(void *arg)
{
	struct wop *w = arg;

	if (wop_open(w->s, w) == 0)
		wop_apply(w->s, w, 0);
}

/*
 * worker thread: the batch in one transaction.  When a write in it
 * fails, the transaction is rolled back and every write is made again
 * on its own (autocommit, as without batches), so one bad row costs
 * only itself; when the transaction cannot begin or commit (the
 * database is down), every write of the batch fails with that reason.
 */
static void batch_run(void *arg)
{
	struct batch *b = arg;
	struct sts_store *s = b->s;
	struct errbuf why;
	size_t i;
	int rc;

	if (wop_open(s, b->op[0]) < 0) {
		for (i = 1; i < b->n; i++) {
			b->op[i]->rc = b->op[0]->rc;
			memcpy(b->op[i]->why, b->op[0]->why, sizeof(b->op[i]->why));
		}
		return;
	}
	errbuf_clear(&why);
	if ((rc = store_sts_batch_begin(s->db, &why)) == 0) {
		for (i = 0; i < b->n; i++)
			if (wop_apply(s, b->op[i], 1) < 0)
				break;
		if (i < b->n) {
			store_sts_batch_rollback(s->db);
			for (i = 0; i < b->n; i++)
				wop_apply(s, b->op[i], 0);
			return;
		}
		if ((rc = store_sts_batch_commit(s->db, &why)) == 0)
			return;
		store_sts_batch_rollback(s->db);
	}
	for (i = 0; i < b->n; i++) {
		b->op[i]->rc = rc;
		snprintf(b->op[i]->why, sizeof(b->op[i]->why), "%s", why.msg);
	}
}

static const char *wop_verb(const struct wop *w)
{
	return w->kind == WOP_PUT ? "save" : w->kind == WOP_DELETE ? "delete" :
	       w->kind == WOP_RELEASE ? "release the lease of" : "purge";
}

/* loop thread: count and log one write's outcome */
static void wop_account(struct sts_store *s, struct wop *w)
{
	if (w->rc < 0) {
		s->st.failed++;
		if (w->rc == STORE_ERR_CONFIG)
			log_warnx("sts store: cannot %s %s: %s (a configuration error: "
				  "this write is dropped; fix the database, e.g. "
				  "'tlspolicy db init')", wop_verb(w),
				  w->domain ? w->domain : "expired rows", w->why);
		else if (!s->outage)
			log_warnx("sts store: cannot %s %s: %s (writes are dropped "
				  "until the database works again)", wop_verb(w),
				  w->domain ? w->domain : "expired rows", w->why);
		if (w->rc != STORE_ERR_CONFIG)
			s->outage = 1;
	} else {
		if (s->outage)
			log_info("sts store: writes work again");
		s->outage = 0;
		if (w->kind == WOP_PUT && w->rc == STORE_STS_KEPT) {
			s->st.kept++;
			log_info("sts store: %s: a policy fetched later by another "
				 "server is kept (id %s)", w->domain,
				 w->newer.policy_id ? w->newer.policy_id : "?");
			if (s->cache != NULL && w->newer.domain != NULL) {
				struct sts_record r;
				struct errbuf ignore;

				record_of_row(&r, &w->newer);
				errbuf_clear(&ignore);
				sts_cache_load(s->cache, &r, &ignore);
			}
		} else if (w->kind == WOP_PUT)
			s->st.puts++;
		else if (w->kind == WOP_DELETE)
			s->st.deletes++;
		else if (w->kind == WOP_PURGE) {
			s->st.purges++;
			s->st.purged += w->purged;
			if (w->purged)
				log_debug("sts store: %lu expired rows purged", w->purged);
		}
	}
}

/* loop thread */
static void wop_done(void *arg)
{
	struct wop *w = arg;

	wop_account(w->s, w);
	wop_free(w);
}

static void batch_hand_over(struct sts_store *s);

/* loop thread */
static void batch_done(void *arg)
{
	struct batch *b = arg;
	struct sts_store *s = b->s;

	for (size_t i = 0; i < b->n; i++)
		wop_account(s, b->op[i]);
	s->inflight--;
	batch_free(b);
	/* what collected meanwhile goes now, in one transaction */
	if (s->inflight == 0 && s->next != NULL)
		batch_hand_over(s);
}

/* loop thread: the collecting batch to the worker */
static void batch_hand_over(struct sts_store *s)
{
	struct batch *b = s->next;

	if (b == NULL)
		return;
	s->next = NULL;
	if (worker_submit(s->w, batch_run, batch_done, b) < 0) {
		if (s->st.dropped % 1000 == 0)
			log_warnx("sts store: the worker queue is full; %llu writes "
				  "dropped so far", s->st.dropped + b->n);
		s->st.dropped += b->n;
		batch_free(b);
		return;
	}
	s->inflight++;
	s->st.batches++;
}

/* loop thread: 1 when the collecting batch has a write of domain */
static int batch_holds(const struct sts_store *s, const char *domain)
{
	const struct batch *b = s->next;

	for (size_t i = 0; b != NULL && i < b->n; i++)
		if (b->op[i]->domain != NULL && strcasecmp(b->op[i]->domain, domain) == 0)
			return 1;
	return 0;
}

static void enqueue(struct sts_store *s, struct wop *w)
{
	struct batch *b = s->next;

	w->s = s;
	if (w->kind == WOP_PURGE) {
		batch_hand_over(s);   /* the writes before it go first */
		if (worker_submit(s->w, wop_run, wop_done, w) < 0) {
			s->st.dropped++;
			log_warnx("sts store: the worker queue is full; the purge of "
				  "expired rows waits for the next one");
			wop_free(w);
		}
		return;
	}
	if (b == NULL) {
		b = s->next = xcalloc(1, sizeof(*b));
		b->s = s;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->op = xrealloc(b->op, b->cap * sizeof(*b->op));
	}
	b->op[b->n++] = w;
	if (s->inflight == 0 || b->n >= STS_STORE_BATCH_MAX)
		batch_hand_over(s);
}

static void persist_save(void *ctx, const struct sts_record *rec)
{
	struct wop *w = xcalloc(1, sizeof(*w));

	w->domain = xstrdup(rec->domain);
	w->id = xstrdup(rec->id);
	w->policy = xstrdup(rec->policy_text);
	w->kind = WOP_PUT;
	w->fetched = (long long)rec->fetched;
	w->expires = (long long)rec->expires;
	enqueue(ctx, w);
}

static void persist_remove(void *ctx, const char *domain, time_t fetched)
{
	struct wop *w = xcalloc(1, sizeof(*w));

	w->domain = xstrdup(domain);
	w->kind = WOP_DELETE;
	w->fetched = (long long)fetched;
	enqueue(ctx, w);
}

void sts_store_purge(struct sts_store *s, long long now)
{
	struct wop *w = xcalloc(1, sizeof(*w));

	w->kind = WOP_PURGE;
	w->expires = now;
	enqueue(s, w);
}

/* "HOST:PID:RANDOM": unique per daemon process, also on one host. */
static void make_owner(char *buf, size_t size)
{
	char host[128];
	unsigned r = 0;
	FILE *f;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			*p = '_';
	if ((f = fopen("/dev/urandom", "rb")) != NULL) {
		if (fread(&r, sizeof(r), 1, f) != 1)
			r = 0;
		fclose(f);
	}
	if (r == 0)
		r = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	snprintf(buf, size, "%s:%ld:%08x", host, (long)getpid(), r);
}

struct sts_store *sts_store_new(const char *url, struct worker *wk, struct errbuf *why)
{
	struct sts_store *s = calloc(1, sizeof(*s));
	struct errbuf ignore;

	if (s == NULL || (s->url = strdup(url)) == NULL) {
		free(s);
		errbuf_set(why, "out of memory");
		return NULL;
	}
	s->w = worker_hold(wk);
	make_owner(s->owner, sizeof(s->owner));
	/* the handle now, before the privilege drop (the rule above); a
	 * database that is down is opened at first use instead */
	errbuf_clear(&ignore);
	if (store_open(url, &s->db, &ignore) < 0)
		s->db = NULL;
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
	batch_hand_over(s);
	worker_sync(s->w);
}

void sts_store_stats(struct sts_store *s, struct sts_store_stats *out)
{
	*out = s->st;
}

void sts_store_free(struct sts_store *s)
{
	if (s == NULL)
		return;
	/* every queued write of ours is done before the handle goes */
	batch_hand_over(s);
	worker_free(s->w);
	store_close(s->db);
	free(s->url);
	free(s);
}

/* ---- forgetting what `sts flush` deleted -------------------------------- */

struct forget_job {
	struct sts_store *s;
	struct sts_cache *c;
	char **names;                /* domains in the table (worker) */
	size_t n, cap;
	int rc;
	char why[256];
	char **gone;                 /* cached, not in the table (loop) */
	size_t ngone, capgone;
};

static int push_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;

		*v = xrealloc(*v, nc * sizeof(**v));
		*cap = nc;
	}
	(*v)[(*n)++] = xstrdup(name);
	return 0;
}

static int forget_row(const struct store_sts_row *row, void *arg)
{
	struct forget_job *j = arg;

	return push_name(&j->names, &j->n, &j->cap, row->domain);
}

/* worker thread */
static void forget_run(void *arg)
{
	struct forget_job *j = arg;
	struct sts_store *s = j->s;
	struct errbuf why;

	errbuf_clear(&why);
	if (s->db == NULL && (j->rc = store_open(s->url, &s->db, &why)) < 0) {
		snprintf(j->why, sizeof(j->why), "%s", why.msg);
		return;
	}
	if ((j->rc = store_sts_list(s->db, forget_row, j, &why)) != 0)
		snprintf(j->why, sizeof(j->why), "%s", j->rc < 0 ? why.msg : "out of memory");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int forget_walk(const struct sts_record *rec, void *arg)
{
	struct forget_job *j = arg;
	const char *key = rec->domain;

	if (rec->policy_text == NULL || *rec->policy_text == '\0')
		return 0;   /* nothing cached that the table could hold */
	if (bsearch(&key, j->names, j->n, sizeof(*j->names), cmp_name) == NULL)
		push_name(&j->gone, &j->ngone, &j->capgone, rec->domain);
	return 0;
}

/* loop thread */
static void forget_done(void *arg)
{
	struct forget_job *j = arg;

	if (j->rc != 0) {
		log_warnx("MTA-STS: cannot read tlspolicy_sts to forget flushed policies "
			  "(%s); the cached ones stay until they expire or a restart", j->why);
	} else {
		qsort(j->names, j->n, sizeof(*j->names), cmp_name);
		sts_cache_walk(j->c, forget_walk, j);
		for (size_t i = 0; i < j->ngone; i++)
			sts_cache_flush(j->c, j->gone[i]);
		log_info("MTA-STS: forgot %zu cached polic%s flushed from the database%s%s",
			 j->ngone, j->ngone == 1 ? "y" : "ies", j->ngone ? ": " : "",
			 j->ngone ? j->gone[0] : "");
	}
	for (size_t i = 0; i < j->n; i++)
		free(j->names[i]);
	for (size_t i = 0; i < j->ngone; i++)
		free(j->gone[i]);
	free(j->names);
	free(j->gone);
	free(j);
}

void sts_store_forget_flushed(struct sts_store *s, struct sts_cache *c)
{
	struct forget_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->c = c;
	batch_hand_over(s);   /* the table must hold what was saved before */
	if (worker_submit(s->w, forget_run, forget_done, j) < 0) {
		log_warnx("MTA-STS: the worker queue is full; flushed policies are "
			  "forgotten at the next signal or restart");
		free(j);
	}
}

/* ---- sharing with other daemons (sts_store_share) ---------------------- */

struct sts_share {
	struct sts_store *s;
	sts_share_fn fn;
	void *arg;
	int cancelled;               /* loop thread */
	char *domain, *id;
	unsigned refresh_interval, lease_secs;
	/* outcome (worker) */
	int result;
	int rc;                      /* < 0: the database failed */
	char why[ERRBUF_MAX];
	struct store_sts_row row;    /* STS_SHARED_USE */
	char holder[STORE_STS_OWNER_MAX + 1];   /* STS_SHARE_WAIT */
};

static void share_free(struct sts_share *j)
{
	free(j->domain);
	free(j->id);
	store_sts_row_free(&j->row);
	free(j);
}

/* worker: 1 when domain's row answers for j->id now (kept in j->row). */
static int share_row(struct sts_share *j, long long now, struct errbuf *why)
{
	struct sts_record r;
	int rc;

	store_sts_row_free(&j->row);
	if ((rc = store_sts_get(j->s->db, j->domain, &j->row, why)) != 1)
		return rc;
	record_of_row(&r, &j->row);
	if (sts_record_fresh(&r, j->id, j->refresh_interval, (time_t)now))
		return 1;
	store_sts_row_free(&j->row);
	return 0;
}

/* worker thread */
static void share_run(void *arg)
{
	struct sts_share *j = arg;
	struct sts_store *s = j->s;
	struct store_sts_lease want, held;
	long long now = (long long)time(NULL);
	struct errbuf why;
	int rc;

	errbuf_clear(&why);
	j->result = STS_SHARED_FETCH;
	if (s->db == NULL && (j->rc = store_open(s->url, &s->db, &why)) < 0)
		goto fail;
	if ((rc = share_row(j, now, &why)) != 0) {
		if (rc < 0)
			goto failrc;
		j->result = STS_SHARED_USE;
		return;
	}
	memset(&want, 0, sizeof(want));
	want.domain = j->domain;
	snprintf(want.owner, sizeof(want.owner), "%s", s->owner);
	want.expires = now + (long long)j->lease_secs;
	if ((rc = store_sts_claim(s->db, &want, now, &held, &why)) < 0)
		goto failrc;
	if (rc == 0) {
		snprintf(j->holder, sizeof(j->holder), "%s", held.owner);
		j->result = STS_SHARE_WAIT;
		return;
	}
	/* ours: the row may have come meanwhile (written, then released) */
	if ((rc = share_row(j, now, &why)) == 1) {
		store_sts_release(s->db, j->domain, s->owner, &why);
		j->result = STS_SHARED_USE;
		return;
	}
	j->result = STS_SHARED_LEASED;
	return;
failrc:
	j->rc = rc;
fail:
	snprintf(j->why, sizeof(j->why), "%s", why.msg);
	j->result = STS_SHARED_FETCH;
}

/* loop thread */
static void share_done(void *arg)
{
	struct sts_share *j = arg;
	struct sts_store *s = j->s;
	struct sts_record r;

	if (j->rc < 0) {
		s->st.share_failed++;
		if (!s->share_outage || j->rc == STORE_ERR_CONFIG)
			log_warnx("sts store: cannot share MTA-STS policies through the "
				  "database (%s); fetching them ourselves%s", j->why,
				  j->rc == STORE_ERR_CONFIG ? " (a configuration "
				  "error: e.g. run 'tlspolicy db init')" : "");
		if (j->rc != STORE_ERR_CONFIG)
			s->share_outage = 1;
	} else {
		if (s->share_outage)
			log_info("sts store: sharing MTA-STS policies works again");
		s->share_outage = 0;
	}
	if (j->result == STS_SHARED_USE)
		s->st.share_used++;
	else if (j->result == STS_SHARED_LEASED)
		s->st.share_leased++;
	else if (j->result == STS_SHARE_WAIT)
		s->st.share_waits++;
	if (j->cancelled) {
		if (j->result == STS_SHARED_LEASED)
			sts_store_release(s, j->domain);
		share_free(j);
		return;
	}
	if (j->result == STS_SHARED_USE)
		record_of_row(&r, &j->row);
	j->fn(j->arg, j->result, j->result == STS_SHARED_USE ? &r : NULL,
	      j->result == STS_SHARE_WAIT ? j->holder : NULL);
	share_free(j);
}

struct sts_share *sts_store_share(struct sts_store *s, const char *domain,
				  const char *id, unsigned refresh_interval,
				  unsigned lease_secs, sts_share_fn fn, void *arg)
{
	struct sts_share *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->fn = fn;
	j->arg = arg;
	j->domain = xstrdup(domain);
	j->id = xstrdup(id);
	j->refresh_interval = refresh_interval;
	j->lease_secs = lease_secs;
	s->st.shares++;
	/* our own writes of domain first: the row we saved (then the claim
	 * finds it) and the release of a lease we gave up (else it would
	 * end the lease this job takes) */
	if (batch_holds(s, domain))
		batch_hand_over(s);
	if (worker_submit(s->w, share_run, share_done, j) < 0) {
		s->st.share_failed++;
		share_free(j);
		return NULL;   /* the queue is full: the caller fetches */
	}
	return j;
}

void sts_store_share_cancel(struct sts_share *j)
{
	if (j != NULL)
		j->cancelled = 1;
}

void sts_store_release(struct sts_store *s, const char *domain)
{
	struct wop *w = xcalloc(1, sizeof(*w));

	w->domain = xstrdup(domain);
	w->kind = WOP_RELEASE;
	enqueue(s, w);
}

void sts_store_set_cache(struct sts_store *s, struct sts_cache *c)
{
	s->cache = c;
}

const char *sts_store_owner(const struct sts_store *s)
{
	return s->owner;
}
