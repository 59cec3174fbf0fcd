/* SPDX-License-Identifier: MIT */
/*
 * sts_fetch - MTA-STS policy fetches with libcurl's multi-socket
 * interface on a libevent loop (see sts_fetch.h).
 *
 * libcurl tells us which sockets to watch (socket_cb) and when to call
 * it back without socket activity (timer_cb); we translate both into
 * libevent events and feed activity back through
 * curl_multi_socket_action().  Finished transfers are collected with
 * curl_multi_info_read() after every such call, outside any libcurl
 * callback, so a user callback may start or cancel transfers freely.
 * Errors before a transfer starts are delivered through a zero-delay
 * timer, never from within sts_fetch_start().
 *
 * TLS set-up (issue 20): libcurl builds a new SSL_CTX for every
 * connection, and, with Debian's default CA path, parses the whole CA
 * file into it each time (~36 ms for the ~140 CAs of the system bundle
 * with OpenSSL 3).  So the fetcher builds one X509_STORE at start
 * (trust_load) and hands it to every connection's SSL_CTX in
 * CURLOPT_SSL_CTX_FUNCTION (a reference, not a copy); libcurl is told
 * to load nothing itself (CAINFO and CAPATH NULL, its own CA cache
 * off).  The store is rebuilt when its file changes (checked at most
 * every STS_TRUST_RECHECK_S, and by sts_fetcher_reload_trust()); a
 * rebuild that fails keeps the old store.  Peer and host name
 * verification stay libcurl's (VERIFYPEER, VERIFYHOST 2), against this
 * store.  TLS sessions are shared by every transfer of the fetcher
 * (CURLSH, CURL_LOCK_DATA_SSL_SESSION: libcurl keeps the last few,
 * keyed by host, port and TLS settings), so fetching the same policy
 * host again resumes its session instead of a full handshake.
 */
#include "mtasts/sts_fetch.h"
#include "dns/dns.h"
#include "metrics/metrics.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define STS_FETCH_DEFAULT_TIMEOUT_MS 10000
#define STS_FETCH_USER_AGENT "tlspolicy/" TLSPOLICY_VERSION " (MTA-STS)"

/* The trust store shared by every transfer (see the top of the file). */
struct sts_trust {
	X509_STORE *store;
	const char *file;       /* https_ca_file, or libcurl's default bundle */
	const char *dir;        /* NULL, or libcurl's default CA path (hashed) */
	struct stat st;         /* of file when it was loaded */
	time_t checked;         /* last stat of file (monotonic seconds) */
	char error[ERRBUF_MAX]; /* why the last load failed; "" when it did not */
};

/* TLS sessions of the transfers since the last trust (re)load: a new
 * store starts a new generation, so that no session verified against
 * the old store is resumed.  An old one is freed with its last user. */
struct sts_share {
	CURLSH *sh;
	unsigned users;         /* transfers created with it */
	struct sts_share *next; /* older generations still in use */
};

struct sts_fetcher {
	struct event_base *base;
	CURLM *multi;
	struct sts_share *share;       /* the current generation */
	struct sts_share *old_shares;
	struct event timer;
	struct sts_trust trust;
	char *ca_file;
	char *connect_to;
	/* Built once, used by every transfer (libcurl keeps the pointers;
	 * every easy handle is gone before the fetcher is freed). */
	struct curl_slist *headers, *connect_to_list;
	struct dns *dns;        /* resolves policy hosts; NULL: libcurl does */
	unsigned timeout_ms;
	unsigned max_parallel, running;
	size_t pending;
	struct sts_fetch *head; /* every live transfer */
	struct sts_fetch *whead, *wtail; /* waiting for a slot, in order */
};

