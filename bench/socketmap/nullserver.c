/* SPDX-License-Identifier: MIT */
/*
 * nullserver - reference socketmap server for benchmarks: answers every
 * well-formed request "NOTFOUND " as fast as it can.  It does no lookup
 * at all, so its lookups/s and latency are the ceiling a socketmap
 * daemon can reach on this machine with the same client.
 *
 * epoll, level-triggered, non-blocking sockets; one thread by default
 * (what tlspolicy's single-threaded libevent daemon is compared with),
 * -t N runs N threads sharing the listener (EPOLLEXCLUSIVE).  Pipelined
 * requests are answered in order; replies that cannot be written at once
 * are queued and reading stops until they are out.  A malformed netstring
 * closes the connection.
 *
 * LIMITS: NULL_MAX_QUERY bytes per request (Postfix's limit),
 * NULL_MAX_OUT bytes of queued replies per connection, -T seconds of
 * lifetime (0: until SIGTERM/SIGINT).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NULL_MAX_QUERY 10000
#define NULL_LEN_DIGITS 5                 /* digits of NULL_MAX_QUERY */
#define NULL_RBUF (NULL_MAX_QUERY + NULL_LEN_DIGITS + 2)
#define NULL_MAX_OUT 4096
#define NULL_MAX_THREADS 64
#define NULL_EVENTS 256
#define NULL_TICK_MS 200
#define NULL_BACKLOG 4096

static const char reply[] = "9:NOTFOUND ,";
#define REPLY_LEN (sizeof(reply) - 1)

struct conn {
	int fd;
	size_t rlen;           /* bytes in rbuf */
	size_t olen, ooff;     /* queued reply bytes, bytes of them sent */
	int want_out;
	char rbuf[NULL_RBUF];
	char obuf[NULL_MAX_OUT];
};

static int listen_fd = -1;
static const char *unix_path;
static volatile sig_atomic_t stop_signal;
static atomic_ullong total_requests, total_conns;

