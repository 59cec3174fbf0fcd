/* SPDX-License-Identifier: MIT */
/* worker - see worker.h. */
#include "util/worker.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

struct job {
	struct job *next;
	worker_fn run, done;
	void *arg;
};

struct worker {
	char name[32];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a job queued, or stop */
	pthread_cond_t idle_cv;  /* a job has run */
	struct job *head, *tail; /* waiting to run */
	struct job *dhead, *dtail; /* run, done() not yet called */
	size_t queued, max_queued;
	size_t pending;          /* submitted, done() not yet called */
	int running;             /* the thread is inside run() */
	int stop;
	unsigned refs;           /* users (loop thread) */
	int pipefd[2];
	struct event *ev;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j;
		ssize_t n;
		char c = 1;

		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == NULL)
			break;
		j = w->head;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued--;
		w->running = 1;
		pthread_mutex_unlock(&w->mu);

		j->run(j->arg);

		pthread_mutex_lock(&w->mu);
		w->running = 0;
		j->next = NULL;
		if (w->dtail)
			w->dtail->next = j;
		else
			w->dhead = j;
		w->dtail = j;
		pthread_cond_broadcast(&w->idle_cv);
		pthread_mutex_unlock(&w->mu);
		/* wake the loop; a full pipe already holds a wake-up */
		do
			n = write(w->pipefd[1], &c, 1);
		while (n < 0 && errno == EINTR);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Makes the done() calls of every job that has run (loop thread). */
static void run_done(struct worker *w)
{
	struct job *list;

	pthread_mutex_lock(&w->mu);
	list = w->dhead;
	w->dhead = w->dtail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (list) {
		struct job *j = list;

		list = j->next;
		w->pending--;
		if (j->done)
			j->done(j->arg);
		free(j);
	}
}

static void pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	run_done(arg);
}

struct worker *worker_new(struct event_base *base, const char *name,
			  size_t max_queued, struct errbuf *why)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->refs = 1;
	w->max_queued = max_queued;
	w->pipefd[0] = w->pipefd[1] = -1;
	if (pipe2(w->pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		errbuf_set(why, "%s worker: pipe: %s", name, strerror(errno));
		free(w);
		return NULL;
	}
	if ((w->ev = event_new(base, w->pipefd[0], EV_READ | EV_PERSIST, pipe_cb, w)) == NULL ||
	    event_add(w->ev, NULL) < 0) {
		errbuf_set(why, "%s worker: cannot add the completion event", name);
		goto fail;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle_cv, NULL);
	if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		errbuf_set(why, "%s worker: cannot start a thread: %s", name, strerror(rc));
		pthread_cond_destroy(&w->idle_cv);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	return w;
fail:
	if (w->ev)
		event_free(w->ev);
	close(w->pipefd[0]);
	close(w->pipefd[1]);
	free(w);
	return NULL;
}

int worker_submit(struct worker *w, worker_fn run, worker_fn done, void *arg)
{
	struct job *j;

	pthread_mutex_lock(&w->mu);
	if (w->queued >= w->max_queued) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	pthread_mutex_unlock(&w->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->run = run;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

size_t worker_pending(const struct worker *w)
{
	return w->pending;
}

void worker_sync(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->head != NULL || w->running)
		pthread_cond_wait(&w->idle_cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	run_done(w);
}

struct worker *worker_hold(struct worker *w)
{
	w->refs++;
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	/* done() callbacks may submit more: until nothing is left */
	while (w->pending > 0)
		worker_sync(w);
	if (--w->refs > 0)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->idle_cv);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	event_free(w->ev);
	close(w->pipefd[0]);
	close(w->pipefd[1]);
	free(w);
}