struct sts_fetch {
	struct sts_fetcher *f;
	struct sts_fetch *prev, *next;
	/* The policy host's addresses through the fetcher's dns (see
	 * resolve_start()): the A and AAAA queries while they run, the
	 * addresses they gave, libcurl's CURLOPT_RESOLVE entry. */
	struct dns_query *q[2];
	struct curl_slist *resolve;
	char addrs[STS_FETCH_MAX_ADDRS * (INET6_ADDRSTRLEN + 3)];
	size_t addrs_len, addrs_start; /* addrs_start: after "+HOST:PORT:" */
	unsigned naddrs;
	int resolving;            /* queries running: resolve_ev pending */
	int grace;                /* resolve_ev is the wait for the other family */
	struct event resolve_ev;  /* the transfer's deadline while resolving */
	struct timespec started;  /* when the slot was taken */
	int slot;                 /* holds one of max_parallel slots */
	struct sts_share *share;  /* NULL until the easy handle uses one */
	CURL *easy;
	sts_fetch_cb cb;
	void *arg;
	struct buf body;
	char url[STS_FETCH_URL_MAX];
	char curl_err[CURL_ERROR_SIZE];
	enum metrics_sts_fetch kind; /* issue 13: of error (0: a refused response) */
	char error[ERRBUF_MAX];   /* set by the write callback on abort */
	int checked;              /* status/type checked at the first write */
	int deferred;             /* failed before start: deferred_ev pending */
	struct event deferred_ev;
	int added;                /* in the multi handle */
	int waiting;              /* in the wait queue */
	struct sts_fetch *wnext;
};

/* Per-socket state libcurl asked us to watch. */
struct sts_sock {
	struct event ev;
	int added;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void sts_fetch_opts_from_config(const struct config *cfg,
				struct sts_fetch_opts *opts)
{
	unsigned t = config_get_time(cfg, "https_timeout");

