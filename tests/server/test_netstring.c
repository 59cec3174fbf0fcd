/* SPDX-License-Identifier: MIT */
/*
 * test_netstring.c - the netstring codec and the socketmap payloads:
 * table-driven decoder cases (whole, one byte at a time, split at every
 * position), encoder output, request and reply parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/netstring.h"
#include "server/sockmap.h"

struct dec_case {
	const char *in;
	size_t inlen;             /* 0: strlen(in) */
	size_t limit;
	enum netstring_status want;
	const char *payloads;     /* payloads joined by '|' */
};

#define S(x) x, sizeof(x) - 1

static const struct dec_case dec_cases[] = {
	{ "3:abc,", 0, 100, NETSTRING_MORE, "abc" },
	{ "0:,", 0, 100, NETSTRING_MORE, "" },
	{ "3:abc,2:de,", 0, 100, NETSTRING_MORE, "abc|de" },
	{ "21:tlspolicy example.com,", 0, 10000, NETSTRING_MORE, "tlspolicy example.com" },
	{ "3:abc", 0, 100, NETSTRING_MORE, NULL },         /* incomplete */
	{ "x:abc,", 0, 100, NETSTRING_ERR_FORMAT, NULL },  /* non-digit */
	{ "1x:a,", 0, 100, NETSTRING_ERR_FORMAT, NULL },
	{ "01:a,", 0, 100, NETSTRING_ERR_FORMAT, NULL },   /* leading zero */
	{ "00:,", 0, 100, NETSTRING_ERR_FORMAT, NULL },
	{ ":,", 0, 100, NETSTRING_ERR_FORMAT, NULL },      /* empty length */
	{ "3:abc;", 0, 100, NETSTRING_ERR_FORMAT, NULL },  /* missing ',' */
	{ "3:abcd,", 0, 100, NETSTRING_ERR_FORMAT, NULL }, /* too long */
	{ "3,abc,", 0, 100, NETSTRING_ERR_FORMAT, NULL },  /* missing ':' */
	{ "101:", 0, 100, NETSTRING_ERR_SIZE, NULL },      /* over the limit */
	{ "10001:", 0, 10000, NETSTRING_ERR_SIZE, NULL },
	{ "10000:", 0, 10000, NETSTRING_MORE, NULL },      /* at the limit: ok */
	{ "99999999999999999999999:", 0, 10000, NETSTRING_ERR_SIZE, NULL },
	{ "18446744073709551617:", 0, 999999999, NETSTRING_ERR_SIZE, NULL },
	{ "-1:,", 0, 100, NETSTRING_ERR_FORMAT, NULL },
	{ " 1:a,", 0, 100, NETSTRING_ERR_FORMAT, NULL },
	{ S("3:a\0b,"), 100, NETSTRING_MORE, "a?b" },       /* NUL in payload */
	{ "2:ok,x", 0, 100, NETSTRING_ERR_FORMAT, "ok" },  /* good, then garbage */
};

/* Decodes in chunks of `chunk` bytes (0: all at once); returns the last
 * error status or MORE, and the payloads joined by '|' (NUL as '?'). */
static enum netstring_status decode(const char *in, size_t len, size_t limit,
				    size_t chunk, char *out, size_t outlen)
{
	struct netstring_dec d;
	size_t pos = 0, o = 0;
	int first = 1;

	netstring_dec_init(&d, limit);
	out[0] = '\0';
	if (chunk == 0)
		chunk = len ? len : 1;
	while (pos < len) {
		size_t end = pos + chunk < len ? pos + chunk : len;

		while (pos < end) {
			enum netstring_status st;
			const char *p;
			size_t plen;

			pos += netstring_dec_feed(&d, in + pos, end - pos, &st, &p, &plen);
			if (st == NETSTRING_DONE) {
				if (!first && o + 1 < outlen)
					out[o++] = '|';
				first = 0;
				for (size_t i = 0; i < plen && o + 1 < outlen; i++)
					out[o++] = p[i] ? p[i] : '?';
				out[o] = '\0';
			} else if (st != NETSTRING_MORE) {
				netstring_dec_free(&d);
				return st;
			}
		}
	}
	netstring_dec_free(&d);
	return NETSTRING_MORE;
}

