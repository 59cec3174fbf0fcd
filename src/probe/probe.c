/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the SMTP/STARTTLS probe state machine on libevent (see
 * probe.h).
 *
 * Life of a probe: queued -> resolve (A, AAAA, TLSA in parallel) ->
 * for each address: connect -> banner -> EHLO -> [STARTTLS -> TLS
 * handshake -> EHLO] -> QUIT -> callback.  One event (read or write,
 * with the step timeout) is armed at a time; every wait re-arms it.  A
 * socket error or timeout ends the attempt on this address; what has
 * been learnt stays in the result.
 */
#include "probe/probe.h"
#include "probe/smtp_reply.h"
#include "util/text.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

/* Input buffer: one complete reply plus a partial line. */
#define PROBE_INBUF_MAX (SMTP_REPLY_MAX_BYTES + SMTP_REPLY_MAX_LINE)
#define PROBE_OUTBUF_MAX 1024

enum pstate {
	ST_QUEUED,
	ST_RESOLVE,
	ST_CONNECT,
	ST_BANNER,
	ST_EHLO,
	ST_STARTTLS,
	ST_HANDSHAKE,
	ST_EHLO_TLS,
	ST_QUIT,
	ST_DONE,
};

struct probe_ctx {
	struct event_base *base;
	struct dns *dns;
	SSL_CTX *ssl_ctx;
	unsigned timeout_ms, max_parallel;
	char helo[PROBE_HOST_MAX];
	struct probe_req *head, *tail;   /* every request, in start order */
	size_t running, pending;
	struct event *kick;              /* starts queued probes from the loop */
	int in_start, again;
};

struct probe_req {
	struct probe_ctx *ctx;
	struct probe_req *prev, *next;
	probe_cb cb;
	void *arg;
	struct probe_result *res;
	enum pstate st;
	int is_name;                     /* host is a DNS name */
	char tlsa_base[PROBE_HOST_MAX];  /* "" : no TLSA lookup */

	struct dns_query *qa, *qaaaa, *qtlsa;
	int dns_pending;
	enum dns_sec sec_a, sec_aaaa;
	int have_a, have_aaaa;
	char addrs[PROBE_MAX_ADDRS][INET6_ADDRSTRLEN];
	size_t naddrs, next_addr;
	int had_session;

	int fd;
	SSL *ssl;
	struct event *ev;
	struct buf in, out;
	struct smtp_reply *reply;
	struct timespec t_start, t_step;
	int ssl_want_write;              /* last SSL op wanted to write */
};

static void step_cb(evutil_socket_t fd, short what, void *arg);
static void kick_cb(evutil_socket_t fd, short what, void *arg);
static void next_address(struct probe_req *req);
static void finish(struct probe_req *req);
static void start_queued(struct probe_ctx *ctx);

/* ------------------------------------------------------------------ */

const char *probe_status_name(enum probe_status st)
{
	switch (st) {
	case PROBE_OK: return "ok";
	case PROBE_RESOLVE_FAILED: return "resolve-failed";
	case PROBE_CONNECT_FAILED: return "connect-failed";
	case PROBE_TIMEOUT: return "timeout";
	case PROBE_SMTP_FAILED: return "smtp-failed";
	case PROBE_ERROR: return "error";
	}
	return "?";
}

const char *probe_tls_name(enum probe_tls t)
{
	switch (t) {
	case PROBE_TLS_NONE: return "none";
	case PROBE_TLS_NOT_OFFERED: return "not-offered";
	case PROBE_TLS_REFUSED: return "refused";
	case PROBE_TLS_FAILED: return "failed";
	case PROBE_TLS_OK: return "ok";
	}
	return "?";
}

static unsigned ms_since(const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (unsigned)ms;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		log_fatal("probe: out of memory");
	return p;
}

static char **copy_lines(const struct smtp_reply *r, size_t from, size_t *n)
{
	char **v;

	*n = r->nlines > from ? r->nlines - from : 0;
	if ((v = calloc(*n + 1, sizeof(*v))) == NULL)
		log_fatal("probe: out of memory");
	for (size_t i = 0; i < *n; i++)
		v[i] = xstrdup(smtp_reply_line(r, from + i));
	return v;
}

static void free_lines(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void openssl_error(char *out, size_t outlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		/* cut, not an error: the OpenSSL text is only a detail */
		if (snprintf(out, outlen, "%s: %.200s", what, buf) < 0 && outlen)
			out[0] = '\0';
	} else {
		snprintf(out, outlen, "%s", what);
	}
	ERR_clear_error();
}

/* ------------------------------------------------------------------ */
/* Context                                                            */
/* ------------------------------------------------------------------ */

