/* SPDX-License-Identifier: MIT */
/*
 * config.c - settings in Postfix main.cf syntax (see config.h).
 */
#include "util/config.h"
#include "util/json.h"
#include "util/file.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum setting_type {
	T_STR, T_TIME, T_BOOL, T_INT, T_LIST, T_VERSION, T_ENUM, T_PATH,
	T_LISTEN, T_MODE, T_OWNER, T_USER, T_NAMES, T_RESOLVERS, T_DBURL
};

struct setting_decl {
	const char *name;
	enum setting_type type;
	const char *def;
	const char *desc;
	const char *values;  /* T_ENUM: its words */
	int ranged;          /* T_INT, T_TIME: min and max apply */
	long min, max;
};

#define STR T_STR
#define TIME T_TIME
#define BOOL T_BOOL
#define INT T_INT
#define LIST T_LIST
#define VERSION T_VERSION
#define ENUM T_ENUM
#define PATH T_PATH
#define LISTEN T_LISTEN
#define MODE T_MODE
#define OWNER T_OWNER
#define USER T_USER
#define NAMES T_NAMES
#define RESOLVERS T_RESOLVERS
#define DBURL T_DBURL
#define SETTING(n, t, d, s) { #n, t, d, s, NULL, 0, 0, 0 },
#define VALUES(n, v)
#define RANGE(n, lo, hi)
static struct setting_decl decls[] = {
#include "util/settings.def"
};
#undef SETTING
#undef VALUES
#undef RANGE
#undef STR
#undef TIME
#undef BOOL
#undef INT
#undef LIST
#undef VERSION
#undef ENUM
#undef PATH
#undef LISTEN
#undef MODE
#undef OWNER
#undef USER
#undef NAMES
#undef RESOLVERS
#undef DBURL

/* The VALUES and RANGE lines of settings.def, joined to decls once. */
static const struct { const char *name, *values; } decl_values[] = {
#define SETTING(n, t, d, s)
#define VALUES(n, v) { #n, v },
#define RANGE(n, lo, hi)
#include "util/settings.def"
#undef SETTING
#undef VALUES
#undef RANGE
};
static const struct { const char *name; long min, max; } decl_ranges[] = {
#define SETTING(n, t, d, s)
#define VALUES(n, v)
#define RANGE(n, lo, hi) { #n, lo, hi },
#include "util/settings.def"
#undef SETTING
#undef VALUES
#undef RANGE
};

#define NDECLS (sizeof(decls) / sizeof(decls[0]))

struct config {
	char *value[NDECLS]; /* NULL: default */
	char *where[NDECLS]; /* "FILE:LINE" of the value, NULL: not from a file */
};

static int decl_find(const char *name)
{
	for (size_t i = 0; i < NDECLS; i++)
		if (strcmp(decls[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Joins the VALUES and RANGE lines to their settings, once (config_new()
 * runs it through pthread_once).  A line naming no setting, or an ENUM
 * without values, is our bug. */
static void decls_join(void)
{
	for (size_t k = 0; k < sizeof(decl_values) / sizeof(decl_values[0]); k++) {
		int i = decl_find(decl_values[k].name);

		if (i < 0 || decls[i].type != T_ENUM)
			log_panic("settings.def: VALUES(%s) without an ENUM setting",
				  decl_values[k].name);
		decls[i].values = decl_values[k].values;
	}
	for (size_t k = 0; k < sizeof(decl_ranges) / sizeof(decl_ranges[0]); k++) {
		int i = decl_find(decl_ranges[k].name);

		if (i < 0 || (decls[i].type != T_INT && decls[i].type != T_TIME))
			log_panic("settings.def: RANGE(%s) without an INT or TIME setting",
				  decl_ranges[k].name);
		decls[i].ranged = 1;
		decls[i].min = decl_ranges[k].min;
		decls[i].max = decl_ranges[k].max;
	}
	for (size_t i = 0; i < NDECLS; i++)
		if (decls[i].type == T_ENUM && decls[i].values == NULL)
			log_panic("settings.def: ENUM %s without VALUES", decls[i].name);
}

static void decls_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, decls_join);
}

struct config *config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		log_fatal("config_new");
	decls_init();
	return cfg;
}

static void config_clear(struct config *cfg, size_t i)
{
	free(cfg->value[i]);
	free(cfg->where[i]);
	cfg->value[i] = cfg->where[i] = NULL;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NDECLS; i++)
		config_clear(cfg, i);
	free(cfg);
}

