/* SPDX-License-Identifier: MIT */
/*
 * config.c - settings in Postfix main.cf syntax (see config.h).
 */
#include "util/config.h"
#include "util/file.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum setting_type { T_STR, T_TIME, T_BOOL, T_INT, T_LIST, T_VERSION };

struct setting_decl {
	const char *name;
	enum setting_type type;
	const char *def;
	const char *desc;
};

#define STR T_STR
#define TIME T_TIME
#define BOOL T_BOOL
#define INT T_INT
#define LIST T_LIST
#define VERSION T_VERSION
#define SETTING(n, t, d, s) { #n, t, d, s },
static const struct setting_decl decls[] = {
#include "util/settings.def"
};
#undef SETTING
#undef STR
#undef TIME
#undef BOOL
#undef INT
#undef LIST
#undef VERSION

#define NDECLS (sizeof(decls) / sizeof(decls[0]))

struct config {
	char *value[NDECLS]; /* NULL: default */
};

static int decl_find(const char *name)
{
	for (size_t i = 0; i < NDECLS; i++)
		if (strcmp(decls[i].name, name) == 0)
			return (int)i;
	return -1;
}

struct config *config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		log_fatal("config_new");
	return cfg;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NDECLS; i++)
		free(cfg->value[i]);
	free(cfg);
}

struct config *config_dup(const struct config *cfg)
{
	struct config *c = config_new();

	for (size_t i = 0; i < NDECLS; i++)
		if (cfg->value[i] && (c->value[i] = strdup(cfg->value[i])) == NULL)
			log_fatal("config_dup");
	return c;
}

int config_parse_time(const char *s, unsigned *secs)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT_MAX)
			return -1;
		p++;
	}
	switch (*p) {
	case '\0': break;
	case 's': mult = 1; p++; break;
	case 'm': mult = 60; p++; break;
	case 'h': mult = 3600; p++; break;
	case 'd': mult = 86400; p++; break;
	case 'w': mult = 604800; p++; break;
	default: return -1;
	}
	if (*p != '\0' || v * mult > UINT_MAX)
		return -1;
	*secs = (unsigned)(v * mult);
	return 0;
}

int config_parse_version(const char *s, unsigned *v)
{
	char *end;
	unsigned long maj, min;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	maj = strtoul(s, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]) || maj > 99)
		return -1;
	min = strtoul(end + 1, &end, 10);
	if (errno || min > 99)
		return -1;
	/* allow a patch level x.y.z, ignored */
	if (*end == '.') {
		end++;
		if (!isdigit((unsigned char)*end))
			return -1;
		while (isdigit((unsigned char)*end))
			end++;
	}
	if (*end != '\0')
		return -1;
	*v = (unsigned)(maj * 100 + min);
	return 0;
}

