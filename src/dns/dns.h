/* SPDX-License-Identifier: MIT */
/*
 * dns - a DNSSEC-validating stub resolver on libunbound, driven by the
 * caller's libevent loop.  One context (struct dns) serves the daemon
 * or a CLI command; it validates every answer itself against the
 * configured trust anchor, so it does not depend on an upstream AD bit.
 *
 * Settings: dns_trust_anchor_file (DS or DNSKEY lines; read once at
 * dns_new(), so a chroot or privilege drop later does not matter),
 * dns_resolvers (IP or IP@port forwarders; empty: the nameservers of
 * /etc/resolv.conf; "recursive": full recursion from the root hints),
 * dns_timeout (per query).
 *
 * Queries run in libunbound's background thread; its result pipe is
 * registered on the caller's event_base while queries are pending, so
 * event_base_dispatch() returns once nothing is pending (CLI use) and
 * a daemon loop is never blocked.  Callbacks are always made from the
 * loop, never from within dns_resolve(), and never from within
 * ub_process() either: results are queued and delivered after it, so
 * a callback may start or cancel queries freely.
 *
 * LIMITS: DNS_MAX_PENDING queries in flight (more fail at once with
 * DNS_STATUS_ERROR), DNS_MAX_RESOLVERS forwarders, DNS_MAX_RECORDS
 * records per answer (the rest are ignored).
 */
#ifndef TP_DNS_DNS_H
#define TP_DNS_DNS_H

#include <stddef.h>
#include "dns/rr.h"
#include "util/errbuf.h"

/* libunbound's num-queries-per-thread is set to this too: past it, it
 * would drop older queries ("jostle"); here a query past it fails at
 * once instead (DNS_STATUS_ERROR), which the DANE layer treats as its
 * own failure. */
#define DNS_MAX_PENDING 4096
#define DNS_MAX_RESOLVERS 8
#define DNS_MAX_RECORDS 256

struct event_base;
struct config;
struct dns;
struct dns_query;

/* DNSSEC status of an answer (RFC 4035 §4.3). */
enum dns_sec {
	DNS_SEC_INDETERMINATE, /* no trust anchor covers it, or no answer */
	DNS_SEC_INSECURE,      /* provably unsigned */
	DNS_SEC_SECURE,        /* validated (data or proven non-existence) */
	DNS_SEC_BOGUS,         /* validation failed: the zone's data is broken */
};

enum dns_status {
	DNS_STATUS_DATA,     /* records of the type (maybe after CNAMEs) */
	DNS_STATUS_NODATA,   /* the name exists, no records of the type */
	DNS_STATUS_NXDOMAIN, /* the name does not exist */
	DNS_STATUS_SERVFAIL, /* SERVFAIL or another error rcode */
	DNS_STATUS_TIMEOUT,  /* no answer within dns_timeout */
	DNS_STATUS_ERROR,    /* local error (bad name, too many queries, libunbound) */
};

struct dns_record {
	const unsigned char *data; /* rdata, network order, names uncompressed */
	size_t len;
};

/* An answer; owned by the dns layer and valid only during the callback
 * (or until dns_answer_free() for a dns_answer_dup() copy). */
struct dns_answer {
	const char *qname;     /* as asked, normalised */
	int qtype;
	enum dns_status status;
	enum dns_sec sec;
	int rcode;
	/* the owner name of the records after following CNAMEs (lower case,
	 * no trailing dot); equals qname when there was no CNAME */
	const char *canonname;
	unsigned ttl;          /* TTL of the answer (negative TTL for NODATA) */
	size_t count;
	const struct dns_record *records;
	const char *why;       /* BOGUS: libunbound's reason; errors: what failed; else NULL */
};

typedef void (*dns_cb)(void *arg, const struct dns_answer *ans);

/* Settings for dns_new_opts() (tests, tools without a config). */
struct dns_opts {
	const char *trust_anchor_file; /* NULL or "": no validation (all indeterminate) */
	const char *resolvers;         /* as the setting dns_resolvers */
	unsigned timeout_ms;           /* per query; 0: 5000 */
	/* 1: no trust anchor on purpose (answers whose DNSSEC status does
	 * not matter, e.g. MTA-STS policy hosts): no warning about it */
	int unvalidated;
	/* names in this hosts(5) file (e.g. /etc/hosts) answered from it,
	 * as getaddrinfo() does; read once, here; a missing file is no
	 * error.  NULL: none */
	const char *hosts_file;
};

/* dns_trust_anchor_file, dns_resolvers, dns_timeout (strings owned by cfg). */
void dns_opts_from_config(const struct config *cfg, struct dns_opts *opts);

/* Creates the context on base (owned by the caller, must outlive it).
 * Errors (unreadable trust anchor, bad resolver address) name the
 * setting. */
struct dns *dns_new(struct event_base *base, const struct config *cfg,
		    struct errbuf *why);
struct dns *dns_new_opts(struct event_base *base, const struct dns_opts *opts,
			 struct errbuf *why);
/* A context that answers from replay (dns/replay.h) instead of
 * libunbound; takes replay (freed with the context, also on error).
 * NULL on ENOMEM. */
struct replay;
struct dns *dns_new_replay(struct event_base *base, struct replay *replay);
/* Replay queries the file had no entry for (answered DNS_STATUS_ERROR). */
unsigned long long dns_replay_misses(const struct dns *dns);
/* Cancels every pending query (their callbacks are not made). */
void dns_free(struct dns *dns);

/*
 * Tests: fn(arg, ...) for every query sent (DNS_TRACE_SEND, from
 * dns_resolve()) and every answer handed to its callback
 * (DNS_TRACE_ANSWER, just before the callback), in the order they
 * happen, with the normalised name; NULL fn stops.  test_replay_lab
 * uses it to show that the queries of one domain overlap.
 */
enum dns_trace_event { DNS_TRACE_SEND, DNS_TRACE_ANSWER };
typedef void (*dns_trace_fn)(void *arg, enum dns_trace_event ev, const char *name,
			     int qtype);
void dns_set_trace(struct dns *dns, dns_trace_fn fn, void *arg);

struct event_base *dns_base(const struct dns *dns);
/* Queries started and not yet answered or cancelled. */
size_t dns_pending(const struct dns *dns);

/*
 * Starts a query for name (presentation form, trailing dot optional).
 * cb is called exactly once from the loop unless dns_cancel() is called
 * first.  The handle is valid until the callback starts.  Never NULL.
 */
struct dns_query *dns_resolve(struct dns *dns, const char *name, int qtype,
			      dns_cb cb, void *arg);
void dns_cancel(struct dns_query *q);

/*
 * Synchronous convenience on the same path: runs dns's loop until the
 * answer is in.  Only for callers that own the loop (CLI).  Returns a
 * copy the caller frees with dns_answer_free(); never NULL (aborts on
 * ENOMEM).
 */
struct dns_answer *dns_resolve_sync(struct dns *dns, const char *name, int qtype);

struct dns_answer *dns_answer_dup(const struct dns_answer *ans);
void dns_answer_free(struct dns_answer *ans);

const char *dns_sec_name(enum dns_sec sec);
const char *dns_status_name(enum dns_status st);
/* "MX", "TLSA", ... or "TYPEnn" (static buffer for unknown types). */
const char *dns_type_name(int qtype);

/* Counters for logs and benchmarks. */
struct dns_stats {
	unsigned long long queries, answers, timeouts, errors, cancelled;
};
void dns_stats(const struct dns *dns, struct dns_stats *out);

#endif
