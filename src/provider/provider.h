/* SPDX-License-Identifier: MIT */
/*
 * provider - provider templates: the discovery source that answers a
 * domain whose MX hosts all belong to one catalogued provider with that
 * provider's policy (engine.h, after DANE and MTA-STS), the MX lookup
 * it needs, and the transport-map method (transport(5) lines pinning a
 * domain to the provider's MX hosts as [host] next hops, tls_policy(5)
 * lines keyed by those next hops, and a check that pins still match
 * the domains' current MX).
 *
 * MX lookups use the one DNS context it is given (dns/dns.h:
 * dns_resolve() of type MX, dns/mx.h dns_mx_parse() for the RRset, with
 * the provider's own rule applied in provider_mxset_from_answer());
 * dane_lookup() would also do but needs the DANE layer, which is off
 * without a trust anchor.
 *
 * Verdicts (provider_decide(), pure):
 *   MX lookup timed out / SERVFAIL / bogus   -> SOURCE_FAILED
 *   NXDOMAIN, null MX                        -> SOURCE_NOT_APPLICABLE
 *   no MX (NODATA): the domain is its own MX host (RFC 5321 §5.1)
 *   hosts at different providers, or unknown -> SOURCE_NOT_APPLICABLE
 *   one provider, entry without a policy     -> SOURCE_NOT_APPLICABLE
 *   one provider with a policy               -> SOURCE_APPLIES policy
 * The TTL is the MX answer's (negative TTL when there is none), at
 * least PROVIDER_MIN_TTL.
 *
 * LIMITS: PROVIDER_MAX_HOSTS MX hosts per domain (more: the verdict is
 * not applicable, the set is not fully known), PROVIDER_MAX_PINS pinned
 * domains in a --check.
 */
#ifndef TP_PROVIDER_PROVIDER_H
#define TP_PROVIDER_PROVIDER_H

#include <stdio.h>
#include "dns/dns.h"
#include "engine/source.h"
#include "provider/catalog.h"
#include "util/errbuf.h"
#include "util/hostname.h"

#define PROVIDER_MAX_HOSTS 32
#define PROVIDER_HOST_MAX 256
#define PROVIDER_MIN_TTL 60
#define PROVIDER_MAX_PINS 100000

struct config;
struct event_base;

/* The MX RRset of a domain, as found. */
struct provider_mxset {
	char domain[PROVIDER_HOST_MAX];
	enum dns_status status;
	enum dns_sec sec;
	unsigned ttl;
	int null_mx;               /* "MX 0 ." (RFC 7505) */
	int implicit;              /* no MX: hosts[0] is the domain */
	int truncated;             /* more than PROVIDER_MAX_HOSTS */
	size_t nhosts;             /* in preference order */
	char hosts[PROVIDER_MAX_HOSTS][PROVIDER_HOST_MAX];
	unsigned pref[PROVIDER_MAX_HOSTS];
	char why[256];             /* errors: what failed */
};

struct provider_mxq;
typedef void (*provider_mx_cb)(void *arg, const struct provider_mxset *mx);

/* Looks up the MX RRset of domain; cb is called once from the loop
 * unless cancelled.  Never NULL. */
struct provider_mxq *provider_mx_lookup(struct dns *dns, const char *domain,
					provider_mx_cb cb, void *arg);
void provider_mx_cancel(struct provider_mxq *q);

/* Fills an MX set from a DNS answer (pure; used by the lookup and by
 * tests). */
void provider_mxset_from_answer(const struct dns_answer *ans, const char *domain,
				struct provider_mxset *out);

struct provider_decision {
	enum source_verdict verdict;
	const struct provider *provider;   /* the provider, when one owns every host */
	const char *policy;                /* APPLIES: points into the catalogue */
	char reason[512];
	unsigned ttl;
};

/* The decision table above (pure). */
void provider_decide(const struct catalog *cat, const struct provider_mxset *mx,
		     struct provider_decision *out);

/* The discovery source on dns and cat (both must outlive it). */
struct provider_src;
struct provider_src *provider_src_new(struct dns *dns, const struct catalog *cat);
void provider_src_free(struct provider_src *src);
/* Fills *out: name "provider", ANSWER_PROVIDER.  Returns 0. */
int provider_source_init(struct provider_src *src, struct engine_source *out);

/*
 * The set-up the daemon and CLI share: the catalogue (catalog_load()),
 * the source on dns (the caller's one context; required).  The source
 * (provider_source_init()) is registered by engine/sources.c, with
 * provider_policies = yes, after DANE and MTA-STS.  Free it after the
 * engine and before the dns context it was given.
 */
struct provider_service;
int provider_service_new(struct event_base *base, const struct config *cfg,
			 struct dns *dns,
			 struct provider_service **out, struct errbuf *why);
const struct catalog *provider_service_catalog(const struct provider_service *svc);
struct dns *provider_service_dns(const struct provider_service *svc);
struct provider_src *provider_service_src(const struct provider_service *svc);
void provider_service_free(struct provider_service *svc);

/*
 * The transport-map method.  For each MX set (all hosts at provider p),
 * writes to transport a transport(5) line "domain smtp:[h1], [h2]"
 * (Postfix >= 3.5 takes a list; below that only the first host, said
 * in a comment) and to tls_policy one "[host] POLICY" line per distinct
 * host, with comments naming the domains.  postfix_compat: x*100+y.
 * Returns 0, or -1 when p has no policy.
 */
int provider_template_write(FILE *transport, FILE *tls_policy,
			    const struct provider *p,
			    const struct provider_mxset *const *sets, size_t n,
			    unsigned postfix_compat, struct errbuf *why);

/* One transport(5) entry: the pinned [host] next hops of a domain. */
struct provider_pin {
	char domain[PROVIDER_HOST_MAX];
	unsigned line;
	size_t nhosts;
	char hosts[PROVIDER_MAX_HOSTS][PROVIDER_HOST_MAX];
};

/*
 * Reads transport(5) text: "KEY transport:nexthop[, nexthop...]" lines
 * (comments, continuation lines), keeping entries whose next hops are
 * [host] or [host]:port.  *out (caller frees) gets *n pins.  -1 with
 * "origin:line: reason" for malformed lines.
 */
int provider_pins_parse(const char *text, size_t len, const char *origin,
			struct provider_pin **out, size_t *n, struct errbuf *why);

#endif
