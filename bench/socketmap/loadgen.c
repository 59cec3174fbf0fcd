/* SPDX-License-Identifier: MIT */
/*
 * loadgen - load generator for Postfix socketmap servers (benchmark only).
 *
 * Opens N persistent connections to inet:HOST:PORT or unix:PATH and keeps
 * exactly one request in flight on each, as Postfix's smtp(8) processes
 * do: send the netstring "NAME KEY", wait for the one reply netstring,
 * send the next.  Keys come from a key-list file (one per line, '#'
 * comments and blank lines skipped), cycled; connection i starts at key
 * i * nkeys / N so the connections do not walk in step.  After a warm-up
 * it counts for a fixed duration and prints lookups/s, latency
 * percentiles (from a log-linear histogram, 0.2% resolution) and the
 * replies by kind (OK, NOTFOUND, TEMP, TIMEOUT, PERM, other).
 *
 * --hold mode opens N connections, does one lookup on each, reports
 * "ready" on stdout and then keeps them idle for the duration (used to
 * measure a server's memory with many idle clients).
 *
 * Single thread, epoll, non-blocking sockets; partial reads and writes
 * are resumed.  The run always ends by itself: warm-up + duration, plus
 * at most the request timeout while connecting.
 *
 * LIMITS: LOADGEN_MAX_CONNS connections, LOADGEN_MAX_KEYS keys,
 * LOADGEN_MAX_QUERY bytes per request and LOADGEN_MAX_REPLY bytes per
 * reply (Postfix's socketmap limits); a longer reply is a framing error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOADGEN_MAX_CONNS 100000
#define LOADGEN_MAX_KEYS 10000000
#define LOADGEN_MAX_QUERY 10000   /* Postfix dict_sockmap: query limit */
#define LOADGEN_MAX_REPLY 100000  /* Postfix dict_sockmap: reply limit */
#define LOADGEN_MAX_LEN_DIGITS 6  /* digits of LOADGEN_MAX_REPLY */
#define LOADGEN_RBUF_INIT 256
#define LOADGEN_EVENTS 256
#define LOADGEN_TICK_MS 50

/* Log-linear histogram of nanoseconds: exact below 2^HIST_SUB_BITS,
 * then 2^(HIST_SUB_BITS-1) buckets per power of two. */
#define HIST_SUB_BITS 10
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_HALF (HIST_SUB / 2)
#define HIST_MAX_BITS 42 /* 2^42 ns = 73 min, far beyond any run */
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_BITS - HIST_SUB_BITS) * HIST_HALF)

enum kind { K_OK, K_NOTFOUND, K_TEMP, K_TIMEOUT, K_PERM, K_OTHER, K_COUNT };
static const char *const kind_name[K_COUNT] = {
	"OK", "NOTFOUND", "TEMP", "TIMEOUT", "PERM", "other"
};
static const char *const kind_json[K_COUNT] = {
	"ok", "notfound", "temp", "timeout", "perm", "other"
};

struct conn {
	int fd;            /* -1: dead */
	size_t key;        /* index of the request in flight */
	size_t woff;       /* bytes of it written */
	int busy;          /* a request is in flight */
	int want_out;      /* EPOLLOUT registered */
	uint64_t t_start;  /* ns, when the request was started */
	char *rbuf;
	size_t rlen, rcap;
};

struct stats {
	uint64_t hist[HIST_BUCKETS];
	uint64_t n, sum_ns, max_ns;
	uint64_t all;              /* replies of the whole run, warm-up too */
	uint64_t kinds[K_COUNT];
	uint64_t closed, timeouts, framing, reconnects, connect_fail;
};

static struct {
	const char *target, *keyfile, *map, *expect;
	long conns;
	double duration, warmup, timeout;
	int json, hold, quiet;
} opt = { NULL, NULL, "tls_policy", NULL, 1, 5.0, 1.0, 10.0, 0, 0, 0 };

static struct sockaddr_storage peer;
static socklen_t peer_len;

