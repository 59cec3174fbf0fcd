/* SPDX-License-Identifier: MIT */
/*
 * buf - a growable byte buffer with a hard maximum (Postfix VSTRING,
 * Redis sds).  Appends past `max` fail and leave the buffer unchanged.
 * data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef TP_UTIL_BUF_H
#define TP_UTIL_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}
/* Returns 0, or -1 when len+n would exceed max or memory ran out. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
