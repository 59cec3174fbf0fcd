/* SPDX-License-Identifier: MIT */
/*
 * server - the socketmap server on one libevent loop.
 *
 * Accepts on the listeners, reads netstring requests "NAME KEY" on
 * persistent connections, hands each key to the engine and writes the
 * replies back in request order, also when a client pipelines requests
 * and an earlier one waits for discovery.
 *
 * LIMITS/SECURITY: SOCKMAP_MAX_QUERY bytes per request, SERVER_MAX_OUTPUT
 * bytes of unsent replies per connection (a client that does not read
 * its replies is closed), SERVER_MAX_PENDING unanswered requests per
 * connection (reading pauses), setting max_connections connections and,
 * for inet clients other than loopback, max_connections_per_peer per
 * client address (at a cap a new connection closes the connection idle
 * longest - of that address for the per-address cap - and is refused
 * only when every one waits for an answer), setting request_timeout for
 * one request to arrive (a client trickling bytes is closed), setting
 * idle_timeout between requests and for a stalled write.  A malformed netstring closes the connection; a malformed
 * request gets a PERM reply.  Every refusal is logged with the peer
 * address, at most once per connection.
 */
#ifndef TP_SERVER_SERVER_H
#define TP_SERVER_SERVER_H

#include "engine/engine.h"
#include "server/listener.h"
#include "util/errbuf.h"

#define SERVER_READ_CHUNK 16384      /* one read() */
#define SERVER_MAX_OUTPUT (256 * 1024)
#define SERVER_OUTPUT_PAUSE (64 * 1024) /* stop reading above this */
#define SERVER_MAX_PENDING 256       /* async requests queued per connection */
#define SERVER_DRAIN_TIMEOUT 10      /* seconds SIGTERM waits for replies */
#define SERVER_ACCEPT_BATCH 64       /* accepts per readiness event */
#define SERVER_CAP_LOG_INTERVAL 60   /* seconds between "cap reached" logs */

struct event_base;
struct config;
struct server;

/*
 * A server on base answering from eng, accepting on the sockets of set
 * (the server takes ownership of the descriptors; set is emptied).
 * cfg must outlive the server.
 */
struct server *server_new(struct event_base *base, struct engine *eng,
			  const struct config *cfg, struct listener_set *set,
			  struct errbuf *why);

/* Stops accepting, closes idle connections, lets in-flight replies be
 * written (at most SERVER_DRAIN_TIMEOUT seconds), then calls done. */
void server_shutdown(struct server *srv, void (*done)(void *), void *arg);

/* Takes the live settings of cfg (SIGHUP): idle_timeout, request_timeout
 * (from the next timer of each connection), max_connections (from the
 * next accept).  cfg must outlive the server. */
void server_reconfigure(struct server *srv, const struct config *cfg);

void server_free(struct server *srv);

struct server_stats {
	unsigned long long accepted, refused_cap, closed_idle, closed_slow,
		closed_unread, closed_malformed, perm_replies, requests;
	unsigned long long evicted_idle;   /* closed at a cap for a new connection */
	unsigned long connections;
};
void server_stats(const struct server *srv, struct server_stats *out);
/* Logs the server's and the engine's counters (SIGUSR1). */
void server_log_stats(const struct server *srv);

#endif
