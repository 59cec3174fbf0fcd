/* SPDX-License-Identifier: MIT */
/*
 * dns.c - DNSSEC-validating resolver on libunbound, on the caller's
 * libevent loop (see dns.h).
 *
 * Life of a query: dns_resolve() hands it to libunbound's background
 * thread (ub_resolve_async) and arms a timer of dns_timeout.  When the
 * result pipe (ub_fd) turns readable the loop calls ub_process(), whose
 * callback only moves the query to the `done` queue; the queue is then
 * drained and user callbacks are made outside libunbound.  When the
 * timer fires first the query is cancelled in libunbound (ub_cancel: its
 * callback is then never made) and answered DNS_STATUS_TIMEOUT.
 *
 * SECURITY: the trust anchor is read here at start-up (bounded size),
 * not by libunbound at its first query, so errors show at once and a
 * later chroot or privilege drop cannot break it.
 */
#include "dns/dns.h"
#include "metrics/metrics.h"
#include "dns/replay.h"
#include "util/config.h"
#include "util/file.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <unbound.h>

#define DNS_TA_MAX_FILE (64 * 1024)  /* a trust anchor file is a few lines */
#define DNS_TA_MAX_RR 4096           /* one DS/DNSKEY record in text */
#define DNS_DEFAULT_TIMEOUT_MS 5000
#define DNS_STR2(x) #x
#define DNS_STR(x) DNS_STR2(x)

enum query_state { Q_PENDING, Q_DONE };

struct dns_query {
	struct dns *dns;
	TAILQ_ENTRY(dns_query) all;   /* dns->queries */
	TAILQ_ENTRY(dns_query) ready; /* dns->done, when state == Q_DONE */
	enum query_state state;
	char *name;
	int qtype;
	int async_id;
	int in_ub;                    /* libunbound holds it */
	struct event *timer;
	dns_cb cb;
	void *arg;
	/* outcome */
	struct ub_result *res;
	int ub_err;
	enum dns_status forced;       /* with forced_set: TIMEOUT or ERROR */
	int forced_set;
	char forced_why[160];
	const struct replay_entry *rep; /* replay: the entry, NULL for a miss */
};

TAILQ_HEAD(query_list, dns_query);

struct dns {
	struct ub_ctx *ctx;           /* NULL for a replay context */
	struct replay *replay;        /* answers from a file (replay.h) */
	unsigned long long replay_misses;
	dns_trace_fn trace;           /* dns_set_trace() */
	void *trace_arg;
	struct event_base *base;
	struct event *ev;
	int ev_added;
	unsigned timeout_ms;
	int validating;
	size_t pending;
	struct query_list queries;
	struct query_list done;
	struct dns_stats stats;
};

static void dns_deliver(struct dns *dns);

const char *dns_sec_name(enum dns_sec sec)
{
	switch (sec) {
	case DNS_SEC_SECURE: return "secure";
	case DNS_SEC_INSECURE: return "insecure";
	case DNS_SEC_BOGUS: return "bogus";
	case DNS_SEC_INDETERMINATE: break;
	}
	return "indeterminate";
}

const char *dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_STATUS_DATA: return "data";
	case DNS_STATUS_NODATA: return "nodata";
	case DNS_STATUS_NXDOMAIN: return "nxdomain";
	case DNS_STATUS_SERVFAIL: return "servfail";
	case DNS_STATUS_TIMEOUT: return "timeout";
	case DNS_STATUS_ERROR: break;
	}
	return "error";
}

const char *dns_type_name(int qtype)
{
	static char other[16];

	switch (qtype) {
	case DNS_TYPE_A: return "A";
	case DNS_TYPE_AAAA: return "AAAA";
	case DNS_TYPE_MX: return "MX";
	case DNS_TYPE_TLSA: return "TLSA";
	case DNS_TYPE_CNAME: return "CNAME";
	case DNS_TYPE_TXT: return "TXT";
	}
	snprintf(other, sizeof(other), "TYPE%d", qtype);
	return other;
}

