/* SPDX-License-Identifier: MIT */
/* journal.c - the daemon's TLSRPT decision journal (journal.h). */
#include "tlsrpt/journal.h"

#include "engine/engine.h"
#include "store/store.h"
#include "tlsrpt/db.h"
#include "tlsrpt/outcome.h"
#include "tlsrpt/tally.h"
#include "util/config.h"
#include "util/log.h"
#include "util/worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

struct tlsrpt_journal {
	struct event_base *base;
	char *db_url;
	char mta[256];
	struct tally t;
	struct event *timer;
	struct worker *worker; /* the daemon's (engine_worker), held */
	struct store *st;      /* opened at set-up (before the privilege drop),
				* then used by the worker thread only */
	atomic_int flushing;
	unsigned long long noted;
	atomic_ullong written, dropped;
	char last_error[ERRBUF_MAX]; /* written by the flush thread only */
};

struct flush_job {
	struct tlsrpt_journal *j;
	struct tally t;
};

/* "secure match=a:.b servername=hostname" -> "a\n*.b" */
static void sts_mx(const char *text, char *out, size_t outlen)
{
	const char *m = strstr(text, "match=");
	size_t k = 0;

	out[0] = '\0';
	if (m == NULL)
		return;
	m += 6;
	while (*m && *m != ' ' && k + 3 < outlen) {
		if (*m == ':') {
			out[k++] = '\n';
			m++;
			continue;
		}
		if (*m == '.' && (k == 0 || out[k - 1] == '\n')) {
			out[k++] = '*';
		}
		out[k++] = *m++;
	}
	out[k] = '\0';
}

static const char *sts_failure(const char *reason)
{
	if (strstr(reason, "certificate") || strstr(reason, "SSL") || strstr(reason, "TLS") ||
	    strstr(reason, "verify"))
		return tlsrpt_result_name(TLSRPT_STS_WEBPKI_INVALID);
	if (strstr(reason, "parse") || strstr(reason, "invalid") || strstr(reason, "syntax"))
		return tlsrpt_result_name(TLSRPT_STS_POLICY_INVALID);
	return tlsrpt_result_name(TLSRPT_STS_POLICY_FETCH_ERROR);
}

void tlsrpt_journal_observe(void *arg, const struct engine_observation *o)
{
	struct tlsrpt_journal *j = arg;
	const char *f[TJ_NFIELDS];
	char key[40 * 1024], mx[2048], day[11];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	f[TJ_DOMAIN] = o->domain;
	f[TJ_DAY] = day;
	f[TJ_STRINGS] = "";
	f[TJ_MX] = "";
	f[TJ_RESULT] = "";
	if ((o->ans->status == LOOKUP_OK || o->ans->status == LOOKUP_NOTFOUND) &&
	    o->ans->source == ANSWER_DANE) {
		/* NOTFOUND too: dane_answer = notfound, Postfix's dane level */
		f[TJ_TYPE] = "tlsa";
		f[TJ_STRINGS] = o->report_strings ? o->report_strings : "";
		f[TJ_MX] = o->report_mx ? o->report_mx : "";
	} else if (o->ans->status == LOOKUP_OK && o->ans->source == ANSWER_STS) {
		f[TJ_TYPE] = "sts";
		f[TJ_STRINGS] = o->report_strings ? o->report_strings : "";
		if (o->report_mx && o->report_mx[0]) {
			f[TJ_MX] = o->report_mx;
		} else {
			sts_mx(o->ans->text, mx, sizeof(mx));
			f[TJ_MX] = mx;
		}
	} else if (o->failed_src == ANSWER_STS) {
		f[TJ_TYPE] = "sts";
		f[TJ_RESULT] = sts_failure(o->failed_reason);
	} else {
		f[TJ_TYPE] = "no-policy-found";
	}
	j->noted++;
	if (tally_key(key, sizeof(key), f, TJ_NFIELDS) < 0 ||
	    tally_add_at(&j->t, key, 1, (long long)now) < 0)
		j->dropped++;
}

