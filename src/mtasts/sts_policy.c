/* SPDX-License-Identifier: MIT */
/*
 * sts_policy - parse an MTA-STS policy file (RFC 8461 3.2) and turn it
 * into a Postfix TLS policy.  See sts_policy.h for what is accepted.
 */
#include "mtasts/sts_policy.h"
#include "mtasts/sts_util.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *sts_mode_name(enum sts_mode mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		return "none";
	}
	return "?";
}

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Checks a field value (already stripped of trailing WSP, non-empty):
 * vchar [*(%x20 / vchar) vchar].
 */
static int check_value(unsigned lineno, const unsigned char *v, size_t n,
		       struct errbuf *why)
{
	char what[16];

	for (size_t i = 0; i < n;) {
		unsigned char c = v[i];
		size_t k;

		if (c >= 0x21 && c <= 0x7e) {
			i++;
		} else if (c == ' ') {
			i++; /* never first or last: the caller stripped WSP */
		} else if (c >= 0x80 && (k = text_utf8_seq(v + i, n - i)) > 0) {
			i += k;
		} else if (c >= 0x80) {
			return errbuf_set(why, "line %u: invalid UTF-8 at byte 0x%02x",
					  lineno, c);
		} else {
			return errbuf_set(why, "line %u: %s in value", lineno,
					  sts_char_desc(what, sizeof(what), c));
		}
	}
	return 0;
}

/*
 * Validates an mx pattern: ["*."] Domain (RFC 5321 4.1.2: letters,
 * digits and hyphens in dot-separated labels; all-digit labels are
 * within the ABNF, so "192.0.2.1" is a valid pattern that only an MX
 * host of that name matches).  Writes the lower-case form into out
 * (room for STS_MX_MAX + 1).
 */
static int check_mx(unsigned lineno, const char *v, size_t n, char *out,
		    struct errbuf *why)
{
	size_t i = 0, label = 0, dstart;
	char what[16];

	if (n >= 2 && v[0] == '*' && v[1] == '.')
		i = 2;
	dstart = i;
	if (i == n)
		return errbuf_set(why, "line %u: mx \"*.\" without a domain", lineno);
	if (v[n - 1] == '.')
		return errbuf_set(why, "line %u: mx ends with a dot (a trailing dot "
				  "is not allowed in an mx pattern)", lineno);
	if (n - dstart > 253)
		return errbuf_set(why, "line %u: mx domain of %zu bytes, at most 253",
				  lineno, n - dstart);
	for (; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)v[i] : '.';

		if (c == '.') {
			if (label == 0)
				return errbuf_set(why, "line %u: mx has an empty label",
						  lineno);
			if (v[i - 1] == '-')
				return errbuf_set(why, "line %u: mx label ends with '-'",
						  lineno);
			label = 0;
			continue;
		}
		if (c == '*')
			return errbuf_set(why, "line %u: mx: '*' is allowed only as "
					  "the whole left-most label \"*.\"", lineno);
		if (c >= 0x80)
			return errbuf_set(why, "line %u: mx: %s is not allowed in a "
					  "host name (an internationalized name is "
					  "written as its A-label, xn--...)", lineno,
					  sts_char_desc(what, sizeof(what), c));
		if (!sts_is_alnum(c) && c != '-')
			return errbuf_set(why, "line %u: mx: %s is not allowed in a "
					  "host name", lineno,
					  sts_char_desc(what, sizeof(what), c));
		if (label == 0 && c == '-')
			return errbuf_set(why, "line %u: mx label starts with '-'",
					  lineno);
		if (++label > 63)
			return errbuf_set(why, "line %u: mx label longer than 63 bytes",
					  lineno);
	}
	for (i = 0; i < n; i++)
		out[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i];
	out[n] = '\0';
	return 0;
}

/* The fields RFC 8461 defines, for "required" and the case hint. */
enum { F_VERSION, F_MODE, F_MAX_AGE, F_MX, F_N };
static const char *const field_name[F_N] = { "version", "mode", "max_age", "mx" };

struct parse_state {
	int have_version, have_mode, have_max_age;
	enum sts_mode mode;
	unsigned long max_age;
	size_t nmx;
	char mx[STS_POLICY_MAX_MX][STS_MX_MAX + 1];
	/* first line with a field named like a known one in another case
	 * ("Version"): an unknown field, named in the reason when the real
	 * one is missing */
	unsigned case_line[F_N];
	char case_name[F_N][STS_POLICY_NAME_MAX + 1];
};

