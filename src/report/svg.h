/* SPDX-License-Identifier: MIT */
/*
 * svg - a small inline-SVG writer: one stacked bar chart.
 *
 * Each bar is a <g class="bar"> with data-label, one data-KEY per series
 * and data-total carrying the numbers, a <title> (the tooltip, readable
 * without script) and one <rect class="CLASS" data-n="N"> per non-zero
 * series, bottom up in series order; heights are proportional to the
 * values against the largest total (the y axis gets 4-6 round ticks).
 * Labels under the bars are thinned so they never overlap.  All text
 * goes through html_text()/html_attr().
 */
#ifndef TP_REPORT_SVG_H
#define TP_REPORT_SVG_H

#include <stddef.h>

#include "util/buf.h"

struct svg_series {
	const char *key;     /* data-KEY attribute name: [a-z]+ */
	const char *title;   /* shown in the legend and the tooltip */
	const char *cls;     /* CSS class of its rects */
};

struct svg_bars {
	const char *title;                    /* <title> of the chart */
	const char *empty;                    /* text shown without bars */
	size_t nseries;
	const struct svg_series *series;
	size_t nbars;
	const char *(*label)(const void *arg, size_t bar);
	unsigned long (*value)(const void *arg, size_t bar, size_t series);
	const void *arg;
};

#define SVG_WIDTH 960
#define SVG_HEIGHT 320

/* Returns 0, or -1 when b is full. */
int svg_stacked(struct buf *b, const struct svg_bars *c);

/* The tick step for values up to max: 1, 2 or 5 times a power of ten,
 * giving at most 6 ticks (max 0: 1). */
unsigned long svg_tick_step(unsigned long max);

#endif
