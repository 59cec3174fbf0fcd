/* SPDX-License-Identifier: MIT */
/*
 * dane - what a destination domain publishes for DANE (RFC 7672), and
 * the verdict the engine turns into a Postfix answer.
 *
 * dane_lookup() gathers the facts for one domain, as Postfix's own
 * `dane` level would find them: the MX RRset and its DNSSEC status
 * (implicit MX when there is none, RFC 5321 §5.1; null MX, RFC 7505),
 * each MX host's A and AAAA RRsets, and - only for hosts whose address
 * records are secure - the TLSA RRset at _25._tcp.HOST.  For a host
 * reached through a secure CNAME chain the TLSA base domain is first
 * the expanded name, then the original one (RFC 7672 §2.2.2, RFC 7671
 * §7); a CNAME'd TLSA owner name is followed by the resolver.  All the
 * hosts of a domain are looked up concurrently.
 *
 * dane_decide() is a pure function of the facts (unit tested row by
 * row):
 *   MX lookup failed (timeout, SERVFAIL; not bogus)   -> FAILED
 *   MX bogus                                          -> TEMP, naming MX
 *   domain does not exist, MX indeterminate, null MX  -> NOT_APPLICABLE
 *   MX insecure: the rows below, but at most "dane"
 *   and always partial (RFC 7672 §2.2.1 MAY; what
 *   Postfix's own dane level does)                   -> APPLIES "dane"
 *   every usable MX host secure with usable TLSA      -> APPLIES dane_answer
 *   some MX hosts with usable TLSA, TLSA present but
 *   none usable, or some hosts bogus (Postfix skips
 *   those itself)                                     -> APPLIES "dane"
 *   every MX host bogus (address or TLSA)             -> TEMP, naming the record
 *   a secure host's TLSA lookup failed (SERVFAIL,
 *   timeout), nothing usable elsewhere                -> APPLIES "dane": Postfix's
 *                                                        dane level defers that
 *                                                        host ("TLSA lookup error")
 *   a host's address lookup failed, nothing usable    -> FAILED
 *   no TLSA anywhere                                  -> NOT_APPLICABLE
 * An APPLIES "dane" is `partial` when some MX host would get no DANE
 * authentication from it (secure without TLSA, insecure address
 * records, only unusable TLSA, or hosts past DANE_MAX_HOSTS): Postfix
 * gives those hosts opportunistic (or unauthenticated mandatory) TLS, so
 * the engine lets an MTA-STS enforce policy answer instead (engine.h
 * SOURCE_F_PARTIAL).
 * MX hosts that securely have no address are left out (Postfix cannot
 * use them either).  The TTL is the smallest TTL of the records used.
 *
 * LIMITS: DANE_MAX_HOSTS MX hosts per domain, in preference order; past
 * it the verdict is at most "dane" (dane-only is never claimed for
 * hosts that were not looked at).  DANE_MAX_TLSA records per RRset.
 */
#ifndef TP_DANE_DANE_H
#define TP_DANE_DANE_H

#include <netinet/in.h>  /* INET6_ADDRSTRLEN */
#include <stddef.h>
#include "dns/dns.h"
#include "dns/rr.h"
#include "engine/source.h"
#include "util/errbuf.h"
#include "util/hostname.h"

#define DANE_MAX_HOSTS 16
#define DANE_MAX_TLSA 32
#define DANE_MAX_ADDRS 16
#define DANE_REASON_MAX 768
/* seconds the outcome of the root check (engine source) holds */
#define DANE_ROOT_CHECK_TTL 30
/* "_25._tcp." + a host name, and the NUL */
#define DANE_NAME_BUF (sizeof("_25._tcp.") - 1 + HOSTNAME_BUF)

struct config;
struct engine_source;
struct dane;
struct dane_lookup;

/* One RRset lookup as the facts record it. */
struct dane_rrset {
	int done;                    /* 0: not looked up */
	char qname[DANE_NAME_BUF];
	char canon[DANE_NAME_BUF];   /* owner after CNAMEs (cut when longer) */
	enum dns_status status;
	enum dns_sec sec;
	unsigned ttl;
	char why[256];               /* bogus reason / error text */
};

struct dane_tlsa {
	struct tlsa_rr rr;           /* data points into `data` below */
	unsigned char *data;
	int usable;
	int malformed;               /* shorter than 3 bytes: rr is all zero */
	const char *why_unusable;    /* static */
};

struct dane_host {
	char name[DANE_NAME_BUF];
	unsigned pref;
	struct dane_rrset a, aaaa;
	size_t naddrs;
	char addrs[DANE_MAX_ADDRS][INET6_ADDRSTRLEN];
	/* TLSA at the expanded name (only when the host is a CNAME) and at
	 * the original name; `tlsa` is the one whose records count. */
	struct dane_rrset tlsa_canon, tlsa_orig;
	const struct dane_rrset *tlsa;
	size_t ntlsa, nusable;
	struct dane_tlsa tlsas[DANE_MAX_TLSA];
};