/* Applies one field (name and value validated) to the state. */
static int apply_field(struct parse_state *st, unsigned lineno,
		       const char *name, size_t nlen, const char *val,
		       size_t vlen, struct errbuf *why)
{
#define IS(lit) (nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)
#define VALUE_IS(lit) (vlen == sizeof(lit) - 1 && memcmp(val, lit, vlen) == 0)
	/* For a repeated field other than mx the first one counts; the
	 * others are ignored, their values unchecked (RFC 8461 3.2). */
	if (IS("version")) {
		if (st->have_version)
			return 0;
		if (!VALUE_IS("STSv1"))
			return errbuf_set(why, "line %u: unsupported version (only "
					  "STSv1 is)", lineno);
		st->have_version = 1;
	} else if (IS("mode")) {
		if (st->have_mode)
			return 0;
		if (VALUE_IS("enforce"))
			st->mode = STS_MODE_ENFORCE;
		else if (VALUE_IS("testing"))
			st->mode = STS_MODE_TESTING;
		else if (VALUE_IS("none"))
			st->mode = STS_MODE_NONE;
		else
			return errbuf_set(why, "line %u: mode must be enforce, testing "
					  "or none", lineno);
		st->have_mode = 1;
	} else if (IS("max_age")) {
		unsigned long v = 0;

		if (st->have_max_age)
			return 0;
		if (vlen > STS_POLICY_MAX_AGE_DIGITS)
			return errbuf_set(why, "line %u: max_age has more than %d "
					  "digits", lineno, STS_POLICY_MAX_AGE_DIGITS);
		for (size_t i = 0; i < vlen; i++) {
			if (!sts_is_digit((unsigned char)val[i]))
				return errbuf_set(why, "line %u: max_age is not a "
						  "number of seconds", lineno);
			v = v * 10 + (unsigned long)(val[i] - '0'); /* <= 10 digits */
		}
		/* 1*10(DIGIT) is valid; above the maximum it is the maximum */
		st->max_age = v > STS_POLICY_MAX_AGE ? STS_POLICY_MAX_AGE : v;
		st->have_max_age = 1;
	} else if (IS("mx")) {
		if (st->nmx >= STS_POLICY_MAX_MX)
			return errbuf_set(why, "line %u: more than %d mx fields",
					  lineno, STS_POLICY_MAX_MX);
		if (check_mx(lineno, val, vlen, st->mx[st->nmx], why) < 0)
			return -1;
		st->nmx++;
	} else {
		/* an unknown field: ignored (its syntax is checked) */
		for (int f = 0; f < F_N; f++)
			if (st->case_line[f] == 0 && strlen(field_name[f]) == nlen
			    && strncasecmp(name, field_name[f], nlen) == 0) {
				st->case_line[f] = lineno;
				memcpy(st->case_name[f], name, nlen);
				st->case_name[f][nlen] = '\0';
			}
	}
	return 0;
#undef IS
#undef VALUE_IS
}

/* "no mode field" and, when a line has it in another case, why. */
static int missing(const struct parse_state *st, int f, const char *extra,
		   struct errbuf *why)
{
	if (st->case_line[f] == 0)
		return errbuf_set(why, "no %s field%s", field_name[f], extra);
	return errbuf_set(why, "no %s field%s (line %u has \"%s\": field names "
			  "are case-sensitive)", field_name[f], extra,
			  st->case_line[f], st->case_name[f]);
}

/* Parses one line (terminator removed) into name and value spans. */
static int parse_line(unsigned lineno, const char *line, size_t len,
		      size_t *nlen, size_t *voff, size_t *vlen,
		      struct errbuf *why)
{
	size_t p = 0;
	char what[16];

	if (!sts_is_alnum((unsigned char)line[0]))
		return errbuf_set(why, "line %u: starts with %s, not a field name",
				  lineno, sts_char_desc(what, sizeof(what),
							(unsigned char)line[0]));
	while (p < len && line[p] != ':') {
		unsigned char c = (unsigned char)line[p];

		if (!sts_is_alnum(c) && c != '_' && c != '-' && c != '.') {
			if (memchr(line + p, ':', len - p) == NULL)
				break; /* "mode none": no ':' at all */
			return errbuf_set(why, "line %u: %s in field name", lineno,
					  sts_char_desc(what, sizeof(what), c));
		}
		p++;
	}
	if (p == len || line[p] != ':')
		return errbuf_set(why, "line %u: no ':' after the field name", lineno);
	if (p > STS_POLICY_NAME_MAX)
		return errbuf_set(why, "line %u: field name longer than %d", lineno,
				  STS_POLICY_NAME_MAX);
	*nlen = p++;
	while (p < len && is_wsp((unsigned char)line[p]))
		p++;
	while (len > p && is_wsp((unsigned char)line[len - 1]))
		len--;
	if (p == len)
		return errbuf_set(why, "line %u: empty value", lineno);
	*voff = p;
	*vlen = len - p;
	return check_value(lineno, (const unsigned char *)line + p, len - p, why);
}

