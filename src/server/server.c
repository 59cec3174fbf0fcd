/* SPDX-License-Identifier: MIT */
/*
 * server.c - the socketmap server (see server.h).
 *
 * One connection is a small state machine driven by three events: read
 * readiness, write readiness (only while replies wait for the socket)
 * and one lazy timer.  The timer is armed for the earliest deadline of
 * the connection's state and, when it fires, re-computes the deadline
 * from timestamps, so the common path (a whole request in one read, the
 * reply written at once) touches no timer at all.
 *
 * Replies go out in request order.  A request whose answer is known at
 * once (table hit, cache hit) is formatted straight into the output
 * buffer when nothing is queued before it, without any allocation; a
 * request that waits for discovery gets a queue entry, and so does
 * every request behind it until the queue is empty again.
 *
 * A connection is never freed from inside a callback chain: closing
 * marks it dead and a deferred event frees it.
 *
 * Caps: the live connections are kept in order of their last activity
 * (a read moves a connection to the front), so the connection idle
 * longest is the last one that has no request waiting for the engine.
 * At max_connections a new connection closes that one (a client holding
 * idle connections cannot lock Postfix out); only when every connection
 * waits for an answer is the new one refused.  Clients of inet
 * listeners other than loopback are also counted per address (a hash
 * table of struct peer); at max_connections_per_peer the address's own
 * connection idle longest makes room the same way.
 */
#include "server/server.h"
#include "server/netstring.h"
#include "server/sockmap.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#define SERVER_MAX_NAMES 64
#define SERVER_KEEP_OUTBUF 4096  /* larger output buffers are freed when empty */
#define SERVER_PEER_MAX 80
#define SERVER_PEER_BUCKETS 1024 /* per-address counts (power of two) */

struct conn;

/* Connections of one client address (inet, not loopback). */
struct peer {
	struct peer *next;             /* hash chain */
	int family;
	unsigned char addr[16];
	unsigned long count;
};

struct pending {
	struct pending *next;
	struct conn *conn;
	struct engine_req *req;
	int done;
	enum lookup_status status;
	char *text;
	char *key;                     /* with log_verbosity/-v: for the answer line */
};

struct conn {
	struct conn *prev, *next;      /* srv->conns or srv->dead */
	struct server *srv;
	int fd;
	struct event ev_read, ev_write, ev_timer;
	struct netstring_dec dec;
	struct buf out;
	struct pending *head, *tail;
	unsigned npending;
	unsigned in_lookup : 1, reading : 1, writing : 1, timer_armed : 1,
		dead : 1, eof : 1, logged : 1;
	time_t last_active, last_write, req_started, timer_at;
	struct peer *peer_rec;         /* NULL: not counted per address */
	char peer[SERVER_PEER_MAX];
};

struct lsock {
	struct server *srv;
	struct listener l;
	struct event ev;
	int active;
};

struct server {
	struct event_base *base;
	struct engine *eng;
	const struct config *cfg;
	struct lsock *ls;
	size_t nls;
	struct event accept_pause_ev;
	int accept_paused;
	struct conn *conns, *conns_tail, *dead; /* conns: most recently active first */
	unsigned long nconns;
	long max_conns, max_per_peer;
	struct peer *peers[SERVER_PEER_BUCKETS];
	unsigned idle_timeout, request_timeout;
	char *names_storage;
	char *names[SERVER_MAX_NAMES];
	size_t nnames;
	struct event reap_ev;
	struct event drain_ev;
	int draining;
	void (*drain_done)(void *);
	void *drain_arg;
	time_t cap_logged, peer_cap_logged, emfile_logged;
	struct server_stats st;
	char rbuf[SERVER_READ_CHUNK];
	char keybuf[SOCKMAP_MAX_QUERY + 1];
};

static void conn_close(struct conn *c);
static void conn_close_flush(struct conn *c);
static void conn_flush(struct conn *c);
static void conn_timer_update(struct conn *c);
static void conn_set_reading(struct conn *c, int on);

static time_t server_now(struct server *srv)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(srv->base, &tv) < 0)
		return time(NULL);
	return tv.tv_sec;
}

