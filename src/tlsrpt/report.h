/* SPDX-License-Identifier: MIT */
/*
 * report - one RFC 8460 report (section 4): the model, its JSON, gzip
 * (RFC 1952, zlib) and the report mail (section 5.3: multipart/report;
 * report-type="tlsrpt", a text/plain part and the application/
 * tlsrpt+gzip attachment named submitter!domain!begin!end!id.json.gz).
 *
 * One report covers one policy domain and one UTC day (00:00:00Z to
 * 23:59:59Z), with one `policies[]` entry per policy in force that day
 * (section 4.4): each policy the decision journal recorded (its type,
 * policy strings and mx hosts as they were when the daemon answered),
 * or no-policy-found.  Each session counts under the policy in force
 * when it was made (`tlsrpt collect` ties it to the journal, db.h): a
 * success, or a failure detail per (result, sending MTA IP, receiving
 * MX host, receiving IP).  When the policy itself could not be had (an
 * MTA-STS fetch error), every session under it is a failure of that
 * result type (section 4.3.2.1: the sender could not apply the policy).
 *
 * LIMITS: TLSRPT_REPORT_POLICIES policies a report (sessions of more go
 * to the first one), TLSRPT_REPORT_DETAILS failure details a policy (the
 * rest are summed into the summary only, and the text part says so),
 * TLSRPT_REPORT_MAX bytes of JSON.
 */
#ifndef TP_TLSRPT_REPORT_H
#define TP_TLSRPT_REPORT_H

#include <stddef.h>
#include "tlsrpt/outcome.h"
#include "util/buf.h"
#include "util/errbuf.h"

#define TLSRPT_REPORT_DETAILS 1000
#define TLSRPT_REPORT_MAX (4 * 1024 * 1024)
#define TLSRPT_POLICY_STRINGS 256
#define TLSRPT_POLICY_MX 64
#define TLSRPT_REPORT_POLICIES 64

enum tlsrpt_ptype { TLSRPT_P_NONE = 0, TLSRPT_P_STS, TLSRPT_P_TLSA };
const char *tlsrpt_ptype_name(enum tlsrpt_ptype t); /* "no-policy-found" ... */
int tlsrpt_ptype_parse(const char *s);               /* -1 unknown */

struct tlsrpt_detail {
	enum tlsrpt_result result;
	char sending_ip[TLSRPT_IP_MAX + 1];
	char mx_host[TLSRPT_NAME_MAX + 1];
	char mx_ip[TLSRPT_IP_MAX + 1];
	unsigned long long count;
};

/* One entry of policies[]. */
struct tlsrpt_policy {
	char key[65];                 /* the journal's policy_key ("" none) */
	enum tlsrpt_ptype ptype;
	int policy_result;            /* -1, or the failure of the policy itself */
	char *strings[TLSRPT_POLICY_STRINGS]; /* policy-string (malloc'ed) */
	size_t nstrings;
	char *mx[TLSRPT_POLICY_MX];   /* mx-host (malloc'ed) */
	size_t nmx;
	unsigned long long answers;   /* the journal's count (all servers) */
	unsigned long long ok, failed;
	struct tlsrpt_detail *details;
	size_t ndetails, cap;
	unsigned long long details_dropped;
};

struct tlsrpt_report {
	char domain[TLSRPT_NAME_MAX + 1];
	char day[11];                 /* YYYY-MM-DD */
	const char *organization;     /* organization-name */
	const char *contact;          /* contact-info */
	const char *submitter;        /* TLS-Report-Submitter: a domain name */
	char report_id[TLSRPT_NAME_MAX * 2 + 40];
	struct tlsrpt_policy *pol;    /* npol entries, in the journal's order */
	size_t npol;
	unsigned long long ok, failed;          /* over every policy */
	unsigned long long details_dropped;     /* over every policy */
};

void tlsrpt_report_init(struct tlsrpt_report *r, const char *domain, const char *day);
void tlsrpt_report_free(struct tlsrpt_report *r);
/* A new policies[] entry (no-policy-found, key copied; NULL: more than
 * TLSRPT_REPORT_POLICIES or no memory).  Entries never move until
 * tlsrpt_report_prune() or _free(). */
struct tlsrpt_policy *tlsrpt_report_policy(struct tlsrpt_report *r, const char *key);
/* The entry with key, or NULL. */
struct tlsrpt_policy *tlsrpt_report_find(struct tlsrpt_report *r, const char *key);
int tlsrpt_policy_add_string(struct tlsrpt_policy *p, const char *s);
int tlsrpt_policy_add_mx(struct tlsrpt_policy *p, const char *s);
/* Counts count sessions of one outcome under p (rules above); p NULL:
 * the first policy (a no-policy-found one made when there is none). */
int tlsrpt_report_add(struct tlsrpt_report *r, struct tlsrpt_policy *p,
		      enum tlsrpt_result result, const char *sending_ip, const char *mx_host,
		      const char *mx_ip, unsigned long long count);
/* Drops the entries no session counted under (a policy answered but not
 * used by any session that was logged); keeps one when all are empty. */
void tlsrpt_report_prune(struct tlsrpt_report *r);
/* "sts", "tlsa", "no-policy-found", or "sts+tlsa"-like for several. */
void tlsrpt_report_types(const struct tlsrpt_report *r, char *out, size_t outlen);
/* report_id from day, domain and submitter: the same on every server,
 * so a receiver can drop a report it got twice. */
void tlsrpt_report_make_id(struct tlsrpt_report *r);

/* Unix times of the report's day: 00:00:00 and 23:59:59 UTC; -1 bad day. */
long long tlsrpt_day_start(const char *day);

int tlsrpt_report_json(const struct tlsrpt_report *r, struct buf *out, struct errbuf *why);
/* gzip of in[0..n) into out. */
int tlsrpt_gzip(const void *in, size_t n, struct buf *out, struct errbuf *why);
/* The attachment's file name (section 5.3). */
void tlsrpt_report_filename(const struct tlsrpt_report *r, char *out, size_t outlen);

/* The whole mail message (headers and body, CRLF line ends) from `from`
 * to `to` carrying gz (the gzip'ed JSON). now: the Date header. */
int tlsrpt_report_mail(const struct tlsrpt_report *r, const char *from, const char *to,
		       const void *gz, size_t gzlen, long long now, struct buf *out,
		       struct errbuf *why);

#endif
