/* SPDX-License-Identifier: MIT */
/*
 * namematch.c - Postfix's certificate name and policy rules (see
 * namematch.h).  namematch_name() is written from the behaviour of
 * OpenSSL's X509_check_host() with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS
 * (what Postfix 3.x asks for); tests/probe/test_namematch.c compares
 * the two on thousands of generated pairs, so a difference in the
 * installed OpenSSL shows up as a failing test.
 */
#include "probe/namematch.h"
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int is_ldh_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Case-insensitive equality of two byte strings; a NUL in the
 * certificate name never matches. */
static int equal_bytes(const unsigned char *c, size_t clen,
		       const unsigned char *r, size_t rlen)
{
	if (clen != rlen)
		return 0;
	for (size_t i = 0; i < clen; i++) {
		if (c[i] == 0)
			return 0;
		if (lower(c[i]) != lower(r[i]))
			return 0;
	}
	return 1;
}

/*
 * Sub-domain reference (ref starts with '.'): skip a prefix of the
 * certificate name so that an equally long suffix remains, provided
 * the prefix has no NUL; then compare.
 */
static int equal_dot(const unsigned char *c, size_t clen,
		     const unsigned char *r, size_t rlen)
{
	if (clen > rlen) {
		size_t skip = clen - rlen;

		if (memchr(c, '\0', skip) != NULL)
			return equal_bytes(c, clen, r, rlen);  /* length differs: 0 */
		c += skip;
		clen = rlen;
	}
	return equal_bytes(c, clen, r, rlen);
}

/*
 * The position of a usable wildcard in a certificate name, or -1: one
 * '*' forming the whole first label, not in an "xn--" label, at least
 * two dots, labels of letters/digits/'-' not starting or ending with
 * '-', no empty label, no trailing dot.
 */
static long wildcard_pos(const unsigned char *p, size_t len)
{
	long star = -1;
	size_t dots = 0;
	int label_start = 1, hyphen = 0, idna = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = p[i];

		if (ch == '*') {
			int atend = (i == len - 1 || p[i + 1] == '.');

			if (star >= 0 || idna || dots > 0)
				return -1;
			if (!label_start || !atend)   /* no partial-label wildcards */
				return -1;
			star = (long)i;
			label_start = 0;
		} else if (is_ldh_alnum(ch)) {
			if (label_start && len - i >= 4 && strncasecmp((const char *)p + i, "xn--", 4) == 0)
				idna = 1;
			label_start = 0;
			hyphen = 0;
		} else if (ch == '.') {
			if (label_start || hyphen)
				return -1;
			label_start = 1;
			idna = 0;
			dots++;
		} else if (ch == '-') {
			if (label_start)
				return -1;
			hyphen = 1;
		} else {
			return -1;
		}
	}
	if (label_start || hyphen || dots < 2)
		return -1;
	return star;
}

/* Certificate name "*SUFFIX" (star at 0) against a host reference. */
static int wildcard_match(const unsigned char *suffix, size_t slen,
			  const unsigned char *r, size_t rlen)
{
	size_t wlen;

	if (rlen < slen)
		return 0;
	if (!equal_bytes(suffix, slen, r + (rlen - slen), slen))
		return 0;
	wlen = rlen - slen;             /* what the '*' stands for */
	if (wlen == 0)
		return 0;
	if (wlen == 1 && r[0] == '*')
		return 1;               /* the wildcard matches a literal '*' */
	for (size_t i = 0; i < wlen; i++)
		if (!is_ldh_alnum(r[i]) && r[i] != '-')
			return 0;
	return 1;
}

int namematch_name(const char *cert, size_t len, const char *ref)
{
	const unsigned char *c = (const unsigned char *)cert;
	const unsigned char *r = (const unsigned char *)ref;
	size_t rlen = strlen(ref);
	long star;

	if (len == 0 || rlen == 0)
		return 0;
	if (rlen > 1 && r[0] == '.')
		return equal_dot(c, len, r, rlen);
	star = wildcard_pos(c, len);
	if (star < 0)
		return equal_bytes(c, len, r, rlen);
	/* star is 0: only a whole first label qualifies. */
	return wildcard_match(c + 1, len - 1, r, rlen);
}