struct probe_ctx *probe_new(struct event_base *base, struct dns *dns,
			    const struct probe_opts *opts, struct errbuf *why)
{
	struct probe_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	ctx->base = base;
	ctx->dns = dns;
	ctx->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
	ctx->max_parallel = opts && opts->max_parallel ? opts->max_parallel : PROBE_DEFAULT_PARALLEL;
	if (ctx->max_parallel > PROBE_MAX_PARALLEL)
		ctx->max_parallel = PROBE_MAX_PARALLEL;
	if (opts && opts->helo && *opts->helo)
		text_copy(ctx->helo, sizeof(ctx->helo), opts->helo);
	else if (gethostname(ctx->helo, sizeof(ctx->helo) - 1) < 0 || ctx->helo[0] == '\0')
		snprintf(ctx->helo, sizeof(ctx->helo), "localhost");
	ctx->helo[sizeof(ctx->helo) - 1] = '\0';

	if ((ctx->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		char e[256];

		openssl_error(e, sizeof(e), "SSL_CTX_new");
		errbuf_set(why, "%s", e);
		free(ctx);
		return NULL;
	}
	/* As Postfix for opportunistic TLS: take what the server has. */
	SSL_CTX_set_security_level(ctx->ssl_ctx, 0);
	SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_VERSION);
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_verify_depth(ctx->ssl_ctx, 9);
	if (opts && opts->sigalgs && SSL_CTX_set1_sigalgs_list(ctx->ssl_ctx, opts->sigalgs) != 1) {
		errbuf_set(why, "signature algorithms \"%s\" not supported", opts->sigalgs);
		SSL_CTX_free(ctx->ssl_ctx);
		free(ctx);
		return NULL;
	}
	if (opts && opts->ca_file && *opts->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx->ssl_ctx, opts->ca_file, NULL) != 1) {
			char e[256];

			openssl_error(e, sizeof(e), "cannot load");
			errbuf_set(why, "CA file %s: %s", opts->ca_file, e);
			SSL_CTX_free(ctx->ssl_ctx);
			free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx->ssl_ctx) != 1) {
		char e[256];

		openssl_error(e, sizeof(e), "cannot load the system CA store");
		errbuf_set(why, "%s", e);
		SSL_CTX_free(ctx->ssl_ctx);
		free(ctx);
		return NULL;
	}
	if ((ctx->kick = evtimer_new(base, kick_cb, ctx)) == NULL) {
		errbuf_set(why, "cannot create a timer");
		SSL_CTX_free(ctx->ssl_ctx);
		free(ctx);
		return NULL;
	}
	return ctx;
}

struct probe_ctx *probe_new_cfg(struct event_base *base, struct dns *dns,
				const struct config *cfg,
				const struct probe_opts *opts, struct errbuf *why)
{
	struct probe_opts o;

	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	if (o.timeout_ms == 0) {
		unsigned s = config_get_time(cfg, "probe_timeout");

		o.timeout_ms = s ? s * 1000 : PROBE_DEFAULT_TIMEOUT_MS;
	}
	if (o.ca_file == NULL)
		o.ca_file = config_get(cfg, "smtp_ca_file");
	return probe_new(base, dns, &o, why);
}

static void req_unlink(struct probe_req *req)
{
	struct probe_ctx *ctx = req->ctx;

	if (req->prev)
		req->prev->next = req->next;
	else
		ctx->head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	else
		ctx->tail = req->prev;
	req->prev = req->next = NULL;
}

static void result_free(struct probe_result *res)
{
	if (res == NULL)
		return;
	free_lines(res->banner, res->nbanner);
	free(res->ehlo_greeting);
	free_lines(res->ext, res->next);
	free_lines(res->ext_tls, res->next_tls);
	for (size_t i = 0; i < res->nchain; i++)
		cert_info_free(&res->chain[i]);
	for (size_t i = 0; i < res->ntlsa; i++)
		free(res->tlsa[i].data);
	free(res);
}

static void conn_close(struct probe_req *req)
{
	if (req->ev) {
		event_free(req->ev);
		req->ev = NULL;
	}
	if (req->ssl) {
		SSL_free(req->ssl);
		req->ssl = NULL;
	}
	if (req->fd >= 0) {
		close(req->fd);
		req->fd = -1;
	}
	buf_reset(&req->in);
	buf_reset(&req->out);
}

static void req_free(struct probe_req *req)
{
	conn_close(req);
	if (req->qa)
		dns_cancel(req->qa);
	if (req->qaaaa)
		dns_cancel(req->qaaaa);
	if (req->qtlsa)
		dns_cancel(req->qtlsa);
	buf_free(&req->in);
	buf_free(&req->out);
	free(req->reply);
	result_free(req->res);
	free(req);
}