static void test_decoder_table(void **state)
{
	(void)state;
	assert_int_equal(sizeof(dec_cases) / sizeof(dec_cases[0]), 22);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *c = &dec_cases[i];
		size_t len = c->inlen ? c->inlen : strlen(c->in);
		char out[256];

		/* whole, byte by byte, and split at every position */
		for (size_t chunk = 0; chunk <= len; chunk++) {
			enum netstring_status st = decode(c->in, len, c->limit, chunk,
							  out, sizeof(out));

			if (st != c->want || strcmp(out, c->payloads ? c->payloads : "") != 0)
				fail_msg("case %zu (%s) chunk %zu: status %d payloads \"%s\"",
					 i, c->in, chunk, st, out);
		}
	}
}

static void test_decoder_idle_and_sticky(void **state)
{
	struct netstring_dec d;
	enum netstring_status st;
	const char *p;
	size_t plen;

	(void)state;
	netstring_dec_init(&d, 100);
	assert_true(netstring_dec_idle(&d));
	assert_int_equal(netstring_dec_feed(&d, "5:ab", 4, &st, &p, &plen), 4);
	assert_int_equal(st, NETSTRING_MORE);
	assert_false(netstring_dec_idle(&d));       /* EOF now: mid-request */
	assert_int_equal(netstring_dec_feed(&d, "cde,", 4, &st, &p, &plen), 4);
	assert_int_equal(st, NETSTRING_DONE);
	assert_int_equal(plen, 5);
	assert_memory_equal(p, "abcde", 5);
	assert_true(netstring_dec_idle(&d));
	/* errors are sticky and consume nothing */
	assert_int_equal(netstring_dec_feed(&d, "x", 1, &st, &p, &plen), 0);
	assert_int_equal(st, NETSTRING_ERR_FORMAT);
	assert_int_equal(netstring_dec_feed(&d, "1:a,", 4, &st, &p, &plen), 0);
	assert_int_equal(st, NETSTRING_ERR_FORMAT);
	assert_non_null(d.err);
	netstring_dec_free(&d);
}

static void test_decoder_large_copy_freed(void **state)
{
	struct netstring_dec d;
	enum netstring_status st;
	const char *p;
	size_t plen;
	char *big = malloc(10010);

	(void)state;
	assert_non_null(big);
	memcpy(big, "10000:", 6);
	memset(big + 6, 'a', 10000);
	big[10006] = ',';
	netstring_dec_init(&d, 10000);
	/* in two parts, so the payload is assembled in the decoder */
	assert_int_equal(netstring_dec_feed(&d, big, 5000, &st, &p, &plen), 5000);
	assert_int_equal(netstring_dec_feed(&d, big + 5000, 5007, &st, &p, &plen), 5007);
	assert_int_equal(st, NETSTRING_DONE);
	assert_int_equal(plen, 10000);
	netstring_dec_reset(&d);
	assert_null(d.data.data); /* big buffer given back */
	netstring_dec_free(&d);
	free(big);
}