int namematch_expand(const char *const *words, size_t nwords,
		     const char *nexthop, const char *hostname,
		     struct namematch_refs *out, struct errbuf *why)
{
	out->n = 0;
	for (size_t i = 0; i < nwords; i++) {
		const char *w = words[i], *name = w;
		int dot = 0;
		int n;

		if (strcasecmp(w, "nexthop") == 0) {
			name = nexthop;
		} else if (strcasecmp(w, "dot-nexthop") == 0) {
			name = nexthop;
			dot = 1;
		} else if (strcasecmp(w, "hostname") == 0) {
			name = hostname;
		} else if (w[0] == '.') {
			if (w[1] == '\0')
				continue;       /* Postfix: "ignoring invalid match name" */
			name = w + 1;
			dot = 1;
		}
		if (name == NULL || *name == '\0')
			return errbuf_set(why, "match word \"%s\" needs a %s, which is "
					  "not known here", w,
					  name == hostname ? "host name" : "next-hop domain");
		if (out->n >= NAMEMATCH_MAX_REFS)
			return errbuf_set(why, "more than %d match names", NAMEMATCH_MAX_REFS);
		n = snprintf(out->name[out->n], NAMEMATCH_NAME_MAX, "%s%s", dot ? "." : "", name);
		if (n < 0 || n >= NAMEMATCH_NAME_MAX)
			return errbuf_set(why, "match name longer than %d bytes",
					  NAMEMATCH_NAME_MAX - 1);
		out->n++;
	}
	if (out->n == 0)
		return errbuf_set(why, "no usable match name");
	return 0;
}

int namematch_check(const struct namematch_cert *c,
		    const struct namematch_refs *refs,
		    const char **cert_name, const char **ref)
{
	const char *const *names = c->ndns > 0 ? c->dns : c->cn;
	size_t n = c->ndns > 0 ? c->ndns : c->ncn;

	/* OpenSSL tries each reference in turn against every name. */
	for (size_t r = 0; r < refs->n; r++) {
		for (size_t i = 0; i < n; i++) {
			if (namematch_name(names[i], strlen(names[i]), refs->name[r])) {
				if (cert_name)
					*cert_name = names[i];
				if (ref)
					*ref = refs->name[r];
				return 1;
			}
		}
	}
	return 0;
}

size_t namematch_split(const char *value, char sep, const char **words,
		       size_t max, char **storage)
{
	size_t n = 0;
	char *s, *p;

	*storage = NULL;
	if ((s = strdup(value)) == NULL)
		return 0;
	*storage = s;
	for (p = s; n < max;) {
		char *e = strchr(p, sep);

		if (e)
			*e = '\0';
		if (*p)
			words[n++] = p;
		if (!e)
			break;
		p = e + 1;
	}
	return n;
}

