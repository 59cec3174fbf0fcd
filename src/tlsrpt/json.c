/* SPDX-License-Identifier: MIT */
/* json.c - the TLSRPT JSON writer (json.h; to be replaced by util/json). */
#include "tlsrpt/json.h"

#include "util/text.h"

#include <stdio.h>
#include <string.h>

void tjw_init(struct tjw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = 1;
}

static void put(struct tjw *w, const char *s, size_t n)
{
	if (!w->err && buf_append(w->b, s, n) < 0)
		w->err = 1;
}

/* a value at the current depth: comma unless first (after a key: none) */
static void sep(struct tjw *w)
{
	if (w->first[w->depth] == 2) { /* after a key */
		w->first[w->depth] = 0;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = 0;
}

static void open(struct tjw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth + 1 >= (int)(sizeof(w->first) / sizeof(w->first[0]))) {
		w->err = 1;
		return;
	}
	w->first[++w->depth] = 1;
}

void tjw_obj(struct tjw *w)
{
	open(w, "{");
}

void tjw_arr(struct tjw *w)
{
	open(w, "[");
}

void tjw_end_obj(struct tjw *w)
{
	if (w->depth > 0)
		w->depth--;
	put(w, "}", 1);
}

void tjw_end_arr(struct tjw *w)
{
	if (w->depth > 0)
		w->depth--;
	put(w, "]", 1);
}

static void quoted(struct tjw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	put(w, "\"", 1);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(w, esc, 2);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(w, esc, 6);
			p++;
		} else if (*p < 0x80) {
			put(w, (const char *)p, 1);
			p++;
		} else if ((n = text_utf8_seq(p, strlen((const char *)p))) > 0) {
			put(w, (const char *)p, n);
			p += n;
		} else {
			put(w, "\\ufffd", 6); /* not UTF-8: the replacement character */
			p++;
		}
	}
	put(w, "\"", 1);
}

void tjw_key(struct tjw *w, const char *k)
{
	sep(w);
	quoted(w, k);
	put(w, ":", 1);
	w->first[w->depth] = 2;
}

void tjw_str(struct tjw *w, const char *s)
{
	sep(w);
	quoted(w, s);
}

void tjw_int(struct tjw *w, unsigned long long v)
{
	char n[24];

	sep(w);
	put(w, n, (size_t)snprintf(n, sizeof(n), "%llu", v));
}

int tjw_done(const struct tjw *w)
{
	return w->err || w->depth != 0 ? -1 : 0;
}