/* --- the live list, most recently active first ------------------ */

static void conn_list_unlink(struct server *srv, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		srv->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

static void conn_list_push(struct server *srv, struct conn *c)
{
	c->prev = NULL;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	else
		srv->conns_tail = c;
	srv->conns = c;
}

/* The client was active: to the front. */
static void conn_touch(struct conn *c)
{
	struct server *srv = c->srv;

	if (srv->conns != c) {
		conn_list_unlink(srv, c);
		conn_list_push(srv, c);
	}
}

/* Logs one refusal per connection (the first), with the peer address. */
static void conn_log_refusal(struct conn *c, const char *fmt, const char *arg)
{
	if (c->logged)
		return;
	c->logged = 1;
	log_warnx("%s: %s%s%s", c->peer, fmt, arg ? " " : "", arg ? arg : "");
}

/* --- output ------------------------------------------------------ */

static void conn_set_writing(struct conn *c, int on)
{
	if (on && !c->writing)
		event_add(&c->ev_write, NULL);
	else if (!on && c->writing)
		event_del(&c->ev_write);
	c->writing = on ? 1 : 0;
}

/* Appends one reply; a client that lets SERVER_MAX_OUTPUT pile up is
 * not reading and gets closed. */
static int conn_put_reply(struct conn *c, enum lookup_status st, const char *text)
{
	if (sockmap_put_reply(&c->out, st, text) < 0) {
		c->srv->st.closed_unread++;
		conn_log_refusal(c, "client does not read its replies; closing", NULL);
		conn_close(c);
		return -1;
	}
	return 0;
}

static void conn_write(struct conn *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n > 0) {
			c->last_write = server_now(c->srv);
			if ((size_t)n == c->out.len) {
				if (c->out.cap > SERVER_KEEP_OUTBUF)
					buf_free(&c->out);
				else
					buf_reset(&c->out);
				break;
			}
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_set_writing(c, 1);
			return;
		}
		log_debug("%s: write: %s", c->peer, n < 0 ? strerror(errno) : "closed");
		conn_close(c);
		return;
	}
	conn_set_writing(c, 0);
}

/* Moves answered queue heads to the output, writes, and decides
 * whether to read more or to finish the connection. */
static void conn_flush(struct conn *c)
{
	while (!c->dead && c->head && c->head->done) {
		struct pending *p = c->head;

		c->head = p->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->npending--;
		conn_put_reply(c, p->status, p->text);
		free(p->text);
		free(p->key);
		free(p);
	}
	if (c->dead)
		return;
	if (c->out.len > 0)
		conn_write(c);
	if (c->dead)
		return;
	if ((c->eof || c->srv->draining) && c->head == NULL && c->out.len == 0) {
		conn_close(c);
		return;
	}
	if (!c->eof && !c->srv->draining)
		conn_set_reading(c, c->npending < SERVER_MAX_PENDING &&
					    c->out.len < SERVER_OUTPUT_PAUSE);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	conn_write(c);
	if (!c->dead)
		conn_flush(c);
	if (!c->dead)
		conn_timer_update(c);
}

/* --- answers ----------------------------------------------------- */

/* -v / log_verbosity = 1: one line per answer, with its source. */
static void conn_log_answer(const struct conn *c, const char *key,
			    const struct engine_answer *ans)
{
	static const char *const kinds[] = { "OK", "NOTFOUND", "TEMP", "PERM" };
	char kb[200], tb[300];

	if (log_get_verbose() < 1)
		return;
	printable(kb, sizeof(kb), key ? key : "?", key ? strlen(key) : 1);
	printable(tb, sizeof(tb), ans->text ? ans->text : "", ans->text ? strlen(ans->text) : 0);
	log_info("%s: answer %s: %s%s%s (source %s)", c->peer, kb, kinds[ans->status],
		 tb[0] ? " " : "", tb, answer_source_name(ans->source));
}

