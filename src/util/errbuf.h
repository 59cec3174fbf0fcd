/* SPDX-License-Identifier: MIT */
/*
 * errbuf - the caller's buffer for the reason of a failure.
 *
 * Convention (STYLE.md): a function's status is its return value; the
 * human-readable reason goes into a struct errbuf the caller owns.  A
 * NULL errbuf is allowed everywhere and discards the reason.
 */
#ifndef TP_UTIL_ERRBUF_H
#define TP_UTIL_ERRBUF_H

#include <stddef.h>

#define ERRBUF_MAX 512

struct errbuf {
	char msg[ERRBUF_MAX];
};

/* Sets the reason (printf-like); returns -1 so callers can
 * `return errbuf_set(why, "...")`. */
int errbuf_set(struct errbuf *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the current reason; returns -1. */
int errbuf_prefix(struct errbuf *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void errbuf_clear(struct errbuf *why)
{
	if (why)
		why->msg[0] = '\0';
}

#endif