	memset(opts, 0, sizeof(*opts));
	opts->ca_file = config_get(cfg, "https_ca_file");
	opts->timeout_ms = t > STS_FETCH_MAX_TIMEOUT_MS / 1000
				   ? STS_FETCH_MAX_TIMEOUT_MS : t * 1000;
}

int sts_content_type_ok(const char *ct)
{
	static const char want[] = "text/plain";

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void wait_remove(struct sts_fetcher *f, struct sts_fetch *x)
{
	struct sts_fetch **pp = &f->whead, *prev = NULL;

	while (*pp && *pp != x) {
		prev = *pp;
		pp = &(*pp)->wnext;
	}
	if (*pp == NULL)
		return;
	*pp = x->wnext;
	if (f->wtail == x)
		f->wtail = prev;
	x->wnext = NULL;
	x->waiting = 0;
}

static void fetch_unlink(struct sts_fetch *x)
{
	struct sts_fetcher *f = x->f;

	if (x->waiting)
		wait_remove(f, x);
	if (x->prev)
		x->prev->next = x->next;
	else
		f->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	f->pending--;
}

static void start_waiting(struct sts_fetcher *f);
static void share_release(struct sts_fetcher *f, struct sts_share *s);

static void resolve_stop(struct sts_fetch *x);

static void fetch_free(struct sts_fetch *x)
{
	struct sts_fetcher *f = x->f;
	int had_slot = x->slot;

	resolve_stop(x);
	if (x->easy) {
		if (x->added)
			curl_multi_remove_handle(f->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->resolve); /* after the handle that used it */
	share_release(f, x->share);
	if (x->deferred)
		event_del(&x->deferred_ev);
	buf_free(&x->body);
	free(x);
	if (had_slot) {
		f->running--;
		start_waiting(f);
	}
}

/* Delivers the result and frees the transfer. */
static void fetch_finish(struct sts_fetch *x, int ok, long status,
			 const char *error, double secs, enum metrics_sts_fetch kind)
{
	struct sts_fetch_result res;
	sts_fetch_cb cb = x->cb;
	void *arg = x->arg;

	metrics_count(&metrics_g.sts_fetch[ok ? METRICS_STS_OK : kind]); /* issue 13 */
	memset(&res, 0, sizeof(res));
	res.ok = ok;
	res.http_status = status;
	res.url = x->url;
	res.elapsed_ms = secs > 0 ? (unsigned)(secs * 1000) : 0;
	if (ok) {
		res.body = x->body.data ? x->body.data : "";
		res.len = x->body.len;
	} else {
		res.error = error;
	}
	fetch_unlink(x);
	cb(arg, &res);
	fetch_free(x);
}

/* The response status and type, checked once the headers are in. */
static int check_response(struct sts_fetch *x, long *status)
{
	char *ct = NULL;
	char buf[64];

	*status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, status);
	if (*status != 200) {
		if (*status >= 300 && *status < 400)
			snprintf(x->error, sizeof(x->error), "HTTP status %ld "
				 "(redirects are not followed)", *status);
		else
			snprintf(x->error, sizeof(x->error), "HTTP status %ld", *status);
		return -1;
	}
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (!sts_content_type_ok(ct)) {
		if (ct == NULL)
			snprintf(x->error, sizeof(x->error), "no Content-Type "
				 "(text/plain required)");
		else
			snprintf(x->error, sizeof(x->error), "Content-Type \"%s\", "
				 "text/plain required",
				 printable(buf, sizeof(buf), ct, strlen(ct)));
		return -1;
	}
	return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sts_fetch *x = userdata;
	size_t n = size * nmemb;
	long status;

	if (!x->checked) {
		x->checked = 1;
		if (check_response(x, &status) < 0)
			return 0; /* aborts: CURLE_WRITE_ERROR */
	}
	if (buf_append(&x->body, ptr, n) < 0) {
		snprintf(x->error, sizeof(x->error), "body larger than %d bytes",
			 STS_FETCH_MAX_BODY);
		x->kind = METRICS_STS_TOO_LARGE;
		return 0;
	}
	return n;
}

/* Collects finished transfers. */
static void check_done(struct sts_fetcher *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct sts_fetch *x = NULL;
		long status = 0;
		double secs = 0;
		char why[ERRBUF_MAX];
		enum metrics_sts_fetch kind;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &secs);
		if (msg->data.result == CURLE_OK) {
			if (!x->checked) { /* empty body: no write callback */
				x->checked = 1;
				if (check_response(x, &status) < 0) {
					fetch_finish(x, 0, status, x->error, secs, METRICS_STS_HTTP);
					continue;
				}
			}
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
			fetch_finish(x, 1, status, NULL, secs, METRICS_STS_OK);
			continue;
		}
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (x->error[0]) {
			fetch_finish(x, 0, status, x->error, secs,
				     x->kind ? x->kind : METRICS_STS_HTTP);
			continue;
		}
		kind = METRICS_STS_NETWORK;
		switch (msg->data.result) {
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
			kind = METRICS_STS_TLS;
			snprintf(why, sizeof(why), "certificate not accepted: %.400s",
				 msg->data.result == CURLE_SSL_CACERT_BADFILE && f->trust.error[0]
					 ? f->trust.error
				 : x->curl_err[0] ? x->curl_err
						  : curl_easy_strerror(msg->data.result));
			break;
		case CURLE_FILESIZE_EXCEEDED:
			kind = METRICS_STS_TOO_LARGE;
			snprintf(why, sizeof(why), "body larger than %d bytes "
				 "(Content-Length)", STS_FETCH_MAX_BODY);
			break;
		case CURLE_OPERATION_TIMEDOUT:
			kind = METRICS_STS_TIMEOUT;
			snprintf(why, sizeof(why), "timed out after %u ms (%s)",
				 f->timeout_ms, x->curl_err[0] ? x->curl_err : "no detail");
			break;
		default:
			snprintf(why, sizeof(why), "%s%s%s",
				 curl_easy_strerror(msg->data.result),
				 x->curl_err[0] ? ": " : "", x->curl_err);
			break;
		}
		fetch_finish(x, 0, status, why, secs, kind);
	}
}