const char *namematch_verdict_name(enum namematch_verdict v)
{
	switch (v) {
	case NAMEMATCH_DELIVERS:
		return "delivers";
	case NAMEMATCH_FAILS:
		return "fails";
	case NAMEMATCH_UNKNOWN:
		return "unknown";
	}
	return "?";
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex with optional ':' separators; returns the byte count or
 * -1. */
static int fprint_decode(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == ':') {
			s++;
			continue;
		}
		if ((hi = hexval((unsigned char)s[0])) < 0 || s[1] == '\0' ||
		    (lo = hexval((unsigned char)s[1])) < 0 || n >= max)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

static enum namematch_verdict verdict(struct namematch_result *out,
				      enum namematch_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum namematch_verdict verdict(struct namematch_result *out,
				      enum namematch_verdict v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	out->verdict = v;
	return v;
}

/* Collects every match= value of p, split at sep. */
static size_t match_words(const struct policy *p, char sep, const char **words,
			  size_t max, char **storage, size_t nstorage, size_t *nst)
{
	size_t n = 0;

	*nst = 0;
	for (size_t i = 0; i < p->nattrs && *nst < nstorage; i++) {
		if (strcmp(p->attrs[i].name, "match") != 0)
			continue;
		n += namematch_split(p->attrs[i].value, sep, words + n, max - n,
				     &storage[(*nst)++]);
	}
	return n;
}

enum namematch_verdict namematch_policy(const struct policy *p,
					const struct namematch_peer *peer,
					const char *nexthop, const char *hostname,
					struct namematch_result *out)
{
	const char *words[NAMEMATCH_MAX_REFS];
	char *storage[POLICY_MAX_ATTRS];
	size_t nwords, nst = 0;
	enum namematch_verdict v;

	out->why[0] = '\0';
	switch (p->level) {
	case POLICY_NONE:
		return verdict(out, NAMEMATCH_DELIVERS, "no TLS");
	case POLICY_MAY:
		if (!peer->connected)
			return verdict(out, NAMEMATCH_FAILS, "no SMTP session");
		return verdict(out, NAMEMATCH_DELIVERS, "%s",
			       peer->tls ? "TLS (opportunistic)" :
			       peer->starttls ? "plaintext after a TLS failure" :
			       "plaintext (no STARTTLS)");
	case POLICY_DANE:
	case POLICY_DANE_ONLY:
		return verdict(out, NAMEMATCH_UNKNOWN, "depends on the TLSA records");
	default:
		break;
	}
	if (!peer->connected)
		return verdict(out, NAMEMATCH_FAILS, "no SMTP session");
	if (!peer->starttls)
		return verdict(out, NAMEMATCH_FAILS, "TLS is required, but was not offered");
	if (!peer->tls)
		return verdict(out, NAMEMATCH_FAILS, "TLS handshake failed");
	if (p->level == POLICY_ENCRYPT)
		return verdict(out, NAMEMATCH_DELIVERS, "TLS (encrypt)");

	if (p->level == POLICY_FINGERPRINT) {
		nwords = match_words(p, '|', words, NAMEMATCH_MAX_REFS, storage,
				     POLICY_MAX_ATTRS, &nst);
		v = verdict(out, NAMEMATCH_FAILS, "no fingerprint matches the "
			    "certificate or its public key (SHA-256)");
		for (size_t i = 0; i < nwords; i++) {
			unsigned char raw[NAMEMATCH_FPRINT_MAX];
			int n = fprint_decode(words[i], raw, sizeof(raw));

			if (n != 32)
				continue;
			if (memcmp(raw, peer->cert_sha256, 32) == 0) {
				v = verdict(out, NAMEMATCH_DELIVERS, "certificate fingerprint matches");
				break;
			}
			if (memcmp(raw, peer->pkey_sha256, 32) == 0) {
				v = verdict(out, NAMEMATCH_DELIVERS, "public key fingerprint matches");
				break;
			}
		}
		goto done;
	}

	/* verify, secure */
	if (!peer->trusted) {
		v = verdict(out, NAMEMATCH_FAILS, "certificate not trusted (chain does "
			    "not verify)");
		goto done;
	}
	nwords = match_words(p, ':', words, NAMEMATCH_MAX_REFS, storage,
			     POLICY_MAX_ATTRS, &nst);
	if (nwords == 0) {
		static const char *const dflt_secure[] = {"nexthop", "dot-nexthop"};
		static const char *const dflt_verify[] = {"hostname"};

		if (p->level == POLICY_SECURE) {
			words[0] = dflt_secure[0];
			words[1] = dflt_secure[1];
			nwords = 2;
		} else {
			words[0] = dflt_verify[0];
			nwords = 1;
		}
	}
	{
		struct namematch_refs *refs = malloc(sizeof(*refs));
		struct errbuf why;
		const char *cn = NULL, *rn = NULL;

		if (refs == NULL) {
			v = verdict(out, NAMEMATCH_UNKNOWN, "out of memory");
			goto done;
		}
		if (namematch_expand(words, nwords, nexthop, hostname, refs, &why) < 0) {
			v = verdict(out, NAMEMATCH_UNKNOWN, "%s", why.msg);
		} else if (namematch_check(&peer->names, refs, &cn, &rn)) {
			v = verdict(out, NAMEMATCH_DELIVERS, "certificate name %.100s "
				    "matches %.100s", cn, rn);
		} else {
			char list[ERRBUF_MAX / 2];
			size_t o = 0;

			list[0] = '\0';
			for (size_t i = 0; i < refs->n && o + 2 < sizeof(list); i++) {
				int k = snprintf(list + o, sizeof(list) - o, "%s%s",
						 i ? ":" : "", refs->name[i]);

				if (k < 0)
					break;
				o += (size_t)k;
			}
			v = verdict(out, NAMEMATCH_FAILS, "no certificate name matches "
				    "%.200s", list);
		}
		free(refs);
	}
done:
	for (size_t i = 0; i < nst; i++)
		free(storage[i]);
	return v;
}