static void write_tally(struct tlsrpt_journal *j, struct tally *t)
{
	struct errbuf why = { 0 };
	struct store *st = NULL;
	unsigned long long n = 0;

	for (size_t i = 0; i < t->cap; i++)
		if (t->ent[i].key)
			n += t->ent[i].count;
	if (n == 0)
		return;
	/* a database down at set-up is opened at first use */
	if (j->st == NULL && store_open(j->db_url, &j->st, &why) < 0)
		j->st = NULL;
	st = j->st;
	if (st == NULL || tlsrpt_db_add_policies(st, j->mta, t, &why) < 0) {
		/* once per distinct reason, not every flush */
		if (strcmp(why.msg, j->last_error) != 0)
			log_warnx("tlsrpt journal: %s: %llu answers not recorded (logged once "
				  "until the reason changes)", why.msg, n);
		snprintf(j->last_error, sizeof(j->last_error), "%s", why.msg);
		j->dropped += n;
	} else {
		if (j->last_error[0])
			log_info("tlsrpt journal: writing again");
		j->last_error[0] = '\0';
		j->written += n;
	}
}

/* On the worker thread: the database write. */
static void flush_run(void *arg)
{
	struct flush_job *job = arg;

	write_tally(job->j, &job->t);
}

/* Back on the loop. */
static void flush_done(void *arg)
{
	struct flush_job *job = arg;

	tally_free(&job->t);
	atomic_store(&job->j->flushing, 0);
	free(job);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tlsrpt_journal *j = arg;
	struct flush_job *job;

	(void)fd;
	(void)what;
	if (j->t.n == 0 || atomic_load(&j->flushing))
		return; /* nothing, or the last flush still runs: next time */
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return;
	job->j = j;
	job->t = j->t;
	tally_init(&j->t, TLSRPT_JOURNAL_KEYS);
	atomic_store(&j->flushing, 1);
	if (worker_submit(j->worker, flush_run, flush_done, job) < 0) {
		/* the queue is full: keep the counts for the next flush */
		tally_free(&j->t);
		j->t = job->t;
		free(job);
		atomic_store(&j->flushing, 0);
	}
}

struct tlsrpt_journal *tlsrpt_journal_new(struct event_base *base, const struct config *cfg,
					  const char *db_url, struct engine *eng,
					  struct errbuf *why)
{
	struct tlsrpt_journal *j = calloc(1, sizeof(*j));
	unsigned every = config_get_time(cfg, "tlsrpt_journal_flush");
	struct timeval tv = { every ? (time_t)every : 60, 0 };
	const char *m = config_get(cfg, "tlsrpt_mta");

	if (j == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	j->base = base;
	/* the journal only writes: to the primary (database_write) when
	 * database is a read-only replica */
	if ((j->db_url = strdup(db_url ? db_url : config_database_write(cfg))) == NULL) {
		free(j);
		errbuf_set(why, "out of memory");
		return NULL;
	}
	if (m && *m)
		snprintf(j->mta, sizeof(j->mta), "%s", m);
	else if (gethostname(j->mta, sizeof(j->mta) - 1) < 0 || j->mta[0] == '\0')
		snprintf(j->mta, sizeof(j->mta), "localhost");
	tally_init(&j->t, TLSRPT_JOURNAL_KEYS);
	if (store_open(j->db_url, &j->st, why) < 0) {
		log_warnx("tlsrpt journal: %s; opened at the first flush", why->msg);
		j->st = NULL;
		errbuf_clear(why);
	}
	j->worker = worker_hold(engine_worker(eng));
	if ((j->timer = event_new(base, -1, EV_PERSIST, flush_cb, j)) == NULL ||
	    event_add(j->timer, &tv) < 0) {
		errbuf_set(why, "tlsrpt journal: cannot start the flush timer");
		tlsrpt_journal_free(j);
		return NULL;
	}
	engine_set_observer(eng, tlsrpt_journal_observe, j);
	return j;
}

void tlsrpt_journal_free(struct tlsrpt_journal *j)
{
	if (j == NULL)
		return;
	if (j->timer)
		event_free(j->timer);
	if (j->worker)
		worker_free(j->worker); /* worker_sync(): a flush in flight finishes */
	write_tally(j, &j->t);
	tally_free(&j->t);
	if (j->st)
		store_close(j->st);
	free(j->db_url);
	free(j);
}

void tlsrpt_journal_stats(const struct tlsrpt_journal *j, unsigned long long *noted,
			  unsigned long long *written, unsigned long long *dropped)
{
	*noted = j->noted;
	*written = atomic_load(&j->written);
	*dropped = atomic_load(&j->dropped);
}
