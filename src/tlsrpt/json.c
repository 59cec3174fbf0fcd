/* SPDX-License-Identifier: MIT */
/* json.c - the TLSRPT report's JSON structure (json.h); strings go through util/json. */
#include "tlsrpt/json.h"

#include "util/json.h"

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

/* Strings through util/json, the project's one escaper. */
static void quoted(struct tjw *w, const char *s)
{
	if (!w->err && json_buf_str(w->b, s, 0) < 0)
		w->err = 1;
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