static void pending_cb(const struct engine_answer *ans, void *arg)
{
	struct pending *p = arg;
	struct conn *c = p->conn;

	conn_log_answer(c, p->key ? p->key : c->srv->keybuf, ans);
	p->req = NULL;
	p->done = 1;
	p->status = ans->status;
	if (ans->text && *ans->text && (p->text = strdup(ans->text)) == NULL) {
		p->status = LOOKUP_TEMP;
		/* text NULL: "TEMP " with an empty reason */
	}
	if (c->in_lookup)
		return; /* the read handler flushes */
	conn_flush(c);
	if (!c->dead)
		conn_timer_update(c);
}

/* The answer of a request made while the queue was empty: written at
 * once when it comes during engine_lookup(), else it belongs to the
 * queue head that was created for it. */
static void direct_cb(const struct engine_answer *ans, void *arg)
{
	struct conn *c = arg;

	if (c->in_lookup && c->head == NULL) {
		conn_log_answer(c, c->srv->keybuf, ans);
		conn_put_reply(c, ans->status, ans->text);
		return;
	}
	if (c->head == NULL)
		log_panic("server: direct answer without a queued request");
	pending_cb(ans, c->head);
}

static void conn_log_request(struct conn *c, const struct sockmap_request *r,
			     const char *what)
{
	char nb[64], kb[200];

	if (log_get_verbose() < 1)
		return;
	log_debug("%s: %s %s: %s", c->peer,
		  printable(nb, sizeof(nb), r->name, r->namelen),
		  printable(kb, sizeof(kb), r->key, r->keylen), what);
}

static int server_name_ok(struct server *srv, const struct sockmap_request *r)
{
	if (srv->nnames == 0)
		return 1;
	for (size_t i = 0; i < srv->nnames; i++)
		if (strlen(srv->names[i]) == r->namelen &&
		    memcmp(srv->names[i], r->name, r->namelen) == 0)
			return 1;
	return 0;
}

/* Replies PERM in order: directly when nothing is queued. */
static void conn_reply_now(struct conn *c, enum lookup_status st, const char *text)
{
	struct pending *p;

	if (c->head == NULL) {
		conn_put_reply(c, st, text);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (text && (p->text = strdup(text)) == NULL)) {
		free(p);
		log_warnx("%s: out of memory; closing", c->peer);
		conn_close(c);
		return;
	}
	p->conn = c;
	p->done = 1;
	p->status = st;
	c->tail->next = p;
	c->tail = p;
	c->npending++;
}

static void conn_request(struct conn *c, const char *payload, size_t plen)
{
	struct server *srv = c->srv;
	struct sockmap_request r;
	struct engine_req *req;
	const char *why;

	srv->st.requests++;
	if (sockmap_request_parse(payload, plen, &r, &why) < 0) {
		srv->st.perm_replies++;
		conn_log_refusal(c, why, NULL);
		conn_reply_now(c, LOOKUP_PERM, why);
		return;
	}
	if (!server_name_ok(srv, &r)) {
		char nb[64], msg[100];

		printable(nb, sizeof(nb), r.name, r.namelen);
		snprintf(msg, sizeof(msg), "unknown map %s", nb);
		srv->st.perm_replies++;
		conn_log_refusal(c, msg, NULL);
		conn_reply_now(c, LOOKUP_PERM, msg);
		return;
	}
	memcpy(srv->keybuf, r.key, r.keylen);
	srv->keybuf[r.keylen] = '\0';
	conn_log_request(c, &r, "lookup");

	if (c->head == NULL) {
		c->in_lookup = 1;
		req = engine_lookup(srv->eng, srv->keybuf, direct_cb, c);
		c->in_lookup = 0;
		if (req == NULL || c->dead) {
			if (req)
				engine_cancel(req);
			return;
		}
		/* Waits for discovery: becomes the queue head; direct_cb
		 * finds it there. */
		struct pending *p = calloc(1, sizeof(*p));

		if (p == NULL) {
			engine_cancel(req);
			log_warnx("%s: out of memory; closing", c->peer);
			conn_close(c);
			return;
		}
		p->conn = c;
		p->req = req;
		if (log_get_verbose() >= 1)
			p->key = strdup(srv->keybuf);
		c->head = c->tail = p;
		c->npending = 1;
		return;
	}

	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		log_warnx("%s: out of memory; closing", c->peer);
		conn_close(c);
		return;
	}
	p->conn = c;
	if (log_get_verbose() >= 1)
		p->key = strdup(srv->keybuf);
	c->tail->next = p;
	c->tail = p;
	c->npending++;
	c->in_lookup = 1;
	req = engine_lookup(srv->eng, srv->keybuf, pending_cb, p);
	c->in_lookup = 0;
	if (!p->done)
		p->req = req;
}