static void copy_values(struct config *to, const struct config *from)
{
	for (size_t i = 0; i < NDECLS; i++) {
		if ((from->value[i] && (to->value[i] = strdup(from->value[i])) == NULL) ||
		    (from->where[i] && (to->where[i] = strdup(from->where[i])) == NULL))
			log_fatal("config");
	}
}

struct config *config_dup(const struct config *cfg)
{
	struct config *c = config_new();

	copy_values(c, cfg);
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

/* Shows a value in a message: at most 60 bytes, control bytes as '?'. */
static const char *shown(char *out, size_t outlen, const char *v)
{
	size_t n = 0;

	for (; *v && n + 4 < outlen && n < 60; v++)
		out[n++] = (unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v;
	if (*v)
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	out[n] = '\0';
	return out;
}

/* One word of an ENUM's values, as "a, b or c" into out. */
static void enum_list(const char *values, char *out, size_t outlen)
{
	char *words[32], *storage = NULL;
	size_t n = config_split_list(values, words, 32, &storage), o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < outlen; i++) {
		int k = snprintf(out + o, outlen - o, "%s%s", i == 0 ? "" :
				 i + 1 == n ? " or " : ", ", words[i]);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	free(storage);
}

static int enum_has(const char *values, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = values; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && strncmp(p, v, n) == 0)
			return 1;
		p += w;
		p += strspn(p, " ");
	}
	return 0;
}

static int port_ok(const char *p)
{
	size_t n = strlen(p);
	long v;

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return 0;
	v = atol(p);
	return v >= 1 && v <= 65535;
}

/* A host name or IPv4 address of inet:HOST:PORT (empty: every address). */
static int inet_host_ok(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' &&
		    h[i] != '_')
			return 0;
	return n <= 253;
}

int config_listen_check(const char *spec, struct errbuf *why)
{
	char q[80], host[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	const char *rest, *colon;
	size_t n;

	shown(q, sizeof(q), spec);
	if (strncmp(spec, "unix:", 5) == 0) {
		n = strlen(spec + 5);
		if (n == 0 || spec[5] != '/')
			return errbuf_set(why, "\"%s\": unix: needs an absolute path "
					  "(unix:/PATH)", q);
		if (n >= CONFIG_UNIX_PATH_MAX)
			return errbuf_set(why, "\"%s\": path longer than %d bytes", q,
					  CONFIG_UNIX_PATH_MAX - 1);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) != 0)
		return errbuf_set(why, "\"%s\": expected inet:HOST:PORT, "
				  "inet:[IPv6]:PORT or unix:/PATH", q);
	rest = spec + 5;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (close == NULL || close[1] != ':')
			return errbuf_set(why, "\"%s\": expected inet:[IPv6]:PORT", q);
		n = (size_t)(close - rest - 1);
		if (n == 0 || n >= sizeof(host))
			return errbuf_set(why, "\"%s\": expected an IPv6 address "
					  "in the brackets", q);
		memcpy(host, rest + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return errbuf_set(why, "\"%s\": \"%s\" is not an IPv6 address",
					  q, host);
		colon = close + 1;
	} else {
		if ((colon = strrchr(rest, ':')) == NULL)
			return errbuf_set(why, "\"%s\": no port (expected "
					  "inet:HOST:PORT, e.g. inet:127.0.0.1:8461)", q);
		n = (size_t)(colon - rest);
		if (memchr(rest, ':', n) != NULL)
			return errbuf_set(why, "\"%s\": put an IPv6 address in "
					  "brackets: inet:[ADDRESS]:PORT", q);
		if (!inet_host_ok(rest, n))
			return errbuf_set(why, "\"%s\": invalid host", q);
	}
	if (!port_ok(colon + 1))
		return errbuf_set(why, "\"%s\": invalid port \"%s\" (1 to 65535)", q,
				  colon + 1);
	return 0;
}

