/* SPDX-License-Identifier: MIT */
/*
 * policy - the Postfix SMTP client TLS policy model (postconf(5)
 * smtp_tls_policy_maps, TLS_README "TLS policy table").  Pure: no I/O.
 *
 * A policy is a level plus attributes.  policy_parse() accepts exactly
 * what Postfix accepts for that level (attributes allowed per level,
 * once-only vs. repeatable attributes, value syntax, whitespace- or
 * comma-separated attributes and, from postfix_compat 310 on, the
 * "{ name = value }" form, which Postfix 3.7 refuses) and
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
	/* major*100+minor; 0 means 307 (Debian 12).  309 enables
	 * enable_rpk; 310 the TLSRPT attributes and "{ name = value }". */
	unsigned postfix_compat;
};

struct policy_attr {
	char *name;  /* lower case, e.g. "match" */
	char *value; /* normalised by policy_parse() (see policy.c) */
};

struct policy {
	enum policy_level level;
	size_t nattrs;
	/* In canonical order: by attribute (match tafile ciphers exclude
	 * protocols servername connection_reuse enable_rpk policy_type
	 * policy_domain policy_string mx_host_pattern policy_failure),
	 * repeated attributes in input order. */
	struct policy_attr *attrs;
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

/*
 * Shadow mode (issue 13): the word `testing` among a table row's params
 * (or a policy text's words) marks the row as shadowed - the daemon
 * answers NOTFOUND for it and logs what it would answer.  It is not a
 * Postfix attribute and never reaches Postfix.  Copies text to out
 * (outsz bytes) without that word (words are separated by blanks; one
 * inside braces {...} is part of a value, never the marker).  Returns
 * 1 when the word was there, 0 when not, -1 when out is too small.
 */
#define POLICY_SHADOW_WORD "testing"
int policy_strip_testing(const char *text, char *out, size_t outsz);

/* Canonical text "LEVEL attr=value ..." as Postfix receives it.
 * Returns a malloc'ed string (caller frees), NULL on ENOMEM. */
char *policy_format(const struct policy *p);
/* Only the attributes part (what goes into the table's params column);
 * "" when there are none.  Caller frees. */
char *policy_format_params(const struct policy *p);

/*
 * Checks that p works as a table row on its own, for commands that
 * write rows (policy set, import, ...): Postfix accepts "fingerprint"
 * without match= but then takes the fingerprints from main.cf's
 * smtp_tls_fingerprint_cert_match (empty by default) and defers the
 * mail.  Returns 0, or -1 with why.  Rows already in the table are not
 * checked with it (they are served as they are).
 */
int policy_check_row(const struct policy *p, struct errbuf *why);

void policy_free(struct policy *p);
/* 1 when level and attributes (names, values, order) are the same. */
int policy_equal(const struct policy *a, const struct policy *b);

/* The first value of attribute name (lower case) in p, or NULL.  The
 * pointer is into p. */
const char *policy_attr_get(const struct policy *p, const char *name);

/* 1 when attribute name is accepted at level under opts (NULL: the
 * default postfix_compat 307), else 0. */
int policy_attr_allowed(const char *name, enum policy_level level,
			const struct policy_opts *opts);

/* Copies inlen bytes of untrusted text into out (size outlen) with
 * non-printable bytes as \xNN and '\' doubled, cut with "..." after
 * 80 bytes or when out is full.  Returns out. */
char *policy_escape(char *out, size_t outlen, const char *in, size_t inlen);

/*
 * Lookup keys (the left-hand side): "domain", ".domain", "[host]",
 * "[host]:port", "domain:port", "[ipv4]", "[ipv6-address]" (also
 * "[ipv6:...]", as Postfix queries for an IPv6 address-literal recipient
 * domain), each address form with an optional ":port", and "_default".
 * A port is 1-65535 without leading zeros or a service name (Postfix
 * queries the next hop verbatim, "smtp" included).  Normalised to lower
 * case without a trailing dot; internationalised names converted to
 * A-labels; address text is checked but kept as written.
 */
enum policy_key_kind {
	POLICY_KEY_DOMAIN,
	POLICY_KEY_PARENT,   /* .domain */
	POLICY_KEY_HOST,     /* [host], [host]:port or domain:port (exact) */
	POLICY_KEY_ADDRESS,  /* [ipv4] [ipv6] with optional :port */
	POLICY_KEY_DEFAULT,  /* _default */
};

/* Writes the normalised key into out (size outlen >= POLICY_KEY_MAX).
 * Returns 0 and sets *kind (may be NULL), or -1 with why. */
int policy_key_normalize(const char *key, char *out, size_t outlen,
			 enum policy_key_kind *kind, struct errbuf *why);

#endif
