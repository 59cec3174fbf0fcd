/* SPDX-License-Identifier: MIT */
/*
 * own/report - the report of `tlspolicy own check`: per own domain a
 * list of findings, each a check name, its subject (an MX host, a DNS
 * name, a URL), a verdict, one line saying what was found and, for
 * anything not ok, the exact records or file contents that fix it.
 *
 * Verdicts: ok, warning, error, unknown ("could not check": our own
 * resolver, a probe that got no session).  The exit code for cron and
 * monitoring (own_report_exit): 2 when any finding is an error, else 3
 * when any could not be checked, else 1 when any is a warning, else 0 -
 * an error found outranks a check that could not run, as in Nagios
 * (CRITICAL over UNKNOWN).
 *
 * Output: an aligned table per domain followed by the fixes (text), or
 * one JSON object (docs/man/tlspolicy.8.md, OWN DOMAINS, has an example).
 *
 * LIMITS: OWN_REPORT_MSG_MAX bytes per message (cut with "..."), fixes
 * are unlimited (malloc'ed).
 */
#ifndef TP_OWN_REPORT_H
#define TP_OWN_REPORT_H

#include <stddef.h>
#include <stdio.h>

#define OWN_REPORT_MSG_MAX 512
#define OWN_REPORT_NAME_MAX 272

enum own_verdict { OWN_OK, OWN_WARNING, OWN_ERROR, OWN_UNKNOWN };

struct own_finding {
	char domain[OWN_REPORT_NAME_MAX];
	char check[32];
	char subject[OWN_REPORT_NAME_MAX];
	enum own_verdict verdict;
	char msg[OWN_REPORT_MSG_MAX];
	char *fix;               /* NULL or lines to publish (each ends in \n) */
};

struct own_report {
	size_t n, cap;
	struct own_finding *f;
};

void own_report_init(struct own_report *r);
void own_report_free(struct own_report *r);

/* Adds a finding; fix (may be NULL) is copied.  Returns the finding
 * (aborts on ENOMEM like the rest of the CLI's reports). */
struct own_finding *own_report_add(struct own_report *r, const char *domain,
				   const char *check, const char *subject,
				   enum own_verdict v, const char *fix,
				   const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

const char *own_verdict_name(enum own_verdict v);
/* The worst verdict of domain's findings (NULL: all). */
enum own_verdict own_report_worst(const struct own_report *r, const char *domain);
/* 0 ok, 1 warning, 2 error, 3 could not check (see above). */
int own_report_exit(const struct own_report *r);

void own_report_text(FILE *out, const struct own_report *r);
void own_report_json(FILE *out, const struct own_report *r);
/* The same with the process's exit code in "exit" (--deploy-check). */
void own_report_json_exit(FILE *out, const struct own_report *r, int code);

#endif
