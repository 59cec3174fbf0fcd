/* SPDX-License-Identifier: MIT */
/*
 * config - settings in Postfix main.cf syntax.
 *
 * `name = value` lines; whole-line comments start with '#'; a line that
 * starts with whitespace continues the previous one; blank lines are
 * ignored.  Every setting is declared in settings.def with its type and
 * default; an unknown name or an invalid value (by type: a time, a
 * number in its range, one of an enum's words, listener syntax, ...) is
 * an error naming file:line, and nothing of that text is applied.  LIMITS: CONFIG_MAX_LINE bytes per logical line.
 */
#ifndef TP_UTIL_CONFIG_H
#define TP_UTIL_CONFIG_H

#include <stdio.h>
#include "util/errbuf.h"

#define CONFIG_MAX_LINE 8192
#define CONFIG_MAX_LISTEN 32     /* words of listen */
#define CONFIG_MAX_RESOLVERS 8   /* words of dns_resolvers */
#define CONFIG_MAX_NAMES 64      /* words of map_names */
#define CONFIG_UNIX_PATH_MAX 108 /* sizeof sun_path */
#define CONFIG_DEFAULT_FILE TLSPOLICY_SYSCONFDIR "/tlspolicy.cf"

struct config;

/* A configuration holding every default. Never NULL (aborts on ENOMEM). */
struct config *config_new(void);
void config_free(struct config *cfg);
/* A copy of cfg (every value); never NULL (aborts on ENOMEM). */
struct config *config_dup(const struct config *cfg);

/* Reads a file. missing_ok: a missing file is not an error. On error
 * nothing in cfg is changed. */
int config_load_file(struct config *cfg, const char *path, int missing_ok,
		     struct errbuf *why);
/* Parses text in main.cf syntax; origin names it in messages. */
int config_load_string(struct config *cfg, const char *text,
		       const char *origin, struct errbuf *why);
/* Sets one setting (validated). */
int config_set(struct config *cfg, const char *name, const char *value,
	       struct errbuf *why);

/* Values. Asking for an undeclared name is a bug (log_panic). The
 * returned string is owned by cfg, valid until the next set/free. */
const char *config_get(const struct config *cfg, const char *name);
/* The database that writes go to: database_write when set (the primary
 * of a replica that database names), else database. */
const char *config_database_write(const struct config *cfg);
unsigned config_get_time(const struct config *cfg, const char *name);
int config_get_bool(const struct config *cfg, const char *name);
long config_get_int(const struct config *cfg, const char *name);
/* Postfix version as major*100+minor, e.g. 307 for "3.7". */
unsigned config_get_version(const struct config *cfg, const char *name);
int config_is_default(const struct config *cfg, const char *name);

/* Parses a Postfix time value (N, Ns, Nm, Nh, Nd, Nw) into seconds. */
int config_parse_time(const char *s, unsigned *secs);
/* Parses "x.y" into x*100+y. */
int config_parse_version(const char *s, unsigned *v);

/* Splits a LIST value into words (whitespace or commas). Returns the
 * number of words, at most max; words point into a copy in *storage,
 * which the caller frees. */
size_t config_split_list(const char *value, char **words, size_t max,
			 char **storage);

/* Where a setting's value came from, "FILE:LINE", or NULL when it is
 * the default or was set by config_set(). For messages about a value
 * that is valid but does not work (an unknown user, a port in use). */
const char *config_where(const struct config *cfg, const char *name);

/* Checks one listener word: inet:HOST:PORT, inet:[IPv6]:PORT (HOST may
 * be empty: every address) or unix:/PATH. */
int config_listen_check(const char *spec, struct errbuf *why);
/* 1 when s is a resolver address as dns_resolvers takes it: IP or IP@PORT. */
int config_resolver_ok(const char *s);

/* The declared settings, in settings.def order: config_name(i) for
 * i < config_count() (NULL beyond). */
size_t config_count(void);
const char *config_name(size_t i);

/* Prints settings like postconf: all (0), only those a file set
 * (CONFIG_PRINT_NONDEFAULT, postconf -n) or the built-in defaults
 * (CONFIG_PRINT_DEFAULTS, postconf -d). */
#define CONFIG_PRINT_NONDEFAULT 1
#define CONFIG_PRINT_DEFAULTS 2
#define CONFIG_PRINT_BARE 4   /* config_print_one: the value alone */
void config_print(const struct config *cfg, FILE *out, int which);
/* Prints one setting ("name = value", or the value alone with
 * CONFIG_PRINT_BARE; its default with CONFIG_PRINT_DEFAULTS); -1 for
 * an unknown name. */
int config_print_one(const struct config *cfg, FILE *out, const char *name,
		     int flags);
/* The same settings as one JSON object {"name": "value", ...} (values
 * as strings, as config_print prints them): all of them (n = 0) or the
 * names[0..n) ones, which (0, NONDEFAULT or DEFAULTS) as config_print.
 * Returns -1, or the index of the first unknown name (nothing printed). */
int config_print_json(const struct config *cfg, FILE *out, int which,
		      char *const *names, size_t n);

#endif