static void sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetcher *f = arg;
	int running = 0, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(f->multi, fd, action, &running);
	/* libcurl removes its timer itself (timer_cb -1) when idle; check_done
	 * may start waiting transfers that need it. */
	check_done(f);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	struct sts_fetcher *f = userp;
	struct sts_sock *ss = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ss) {
			if (ss->added)
				event_del(&ss->ev);
			free(ss);
			curl_multi_assign(f->multi, s, NULL);
		}
		return 0;
	}
	if (ss == NULL) {
		if ((ss = calloc(1, sizeof(*ss))) == NULL)
			return -1; /* libcurl fails the transfer */
		curl_multi_assign(f->multi, s, ss);
	} else if (ss->added) {
		event_del(&ss->ev);
		ss->added = 0;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	event_assign(&ss->ev, f->base, s, kind, sock_event_cb, f);
	if (event_add(&ss->ev, NULL) < 0)
		return -1;
	ss->added = 1;
	return 0;
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetcher *f = arg;
	int running = 0;

	(void)fd;
	(void)what;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(f);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct sts_fetcher *f = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(&f->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(&f->timer, &tv) < 0 ? -1 : 0;
}

static struct sts_share *share_new(void)
{
	struct sts_share *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->sh = curl_share_init()) == NULL
	    || curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		if (s->sh)
			curl_share_cleanup(s->sh);
		free(s);
		return NULL;
	}
	return s;
}

static void share_free(struct sts_share *s)
{
	if (s == NULL)
		return;
	curl_share_cleanup(s->sh);
	free(s);
}

/* A transfer's easy handle is gone: drops its use of an old generation. */
static void share_release(struct sts_fetcher *f, struct sts_share *s)
{
	struct sts_share **pp;

	if (s == NULL)
		return;
	s->users--;
	if (s == f->share || s->users > 0)
		return;
	for (pp = &f->old_shares; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			share_free(s);
			return;
		}
}

/* After a new trust store: new transfers get a new session cache. */
static void share_renew(struct sts_fetcher *f)
{
	struct sts_share *s = share_new();

	if (s == NULL) { /* keep resuming nothing rather than old sessions */
		log_warnx("MTA-STS: out of memory for a TLS session cache");
		return;
	}
	if (f->share && f->share->users > 0) {
		f->share->next = f->old_shares;
		f->old_shares = f->share;
	} else {
		share_free(f->share);
	}
	f->share = s;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* A new store from t->file (and t->dir); NULL with why set. */
static X509_STORE *trust_build(const struct sts_trust *t, struct errbuf *why)
{
	X509_STORE *st = X509_STORE_new();
	unsigned long e;
	char msg[256];

	if (st == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	if (X509_STORE_load_file(st, t->file) != 1) {
		e = ERR_get_error();
		ERR_error_string_n(e, msg, sizeof(msg));
		errbuf_set(why, "CA file %s: %s", t->file, e ? msg : "cannot load");
		ERR_clear_error();
		X509_STORE_free(st);
		return NULL;
	}
	/* libcurl's default CA path: looked up by hash only for an issuer
	 * that is not in the file (as libcurl did with its defaults). */
	if (t->dir && X509_STORE_load_path(st, t->dir) != 1)
		ERR_clear_error();
	/* What libcurl sets on the stores it builds. */
	X509_STORE_set_flags(st, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
	return st;
}

/* Loads t->file into t->store (replacing it on success). */
static int trust_load(struct sts_trust *t, struct errbuf *why)
{
	X509_STORE *st;
	struct stat sb;

	t->checked = mono_now();
	if (stat(t->file, &sb) < 0) {
		errbuf_set(why, "CA file %s: %s", t->file, strerror(errno));
		snprintf(t->error, sizeof(t->error), "%s", why->msg);
		return -1;
	}
	if ((st = trust_build(t, why)) == NULL) {
		snprintf(t->error, sizeof(t->error), "%s", why->msg);
		return -1;
	}
	X509_STORE_free(t->store);
	t->store = st;
	t->st = sb;
	t->error[0] = '\0';
	return 0;
}

/* Reloads the store when its file was replaced or changed; a failure
 * keeps the old one (logged).  A new store starts a new generation of
 * TLS sessions. */
static void trust_recheck(struct sts_fetcher *f, int force)
{
	struct sts_trust *t = &f->trust;
	struct stat sb;
	struct errbuf why;
	time_t now = mono_now();

	if (!force && now - t->checked < STS_TRUST_RECHECK_S)
		return;
	t->checked = now;
	if (!force && t->store && stat(t->file, &sb) == 0 && sb.st_ino == t->st.st_ino
	    && sb.st_dev == t->st.st_dev && sb.st_size == t->st.st_size
	    && sb.st_mtim.tv_sec == t->st.st_mtim.tv_sec
	    && sb.st_mtim.tv_nsec == t->st.st_mtim.tv_nsec)
		return;
	errbuf_clear(&why);
	if (trust_load(t, &why) < 0) {
		if (t->store)
			log_warnx("MTA-STS: keeping the CA store loaded before: %s", why.msg);
		return;
	}
	share_renew(f);
	if (!force)
		log_info("MTA-STS: CA file %s changed, reloaded", t->file);
}

void sts_fetcher_reload_trust(struct sts_fetcher *f)
{
	trust_recheck(f, 1);
}

/* Every connection's SSL_CTX gets the shared store (a reference). */
static CURLcode ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *arg)
{
	struct sts_fetcher *f = arg;

	(void)easy;
	if (f->trust.store == NULL || X509_STORE_up_ref(f->trust.store) != 1)
		return CURLE_SSL_CACERT_BADFILE; /* fails the transfer */
	SSL_CTX_set_cert_store(ssl_ctx, f->trust.store); /* takes the reference */
	/* libcurl turns TLS 1.2 session tickets off (it resumes by session
	 * id only, which most servers, nginx by default among them, do not
	 * cache): allow them, so that a repeat fetch can resume. */
	SSL_CTX_clear_options(ssl_ctx, SSL_OP_NO_TICKET);
	return CURLE_OK;
}

/* 1 when libcurl takes a proxy for https from the environment: then the
 * proxy resolves the policy hosts, not the fetcher. */
static int env_proxy(void)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
					    "all_proxy", "ALL_PROXY" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return 1;
	}
	return 0;
}