/* --- reading ----------------------------------------------------- */

static void conn_set_reading(struct conn *c, int on)
{
	if (on && !c->reading)
		event_add(&c->ev_read, NULL);
	else if (!on && c->reading)
		event_del(&c->ev_read);
	c->reading = on ? 1 : 0;
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;
	enum netstring_status st;
	const char *payload;
	size_t plen, off = 0;
	ssize_t n;

	(void)what;
	n = recv(fd, srv->rbuf, sizeof(srv->rbuf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("%s: read: %s", c->peer, strerror(errno));
		conn_close(c);
		return;
	}
	c->last_active = server_now(srv);
	conn_touch(c);
	if (n == 0) {
		if (!netstring_dec_idle(&c->dec)) {
			srv->st.closed_malformed++;
			conn_log_refusal(c, "disconnected in the middle of a request", NULL);
			conn_close(c);
			return;
		}
		/* Half-close: answer what was asked, then close. */
		c->eof = 1;
		conn_set_reading(c, 0);
		conn_flush(c);
		return;
	}
	c->in_lookup = 1; /* pending answers made meanwhile wait for the flush */
	while (off < (size_t)n && !c->dead) {
		off += netstring_dec_feed(&c->dec, srv->rbuf + off, (size_t)n - off,
					  &st, &payload, &plen);
		if (st == NETSTRING_DONE) {
			c->req_started = 0;
			c->in_lookup = 0;
			conn_request(c, payload, plen);
			c->in_lookup = 1;
		} else if (st != NETSTRING_MORE) {
			char why[120];

			snprintf(why, sizeof(why), "malformed netstring (%s: %s); closing",
				 netstring_strerror(st), c->dec.err ? c->dec.err : "?");
			srv->st.closed_malformed++;
			conn_log_refusal(c, why, NULL);
			conn_close_flush(c);
		}
	}
	c->in_lookup = 0;
	if (c->dead)
		return;
	if (!netstring_dec_idle(&c->dec) && c->req_started == 0)
		c->req_started = c->last_active;
	conn_flush(c);
	if (!c->dead)
		conn_timer_update(c);
}

/* --- timers ------------------------------------------------------ */

static time_t conn_deadline(const struct conn *c)
{
	const struct server *srv = c->srv;

	/* Reading paused because replies pile up: the client's turn. */
	if (c->out.len > 0 && !c->reading)
		return c->last_write + (time_t)srv->idle_timeout;
	if (!netstring_dec_idle(&c->dec))
		return c->req_started + (time_t)srv->request_timeout;
	if (c->out.len > 0)
		return c->last_write + (time_t)srv->idle_timeout;
	return c->last_active + (time_t)srv->idle_timeout;
}

static void conn_timer_update(struct conn *c)
{
	time_t d = conn_deadline(c), now;
	struct timeval tv;

	if (c->timer_armed && c->timer_at <= d)
		return; /* fires early enough; the callback re-arms */
	now = server_now(c->srv);
	tv.tv_sec = d > now ? d - now : 0;
	tv.tv_usec = 0;
	event_add(&c->ev_timer, &tv);
	c->timer_armed = 1;
	c->timer_at = d;
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;
	time_t now = server_now(srv);

	(void)fd;
	(void)what;
	c->timer_armed = 0;
	if (now < conn_deadline(c)) {
		conn_timer_update(c);
		return;
	}
	if (c->out.len > 0 && !c->reading) {
		srv->st.closed_unread++;
		conn_log_refusal(c, "client does not read its replies; closing", NULL);
	} else if (!netstring_dec_idle(&c->dec)) {
		srv->st.closed_slow++;
		conn_log_refusal(c, "request not complete within request_timeout; closing",
				 NULL);
	} else if (c->out.len > 0) {
		srv->st.closed_unread++;
		conn_log_refusal(c, "client does not read its replies; closing", NULL);
	} else if (c->head != NULL) {
		/* Waiting for the engine, which answers by its deadline. */
		c->last_active = now;
		conn_timer_update(c);
		return;
	} else {
		srv->st.closed_idle++;
		log_debug("%s: idle for %us; closing", c->peer, srv->idle_timeout);
	}
	conn_close(c);
}

/* --- connections ------------------------------------------------- */

static void server_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	while (srv->dead) {
		struct conn *c = srv->dead;

		srv->dead = c->next;
		netstring_dec_free(&c->dec);
		buf_free(&c->out);
		free(c);
	}
	if (srv->draining && srv->nconns == 0 && srv->drain_done) {
		void (*done)(void *) = srv->drain_done;

		srv->drain_done = NULL;
		event_del(&srv->drain_ev);
		done(srv->drain_arg);
	}
}

