/* SPDX-License-Identifier: MIT */
/*
 * sts_fetch - fetch MTA-STS policies over HTTPS (RFC 8461 3.3) with the
 * libcurl multi interface on the caller's libevent loop.
 *
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt with: the
 * certificate verified against the system CA store (or https_ca_file)
 * and the host name checked, TLS >= 1.2, SNI, no redirect followed,
 * only status 200 accepted, Content-Type text/plain required
 * (parameters ignored), the body limited to STS_FETCH_MAX_BODY (the
 * transfer is aborted past it), the whole transfer limited to
 * https_timeout, "Cache-Control: no-cache" sent and no cache kept.
 * Proxies: libcurl's own environment handling (https_proxy, no_proxy),
 * as the curl tool does.  Names: with a dns context (opts.dns) the
 * policy host's A and AAAA records come from it and are handed to
 * libcurl (CURLOPT_RESOLVE); without one, or when it gives no address,
 * libcurl's threaded resolver resolves them (the system's resolver
 * configuration).
 *
 * TLS: one trust store (https_ca_file, or the system store libcurl
 * was built with) is loaded when the fetcher is created and shared by
 * every transfer; it is loaded again when its file changes (checked at
 * most every STS_TRUST_RECHECK_S) or on sts_fetcher_reload_trust().
 * One that cannot be loaded is logged and fails every fetch (with the
 * reason), never the fetcher's creation.
 * TLS sessions are shared by the fetcher's transfers (resumed when the
 * same host is fetched again).
 *
 * Callbacks are always made from the loop, never from within
 * sts_fetch_start().  At most max_parallel transfers run at once (each
 * has its own connection and, in libcurl's resolver, its own thread);
 * the others wait in order, and their timeout starts when they start.
 *
 * LIMITS: STS_FETCH_MAX_BODY bytes of body, STS_FETCH_MAX_TIMEOUT_MS,
 * STS_FETCH_PARALLEL transfers at once by default.
 * SECURITY: the peer never decides an allocation size (the body buffer
 * has a hard maximum); reasons quote the peer's data only through
 * printable().
 */
#ifndef TP_MTASTS_STS_FETCH_H
#define TP_MTASTS_STS_FETCH_H

#include <stddef.h>
#include "mtasts/sts_policy.h"
#include "util/errbuf.h"

#define STS_FETCH_MAX_BODY STS_POLICY_MAX_BODY
#define STS_FETCH_MAX_TIMEOUT_MS (300 * 1000)
#define STS_FETCH_PATH "/.well-known/mta-sts.txt"
#define STS_FETCH_URL_MAX 320  /* "https://mta-sts." + 253 + path */
#define STS_FETCH_PARALLEL 32  /* transfers at once, by default */
#define STS_FETCH_MAX_ADDRS 16 /* addresses of a policy host handed to libcurl */
#define STS_FETCH_RESOLVE_GRACE_MS 50 /* wait for the other family (RFC 8305) */
#define STS_TRUST_RECHECK_S 60 /* stat the CA file at most this often */

struct event_base;
struct config;
struct dns;
struct sts_fetcher;
struct sts_fetch;

struct sts_fetch_opts {
	const char *ca_file;    /* NULL or "": the system store */
	unsigned timeout_ms;    /* whole transfer; 0: 10000 */
	unsigned max_parallel;  /* transfers at once; 0: STS_FETCH_PARALLEL */
	/* Tests only: libcurl CONNECT_TO entries "HOST:PORT:ADDR:PORT",
	 * comma-separated, sending connections elsewhere while the name,
	 * SNI and the certificate check stay those of the URL.  NULL: none. */
	const char *connect_to;
	/* Resolves the policy hosts (must outlive the fetcher); NULL:
	 * libcurl does.  Not used with connect_to, nor when the
	 * environment names an https proxy (the proxy resolves). */
	struct dns *dns;
};

/* https_ca_file and https_timeout (strings owned by cfg). */
void sts_fetch_opts_from_config(const struct config *cfg,
				struct sts_fetch_opts *opts);

/* 1 when a fetcher made with opts resolves the policy hosts through
 * opts->dns (given one): no connect_to and no https proxy named by the
 * environment (https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY). */
int sts_fetch_resolves_hosts(const struct sts_fetch_opts *opts);

struct sts_fetch_result {
	int ok;               /* 1: status 200, text/plain, body within limit */
	long http_status;     /* 0 when no response came */
	const char *body;     /* ok: the body (NUL-terminated; may hold NULs) */
	size_t len;
	const char *error;    /* !ok: why, one line */
	const char *url;
	unsigned elapsed_ms;
};
/* res and the strings in it are valid only during the call. */
typedef void (*sts_fetch_cb)(void *arg, const struct sts_fetch_result *res);

/* Creates a fetcher on base (owned by the caller, must outlive it). The
 * option strings are copied. */
struct sts_fetcher *sts_fetcher_new(struct event_base *base,
				    const struct sts_fetch_opts *opts,
				    struct errbuf *why);
/* Loads the trust store again now (SIGHUP); on failure the old store
 * stays in use and a warning is logged. */
void sts_fetcher_reload_trust(struct sts_fetcher *f);
/* Cancels every transfer (no callbacks) and frees the fetcher. */
void sts_fetcher_free(struct sts_fetcher *f);
/* Transfers started and not finished or cancelled (running or
 * waiting for a slot). */
size_t sts_fetcher_pending(const struct sts_fetcher *f);

/*
 * Starts fetching the policy of domain (normalised, A-labels).  cb is
 * called exactly once unless sts_fetch_cancel() comes first; failures
 * to start are reported through cb as well.  The handle is valid until
 * the callback starts.  Never NULL.
 */
struct sts_fetch *sts_fetch_start(struct sts_fetcher *f, const char *domain,
				  sts_fetch_cb cb, void *arg);
/* The same for an explicit https:// URL (CLI and tests). */
struct sts_fetch *sts_fetch_url(struct sts_fetcher *f, const char *url,
				sts_fetch_cb cb, void *arg);
void sts_fetch_cancel(struct sts_fetch *x);

/* 1 when a Content-Type header value is text/plain (RFC 8461 3.3:
 * case-insensitive, parameters ignored), else 0.  NULL: 0. */
int sts_content_type_ok(const char *ctype);

#endif