int sts_fetch_resolves_hosts(const struct sts_fetch_opts *opts)
{
	return opts->connect_to == NULL && !env_proxy();
}

struct sts_fetcher *sts_fetcher_new(struct event_base *base,
				    const struct sts_fetch_opts *opts,
				    struct errbuf *why)
{
	struct sts_fetcher *f;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		errbuf_set(why, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	f->base = base;
	f->timeout_ms = opts->timeout_ms ? opts->timeout_ms : STS_FETCH_DEFAULT_TIMEOUT_MS;
	if (f->timeout_ms > STS_FETCH_MAX_TIMEOUT_MS)
		f->timeout_ms = STS_FETCH_MAX_TIMEOUT_MS;
	f->max_parallel = opts->max_parallel ? opts->max_parallel : STS_FETCH_PARALLEL;
	f->dns = sts_fetch_resolves_hosts(opts) ? opts->dns : NULL;
	if ((opts->ca_file && *opts->ca_file && (f->ca_file = strdup(opts->ca_file)) == NULL)
	    || (opts->connect_to && (f->connect_to = strdup(opts->connect_to)) == NULL)
	    || (f->multi = curl_multi_init()) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	if (f->ca_file) {
		f->trust.file = f->ca_file;
	} else {
		const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

		/* The system store: what libcurl would have loaded. */
		f->trust.file = v->cainfo ? v->cainfo : X509_get_default_cert_file();
		f->trust.dir = v->capath;
	}
	/* A CA file that cannot be loaded fails every fetch (NOTFOUND, as
	 * for any failed fetch), not the daemon: it is tried again when
	 * due, so it may appear later. */
	if (trust_load(&f->trust, why) < 0) {
		log_warnx("MTA-STS: %s: every policy fetch fails until it can be loaded",
			  why->msg);
		errbuf_clear(why);
	}
	if ((f->headers = curl_slist_append(NULL, "Cache-Control: no-cache")) == NULL) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	if (f->connect_to) {
		const char *p = f->connect_to;

		while (*p) {
			size_t n = strcspn(p, ",");
			char item[STS_FETCH_URL_MAX];
			struct curl_slist *l;

			if (n > 0 && n < sizeof(item)) {
				memcpy(item, p, n);
				item[n] = '\0';
				if ((l = curl_slist_append(f->connect_to_list, item)) == NULL) {
					errbuf_set(why, "out of memory");
					goto fail;
				}
				f->connect_to_list = l;
			}
			p += n + (p[n] == ',');
		}
	}
	if ((f->share = share_new()) == NULL) {
		errbuf_set(why, "libcurl: cannot share TLS sessions");
		goto fail;
	}
	evtimer_assign(&f->timer, base, timer_event_cb, f);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
fail:
	share_free(f->share);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->headers);
	curl_slist_free_all(f->connect_to_list);
	X509_STORE_free(f->trust.store);
	free(f->ca_file);
	free(f->connect_to);
	free(f);
	return NULL;
}

void sts_fetcher_free(struct sts_fetcher *f)
{
	if (f == NULL)
		return;
	f->max_parallel = 0; /* start nothing while tearing down */
	while (f->head) {
		struct sts_fetch *x = f->head;

		fetch_unlink(x);
		fetch_free(x);
	}
	evtimer_del(&f->timer);
	curl_multi_cleanup(f->multi); /* calls socket_cb REMOVE for open sockets */
	share_free(f->share); /* after every easy handle is gone */
	curl_slist_free_all(f->headers);
	curl_slist_free_all(f->connect_to_list);
	while (f->old_shares) {
		struct sts_share *o = f->old_shares;

		f->old_shares = o->next;
		share_free(o);
	}
	X509_STORE_free(f->trust.store);
	free(f->ca_file);
	free(f->connect_to);
	free(f);
}

size_t sts_fetcher_pending(const struct sts_fetcher *f)
{
	return f->pending;
}

static void deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetch *x = arg;

