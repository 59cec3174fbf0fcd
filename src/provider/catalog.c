/* SPDX-License-Identifier: MIT */
/*
 * catalog.c - the provider catalogue parser and matcher (see catalog.h).
 *
 * Parsing builds a list of new entries from the text first; only when
 * the whole text is valid are they merged into the catalogue, so an
 * error leaves it unchanged.
 */
#include "provider/catalog.h"
#include "policy/policy.h"
#include "util/config.h"
#include "util/file.h"
#include "util/hostname.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct catalog {
	size_t n;
	struct provider *p[CATALOG_MAX_PROVIDERS];
};

static char builtin_path[512];

struct catalog *catalog_new(void)
{
	return calloc(1, sizeof(struct catalog));
}

static void provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	for (size_t i = 0; i < p->nsources; i++)
		free(p->sources[i]);
	free(p->policy);
	free(p->pin);
	free(p);
}

void catalog_free(struct catalog *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->n; i++)
		provider_free(cat->p[i]);
	free(cat);
}

size_t catalog_count(const struct catalog *cat)
{
	return cat->n;
}

const struct provider *catalog_get(const struct catalog *cat, size_t i)
{
	return i < cat->n ? cat->p[i] : NULL;
}

const struct provider *catalog_find(const struct catalog *cat, const char *id)
{
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->p[i]->id, id) == 0)
			return cat->p[i];
	return NULL;
}

const char *catalog_builtin_path(void)
{
	return builtin_path;
}

/* ------------------------------------------------------------------ */
/* Patterns                                                           */
/* ------------------------------------------------------------------ */

/* Lower-cases and validates a pattern into out; 0 or -1. */
static int pattern_normalize(const char *in, size_t n, char *out, size_t outlen)
{
	size_t skip;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	if (out[0] == '.')
		skip = 1;
	else if (out[0] == '*' && out[1] == '.')
		skip = 2;
	else
		skip = 0;
	if (hostname_check(out + skip, n - skip, NULL) != HOSTNAME_OK)
		return -1;
	/* a suffix pattern must keep at least two labels */
	if (skip && strchr(out + skip, '.') == NULL)
		return -1;
	return 0;
}

int catalog_pattern_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pattern[0] == '.') {
		pl = strlen(pattern);
		return hl > pl && strncasecmp(host + hl - pl, pattern, pl) == 0;
	}
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *suffix = pattern + 1;   /* ".example" */
		size_t sl = strlen(suffix), first;

		if (hl <= sl || strncasecmp(host + hl - sl, suffix, sl) != 0)
			return 0;
		first = hl - sl;                    /* length of the first label */
		return memchr(host, '.', first) == NULL;
	}
	pl = strlen(pattern);
	return hl == pl && strncasecmp(host, pattern, pl) == 0;
}

const struct provider *catalog_match_host(const struct catalog *cat,
					  const char *host, const char **pattern)
{
	const struct provider *best = NULL;
	const char *bestpat = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < cat->n; i++) {
		const struct provider *p = cat->p[i];

		for (size_t k = 0; k < p->nmx; k++) {
			size_t l = strlen(p->mx[k]);

			if (l > bestlen && catalog_pattern_match(p->mx[k], host)) {
				best = p;
				bestpat = p->mx[k];
				bestlen = l;
			}
		}
	}
	if (pattern)
		*pattern = bestpat;
	return best;
}

