/* SPDX-License-Identifier: MIT */
/*
 * netstring - the encoding of the socketmap protocol (D. J. Bernstein's
 * netstrings, as Postfix's netstring(3) reads and writes them):
 * "LEN:DATA," with LEN in decimal.
 *
 * The decoder is incremental: feed it whatever bytes arrived, in chunks
 * of any size (one byte at a time works); it says how many it consumed
 * and when a whole netstring is there.  When a netstring lies entirely
 * inside one chunk, the payload is returned in place (no copy).
 *
 * LIMITS/SECURITY: the peer never decides an allocation size.  The
 * length is checked against the decoder's limit digit by digit, before
 * any byte of payload is buffered, so an overlong or overflowing length
 * is an error after at most NETSTRING_MAX_DIGITS digits.  Stricter than
 * Postfix: an empty length (":") and leading zeros ("01:") are format
 * errors; "0:," is the empty string.
 */
#ifndef TP_SERVER_NETSTRING_H
#define TP_SERVER_NETSTRING_H

#include <stddef.h>
#include "util/buf.h"

/* A length needs at most this many digits (limits are < 10^9). */
#define NETSTRING_MAX_DIGITS 9
/* Largest limit a decoder accepts. */
#define NETSTRING_MAX_LIMIT 999999999u

enum netstring_status {
	NETSTRING_MORE = 0,     /* need more input */
	NETSTRING_DONE,         /* a whole netstring: see payload */
	NETSTRING_ERR_FORMAT,   /* not a netstring */
	NETSTRING_ERR_SIZE,     /* length over the limit */
};

struct netstring_dec {
	unsigned state;         /* private */
	unsigned ndigits;
	size_t len;             /* announced length */
	size_t limit;
	struct buf data;        /* payload assembled across chunks */
	const char *err;        /* sticky reason once an error was seen */
	enum netstring_status err_status;
};

/* A decoder for netstrings of at most limit bytes of payload. */
void netstring_dec_init(struct netstring_dec *d, size_t limit);
/* Frees the decoder's buffer. */
void netstring_dec_free(struct netstring_dec *d);
/* Back to the start state, dropping a partial netstring (keeps small
 * buffers).  Feeding after NETSTRING_DONE resets implicitly. */
void netstring_dec_reset(struct netstring_dec *d);
/* 1 when no part of a netstring has been consumed since the last
 * netstring (a peer closing now is not "EOF mid-request"). */
int netstring_dec_idle(const struct netstring_dec *d);

/*
 * Consumes bytes of in[0..len) and returns the number consumed; sets
 * *status.  On NETSTRING_DONE, *payload and *plen describe the payload:
 * either a pointer into `in` or into the decoder's buffer, valid until
 * the next call of netstring_dec_feed/reset/free or until `in` changes.
 * The bytes after the consumed ones belong to the next netstring.
 * After an error, the decoder stays in error (d->err says why) and
 * consumes nothing.
 */
size_t netstring_dec_feed(struct netstring_dec *d, const char *in, size_t len,
			  enum netstring_status *status, const char **payload,
			  size_t *plen);

/* Appends "LEN:" DATA "," to out.  Returns 0, or -1 when out's max would
 * be exceeded (out unchanged). */
int netstring_put(struct buf *out, const char *data, size_t len);
/* Appends one netstring whose payload is the concatenation of two parts
 * (e.g. "OK " and the policy text). */
int netstring_put2(struct buf *out, const char *a, size_t alen,
		   const char *b, size_t blen);

const char *netstring_strerror(enum netstring_status st);

#endif