static void test_encoder(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(netstring_put(&b, "abc", 3), 0);
	assert_int_equal(netstring_put(&b, "", 0), 0);
	assert_int_equal(netstring_put2(&b, "OK ", 3, "may", 3), 0);
	assert_string_equal(b.data, "3:abc,0:,6:OK may,");
	assert_int_equal(sockmap_put_reply(&b, LOOKUP_NOTFOUND, "ignored"), 0);
	assert_string_equal(b.data, "3:abc,0:,6:OK may,9:NOTFOUND ,");
	buf_reset(&b);
	/* full: unchanged */
	assert_int_equal(netstring_put(&b, "0123456789012345678901234567890123456789"
				       "012345678901234567890", 61), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	buf_init(&b, 1000);
	assert_int_equal(sockmap_put_reply(&b, LOOKUP_TEMP, "db down"), 0);
	assert_int_equal(sockmap_put_reply(&b, LOOKUP_PERM, "unknown map x"), 0);
	assert_string_equal(b.data, "12:TEMP db down,18:PERM unknown map x,");
	buf_free(&b);
}

/* SOCKMAP_MAX_REPLY: a reply of exactly the limit goes out; one byte
 * more becomes "TEMP reply too long" (Postfix's socketmap client refuses
 * longer replies anyway, and a TEMP keeps the mail queued). */
static void test_reply_limit(void **state)
{
	size_t tlen = SOCKMAP_MAX_REPLY - strlen("OK ");
	char *text = malloc(tlen + 2), hdr[32];
	struct buf b;
	int hlen;

	(void)state;
	assert_non_null(text);
	memset(text, 'a', tlen + 1);
	text[tlen] = '\0';
	buf_init(&b, SOCKMAP_MAX_REPLY + 64);
	assert_int_equal(sockmap_put_reply(&b, LOOKUP_OK, text), 0);
	hlen = snprintf(hdr, sizeof(hdr), "%d:OK ", SOCKMAP_MAX_REPLY);
	assert_int_equal(b.len, (size_t)hlen + tlen + 1);
	assert_memory_equal(b.data, hdr, (size_t)hlen);
	assert_memory_equal(b.data + hlen, text, tlen);
	assert_int_equal(b.data[b.len - 1], ',');

	buf_reset(&b);
	text[tlen] = 'a';
	text[tlen + 1] = '\0';
	assert_int_equal(sockmap_put_reply(&b, LOOKUP_OK, text), 0);
	assert_string_equal(b.data, "19:TEMP reply too long,");
	buf_free(&b);
	free(text);
}

struct req_case {
	const char *in;
	size_t len;
	int ok;
	const char *name, *key;
};

static void test_request_parse(void **state)
{
	static const struct req_case cases[] = {
		{ S("tlspolicy example.com"), 1, "tlspolicy", "example.com" },
		{ S("m [mx.example.com]:25"), 1, "m", "[mx.example.com]:25" },
		{ S("m key with spaces"), 1, "m", "key with spaces" },
		{ S("m \xc3\xa9t\xc3\xa9.fr"), 1, "m", "\xc3\xa9t\xc3\xa9.fr" },
		{ S("tlspolicy"), 0, NULL, NULL },          /* no space */
		{ S(" example.com"), 0, NULL, NULL },        /* empty name */
		{ S("tlspolicy "), 0, NULL, NULL },          /* empty key */
		{ S("tlspolicy a\0b"), 0, NULL, NULL },      /* NUL */
		{ S("tlspolicy a\x01"), 0, NULL, NULL },     /* control */
		{ S("tlspolicy a\x7f"), 0, NULL, NULL },
		{ S("tlspolicy a\nb"), 0, NULL, NULL },
		{ S(""), 0, NULL, NULL },
	};

	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), 12);  /* an emptied table fails */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockmap_request r;
		const char *why = NULL;
		int rc = sockmap_request_parse(cases[i].in, cases[i].len, &r, &why);

		if ((rc == 0) != cases[i].ok)
			fail_msg("request case %zu: rc %d", i, rc);
		if (rc == 0) {
			assert_int_equal(r.namelen, strlen(cases[i].name));
			assert_memory_equal(r.name, cases[i].name, r.namelen);
			assert_int_equal(r.keylen, strlen(cases[i].key));
			assert_memory_equal(r.key, cases[i].key, r.keylen);
		} else {
			assert_non_null(why);
			assert_non_null(strstr(why, "malformed request"));
		}
	}
}

static void test_reply_parse(void **state)
{
	const char *data;
	size_t dlen;

	(void)state;
	assert_int_equal(sockmap_reply_parse(S("OK secure match=x"), &data, &dlen), SOCKMAP_OK);
	assert_int_equal(dlen, 14);
	assert_memory_equal(data, "secure match=x", 14);
	assert_int_equal(sockmap_reply_parse(S("NOTFOUND "), &data, &dlen), SOCKMAP_NOTFOUND);
	assert_int_equal(dlen, 0);
	assert_int_equal(sockmap_reply_parse(S("TEMP x"), &data, &dlen), SOCKMAP_TEMP);
	assert_int_equal(sockmap_reply_parse(S("TIMEOUT x"), &data, &dlen), SOCKMAP_TIMEOUT);
	assert_int_equal(sockmap_reply_parse(S("PERM x"), &data, &dlen), SOCKMAP_PERM);
	assert_int_equal(sockmap_reply_parse(S("OKAY x"), &data, &dlen), SOCKMAP_BAD);
	assert_int_equal(sockmap_reply_parse(S(""), &data, &dlen), SOCKMAP_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_table),
		cmocka_unit_test(test_decoder_idle_and_sticky),
		cmocka_unit_test(test_decoder_large_copy_freed),
		cmocka_unit_test(test_encoder),
		cmocka_unit_test(test_reply_limit),
		cmocka_unit_test(test_request_parse),
		cmocka_unit_test(test_reply_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
