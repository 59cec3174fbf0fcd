/* SPDX-License-Identifier: MIT */
/*
 * compare.c - is one TLS policy weaker than another (see compare.h).
 *
 * LIMITS: COMPARE_MAX_NAMES match names / digests / trust anchor files
 * per policy are compared; a policy with more is treated as not covered
 * (weaker), never as covered.
 */
#include "policy/compare.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COMPARE_MAX_NAMES 64
#define COMPARE_NAME_MAX (POLICY_KEY_MAX + 2)
#define HOSTNAME_WORD "\001hostname" /* can never be a host name */

struct names {
	size_t n;
	int overflow;
	char v[COMPARE_MAX_NAMES][COMPARE_NAME_MAX];
};

static void names_add(struct names *s, const char *a, size_t alen,
		      const char *b, size_t blen)
{
	if (s->n >= COMPARE_MAX_NAMES || alen + blen >= COMPARE_NAME_MAX) {
		s->overflow = 1;
		return;
	}
	memcpy(s->v[s->n], a, alen);
	memcpy(s->v[s->n] + alen, b, blen);
	s->v[s->n][alen + blen] = '\0';
	s->n++;
}

/* Splits every value of attribute attr on sep into s. */
static void collect(const struct policy *p, const char *attr, char sep,
		    struct names *s)
{
	for (size_t i = 0; i < p->nattrs; i++) {
		const char *v = p->attrs[i].value, *e;

		if (strcmp(p->attrs[i].name, attr) != 0)
			continue;
		for (; *v; v = *e ? e + 1 : e) {
			e = strchr(v, sep);
			if (e == NULL)
				e = v + strlen(v);
			if (e > v)
				names_add(s, v, (size_t)(e - v), "", 0);
		}
	}
}

/* The match names of a verify/secure policy with the strategies
 * expanded (the level's default when it has no match=). */
static void match_names(const struct policy *p, const char *nexthop,
			struct names *out)
{
	struct names raw;
	size_t nh = nexthop ? strlen(nexthop) : 0;

	memset(&raw, 0, sizeof(raw));
	memset(out, 0, sizeof(*out));
	collect(p, "match", ':', &raw);
	if (raw.n == 0 && !raw.overflow) {
		/* smtp_tls_verify_cert_match, smtp_tls_secure_cert_match */
		if (p->level == POLICY_VERIFY) {
			names_add(&raw, "hostname", 8, "", 0);
		} else {
			names_add(&raw, "nexthop", 7, "", 0);
			names_add(&raw, "dot-nexthop", 11, "", 0);
		}
	}
	out->overflow = raw.overflow;
	for (size_t i = 0; i < raw.n; i++) {
		const char *w = raw.v[i];

		if (strcasecmp(w, "hostname") == 0)
			names_add(out, HOSTNAME_WORD, strlen(HOSTNAME_WORD), "", 0);
		else if (strcasecmp(w, "nexthop") == 0 && nh)
			names_add(out, nexthop, nh, "", 0);
		else if (strcasecmp(w, "dot-nexthop") == 0 && nh)
			names_add(out, ".", 1, nexthop, nh);
		else if (strcmp(w, ".") != 0) /* Postfix ignores a lone "." */
			names_add(out, w, strlen(w), "", 0);
	}
}

/* 1 when s ends in "." + parent with at least one byte before that. */
static int under(const char *s, const char *parent)
{
	size_t sl = strlen(s), pl = strlen(parent);

	return sl > pl + 1 && s[sl - pl - 1] == '.' &&
	       strcasecmp(s + sl - pl, parent) == 0;
}

/* Is name (of the row) accepted only where one of ref's names accepts? */
static int covered(const char *name, const struct names *ref)
{
	for (size_t i = 0; i < ref->n; i++) {
		const char *r = ref->v[i];

		if (strcasecmp(name, r) == 0)
			return 1;
		if (name[0] == '\001' || r[0] != '.')
			continue;
		/* ref ".e" covers "x.e", "*.x.e" and ".x.e" */
		if (name[0] == '.' ? under(name + 1, r + 1) : under(name, r + 1))
			return 1;
	}
	return 0;
}

static int set_subset(const struct names *a, const struct names *b,
		      const char **missing)
{
	if (a->overflow || b->overflow) {
		*missing = "(too many to compare)";
		return 0;
	}
	for (size_t i = 0; i < a->n; i++) {
		size_t j;

		for (j = 0; j < b->n && strcasecmp(a->v[i], b->v[j]) != 0; j++)
			;
		if (j == b->n) {
			*missing = a->v[i];
			return 0;
		}
	}
	return 1;
}