	(void)fd;
	(void)what;
	x->deferred = 0;
	fetch_finish(x, 0, 0, x->error, 0, METRICS_STS_NETWORK);
}

/* Reports a failure to start from the loop. */
static struct sts_fetch *fail_later(struct sts_fetch *x, const char *fmt,
				    const char *detail)
{
	struct timeval tv = { 0, 0 };

	snprintf(x->error, sizeof(x->error), fmt, detail);
	if (x->easy) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	evtimer_assign(&x->deferred_ev, x->f->base, deferred_cb, x);
	evtimer_add(&x->deferred_ev, &tv);
	x->deferred = 1;
	return x;
}

/* ---- the policy host's addresses ----
 *
 * libcurl 7.88 as Debian builds it (no c-ares) resolves every host in a
 * thread of its own, started per transfer: on a cold start with a
 * thousand policies that is a thousand threads, each also reading the
 * system's resolver files.  With a dns context the fetcher asks it for
 * the host's A and AAAA records instead (in-process, asynchronous, the
 * dns_resolvers the rest of tlspolicy uses, answers cached) and hands
 * the addresses to libcurl as a CURLOPT_RESOLVE entry, so libcurl
 * connects without resolving; the URL's host name stays the name for
 * SNI and the certificate check.  When the dns context gives no usable
 * address (no records, an error, a timeout, a bogus answer), the entry
 * is left out and libcurl resolves as it would have without a context,
 * in the time that is left: the result is never worse than libcurl's
 * own resolving.  The transfer's https_timeout starts when its slot is
 * taken and covers the resolving too (resolve_ev).  Once one family has
 * given addresses, the other is waited for at most
 * STS_FETCH_RESOLVE_GRACE_MS (RFC 8305's resolution delay), so a name
 * whose AAAA (or A) query hangs is fetched at once over what came.
 */

/* The transfer with its slot taken: into the multi handle. */
static void transfer_add(struct sts_fetch *x)
{
	CURLMcode mc;

	if ((mc = curl_multi_add_handle(x->f->multi, x->easy)) != CURLM_OK) {
		fail_later(x, "libcurl: %s", curl_multi_strerror(mc));
		return;
	}
	x->added = 1;
}

