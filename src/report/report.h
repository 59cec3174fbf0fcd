/* SPDX-License-Identifier: MIT */
/*
 * report - the data model of `tlspolicy report`, filled by the caller
 * from the functions that make `logscan --json` (logscan_day(),
 * logscan_rows()) and `check --json` (cli/check.h), and written as one
 * self-contained HTML page (report_write_html(), report/html.c) or as
 * JSON (report_write_json()).
 *
 * The page has four sections:
 *   1. TLS coverage per day: sent deliveries stacked by grade (Verified,
 *      Trusted, Untrusted, Anonymous, plaintext), report/svg.c;
 *   2. the destinations table (domain, provider, published, policy,
 *      parameters, deliveries by grade, recommendation);
 *   3. findings: table rows weaker than what the domain publishes, the
 *      daemon's answer failing on a probed MX (would defer), leaf
 *      certificates expiring within the warning window, the findings
 *      of `own check` (report --own) that are not ok;
 *   4. changes since the previous report (report_diff(), from the
 *      snapshot kept in the store, store/store_report.h).
 *
 * Every string comes from logs, DNS or the table: untrusted.  The writers
 * escape all of them (html_text(), html_attr(), JSON escapes); nothing
 * is trusted to be printable or UTF-8.
 *
 * LIMITS: REPORT_MAX_DESTS rows in the table, REPORT_MAX_FINDINGS
 * findings, REPORT_MAX_CHANGES changes, LOGSCAN_MAX_DAYS days; what is
 * left out is counted and the page says how much.
 */
#ifndef TP_REPORT_REPORT_H
#define TP_REPORT_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "logscan/logline.h"
#include "util/buf.h"

#define REPORT_MAX_DESTS 1000
#define REPORT_MAX_FINDINGS 2000
#define REPORT_MAX_CHANGES 2000
#define REPORT_DEFAULT_TOP 50
#define REPORT_DEFAULT_EXPIRY_DAYS 21
#define REPORT_MAX_PAGE (64u * 1024 * 1024) /* hard cap of the writer */

/* Deliveries of one day, by grade (logscan_day()). */
struct report_day {
	char date[11];                            /* YYYY-MM-DD */
	unsigned long n[LOGLINE_TRUST_COUNT];
};

struct report_dest {
	char *domain;
	/* from check (NULL when not checked) */
	char *provider, *published, *policy, *parameter, *table;
	char *recommend, *recommend_src;
	char *note;                 /* the notes, "; "-joined, "WARNING: " marked */
	int checked, warning;
	/* from the logs */
	unsigned long sent, n[LOGLINE_TRUST_COUNT], deferred, bounced, failures;
	char *suggestion;           /* logscan's suggestion, NULL none */
};

enum report_finding_kind {
	REPORT_F_WEAKER,   /* table row weaker than what is published */
	REPORT_F_DEFER,    /* the daemon's answer fails on an MX */
	REPORT_F_EXPIRY,   /* leaf certificate expires soon (or did) */
	REPORT_F_OWN,      /* own-domain checks (own check): host = subject */
	REPORT_F_COUNT
};

struct report_finding {
	enum report_finding_kind kind;
	char *domain, *host, *text;
	time_t when;                /* REPORT_F_EXPIRY: not after */
};

/* One snapshot row: what the store keeps between reports. */
struct report_snap {
	char *domain, *policy, *published;
	unsigned long sent, verified;
};

struct report_change {
	char *domain, *what, *before, *after;
};

struct report {
	time_t generated;
	char *host;                 /* the machine the report was made on */
	/* logs */
	int have_logs;
	unsigned long files, lines, deliveries, undated, domains;
	struct report_day *days;
	size_t ndays;
	/* destinations */
	int checked, probed;        /* check ran; with --probe */
	char *check_note;           /* why check gave no rows, NULL */
	unsigned expiry_days;
	struct report_dest *dests;
	size_t ndests, dests_left;  /* left out past the cap */
	/* findings */
	struct report_finding *findings;
	size_t nfindings, findings_left;
	size_t nkind[REPORT_F_COUNT];
	int own_checks;             /* `own check` ran (report --own): its
	                               findings that are not ok are in */
	char *own_note;             /* why own check gave none, NULL */
	/* changes */
	int have_previous;          /* a snapshot was found */
	time_t previous;            /* when it was taken */
	char *snap_note;            /* why no snapshot was read or written */
	struct report_change *changes;
	size_t nchanges, changes_left;
};

void report_init(struct report *r);
void report_free(struct report *r);

/* Appends a day; returns 0 or -1 (ENOMEM). */
int report_add_day(struct report *r, int year, int mon, int mday,
		   const unsigned long n[LOGLINE_TRUST_COUNT]);
/* A new zeroed destination (owned by r), NULL past REPORT_MAX_DESTS
 * (counted in dests_left) or on ENOMEM. */
struct report_dest *report_add_dest(struct report *r, const char *domain);
/* Adds a finding; counted in nkind always, stored up to the cap. */
int report_add_finding(struct report *r, enum report_finding_kind kind,
		       const char *domain, const char *host, const char *text,
		       time_t when);

/* The changes from prev (n rows) to the destinations of r: a destination
 * new in the report or no longer in it (--top, the logs), its policy or
 * publication changed (when both were checked: prev's published is not
 * ""), its Verified share moved by a whole percentage point or more. */
int report_diff(struct report *r, const struct report_snap *prev, size_t n);

/* Sum of a day's or destination's grades. */
unsigned long report_sum(const unsigned long n[LOGLINE_TRUST_COUNT]);

/* Writers: 0, or -1 when the page would pass REPORT_MAX_PAGE or on
 * ENOMEM.  The HTML page is one document with inline CSS and SVG and
 * one small inline script (table sorting only). */
int report_html(struct buf *out, const struct report *r);
int report_json(struct buf *out, const struct report *r);

/* Grade names as in logscan --json ("verified", ...) and as shown. */
const char *report_grade_title(int grade);

#endif