/* --- per-address counts ----------------------------------------- */

/* The address of an inet client counted per address: 0, or -1 for
 * unix-domain and loopback clients (every local client shares one
 * address, so only max_connections applies to them). */
static int peer_key(const struct sockaddr_storage *ss, int is_unix, int *family,
		    unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (is_unix)
		return -1;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			return -1;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127))
			return -1;
		memcpy(addr, &s6->sin6_addr, 16);
	} else {
		return -1;
	}
	*family = ss->ss_family;
	return 0;
}

static unsigned peer_hash(int family, const unsigned char addr[16])
{
	unsigned h = 2166136261u ^ (unsigned)family;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (SERVER_PEER_BUCKETS - 1);
}

/* The record of an address, made with count 0 when new; NULL: ENOMEM. */
static struct peer *peer_get(struct server *srv, int family, const unsigned char addr[16])
{
	unsigned h = peer_hash(family, addr);
	struct peer *p;

	for (p = srv->peers[h]; p; p = p->next)
		if (p->family == family && memcmp(p->addr, addr, 16) == 0)
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->family = family;
	memcpy(p->addr, addr, 16);
	p->next = srv->peers[h];
	srv->peers[h] = p;
	return p;
}

/* Drops one connection of p; the record goes with the last one. */
static void peer_release(struct server *srv, struct peer *p)
{
	struct peer **pp;

	if (p->count > 0 && --p->count > 0)
		return;
	for (pp = &srv->peers[peer_hash(p->family, p->addr)]; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			free(p);
			return;
		}
	}
}

/* Closes the connection idle longest (of peer p, or of anyone when p is
 * NULL) to make room for a new one; one that waits for the engine is
 * never chosen.  Returns 0 when there is none. */
static int conn_evict(struct server *srv, struct peer *p, const char *why_cap,
		      long cap, const char *newpeer, time_t *logged)
{
	time_t now = server_now(srv);
	struct conn *c;

	for (c = srv->conns_tail; c; c = c->prev)
		if (c->head == NULL && (p == NULL || c->peer_rec == p))
			break;
	if (c == NULL)
		return 0;
	srv->st.evicted_idle++;
	if (now - *logged >= SERVER_CAP_LOG_INTERVAL) {
		log_warnx("%s: %s (%ld) reached; closing the connection idle longest "
			  "(%s, idle %lds) for it (logged once a minute)", newpeer,
			  why_cap, cap, c->peer, (long)(now - c->last_active));
		*logged = now;
	}
	conn_close(c);
	return 1;
}

static void conn_close(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->dead)
		return;
	c->dead = 1;
	event_del(&c->ev_read);
	event_del(&c->ev_write);
	event_del(&c->ev_timer);
	close(c->fd);
	c->fd = -1;
	while (c->head) {
		struct pending *p = c->head;

		c->head = p->next;
		if (p->req)
			engine_cancel(p->req);
		free(p->text);
		free(p->key);
		free(p);
	}
	c->tail = NULL;
	c->npending = 0;
	if (c->peer_rec) {
		peer_release(srv, c->peer_rec);
		c->peer_rec = NULL;
	}
	/* unlink from the live list, push onto the dead list */
	conn_list_unlink(srv, c);
	c->next = srv->dead;
	srv->dead = c;
	srv->nconns--;
	event_active(&srv->reap_ev, EV_TIMEOUT, 0);
}

