/* SPDX-License-Identifier: MIT */
/*
 * metrics - counters and histograms for the Prometheus endpoint
 * (server/metrics_http.c) and the Prometheus text exposition format
 * (version 0.0.4) they are written in.
 *
 * Most counters live in the structs of their owners (engine_stats,
 * server_stats), updated on the event loop without locks.  The few
 * counted below the engine (DNSSEC failures in dns/, MTA-STS fetch
 * results in mtasts/) are process globals, relaxed atomics: a command
 * may run resolvers on more than one thread.  Counting costs one atomic
 * add; nothing is counted per byte.
 */
#ifndef TP_METRICS_METRICS_H
#define TP_METRICS_METRICS_H

#include <stdatomic.h>

struct buf;

/* MTA-STS policy fetch results, by error type. */
enum metrics_sts_fetch {
	METRICS_STS_OK,        /* 200, text/plain, body within limit */
	METRICS_STS_HTTP,      /* a response, refused: status, Content-Type, body */
	METRICS_STS_TLS,       /* certificate not accepted */
	METRICS_STS_TIMEOUT,
	METRICS_STS_TOO_LARGE, /* body past STS_FETCH_MAX_BODY */
	METRICS_STS_NETWORK,   /* resolve, connect, TLS handshake, other */
	METRICS_STS_COUNT
};
const char *metrics_sts_fetch_name(enum metrics_sts_fetch r);

struct metrics_global {
	atomic_ullong dnssec_bogus;                   /* DNS answers validated bogus */
	atomic_ullong sts_fetch[METRICS_STS_COUNT];
};
extern struct metrics_global metrics_g;

static inline void metrics_count(atomic_ullong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}
static inline unsigned long long metrics_read(const atomic_ullong *c)
{
	return atomic_load_explicit((atomic_ullong *)c, memory_order_relaxed);
}

/* A latency histogram in seconds (loop-only: no atomics).  Bounds:
 * metrics_hist_bounds; the last bucket is +Inf. */
#define METRICS_HIST_BUCKETS 12
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];
struct metrics_hist {
	unsigned long long bucket[METRICS_HIST_BUCKETS + 1]; /* not cumulative */
	unsigned long long count;
	double sum;
};
void metrics_hist_observe(struct metrics_hist *h, double seconds);

/*
 * Exposition.  metrics_family() writes the # HELP and # TYPE lines;
 * the samples of the family follow.  labels: "" or `k="v",k2="v2"`
 * (values must need no escaping: callers pass fixed words).  All return
 * 0, or -1 when the buffer is full.
 */
int metrics_family(struct buf *b, const char *name, const char *type,
		   const char *help);
int metrics_sample(struct buf *b, const char *name, const char *labels,
		   unsigned long long v);
int metrics_sample_double(struct buf *b, const char *name, const char *labels,
			  double v);
/* A family of one sample without labels: metrics_family() and
 * metrics_sample(name, "", v). */
int metrics_single(struct buf *b, const char *name, const char *type,
		   const char *help, unsigned long long v);
/* name without _bucket/_sum/_count. */
int metrics_hist_write(struct buf *b, const char *name, const char *labels,
		       const struct metrics_hist *h);

#endif