enum dane_host_state {
	DANE_HOST_NOADDR,       /* secure, no address: not usable by Postfix either */
	DANE_HOST_INSECURE,     /* address records not secure: no TLSA lookup */
	DANE_HOST_ADDR_BOGUS,
	DANE_HOST_ADDR_FAILED,  /* address lookup timed out / SERVFAIL */
	DANE_HOST_NO_TLSA,      /* secure, no TLSA (or only insecure TLSA) */
	DANE_HOST_TLSA_UNUSABLE,/* TLSA present, none usable */
	DANE_HOST_TLSA_USABLE,
	DANE_HOST_TLSA_BOGUS,
	DANE_HOST_TLSA_FAILED,
};

struct dane_facts {
	char domain[DANE_NAME_BUF];
	struct dane_rrset mx;
	int null_mx;                 /* "MX 0 ." (RFC 7505) */
	int implicit_mx;             /* no MX: the domain itself is the host */
	int truncated;               /* more than DANE_MAX_HOSTS hosts */
	size_t nbad_mx;              /* MX records that were not usable names */
	int hosts_looked_up;         /* addresses (and TLSA) were looked up */
	size_t nhosts;
	struct dane_host *hosts;     /* nhosts entries, preference order */
};

enum dane_answer_mode { DANE_ANSWER_DANE_ONLY, DANE_ANSWER_DANE, DANE_ANSWER_NOTFOUND };

struct dane_decision {
	/* the source verdict (engine/source.h): SOURCE_APPLIES (level is
	 * the answer), SOURCE_NOT_APPLICABLE, SOURCE_NOTFOUND (applies, but
	 * dane_answer = notfound), SOURCE_TEMP (the domain's DNSSEC data is
	 * broken), SOURCE_FAILED (our own failure: timeout, SERVFAIL) */
	enum source_verdict verdict;
	const char *level;     /* SOURCE_APPLIES: "dane-only" or "dane" */
	int partial;           /* SOURCE_APPLIES "dane" leaving MX hosts unauthenticated */
	char reason[DANE_REASON_MAX];
	unsigned ttl;          /* smallest TTL of the records used */
};

/* Parses the setting value; -1 for an invalid one. */
int dane_answer_parse(const char *s, enum dane_answer_mode *mode);

enum dane_host_state dane_host_state(const struct dane_host *h);
const char *dane_host_state_name(enum dane_host_state st);

/* The decision table (pure; see the top of this file). */
void dane_decide(const struct dane_facts *f, enum dane_answer_mode mode,
		 struct dane_decision *out);

/* Creates the DANE layer on a dns context (must outlive it); reads
 * dane_answer from cfg (NULL: defaults). */
struct dane *dane_new(struct dns *dns, const struct config *cfg,
		      struct errbuf *why);
void dane_free(struct dane *dane);
enum dane_answer_mode dane_mode(const struct dane *dane);

/*
 * Gathers the facts for domain (a bare domain; normalised here).  cb is
 * called once from the loop with the facts (valid only during the
 * call) unless dane_lookup_cancel() is called first.  Never NULL.
 */
typedef void (*dane_cb)(void *arg, const struct dane_facts *facts);
struct dane_lookup *dane_lookup(struct dane *dane, const char *domain,
				dane_cb cb, void *arg);
void dane_lookup_cancel(struct dane_lookup *lk);

/*
 * The DANE discovery source for the engine (engine.h): discover() runs
 * dane_lookup() + dane_decide().  SOURCE_NOTFOUND is SOURCE_NOTFOUND (no
 * later source answers); a partial APPLIES carries SOURCE_F_PARTIAL.  A TEMP verdict stands only when the root
 * zone's DNSKEY validates as secure through the same dns context
 * (checked at most every DANE_ROOT_CHECK_TTL seconds); otherwise
 * tlspolicy's own validation is broken (trust anchor, forwarders, no
 * route) and the verdict is SOURCE_FAILED, logged once per outage:
 * tlspolicy's own failures never defer mail.  Returns 0.
 */
int dane_source_init(struct dane *dane, struct engine_source *out);

/*
 * The set-up the daemon and CLI commands share: the DANE layer on the
 * caller's dns context (engine/sources.c makes the one of the daemon;
 * the service does not free it); the source (dane_source_init()) is
 * registered by engine/sources.c, first.  With dns_trust_anchor_file
 * empty DANE is off: a warning is logged, 0 returned and *out set to NULL.  Errors (unreadable trust
 * anchor, bad dns_resolvers, bad dane_answer) return -1 naming the
 * setting.  Free it after the engine (engine_free may cancel
 * discoveries).
 */
struct dane_service;
int dane_service_new(struct event_base *base, const struct config *cfg,
		     struct dns *dns, struct dane_service **out, struct errbuf *why);
struct dns *dane_service_dns(const struct dane_service *svc);
struct dane *dane_service_dane(const struct dane_service *svc);
void dane_service_free(struct dane_service *svc);
/* Takes dane_answer from cfg (SIGHUP), for the next decisions. */
int dane_service_reconfigure(struct dane_service *svc, const struct config *cfg);

#endif
