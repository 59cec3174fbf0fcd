/* SPDX-License-Identifier: MIT */
/*
 * sockmap_client - a blocking socketmap client (tlspolicy query
 * --server): connects to inet:HOST:PORT or unix:PATH, sends "NAME KEY"
 * netstrings on one persistent connection and reads the replies.
 *
 * LIMITS: replies of at most SOCKMAP_MAX_REPLY bytes; every send and
 * receive times out after the given number of seconds.
 */
#ifndef TP_SERVER_SOCKMAP_CLIENT_H
#define TP_SERVER_SOCKMAP_CLIENT_H

#include <stddef.h>
#include "server/sockmap.h"
#include "util/errbuf.h"

struct sockmap_client;

int sockmap_client_open(const char *spec, unsigned timeout,
			struct sockmap_client **out, struct errbuf *why);
void sockmap_client_close(struct sockmap_client *cl);

/* Asks one question.  On success returns 0 and *reply points to the
 * reply payload (NUL-terminated, *rlen bytes; owned by cl, valid until
 * the next call).  -1 on a connection or protocol error (why). */
int sockmap_client_query(struct sockmap_client *cl, const char *name,
			 const char *key, const char **reply, size_t *rlen,
			 struct errbuf *why);

#endif
