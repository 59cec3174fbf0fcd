/* SPDX-License-Identifier: MIT */
/*
 * netstring.c - incremental netstring decoder and encoder (see
 * netstring.h).
 */
#include "server/netstring.h"

#include <string.h>

/* A buffer that grew past this is given back after each netstring, so
 * an idle connection holds no large buffer. */
#define NETSTRING_KEEP_BUF 1024

enum { ST_LEN0, ST_LEN, ST_DATA, ST_COMMA, ST_DONE, ST_ERR };

void netstring_dec_init(struct netstring_dec *d, size_t limit)
{
	memset(d, 0, sizeof(*d));
	if (limit > NETSTRING_MAX_LIMIT)
		limit = NETSTRING_MAX_LIMIT;
	d->limit = limit;
	d->state = ST_LEN0;
	buf_init(&d->data, limit);
}

void netstring_dec_free(struct netstring_dec *d)
{
	buf_free(&d->data);
}

void netstring_dec_reset(struct netstring_dec *d)
{
	if (d->state == ST_ERR)
		return;
	d->state = ST_LEN0;
	d->ndigits = 0;
	d->len = 0;
	if (d->data.cap > NETSTRING_KEEP_BUF)
		buf_free(&d->data);
	else
		buf_reset(&d->data);
}

int netstring_dec_idle(const struct netstring_dec *d)
{
	return d->state == ST_LEN0 || d->state == ST_DONE;
}

static size_t dec_error(struct netstring_dec *d, enum netstring_status *status,
			enum netstring_status err, const char *why, size_t used)
{
	d->state = ST_ERR;
	d->err = why;
	d->err_status = err;
	*status = err;
	return used;
}

size_t netstring_dec_feed(struct netstring_dec *d, const char *in, size_t len,
			  enum netstring_status *status, const char **payload,
			  size_t *plen)
{
	size_t i = 0, n;

	*status = NETSTRING_MORE;
	*payload = NULL;
	*plen = 0;
	if (d->state == ST_ERR) {
		*status = d->err_status;
		return 0;
	}
	while (i < len) {
		unsigned char c = (unsigned char)in[i];

		switch (d->state) {
		case ST_LEN0:
		case ST_LEN:
			if (c == ':') {
				if (d->ndigits == 0)
					return dec_error(d, status, NETSTRING_ERR_FORMAT,
							 "empty length", i);
				i++;
				d->state = ST_DATA;
				break;
			}
			if (c < '0' || c > '9')
				return dec_error(d, status, NETSTRING_ERR_FORMAT,
						 d->ndigits ? "bad character in length"
							    : "not a netstring", i);
			if (d->ndigits == 1 && d->len == 0)
				return dec_error(d, status, NETSTRING_ERR_FORMAT,
						 "leading zero in length", i);
			/* limit <= NETSTRING_MAX_LIMIT: no overflow possible. */
			d->len = d->len * 10 + (size_t)(c - '0');
			if (++d->ndigits > NETSTRING_MAX_DIGITS || d->len > d->limit)
				return dec_error(d, status, NETSTRING_ERR_SIZE,
						 "length over the limit", i);
			d->state = ST_LEN;
			i++;
			break;
		case ST_DATA:
			n = d->len - d->data.len;
			/* Whole payload and comma in this chunk: no copy. */
			if (d->data.len == 0 && len - i > n) {
				if (in[i + n] != ',')
					return dec_error(d, status, NETSTRING_ERR_FORMAT,
							 "missing ','", i + n);
				*payload = in + i;
				*plen = n;
				*status = NETSTRING_DONE;
				d->state = ST_DONE;
				return i + n + 1;
			}
			if (n > len - i)
				n = len - i;
			if (buf_append(&d->data, in + i, n) < 0)
				return dec_error(d, status, NETSTRING_ERR_SIZE,
						 "out of memory", i);
			i += n;
			if (d->data.len == d->len)
				d->state = ST_COMMA;
			break;
		case ST_COMMA:
			if (c != ',')
				return dec_error(d, status, NETSTRING_ERR_FORMAT,
						 "missing ','", i);
			i++;
			*payload = d->data.data ? d->data.data : "";
			*plen = d->len;
			*status = NETSTRING_DONE;
			d->state = ST_DONE;
			return i;
		case ST_DONE:
			netstring_dec_reset(d);
			break;
		case ST_ERR:
		default:
			*status = d->err_status;
			return 0;
		}
	}
	return i;
}

int netstring_put2(struct buf *out, const char *a, size_t alen,
		   const char *b, size_t blen)
{
	char hdr[24], *h = hdr + sizeof(hdr);
	size_t old = out->len, n = alen + blen;

	/* the length in decimal, without printf (hot path) */
	*--h = ':';
	do {
		*--h = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	if (buf_append(out, h, (size_t)(hdr + sizeof(hdr) - h)) < 0 ||
	    buf_append(out, a, alen) < 0 || buf_append(out, b, blen) < 0 ||
	    buf_append(out, ",", 1) < 0) {
		out->len = old;
		if (out->data)
			out->data[old] = '\0';
		return -1;
	}
	return 0;
}

int netstring_put(struct buf *out, const char *data, size_t len)
{
	return netstring_put2(out, data, len, "", 0);
}

const char *netstring_strerror(enum netstring_status st)
{
	switch (st) {
	case NETSTRING_MORE:
		return "incomplete netstring";
	case NETSTRING_DONE:
		return "ok";
	case NETSTRING_ERR_FORMAT:
		return "input format error";
	case NETSTRING_ERR_SIZE:
		return "input exceeds size limit";
	}
	return "unknown netstring error";
}
