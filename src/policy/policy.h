/* SPDX-License-Identifier: MIT */
/*
 * policy - the Postfix SMTP client TLS policy model (postconf(5)
 * smtp_tls_policy_maps, TLS_README "TLS policy table").  Pure: no I/O.
 *
 * A policy is a level plus attributes.  policy_parse() accepts exactly
 * what Postfix accepts for that level (attributes allowed per level,
 * once-only vs. repeatable attributes, value syntax, whitespace- or
 * comma-separated attributes and the "{ name = value }" form) and
 * rejects everything else with a reason naming the attribute or
 * character.  policy_format() is canonical: parse(format(p)) == p.
 *
 * Everything that prints or parses a Postfix policy string goes through
 * this module, so the daemon, exports and reports agree.
 *
 * LIMITS: POLICY_MAX_TEXT bytes of policy text, POLICY_MAX_ATTRS
 * attributes.
 */
#ifndef TP_POLICY_POLICY_H
#define TP_POLICY_POLICY_H

#include <stddef.h>
#include "util/errbuf.h"

#define POLICY_MAX_TEXT 4096
#define POLICY_MAX_ATTRS 64
#define POLICY_KEY_MAX 300 /* "[" + 253-byte name + "]:65535" fits */

/* Ordered from weakest to strongest where that is meaningful. */
enum policy_level {
	POLICY_NONE,
	POLICY_MAY,
	POLICY_ENCRYPT,
	POLICY_DANE,
	POLICY_DANE_ONLY,
	POLICY_FINGERPRINT,
	POLICY_VERIFY,
	POLICY_SECURE,
	POLICY_LEVEL_COUNT
};

/* Options that change what is accepted. */
struct policy_opts {
	unsigned postfix_compat; /* major*100+minor, e.g. 307; 310 enables TLSRPT attrs */
};

struct policy_attr {
	char *name;  /* lower case, e.g. "match" */
	char *value; /* as given; canonical forms are produced by format */
};

struct policy {
	enum policy_level level;
	size_t nattrs;
	struct policy_attr *attrs; /* in input order */
};

/* "none" .. "secure"; NULL for an invalid level. */
const char *policy_level_name(enum policy_level level);
/* Returns 0 and sets *level, or -1 (why: "unknown TLS security level ..."). */
int policy_level_parse(const char *name, enum policy_level *level,
		       struct errbuf *why);

/*
 * Parses "LEVEL [attr=value ...]" (the right-hand side of a tls_policy
 * table entry).  On success *out is a new policy the caller frees with
 * policy_free(); on error returns -1, *out is NULL, why says why.
 */
int policy_parse(const char *text, const struct policy_opts *opts,
		 struct policy **out, struct errbuf *why);

/* Same, from a table row's two columns: level and params (NULL or ""
 * for none). */
int policy_parse_parts(const char *level, const char *params,
		       const struct policy_opts *opts, struct policy **out,
		       struct errbuf *why);

/* Canonical text "LEVEL attr=value ..." as Postfix receives it.
 * Returns a malloc'ed string (caller frees), NULL on ENOMEM. */
char *policy_format(const struct policy *p);
/* Only the attributes part (what goes into the table's params column);
 * "" when there are none.  Caller frees. */
char *policy_format_params(const struct policy *p);

void policy_free(struct policy *p);
int policy_equal(const struct policy *a, const struct policy *b);

/*
 * Lookup keys (the left-hand side): "domain", ".domain", "[host]",
 * "[host]:port", "[ipv4]", "[ipv6-address]" (also "[ipv6:...]"), and
 * "_default".  Normalised to lower case without a trailing dot;
 * internationalised names converted to A-labels.
 */
enum policy_key_kind {
	POLICY_KEY_DOMAIN,
	POLICY_KEY_PARENT,   /* .domain */
	POLICY_KEY_HOST,     /* [host] or [host]:port */
	POLICY_KEY_ADDRESS,  /* [ipv4] [ipv6] with optional :port */
	POLICY_KEY_DEFAULT,  /* _default */
};

/* Writes the normalised key into out (size outlen >= POLICY_KEY_MAX).
 * Returns 0 and sets *kind (may be NULL), or -1 with why. */
int policy_key_normalize(const char *key, char *out, size_t outlen,
			 enum policy_key_kind *kind, struct errbuf *why);

#endif
