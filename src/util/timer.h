/* SPDX-License-Identifier: MIT */
/*
 * timer - the time and the one-shot timers of code on the event loop,
 * through a clock that is either the real one (NULL: libevent's cached
 * time of the loop, libevent timers) or a fake one that a test moves
 * forward by hand (timer_fake_advance), so that tests of deadlines,
 * expiries and refreshes take no real time and do not depend on it.
 *
 *   struct timer t;
 *   timer_init(&t, clk, base, fired, arg);
 *   timer_start(&t, 5);           (re)armed: fired(arg) in 5 s
 *   timer_stop(&t);               not armed (also safe when it is not)
 *
 * Seconds only: every timer of the engine is a whole number of seconds.
 */
#ifndef TP_UTIL_TIMER_H
#define TP_UTIL_TIMER_H

#include <time.h>
#include <event2/event_struct.h>

struct event_base;
struct timer_clock;

typedef void (*timer_fn)(void *arg);

struct timer {
	struct event ev;                /* the real clock */
	struct timer_clock *clk;        /* NULL: the real clock */
	timer_fn fn;
	void *arg;
	time_t due;                     /* the fake clock */
	struct timer *next;             /* the fake clock's armed timers */
	int armed;
};

/* Now, in seconds since the epoch: the loop's cached time (real clock),
 * or the fake clock's. */
time_t timer_now(struct timer_clock *clk, struct event_base *base);

void timer_init(struct timer *t, struct timer_clock *clk,
		struct event_base *base, timer_fn fn, void *arg);
void timer_start(struct timer *t, unsigned seconds);
void timer_stop(struct timer *t);
int timer_armed(const struct timer *t);

/* The fake clock, for tests: starts at `start`; time moves only in
 * timer_fake_advance(), which fires every timer that falls due, in the
 * order they fall due (each seeing timer_now() at its due time; a timer
 * started by a callback fires in the same advance when it falls due in
 * it). */
struct timer_clock *timer_fake_new(time_t start);
void timer_fake_advance(struct timer_clock *clk, unsigned seconds);
/* Every timer must be stopped or fired before. */
void timer_fake_free(struct timer_clock *clk);

#endif
