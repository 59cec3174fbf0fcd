/* SPDX-License-Identifier: MIT */
/*
 * source - the discovery-source interface, and nothing else: what a
 * source (DANE, MTA-STS, provider templates, and whatever comes next)
 * gives the engine and gets back.  A source includes this header, never
 * engine/engine.h: it does not know the engine, and does not register
 * itself; engine/sources.c builds the stack in precedence order and
 * registers each source (as Unbound's module stack is built from
 * module-config), see docs/ARCHITECTURE.md "How to add a discovery
 * source".
 *
 * One verdict vocabulary from every source to the engine
 * (enum source_verdict); dane_decide() gives it too.  Other status
 * enums stay where they mean something else: enum lookup_status
 * (engine.h) is the reply kind to Postfix (OK/NOTFOUND/TEMP/PERM, the
 * socketmap protocol); enum dns_status (dns/dns.h) is the outcome of one
 * DNS query; enum sts_txt_status (mtasts/sts_cache.h) is the outcome of
 * the _mta-sts TXT lookup, an input of the MTA-STS state machine whose
 * FOUND carries the policy id.
 */
#ifndef TP_ENGINE_SOURCE_H
#define TP_ENGINE_SOURCE_H

/* Where an answer came from (statistics, logs, `query -v`). */
enum answer_source {
	ANSWER_TABLE,    /* the admin's table (exact or parent) */
	ANSWER_DEFAULT,  /* the _default row */
	ANSWER_DANE,
	ANSWER_STS,
	ANSWER_PROVIDER,
	ANSWER_NONE,     /* NOTFOUND */
	ANSWER_ERROR,    /* TEMP / PERM */
	ANSWER_SOURCE_COUNT
};
const char *answer_source_name(enum answer_source src);

/*
 * Discovery sources.  discover() starts finding out what `domain` (a
 * normalised bare domain) publishes and calls done() exactly once,
 * possibly before discover() returns, always on the engine's loop.
 * cancel() (may be NULL) abandons a discovery whose deadline passed;
 * done() must then not be called.
 */
enum source_verdict {
	SOURCE_APPLIES,        /* policy_text is the answer */
	SOURCE_NOT_APPLICABLE, /* nothing published: next source decides */
	SOURCE_TEMP,           /* the domain's own data is broken (DNSSEC bogus): answer TEMP */
	SOURCE_FAILED,         /* our own failure: the next source decides; when none
				* does, NOTFOUND (not `_default`), cached briefly */
	SOURCE_NOTFOUND,       /* applies, but the answer is NOTFOUND (e.g. dane_answer =
				* notfound: Postfix's own level decides); stops the chain
				* and is cached like SOURCE_APPLIES; `_default` is not used */
};

/* source_result.flags (SOURCE_APPLIES only) */
#define SOURCE_F_PARTIAL  0x1 /* the answer leaves some MX hosts unauthenticated
			       * (partial DANE: "dane" with hosts without usable
			       * TLSA); a later source's SOURCE_F_EVERY_MX answer
			       * replaces it, any other outcome keeps it */
#define SOURCE_F_EVERY_MX 0x2 /* the answer authenticates every MX host
			       * (MTA-STS enforce) */

struct source_result {
	enum source_verdict verdict;
	const char *policy_text; /* SOURCE_APPLIES */
	const char *reason;      /* SOURCE_TEMP / SOURCE_FAILED; for logs */
	unsigned ttl;            /* seconds the verdict may be cached */
	unsigned flags;          /* SOURCE_F_* */
	/* issue 15 (TLSRPT, RFC 8460 4.3): the policy as a report names it,
	 * taken when the decision is made (SOURCE_APPLIES, SOURCE_NOTFOUND;
	 * NULL: none): report_strings the policy-string lines (MTA-STS: the
	 * policy file's lines; DANE: "_25._tcp.HOST TLSA U S M HEX" for every
	 * TLSA record of every MX host), report_mx the mx-host lines (MTA-STS
	 * patterns; DANE: the hosts with TLSA records), '\n'-separated.  Valid
	 * only during done(): the engine copies them. */
	const char *report_strings;
	const char *report_mx;
};

typedef void (*source_done_fn)(void *done_arg, const struct source_result *res);

struct engine_source {
	const char *name;            /* "dane", "sts", "provider" */
	enum answer_source answer;   /* ANSWER_DANE, ... */
	void *ctx;
	void *(*discover)(void *ctx, const char *domain, source_done_fn done,
			  void *done_arg);  /* returns a handle for cancel, or NULL */
	void (*cancel)(void *ctx, void *handle);
};

/* "applies", "not applicable", ... (static; `check` shows them). */
const char *source_verdict_name(enum source_verdict v);

#endif