/* ---- set-up ---- */

static int setup_resolvers(struct ub_ctx *ctx, const char *value,
			   struct errbuf *why)
{
	char *words[DNS_MAX_RESOLVERS + 1], *storage = NULL;
	size_t n = config_split_list(value ? value : "", words,
				     DNS_MAX_RESOLVERS + 1, &storage);
	int rc = 0, err;

	if (value && *value && storage == NULL)
		return errbuf_set(why, "dns_resolvers: out of memory");
	if (n == 0) {
		if ((err = ub_ctx_resolvconf(ctx, NULL)) != 0)
			rc = errbuf_set(why, "dns_resolvers is empty and /etc/resolv.conf "
					"cannot be used: %s", ub_strerror(err));
		goto out;
	}
	if (n == 1 && strcmp(words[0], "recursive") == 0)
		goto out; /* no forwarders: libunbound recurses from the root */
	if (n > DNS_MAX_RESOLVERS) {
		rc = errbuf_set(why, "dns_resolvers: more than %d resolvers",
				DNS_MAX_RESOLVERS);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char shown[80];

		if (!config_resolver_ok(words[i])) {
			rc = errbuf_set(why, "dns_resolvers: \"%s\" is not IP or IP@port"
					"%s", printable(shown, sizeof(shown), words[i],
							strlen(words[i])),
					strcmp(words[i], "recursive") == 0
						? " (recursive must be alone)" : "");
			goto out;
		}
		if ((err = ub_ctx_set_fwd(ctx, words[i])) != 0) {
			rc = errbuf_set(why, "dns_resolvers: %s: %s",
					printable(shown, sizeof(shown), words[i],
						  strlen(words[i])),
					ub_strerror(err));
			goto out;
		}
	}
out:
	free(storage);
	return rc;
}

/* Reads the whole file (at most max bytes) into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t max, struct errbuf *why)
{
	char *text;
	size_t n;
	int err = 0;

	enum file_status st = file_read(path, max, &text, &n, &err);

	if (st != FILE_OK)
		file_read_why(st, path, max, err, why);
	return text;
}

/* 1 when the record text has a DS or DNSKEY type field. */
static int ta_rr_type_ok(const char *rr)
{
	char copy[DNS_TA_MAX_RR], *save = NULL, *w;

	snprintf(copy, sizeof(copy), "%s", rr);
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (strcasecmp(w, "DS") == 0 || strcasecmp(w, "DNSKEY") == 0)
			return 1;
	return 0;
}

/*
 * Feeds the DS/DNSKEY records of a zone-file-like text to libunbound:
 * ';' comments, blank lines and $ directives skipped, records spread
 * over lines with ( ) joined.
 */
static int setup_trust_anchor(struct ub_ctx *ctx, const char *path,
			      struct errbuf *why)
{
	char *text = slurp(path, DNS_TA_MAX_FILE, why), *line, *save = NULL;
	char rr[DNS_TA_MAX_RR];
	size_t rrlen = 0, lineno = 0, start = 0, count = 0;
	int depth = 0, rc = -1, err;

