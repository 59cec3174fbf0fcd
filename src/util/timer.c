/* SPDX-License-Identifier: MIT */
/* timer - time and one-shot timers, real or fake (see timer.h). */
#include "util/timer.h"

#include <stdlib.h>
#include <sys/time.h>

#include <event2/event.h>

#include "util/xalloc.h"

struct timer_clock {
	time_t now;
	struct timer *armed;            /* by due time, then by start order */
};

time_t timer_now(struct timer_clock *clk, struct event_base *base)
{
	struct timeval tv;

	if (clk)
		return clk->now;
	if (event_base_gettimeofday_cached(base, &tv) < 0)
		return time(NULL);
	return tv.tv_sec;
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;

	(void)fd;
	(void)what;
	t->armed = 0;
	t->fn(t->arg);
}

void timer_init(struct timer *t, struct timer_clock *clk,
		struct event_base *base, timer_fn fn, void *arg)
{
	t->clk = clk;
	t->fn = fn;
	t->arg = arg;
	t->due = 0;
	t->next = NULL;
	t->armed = 0;
	if (clk == NULL)
		evtimer_assign(&t->ev, base, timer_event_cb, t);
}

static void fake_unlink(struct timer *t)
{
	for (struct timer **pp = &t->clk->armed; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return;
		}
	}
}

void timer_start(struct timer *t, unsigned seconds)
{
	timer_stop(t);
	t->armed = 1;
	if (t->clk == NULL) {
		struct timeval tv = { (time_t)seconds, 0 };

		evtimer_add(&t->ev, &tv);
		return;
	}
	t->due = t->clk->now + (time_t)seconds;
	struct timer **pp = &t->clk->armed;
	while (*pp && (*pp)->due <= t->due)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

void timer_stop(struct timer *t)
{
	if (!t->armed)
		return;
	t->armed = 0;
	if (t->clk == NULL)
		event_del(&t->ev);
	else
		fake_unlink(t);
}

int timer_armed(const struct timer *t)
{
	return t->armed;
}

struct timer_clock *timer_fake_new(time_t start)
{
	struct timer_clock *clk = xcalloc(1, sizeof(*clk));

	clk->now = start;
	return clk;
}

void timer_fake_advance(struct timer_clock *clk, unsigned seconds)
{
	time_t until = clk->now + (time_t)seconds;
	struct timer *t;

	while ((t = clk->armed) != NULL && t->due <= until) {
		clk->armed = t->next;
		t->next = NULL;
		t->armed = 0;
		if (t->due > clk->now)
			clk->now = t->due;
		t->fn(t->arg);
	}
	clk->now = until;
}

void timer_fake_free(struct timer_clock *clk)
{
	if (clk && clk->armed)
		abort();                /* a timer outlives its clock */
	free(clk);
}
