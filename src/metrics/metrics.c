/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - counters, histograms, text exposition (see metrics.h).
 */
#include "metrics/metrics.h"

#include "util/buf.h"

#include <math.h>
#include <stdio.h>

struct metrics_global metrics_g;

/* 1 ms .. 30 s: a cached answer is microseconds (not a discovery), DNS
 * on loopback a millisecond, an MTA-STS fetch up to https_timeout. */
const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30
};

const char *metrics_sts_fetch_name(enum metrics_sts_fetch r)
{
	static const char *const names[METRICS_STS_COUNT] = {
		"ok", "http", "tls", "timeout", "too_large", "network"
	};

	return (unsigned)r < METRICS_STS_COUNT ? names[r] : "network";
}

void metrics_hist_observe(struct metrics_hist *h, double seconds)
{
	size_t i;

	if (!(seconds >= 0)) /* NaN, negative (clock step): zero */
		seconds = 0;
	for (i = 0; i < METRICS_HIST_BUCKETS && seconds > metrics_hist_bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

int metrics_family(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_sample(struct buf *b, const char *name, const char *labels,
		   unsigned long long v)
{
	if (*labels)
		return buf_printf(b, "%s{%s} %llu\n", name, labels, v);
	return buf_printf(b, "%s %llu\n", name, v);
}

int metrics_single(struct buf *b, const char *name, const char *type,
		   const char *help, unsigned long long v)
{
	return metrics_family(b, name, type, help) | metrics_sample(b, name, "", v);
}

int metrics_sample_double(struct buf *b, const char *name, const char *labels,
			  double v)
{
	char num[64];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else
		snprintf(num, sizeof(num), "%.17g", v);
	if (*labels)
		return buf_printf(b, "%s{%s} %s\n", name, labels, num);
	return buf_printf(b, "%s %s\n", name, num);
}

int metrics_hist_write(struct buf *b, const char *name, const char *labels,
		       const struct metrics_hist *h)
{
	unsigned long long cum = 0;
	const char *sep = *labels ? "," : "";
	int rc = 0;

	for (size_t i = 0; i <= METRICS_HIST_BUCKETS; i++) {
		char le[32];

		cum += h->bucket[i];
		if (i < METRICS_HIST_BUCKETS)
			snprintf(le, sizeof(le), "%g", metrics_hist_bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		rc |= buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
				 sep, le, cum);
	}
	if (*labels) {
		rc |= buf_printf(b, "%s_sum{%s} %.17g\n", name, labels, h->sum);
		rc |= buf_printf(b, "%s_count{%s} %llu\n", name, labels, h->count);
	} else {
		rc |= buf_printf(b, "%s_sum %.17g\n", name, h->sum);
		rc |= buf_printf(b, "%s_count %llu\n", name, h->count);
	}
	return rc ? -1 : 0;
}