	if (text == NULL)
		return errbuf_prefix(why, "dns_trust_anchor_file");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		for (char *p = line; *p; p++) {
			if (*p == ';') {
				*p = '\0';
				break;
			}
		}
		if (depth == 0) {
			const char *q = line;

			while (*q == ' ' || *q == '\t' || *q == '\r')
				q++;
			if (*q == '\0' || *q == '$')
				continue;
			rrlen = 0;
			start = lineno;
		}
		for (char *p = line; *p; p++) {
			char ch = *p;

			if (ch == '(') {
				depth++;
				ch = ' ';
			} else if (ch == ')') {
				if (--depth < 0) {
					errbuf_set(why, "dns_trust_anchor_file %s:%zu: "
						   "unbalanced ')'", path, lineno);
					goto out;
				}
				ch = ' ';
			} else if (ch == '\t' || ch == '\r') {
				ch = ' ';
			}
			if (rrlen + 2 >= sizeof(rr)) {
				errbuf_set(why, "dns_trust_anchor_file %s:%zu: record "
					   "too long", path, start);
				goto out;
			}
			rr[rrlen++] = ch;
		}
		rr[rrlen++] = ' ';
		rr[rrlen] = '\0';
		if (depth > 0)
			continue;
		if (!ta_rr_type_ok(rr)) {
			errbuf_set(why, "dns_trust_anchor_file %s:%zu: not a DS or "
				   "DNSKEY record", path, start);
			goto out;
		}
		if ((err = ub_ctx_add_ta(ctx, rr)) != 0) {
			errbuf_set(why, "dns_trust_anchor_file %s:%zu: %s", path,
				   start, ub_strerror(err));
			goto out;
		}
		count++;
	}
	if (depth > 0) {
		errbuf_set(why, "dns_trust_anchor_file %s:%zu: unbalanced '('",
			   path, start);
		goto out;
	}
	if (count == 0) {
		errbuf_set(why, "dns_trust_anchor_file %s: no DS or DNSKEY record",
			   path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

static void dns_fd_cb(evutil_socket_t fd, short what, void *arg);

struct dns *dns_new_opts(struct event_base *base, const struct dns_opts *opts,
			 struct errbuf *why)
{
	struct dns *dns = calloc(1, sizeof(*dns));
	int err, fd;

	if (dns == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	dns->base = base;
	dns->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	TAILQ_INIT(&dns->queries);
	TAILQ_INIT(&dns->done);
	if ((dns->ctx = ub_ctx_create()) == NULL) {
		errbuf_set(why, "libunbound: cannot create a context");
		goto fail;
	}
	/* Background thread rather than a forked process: cheaper, and
	 * started lazily at the first query (after a daemon's fork). */
	if ((err = ub_ctx_async(dns->ctx, 1)) != 0) {
		errbuf_set(why, "libunbound: %s", ub_strerror(err));
		goto fail;
	}
	{
		/* Forwarders on loopback are normal (a local resolver); a
		 * server marked down is probed again so that answers resume
		 * soon after it comes back. */
		static const char *const options[][2] = {
			{ "do-not-query-localhost:", "no" },
			{ "infra-keep-probing:", "yes" },
			{ "infra-host-ttl:", "60" },
			{ "val-log-level:", "2" },
			/* a zone whose keys could not be fetched (resolver
			 * briefly down) is not held bogus for the default 60 s */
			{ "val-bogus-ttl:", "10" },
			{ "num-queries-per-thread:", DNS_STR(DNS_MAX_PENDING) },
			{ "outgoing-range:", "8192" },
		};

		for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
			if ((err = ub_ctx_set_option(dns->ctx, options[i][0],
						     options[i][1])) != 0) {
				errbuf_set(why, "libunbound option %s %s: %s",
					   options[i][0], options[i][1],
					   ub_strerror(err));
				goto fail;
			}
		}
	}
	if (setup_resolvers(dns->ctx, opts->resolvers, why) < 0)
		goto fail;
	if (opts->hosts_file) {
		/* Hosts entries are set-up, not queries (before the set-up
		 * below).  test. transparent, not removed as below: the
		 * entries under it stay, other names are resolved. */
		if ((err = ub_ctx_set_option(dns->ctx, "local-zone:", "test. transparent")) != 0
		    || (err = ub_ctx_hosts(dns->ctx, opts->hosts_file)) != 0)
			log_debug("dns: %s not used: %s", opts->hosts_file, ub_strerror(err));
	}
	if (opts->trust_anchor_file && *opts->trust_anchor_file) {
		if (setup_trust_anchor(dns->ctx, opts->trust_anchor_file, why) < 0)
			goto fail;
		dns->validating = 1;
	} else if (!opts->unvalidated) {
		log_warnx("dns: no trust anchor: DNSSEC is not validated, DANE never applies");
	}
	/* Make libunbound set itself up now (it otherwise does at the first
	 * query), so a rejected trust anchor is reported here.  Removing a
	 * local zone that does not exist has no other effect. */
	if ((err = ub_ctx_zone_remove(dns->ctx, "tlspolicy-setup.invalid.")) != 0) {
		errbuf_set(why, "libunbound setup (dns_trust_anchor_file %s, "
			   "dns_resolvers): %s", opts->trust_anchor_file
			   ? opts->trust_anchor_file : "", ub_strerror(err));
		goto fail;
	}
	/* unbound answers test. (RFC 6761) from a built-in local zone; ask
	 * the resolvers like for any other name (test labs use it). */
	if (opts->hosts_file == NULL)
		(void)ub_ctx_zone_remove(dns->ctx, "test.");
	if ((fd = ub_fd(dns->ctx)) < 0) {
		errbuf_set(why, "libunbound: no result descriptor");
		goto fail;
	}
	dns->ev = event_new(base, fd, EV_READ | EV_PERSIST, dns_fd_cb, dns);
	if (dns->ev == NULL) {
		errbuf_set(why, "libevent: cannot create an event");
		goto fail;
	}
	return dns;
fail:
	if (dns->ctx)
		ub_ctx_delete(dns->ctx);
	free(dns);
	return NULL;
}

struct dns *dns_new_replay(struct event_base *base, struct replay *replay)
{
	struct dns *dns = calloc(1, sizeof(*dns));

	if (dns == NULL) {
		replay_free(replay);
		return NULL;
	}
	dns->base = base;
	dns->replay = replay;
	dns->validating = 1;
	dns->timeout_ms = DNS_DEFAULT_TIMEOUT_MS;
	TAILQ_INIT(&dns->queries);
	TAILQ_INIT(&dns->done);
	return dns;
}

void dns_set_trace(struct dns *dns, dns_trace_fn fn, void *arg)
{
	dns->trace = fn;
	dns->trace_arg = arg;
}

unsigned long long dns_replay_misses(const struct dns *dns)
{
	return dns->replay_misses;
}

void dns_opts_from_config(const struct config *cfg, struct dns_opts *o)
{
	unsigned t = config_get_time(cfg, "dns_timeout");

	memset(o, 0, sizeof(*o));
	o->trust_anchor_file = config_get(cfg, "dns_trust_anchor_file");
	o->resolvers = config_get(cfg, "dns_resolvers");
	o->timeout_ms = t == 0 ? 1 : (t > UINT_MAX / 1000 ? UINT_MAX : t * 1000);
}

struct dns *dns_new(struct event_base *base, const struct config *cfg,
		    struct errbuf *why)
{
	struct dns_opts o;

	dns_opts_from_config(cfg, &o);
	return dns_new_opts(base, &o, why);
}

static void query_free(struct dns_query *q)
{
	if (q->timer)
		event_free(q->timer);
	if (q->res)
		ub_resolve_free(q->res);
	free(q->name);
	free(q);
}

/* Removes q from the bookkeeping (it is answered or cancelled). */
static void query_unlink(struct dns_query *q)
{
	struct dns *dns = q->dns;

	TAILQ_REMOVE(&dns->queries, q, all);
	if (q->state == Q_DONE)
		TAILQ_REMOVE(&dns->done, q, ready);
	dns->pending--;
	if (dns->pending == 0 && dns->ev_added) {
		event_del(dns->ev);
		dns->ev_added = 0;
	}
}

void dns_free(struct dns *dns)
{
	struct dns_query *q;

	if (dns == NULL)
		return;
	while ((q = TAILQ_FIRST(&dns->queries)) != NULL)
		dns_cancel(q);
	if (dns->ev)
		event_free(dns->ev);
	if (dns->ctx)
		ub_ctx_delete(dns->ctx);
	replay_free(dns->replay);
	free(dns);
}

struct event_base *dns_base(const struct dns *dns)
{
	return dns->base;
}

size_t dns_pending(const struct dns *dns)
{
	return dns->pending;
}

void dns_stats(const struct dns *dns, struct dns_stats *out)
{
	*out = dns->stats;
}

/* ---- queries ---- */

static void query_done(struct dns_query *q)
{
	if (q->timer)
		evtimer_del(q->timer);
	q->state = Q_DONE;
	TAILQ_INSERT_TAIL(&q->dns->done, q, ready);
}

/* libunbound's callback, from within ub_process(): only queue. */
static void dns_ub_cb(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;

	q->in_ub = 0;
	q->ub_err = err;
	q->res = res;
	query_done(q);
}

static void dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;

	(void)fd;
	(void)what;
	if (q->state != Q_PENDING)
		return;
	if (q->dns->replay) {
		/* the answer is due now (replay answers never wait) */
		query_done(q);
		dns_deliver(q->dns);
		return;
	}
	if (!q->forced_set) {
		q->forced_set = 1;
		q->forced = DNS_STATUS_TIMEOUT;
		snprintf(q->forced_why, sizeof(q->forced_why),
			 "no answer within %u ms", q->dns->timeout_ms);
		q->dns->stats.timeouts++;
	}
	if (q->in_ub) {
		/* Its result, if it comes, is dropped by libunbound. */
		(void)ub_cancel(q->dns->ctx, q->async_id);
		q->in_ub = 0;
	}
	query_done(q);
	dns_deliver(q->dns);
}

static void dns_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;
	int err;

	(void)fd;
	(void)what;
	if ((err = ub_process(dns->ctx)) != 0)
		log_warnx("dns: libunbound: %s", ub_strerror(err));
	dns_deliver(dns);
}

