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
 * After a bad line the reader goes on with the next logical line, so a
 * file's every problem is reported in one run; only a file over the size
 * limit, too many entries, or no memory stop it at once.
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
	const struct policyfile_opts *opts;
	struct policyfile_entry *e;
	size_t n, cap;
	size_t *hash;     /* entry index + 1, 0 = empty */
	size_t hcap;      /* power of two */
	struct policyfile_report *rep;
	int fatal;        /* stop reading */
};

/* Records a message; returns -1 for an error, 0 for a warning. */
static int note(struct reader *r, unsigned line, int warning, const char *reason)
{
	struct policyfile_report *rep = r->rep;
	char o[128];

	if (warning)
		rep->warnings++;
	else
		rep->errors++;
	if (rep->n < POLICYFILE_MAX_MESSAGES) {
		if (rep->msg == NULL &&
		    (rep->msg = calloc(POLICYFILE_MAX_MESSAGES, sizeof(*rep->msg))) == NULL) {
			r->fatal = 1;
			return -1;
		}
		policy_escape(o, sizeof(o), r->origin, strlen(r->origin));
		rep->msg[rep->n].line = line;
		rep->msg[rep->n].warning = warning;
		snprintf(rep->msg[rep->n].text, sizeof(rep->msg[rep->n].text),
			 "%s:%u: %s%s", o, line, warning ? "warning: " : "", reason);
		rep->n++;
	}
	return warning ? 0 : -1;
}

static int fail(struct reader *r, unsigned line, const char *reason)
{
	return note(r, line, 0, reason);
}