static int name_ok(const char *s, const char *extra)
{
	if (*s == '\0' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

/* IP or IP@PORT, as unbound's forward-addr takes it. */
int config_resolver_ok(const char *s)
{
	char ip[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);

	if (n == 0 || n >= sizeof(ip))
		return 0;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
		return 0;
	return at == NULL || port_ok(at + 1);
}

/* Checks every word of a list value with one of the checks above. */
static int each_word(const struct setting_decl *d, const char *value,
		     struct errbuf *why)
{
	size_t max = d->type == T_LISTEN ? CONFIG_MAX_LISTEN :
		     d->type == T_RESOLVERS ? CONFIG_MAX_RESOLVERS : CONFIG_MAX_NAMES;
	char *words[CONFIG_MAX_NAMES + 1], *storage = NULL, q[80];
	size_t n = config_split_list(value, words, max + 1, &storage);
	int rc = 0;

	if (*value && storage == NULL)
		return errbuf_set(why, "out of memory");
	if (n > max) {
		rc = errbuf_set(why, "%s: more than %zu values", d->name, max);
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		switch (d->type) {
		case T_LISTEN:
			if (config_listen_check(words[i], why) < 0)
				rc = errbuf_prefix(why, "%s", d->name);
			break;
		case T_NAMES:
			if (!name_ok(words[i], "_.-"))
				rc = errbuf_set(why, "%s: invalid map name \"%s\" "
						"(letters, digits, '_', '.', '-')", d->name,
						shown(q, sizeof(q), words[i]));
			break;
		case T_RESOLVERS:
			if (strcmp(words[i], "recursive") == 0 && n == 1)
				break;
			rc = config_resolver_ok(words[i]) ? 0 :
			     errbuf_set(why, "%s: \"%s\" is not IP or IP@PORT%s", d->name,
					shown(q, sizeof(q), words[i]),
					strcmp(words[i], "recursive") == 0 ?
					" (recursive must be alone)" : "");
			break;
		default:
			break;
		}
	}
out:
	free(storage);
	return rc;
}

static int validate(const struct setting_decl *d, const char *value,
		    struct errbuf *why)
{
	char q[80], list[256];
	unsigned u;
	long l;
	int b;

	switch (d->type) {
	case T_TIME:
		if (config_parse_time(value, &u) < 0)
			return errbuf_set(why, "%s: invalid time value \"%s\" (use N, Ns, Nm, Nh, Nd or Nw)",
					  d->name, shown(q, sizeof(q), value));
		if (d->ranged && ((long)u < d->min || (long)u > d->max))
			return errbuf_set(why, "%s: %s is out of range (%lds to %lds)",
					  d->name, value, d->min, d->max);
		break;
	case T_BOOL:
		if (parse_bool(value, &b) < 0)
			return errbuf_set(why, "%s: invalid boolean \"%s\" (use yes or no)",
					  d->name, shown(q, sizeof(q), value));
		break;
	case T_INT:
		if (parse_int(value, &l) < 0)
			return errbuf_set(why, "%s: invalid number \"%s\"", d->name,
					  shown(q, sizeof(q), value));
		if (d->ranged && (l < d->min || l > d->max))
			return errbuf_set(why, "%s: %ld is out of range (%ld to %ld)",
					  d->name, l, d->min, d->max);
		break;
	case T_VERSION:
		if (config_parse_version(value, &u) < 0)
			return errbuf_set(why, "%s: invalid Postfix version \"%s\" (use e.g. 3.7)",
					  d->name, shown(q, sizeof(q), value));
		break;
	case T_ENUM:
		if (!enum_has(d->values, value)) {
			enum_list(d->values, list, sizeof(list));
			return errbuf_set(why, "%s: invalid value \"%s\" (use %s)", d->name,
					  shown(q, sizeof(q), value), list);
		}
		break;
	case T_PATH:
		if (*value && *value != '/')
			return errbuf_set(why, "%s: \"%s\" is not an absolute path",
					  d->name, shown(q, sizeof(q), value));
		if (strpbrk(value, " \t"))
			return errbuf_set(why, "%s: \"%s\": white space in a path",
					  d->name, shown(q, sizeof(q), value));
		break;
	case T_MODE: {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(value, &end, 8);
		if (*value < '0' || *value > '7' || *end || errno || m > 07777)
			return errbuf_set(why, "%s: \"%s\" is not an octal mode (e.g. 0660)",
					  d->name, shown(q, sizeof(q), value));
		break;
	}
	case T_OWNER: {
		const char *colon = strchr(value, ':');
		size_t un = colon ? (size_t)(colon - value) : strlen(value);
		char user[64];

		if (*value == '\0')
			break;
		if (un >= sizeof(user) || (colon && strchr(colon + 1, ':')))
			return errbuf_set(why, "%s: \"%s\" is not user[:group]", d->name,
					  shown(q, sizeof(q), value));
		memcpy(user, value, un);
		user[un] = '\0';
		if ((un && !name_ok(user, "_.-")) ||
		    (colon && !name_ok(colon + 1, "_.-")) || (un == 0 && !colon))
			return errbuf_set(why, "%s: \"%s\" is not user[:group] or :group",
					  d->name, shown(q, sizeof(q), value));
		break;
	}
	case T_USER:
		if (!name_ok(value, "_.-"))
			return errbuf_set(why, "%s: \"%s\" is not a user name", d->name,
					  shown(q, sizeof(q), value));
		break;
	case T_DBURL:
		if (*value == '\0' && *d->def == '\0') /* database_write: off */
			break;
		if (!((strncmp(value, "sqlite:", 7) == 0 && value[7] == '/') ||
		      (strncmp(value, "mysql://", 8) == 0 && value[8])))
			/* (not shown: it may hold a password) */
			return errbuf_set(why, "%s: expected sqlite:/PATH or "
					  "mysql://USER[:PASSWORD]@HOST[:PORT]/DB", d->name);
		break;
	case T_LISTEN:
	case T_NAMES:
	case T_RESOLVERS:
		return each_word(d, value, why);
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
	config_clear(cfg, i);
	cfg->value[i] = copy;
	return 0;
}

/* Settings that must agree with each other; the message names where
 * the later of the two was set. */
static int cross_check(const struct config *cfg, struct errbuf *why)
{
	unsigned lo = config_get_time(cfg, "cache_min_ttl");
	unsigned hi = config_get_time(cfg, "cache_max_ttl");

	if (lo > hi) {
		const char *w = config_where(cfg, "cache_max_ttl");

		if (w == NULL)
			w = config_where(cfg, "cache_min_ttl");
		return errbuf_set(why, "%s%scache_min_ttl (%us) is greater than "
				  "cache_max_ttl (%us)", w ? w : "", w ? ": " : "", lo, hi);
	}
	return 0;
}

const char *config_where(const struct config *cfg, const char *name)
{
	int i = decl_find(name);

	return i < 0 ? NULL : cfg->where[i];
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
	int i;

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
	i = decl_find(name);
	if (asprintf(&tmp->where[i], "%s:%u", origin, lineno) < 0) {
		tmp->where[i] = NULL;
		return errbuf_set(why, "out of memory");
	}
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

	copy_values(tmp, cfg);
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
	if (rc == 0)
		rc = cross_check(tmp, why);
	if (rc == 0) {
		for (size_t i = 0; i < NDECLS; i++) {
			config_clear(cfg, i);
			cfg->value[i] = tmp->value[i];
			cfg->where[i] = tmp->where[i];
			tmp->value[i] = tmp->where[i] = NULL;
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

const char *config_database_write(const struct config *cfg)
{
	const char *w = config_get(cfg, "database_write");

	return *w ? w : config_get(cfg, "database");
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

size_t config_count(void)
{
	return NDECLS;
}

const char *config_name(size_t i)
{
	return i < NDECLS ? decls[i].name : NULL;
}

void config_print(const struct config *cfg, FILE *out, int which)
{
	for (size_t i = 0; i < NDECLS; i++) {
		if (which == CONFIG_PRINT_NONDEFAULT && cfg->value[i] == NULL)
			continue;
		fprintf(out, "%s = %s\n", decls[i].name, which == CONFIG_PRINT_DEFAULTS ?
			decls[i].def : value_of(cfg, (int)i));
	}
}

int config_print_json(const struct config *cfg, FILE *out, int which,
		      char *const *names, size_t n)
{
	int first = 1;

	for (size_t k = 0; k < n; k++)
		if (decl_find(names[k]) < 0)
			return (int)k;
	fputc('{', out);
	for (size_t i = 0; i < NDECLS; i++) {
		int want = n == 0;

		for (size_t k = 0; k < n && !want; k++)
			want = decl_find(names[k]) == (int)i;
		if (!want || (which == CONFIG_PRINT_NONDEFAULT && cfg->value[i] == NULL))
			continue;
		fputs(first ? "\n  " : ",\n  ", out);
		first = 0;
		json_fput_str(out, decls[i].name, 0);
		fputs(": ", out);
		json_fput_str(out, which == CONFIG_PRINT_DEFAULTS ? decls[i].def
			      : value_of(cfg, (int)i), 0);
	}
	fputs(first ? "}\n" : "\n}\n", out);
	return -1;
}

int config_print_one(const struct config *cfg, FILE *out, const char *name,
		     int flags)
{
	int i = decl_find(name);
	const char *v;

	if (i < 0)
		return -1;
	v = flags & CONFIG_PRINT_DEFAULTS ? decls[i].def : value_of(cfg, i);
	if (flags & CONFIG_PRINT_BARE)
		fprintf(out, "%s\n", v);
	else
		fprintf(out, "%s = %s\n", decls[i].name, v);
	return 0;
}