static int say(char *why, size_t whylen, const char *fmt, const char *a,
	       const char *b)
{
	if (why && whylen)
		snprintf(why, whylen, fmt, a, b);
	return 1;
}

/* Plaintext or unauthenticated rows against an authenticated ref. */
static int unauthenticated(enum policy_level l)
{
	return l == POLICY_NONE || l == POLICY_MAY || l == POLICY_ENCRYPT ||
	       l == POLICY_DANE;
}

static const char *low_reason(enum policy_level l)
{
	switch (l) {
	case POLICY_NONE: return "%s never uses TLS%s";
	case POLICY_MAY: return "%s allows plaintext%s";
	case POLICY_DANE: return "%s allows plaintext without TLSA records%s";
	default: return "%s accepts any certificate%s";
	}
}

static int pkix_weaker(const struct policy *row, const struct policy *ref,
		       const char *nexthop, char *why, size_t whylen)
{
	struct names rn, fn, rt, ft;
	const char *lvl = policy_level_name(row->level), *miss;

	match_names(row, nexthop, &rn);
	match_names(ref, nexthop, &fn);
	if (rn.overflow || fn.overflow)
		return say(why, whylen, "%s has too many match names to compare%s", lvl, "");
	for (size_t i = 0; i < rn.n; i++) {
		if (covered(rn.v[i], &fn))
			continue;
		if (rn.v[i][0] == '\001')
			return say(why, whylen, "%s trusts the MX host name from DNS "
				   "(match=hostname)%s", lvl, "");
		return say(why, whylen, "%s accepts certificates for \"%s\"", lvl, rn.v[i]);
	}
	memset(&rt, 0, sizeof(rt));
	memset(&ft, 0, sizeof(ft));
	collect(row, "tafile", '\n', &rt);
	collect(ref, "tafile", '\n', &ft);
	if ((ft.n > 0 || ft.overflow) &&
	    (rt.n == 0 || !set_subset(&rt, &ft, &miss)))
		return say(why, whylen, "%s trusts CAs outside the trust anchors %s",
			   lvl, rt.n == 0 ? "(no tafile)" : miss);
	return 0;
}

int policy_weaker(const struct policy *row, const struct policy *ref,
		  const char *nexthop, char *why, size_t whylen)
{
	const char *lvl = policy_level_name(row->level), *miss;
	struct names rf, ff;

	if (why && whylen)
		why[0] = '\0';
	switch (ref->level) {
	case POLICY_NONE:
		return 0;
	case POLICY_MAY:
		if (row->level == POLICY_NONE)
			return say(why, whylen, low_reason(POLICY_NONE), lvl, "");
		return 0;
	case POLICY_ENCRYPT:
		if (row->level == POLICY_NONE || row->level == POLICY_MAY ||
		    row->level == POLICY_DANE)
			return say(why, whylen, low_reason(row->level), lvl, "");
		return 0;
	case POLICY_DANE:
	case POLICY_DANE_ONLY:
		if (row->level == POLICY_DANE || row->level == POLICY_DANE_ONLY)
			return 0;
		return say(why, whylen, "%s ignores the published TLSA records%s", lvl, "");
	case POLICY_FINGERPRINT:
		if (row->level != POLICY_FINGERPRINT)
			return say(why, whylen, "%s does not pin the certificates "
				   "the reference pins%s", lvl, "");
		memset(&rf, 0, sizeof(rf));
		memset(&ff, 0, sizeof(ff));
		collect(row, "match", '|', &rf);
		collect(ref, "match", '|', &ff);
		if (rf.n == 0 || !set_subset(&rf, &ff, &miss))
			return say(why, whylen, "%s accepts %s, which the reference "
				   "does not pin", lvl, rf.n ? miss : "any certificate");
		return 0;
	case POLICY_VERIFY:
	case POLICY_SECURE:
		if (unauthenticated(row->level))
			return say(why, whylen, low_reason(row->level), lvl, "");
		if (row->level == POLICY_DANE_ONLY || row->level == POLICY_FINGERPRINT)
			return 0;
		return pkix_weaker(row, ref, nexthop, why, whylen);
	default:
		return 0;
	}
}