/* Lower case, no trailing dot. */
static void name_canon(char *out, size_t outlen, const char *in)
{
	size_t n = 0;

	for (; in[n] && n + 1 < outlen; n++)
		out[n] = (char)tolower((unsigned char)in[n]);
	if (n > 1 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

/* The answer of a replay query: the file's entry, or an error naming
 * the missing one. */
static void replay_answer(struct dns_query *q, struct dns_answer *a,
			  struct dns_record *recs)
{
	const struct replay_entry *e = q->rep;

	if (e == NULL) {
		a->status = DNS_STATUS_ERROR;
		snprintf(q->forced_why, sizeof(q->forced_why),
			 "no replay entry for %.100s %s", q->name, dns_type_name(q->qtype));
		a->why = q->forced_why;
		q->dns->stats.errors++;
		return;
	}
	a->status = e->status;
	a->sec = e->sec;
	a->ttl = e->ttl;
	a->canonname = e->canon;
	a->why = e->why;
	if (e->status == DNS_STATUS_SERVFAIL)
		a->rcode = 2;
	else if (e->status == DNS_STATUS_NXDOMAIN)
		a->rcode = 3;
	if (e->status == DNS_STATUS_TIMEOUT)
		q->dns->stats.timeouts++;
	if (e->sec == DNS_SEC_BOGUS)
		metrics_count(&metrics_g.dnssec_bogus); /* issue 13 */
	if (a->why == NULL && e->sec == DNS_SEC_BOGUS)
		a->why = "DNSSEC validation failed";
	else if (a->why == NULL && e->status == DNS_STATUS_SERVFAIL)
		a->why = "SERVFAIL";
	else if (a->why == NULL && e->status == DNS_STATUS_TIMEOUT)
		a->why = "no answer (replay)";
	for (size_t i = 0; e->status == DNS_STATUS_DATA && i < e->count &&
			   i < DNS_MAX_RECORDS; i++) {
		recs[i].data = e->records[i].data;
		recs[i].len = e->records[i].len;
		a->count = i + 1;
	}
	q->dns->stats.answers++;
}

/* Builds the answer of q and makes the callback. */
static void query_answer(struct dns_query *q)
{
	struct dns *dns = q->dns;
	struct dns_answer a;
	struct dns_record recs[DNS_MAX_RECORDS];
	char canon[DNS_NAME_BUF];
	struct ub_result *r = q->res;

	memset(&a, 0, sizeof(a));
	a.qname = q->name;
	a.qtype = q->qtype;
	a.canonname = q->name;
	a.records = recs;
	a.sec = DNS_SEC_INDETERMINATE;
	if (q->forced_set) {
		a.status = q->forced;
		a.why = q->forced_why;
	} else if (dns->replay) {
		replay_answer(q, &a, recs);
	} else if (q->ub_err != 0 || r == NULL) {
		a.status = DNS_STATUS_ERROR;
		snprintf(q->forced_why, sizeof(q->forced_why), "libunbound: %s",
			 ub_strerror(q->ub_err));
		a.why = q->forced_why;
		dns->stats.errors++;
	} else {
		a.rcode = r->rcode;
		a.ttl = r->ttl > 0 ? (unsigned)r->ttl : 0;
		if (r->havedata)
			a.status = DNS_STATUS_DATA;
		else if (r->nxdomain)
			a.status = DNS_STATUS_NXDOMAIN;
		else if (r->rcode == 0)
			a.status = DNS_STATUS_NODATA;
		else
			a.status = DNS_STATUS_SERVFAIL;
		if (r->secure)
			a.sec = DNS_SEC_SECURE;
		else if (r->bogus) {
			a.sec = DNS_SEC_BOGUS;
			metrics_count(&metrics_g.dnssec_bogus); /* issue 13 */
		}
		else if (dns->validating && a.status != DNS_STATUS_SERVFAIL)
			a.sec = DNS_SEC_INSECURE;
		if (r->bogus)
			a.why = r->why_bogus ? r->why_bogus : "DNSSEC validation failed";
		else if (a.status == DNS_STATUS_SERVFAIL)
			a.why = "SERVFAIL";
		if (r->canonname) {
			name_canon(canon, sizeof(canon), r->canonname);
			a.canonname = canon;
		}
		for (size_t i = 0; a.status == DNS_STATUS_DATA && r->data &&
				   r->data[i] && i < DNS_MAX_RECORDS; i++) {
			recs[i].data = (const unsigned char *)r->data[i];
			recs[i].len = r->len[i] > 0 ? (size_t)r->len[i] : 0;
			a.count = i + 1;
		}
		dns->stats.answers++;
	}
	if (dns->trace)
		dns->trace(dns->trace_arg, DNS_TRACE_ANSWER, q->name, q->qtype);
	q->cb(q->arg, &a);
}

/* Delivers every queued answer; callbacks may add to or cancel from the
 * queue meanwhile. */
static void dns_deliver(struct dns *dns)
{
	struct dns_query *q;

	while ((q = TAILQ_FIRST(&dns->done)) != NULL) {
		query_unlink(q);
		query_answer(q);
		query_free(q);
	}
}

struct dns_query *dns_resolve(struct dns *dns, const char *name, int qtype,
			      dns_cb cb, void *arg)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	char canon[DNS_NAME_BUF];
	struct timeval tv;
	int err, ok = 1;

	if ((q->timer = evtimer_new(dns->base, dns_timer_cb, q)) == NULL)
		log_fatalx("dns_resolve: out of memory");
	q->dns = dns;
	q->qtype = qtype;
	q->cb = cb;
	q->arg = arg;
	q->state = Q_PENDING;
	if (strlen(name) >= sizeof(canon)) {
		ok = 0;
		name_canon(canon, 64, name);
	} else {
		name_canon(canon, sizeof(canon), name);
	}
	q->name = xstrdup(canon);
	if (dns->trace)
		dns->trace(dns->trace_arg, DNS_TRACE_SEND, q->name, qtype);
	TAILQ_INSERT_TAIL(&dns->queries, q, all);
	dns->pending++;
	dns->stats.queries++;
	for (const char *p = canon; ok && *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			ok = 0;
	if (!ok || canon[0] == '\0' || strlen(canon) > HOSTNAME_MAX * 4) {
		q->forced_set = 1;
		q->forced = DNS_STATUS_ERROR;
		snprintf(q->forced_why, sizeof(q->forced_why), "invalid name");
	} else if (dns->pending > DNS_MAX_PENDING) {
		q->forced_set = 1;
		q->forced = DNS_STATUS_ERROR;
		snprintf(q->forced_why, sizeof(q->forced_why),
			 "more than %d queries pending", DNS_MAX_PENDING);
	} else if (dns->replay) {
		if ((q->rep = replay_find(dns->replay, q->name, qtype)) == NULL)
			dns->replay_misses++;
	} else if ((err = ub_resolve_async(dns->ctx, q->name, qtype, 1, q,
					   dns_ub_cb, &q->async_id)) != 0) {
		q->forced_set = 1;
		q->forced = DNS_STATUS_ERROR;
		snprintf(q->forced_why, sizeof(q->forced_why), "libunbound: %s",
			 ub_strerror(err));
	} else {
		q->in_ub = 1;
	}
	if (q->forced_set) {
		dns->stats.errors++;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	} else if (dns->replay) {
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	} else {
		tv.tv_sec = dns->timeout_ms / 1000;
		tv.tv_usec = (dns->timeout_ms % 1000) * 1000;
		if (!dns->ev_added) {
			if (event_add(dns->ev, NULL) < 0)
				log_fatal("dns: event_add");
			dns->ev_added = 1;
		}
	}
	if (evtimer_add(q->timer, &tv) < 0)
		log_fatal("dns: evtimer_add");
	return q;
}

void dns_cancel(struct dns_query *q)
{
	if (q->in_ub) {
		(void)ub_cancel(q->dns->ctx, q->async_id);
		q->in_ub = 0;
	}
	q->dns->stats.cancelled++;
	query_unlink(q);
	query_free(q);
}

/* ---- copies and the synchronous path ---- */

struct dns_answer *dns_answer_dup(const struct dns_answer *ans)
{
	struct dns_answer *d = xcalloc(1, sizeof(*d));
	struct dns_record *recs;

	*d = *ans;
	d->qname = xstrdup(ans->qname ? ans->qname : "");
	d->canonname = xstrdup(ans->canonname ? ans->canonname : "");
	d->why = ans->why ? xstrdup(ans->why) : NULL;
	recs = xcalloc(ans->count ? ans->count : 1, sizeof(*recs));
	for (size_t i = 0; i < ans->count; i++) {
		unsigned char *p = xmalloc(ans->records[i].len);

		if (ans->records[i].len)
			memcpy(p, ans->records[i].data, ans->records[i].len);
		recs[i].data = p;
		recs[i].len = ans->records[i].len;
	}
	d->records = recs;
	return d;
}

void dns_answer_free(struct dns_answer *ans)
{
	if (ans == NULL)
		return;
	for (size_t i = 0; i < ans->count; i++)
		free((void *)ans->records[i].data);
	free((void *)ans->records);
	free((void *)ans->qname);
	free((void *)ans->canonname);
	free((void *)ans->why);
	free(ans);
}

static void sync_cb(void *arg, const struct dns_answer *ans)
{
	*(struct dns_answer **)arg = dns_answer_dup(ans);
}

struct dns_answer *dns_resolve_sync(struct dns *dns, const char *name, int qtype)
{
	struct dns_answer *out = NULL;

	dns_resolve(dns, name, qtype, sync_cb, &out);
	while (out == NULL)
		if (event_base_loop(dns->base, EVLOOP_ONCE) < 0)
			log_fatalx("dns: event loop failed");
	return out;
}
