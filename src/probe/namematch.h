/* SPDX-License-Identifier: MIT */
/*
 * namematch - Postfix's rules for "would this TLS policy deliver to a
 * server presenting this certificate?", as pure functions.
 *
 * Name checks (levels secure and verify).  Postfix 3.x hands each match
 * name to OpenSSL with SSL_add1_host() and X509_CHECK_FLAG_NO_PARTIAL_
 * WILDCARDS (tls_client.c, add_namechecks()); a name given as ".domain"
 * (a match pattern with a leading dot, or "dot-nexthop") is passed with
 * its dot, which OpenSSL treats as a sub-domain reference.  The server
 * passes when any reference matches any certificate name, where
 * (OpenSSL X509_check_host, crypto/x509/v3_utl.c):
 *  - the certificate names are the subjectAltName dNSName entries; the
 *    subject CommonName(s) count only when there is no dNSName at all;
 *  - comparison is ASCII case-insensitive, no trailing-dot folding;
 *  - a reference "host.name" matches a certificate name equal to it, or
 *    a wildcard certificate name "*.name": the '*' must be the whole
 *    left-most label of a name with at least two dots after it (no
 *    "f*.x", no "*.com", nothing in an "xn--" label) and stands for
 *    exactly one non-empty label of letters, digits and '-' (so
 *    "*.example.com" matches "mx.example.com", not "a.b.example.com",
 *    "example.com" or "mx_1.example.com");
 *  - a reference ".domain" matches every certificate name that ends in
 *    ".domain" with at least one byte before it, compared after
 *    skipping that prefix, whatever it is: "mx.domain", "a.b.domain"
 *    and also the wildcard name "*.mail.domain" match ".domain"
 *    ("*.domain" itself matches too); "domain" does not;
 *  - a literal "*.x" in a match list is compared as a name: it matches
 *    only a certificate name that is exactly "*.x" (the wildcard may
 *    match a literal '*'), never "mx.x".
 * Match list words: "nexthop" (the next-hop domain, or the host of a
 * [host] next hop), "dot-nexthop" (".nexthop"), "hostname" (the MX host
 * name), ".domain", or a name; a lone "." is ignored (Postfix warns).
 * Defaults: secure "nexthop:dot-nexthop", verify "hostname"
 * (smtp_tls_secure_cert_match, smtp_tls_verify_cert_match).
 *
 * Verdicts per level (namematch_policy()): none, may deliver (may falls
 * back to plaintext); encrypt needs a TLS handshake; fingerprint needs
 * the SHA-256 digest of the certificate or of its public key among the
 * match values ('|'-separated, hex with or without ':', any case;
 * Postfix 3.x tls_dane_add_fpt_digests() adds each as "3 0 255" and
 * "3 1 255"); verify and secure need a trusted chain and a name match;
 * dane and dane-only depend on TLSA records and are not judged here.
 * Internationalised match names (Postfix converts them to A-labels)
 * are not converted: give A-labels.
 *
 * LIMITS: NAMEMATCH_MAX_REFS references per policy, NAMEMATCH_NAME_MAX
 * bytes per reference.
 */
#ifndef TP_PROBE_NAMEMATCH_H
#define TP_PROBE_NAMEMATCH_H

#include <stddef.h>
#include "util/errbuf.h"

#define NAMEMATCH_MAX_REFS 64
#define NAMEMATCH_NAME_MAX 256
#define NAMEMATCH_FPRINT_MAX 64   /* SHA-512 would fit; Postfix uses sha256 */

struct policy;

/*
 * 1 when the certificate name cert[0..len) (any bytes: dNSName entries
 * are untrusted) satisfies the reference ref (NUL-terminated, may start
 * with '.'), else 0.
 */
int namematch_name(const char *cert, size_t len, const char *ref);

/* The names a certificate offers (C strings; extraction replaces a name
 * containing NUL by "", which never matches). */
struct namematch_cert {
	const char *const *dns;   /* subjectAltName dNSName entries */
	size_t ndns;
	const char *const *cn;    /* subject CommonName entries (UTF-8) */
	size_t ncn;
};

/* Reference identifiers after expanding a match list. */
struct namematch_refs {
	size_t n;
	char name[NAMEMATCH_MAX_REFS][NAMEMATCH_NAME_MAX];
};

/*
 * Expands match words (as split from one or more match= values) with
 * nexthop and hostname (either may be NULL when unknown: a word that
 * needs it is then an error).  Returns 0 or -1 with why.
 */
int namematch_expand(const char *const *words, size_t nwords,
		     const char *nexthop, const char *hostname,
		     struct namematch_refs *out, struct errbuf *why);

/*
 * 1 when some reference matches some certificate name (dNSNames, or the
 * CNs when there is no dNSName); *cert_name / *ref (may be NULL) then
 * point at the pair that matched.
 */
int namematch_check(const struct namematch_cert *c,
		    const struct namematch_refs *refs,
		    const char **cert_name, const char **ref);

/* What a TLS probe of one server found, as namematch_policy() needs it. */
struct namematch_peer {
	int connected;            /* an SMTP session took place */
	int starttls;             /* STARTTLS was offered */
	int tls;                  /* the TLS handshake completed */
	int trusted;              /* the chain verified against the CA store */
	struct namematch_cert names;
	unsigned char cert_sha256[32], pkey_sha256[32];
};

enum namematch_verdict {
	NAMEMATCH_DELIVERS,
	NAMEMATCH_FAILS,
	NAMEMATCH_UNKNOWN,        /* dane levels: needs TLSA facts */
};

struct namematch_result {
	enum namematch_verdict verdict;
	char why[ERRBUF_MAX];     /* one line: what matched or what failed */
};

/*
 * Would Postfix deliver to peer under policy p?  nexthop: the next-hop
 * domain (or the host of a [host] key); hostname: the MX host name the
 * server was reached by.  Returns the verdict (also in out).
 */
enum namematch_verdict namematch_policy(const struct policy *p,
					const struct namematch_peer *peer,
					const char *nexthop, const char *hostname,
					struct namematch_result *out);

/* "delivers" / "fails" / "unknown". */
const char *namematch_verdict_name(enum namematch_verdict v);

/*
 * Splits a match value into words at ':' (names) or '|' (fingerprints),
 * as Postfix's policy parser does, into storage (caller frees) with
 * pointers in words[max].  Returns the count (empty words dropped).
 */
size_t namematch_split(const char *value, char sep, const char **words,
		       size_t max, char **storage);

#endif