static unsigned ms_since(const struct timespec *t0)
{
	struct timespec t;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (long long)(t.tv_sec - t0->tv_sec) * 1000
	     + (t.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (unsigned)ms;
}

static void resolve_stop(struct sts_fetch *x)
{
	for (int i = 0; i < 2; i++) {
		if (x->q[i]) {
			dns_cancel(x->q[i]);
			x->q[i] = NULL;
		}
	}
	if (x->resolving) {
		event_del(&x->resolve_ev);
		x->resolving = 0;
	}
}

/* Both answers are in: start the transfer, with the addresses if any. */
static void resolve_done(struct sts_fetch *x)
{
	unsigned used, left;

	resolve_stop(x);
	if (x->naddrs > 0) {
		if ((x->resolve = curl_slist_append(NULL, x->addrs)) == NULL)
			log_fatalx("sts_fetch: out of memory");
		curl_easy_setopt(x->easy, CURLOPT_RESOLVE, x->resolve);
		log_debug("MTA-STS: %s: connecting to %s (tlspolicy's resolver)", x->url,
			  x->addrs + x->addrs_start);
	} else {
		log_debug("MTA-STS: %s: no address from tlspolicy's resolver, "
			  "libcurl resolves", x->url);
	}
	used = ms_since(&x->started);
	left = used < x->f->timeout_ms ? x->f->timeout_ms - used : 1;
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	transfer_add(x);
}

static void resolve_answer(struct sts_fetch *x, int i, const struct dns_answer *ans)
{
	x->q[i] = NULL;
	if (ans->status == DNS_STATUS_DATA && ans->sec != DNS_SEC_BOGUS) {
		for (size_t r = 0; r < ans->count && x->naddrs < STS_FETCH_MAX_ADDRS; r++) {
			const struct dns_record *rec = &ans->records[r];
			int af = rec->len == 4 ? AF_INET : rec->len == 16 ? AF_INET6 : -1;
			char a[INET6_ADDRSTRLEN];
			int n;

			if (af != (i == 0 ? AF_INET : AF_INET6)
			    || inet_ntop(af, rec->data, a, sizeof(a)) == NULL)
				continue;
			n = snprintf(x->addrs + x->addrs_len, sizeof(x->addrs) - x->addrs_len,
				     af == AF_INET6 ? "%s[%s]" : "%s%s",
				     x->naddrs ? "," : "", a);
			if (n < 0 || (size_t)n >= sizeof(x->addrs) - x->addrs_len)
				break;
			x->addrs_len += (size_t)n;
			x->naddrs++;
		}
	}
	if (x->q[0] == NULL && x->q[1] == NULL) {
		resolve_done(x);
	} else if (x->naddrs > 0 && !x->grace) {
		struct timeval tv = { 0, STS_FETCH_RESOLVE_GRACE_MS * 1000 };
		unsigned used = ms_since(&x->started);

		/* never past the transfer's deadline */
		if (used + STS_FETCH_RESOLVE_GRACE_MS < x->f->timeout_ms) {
			x->grace = 1;
			evtimer_add(&x->resolve_ev, &tv);
		}
	}
}

static void resolve_a_cb(void *arg, const struct dns_answer *ans)
{
	resolve_answer(arg, 0, ans);
}

static void resolve_aaaa_cb(void *arg, const struct dns_answer *ans)
{
	resolve_answer(arg, 1, ans);
}

static void resolve_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetch *x = arg;
	char why[ERRBUF_MAX];

	(void)fd;
	(void)what;
	x->resolving = 0;
	if (x->grace) {  /* the other family is late: go with what came */
		resolve_done(x);
		return;
	}
	resolve_stop(x);
	snprintf(why, sizeof(why), "timed out after %u ms (resolving the host)",
		 x->f->timeout_ms);
	fetch_finish(x, 0, 0, why, ms_since(&x->started) / 1000.0, METRICS_STS_TIMEOUT);
}

/*
 * Starts resolving x's host through the fetcher's dns; 0 when it does
 * (resolve_done() adds the transfer), -1 when libcurl is to resolve:
 * no dns context, CONNECT_TO entries (tests), an address literal, a URL
 * libcurl cannot take apart.
 */