/* Closes after one non-blocking attempt to send the replies to the
 * requests before a malformed one. */
static void conn_close_flush(struct conn *c)
{
	if (c->out.len > 0 && c->head == NULL)
		(void)!send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_close(c);
}

static void peer_name(char *out, size_t outlen, const struct sockaddr_storage *ss,
		      int is_unix, const char *lname)
{
	char abuf[INET6_ADDRSTRLEN];

	if (is_unix || ss->ss_family == AF_UNIX) {
		snprintf(out, outlen, "%s", lname);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, abuf, sizeof(abuf));
		snprintf(out, outlen, "[%s]:%u", abuf, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, abuf, sizeof(abuf));
		snprintf(out, outlen, "%s:%u", abuf, ntohs(sin->sin_port));
	} else {
		snprintf(out, outlen, "unknown");
	}
}

static void conn_new(struct server *srv, int fd, const struct sockaddr_storage *ss,
		     const struct listener *l, struct peer *p)
{
	struct conn *c = calloc(1, sizeof(*c));
	int on = 1;

	if (c == NULL) {
		log_warnx("out of memory; connection refused");
		if (p)
			peer_release(srv, p);
		close(fd);
		return;
	}
	c->peer_rec = p; /* counted by the caller */
	if (!l->is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->srv = srv;
	c->fd = fd;
	peer_name(c->peer, sizeof(c->peer), ss, l->is_unix, l->name);
	netstring_dec_init(&c->dec, SOCKMAP_MAX_QUERY);
	buf_init(&c->out, SERVER_MAX_OUTPUT);
	event_assign(&c->ev_read, srv->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	event_assign(&c->ev_write, srv->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	evtimer_assign(&c->ev_timer, srv->base, conn_timer_cb, c);
	c->last_active = c->last_write = server_now(srv);
	conn_list_push(srv, c);
	srv->nconns++;
	srv->st.accepted++;
	conn_set_reading(c, 1);
	conn_timer_update(c);
	log_debug("%s: connected", c->peer);
}

static void server_accept_enable(struct server *srv, int on)
{
	for (size_t i = 0; i < srv->nls; i++) {
		struct lsock *ls = &srv->ls[i];

		if (ls->l.fd < 0)
			continue;
		if (on && !ls->active)
			event_add(&ls->ev, NULL);
		else if (!on && ls->active)
			event_del(&ls->ev);
		ls->active = on;
	}
}

static void accept_pause_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	srv->accept_paused = 0;
	if (!srv->draining)
		server_accept_enable(srv, 1);
}

/* A new connection over a cap while every connection waits for an
 * answer: closed at once. */
static void server_refuse(struct server *srv, int cfd, const char *peer,
			  const char *why_cap, long cap)
{
	time_t now = server_now(srv);

	srv->st.refused_cap++;
	if (now - srv->cap_logged >= SERVER_CAP_LOG_INTERVAL) {
		log_warnx("%s: %s (%ld) reached and every connection waits for an "
			  "answer; closing the new one (logged once a minute)", peer,
			  why_cap, cap);
		srv->cap_logged = now;
	}
	close(cfd);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lsock *ls = arg;
	struct server *srv = ls->srv;

	(void)what;
	for (int i = 0; i < SERVER_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		char peer[SERVER_PEER_MAX];
		unsigned char addr[16];
		struct peer *p;
		int cfd, family = 0;

		memset(&ss, 0, sizeof(ss));
		cfd = accept4(fd, (struct sockaddr *)&ss, &slen,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				struct timeval tv = { 1, 0 };
				time_t now = server_now(srv);

				if (now - srv->emfile_logged >= SERVER_CAP_LOG_INTERVAL) {
					log_warn("%s: accept (pausing 1s; raise the open "
						 "files limit or lower max_connections)",
						 ls->l.name);
					srv->emfile_logged = now;
				}
				server_accept_enable(srv, 0);
				srv->accept_paused = 1;
				evtimer_add(&srv->accept_pause_ev, &tv);
				return;
			}
			log_warn("%s: accept", ls->l.name);
			return;
		}
		peer_name(peer, sizeof(peer), &ss, ls->l.is_unix, ls->l.name);
		p = NULL;
		/* the new connection's place is counted first, so that an
		 * eviction never takes the address's record away */
		if (srv->max_per_peer > 0 &&
		    peer_key(&ss, ls->l.is_unix, &family, addr) == 0 &&
		    (p = peer_get(srv, family, addr)) != NULL &&
		    ++p->count > (unsigned long)srv->max_per_peer &&
		    !conn_evict(srv, p, "max_connections_per_peer", srv->max_per_peer,
				peer, &srv->peer_cap_logged)) {
			server_refuse(srv, cfd, peer, "max_connections_per_peer",
				      srv->max_per_peer);
			peer_release(srv, p);
			continue;
		}
		if (srv->max_conns > 0 && srv->nconns >= (unsigned long)srv->max_conns &&
		    !conn_evict(srv, NULL, "max_connections", srv->max_conns, peer,
				&srv->cap_logged)) {
			server_refuse(srv, cfd, peer, "max_connections", srv->max_conns);
			if (p)
				peer_release(srv, p);
			continue;
		}
		conn_new(srv, cfd, &ss, &ls->l, p);
	}
}

/* --- life cycle -------------------------------------------------- */

struct server *server_new(struct event_base *base, struct engine *eng,
			  const struct config *cfg, struct listener_set *set,
			  struct errbuf *why)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->eng = eng;
	srv->cfg = cfg;
	srv->idle_timeout = config_get_time(cfg, "idle_timeout");
	srv->request_timeout = config_get_time(cfg, "request_timeout");
	if (srv->idle_timeout == 0)
		srv->idle_timeout = 1;
	if (srv->request_timeout == 0)
		srv->request_timeout = 1;
	srv->max_conns = config_get_int(cfg, "max_connections");
	srv->max_per_peer = config_get_int(cfg, "max_connections_per_peer");
	srv->nnames = config_split_list(config_get(cfg, "map_names"), srv->names,
					SERVER_MAX_NAMES, &srv->names_storage);
	event_assign(&srv->reap_ev, base, -1, 0, server_reap_cb, srv);
	evtimer_assign(&srv->accept_pause_ev, base, accept_pause_cb, srv);
	evtimer_assign(&srv->drain_ev, base, NULL, NULL); /* set in shutdown */
	srv->ls = calloc(set->n ? set->n : 1, sizeof(*srv->ls));
	if (srv->ls == NULL) {
		free(srv->names_storage);
		free(srv);
		errbuf_set(why, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct lsock *ls = &srv->ls[i];

		ls->srv = srv;
		ls->l = set->l[i];
		event_assign(&ls->ev, base, ls->l.fd, EV_READ | EV_PERSIST, accept_cb, ls);
	}
	srv->nls = set->n;
	set->n = 0; /* ours now */
	server_accept_enable(srv, 1);
	return srv;
}

static void drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->nconns)
		log_warnx("shutdown: closing %lu connections still waiting after %ds",
			  srv->nconns, SERVER_DRAIN_TIMEOUT);
	while (srv->conns)
		conn_close(srv->conns);
}

