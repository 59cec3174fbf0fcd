/* SPDX-License-Identifier: MIT */
/*
 * sockmap.c - socketmap request and reply payloads (see sockmap.h).
 */
#include "server/sockmap.h"
#include "server/netstring.h"

#include <string.h>

int sockmap_request_parse(const char *p, size_t n, struct sockmap_request *req,
			  const char **why)
{
	const char *sp;

	memset(req, 0, sizeof(*req));
	if (memchr(p, '\0', n) != NULL) {
		*why = "malformed request: NUL byte";
		return -1;
	}
	if ((sp = memchr(p, ' ', n)) == NULL) {
		*why = "malformed request: expected \"NAME KEY\"";
		return -1;
	}
	if (sp == p) {
		*why = "malformed request: empty map name";
		return -1;
	}
	req->name = p;
	req->namelen = (size_t)(sp - p);
	req->key = sp + 1;
	req->keylen = n - req->namelen - 1;
	if (req->keylen == 0) {
		*why = "malformed request: empty key";
		return -1;
	}
	for (size_t i = 0; i < req->keylen; i++) {
		unsigned char c = (unsigned char)req->key[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "malformed request: control character in key";
			return -1;
		}
	}
	return 0;
}

const char *sockmap_status_prefix(enum lookup_status st)
{
	switch (st) {
	case LOOKUP_OK:
		return "OK ";
	case LOOKUP_NOTFOUND:
		return "NOTFOUND ";
	case LOOKUP_TEMP:
		return "TEMP ";
	case LOOKUP_PERM:
		return "PERM ";
	}
	return "TEMP ";
}

int sockmap_put_reply(struct buf *out, enum lookup_status st, const char *text)
{
	const char *prefix = sockmap_status_prefix(st);
	size_t plen = strlen(prefix), tlen;

	if (st == LOOKUP_NOTFOUND || text == NULL)
		text = "";
	tlen = strlen(text);
	if ((st == LOOKUP_TEMP || st == LOOKUP_PERM) && tlen > SOCKMAP_MAX_REASON)
		tlen = SOCKMAP_MAX_REASON;
	if (plen + tlen > SOCKMAP_MAX_REPLY) {
		prefix = "TEMP ";
		text = "reply too long";
		plen = strlen(prefix);
		tlen = strlen(text);
	}
	return netstring_put2(out, prefix, plen, text, tlen);
}

enum sockmap_reply_kind sockmap_reply_parse(const char *p, size_t n,
					    const char **data, size_t *dlen)
{
	static const struct {
		const char *word;
		enum sockmap_reply_kind kind;
	} kinds[] = {
		{ "OK", SOCKMAP_OK }, { "NOTFOUND", SOCKMAP_NOTFOUND },
		{ "TEMP", SOCKMAP_TEMP }, { "TIMEOUT", SOCKMAP_TIMEOUT },
		{ "PERM", SOCKMAP_PERM },
	};
	const char *sp = memchr(p, ' ', n);
	size_t wlen = sp ? (size_t)(sp - p) : n;

	*data = sp ? sp + 1 : p + n;
	*dlen = sp ? n - wlen - 1 : 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].word) == wlen &&
		    memcmp(kinds[i].word, p, wlen) == 0)
			return kinds[i].kind;
	return SOCKMAP_BAD;
}
