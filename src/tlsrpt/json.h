/* SPDX-License-Identifier: MIT */
/*
 * json - the structure of the TLSRPT report's JSON (objects, arrays,
 * commas, numbers); every string goes through util/json (json_buf_str),
 * the project's one JSON string writer.  util/json has no structure
 * writer; if it grows one, this file goes.
 */
#ifndef TP_TLSRPT_JSON_H
#define TP_TLSRPT_JSON_H

#include "util/buf.h"

struct tjw {
	struct buf *b;
	int depth;
	int first[16]; /* no comma needed yet at this depth */
	int err;
};

void tjw_init(struct tjw *w, struct buf *b);
void tjw_obj(struct tjw *w);      /* { */
void tjw_arr(struct tjw *w);      /* [ */
void tjw_end_obj(struct tjw *w);
void tjw_end_arr(struct tjw *w);
void tjw_key(struct tjw *w, const char *k);
void tjw_str(struct tjw *w, const char *s);
void tjw_int(struct tjw *w, unsigned long long v);
/* 0, or -1 when the buffer limit was hit or nesting was too deep. */
int tjw_done(const struct tjw *w);

#endif
