/* SPDX-License-Identifier: MIT */
/*
 * sockmap - the socketmap protocol above the netstring layer, as
 * socketmap_table(5) and Postfix's client (dict_sockmap.c) define it.
 *
 * Request payload: "NAME KEY".  Reply payload: "OK DATA", "NOTFOUND "
 * (with its space), "TEMP REASON", "TIMEOUT REASON" or "PERM REASON".
 *
 * Which requests are refused (a PERM reply; Postfix's own client can
 * never send them, because its key is a C string and it always sends
 * "name key"): a NUL byte anywhere, no space, an empty map name, an
 * empty key, or a control character (0x00-0x1f, 0x7f) in the key.
 * Bytes >= 0x80 are passed on: whether they make a lookup key is the
 * engine's business (an invalid key is answered like an unlisted one,
 * so a strange destination never defers mail).
 *
 * LIMITS: SOCKMAP_MAX_QUERY and SOCKMAP_MAX_REPLY bytes of payload, the
 * limits of Postfix's client and the Sendmail socketmap.
 */
#ifndef TP_SERVER_SOCKMAP_H
#define TP_SERVER_SOCKMAP_H

#include <stddef.h>
#include "engine/engine.h"
#include "util/buf.h"

#define SOCKMAP_MAX_QUERY 10000
#define SOCKMAP_MAX_REPLY 100000
/* Longest reason text we send (TEMP/PERM). */
#define SOCKMAP_MAX_REASON 400
/* The map name `tlspolicy query --server` uses when none is given. */
#define SOCKMAP_DEFAULT_NAME "tlspolicy"

struct sockmap_request {
	const char *name;  /* not NUL-terminated */
	size_t namelen;
	const char *key;   /* not NUL-terminated */
	size_t keylen;
};

/* Splits a request payload.  Returns 0, or -1 with *why (a static
 * string) for the refused requests listed above. */
int sockmap_request_parse(const char *p, size_t n, struct sockmap_request *req,
			  const char **why);

/* Reply kinds as on the wire; TIMEOUT is only ever received. */
enum sockmap_reply_kind {
	SOCKMAP_OK, SOCKMAP_NOTFOUND, SOCKMAP_TEMP, SOCKMAP_TIMEOUT, SOCKMAP_PERM,
	SOCKMAP_BAD  /* none of the above */
};

/* The payload's first word and space ("OK ", "NOTFOUND ", ...). */
const char *sockmap_status_prefix(enum lookup_status st);

/* Appends the netstring of a reply (prefix + text) to out.  A text that
 * would make the reply longer than SOCKMAP_MAX_REPLY is replaced by a
 * TEMP reply.  Returns 0, or -1 when out is full. */
int sockmap_put_reply(struct buf *out, enum lookup_status st, const char *text);

/* Splits a reply payload: *data is what follows "KIND " (for NOTFOUND
 * the empty string).  Returns the kind. */
enum sockmap_reply_kind sockmap_reply_parse(const char *p, size_t n,
					    const char **data, size_t *dlen);

#endif
