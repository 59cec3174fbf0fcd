/* SPDX-License-Identifier: MIT */
/*
 * probe - connects to an SMTP server, reads the banner, says EHLO, does
 * STARTTLS when offered and reports what it found: the EHLO extensions,
 * TLS version and cipher, the certificate chain with Postfix-style
 * fingerprints, chain verification against a CA store, the names the
 * leaf certificate is valid for, and, when the host has TLSA records,
 * which record matches which certificate.  Everything the server does
 * wrong (no STARTTLS, STARTTLS refused, handshake failure, a 5xx
 * banner, a timeout) is a fact in the result, never a crash.
 *
 * Many hosts in parallel: a probe context runs on the caller's libevent
 * loop; probe_start() queues a target, at most max_parallel run at once
 * (the rest wait in order), every step (resolve, connect, banner, EHLO,
 * STARTTLS, handshake, QUIT) has its own timeout (setting probe_timeout).
 * Callbacks are made from the loop, never from within probe_start().
 *
 * Names are resolved with the dns layer's resolver (dns/dns.h) when
 * the context has one: A and AAAA (tried in that order, IPv4 first) and
 * TLSA at _PORT._tcp.HOST, each with its DNSSEC status; TLSA records
 * only count, as in Postfix, when the address records and the TLSA
 * RRset are secure.  Without a resolver, getaddrinfo() is used (it
 * blocks the loop: CLI use only) and TLSA is not looked up.  Address
 * literals are used as they are (TLSA for --servername then).
 *
 * Like Postfix's smtp(8): addresses are tried in order until one gives
 * an SMTP session (a failed connect or a non-2xx banner moves on); no
 * SNI unless a servername is given (Postfix sends none at verify/secure
 * without servername=); OpenSSL security level 0, TLS 1.0 and up.
 * Unlike Postfix (which by default trusts only smtp_tls_CAfile /
 * CApath), the default CA store is OpenSSL's system store.
 *
 * The caller must ignore SIGPIPE (a server may close mid-write).
 *
 * LIMITS: PROBE_MAX_ADDRS addresses per host, PROBE_MAX_CHAIN
 * certificates kept, PROBE_MAX_TLSA TLSA records, PROBE_MAX_PARALLEL
 * concurrent probes, SMTP reply limits of smtp_reply.h.
 */
#ifndef TP_PROBE_PROBE_H
#define TP_PROBE_PROBE_H

#include <netinet/in.h>  /* INET6_ADDRSTRLEN */
#include <stddef.h>
#include "dns/dns.h"
#include "dns/rr.h"
#include "probe/certinfo.h"
#include "probe/namematch.h"
#include "util/errbuf.h"

#define PROBE_MAX_ADDRS 8
#define PROBE_MAX_CHAIN 10
#define PROBE_MAX_TLSA 32
#define PROBE_MAX_PARALLEL 1024
#define PROBE_HOST_MAX 256
#define PROBE_DEFAULT_TIMEOUT_MS 10000
#define PROBE_DEFAULT_PARALLEL 16

struct event_base;
struct config;
struct probe_ctx;
struct probe_req;

struct probe_opts {
	unsigned timeout_ms;     /* per step; 0: PROBE_DEFAULT_TIMEOUT_MS */
	const char *ca_file;     /* NULL or "": OpenSSL's default paths */
	const char *helo;        /* EHLO name; NULL: this host's name */
	unsigned max_parallel;   /* 0: PROBE_DEFAULT_PARALLEL */
	/* TLS signature algorithms offered (SSL_CTX_set1_sigalgs_list), so
	 * that a server with an RSA and an ECDSA certificate shows either;
	 * NULL: OpenSSL's default */
	const char *sigalgs;
};

/* Creates a context on base; dns (may be NULL) must outlive it.
 * Errors: unreadable ca_file, OpenSSL failure. */
struct probe_ctx *probe_new(struct event_base *base, struct dns *dns,
			    const struct probe_opts *opts, struct errbuf *why);
/* The same with timeout_ms and ca_file from the settings probe_timeout
 * and smtp_ca_file (opts may be NULL; its other fields are used). */
struct probe_ctx *probe_new_cfg(struct event_base *base, struct dns *dns,
				const struct config *cfg,
				const struct probe_opts *opts, struct errbuf *why);
/* Cancels every probe (no callbacks) and frees the context. */
void probe_free(struct probe_ctx *ctx);

struct probe_target {
	const char *host;        /* name or address literal (IPv6 without []) */
	unsigned port;           /* 0: 25 */
	const char *servername;  /* SNI; NULL: none */
	/* Optional addresses already known (numeric); then host is not
	 * resolved (TLSA is still looked up for a name). */
	const char *const *addrs;
	size_t naddrs;
};