int sts_policy_parse(const char *body, size_t len, struct sts_policy **out,
		     struct errbuf *why)
{
	struct parse_state *st = NULL;
	struct sts_policy *p = NULL;
	size_t off = 0, text_end = 0;
	unsigned lineno = 0;
	int blank_seen = 0;

	*out = NULL;
	if (len > STS_POLICY_MAX_BODY)
		return errbuf_set(why, "policy of %zu bytes, at most %d", len,
				  STS_POLICY_MAX_BODY);
	if (len == 0)
		return errbuf_set(why, "empty policy");
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return errbuf_set(why, "out of memory");

	while (off < len) {
		const char *line = body + off, *nl;
		size_t llen, nlen = 0, voff = 0, vlen = 0, blank;

		nl = memchr(line, '\n', len - off);
		llen = nl ? (size_t)(nl - line) : len - off;
		off += llen + (nl != NULL);
		lineno++;
		if (nl != NULL && llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen > 0 && memchr(line, '\r', llen) != NULL) {
			errbuf_set(why, "line %u: CR not followed by LF", lineno);
			goto fail;
		}
		for (blank = 0; blank < llen && is_wsp((unsigned char)line[blank]);)
			blank++;
		if (blank == llen) {
			if (lineno == 1) {
				errbuf_set(why, "line 1: blank, a policy begins with "
					   "a field");
				goto fail;
			}
			blank_seen = lineno;
			continue;
		}
		if (blank_seen) {
			errbuf_set(why, "line %d: blank line between fields", blank_seen);
			goto fail;
		}
		if (parse_line(lineno, line, llen, &nlen, &voff, &vlen, why) < 0
		    || apply_field(st, lineno, line, nlen, line + voff, vlen, why) < 0)
			goto fail;
		text_end = off;
	}
	if (!st->have_version) {
		missing(st, F_VERSION, "", why);
		goto fail;
	}
	if (!st->have_mode) {
		missing(st, F_MODE, "", why);
		goto fail;
	}
	if (!st->have_max_age) {
		missing(st, F_MAX_AGE, "", why);
		goto fail;
	}
	if (st->nmx == 0 && st->mode != STS_MODE_NONE) {
		char extra[40];

		snprintf(extra, sizeof(extra), " (required with mode %s)",
			 sts_mode_name(st->mode));
		missing(st, F_MX, extra, why);
		goto fail;
	}

	if ((p = calloc(1, sizeof(*p))) == NULL
	    || (p->text = malloc(text_end + 1)) == NULL
	    || (st->nmx && (p->mx = calloc(st->nmx, sizeof(*p->mx))) == NULL)) {
		errbuf_set(why, "out of memory");
		goto fail;
	}
	p->mode = st->mode;
	p->max_age = st->max_age;
	for (size_t i = 0; i < st->nmx; i++) {
		if ((p->mx[i] = strdup(st->mx[i])) == NULL) {
			errbuf_set(why, "out of memory");
			goto fail;
		}
		p->nmx++;
	}
	/* The text: the lines up to the last field, CRLF made LF (never
	 * longer than the body, so it fits where the body fits). */
	{
		size_t o = 0;

		for (size_t i = 0; i < text_end; i++)
			if (!(body[i] == '\r' && i + 1 < len && body[i + 1] == '\n'))
				p->text[o++] = body[i];
		p->text[o] = '\0';
	}
	free(st);
	*out = p;
	return 0;
fail:
	free(st);
	sts_policy_free(p);
	return -1;
}

void sts_policy_free(struct sts_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	free(p->mx);
	free(p->text);
	free(p);
}

int sts_policy_mx_match(const struct sts_policy *p, const char *host)
{
	size_t hlen = strlen(host);

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	for (size_t i = 0; i < p->nmx; i++) {
		const char *pat = p->mx[i];
		size_t plen = strlen(pat);

		if (pat[0] == '*') {
			/* "*.example.net" matches "x.example.net", one label only */
			const char *dot = memchr(host, '.', hlen);

			if (dot == NULL || dot == host)
				continue;
			if ((size_t)(host + hlen - dot) == plen - 1
			    && strncasecmp(dot, pat + 1, plen - 1) == 0)
				return 1;
		} else if (plen == hlen && strncasecmp(host, pat, hlen) == 0) {
			return 1;
		}
	}
	return 0;
}
