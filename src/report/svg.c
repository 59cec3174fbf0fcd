/* SPDX-License-Identifier: MIT */
#include "report/svg.h"
#include "report/html.h"

#include <stdio.h>

/* Plot area inside the viewBox. */
#define PAD_LEFT 56
#define PAD_RIGHT 12
#define PAD_TOP 12
#define PAD_BOTTOM 40
#define LABEL_PX 74          /* room a date label needs */
#define BAR_MAX 80           /* widest bar (a date label fits) */

unsigned long svg_tick_step(unsigned long max)
{
	unsigned long step = 1;

	for (;;) {
		static const unsigned long mul[3] = { 1, 2, 5 };

		for (int i = 0; i < 3; i++)
			if (max / (step * mul[i]) < 6)
				return step * mul[i];
		if (step > (unsigned long)-1 / 100)
			return step * 10;
		step *= 10;
	}
}

int svg_stacked(struct buf *b, const struct svg_bars *c)
{
	const double pw = SVG_WIDTH - PAD_LEFT - PAD_RIGHT;
	const double ph = SVG_HEIGHT - PAD_TOP - PAD_BOTTOM;
	unsigned long max = 0, step, top;
	size_t every;
	double bw;
	int rc = 0;

	for (size_t i = 0; i < c->nbars; i++) {
		unsigned long t = 0;

		for (size_t s = 0; s < c->nseries; s++)
			t += c->value(c->arg, i, s);
		if (t > max)
			max = t;
	}
	step = svg_tick_step(max);
	top = (max / step + (max % step ? 1 : 0)) * step;
	if (top == 0)
		top = step;
	rc |= buf_printf(b, "<svg class=\"chart\" "
			 "viewBox=\"0 0 %d %d\" role=\"img\" data-bars=\"%zu\" data-max=\"%lu\">"
			 "<title>", SVG_WIDTH, SVG_HEIGHT, c->nbars, top);
	rc |= html_text(b, c->title);
	rc |= buf_puts(b, "</title>");
	/* y axis: grid lines and tick labels */
	for (unsigned long v = 0; v <= top; v += step) {
		double y = PAD_TOP + ph - ph * (double)v / (double)top;

		rc |= buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
				 "y2=\"%.1f\"/><text class=\"tick\" x=\"%d\" y=\"%.1f\">%lu</text>",
				 PAD_LEFT, SVG_WIDTH - PAD_RIGHT, y, y, PAD_LEFT - 6, y + 4, v);
		if (v > (unsigned long)-1 - step)
			break;
	}
	if (c->nbars == 0) {
		rc |= buf_printf(b, "<text class=\"empty\" x=\"%d\" y=\"%d\">",
				 SVG_WIDTH / 2, SVG_HEIGHT / 2);
		rc |= html_text(b, c->empty);
		rc |= buf_puts(b, "</text></svg>");
		return rc ? -1 : 0;
	}
	bw = pw / (double)c->nbars;
	if (bw > BAR_MAX)
		bw = BAR_MAX;
	every = (size_t)(LABEL_PX / bw) + 1;
	for (size_t i = 0; i < c->nbars; i++) {
		const char *label = c->label(c->arg, i);
		double x = PAD_LEFT + bw * (double)i, y = PAD_TOP + ph;
		double gap = bw > 4 ? bw * 0.15 : 0;
		unsigned long total = 0;

		rc |= buf_puts(b, "<g class=\"bar\" data-label=\"");
		rc |= html_attr(b, label);
		rc |= buf_puts(b, "\"");
		for (size_t s = 0; s < c->nseries; s++) {
			unsigned long v = c->value(c->arg, i, s);

			total += v;
			rc |= buf_printf(b, " data-%s=\"%lu\"", c->series[s].key, v);
		}
		rc |= buf_printf(b, " data-total=\"%lu\"><title>", total);
		rc |= html_text(b, label);
		rc |= buf_printf(b, ": %lu", total);
		for (size_t s = 0; s < c->nseries; s++) {
			rc |= buf_printf(b, "%s%lu ", s ? ", " : " (", c->value(c->arg, i, s));
			rc |= html_text(b, c->series[s].title);
		}
		rc |= buf_puts(b, c->nseries ? ")</title>" : "</title>");
		for (size_t s = 0; s < c->nseries; s++) {
			unsigned long v = c->value(c->arg, i, s);
			double h = ph * (double)v / (double)top;

			if (v == 0)
				continue;
			y -= h;
			rc |= buf_printf(b, "<rect class=\"%s\" data-n=\"%lu\" x=\"%.2f\" y=\"%.2f\" "
					 "width=\"%.2f\" height=\"%.2f\"/>", c->series[s].cls, v,
					 x + gap / 2, y, bw - gap, h);
		}
		rc |= buf_puts(b, "</g>");
		if (i % every == 0) {
			rc |= buf_printf(b, "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\">",
					 x + bw / 2, SVG_HEIGHT - PAD_BOTTOM + 16);
			rc |= html_text(b, label);
			rc |= buf_puts(b, "</text>");
		}
	}
	rc |= buf_puts(b, "</svg>");
	return rc ? -1 : 0;
}