enum probe_status {
	PROBE_OK,               /* an SMTP session took place (see tls) */
	PROBE_RESOLVE_FAILED,   /* no address */
	PROBE_CONNECT_FAILED,   /* refused / unreachable on every address */
	PROBE_TIMEOUT,          /* a step timed out on every address */
	PROBE_SMTP_FAILED,      /* banner not 2xx, malformed replies, closed */
	PROBE_ERROR,            /* our own failure (out of memory, OpenSSL) */
};

enum probe_tls {
	PROBE_TLS_NONE,         /* no session, so nothing known */
	PROBE_TLS_NOT_OFFERED,  /* EHLO without STARTTLS (or EHLO refused) */
	PROBE_TLS_REFUSED,      /* STARTTLS answered with non-220 */
	PROBE_TLS_FAILED,       /* handshake failed or timed out */
	PROBE_TLS_OK,
};

struct probe_attempt {
	char addr[INET6_ADDRSTRLEN];
	enum probe_status status;
	char why[256];
};

struct probe_tlsa {
	struct tlsa_rr rr;       /* data points to `data` */
	unsigned char *data;
	int usable;              /* RFC 7672 (tlsa_usable) */
	const char *why_unusable;
	enum tlsa_chain_match match;
	int depth;               /* matching certificate, -1 none */
};

struct probe_result {
	char host[PROBE_HOST_MAX];
	unsigned port;
	char servername[PROBE_HOST_MAX];   /* "" when no SNI */
	enum probe_status status;
	char why[ERRBUF_MAX];              /* status != OK: one line */
	char addr[INET6_ADDRSTRLEN];       /* address of the session */
	size_t nattempts;
	struct probe_attempt attempts[PROBE_MAX_ADDRS];

	/* resolution (names only; DNS_SEC_INDETERMINATE without a resolver) */
	int resolved_by_dns;
	enum dns_sec addr_sec;             /* weakest of the A / AAAA answers */

	/* SMTP */
	int banner_code;
	size_t nbanner;
	char **banner;                     /* lines without the code */
	int ehlo_code;                     /* 0: not sent */
	char *ehlo_greeting;
	size_t next;
	char **ext;                        /* "KEYWORD params" */
	int starttls_offered;
	size_t next_tls;                   /* EHLO after STARTTLS */
	char **ext_tls;

	/* TLS */
	enum probe_tls tls;
	char tls_why[ERRBUF_MAX];
	char tls_version[16];
	char cipher[64];
	int cipher_bits;
	size_t nchain;
	struct cert_info chain[PROBE_MAX_CHAIN]; /* leaf first, as sent */
	size_t nchain_sent;                /* certificates the server sent */
	int verified;                      /* chain verifies against the CA store */
	long verify_error;                 /* X509_V_* */
	char verify_why[256];
	/* names: the leaf's dNSNames, else its CNs; and whether one matches
	 * the host name (or, for an address, the servername) - Postfix's
	 * "verify" default */
	int host_checked, host_match;
	char host_checked_name[PROBE_HOST_MAX]; /* the name checked */
	char host_match_name[CERT_NAME_MAX];    /* the certificate name that matched */

	/* DANE */
	char tlsa_name[PROBE_HOST_MAX + 16]; /* "_25._tcp.HOST", "" when not looked up */
	int tlsa_looked_up;
	enum dns_status tlsa_status;
	enum dns_sec tlsa_sec;
	size_t ntlsa;
	struct probe_tlsa tlsa[PROBE_MAX_TLSA];
	/* "none" (no usable secure TLSA), "ee-match", "ta-match", "no-match",
	 * "insecure" (TLSA or addresses not DNSSEC-secure), "not-checked" */
	const char *dane;

	/* timings in milliseconds */
	unsigned ms_resolve, ms_connect, ms_banner, ms_tls, ms_total;
};

/* The result is valid only during the callback; the request handle is
 * invalid once the callback starts (do not cancel it from there). */
typedef void (*probe_cb)(void *arg, const struct probe_result *res);

/* Queues a probe; the target's strings are copied.  Never NULL (aborts
 * on ENOMEM).  The callback is made exactly once unless cancelled. */
struct probe_req *probe_start(struct probe_ctx *ctx,
			      const struct probe_target *target,
			      probe_cb cb, void *arg);
void probe_cancel(struct probe_req *req);

/* Probes queued or running. */
size_t probe_pending(const struct probe_ctx *ctx);

/* What namematch_policy() needs, pointing into res. */
void probe_result_peer(const struct probe_result *res, struct namematch_peer *out);

const char *probe_status_name(enum probe_status st);
const char *probe_tls_name(enum probe_tls t);

/* Reports (probe_report.c).  Text for people; JSON one object. */
#include <stdio.h>
void probe_report_text(FILE *out, const struct probe_result *res);
void probe_report_json(FILE *out, const struct probe_result *res);

#endif
