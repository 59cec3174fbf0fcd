/* SPDX-License-Identifier: MIT */
/*
 * policyfile - the tls_policy source file reader; see policyfile.h.
 *
 * Logical lines follow Postfix readllines(): comment lines (first
 * non-blank byte '#') and blank lines are skipped and do not end a
 * logical line; a line that starts with a blank continues the current
 * logical line (joined with one space); a continuation line before any
 * logical line is an error (postmap only warns and drops it; an import
 * must not drop data silently).  A trailing CR is taken as whitespace.
 *
 * LIMITS/SECURITY: sizes are checked against the named limits before
 * anything is allocated from them; duplicate keys are found with a hash
 * table of the entries read so far, so the cost stays linear.
 */
#include "policy/policyfile.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *origin;
	const struct policy_opts *opts;
	struct policyfile_entry *e;
	size_t n, cap;
	size_t *hash;     /* entry index + 1, 0 = empty */
	size_t hcap;      /* power of two */
	struct errbuf *why;
};

static int fail(struct reader *r, unsigned line, const char *reason)
{
	char o[128];

	policy_escape(o, sizeof(o), r->origin, strlen(r->origin));
	return errbuf_set(r->why, "%s:%u: %s", o, line, reason);
}

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int hash_grow(struct reader *r)
{
	size_t ncap = r->hcap ? r->hcap * 2 : 1024, i;
	size_t *nh = calloc(ncap, sizeof(*nh));

	if (nh == NULL)
		return -1;
	for (i = 0; i < r->n; i++) {
		size_t j = (size_t)key_hash(r->e[i].key) & (ncap - 1);

		while (nh[j])
			j = (j + 1) & (ncap - 1);
		nh[j] = i + 1;
	}
	free(r->hash);
	r->hash = nh;
	r->hcap = ncap;
	return 0;
}

/* Index of an entry with this key, or -1. */
static long hash_find(const struct reader *r, const char *key)
{
	size_t j;

	if (r->hcap == 0)
		return -1;
	j = (size_t)key_hash(key) & (r->hcap - 1);
	while (r->hash[j]) {
		if (strcmp(r->e[r->hash[j] - 1].key, key) == 0)
			return (long)(r->hash[j] - 1);
		j = (j + 1) & (r->hcap - 1);
	}
	return -1;
}

static int add_entry(struct reader *r, unsigned line, char *text)
{
	char reason[ERRBUF_MAX + 64], q[400];
	struct errbuf err;
	struct policyfile_entry *e;
	char *key = text, *value;
	size_t klen;
	long dup;

	klen = strcspn(key, " \t\r");
	value = key + klen;
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t\r");
	if (*value == '\0') {
		snprintf(reason, sizeof(reason), "expected \"KEY VALUE\", "
			 "found only \"%s\"",
			 policy_escape(q, sizeof(q), key, strlen(key)));
		return fail(r, line, reason);
	}
	if (r->n >= POLICYFILE_MAX_ENTRIES) {
		snprintf(reason, sizeof(reason), "more than %d entries",
			 POLICYFILE_MAX_ENTRIES);
		return fail(r, line, reason);
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct policyfile_entry *ne;

		if (ncap > POLICYFILE_MAX_ENTRIES)
			ncap = POLICYFILE_MAX_ENTRIES;
		ne = realloc(r->e, ncap * sizeof(*ne));
		if (ne == NULL)
			return fail(r, line, "out of memory");
		r->e = ne;
		r->cap = ncap;
	}
	e = &r->e[r->n];
	memset(e, 0, sizeof(*e));
	e->line = line;
	errbuf_clear(&err);
	if (policy_key_normalize(key, e->key, sizeof(e->key), &e->kind,
				 &err) < 0)
		return fail(r, line, err.msg);
	if ((dup = hash_find(r, e->key)) >= 0) {
		snprintf(reason, sizeof(reason), "duplicate key \"%s\" (also "
			 "on line %u)", e->key, r->e[dup].line);
		return fail(r, line, reason);
	}
	if (policy_parse(value, r->opts, &e->policy, &err) < 0) {
		snprintf(reason, sizeof(reason), "%s: %s", e->key, err.msg);
		return fail(r, line, reason);
	}
	r->n++;
	if ((r->n * 2 > r->hcap && hash_grow(r) < 0)) {
		return fail(r, line, "out of memory");
	} else {
		size_t j = (size_t)key_hash(e->key) & (r->hcap - 1);

		while (r->hash[j] && r->hash[j] != r->n)
			j = (j + 1) & (r->hcap - 1);
		r->hash[j] = r->n;
	}
	return 0;
}