static void die(const char *what)
{
	fprintf(stderr, "nullserver: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int listen_on(const char *addr)
{
	int fd, one = 1;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun;
		size_t len = strlen(addr + 5);

		if (len == 0 || len >= sizeof(sun.sun_path)) {
			fprintf(stderr, "nullserver: bad unix path %s\n", addr);
			exit(2);
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, addr + 5, len);
		unlink(sun.sun_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			die("socket");
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			die(addr);
		chmod(sun.sun_path, 0666);
		unix_path = addr + 5;
	} else if (strncmp(addr, "inet:", 5) == 0) {
		char host[256];
		const char *h = addr + 5, *port, *end;
		size_t hlen;
		struct addrinfo hints, *res;
		int rc;

		if (*h == '[' && (end = strchr(h, ']')) && end[1] == ':') {
			h++;
			hlen = (size_t)(end - h);
			port = end + 2;
		} else if ((end = strrchr(h, ':'))) {
			hlen = (size_t)(end - h);
			port = end + 1;
		} else {
			hlen = 0;
			port = "";
		}
		if (hlen == 0 || hlen >= sizeof(host) || !*port) {
			fprintf(stderr, "nullserver: bad address %s (inet:HOST:PORT)\n", addr);
			exit(2);
		}
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
			fprintf(stderr, "nullserver: %s: %s\n", addr, gai_strerror(rc));
			exit(1);
		}
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
			die(addr);
		freeaddrinfo(res);
	} else {
		fprintf(stderr, "nullserver: listen address must be inet:HOST:PORT or unix:PATH\n");
		exit(2);
	}
	if (listen(fd, NULL_BACKLOG) < 0)
		die("listen");
	return fd;
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	free(c);
}

static int conn_set_events(int ep, struct conn *c, int out)
{
	struct epoll_event ev;

	if (c->want_out == out)
		return 0;
	memset(&ev, 0, sizeof(ev));
	/* While replies are queued, wait for POLLOUT only: no more reading
	 * until the client takes them (bounded output). */
	ev.events = out ? EPOLLOUT : EPOLLIN;
	ev.data.ptr = c;
	c->want_out = out;
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends queued replies. 0 ok (maybe not all), -1 broken. */
static int conn_flush(int ep, struct conn *c)
{
	while (c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return conn_set_events(ep, c, 1);
			return -1;
		}
		c->ooff += (size_t)n;
	}
	c->olen = c->ooff = 0;
	return conn_set_events(ep, c, 0);
}

/*
 * Takes every complete request off rbuf and queues a reply for each.
 * Returns 0, or -1 on a malformed netstring.
 */
static int conn_parse(struct conn *c, unsigned long long *nreq)
{
	size_t off = 0;

	while (off < c->rlen) {
		size_t i = off, len = 0;

		while (i < c->rlen && c->rbuf[i] >= '0' && c->rbuf[i] <= '9') {
			if (i - off >= NULL_LEN_DIGITS)
				return -1;
			len = len * 10 + (size_t)(c->rbuf[i] - '0');
			i++;
		}
		if (i == c->rlen)
			break; /* length not complete */
		if (i == off || c->rbuf[i] != ':' || len > NULL_MAX_QUERY ||
		    (c->rbuf[off] == '0' && i - off > 1))
			return -1;
		i++;
		if (c->rlen - i < len + 1)
			break;
		if (c->rbuf[i + len] != ',')
			return -1;
		if (c->olen + REPLY_LEN > NULL_MAX_OUT)
			break; /* answer the rest after the queue drained */
		memcpy(c->obuf + c->olen, reply, REPLY_LEN);
		c->olen += REPLY_LEN;
		(*nreq)++;
		off = i + len + 1;
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 0;
}

/* Answers every complete request in rbuf, as far as the reply queue
 * takes them.  Returns 0, or -1 when the connection is done. */
static int conn_process(int ep, struct conn *c, unsigned long long *nreq)
{
	for (;;) {
		size_t before = c->rlen;

		if (conn_parse(c, nreq) < 0 || conn_flush(ep, c) < 0)
			return -1;
		if (c->olen > 0 || c->rlen == before || c->rlen == 0)
			return 0; /* waiting for EPOLLOUT, or for more input */
	}
}

/* Readable: returns 0, or -1 when the connection is done.  A full rbuf
 * always holds one complete request (NULL_RBUF fits the longest), so
 * conn_process() makes room unless the reply queue is full, and then we
 * wait for EPOLLOUT, not EPOLLIN. */
static int conn_readable(int ep, struct conn *c, unsigned long long *nreq)
{
	ssize_t n;

	do {
		n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	if (n == 0)
		return -1;
	c->rlen += (size_t)n;
	return conn_process(ep, c, nreq);
}

/* Writable: sends the queue; once drained, answers requests that were
 * left in rbuf while it was full. */
static int conn_writable(int ep, struct conn *c, unsigned long long *nreq)
{
	if (conn_flush(ep, c) < 0)
		return -1;
	return c->olen == 0 ? conn_process(ep, c, nreq) : 0;
}

static void accept_all(int ep)
{
	for (;;) {
		struct epoll_event ev;
		struct conn *c;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				fprintf(stderr, "nullserver: accept: %s\n", strerror(errno));
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!(c = malloc(sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->rlen = c->olen = c->ooff = 0;
		c->want_out = 0;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_free(c);
			continue;
		}
		atomic_fetch_add(&total_conns, 1);
	}
}

static void *worker(void *arg)
{
	struct epoll_event evs[NULL_EVENTS], ev;
	unsigned long long nreq = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	(void)arg;
	if (ep < 0)
		die("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = NULL; /* the listener */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
		die("epoll_ctl listener");
	while (!stop_signal) {
		int n = epoll_wait(ep, evs, NULL_EVENTS, NULL_TICK_MS);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (!c) {
				accept_all(ep);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				r = conn_writable(ep, c, &nreq);
			else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				r = conn_readable(ep, c, &nreq);
			else
				r = 0;
			if (r < 0)
				conn_free(c);
		}
	}
	atomic_fetch_add(&total_requests, nreq);
	close(ep);
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nullserver [-t THREADS] [-T SECONDS] inet:HOST:PORT|unix:PATH\n"
		"  Answers every socketmap request \"NOTFOUND \".\n"
		"  -t N  threads sharing the listener (1)\n"
		"  -T S  exit after S seconds (0: only on SIGTERM/SIGINT)\n");
}

int main(int argc, char **argv)
{
	pthread_t tids[NULL_MAX_THREADS];
	struct sigaction sa;
	long threads = 1, lifetime = 0;
	int ch;

	while ((ch = getopt(argc, argv, "t:T:h")) != -1) {
		char *end;

		switch (ch) {
		case 't':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (errno || *end || threads < 1 || threads > NULL_MAX_THREADS) {
				fprintf(stderr, "nullserver: threads must be 1..%d\n", NULL_MAX_THREADS);
				return 2;
			}
			break;
		case 'T':
			errno = 0;
			lifetime = strtol(optarg, &end, 10);
			if (errno || *end || lifetime < 0) {
				fprintf(stderr, "nullserver: bad lifetime %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	listen_fd = listen_on(argv[optind]);

	for (long i = 1; i < threads; i++)
		if ((errno = pthread_create(&tids[i], NULL, worker, NULL)) != 0)
			die("pthread_create");
	if (lifetime > 0) {
		/* The main thread's loop stops on the flag; a timer sets it. */
		sigaction(SIGALRM, &sa, NULL);
		alarm((unsigned)lifetime);
	}
	worker(NULL);
	stop_signal = 1; /* the other threads see it within one tick */
	for (long i = 1; i < threads; i++)
		pthread_join(tids[i], NULL);
	if (unix_path)
		unlink(unix_path);
	fprintf(stderr, "nullserver: %llu connections, %llu requests answered\n",
		(unsigned long long)total_conns, (unsigned long long)total_requests);
	return 0;
}
