/* SPDX-License-Identifier: MIT */
/*
 * report - one RFC 8460 report (section 4): the model, its JSON, gzip
 * (RFC 1952, zlib) and the report mail (section 5.3: multipart/report;
 * report-type="tlsrpt", a text/plain part and the application/
 * tlsrpt+gzip attachment named submitter!domain!begin!end!id.json.gz).
 *
 * One report covers one policy domain and one UTC day (00:00:00Z to
 * 23:59:59Z) with one policy: the policy the daemon answered most that
 * day (the decision journal), or no-policy-found.  Every session of the
 * day counts under it: a success, or a failure detail per (result,
 * sending MTA IP, receiving MX host, receiving IP).  When the policy
 * itself could not be had (an MTA-STS fetch error), every session is a
 * failure of that result type (section 4.3.2.1: the sender could not
 * apply the policy).
 *
 * LIMITS: TLSRPT_REPORT_DETAILS failure details (the rest are summed
 * into the summary only, and the text part says so), TLSRPT_REPORT_MAX
 * bytes of JSON.
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

struct tlsrpt_report {
	char domain[TLSRPT_NAME_MAX + 1];
	char day[11];                 /* YYYY-MM-DD */
	const char *organization;     /* organization-name */
	const char *contact;          /* contact-info */
	const char *submitter;        /* TLS-Report-Submitter: a domain name */
	char report_id[TLSRPT_NAME_MAX * 2 + 40];
	enum tlsrpt_ptype ptype;
	int policy_result;            /* -1, or the failure of the policy itself */
	char *strings[TLSRPT_POLICY_STRINGS]; /* policy-string (malloc'ed) */
	size_t nstrings;
	char *mx[TLSRPT_POLICY_MX];   /* mx-host (malloc'ed) */
	size_t nmx;
	unsigned long long ok, failed;
	struct tlsrpt_detail *details;
	size_t ndetails, cap;
	unsigned long long details_dropped;
};

void tlsrpt_report_init(struct tlsrpt_report *r, const char *domain, const char *day);
void tlsrpt_report_free(struct tlsrpt_report *r);
int tlsrpt_report_add_string(struct tlsrpt_report *r, const char *s);
int tlsrpt_report_add_mx(struct tlsrpt_report *r, const char *s);
/* Counts count sessions of one outcome (rules above). */
int tlsrpt_report_add(struct tlsrpt_report *r, enum tlsrpt_result result,
		      const char *sending_ip, const char *mx_host, const char *mx_ip,
		      unsigned long long count);
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