static int parse_int(const char *s, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int validate(const struct setting_decl *d, const char *value,
		    struct errbuf *why)
{
	unsigned u;
	long l;
	int b;

	switch (d->type) {
	case T_TIME:
		if (config_parse_time(value, &u) < 0)
			return errbuf_set(why, "%s: invalid time value \"%s\" (use N, Ns, Nm, Nh, Nd or Nw)",
					  d->name, value);
		break;
	case T_BOOL:
		if (parse_bool(value, &b) < 0)
			return errbuf_set(why, "%s: invalid boolean \"%s\" (use yes or no)",
					  d->name, value);
		break;
	case T_INT:
		if (parse_int(value, &l) < 0)
			return errbuf_set(why, "%s: invalid number \"%s\"", d->name, value);
		break;
	case T_VERSION:
		if (config_parse_version(value, &u) < 0)
			return errbuf_set(why, "%s: invalid Postfix version \"%s\" (use e.g. 3.7)",
					  d->name, value);
		break;
	case T_STR:
	case T_LIST:
		break;
	}
	return 0;
}

int config_set(struct config *cfg, const char *name, const char *value,
	       struct errbuf *why)
{
	int i = decl_find(name);
	char *copy;

	if (i < 0)
		return errbuf_set(why, "unknown setting \"%s\" (see tlspolicy config)", name);
	if (validate(&decls[i], value, why) < 0)
		return -1;
	if ((copy = strdup(value)) == NULL)
		return errbuf_set(why, "out of memory");
	free(cfg->value[i]);
	cfg->value[i] = copy;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A line whose first non-whitespace character is '#' is a comment. */
static int trim_is_comment(const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!isspace((unsigned char)p[k]))
			return p[k] == '#';
	return 0;
}

/* Applies one logical line; on error the reason names origin:lineno. */
static int apply_line(struct config *tmp, char *line, const char *origin,
		      unsigned lineno, struct errbuf *why)
{
	char *eq, *name, *value;

	eq = strchr(line, '=');
	if (eq == NULL)
		return errbuf_set(why, "%s:%u: missing '=' in \"%.60s\"", origin, lineno, trim(line));
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (*name == '\0')
		return errbuf_set(why, "%s:%u: missing setting name", origin, lineno);
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return errbuf_set(why, "%s:%u: invalid setting name \"%.60s\"", origin, lineno, name);
	if (config_set(tmp, name, value, why) < 0)
		return errbuf_prefix(why, "%s:%u", origin, lineno);
	return 0;
}

int config_load_string(struct config *cfg, const char *text, const char *origin,
		       struct errbuf *why)
{
	struct config *tmp = config_new();
	char logical[CONFIG_MAX_LINE];
	size_t llen = 0;
	unsigned lineno = 0, start = 0;
	const char *p = text;
	int have = 0, rc = 0;

	for (size_t i = 0; i < NDECLS; i++)
		if (cfg->value[i] && (tmp->value[i] = strdup(cfg->value[i])) == NULL)
			log_fatal("config");

	while (*p || have) {
		const char *nl = *p ? strchr(p, '\n') : NULL;
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int eof = (*p == '\0');
		int cont = 0, blank = 1, comment;

		if (!eof) {
			lineno++;
			for (size_t k = 0; k < n; k++)
				if (!isspace((unsigned char)p[k]))
					blank = 0;
			comment = !blank && trim_is_comment(p, n);
			cont = !blank && !comment && isspace((unsigned char)p[0]);
			if (blank || comment) {
				p += n + (nl ? 1 : 0);
				continue;
			}
		}
		if (cont && have) {
			if (llen + 1 + n >= sizeof(logical)) {
				rc = errbuf_set(why, "%s:%u: line too long (max %d bytes)", origin, lineno, CONFIG_MAX_LINE);
				break;
			}
			logical[llen++] = ' ';
			while (n > 0 && isspace((unsigned char)*p)) {
				p++;
				n--;
			}
			memcpy(logical + llen, p, n);
			llen += n;
			p += n + (nl ? 1 : 0);
			continue;
		}
		if (have) {
			logical[llen] = '\0';
			if ((rc = apply_line(tmp, logical, origin, start, why)) < 0)
				break;
			have = 0;
		}
		if (eof)
			break;
		if (cont) {
			rc = errbuf_set(why, "%s:%u: continuation line without a setting before it", origin, lineno);
			break;
		}
		if (n >= sizeof(logical)) {
			rc = errbuf_set(why, "%s:%u: line too long (max %d bytes)", origin, lineno, CONFIG_MAX_LINE);
			break;
		}
		memcpy(logical, p, n);
		llen = n;
		have = 1;
		start = lineno;
		p += n + (nl ? 1 : 0);
	}
	if (rc == 0) {
		for (size_t i = 0; i < NDECLS; i++) {
			free(cfg->value[i]);
			cfg->value[i] = tmp->value[i];
			tmp->value[i] = NULL;
		}
	}
	config_free(tmp);
	return rc;
}

#define CONFIG_MAX_FILE (1024 * 1024)

int config_load_file(struct config *cfg, const char *path, int missing_ok,
		     struct errbuf *why)
{
	char *text;
	size_t n;
	int rc, err = 0;

	switch (file_read(path, CONFIG_MAX_FILE, &text, &n, &err)) {
	case FILE_OK:
		break;
	case FILE_ERR_OPEN:
		if (err == ENOENT && missing_ok)
			return 0;
		return errbuf_set(why, "cannot open %s: %s", path, strerror(err));
	case FILE_ERR_READ:
		return errbuf_set(why, "cannot read %s: %s", path, strerror(err));
	case FILE_ERR_TOO_LARGE:
		return errbuf_set(why, "%s: file larger than %d bytes", path, CONFIG_MAX_FILE);
	case FILE_ERR_NOMEM:
		return errbuf_set(why, "out of memory");
	}
	if (memchr(text, '\0', n) != NULL)
		rc = errbuf_set(why, "%s: file contains a NUL byte", path);
	else
		rc = config_load_string(cfg, text, path, why);
	free(text);
	return rc;
}

static const char *value_of(const struct config *cfg, int i)
{
	return cfg->value[i] ? cfg->value[i] : decls[i].def;
}

static int decl_need(const char *name)
{
	int i = decl_find(name);

	if (i < 0)
		log_panic("config: undeclared setting %s", name);
	return i;
}

const char *config_get(const struct config *cfg, const char *name)
{
	return value_of(cfg, decl_need(name));
}

/* The value of a setting declared with type t; asking with the wrong
 * type is our bug. */
static const char *typed_value(const struct config *cfg, const char *name,
			       enum setting_type t)
{
	int i = decl_need(name);

	if (decls[i].type != t)
		log_panic("config: %s is not of the type asked for", name);
	return value_of(cfg, i);
}

/* Values were validated when set; one that does not parse is our bug. */
unsigned config_get_time(const struct config *cfg, const char *name)
{
	unsigned v = 0;

	if (config_parse_time(typed_value(cfg, name, T_TIME), &v) < 0)
		log_panic("config: %s is not a valid time", name);
	return v;
}

int config_get_bool(const struct config *cfg, const char *name)
{
	int v = 0;

	if (parse_bool(typed_value(cfg, name, T_BOOL), &v) < 0)
		log_panic("config: %s is not a valid boolean", name);
	return v;
}

long config_get_int(const struct config *cfg, const char *name)
{
	long v = 0;

	if (parse_int(typed_value(cfg, name, T_INT), &v) < 0)
		log_panic("config: %s is not a valid number", name);
	return v;
}

unsigned config_get_version(const struct config *cfg, const char *name)
{
	unsigned v = 0;

	if (config_parse_version(typed_value(cfg, name, T_VERSION), &v) < 0)
		log_panic("config: %s is not a valid version", name);
	return v;
}

int config_is_default(const struct config *cfg, const char *name)
{
	int i = decl_need(name);

	return cfg->value[i] == NULL || strcmp(cfg->value[i], decls[i].def) == 0;
}

size_t config_split_list(const char *value, char **words, size_t max,
			 char **storage)
{
	char *copy = strdup(value), *p, *save = NULL;
	size_t n = 0;

	*storage = copy;
	if (copy == NULL)
		return 0;
	for (p = strtok_r(copy, " \t\r\n,", &save); p && n < max;
	     p = strtok_r(NULL, " \t\r\n,", &save))
		words[n++] = p;
	return n;
}

void config_print(const struct config *cfg, FILE *out, int only_nondefault)
{
	for (size_t i = 0; i < NDECLS; i++) {
		if (only_nondefault && cfg->value[i] == NULL)
			continue;
		fprintf(out, "%s = %s\n", decls[i].name, value_of(cfg, (int)i));
	}
}

int config_print_one(const struct config *cfg, FILE *out, const char *name)
{
	int i = decl_find(name);

	if (i < 0)
		return -1;
	fprintf(out, "%s = %s\n", decls[i].name, value_of(cfg, i));
	return 0;
}