void server_shutdown(struct server *srv, void (*done)(void *), void *arg)
{
	struct timeval tv = { SERVER_DRAIN_TIMEOUT, 0 };
	struct conn *c, *next;

	srv->draining = 1;
	srv->drain_done = done;
	srv->drain_arg = arg;
	server_accept_enable(srv, 0);
	event_del(&srv->accept_pause_ev);
	for (size_t i = 0; i < srv->nls; i++) {
		if (srv->ls[i].l.fd >= 0)
			close(srv->ls[i].l.fd);
		srv->ls[i].l.fd = -1;
	}
	for (c = srv->conns; c; c = next) {
		next = c->next;
		conn_set_reading(c, 0);
		if (c->head == NULL && c->out.len == 0)
			conn_close(c);
	}
	evtimer_assign(&srv->drain_ev, srv->base, drain_timeout_cb, srv);
	evtimer_add(&srv->drain_ev, &tv);
	/* done() is called from the reaper once no connection is left. */
	event_active(&srv->reap_ev, EV_TIMEOUT, 0);
}

void server_reconfigure(struct server *srv, const struct config *cfg)
{
	srv->idle_timeout = config_get_time(cfg, "idle_timeout");
	srv->request_timeout = config_get_time(cfg, "request_timeout");
	if (srv->idle_timeout == 0)
		srv->idle_timeout = 1;
	if (srv->request_timeout == 0)
		srv->request_timeout = 1;
	srv->max_conns = config_get_int(cfg, "max_connections");
	srv->cfg = cfg;
}