static char *reqs;         /* all requests, framed, back to back */
static size_t *req_off;    /* nkeys + 1 offsets into reqs */
static size_t nkeys;

static struct conn *conns;
static int epfd = -1;
static struct stats st;
static volatile sig_atomic_t stop_signal;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- histogram ---- */

static unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb >= HIST_MAX_BITS)
		return HIST_BUCKETS - 1;
	shift = msb - (HIST_SUB_BITS - 1);
	return HIST_SUB + (msb - HIST_SUB_BITS) * HIST_HALF +
	       (unsigned)((v >> shift) - HIST_HALF);
}

/* Highest value that falls into bucket i. */
static uint64_t hist_value(unsigned i)
{
	unsigned msb, shift;
	uint64_t lo;

	if (i < HIST_SUB)
		return i;
	msb = HIST_SUB_BITS + (i - HIST_SUB) / HIST_HALF;
	shift = msb - (HIST_SUB_BITS - 1);
	lo = ((uint64_t)((i - HIST_SUB) % HIST_HALF) + HIST_HALF) << shift;
	return lo + ((uint64_t)1 << shift) - 1;
}

static uint64_t hist_percentile(double p)
{
	uint64_t want, seen = 0;

	if (st.n == 0)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)st.n + 0.5);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += st.hist[i];
		if (seen >= want)
			return hist_value(i) < st.max_ns ? hist_value(i) : st.max_ns;
	}
	return st.max_ns;
}

/* ---- setup ---- */

static void parse_target(const char *t)
{
	if (strncmp(t, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&peer;
		size_t len = strlen(t + 5);

		if (len == 0 || len >= sizeof(sun->sun_path))
			die("bad unix socket path in %s", t);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, t + 5, len + 1);
		peer_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	} else if (strncmp(t, "inet:", 5) == 0) {
		char host[256];
		const char *h = t + 5, *port;
		size_t hlen;
		struct addrinfo hints, *res;
		int rc;

		if (*h == '[') {
			const char *end = strchr(h, ']');

			if (!end || end[1] != ':')
				die("bad target %s (inet:[V6ADDR]:PORT)", t);
			h++;
			hlen = (size_t)(end - h);
			port = end + 2;
		} else {
			const char *colon = strrchr(h, ':');

			if (!colon)
				die("bad target %s (inet:HOST:PORT)", t);
			hlen = (size_t)(colon - h);
			port = colon + 1;
		}
		if (hlen == 0 || hlen >= sizeof(host) || *port == '\0')
			die("bad target %s", t);
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
			die("%s: %s", t, gai_strerror(rc));
		memcpy(&peer, res->ai_addr, res->ai_addrlen);
		peer_len = res->ai_addrlen;
		freeaddrinfo(res);
	} else {
		die("target must be inet:HOST:PORT or unix:PATH, not %s", t);
	}
}

/* Reads the key list and frames every request once. */
static void load_keys(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t linecap = 0, cap = 0, len = 0, offcap = 0, maplen = strlen(opt.map);
	ssize_t n;

	if (!fp)
		die("%s: %s", path, strerror(errno));
	while ((n = getline(&line, &linecap, fp)) >= 0) {
		char *s = line, hdr[16];
		size_t klen, plen;
		int hlen;

		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
				 s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++, n--;
		if (n <= 0 || *s == '#')
			continue;
		klen = (size_t)n;
		plen = maplen + 1 + klen;
		if (plen > LOADGEN_MAX_QUERY)
			die("%s: key of %zu bytes is over the query limit", path, klen);
		if (nkeys >= LOADGEN_MAX_KEYS)
			die("%s: more than %d keys", path, LOADGEN_MAX_KEYS);
		hlen = snprintf(hdr, sizeof(hdr), "%zu:", plen);
		while (len + (size_t)hlen + plen + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (!(reqs = realloc(reqs, cap)))
				die("out of memory");
		}
		if (nkeys + 2 > offcap) {
			offcap = offcap ? offcap * 2 : 4096;
			if (!(req_off = realloc(req_off, offcap * sizeof(*req_off))))
				die("out of memory");
		}
		req_off[nkeys++] = len;
		memcpy(reqs + len, hdr, (size_t)hlen);
		len += (size_t)hlen;
		memcpy(reqs + len, opt.map, maplen);
		len += maplen;
		reqs[len++] = ' ';
		memcpy(reqs + len, s, klen);
		len += klen;
		reqs[len++] = ',';
	}
	if (ferror(fp))
		die("%s: read error", path);
	free(line);
	fclose(fp);
	if (nkeys == 0)
		die("%s: no keys", path);
	req_off[nkeys] = len;
}

