/* SPDX-License-Identifier: MIT */
/*
 * published - what a destination publishes, as the daemon's discovery
 * answers it whatever the admin's table holds, for the commands that
 * write rows (logscan --apply / --format, check --save): nothing they
 * write may be weaker than it (policy/compare.h), nothing the daemon
 * already serves is frozen into a row, and nothing is written for a
 * domain whose publication could not be found out.
 *
 * It is the daemon's own engine (engine/engine.h) with the table left
 * out (ENGINE_NO_TABLE, so no `_default` either) on the caller's
 * discovery services (engine/sources.h: the same DNS context, MTA-STS
 * cache and catalogue), with the settings of the daemon except two:
 * discovery is asked even with `discovery = no` (Postfix's own dane
 * level, or a later change of the setting, would still meet what the
 * domain publishes), and no lookup_deadline cuts a lookup short (the
 * engine's own limit of one minute per source stays).  Each source's
 * verdict is watched on the way (the sources are wrapped), so the
 * answer says whether discovery really found nothing or could not tell:
 *
 *   PUBLISHED_POLICY   the daemon answers `text` from `source` (DANE,
 *                      MTA-STS enforce, provider template); with
 *                      dane_answer = notfound a DANE domain is "dane"
 *                      (Postfix's own dane level decides);
 *   PUBLISHED_NOTHING  every source that decides before the answer ran
 *                      to its end: no DANE, no MTA-STS enforce policy,
 *                      no provider template;
 *   PUBLISHED_UNKNOWN  a source failed (our resolver, a TXT lookup, an
 *                      MTA-STS policy that is published but cannot be
 *                      fetched: bad certificate, redirect, ...; the one
 *                      minute limit), DNSSEC is bogus (the daemon answers
 *                      TEMP), or DANE cannot be looked for at all
 *                      (dns_trust_anchor_file empty): reason says which.
 */
#ifndef TP_CLI_PUBLISHED_H
#define TP_CLI_PUBLISHED_H

#include <stddef.h>
#include "engine/engine.h"
#include "policy/policy.h"
#include "util/errbuf.h"

struct event_base;
struct config;
struct engine_sources;
struct published_ctx;

enum published_kind { PUBLISHED_NOTHING, PUBLISHED_POLICY, PUBLISHED_UNKNOWN };

struct published {
	enum published_kind kind;
	enum answer_source source;      /* PUBLISHED_POLICY */
	char text[POLICY_MAX_TEXT + 1]; /* PUBLISHED_POLICY: the answer */
	char reason[512];               /* PUBLISHED_UNKNOWN: why */
};

/* On srcs (made by the caller on base with cfg; must outlive the
 * context).  NULL with why on failure. */
struct published_ctx *published_new(struct event_base *base, const struct config *cfg,
				    struct engine_sources *srcs, struct errbuf *why);
/* Before engine_sources_free(). */
void published_free(struct published_ctx *pc);

/* Starts finding out what domain (a normalised bare domain) publishes;
 * cb is called exactly once, from base's loop or before this returns. */
typedef void (*published_cb)(void *arg, const struct published *res);
void published_lookup(struct published_ctx *pc, const char *domain,
		      published_cb cb, void *arg);
/* Runs base until every lookup started has called back. */
void published_wait(struct published_ctx *pc);

/* "DANE", "MTA-STS", "a provider template", ...: source of a POLICY. */
const char *published_source_name(enum answer_source src);

/*
 * May a row with policy row_text be written for domain, given what it
 * publishes?  PUBLISHED_WRITE: nothing is published, or the row is
 * stronger than what is; PUBLISHED_SERVED: the daemon already answers
 * at least as strong a policy (writing it would freeze a dynamic
 * answer); PUBLISHED_WEAKER: the row is weaker than what is published;
 * PUBLISHED_NOT_KNOWN: the publication is unknown.  why (whylen bytes)
 * says it in words for every verdict but WRITE.
 */
enum published_verdict {
	PUBLISHED_WRITE,
	PUBLISHED_SERVED,
	PUBLISHED_WEAKER,
	PUBLISHED_NOT_KNOWN,
};
enum published_verdict published_judge(const struct published *res, const char *domain,
				       const char *row_text, char *why, size_t whylen);

/* --force-weaker DOMAIN (repeatable): the only way to write a row the
 * judge calls WEAKER or NOT_KNOWN.  Each DOMAIN is normalised; returns
 * -1 with why for an invalid one.  At most PUBLISHED_FORCE_MAX. */
#define PUBLISHED_FORCE_MAX 256
struct published_force {
	size_t n;
	char key[PUBLISHED_FORCE_MAX][POLICY_KEY_MAX];
	unsigned char used[PUBLISHED_FORCE_MAX];
};
int published_force_add(struct published_force *f, const char *domain, struct errbuf *why);
/* 1 when domain was named (and marks it used). */
int published_forced(struct published_force *f, const char *domain);

#endif
