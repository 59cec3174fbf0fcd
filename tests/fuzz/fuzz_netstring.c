/* SPDX-License-Identifier: MIT */
/*
 * fuzz_netstring.c - libFuzzer harness for the socketmap request path:
 * the incremental netstring decoder and the request/reply payload
 * parsers.
 *
 * The input (after its first byte, which picks a chunk size) is decoded
 * twice: in chunks of that size and one byte at a time.  Both runs must
 * yield the same payloads and the same final status, every payload must
 * respect the limit and survive an encode/decode round trip; otherwise
 * the harness aborts.
 */
#include "server/netstring.h"
#include "server/sockmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_PAYLOADS 4096

struct run {
	size_t n;
	size_t off[FUZZ_MAX_PAYLOADS], len[FUZZ_MAX_PAYLOADS];
	unsigned long long hash[FUZZ_MAX_PAYLOADS];
	enum netstring_status final;
};

static unsigned long long hash(const char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static void check_payload(const char *p, size_t n)
{
	struct sockmap_request req;
	const char *why, *data;
	size_t dlen, used;
	struct buf b;
	struct netstring_dec d;
	enum netstring_status st;
	const char *pl;
	size_t plen;

	if (n > SOCKMAP_MAX_QUERY)
		abort();
	if (sockmap_request_parse(p, n, &req, &why) == 0) {
		if (req.namelen == 0 || req.keylen == 0 ||
		    req.namelen + 1 + req.keylen != n)
			abort();
	}
	(void)sockmap_reply_parse(p, n, &data, &dlen);
	if (data < p || data + dlen > p + n)
		abort();
	/* round trip */
	buf_init(&b, 2 * SOCKMAP_MAX_QUERY);
	if (netstring_put(&b, p, n) < 0)
		abort();
	netstring_dec_init(&d, SOCKMAP_MAX_QUERY);
	used = netstring_dec_feed(&d, b.data, b.len, &st, &pl, &plen);
	if (st != NETSTRING_DONE || used != b.len || plen != n || memcmp(pl, p, n) != 0)
		abort();
	netstring_dec_free(&d);
	buf_free(&b);
}

static void run_decoder(const char *in, size_t len, size_t chunk, struct run *r)
{
	struct netstring_dec d;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	netstring_dec_init(&d, SOCKMAP_MAX_QUERY);
	r->final = NETSTRING_MORE;
	while (pos < len) {
		size_t end = pos + chunk < len ? pos + chunk : len, off = pos;

		while (off < end) {
			enum netstring_status st;
			const char *p;
			size_t plen, used;

			used = netstring_dec_feed(&d, in + off, end - off, &st, &p, &plen);
			off += used;
			if (st == NETSTRING_DONE) {
				check_payload(p, plen);
				if (r->n < FUZZ_MAX_PAYLOADS) {
					r->off[r->n] = off;
					r->len[r->n] = plen;
					r->hash[r->n] = hash(p, plen);
				}
				r->n++;
			} else if (st != NETSTRING_MORE) {
				r->final = st;
				/* sticky: a second call consumes nothing */
				if (netstring_dec_feed(&d, in + off, end - off, &st, &p,
						       &plen) != 0 || st != r->final)
					abort();
				netstring_dec_free(&d);
				return;
			} else if (off != end) {
				abort(); /* MORE must consume everything offered */
			}
		}
		pos = end;
	}
	if (!netstring_dec_idle(&d))
		r->final = NETSTRING_MORE;
	netstring_dec_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	run_decoder((const char *)data + 1, size - 1, chunk, &a);
	run_decoder((const char *)data + 1, size - 1, 1, &b);
	if (a.n != b.n || a.final != b.final)
		abort();
	for (size_t i = 0; i < a.n && i < FUZZ_MAX_PAYLOADS; i++)
		if (a.off[i] != b.off[i] || a.len[i] != b.len[i] || a.hash[i] != b.hash[i])
			abort();
	return 0;
}