static int resolve_start(struct sts_fetch *x)
{
	struct sts_fetcher *f = x->f;
	struct timeval tv;
	CURLU *u;
	char *host = NULL, *port = NULL;
	unsigned char bin[16];
	int rc = -1, n;

	if (f->dns == NULL || (u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, x->url, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK
	    || host[0] == '[' || inet_pton(AF_INET, host, bin) == 1)
		goto out;
	n = snprintf(x->addrs, sizeof(x->addrs), "+%s:%s:", host, port);
	if (n < 0 || (size_t)n >= sizeof(x->addrs) - (INET6_ADDRSTRLEN + 3))
		goto out;
	x->addrs_len = x->addrs_start = (size_t)n;
	evtimer_assign(&x->resolve_ev, f->base, resolve_timeout_cb, x);
	tv.tv_sec = f->timeout_ms / 1000;
	tv.tv_usec = (f->timeout_ms % 1000) * 1000;
	evtimer_add(&x->resolve_ev, &tv);
	x->resolving = 1;
	x->q[0] = dns_resolve(f->dns, host, DNS_TYPE_A, resolve_a_cb, x);
	x->q[1] = dns_resolve(f->dns, host, DNS_TYPE_AAAA, resolve_aaaa_cb, x);
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* Takes a slot for x and starts it: resolving, or the transfer. */
static void transfer_begin(struct sts_fetch *x)
{
	x->slot = 1;
	x->f->running++;
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	if (resolve_start(x) < 0)
		transfer_add(x);
}

struct sts_fetch *sts_fetch_url(struct sts_fetcher *f, const char *url,
				sts_fetch_cb cb, void *arg)
{
	struct sts_fetch *x = calloc(1, sizeof(*x));
	CURL *e;

	if (x == NULL)
		log_fatalx("sts_fetch: out of memory");
	x->f = f;
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->body, STS_FETCH_MAX_BODY);
	x->next = f->head;
	if (f->head)
		f->head->prev = x;
	f->head = x;
	f->pending++;

	if (strlen(url) >= sizeof(x->url))
		return fail_later(x, "URL too long%s", "");
	memcpy(x->url, url, strlen(url) + 1);
	if (strncasecmp(url, "https://", 8) != 0)
		return fail_later(x, "not an https URL: %s", url);
	trust_recheck(f, 0);
	if ((x->easy = e = curl_easy_init()) == NULL)
		return fail_later(x, "libcurl: cannot create a transfer%s", "");
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* one transfer per connection: nothing idle stays registered */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* The trust store is the fetcher's (ssl_ctx_cb): libcurl loads none. */
	curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, f);
	curl_easy_setopt(e, CURLOPT_SHARE, f->share->sh);
	x->share = f->share;
	x->share->users++;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)STS_FETCH_MAX_BODY);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, STS_FETCH_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (f->connect_to_list)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, f->connect_to_list);
	if (f->running >= f->max_parallel) {
		x->waiting = 1;
		if (f->wtail)
			f->wtail->wnext = x;
		else
			f->whead = x;
		f->wtail = x;
		return x;
	}
	transfer_begin(x);
	return x;
}

/* Starts waiting transfers while there are free slots. */
static void start_waiting(struct sts_fetcher *f)
{
	while (f->running < f->max_parallel && f->whead) {
		struct sts_fetch *x = f->whead;

		wait_remove(f, x);
		transfer_begin(x);
	}
}

struct sts_fetch *sts_fetch_start(struct sts_fetcher *f, const char *domain,
				  sts_fetch_cb cb, void *arg)
{
	char url[STS_FETCH_URL_MAX + 1];

	/* An over-long domain makes an over-long URL, reported by fetch_url. */
	snprintf(url, sizeof(url), "https://mta-sts.%s" STS_FETCH_PATH, domain);
	return sts_fetch_url(f, url, cb, arg);
}

void sts_fetch_cancel(struct sts_fetch *x)
{
	if (x == NULL)
		return;
	fetch_unlink(x);
	fetch_free(x);
}