static int fatal(struct reader *r, unsigned line, const char *reason)
{
	r->fatal = 1;
	return note(r, line, 0, reason);
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
	char reason[ERRBUF_MAX + 128], q[400];
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
		snprintf(reason, sizeof(reason), "\"%s\" has no value (expected "
			 "\"KEY LEVEL [ATTR=VALUE ...]\")",
			 policy_escape(q, sizeof(q), key, strlen(key)));
		return fail(r, line, reason);
	}
	if (r->n >= POLICYFILE_MAX_ENTRIES) {
		snprintf(reason, sizeof(reason), "more than %d entries",
			 POLICYFILE_MAX_ENTRIES);
		return fatal(r, line, reason);
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct policyfile_entry *ne;

		if (ncap > POLICYFILE_MAX_ENTRIES)
			ncap = POLICYFILE_MAX_ENTRIES;
		ne = realloc(r->e, ncap * sizeof(*ne));
		if (ne == NULL)
			return fatal(r, line, "out of memory");
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
	/* tlspolicy's shadow marker (a JSON export's params): kept aside */
	{
		char stripped[POLICY_MAX_TEXT + 1];

		if (policy_strip_testing(value, stripped, sizeof(stripped)) == 1) {
			e->shadowed = 1;
			value = stripped;
		}
		if (policy_parse(value, r->opts->policy, &e->policy, &err) < 0) {
			snprintf(reason, sizeof(reason), "%s: %s", e->key, err.msg);
			return fail(r, line, reason);
		}
	}
	if ((dup = hash_find(r, e->key)) >= 0) {
		const struct policyfile_entry *first = &r->e[dup];
		int same = policy_equal(first->policy, e->policy);
		char *ft = same ? NULL : policy_format(first->policy);
		char *tt = same ? NULL : policy_format(e->policy);

		if (same)
			snprintf(reason, sizeof(reason), "duplicate key \"%s\" with the "
				 "same policy as line %u: line %u is kept, this one "
				 "ignored (as postmap does)", e->key, first->line,
				 first->line);
		else
			snprintf(reason, sizeof(reason), "duplicate key \"%s\" with a "
				 "different policy than line %u (\"%s\" here, \"%s\" "
				 "there): keep one of the two lines", e->key,
				 first->line, tt ? tt : "?", ft ? ft : "?");
		free(ft);
		free(tt);
		policy_free(e->policy);
		e->policy = NULL;
		return note(r, line, same, reason);
	}
	if (r->opts->check &&
	    r->opts->check(e, r->opts->check_arg, &err) < 0) {
		policy_free(e->policy);
		e->policy = NULL;
		return fail(r, line, err.msg);
	}
	r->n++;
	if ((r->n * 2 > r->hcap && hash_grow(r) < 0)) {
		return fatal(r, line, "out of memory");
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

void policyfile_report_free(struct policyfile_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->msg);
	memset(rep, 0, sizeof(*rep));
}

/* The logical line being joined from its physical lines. */
struct joiner {
	char *logical;
	size_t llen;
	unsigned lstart;   /* its first physical line, 0: none */
	int lbad;          /* the current logical line already failed */
};

/* One physical line (line[0..plen), without its newline); 1 when the
 * reader failed fatally. */
static int join_line(struct reader *r, struct joiner *j, const char *line, size_t plen,
		     unsigned lineno)
{
	char reason[128];
	size_t skip;
	const char *nul;
	int cont;

	for (skip = 0; skip < plen && (line[skip] == ' ' || line[skip] == '\t' ||
				       line[skip] == '\r'); skip++)
		;
	cont = skip > 0 && skip < plen && line[skip] != '#';
	if (!cont && skip < plen && line[skip] != '#' && j->lstart != 0) {
		/* a new logical line ends the previous one */
		j->logical[j->llen] = '\0';
		if (!j->lbad)
			add_entry(r, j->lstart, j->logical);
		j->lstart = 0;
		if (r->fatal)
			return 1;
	}
	if ((nul = memchr(line, '\0', plen)) != NULL) {
		snprintf(reason, sizeof(reason), "NUL byte at column %zu",
			 (size_t)(nul - line) + 1);
		fail(r, lineno, reason);
		if (skip < plen && line[skip] == '#')
			return 0;       /* a comment: nothing else lost */
		if (!cont)
			j->lstart = 0;  /* this line is dropped */
		j->lbad = 1;            /* with its continuation lines */
		return 0;
	}
	while (plen > 0 && (line[plen - 1] == '\r' || line[plen - 1] == ' ' ||
			    line[plen - 1] == '\t'))
		plen--;
	if (skip >= plen || line[skip] == '#')
		return 0;               /* blank or comment */
	if (cont) {
		if (j->lstart == 0) {
			if (j->lbad)
				return 0;   /* part of a line already reported */
			fail(r, lineno, "continuation line (starts with "
			     "whitespace) without a preceding line");
			j->lbad = 1;        /* its own continuation lines: once */
			return 0;
		}
		if (j->lbad)
			return 0;
		if (j->llen + 1 + (plen - skip) > POLICYFILE_MAX_LINE) {
			snprintf(reason, sizeof(reason), "logical line longer "
				 "than %d bytes", POLICYFILE_MAX_LINE);
			fail(r, j->lstart, reason);
			j->lbad = 1;
			return 0;
		}
		j->logical[j->llen++] = ' ';
		memcpy(j->logical + j->llen, line + skip, plen - skip);
		j->llen += plen - skip;
		return 0;
	}
	j->lbad = 0;
	if (plen > POLICYFILE_MAX_LINE) {
		snprintf(reason, sizeof(reason), "logical line longer than %d "
			 "bytes", POLICYFILE_MAX_LINE);
		fail(r, lineno, reason);
		j->lbad = 1;
		j->lstart = lineno;
		return 0;
	}
	memcpy(j->logical, line, plen);
	j->llen = plen;
	j->lstart = lineno;
	return 0;
}

int policyfile_parse_report(const char *text, size_t len, const char *origin,
			    const struct policyfile_opts *opts,
			    struct policyfile_entry **out, size_t *n,
			    struct policyfile_report *rep)
{
	static const struct policyfile_opts no_opts;
	struct reader r;
	struct joiner j;
	size_t pos = 0;
	unsigned lineno = 0;
	char reason[128];

	*out = NULL;
	*n = 0;
	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	memset(&j, 0, sizeof(j));
	r.origin = origin ? origin : "-";
	r.opts = opts ? opts : &no_opts;
	r.rep = rep;
	if (len > POLICYFILE_MAX_SIZE) {
		snprintf(reason, sizeof(reason), "input larger than %u bytes",
			 POLICYFILE_MAX_SIZE);
		fatal(&r, 0, reason);
		goto done;
	}
	if ((j.logical = malloc(POLICYFILE_MAX_LINE + 1)) == NULL) {
		fatal(&r, 0, "out of memory");
		goto done;
	}
	while (pos < len && !r.fatal) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t plen = nl ? (size_t)(nl - line) : len - pos;

		pos += plen + (nl != NULL);
		if (join_line(&r, &j, line, plen, ++lineno))
			break;
	}
	if (j.lstart != 0 && !j.lbad && !r.fatal) {
		j.logical[j.llen] = '\0';
		add_entry(&r, j.lstart, j.logical);
	}
done:
	free(j.logical);
	free(r.hash);
	if (rep->errors > 0) {
		policyfile_free(r.e, r.n);
		return -1;
	}
	*out = r.e;
	*n = r.n;
	return 0;
}

int policyfile_parse(const char *text, size_t len, const char *origin,
		     const struct policy_opts *opts,
		     struct policyfile_entry **out, size_t *n,
		     struct errbuf *why)
{
	struct policyfile_opts o = { opts, NULL, NULL };
	struct policyfile_report rep;
	int rc = policyfile_parse_report(text, len, origin, &o, out, n, &rep);

	if (rc < 0) {
		const char *first = "out of memory";

		for (size_t i = 0; i < rep.n; i++)
			if (!rep.msg[i].warning) {
				first = rep.msg[i].text;
				break;
			}
		if (rep.errors > 1)
			errbuf_set(why, "%s (and %zu more errors)", first, rep.errors - 1);
		else
			errbuf_set(why, "%s", first);
	}
	policyfile_report_free(&rep);
	return rc;
}