void policyfile_free(struct policyfile_entry *e, size_t n)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < n; i++)
		policy_free(e[i].policy);
	free(e);
}

int policyfile_parse(const char *text, size_t len, const char *origin,
		     const struct policy_opts *opts,
		     struct policyfile_entry **out, size_t *n,
		     struct errbuf *why)
{
	struct reader r;
	char *logical = NULL;
	size_t llen = 0, pos = 0;
	unsigned lineno = 0, lstart = 0;
	char reason[128];

	*out = NULL;
	*n = 0;
	memset(&r, 0, sizeof(r));
	r.origin = origin ? origin : "-";
	r.opts = opts;
	r.why = why;
	if (len > POLICYFILE_MAX_SIZE) {
		snprintf(reason, sizeof(reason), "input larger than %u bytes",
			 POLICYFILE_MAX_SIZE);
		return fail(&r, 0, reason);
	}
	if ((logical = malloc(POLICYFILE_MAX_LINE + 1)) == NULL)
		return fail(&r, 0, "out of memory");

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t plen = nl ? (size_t)(nl - line) : len - pos;
		size_t skip;
		const char *nul;

		pos += plen + (nl != NULL);
		lineno++;
		if ((nul = memchr(line, '\0', plen)) != NULL) {
			snprintf(reason, sizeof(reason), "NUL byte at column "
				 "%zu", (size_t)(nul - line) + 1);
			goto bad_line;
		}
		while (plen > 0 && (line[plen - 1] == '\r' ||
				    line[plen - 1] == ' ' ||
				    line[plen - 1] == '\t'))
			plen--;
		for (skip = 0; skip < plen && (line[skip] == ' ' ||
					       line[skip] == '\t' ||
					       line[skip] == '\r'); skip++)
			;
		if (skip == plen || line[skip] == '#')
			continue;               /* blank or comment */
		if (skip > 0) {                 /* continuation */
			if (lstart == 0) {
				snprintf(reason, sizeof(reason),
					 "continuation line (starts with "
					 "whitespace) without a preceding "
					 "line");
				goto bad_line;
			}
			if (llen + 1 + (plen - skip) > POLICYFILE_MAX_LINE) {
				lineno = lstart;
				goto too_long;
			}
			logical[llen++] = ' ';
			memcpy(logical + llen, line + skip, plen - skip);
			llen += plen - skip;
			continue;
		}
		if (lstart != 0) {
			logical[llen] = '\0';
			if (add_entry(&r, lstart, logical) < 0)
				goto fail;
		}
		if (plen > POLICYFILE_MAX_LINE)
			goto too_long;
		memcpy(logical, line, plen);
		llen = plen;
		lstart = lineno;
	}
	if (lstart != 0) {
		logical[llen] = '\0';
		if (add_entry(&r, lstart, logical) < 0)
			goto fail;
	}
	free(logical);
	free(r.hash);
	*out = r.e;
	*n = r.n;
	return 0;

too_long:
	snprintf(reason, sizeof(reason), "logical line longer than %d bytes",
		 POLICYFILE_MAX_LINE);
bad_line:
	fail(&r, lineno, reason);
fail:
	free(logical);
	free(r.hash);
	policyfile_free(r.e, r.n);
	return -1;
}
