/* SPDX-License-Identifier: MIT */
/*
 * intake - reports other senders send us (RFC 8460 section 4 JSON), as
 * a report mail (section 5.3: a MIME part application/tlsrpt+gzip or
 * application/tlsrpt+json, base64 or not; also application/gzip or
 * application/octet-stream named *.json.gz, as some senders label it),
 * a bare gzip file or a bare JSON file.
 *
 * Tolerated, because large senders do it: date-time values without a
 * time zone (read as UTC) or with a space for 'T', fractions of seconds;
 * an empty or missing sending-mta-ip; mx-host as one string instead of
 * an array; policy-string missing; unknown members anywhere; a UTF-8
 * BOM.  Refused with the reason (and nothing stored): wrong JSON types
 * (a count that is not a non-negative integer, a policies member that is
 * not an array, ...), missing required members (organization-name,
 * date-range, report-id, policies, policy-type, policy-domain, summary),
 * end before start, truncated or corrupt gzip, input or decompressed
 * sizes over the limits (gzip bombs).
 *
 * LIMITS: TLSRPT_INTAKE_MAX bytes of input, TLSRPT_INTAKE_JSON_MAX bytes
 * of decompressed JSON, TLSRPT_INTAKE_POLICIES policies and
 * TLSRPT_INTAKE_DETAILS failure details per report, strings cut to the
 * store's column sizes are refused, not cut.
 */
#ifndef TP_TLSRPT_INTAKE_H
#define TP_TLSRPT_INTAKE_H

#include <stddef.h>
#include "util/errbuf.h"

#define TLSRPT_INTAKE_MAX (20 * 1024 * 1024)
#define TLSRPT_INTAKE_JSON_MAX (5 * 1024 * 1024)
#define TLSRPT_INTAKE_POLICIES 1000
#define TLSRPT_INTAKE_DETAILS 10000

struct tlsrpt_rx_detail {
	char *result, *sending_ip, *receiving_mx, *receiving_ip;
	unsigned long long count;
};

struct tlsrpt_rx_policy {
	char *type, *domain, *mx; /* mx: the mx-host values joined by ' ' */
	unsigned long long ok, failed;
	struct tlsrpt_rx_detail *details;
	size_t ndetails;
};

struct tlsrpt_rx {
	char *organization, *contact, *report_id;
	long long start, end; /* unix time */
	struct tlsrpt_rx_policy *policies;
	size_t npolicies;
};

void tlsrpt_rx_free(struct tlsrpt_rx *r);
/* JSON text of one report.  0, or -1 with why (r zeroed). */
int tlsrpt_rx_json(const char *text, size_t len, struct tlsrpt_rx *r, struct errbuf *why);
/* A mail, a gzip file or a JSON file.  0, or -1 with why. */
int tlsrpt_rx_parse(const char *data, size_t len, struct tlsrpt_rx *r, struct errbuf *why);
/* gunzip with a limit on the output (all members).  0, or -1 with why. */
int tlsrpt_gunzip(const void *in, size_t n, size_t max, char **out, size_t *outlen,
		  struct errbuf *why);
/* RFC 3339 date-time (tolerant, above) to unix time; -1 when bad. */
long long tlsrpt_parse_datetime(const char *s);

#endif