const struct provider *catalog_match_hosts(const struct catalog *cat,
					   const char *const *hosts, size_t n,
					   const char **why_not)
{
	const struct provider *p = NULL;

	if (why_not)
		*why_not = NULL;
	if (n == 0) {
		if (why_not)
			*why_not = "no MX hosts";
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct provider *q = catalog_match_host(cat, hosts[i], NULL);

		if (q == NULL) {
			if (why_not)
				*why_not = "an MX host belongs to no catalogued provider";
			return NULL;
		}
		if (p && q != p) {
			if (why_not)
				*why_not = "the MX hosts belong to different providers";
			return NULL;
		}
		p = q;
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Parser                                                             */
/* ------------------------------------------------------------------ */

struct pstate {
	const char *origin;
	int admin;
	const struct policy_opts *popts;
	size_t lineno;
	struct provider *cur;
	int cur_disabled;
	size_t n;
	struct provider *list[CATALOG_MAX_PROVIDERS];
	int disabled[CATALOG_MAX_PROVIDERS];
};

static int perr(struct pstate *ps, struct errbuf *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct pstate *ps, struct errbuf *why, const char *fmt, ...)
{
	char msg[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errbuf_set(why, "%.200s:%zu: %s", ps->origin, ps->lineno, msg);
}

/* Checks the entry just finished. */
static int entry_end(struct pstate *ps, struct errbuf *why)
{
	struct provider *p = ps->cur;

	if (p == NULL)
		return 0;
	if (!ps->cur_disabled) {
		if (p->name[0] == '\0')
			return perr(ps, why, "provider %s has no name", p->id);
		if (p->nmx == 0)
			return perr(ps, why, "provider %s has no mx patterns", p->id);
	}
	ps->cur = NULL;
	return 0;
}

static int canon_policy(struct pstate *ps, const char *key, const char *v,
			char **out, struct errbuf *why)
{
	struct policy *pol = NULL;
	struct errbuf e;

	errbuf_clear(&e);
	if (policy_parse(v, ps->popts, &pol, &e) < 0)
		return perr(ps, why, "%s: %s", key, e.msg);
	*out = policy_format(pol);
	policy_free(pol);
	if (*out == NULL)
		return perr(ps, why, "out of memory");
	return 0;
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int parse_line(struct pstate *ps, char *line, struct errbuf *why)
{
	char *key = line, *val;
	size_t klen;

	while (*key == ' ' || *key == '\t')
		key++;
	if (*key == '\0' || *key == '#')
		return 0;
	klen = strcspn(key, " \t");
	val = key + klen;
	while (*val == ' ' || *val == '\t')
		val++;
	/* trailing blanks */
	for (size_t l = strlen(val); l > 0 && (val[l - 1] == ' ' || val[l - 1] == '\t'); l--)
		val[l - 1] = '\0';
	key[klen] = '\0';

	if (strcmp(key, "provider") == 0) {
		struct provider *p;
		size_t n = strlen(val);

		if (entry_end(ps, why) < 0)
			return -1;
		if (n == 0 || n > CATALOG_ID_MAX)
			return perr(ps, why, "provider id must be 1..%d bytes", CATALOG_ID_MAX);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)val[i];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return perr(ps, why, "provider id \"%.64s\": use a-z, 0-9 and '-'",
					    val);
		}
		for (size_t i = 0; i < ps->n; i++)
			if (strcmp(ps->list[i]->id, val) == 0)
				return perr(ps, why, "provider %s defined twice", val);
		if (ps->n >= CATALOG_MAX_PROVIDERS)
			return perr(ps, why, "more than %d providers", CATALOG_MAX_PROVIDERS);
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return perr(ps, why, "out of memory");
		memcpy(p->id, val, n + 1);
		p->origin = ps->admin ? "admin" : "builtin";
		snprintf(p->file, sizeof(p->file), "%.200s:%zu", ps->origin, ps->lineno);
		ps->disabled[ps->n] = 0;
		ps->list[ps->n++] = p;
		ps->cur = p;
		ps->cur_disabled = 0;
		return 0;
	}
	if (ps->cur == NULL)
		return perr(ps, why, "\"%.40s\" before the first \"provider\" line", key);
	if (strcmp(key, "name") == 0) {
		if (*val == '\0' || strlen(val) > CATALOG_NAME_MAX)
			return perr(ps, why, "name must be 1..%d bytes", CATALOG_NAME_MAX);
		if (ps->cur->name[0])
			return perr(ps, why, "name given twice");
		for (const unsigned char *c = (const unsigned char *)val; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				return perr(ps, why, "name contains a control character");
		memcpy(ps->cur->name, val, strlen(val) + 1);
	} else if (strcmp(key, "mx") == 0) {
		char *w = val;

		if (*w == '\0')
			return perr(ps, why, "mx needs at least one pattern");
		while (*w) {
			size_t wl = strcspn(w, " \t");
			char pat[CATALOG_PATTERN_MAX];

			if (ps->cur->nmx >= CATALOG_MAX_MX)
				return perr(ps, why, "more than %d mx patterns", CATALOG_MAX_MX);
			if (pattern_normalize(w, wl, pat, sizeof(pat)) < 0)
				return perr(ps, why, "mx pattern \"%.*s\" is not host, .domain or "
					    "*.domain", (int)(wl > 80 ? 80 : wl), w);
			if ((ps->cur->mx[ps->cur->nmx] = strdup(pat)) == NULL)
				return perr(ps, why, "out of memory");
			ps->cur->nmx++;
			w += wl;
			while (*w == ' ' || *w == '\t')
				w++;
		}
	} else if (strcmp(key, "policy") == 0) {
		if (ps->cur->policy)
			return perr(ps, why, "policy given twice");
		if (canon_policy(ps, "policy", val, &ps->cur->policy, why) < 0)
			return -1;
	} else if (strcmp(key, "pin") == 0) {
		if (ps->cur->pin)
			return perr(ps, why, "pin given twice");
		if (canon_policy(ps, "pin", val, &ps->cur->pin, why) < 0)
			return -1;
	} else if (strcmp(key, "source") == 0) {
		if (*val == '\0')
			return perr(ps, why, "source is empty");
		if (ps->cur->nsources >= CATALOG_MAX_SOURCES)
			return perr(ps, why, "more than %d sources", CATALOG_MAX_SOURCES);
		if ((ps->cur->sources[ps->cur->nsources] = dupn(val, strlen(val))) == NULL)
			return perr(ps, why, "out of memory");
		ps->cur->nsources++;
	} else if (strcmp(key, "disabled") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return perr(ps, why, "disabled must be yes or no");
		if (!ps->admin && strcmp(val, "yes") == 0)
			return perr(ps, why, "disabled is for the admin's file");
		ps->cur_disabled = strcmp(val, "yes") == 0;
		ps->disabled[ps->n - 1] = ps->cur_disabled;
	} else {
		return perr(ps, why, "unknown key \"%.40s\" (name, mx, policy, pin, source, "
			    "disabled)", key);
	}
	return 0;
}

int catalog_parse(struct catalog *cat, const char *text, size_t len,
		  const char *origin, int admin, const struct policy_opts *popts,
		  struct errbuf *why)
{
	struct pstate *ps = calloc(1, sizeof(*ps));
	char *line = malloc(CATALOG_MAX_LINE + 1);
	size_t off = 0;
	int rc = -1;

	if (ps == NULL || line == NULL) {
		errbuf_set(why, "out of memory");
		goto out;
	}
	ps->origin = origin;
	ps->admin = admin;
	ps->popts = popts;
	if (len > CATALOG_MAX_FILE) {
		errbuf_set(why, "%.200s: larger than %d bytes", origin, CATALOG_MAX_FILE);
		goto out;
	}
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t raw = nl ? (size_t)(nl - (text + off)) : len - off;
		size_t n = raw;

		ps->lineno++;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > CATALOG_MAX_LINE) {
			perr(ps, why, "line longer than %d bytes", CATALOG_MAX_LINE);
			goto out;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		if (memchr(text + off, '\0', n) != NULL) {
			perr(ps, why, "NUL byte");
			goto out;
		}
		off += raw + (nl ? 1 : 0);
		if (parse_line(ps, line, why) < 0)
			goto out;
	}
	if (entry_end(ps, why) < 0)
		goto out;

	/* merge: all or nothing */
	{
		size_t add = 0;

		for (size_t i = 0; i < ps->n; i++)
			if (!ps->disabled[i] && catalog_find(cat, ps->list[i]->id) == NULL)
				add++;
		if (cat->n + add > CATALOG_MAX_PROVIDERS) {
			errbuf_set(why, "%.200s: more than %d providers in all", origin,
				   CATALOG_MAX_PROVIDERS);
			goto out;
		}
		for (size_t i = 0; i < ps->n; i++) {
			struct provider *p = ps->list[i];
			size_t k;

			for (k = 0; k < cat->n; k++)
				if (strcmp(cat->p[k]->id, p->id) == 0)
					break;
			if (ps->disabled[i]) {
				if (k < cat->n) {
					provider_free(cat->p[k]);
					memmove(&cat->p[k], &cat->p[k + 1],
						(cat->n - k - 1) * sizeof(cat->p[0]));
					cat->n--;
				}
				provider_free(p);
			} else if (k < cat->n) {
				provider_free(cat->p[k]);
				cat->p[k] = p;
			} else {
				cat->p[cat->n++] = p;
			}
			ps->list[i] = NULL;
		}
		ps->n = 0;
	}
	rc = 0;
out:
	if (ps) {
		for (size_t i = 0; i < ps->n; i++)
			provider_free(ps->list[i]);
		free(ps);
	}
	free(line);
	return rc;
}

int catalog_load_file(struct catalog *cat, const char *path, int admin,
		      int missing_ok, const struct policy_opts *popts,
		      struct errbuf *why)
{
	char *text;
	size_t n;
	int rc, err = 0;

	enum file_status st = file_read(path, CATALOG_MAX_FILE, &text, &n, &err);

	if (st == FILE_ERR_OPEN && err == ENOENT && missing_ok)
		return 0;
	if (st != FILE_OK)
		return file_read_why(st, path, CATALOG_MAX_FILE, err, why);
	rc = catalog_parse(cat, text, n, path, admin, popts, why);
	free(text);
	return rc;
}

struct catalog *catalog_load(const struct config *cfg, struct errbuf *why)
{
	static const char *const dirs[] = { TLSPOLICY_DATADIR, TLSPOLICY_SRCDATADIR };
	struct policy_opts po = { config_get_version(cfg, "postfix_compatibility") };
	struct catalog *cat = catalog_new();
	const char *admin = config_get(cfg, "provider_file");

	if (cat == NULL) {
		errbuf_set(why, "out of memory");
		return NULL;
	}
	builtin_path[0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat sb;

		snprintf(builtin_path, sizeof(builtin_path), "%s/%s", dirs[i], CATALOG_BUILTIN_NAME);
		if (stat(builtin_path, &sb) == 0)
			break;
		builtin_path[0] = '\0';
	}
	if (builtin_path[0] &&
	    catalog_load_file(cat, builtin_path, 0, 0, &po, why) < 0)
		goto fail;
	if (admin && *admin &&
	    catalog_load_file(cat, admin, 1, config_is_default(cfg, "provider_file"),
			      &po, why) < 0)
		goto fail;
	return cat;
fail:
	catalog_free(cat);
	return NULL;
}