void probe_free(struct probe_ctx *ctx)
{
	if (ctx == NULL)
		return;
	while (ctx->head) {
		struct probe_req *req = ctx->head;

		req_unlink(req);
		req_free(req);
	}
	if (ctx->kick)
		event_free(ctx->kick);
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

size_t probe_pending(const struct probe_ctx *ctx)
{
	return ctx->pending;
}

void probe_cancel(struct probe_req *req)
{
	struct probe_ctx *ctx = req->ctx;
	int was_running = req->st != ST_QUEUED;

	req_unlink(req);
	ctx->pending--;
	if (was_running)
		ctx->running--;
	req_free(req);
	start_queued(ctx);
}

/* ------------------------------------------------------------------ */
/* Starting                                                           */
/* ------------------------------------------------------------------ */

static int is_address(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

struct probe_req *probe_start(struct probe_ctx *ctx,
			      const struct probe_target *t,
			      probe_cb cb, void *arg)
{
	struct probe_req *req = calloc(1, sizeof(*req));
	struct probe_result *res = calloc(1, sizeof(*res));

	if (req == NULL || res == NULL || (req->reply = malloc(sizeof(*req->reply))) == NULL)
		log_fatal("probe: out of memory");
	req->ctx = ctx;
	req->cb = cb;
	req->arg = arg;
	req->res = res;
	req->fd = -1;
	req->st = ST_QUEUED;
	buf_init(&req->in, PROBE_INBUF_MAX);
	buf_init(&req->out, PROBE_OUTBUF_MAX);

	text_copy(res->host, sizeof(res->host), t->host ? t->host : "");
	res->port = t->port ? t->port : 25;
	if (t->servername)
		text_copy(res->servername, sizeof(res->servername), t->servername);
	res->tlsa_sec = DNS_SEC_INDETERMINATE;
	res->addr_sec = DNS_SEC_INDETERMINATE;
	res->dane = "not-checked";
	req->is_name = res->host[0] && !is_address(res->host);
	if (req->is_name)
		text_copy(req->tlsa_base, sizeof(req->tlsa_base), res->host);
	else if (res->servername[0])
		text_copy(req->tlsa_base, sizeof(req->tlsa_base), res->servername);
	for (size_t i = 0; t->addrs && i < t->naddrs && req->naddrs < PROBE_MAX_ADDRS; i++)
		if (is_address(t->addrs[i]))
			text_copy(req->addrs[req->naddrs++], 46, t->addrs[i]);

	req->prev = ctx->tail;
	if (ctx->tail)
		ctx->tail->next = req;
	else
		ctx->head = req;
	ctx->tail = req;
	ctx->pending++;
	/* Never call back from here: start from the loop. */
	if (!evtimer_pending(ctx->kick, NULL)) {
		struct timeval zero = {0, 0};

		evtimer_add(ctx->kick, &zero);
	}
	return req;
}

/* ------------------------------------------------------------------ */
/* Resolution                                                         */
/* ------------------------------------------------------------------ */

static enum dns_sec weaker(enum dns_sec a, enum dns_sec b)
{
	/* bogus < indeterminate < insecure < secure for "all secure?" */
	static const int rank[] = {
		[DNS_SEC_BOGUS] = 0, [DNS_SEC_INDETERMINATE] = 1,
		[DNS_SEC_INSECURE] = 2, [DNS_SEC_SECURE] = 3,
	};
	return rank[a] <= rank[b] ? a : b;
}

static void addr_answer(struct probe_req *req, const struct dns_answer *ans)
{
	for (size_t i = 0; i < ans->count && req->naddrs < PROBE_MAX_ADDRS; i++) {
		char a[INET6_ADDRSTRLEN];

		if (rr_addr(ans->qtype, ans->records[i].data, ans->records[i].len, a,
			    sizeof(a), NULL) == 0)
			text_copy(req->addrs[req->naddrs++], 46, a);
	}
}

static void resolve_done(struct probe_req *req);

static void dns_a_cb(void *arg, const struct dns_answer *ans)
{
	struct probe_req *req = arg;

	req->qa = NULL;
	req->have_a = ans->status == DNS_STATUS_DATA;
	req->sec_a = ans->sec;
	if (ans->status == DNS_STATUS_DATA) {
		/* A first: keep them ahead of AAAA records that came earlier */
		char keep[PROBE_MAX_ADDRS][INET6_ADDRSTRLEN];
		size_t nkeep = req->naddrs;

		memcpy(keep, req->addrs, sizeof(keep));
		req->naddrs = 0;
		addr_answer(req, ans);
		for (size_t i = 0; i < nkeep && req->naddrs < PROBE_MAX_ADDRS; i++)
			memcpy(req->addrs[req->naddrs++], keep[i], 46);
	}
	if (--req->dns_pending == 0)
		resolve_done(req);
}

static void dns_aaaa_cb(void *arg, const struct dns_answer *ans)
{
	struct probe_req *req = arg;

	req->qaaaa = NULL;
	req->have_aaaa = ans->status == DNS_STATUS_DATA;
	req->sec_aaaa = ans->sec;
	if (ans->status == DNS_STATUS_DATA)
		addr_answer(req, ans);
	if (--req->dns_pending == 0)
		resolve_done(req);
}

static void dns_tlsa_cb(void *arg, const struct dns_answer *ans)
{
	struct probe_req *req = arg;
	struct probe_result *res = req->res;

	req->qtlsa = NULL;
	res->tlsa_looked_up = 1;
	res->tlsa_status = ans->status;
	res->tlsa_sec = ans->sec;
	for (size_t i = 0; ans->status == DNS_STATUS_DATA && i < ans->count &&
	     res->ntlsa < PROBE_MAX_TLSA; i++) {
		struct probe_tlsa *t = &res->tlsa[res->ntlsa];
		const struct dns_record *r = &ans->records[i];

		if (r->len < 3)
			continue;
		if ((t->data = malloc(r->len)) == NULL)
			log_fatal("probe: out of memory");
		memcpy(t->data, r->data, r->len);
		if (rr_tlsa(t->data, r->len, &t->rr, NULL) < 0) {
			free(t->data);
			t->data = NULL;
			continue;
		}
		t->usable = tlsa_usable(&t->rr, &t->why_unusable);
		t->depth = -1;
		res->ntlsa++;
	}
	if (--req->dns_pending == 0)
		resolve_done(req);
}

static void resolve_done(struct probe_req *req)
{
	struct probe_result *res = req->res;

	res->ms_resolve = ms_since(&req->t_step);
	if (req->is_name && res->resolved_by_dns) {
		if (req->have_a && req->have_aaaa)
			res->addr_sec = weaker(req->sec_a, req->sec_aaaa);
		else if (req->have_a)
			res->addr_sec = req->sec_a;
		else if (req->have_aaaa)
			res->addr_sec = req->sec_aaaa;
	}
	if (req->naddrs == 0) {
		res->status = PROBE_RESOLVE_FAILED;
		snprintf(res->why, sizeof(res->why), "%s has no A or AAAA record", res->host);
		finish(req);
		return;
	}
	next_address(req);
}

static void begin(struct probe_req *req)
{
	struct probe_ctx *ctx = req->ctx;
	struct probe_result *res = req->res;

	clock_gettime(CLOCK_MONOTONIC, &req->t_start);
	req->t_step = req->t_start;
	req->st = ST_RESOLVE;
	if (res->host[0] == '\0') {
		res->status = PROBE_RESOLVE_FAILED;
		snprintf(res->why, sizeof(res->why), "empty host");
		finish(req);
		return;
	}
	if (req->naddrs == 0 && !req->is_name)
		text_copy(req->addrs[req->naddrs++], 46, res->host);
	if (ctx->dns) {
		if (req->tlsa_base[0]) {
			snprintf(res->tlsa_name, sizeof(res->tlsa_name), "_%u._tcp.%s",
				 res->port, req->tlsa_base);
			req->dns_pending++;
			req->qtlsa = dns_resolve(ctx->dns, res->tlsa_name, DNS_TYPE_TLSA,
						 dns_tlsa_cb, req);
		}
		if (req->naddrs == 0) {
			res->resolved_by_dns = 1;
			req->dns_pending += 2;
			req->qa = dns_resolve(ctx->dns, res->host, DNS_TYPE_A, dns_a_cb, req);
			req->qaaaa = dns_resolve(ctx->dns, res->host, DNS_TYPE_AAAA,
						 dns_aaaa_cb, req);
		}
		if (req->dns_pending > 0)
			return;         /* callbacks come from the loop */
	} else if (req->naddrs == 0) {
		/* No resolver: getaddrinfo (blocks; CLI only). */
		struct addrinfo hints, *ai = NULL, *p;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_ADDRCONFIG;
		if ((rc = getaddrinfo(res->host, NULL, &hints, &ai)) != 0) {
			res->status = PROBE_RESOLVE_FAILED;
			snprintf(res->why, sizeof(res->why), "%s: %s", res->host, gai_strerror(rc));
			finish(req);
			return;
		}
		for (int fam = 0; fam < 2; fam++) {
			for (p = ai; p && req->naddrs < PROBE_MAX_ADDRS; p = p->ai_next) {
				char a[INET6_ADDRSTRLEN];
				const void *src;
				int dup = 0;

				if (p->ai_family != (fam == 0 ? AF_INET : AF_INET6))
					continue;
				src = p->ai_family == AF_INET
					? (const void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
					: (const void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
				if (inet_ntop(p->ai_family, src, a, sizeof(a)) == NULL)
					continue;
				for (size_t i = 0; i < req->naddrs; i++)
					dup |= strcmp(req->addrs[i], a) == 0;
				if (!dup)
					text_copy(req->addrs[req->naddrs++], 46, a);
			}
		}
		freeaddrinfo(ai);
	}
	resolve_done(req);
}

static void start_queued(struct probe_ctx *ctx)
{
	/* begin() may finish (and free) a probe at once, which calls back
	 * here: the nested call only asks the outer loop to rescan. */
	if (ctx->in_start) {
		ctx->again = 1;
		return;
	}
	ctx->in_start = 1;
	do {
		ctx->again = 0;
		for (struct probe_req *req = ctx->head;
		     req && ctx->running < ctx->max_parallel; req = req->next) {
			if (req->st == ST_QUEUED) {
				ctx->running++;
				begin(req);
				ctx->again = 1;
				break;
			}
		}
	} while (ctx->again);
	ctx->in_start = 0;
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_queued(arg);
}

/* ------------------------------------------------------------------ */
/* I/O                                                                */
/* ------------------------------------------------------------------ */

static void wait_io(struct probe_req *req, short what)
{
	struct timeval tv;

	if (req->ev)
		event_free(req->ev);
	req->ev = event_new(req->ctx->base, req->fd, what, step_cb, req);
	if (req->ev == NULL)
		log_fatal("probe: cannot create an event");
	tv.tv_sec = req->ctx->timeout_ms / 1000;
	tv.tv_usec = (req->ctx->timeout_ms % 1000) * 1000;
	event_add(req->ev, &tv);
}

/* The attempt on the current address ends with status. */
static void attempt_end(struct probe_req *req, enum probe_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void attempt_end(struct probe_req *req, enum probe_status st, const char *fmt, ...)
{
	struct probe_result *res = req->res;
	struct probe_attempt *a = &res->attempts[res->nattempts - 1];
	va_list ap;

	a->status = st;
	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
	conn_close(req);
	if (st == PROBE_OK) {
		res->status = PROBE_OK;
		res->why[0] = '\0';
		req->had_session = 1;
		finish(req);
		return;
	} else if (!req->had_session) {
		res->status = st;
		snprintf(res->why, sizeof(res->why), "%s: %s", a->addr, a->why);
	}
	next_address(req);
}

static void send_line(struct probe_req *req, const char *line);

static void fail_io(struct probe_req *req, const char *what, int err)
{
	struct probe_result *res = req->res;

	if (req->st == ST_HANDSHAKE) {
		res->tls = PROBE_TLS_FAILED;
		snprintf(res->tls_why, sizeof(res->tls_why), "%s%s%s", what,
			 err ? ": " : "", err ? strerror(err) : "");
		attempt_end(req, PROBE_OK, "TLS handshake failed");
		return;
	}
	if (req->st == ST_EHLO_TLS || req->st == ST_QUIT) {
		/* The facts are in; the end of the session does not matter. */
		attempt_end(req, PROBE_OK, "session ended: %s%s%s", what,
			    err ? ": " : "", err ? strerror(err) : "");
		return;
	}
	if (req->st == ST_STARTTLS) {
		res->tls = PROBE_TLS_FAILED;
		snprintf(res->tls_why, sizeof(res->tls_why), "no reply to STARTTLS: %s%s%s",
			 what, err ? ": " : "", err ? strerror(err) : "");
		attempt_end(req, PROBE_OK, "session ended after STARTTLS");
		return;
	}
	if (req->st == ST_EHLO) {
		attempt_end(req, PROBE_SMTP_FAILED, "no reply to EHLO: %s%s%s", what,
			    err ? ": " : "", err ? strerror(err) : "");
		return;
	}
	attempt_end(req, PROBE_SMTP_FAILED, "%s%s%s", what, err ? ": " : "",
		    err ? strerror(err) : "");
}

static void handle_reply(struct probe_req *req);

/* Reads what is there and parses; arms the next wait. */
static void read_more(struct probe_req *req)
{
	char tmp[4096];

	for (;;) {
		ssize_t n;
		size_t used = 0;
		struct errbuf why;
		enum smtp_parse_status ps;

		if (req->in.len > 0) {
			ps = smtp_reply_parse(req->in.data, req->in.len, req->reply, &used, &why);
			if (ps == SMTP_PARSE_ERROR) {
				attempt_end(req, PROBE_SMTP_FAILED, "malformed reply: %s", why.msg);
				return;
			}
			if (ps == SMTP_PARSE_DONE) {
				buf_consume(&req->in, used);
				handle_reply(req);
				return;
			}
		}
		if (req->ssl) {
			int r = SSL_read(req->ssl, tmp, sizeof(tmp));

			if (r <= 0) {
				int e = SSL_get_error(req->ssl, r);

				if (e == SSL_ERROR_WANT_READ) {
					wait_io(req, EV_READ);
					return;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					wait_io(req, EV_WRITE);
					return;
				}
				fail_io(req, e == SSL_ERROR_ZERO_RETURN ? "connection closed"
					: "TLS read error", 0);
				ERR_clear_error();
				return;
			}
			n = r;
		} else {
			n = recv(req->fd, tmp, sizeof(tmp), 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				wait_io(req, EV_READ);
				return;
			}
			if (n < 0) {
				fail_io(req, "read error", errno);
				return;
			}
			if (n == 0) {
				fail_io(req, "connection closed by the server", 0);
				return;
			}
		}
		if (buf_append(&req->in, tmp, (size_t)n) < 0) {
			attempt_end(req, PROBE_SMTP_FAILED, "reply longer than %d bytes",
				    PROBE_INBUF_MAX);
			return;
		}
	}
}

/* Writes pending output; then waits for the reply. */
static void flush_out(struct probe_req *req)
{
	while (req->out.len > 0) {
		ssize_t n;

		if (req->ssl) {
			int r = SSL_write(req->ssl, req->out.data, (int)req->out.len);

			if (r <= 0) {
				int e = SSL_get_error(req->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					req->ssl_want_write = 1;
					wait_io(req, e == SSL_ERROR_WANT_WRITE ? EV_WRITE : EV_READ);
					return;
				}
				ERR_clear_error();
				fail_io(req, "TLS write error", 0);
				return;
			}
			n = r;
		} else {
			n = send(req->fd, req->out.data, req->out.len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				wait_io(req, EV_WRITE);
				return;
			}
			if (n < 0) {
				fail_io(req, "write error", errno);
				return;
			}
		}
		buf_consume(&req->out, (size_t)n);
	}
	req->ssl_want_write = 0;
	read_more(req);
}

static void send_line(struct probe_req *req, const char *line)
{
	buf_reset(&req->out);
	if (buf_puts(&req->out, line) < 0 || buf_puts(&req->out, "\r\n") < 0)
		log_panic("probe: command too long");
	flush_out(req);
}

static void send_ehlo(struct probe_req *req, enum pstate st)
{
	char line[PROBE_HOST_MAX + 8];

	req->st = st;
	snprintf(line, sizeof(line), "EHLO %s", req->ctx->helo);
	send_line(req, line);
}

static void send_quit(struct probe_req *req)
{
	req->st = ST_QUIT;
	send_line(req, "QUIT");
}

/* ------------------------------------------------------------------ */
/* TLS                                                                */
/* ------------------------------------------------------------------ */

static void tls_facts(struct probe_req *req)
{
	struct probe_result *res = req->res;
	const SSL_CIPHER *c = SSL_get_current_cipher(req->ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(req->ssl);
	int alg = 0;

	res->tls = PROBE_TLS_OK;
	res->ms_tls = ms_since(&req->t_step);
	text_copy(res->tls_version, sizeof(res->tls_version), SSL_get_version(req->ssl));
	if (c) {
		text_copy(res->cipher, sizeof(res->cipher), SSL_CIPHER_get_name(c));
		res->cipher_bits = SSL_CIPHER_get_bits(c, &alg);
	}
	res->nchain_sent = chain ? (size_t)sk_X509_num(chain) : 0;
	for (int i = 0; chain && i < sk_X509_num(chain) && res->nchain < PROBE_MAX_CHAIN; i++) {
		struct errbuf why;

		if (cert_info_from_x509(sk_X509_value(chain, i), &res->chain[res->nchain], &why) == 0)
			res->nchain++;
		else
			log_debug("probe %s: certificate %d: %s", res->host, i, why.msg);
	}
	res->verify_error = SSL_get_verify_result(req->ssl);
	res->verified = res->nchain > 0 && res->verify_error == X509_V_OK;
	snprintf(res->verify_why, sizeof(res->verify_why), "%s",
		 res->nchain == 0 ? "no certificate" :
		 X509_verify_cert_error_string(res->verify_error));

	/* The name Postfix's "verify" checks: the host name, or for an
	 * address literal the servername when one was given. */
	if (res->nchain > 0 && (req->is_name || res->servername[0])) {
		struct namematch_cert names;
		struct namematch_refs refs;
		const char *w[1] = {"hostname"};
		const char *cn = NULL;

		cert_info_names(&res->chain[0], &names);
		res->host_checked = 1;
		text_copy(res->host_checked_name, sizeof(res->host_checked_name),
		      req->is_name ? res->host : res->servername);
		if (namematch_expand(w, 1, NULL, res->host_checked_name, &refs, NULL) == 0 &&
		    namematch_check(&names, &refs, &cn, NULL)) {
			res->host_match = 1;
			text_copy(res->host_match_name, sizeof(res->host_match_name), cn);
		}
	}

	/* DANE: Postfix uses TLSA only when the address and TLSA answers
	 * are DNSSEC-secure. */
	if (res->tlsa_looked_up) {
		int usable = 0, ee = 0, ta = 0;

		for (size_t i = 0; i < res->ntlsa; i++) {
			struct probe_tlsa *t = &res->tlsa[i];

			t->match = tlsa_match_chain(&t->rr, res->chain, res->nchain, &t->depth);
			if (!t->usable)
				continue;
			usable++;
			if (t->match == TLSA_CHAIN_MATCH) {
				if (t->rr.usage == TLSA_DANE_EE)
					ee = 1;
				else
					ta = 1;
			}
		}
		if (res->tlsa_status != DNS_STATUS_DATA || usable == 0)
			res->dane = "none";
		else if (res->tlsa_sec != DNS_SEC_SECURE ||
			 (req->is_name && res->resolved_by_dns && res->addr_sec != DNS_SEC_SECURE))
			res->dane = "insecure";
		else
			res->dane = ee ? "ee-match" : ta ? "ta-match" : "no-match";
	}
}

static void do_handshake(struct probe_req *req)
{
	int r;

	ERR_clear_error();
	r = SSL_connect(req->ssl);
	if (r == 1) {
		tls_facts(req);
		send_ehlo(req, ST_EHLO_TLS);
		return;
	}
	switch (SSL_get_error(req->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		wait_io(req, EV_READ);
		return;
	case SSL_ERROR_WANT_WRITE:
		wait_io(req, EV_WRITE);
		return;
	default: {
		struct probe_result *res = req->res;
		char e[ERRBUF_MAX - 32];

		openssl_error(e, sizeof(e), r == 0 ? "connection closed during the handshake"
			      : "handshake failed");
		res->tls = PROBE_TLS_FAILED;
		res->ms_tls = ms_since(&req->t_step);
		text_copy(res->tls_why, sizeof(res->tls_why), e);
		attempt_end(req, PROBE_OK, "TLS handshake failed");
	}
	}
}

static void start_tls(struct probe_req *req)
{
	struct probe_result *res = req->res;

	if (req->in.len > 0) {
		res->tls = PROBE_TLS_FAILED;
		snprintf(res->tls_why, sizeof(res->tls_why), "the server sent %zu bytes "
			 "after its STARTTLS reply, before the handshake", req->in.len);
		attempt_end(req, PROBE_OK, "plaintext after the STARTTLS reply");
		return;
	}
	if ((req->ssl = SSL_new(req->ctx->ssl_ctx)) == NULL ||
	    SSL_set_fd(req->ssl, req->fd) != 1) {
		openssl_error(res->tls_why, sizeof(res->tls_why), "cannot set up TLS");
		res->tls = PROBE_TLS_FAILED;
		attempt_end(req, PROBE_ERROR, "cannot set up TLS");
		return;
	}
	if (res->servername[0] && SSL_set_tlsext_host_name(req->ssl, res->servername) != 1) {
		openssl_error(res->tls_why, sizeof(res->tls_why), "cannot set the SNI name");
		res->tls = PROBE_TLS_FAILED;
		attempt_end(req, PROBE_OK, "cannot set the SNI name");
		return;
	}
	SSL_set_connect_state(req->ssl);
	req->st = ST_HANDSHAKE;
	clock_gettime(CLOCK_MONOTONIC, &req->t_step);
	do_handshake(req);
}

/* ------------------------------------------------------------------ */
/* The SMTP dialogue                                                  */
/* ------------------------------------------------------------------ */

static void handle_reply(struct probe_req *req)
{
	struct probe_result *res = req->res;
	const struct smtp_reply *r = req->reply;

	switch (req->st) {
	case ST_BANNER:
		res->ms_banner = ms_since(&req->t_step);
		free_lines(res->banner, res->nbanner);
		res->banner = copy_lines(r, 0, &res->nbanner);
		res->banner_code = r->code;
		if (r->code / 100 != 2) {
			attempt_end(req, PROBE_SMTP_FAILED, "banner %03d %.200s", r->code,
				    smtp_reply_line(r, 0));
			return;
		}
		send_ehlo(req, ST_EHLO);
		return;
	case ST_EHLO: {
		struct smtp_ehlo *e;

		res->ehlo_code = r->code;
		if (r->code / 100 != 2) {
			/* Postfix falls back to HELO: no extensions, no STARTTLS */
			res->tls = PROBE_TLS_NOT_OFFERED;
			snprintf(res->tls_why, sizeof(res->tls_why), "EHLO refused: %03d %.200s",
				 r->code, smtp_reply_line(r, 0));
			send_quit(req);
			return;
		}
		free(res->ehlo_greeting);
		res->ehlo_greeting = xstrdup(smtp_reply_line(r, 0));
		free_lines(res->ext, res->next);
		res->ext = copy_lines(r, 1, &res->next);
		if ((e = malloc(sizeof(*e))) == NULL)
			log_fatal("probe: out of memory");
		smtp_ehlo_parse(r, e);
		res->starttls_offered = smtp_ehlo_has(e, "STARTTLS");
		free(e);
		if (res->starttls_offered) {
			req->st = ST_STARTTLS;
			send_line(req, "STARTTLS");
		} else {
			res->tls = PROBE_TLS_NOT_OFFERED;
			snprintf(res->tls_why, sizeof(res->tls_why), "STARTTLS not offered");
			send_quit(req);
		}
		return;
	}
	case ST_STARTTLS:
		if (r->code != 220) {
			res->tls = PROBE_TLS_REFUSED;
			snprintf(res->tls_why, sizeof(res->tls_why), "STARTTLS refused: %03d %.200s",
				 r->code, smtp_reply_line(r, 0));
			send_quit(req);
			return;
		}
		start_tls(req);
		return;
	case ST_EHLO_TLS:
		if (r->code / 100 == 2) {
			free_lines(res->ext_tls, res->next_tls);
			res->ext_tls = copy_lines(r, 1, &res->next_tls);
		}
		send_quit(req);
		return;
	case ST_QUIT:
		attempt_end(req, PROBE_OK, "ok");
		return;
	default:
		log_panic("probe: reply in state %d", req->st);
	}
}

static void connect_done(struct probe_req *req)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(req->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		attempt_end(req, PROBE_CONNECT_FAILED, "connect: %s", strerror(err));
		return;
	}
	req->res->ms_connect = ms_since(&req->t_step);
	snprintf(req->res->addr, sizeof(req->res->addr), "%s",
		 req->res->attempts[req->res->nattempts - 1].addr);
	req->st = ST_BANNER;
	clock_gettime(CLOCK_MONOTONIC, &req->t_step);
	read_more(req);
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe_req *req = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		struct probe_result *res = req->res;
		static const char *const names[] = {
			[ST_CONNECT] = "connect", [ST_BANNER] = "banner",
			[ST_EHLO] = "EHLO reply", [ST_STARTTLS] = "STARTTLS reply",
			[ST_HANDSHAKE] = "TLS handshake", [ST_EHLO_TLS] = "EHLO reply after TLS",
			[ST_QUIT] = "QUIT reply",
		};
		const char *n = req->st <= ST_QUIT && names[req->st] ? names[req->st] : "step";

		switch (req->st) {
		case ST_HANDSHAKE:
			res->tls = PROBE_TLS_FAILED;
			snprintf(res->tls_why, sizeof(res->tls_why), "timeout (%u ms) in the TLS "
				 "handshake", req->ctx->timeout_ms);
			attempt_end(req, PROBE_OK, "TLS handshake timed out");
			return;
		case ST_STARTTLS:
			res->tls = PROBE_TLS_FAILED;
			snprintf(res->tls_why, sizeof(res->tls_why), "timeout waiting for the "
				 "STARTTLS reply");
			attempt_end(req, PROBE_OK, "STARTTLS reply timed out");
			return;
		case ST_EHLO_TLS:
		case ST_QUIT:
			attempt_end(req, PROBE_OK, "%s timed out", n);
			return;
		default:
			attempt_end(req, PROBE_TIMEOUT, "timeout (%u ms) waiting for the %s",
				    req->ctx->timeout_ms, n);
			return;
		}
	}
	switch (req->st) {
	case ST_CONNECT:
		connect_done(req);
		return;
	case ST_HANDSHAKE:
		do_handshake(req);
		return;
	default:
		if (req->out.len > 0)
			flush_out(req);
		else
			read_more(req);
		return;
	}
}

static void next_address(struct probe_req *req)
{
	struct probe_result *res = req->res;
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *a;
	struct probe_attempt *at;
	int fam;

	if (req->next_addr >= req->naddrs || res->nattempts >= PROBE_MAX_ADDRS) {
		finish(req);
		return;
	}
	a = req->addrs[req->next_addr++];
	at = &res->attempts[res->nattempts++];
	memset(at, 0, sizeof(*at));
	text_copy(at->addr, sizeof(at->addr), a);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)res->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)res->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		attempt_end(req, PROBE_CONNECT_FAILED, "not an address");
		return;
	}
	/* A new session: forget the previous attempt's TLS facts. */
	res->tls = PROBE_TLS_NONE;
	res->tls_why[0] = '\0';
	req->st = ST_CONNECT;
	clock_gettime(CLOCK_MONOTONIC, &req->t_step);
	req->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (req->fd < 0) {
		attempt_end(req, PROBE_ERROR, "socket: %s", strerror(errno));
		return;
	}
	if (connect(req->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		attempt_end(req, PROBE_CONNECT_FAILED, "connect: %s", strerror(errno));
		return;
	}
	wait_io(req, EV_WRITE);
}

static void finish(struct probe_req *req)
{
	struct probe_ctx *ctx = req->ctx;
	struct probe_result *res = req->res;

	conn_close(req);
	req->st = ST_DONE;
	res->ms_total = ms_since(&req->t_start);
	if (res->nattempts == 0 && res->status == PROBE_OK && res->why[0] == '\0') {
		res->status = PROBE_ERROR;
		snprintf(res->why, sizeof(res->why), "nothing was tried");
	}
	req_unlink(req);
	ctx->pending--;
	ctx->running--;
	req->cb(req->arg, res);
	req_free(req);
	start_queued(ctx);
}

void probe_result_peer(const struct probe_result *res, struct namematch_peer *out)
{
	memset(out, 0, sizeof(*out));
	out->connected = res->status == PROBE_OK;
	out->starttls = res->starttls_offered;
	out->tls = res->tls == PROBE_TLS_OK;
	out->trusted = res->verified;
	if (res->nchain > 0) {
		cert_info_names(&res->chain[0], &out->names);
		memcpy(out->cert_sha256, res->chain[0].cert_sha256, 32);
		memcpy(out->pkey_sha256, res->chain[0].pkey_sha256, 32);
	}
}
