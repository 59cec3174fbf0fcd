/* SPDX-License-Identifier: MIT */
/*
 * worker - the daemon's one mechanism for blocking work: a thread with a
 * FIFO job queue, and a completion pipe into the libevent loop.
 *
 * A job is run(arg) on the worker thread, then done(arg) on the loop
 * (from the pipe's read event), in submission order.  run() may block
 * (database reads and writes); done() must not.  Nothing else crosses
 * threads: a job's arg is touched by run() and then by done(), never by
 * both at once, so jobs need no locks of their own.  Users: the engine's
 * table reloads, the MTA-STS cache writes, the periodic purge of
 * expired tlspolicy_sts rows and the TLSRPT journal's flushes
 * (tlsrpt/journal.c) (ARCHITECTURE.md "Background work").
 *
 * LIMITS: max_queued jobs waiting (worker_submit() refuses more: the
 * caller drops or retries, counted by the caller).
 */
#ifndef TP_UTIL_WORKER_H
#define TP_UTIL_WORKER_H

#include <stddef.h>
#include "util/errbuf.h"

struct event_base;
struct worker;

typedef void (*worker_fn)(void *arg);

/* Starts the thread; base owns the completion event.  NULL with why. */
struct worker *worker_new(struct event_base *base, const char *name,
			  size_t max_queued, struct errbuf *why);
/*
 * Queues a job.  done may be NULL.  Returns 0, or -1 when the queue is
 * full or on ENOMEM (nothing is run then).
 */
int worker_submit(struct worker *w, worker_fn run, worker_fn done, void *arg);
/* Jobs submitted and not yet done (their done() not yet called). */
size_t worker_pending(const struct worker *w);
/* Waits until every job submitted so far has run, then makes their
 * done() calls (from here, on the caller's thread: the loop's).  Tests,
 * and the CLI before it exits. */
void worker_sync(struct worker *w);
/* One more user (the engine and the MTA-STS store share the daemon's
 * worker; each releases it with worker_free()). */
struct worker *worker_hold(struct worker *w);
/* worker_sync(); the last user's call also stops the thread and frees. */
void worker_free(struct worker *w);

#endif