static int conn_open(struct conn *c)
{
	int fd, one = 1;
	struct epoll_event ev;

	fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s (raise ulimit -n?)", strerror(errno));
	/* Blocking connect: on loopback it completes in the kernel, before
	 * the server even calls accept(). */
	if (connect(fd, (struct sockaddr *)&peer, peer_len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (peer.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	c->fd = fd;
	c->busy = 0;
	c->want_out = 0;
	c->rlen = 0;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd); /* also removes it from the epoll set */
		c->fd = -1;
	}
	c->busy = 0;
	c->rlen = 0;
}

static void set_out(struct conn *c, int on)
{
	struct epoll_event ev;

	if (c->want_out == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	c->want_out = on;
}

/* Writes what is left of the request in flight. 0 ok (maybe partial),
 * -1 connection broken. */
static int conn_flush(struct conn *c)
{
	const char *req = reqs + req_off[c->key];
	size_t len = req_off[c->key + 1] - req_off[c->key];

	while (c->woff < len) {
		ssize_t n = send(c->fd, req + c->woff, len - c->woff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_out(c, 1);
				return 0;
			}
			return -1;
		}
		c->woff += (size_t)n;
	}
	set_out(c, 0);
	return 0;
}

static int conn_send(struct conn *c, uint64_t now)
{
	c->busy = 1;
	c->woff = 0;
	c->t_start = now;
	return conn_flush(c);
}

static int in_window(uint64_t t, uint64_t t_from, uint64_t t_to)
{
	return t >= t_from && t < t_to;
}

/*
 * Tries to take one reply netstring off c->rbuf.  Returns 1 with the
 * payload in *p / *plen, 0 when more bytes are needed, -1 on a framing
 * error.
 */
static int reply_parse(struct conn *c, const char **p, size_t *plen)
{
	size_t i = 0, len = 0;

	while (i < c->rlen && c->rbuf[i] >= '0' && c->rbuf[i] <= '9') {
		if (i >= LOADGEN_MAX_LEN_DIGITS)
			return -1;
		len = len * 10 + (size_t)(c->rbuf[i] - '0');
		i++;
	}
	if (i == c->rlen)
		return 0;
	if (i == 0 || c->rbuf[i] != ':' || len > LOADGEN_MAX_REPLY)
		return -1;
	i++;
	if (c->rlen - i < len + 1) {
		if (c->rcap < i + len + 1) {
			char *nb = realloc(c->rbuf, i + len + 1);

			if (!nb)
				die("out of memory");
			c->rbuf = nb;
			c->rcap = i + len + 1;
		}
		return 0;
	}
	if (c->rbuf[i + len] != ',')
		return -1;
	if (c->rlen != i + len + 1)
		return -1; /* bytes beyond the one reply we asked for */
	*p = c->rbuf + i;
	*plen = len;
	return 1;
}

static enum kind reply_kind(const char *p, size_t len)
{
	static const struct { const char *word; size_t len; enum kind k; } w[] = {
		{ "OK ", 3, K_OK }, { "NOTFOUND ", 9, K_NOTFOUND },
		{ "TEMP ", 5, K_TEMP }, { "TIMEOUT ", 8, K_TIMEOUT },
		{ "PERM ", 5, K_PERM },
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (len >= w[i].len && memcmp(p, w[i].word, w[i].len) == 0)
			return w[i].k;
	return K_OTHER;
}

static void conn_reopen(struct conn *c, int count, uint64_t now)
{
	conn_close(c);
	if (conn_open(c) < 0) {
		if (count)
			st.connect_fail++;
		return;
	}
	if (count)
		st.reconnects++;
	if (conn_send(c, now) < 0)
		conn_close(c);
}

enum { READ_MORE = 0, READ_REPLY = 1, READ_CLOSED = -1, READ_FRAMING = -2 };

/*
 * Handles readable data.  Returns READ_REPLY when a reply completed (it
 * is counted when it completed inside [t_from, t_to)), READ_MORE when
 * more bytes are needed, READ_CLOSED / READ_FRAMING when the connection
 * is broken (the caller counts and closes or reopens it).
 */
static int conn_read(struct conn *c, uint64_t now, uint64_t t_from,
		     uint64_t t_to)
{
	const char *p;
	size_t plen;
	int r;

	for (;;) {
		ssize_t n;

		if (c->rlen == c->rcap) {
			size_t nc = c->rcap ? c->rcap * 2 : LOADGEN_RBUF_INIT;
			char *nb;

			if (nc > LOADGEN_MAX_REPLY + LOADGEN_MAX_LEN_DIGITS + 2)
				nc = LOADGEN_MAX_REPLY + LOADGEN_MAX_LEN_DIGITS + 2;
			if (nc <= c->rcap)
				return READ_FRAMING;
			if (!(nb = realloc(c->rbuf, nc)))
				die("out of memory");
			c->rbuf = nb;
			c->rcap = nc;
		}
		n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return READ_MORE;
		if (n <= 0)
			return READ_CLOSED;
		if (!c->busy)
			return READ_FRAMING; /* unsolicited bytes */
		c->rlen += (size_t)n;
		r = reply_parse(c, &p, &plen);
		if (r < 0)
			return READ_FRAMING;
		if (r == 1)
			break;
		/* Need more: read on (saves an epoll round trip when the rest
		 * is already queued; EAGAIN ends it). */
	}

	st.all++;
	if (in_window(now, t_from, t_to)) {
		uint64_t lat = now - c->t_start;

		st.hist[hist_index(lat)]++;
		st.n++;
		st.sum_ns += lat;
		if (lat > st.max_ns)
			st.max_ns = lat;
		st.kinds[reply_kind(p, plen)]++;
	}
	c->rlen = 0;
	c->busy = 0;
	if (++c->key == nkeys)
		c->key = 0;
	return READ_REPLY;
}

/* Load mode: counts a broken connection (inside the window) and reopens
 * it with a fresh request. */
static void conn_broken(struct conn *c, int why, uint64_t now, uint64_t t_from,
			uint64_t t_to)
{
	if (in_window(now, t_from, t_to)) {
		if (why == READ_FRAMING)
			st.framing++;
		else
			st.closed++;
	}
	conn_reopen(c, in_window(now, t_from, t_to), now);
}

/* Connections busy for longer than the timeout are counted, closed and
 * reopened. */
static void check_timeouts(uint64_t now, uint64_t t_from, uint64_t t_to,
			   int reopen)
{
	uint64_t limit = (uint64_t)(opt.timeout * 1e9);

	for (long i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];

		if (c->fd >= 0 && c->busy && now - c->t_start > limit) {
			if (in_window(now, t_from, t_to) || !reopen)
				st.timeouts++;
			if (reopen)
				conn_reopen(c, in_window(now, t_from, t_to), now);
			else
				conn_close(c);
		}
	}
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* CPU seconds this process used so far (user + system). */
static void cpu_used(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void print_results(double measured)
{
	double rate = measured > 0 ? (double)st.n / measured : 0;
	double mean = st.n ? (double)st.sum_ns / (double)st.n / 1e3 : 0;
	double p50 = (double)hist_percentile(50) / 1e3;
	double p90 = (double)hist_percentile(90) / 1e3;
	double p99 = (double)hist_percentile(99) / 1e3;
	double p999 = (double)hist_percentile(99.9) / 1e3;
	double max = (double)st.max_ns / 1e3;
	double cu, cs;

	cpu_used(&cu, &cs);
	if (opt.json) {
		printf("{\"target\":");
		printf("\"%s\"", opt.target); /* checked printable in main */
		printf(",\"map\":\"%s\",\"keys\":%zu,\"connections\":%ld,"
		       "\"warmup_s\":%.3f,\"duration_s\":%.3f,"
		       "\"lookups\":%llu,\"lookups_all\":%llu,\"lookups_per_s\":%.1f,"
		       "\"latency_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
		       "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},\"replies\":{",
		       opt.map, nkeys, opt.conns, opt.warmup, measured,
		       (unsigned long long)st.n, (unsigned long long)st.all, rate,
		       mean, p50, p90, p99, p999, max);
		for (int k = 0; k < K_COUNT; k++)
			printf("%s\"%s\":%llu", k ? "," : "", kind_json[k],
			       (unsigned long long)st.kinds[k]);
		printf("},\"errors\":{\"closed\":%llu,\"timeouts\":%llu,"
		       "\"framing\":%llu,\"reconnects\":%llu,\"connect_failed\":%llu},"
		       "\"cpu_s\":{\"user\":%.3f,\"sys\":%.3f}}\n",
		       (unsigned long long)st.closed, (unsigned long long)st.timeouts,
		       (unsigned long long)st.framing, (unsigned long long)st.reconnects,
		       (unsigned long long)st.connect_fail, cu, cs);
		return;
	}
	printf("target      %s  map %s  keys %zu  connections %ld\n",
	       opt.target, opt.map, nkeys, opt.conns);
	printf("lookups     %llu in %.2f s (after %.2f s warm-up) = %.0f lookups/s\n",
	       (unsigned long long)st.n, measured, opt.warmup, rate);
	printf("latency us  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       mean, p50, p90, p99, p999, max);
	printf("replies    ");
	for (int k = 0; k < K_COUNT; k++)
		printf(" %s %llu", kind_name[k], (unsigned long long)st.kinds[k]);
	printf("\nerrors      closed %llu  timeouts %llu  framing %llu  reconnects %llu  connect-failed %llu\n",
	       (unsigned long long)st.closed, (unsigned long long)st.timeouts,
	       (unsigned long long)st.framing, (unsigned long long)st.reconnects,
	       (unsigned long long)st.connect_fail);
	printf("loadgen cpu user %.2f s  sys %.2f s\n", cu, cs);
}

/* 1 when the run met --expect and had no errors. */
static int run_ok(void)
{
	if (st.n == 0 || st.closed || st.timeouts || st.framing || st.connect_fail)
		return 0;
	if (opt.expect) {
		for (int k = 0; k < K_COUNT; k++)
			if (strcasecmp(opt.expect, kind_name[k]) == 0)
				return st.kinds[k] == st.n;
		return 0;
	}
	return 1;
}

static void open_all(void)
{
	uint64_t t = now_ns();

	for (long i = 0; i < opt.conns; i++) {
		conns[i].fd = -1;
		conns[i].key = (size_t)((unsigned long long)i * nkeys / (unsigned long long)opt.conns);
		if (conn_open(&conns[i]) < 0)
			die("connect %s (connection %ld): %s", opt.target, i + 1,
			    strerror(errno));
		if (stop_signal)
			die("interrupted");
	}
	if (!opt.quiet && !opt.json)
		fprintf(stderr, "loadgen: %ld connections open in %.2f s\n",
			opt.conns, secs(now_ns() - t));
}

static int run_load(void)
{
	struct epoll_event evs[LOADGEN_EVENTS];
	uint64_t t0, t_from, t_to, now, last_check;

	open_all();
	t0 = now_ns();
	t_from = t0 + (uint64_t)(opt.warmup * 1e9);
	t_to = t_from + (uint64_t)(opt.duration * 1e9);
	for (long i = 0; i < opt.conns; i++)
		if (conn_send(&conns[i], t0) < 0)
			conn_reopen(&conns[i], 0, t0);
	last_check = t0;
	for (;;) {
		int n = epoll_wait(epfd, evs, LOADGEN_EVENTS, LOADGEN_TICK_MS);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (c->fd < 0)
				continue; /* closed earlier in this batch */
			now = now_ns();
			if ((evs[i].events & EPOLLOUT) && conn_flush(c) < 0) {
				conn_broken(c, READ_CLOSED, now, t_from, t_to);
				continue;
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				continue;
			r = conn_read(c, now, t_from, t_to);
			if (r == READ_REPLY && conn_send(c, now) < 0)
				r = READ_CLOSED;
			if (r < 0)
				conn_broken(c, r, now, t_from, t_to);
		}
		now = now_ns();
		if (now >= t_to || stop_signal)
			break;
		if (now - last_check > 100000000u) {
			long alive = 0;

			check_timeouts(now, t_from, t_to, 1);
			for (long i = 0; i < opt.conns; i++)
				alive += conns[i].fd >= 0;
			if (alive == 0)
				die("every connection failed");
			last_check = now;
		}
	}
	now = now_ns();
	if (stop_signal && now < t_to)
		t_to = now > t_from ? now : t_from;
	print_results(secs(t_to - t_from));
	return run_ok() ? 0 : 1;
}

/* --hold: one lookup per connection, then idle for the duration. */
static int run_hold(void)
{
	struct epoll_event evs[LOADGEN_EVENTS];
	uint64_t t0, deadline, now;
	long pending, alive;

	open_all();
	t0 = now_ns();
	for (long i = 0; i < opt.conns; i++)
		if (conn_send(&conns[i], t0) < 0)
			die("send on connection %ld: %s", i + 1, strerror(errno));
	pending = opt.conns;
	deadline = t0 + (uint64_t)(opt.timeout * 1e9);
	/* Every reply is counted: t_from = 0, t_to = max. */
	while (pending > 0) {
		int n = epoll_wait(epfd, evs, LOADGEN_EVENTS, LOADGEN_TICK_MS);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		now = now_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (c->fd < 0)
				continue;
			if ((evs[i].events & EPOLLOUT) && conn_flush(c) < 0) {
				st.closed++;
				conn_close(c);
				pending--;
				continue;
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				continue;
			r = conn_read(c, now, 0, UINT64_MAX);
			if (r == READ_MORE)
				continue;
			if (r < 0) {
				if (r == READ_FRAMING)
					st.framing++;
				else
					st.closed++;
				conn_close(c);
			}
			pending--;
		}
		if (now > deadline || stop_signal) {
			check_timeouts(UINT64_MAX, 0, UINT64_MAX, 0);
			break;
		}
	}
	alive = 0;
	for (long i = 0; i < opt.conns; i++)
		alive += conns[i].fd >= 0;
	printf("ready: %ld of %ld connections open after one lookup each "
	       "(%.2f s); holding for %.1f s\n",
	       alive, opt.conns, secs(now_ns() - t0), opt.duration);
	fflush(stdout);

	deadline = now_ns() + (uint64_t)(opt.duration * 1e9);
	while (!stop_signal && (now = now_ns()) < deadline) {
		int n = epoll_wait(epfd, evs, LOADGEN_EVENTS, LOADGEN_TICK_MS);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			char b[256];

			if (c->fd < 0)
				continue;
			/* The server should stay silent; anything is EOF or junk. */
			if (recv(c->fd, b, sizeof(b), 0) >= 0 || errno != EAGAIN) {
				st.closed++;
				conn_close(c);
			}
		}
	}
	alive = 0;
	for (long i = 0; i < opt.conns; i++)
		alive += conns[i].fd >= 0;
	if (opt.json) {
		printf("{\"target\":\"%s\",\"connections\":%ld,\"open_at_end\":%ld,"
		       "\"replies\":{", opt.target, opt.conns, alive);
		for (int k = 0; k < K_COUNT; k++)
			printf("%s\"%s\":%llu", k ? "," : "", kind_json[k],
			       (unsigned long long)st.kinds[k]);
		printf("},\"closed\":%llu,\"timeouts\":%llu,\"framing\":%llu}\n",
		       (unsigned long long)st.closed, (unsigned long long)st.timeouts,
		       (unsigned long long)st.framing);
	} else {
		printf("held: %ld of %ld connections still open at the end; "
		       "closed %llu timeouts %llu framing %llu\n", alive, opt.conns,
		       (unsigned long long)st.closed, (unsigned long long)st.timeouts,
		       (unsigned long long)st.framing);
	}
	return alive == opt.conns ? 0 : 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: loadgen [options] -k KEYFILE inet:HOST:PORT|unix:PATH\n"
		"  -c, --connections N  persistent connections, one request in flight each (1)\n"
		"  -d, --duration S     measured seconds (5); with --hold: seconds to hold\n"
		"  -w, --warmup S       seconds before measuring (1)\n"
		"  -k, --keys FILE      key list, one key per line, cycled\n"
		"  -m, --map NAME       socketmap name sent with each key (tls_policy)\n"
		"  -t, --timeout S      a request unanswered this long counts as timeout (10)\n"
		"  -e, --expect KIND    exit 1 unless every reply is KIND (ok, notfound, ...)\n"
		"      --hold           open N connections, one lookup each, hold them idle\n"
		"      --json           one JSON object on stdout\n"
		"  -q, --quiet          no progress messages on stderr\n"
		"Exit: 0 ok, 1 errors (closed, timeouts, framing, --expect not met), 2 usage.\n");
}

static double parse_secs(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 86400) {
		fprintf(stderr, "loadgen: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "map", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'e' },
		{ "hold", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:d:w:k:m:t:e:qh", longopts, NULL)) != -1) {
		char *end;

		switch (ch) {
		case 'c':
			errno = 0;
			opt.conns = strtol(optarg, &end, 10);
			if (errno || *end || opt.conns < 1 || opt.conns > LOADGEN_MAX_CONNS) {
				fprintf(stderr, "loadgen: connections must be 1..%d\n",
					LOADGEN_MAX_CONNS);
				return 2;
			}
			break;
		case 'd': opt.duration = parse_secs(optarg, "duration"); break;
		case 'w': opt.warmup = parse_secs(optarg, "warm-up"); break;
		case 't': opt.timeout = parse_secs(optarg, "timeout"); break;
		case 'k': opt.keyfile = optarg; break;
		case 'm': opt.map = optarg; break;
		case 'e': opt.expect = optarg; break;
		case 'H': opt.hold = 1; break;
		case 'J': opt.json = 1; break;
		case 'q': opt.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !opt.keyfile) {
		usage(stderr);
		return 2;
	}
	opt.target = argv[optind];
	for (const char *s = opt.target; *s; s++)
		if (*s < 0x20 || *s == '"' || *s == '\\' || (unsigned char)*s >= 0x7f) {
			fprintf(stderr, "loadgen: target has odd characters\n");
			return 2;
		}
	for (const char *s = opt.map; *s; s++)
		if (*s <= 0x20 || *s == '"' || *s == '\\' || (unsigned char)*s >= 0x7f) {
			fprintf(stderr, "loadgen: map name must be printable, no spaces\n");
			return 2;
		}
	if (opt.duration <= 0 || opt.timeout <= 0) {
		fprintf(stderr, "loadgen: duration and timeout must be > 0\n");
		return 2;
	}
	parse_target(opt.target);
	load_keys(opt.keyfile);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!(conns = calloc((size_t)opt.conns, sizeof(*conns))))
		die("out of memory");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	return opt.hold ? run_hold() : run_load();
}
