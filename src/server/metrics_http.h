/* SPDX-License-Identifier: MIT */
/*
 * metrics_http - the Prometheus endpoint (issue 13): GET /metrics on the
 * setting metrics_listen (one inet:HOST:PORT; empty: no listener), served
 * by libevent's evhttp on the daemon's loop.  The exposition is rendered
 * at each scrape from the counters of the engine, the server and
 * metrics/metrics.h; nothing is counted by the endpoint itself on the
 * lookup path.  Names follow Prometheus conventions (tlspolicy_ prefix,
 * _total counters, _seconds units); docs/man/tlspolicy.8 lists them.
 */
#ifndef TP_SERVER_METRICS_HTTP_H
#define TP_SERVER_METRICS_HTTP_H

#include "util/errbuf.h"

struct event_base;
struct engine;
struct server;
struct buf;
struct metrics_http;

/* Binds spec ("inet:HOST:PORT"); NULL with why on error. */
struct metrics_http *metrics_http_new(struct event_base *base, const char *spec,
				      struct engine *eng, struct errbuf *why);
/* The server whose connections are shown (set once it exists). */
void metrics_http_set_server(struct metrics_http *m, struct server *srv);
int metrics_http_exposed(const struct metrics_http *m); /* not loopback */
void metrics_http_free(struct metrics_http *m);

/* The exposition text (srv may be NULL); 0, or -1 when b is full. */
int metrics_render(struct buf *b, struct engine *eng, struct server *srv);

#endif
