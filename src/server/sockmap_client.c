/* SPDX-License-Identifier: MIT */
/*
 * sockmap_client.c - blocking socketmap client (see sockmap_client.h).
 */
#include "server/sockmap_client.h"
#include "server/listener.h"
#include "server/netstring.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct sockmap_client {
	int fd;
	char *spec;
	struct netstring_dec dec;
	struct buf out;
	struct buf reply;
	char rbuf[4096];
	size_t roff, rlen;   /* unconsumed bytes in rbuf */
};

static int set_timeouts(int fd, unsigned timeout)
{
	struct timeval tv = { (time_t)timeout, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

static int connect_spec(const char *spec, unsigned timeout, struct errbuf *why)
{
	char host[256], port[16], path[LISTENER_SPEC_MAX];
	int kind, fd = -1, rc;

	kind = listener_spec_parse(spec, host, sizeof(host), port, sizeof(port),
				   path, sizeof(path), why);
	if (kind < 0)
		return -1;
	if (kind == 1) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return errbuf_set(why, "socket: %s", strerror(errno));
		set_timeouts(fd, timeout);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			errbuf_set(why, "%s: connect: %s", spec, strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	} else {
		struct addrinfo hints, *res, *ai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0)
			return errbuf_set(why, "%s: %s", spec, gai_strerror(rc));
		errbuf_set(why, "%s: no address", spec);
		for (ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd < 0)
				continue;
			set_timeouts(fd, timeout);
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			errbuf_set(why, "%s: connect: %s", spec, strerror(errno));
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		return fd;
	}
}

int sockmap_client_open(const char *spec, unsigned timeout,
			struct sockmap_client **out, struct errbuf *why)
{
	struct sockmap_client *cl;
	int fd;

	*out = NULL;
	if ((fd = connect_spec(spec, timeout ? timeout : 10, why)) < 0)
		return -1;
	if ((cl = calloc(1, sizeof(*cl))) == NULL || (cl->spec = strdup(spec)) == NULL) {
		free(cl);
		close(fd);
		return errbuf_set(why, "out of memory");
	}
	cl->fd = fd;
	netstring_dec_init(&cl->dec, SOCKMAP_MAX_REPLY);
	buf_init(&cl->out, SOCKMAP_MAX_QUERY + 32);
	buf_init(&cl->reply, SOCKMAP_MAX_REPLY);
	*out = cl;
	return 0;
}

void sockmap_client_close(struct sockmap_client *cl)
{
	if (cl == NULL)
		return;
	close(cl->fd);
	netstring_dec_free(&cl->dec);
	buf_free(&cl->out);
	buf_free(&cl->reply);
	free(cl->spec);
	free(cl);
}

int sockmap_client_query(struct sockmap_client *cl, const char *name,
			 const char *key, const char **reply, size_t *rlen,
			 struct errbuf *why)
{
	size_t nlen = strlen(name), klen = strlen(key), off = 0;
	enum netstring_status st;
	const char *payload;
	size_t plen;

	char hdr[16];

	if (nlen + 1 + klen > SOCKMAP_MAX_QUERY)
		return errbuf_set(why, "query longer than %d bytes", SOCKMAP_MAX_QUERY);
	buf_reset(&cl->out);
	snprintf(hdr, sizeof(hdr), "%zu:", nlen + 1 + klen);
	if (buf_puts(&cl->out, hdr) < 0 || buf_append(&cl->out, name, nlen) < 0 ||
	    buf_append(&cl->out, " ", 1) < 0 || buf_append(&cl->out, key, klen) < 0 ||
	    buf_append(&cl->out, ",", 1) < 0)
		return errbuf_set(why, "out of memory");
	while (off < cl->out.len) {
		ssize_t n = send(cl->fd, cl->out.data + off, cl->out.len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errbuf_set(why, "%s: send: %s", cl->spec,
					  n < 0 ? strerror(errno) : "closed");
		off += (size_t)n;
	}
	for (;;) {
		if (cl->roff == cl->rlen) {
			ssize_t n = recv(cl->fd, cl->rbuf, sizeof(cl->rbuf), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return errbuf_set(why, "%s: no reply (timeout)", cl->spec);
			if (n < 0)
				return errbuf_set(why, "%s: recv: %s", cl->spec, strerror(errno));
			if (n == 0)
				return errbuf_set(why, "%s: server closed the connection",
						  cl->spec);
			cl->roff = 0;
			cl->rlen = (size_t)n;
		}
		cl->roff += netstring_dec_feed(&cl->dec, cl->rbuf + cl->roff,
					       cl->rlen - cl->roff, &st, &payload, &plen);
		if (st == NETSTRING_DONE) {
			buf_reset(&cl->reply);
			if (buf_append(&cl->reply, payload, plen) < 0)
				return errbuf_set(why, "out of memory");
			*reply = cl->reply.data ? cl->reply.data : "";
			*rlen = cl->reply.len;
			return 0;
		}
		if (st != NETSTRING_MORE)
			return errbuf_set(why, "%s: bad reply: %s", cl->spec,
					  netstring_strerror(st));
	}
}