void server_free(struct server *srv)
{
	struct listener_set set;

	if (srv == NULL)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	srv->draining = 0;
	server_reap_cb(-1, 0, srv);
	event_del(&srv->reap_ev);
	event_del(&srv->drain_ev);
	event_del(&srv->accept_pause_ev);
	server_accept_enable(srv, 0);
	set.n = 0;
	for (size_t i = 0; i < srv->nls; i++)
		set.l[set.n++] = srv->ls[i].l;
	listener_close_all(&set, 1);
	for (size_t i = 0; i < SERVER_PEER_BUCKETS; i++) {
		while (srv->peers[i]) {
			struct peer *p = srv->peers[i];

			srv->peers[i] = p->next;
			free(p);
		}
	}
	free(srv->ls);
	free(srv->names_storage);
	free(srv);
}

void server_stats(const struct server *srv, struct server_stats *out)
{
	*out = srv->st;
	out->connections = srv->nconns;
}

void server_log_stats(const struct server *srv)
{
	struct engine_stats es;
	const struct server_stats *s = &srv->st;

	engine_stats(srv->eng, &es);
	log_info("stats: connections=%lu accepted=%llu refused_cap=%llu "
		 "evicted_idle=%llu closed_idle=%llu closed_slow=%llu closed_unread=%llu "
		 "closed_malformed=%llu requests=%llu perm_protocol=%llu",
		 srv->nconns, s->accepted, s->refused_cap, s->evicted_idle, s->closed_idle,
		 s->closed_slow, s->closed_unread, s->closed_malformed,
		 s->requests, s->perm_replies);
	log_info("stats: replies ok=%llu notfound=%llu temp=%llu perm=%llu; "
		 "sources %s=%llu %s=%llu %s=%llu %s=%llu %s=%llu %s=%llu %s=%llu",
		 es.by_status[LOOKUP_OK], es.by_status[LOOKUP_NOTFOUND],
		 es.by_status[LOOKUP_TEMP],
		 es.by_status[LOOKUP_PERM] + s->perm_replies,
		 answer_source_name(ANSWER_TABLE), es.by_source[ANSWER_TABLE],
		 answer_source_name(ANSWER_DEFAULT), es.by_source[ANSWER_DEFAULT],
		 answer_source_name(ANSWER_DANE), es.by_source[ANSWER_DANE],
		 answer_source_name(ANSWER_STS), es.by_source[ANSWER_STS],
		 answer_source_name(ANSWER_PROVIDER), es.by_source[ANSWER_PROVIDER],
		 answer_source_name(ANSWER_NONE), es.by_source[ANSWER_NONE],
		 answer_source_name(ANSWER_ERROR), es.by_source[ANSWER_ERROR]);
	log_info("stats: discoveries=%llu coalesced=%llu cache_hits=%llu "
		 "cache_entries=%lu deadline_stale=%llu deadline_notfound=%llu "
		 "invalid_keys=%llu parent_keys=%llu partial_replaced=%llu",
		 es.discoveries, es.coalesced, es.cache_hits, es.cache_entries,
		 es.deadline_stale, es.deadline_notfound, es.invalid_keys,
		 es.parent_keys, es.partial_replaced);
	log_info("stats: table_rows=%lu invalid_rows=%lu reloads=%llu "
		 "reload_failures=%llu reload_unchanged=%llu database=%s",
		 es.table_rows, es.table_invalid_rows, es.reloads,
		 es.reload_failures, es.reload_unchanged, es.db_down ? "down" : "ok");
}
