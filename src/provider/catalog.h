/* SPDX-License-Identifier: MIT */
/*
 * catalog - the provider catalogue: which mail providers are known by
 * their MX host patterns, and the Postfix TLS policy for a domain
 * hosted there (format: the header of data/providers.conf).
 *
 * The built-in catalogue (data/providers.conf, installed in
 * TLSPOLICY_DATADIR) is read first; the admin's file (setting
 * provider_file) adds entries, replaces entries with the same id and
 * removes entries marked "disabled yes".  Every policy goes through
 * policy_parse(), so an entry Postfix would refuse is an error naming
 * file:line.
 *
 * Matching: a host matches a pattern "host" exactly, ".suffix" when it
 * ends in ".suffix" (any depth), "*.suffix" when exactly one label
 * precedes ".suffix"; case-insensitive, trailing dot ignored.  When
 * patterns of several providers match, the longest pattern wins.  A
 * domain belongs to a provider when every one of its MX hosts matches
 * that provider.
 *
 * LIMITS: CATALOG_MAX_FILE bytes per file, CATALOG_MAX_LINE bytes per
 * line, CATALOG_MAX_PROVIDERS entries, CATALOG_MAX_MX patterns and
 * CATALOG_MAX_SOURCES sources per entry, CATALOG_ID_MAX / NAME_MAX /
 * CATALOG_PATTERN_MAX bytes.  SECURITY: the admin's file is trusted
 * configuration, but it is parsed as untrusted text (fuzzed).
 */
#ifndef TP_PROVIDER_CATALOG_H
#define TP_PROVIDER_CATALOG_H

#include <stddef.h>
#include "util/errbuf.h"

#define CATALOG_MAX_FILE (1024 * 1024)
#define CATALOG_MAX_LINE 4096
#define CATALOG_MAX_PROVIDERS 1000
#define CATALOG_MAX_MX 64
#define CATALOG_MAX_SOURCES 16
#define CATALOG_ID_MAX 64
#define CATALOG_NAME_MAX 128
#define CATALOG_PATTERN_MAX 256
#define CATALOG_BUILTIN_NAME "providers.conf"

struct config;
struct policy_opts;

struct provider {
	char id[CATALOG_ID_MAX + 1];
	char name[CATALOG_NAME_MAX + 1];
	size_t nmx;
	char *mx[CATALOG_MAX_MX];        /* normalised patterns */
	char *policy;                    /* canonical policy text, or NULL */
	char *pin;                       /* canonical, or NULL: use policy */
	size_t nsources;
	char *sources[CATALOG_MAX_SOURCES];
	const char *origin;              /* "builtin" or "admin" */
	char file[256];                  /* file:line of the "provider" line */
};

struct catalog;

/* An empty catalogue. NULL on ENOMEM. */
struct catalog *catalog_new(void);
void catalog_free(struct catalog *cat);

/*
 * Parses text (len bytes) and merges it into cat: new ids are added,
 * known ids replaced, "disabled yes" entries removed.  origin names the
 * file in messages ("file.conf"); admin says whether it is the admin's
 * layer.  On error returns -1 with "origin:line: reason" and cat is
 * unchanged.
 */
int catalog_parse(struct catalog *cat, const char *text, size_t len,
		  const char *origin, int admin, const struct policy_opts *popts,
		  struct errbuf *why);
/* Reads a file and parses it; missing_ok: a missing file is no error. */
int catalog_load_file(struct catalog *cat, const char *path, int admin,
		      int missing_ok, const struct policy_opts *popts,
		      struct errbuf *why);
/*
 * The built-in catalogue (TLSPOLICY_DATADIR, else the source tree's
 * data/ for runs from the build tree) plus provider_file from cfg (a
 * missing file is fine only for the default path).  NULL with why.
 */
struct catalog *catalog_load(const struct config *cfg, struct errbuf *why);
/* Path of the built-in catalogue used (for messages), "" if none. */
const char *catalog_builtin_path(void);

size_t catalog_count(const struct catalog *cat);
const struct provider *catalog_get(const struct catalog *cat, size_t i);
const struct provider *catalog_find(const struct catalog *cat, const char *id);

/* 1 when host (a DNS name) matches pattern. */
int catalog_pattern_match(const char *pattern, const char *host);
/* The provider whose pattern matches host best, or NULL; *pattern (may
 * be NULL) gets the pattern. */
const struct provider *catalog_match_host(const struct catalog *cat,
					  const char *host, const char **pattern);
/*
 * The provider every one of hosts[0..n) belongs to, or NULL (no hosts,
 * some host unknown, or hosts at different providers; *why_not (may be
 * NULL) then points to a static explanation).
 */
const struct provider *catalog_match_hosts(const struct catalog *cat,
					   const char *const *hosts, size_t n,
					   const char **why_not);

#endif
