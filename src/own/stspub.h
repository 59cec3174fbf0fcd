/* SPDX-License-Identifier: MIT */
/*
 * own/stspub - what we publish for MTA-STS (RFC 8461), checked the way
 * a sender will see it, and the policy file to publish (a pure function
 * of the facts the caller gathered: the `_mta-sts` TXT records, the
 * policy fetched with the same strict rules as discovery
 * (mtasts/sts_fetch.h: certificate, no redirects, text/plain, size),
 * the live MX set, the `mta-sts.` web certificate's expiry, and what
 * tlspolicy saw last time (store_own.h)).
 *
 * Findings (check names):
 *   sts-txt      exactly one `v=STSv1` record, id syntax (sts_txt.h);
 *                none: a warning with the records and file to publish;
 *   sts-policy   fetched (status 200, text/plain, no redirect, size,
 *                certificate) and valid (sts_policy.h);
 *   sts-mx       every live MX host matched by an mx line; a `*.`
 *                pattern covers exactly one label, named when it is
 *                the near miss;
 *   sts-mode     enforce ok; testing for longer than own_sts_testing_max
 *                (measured from the first run that saw it) a warning;
 *                none a warning (the policy is being withdrawn);
 *   sts-max-age  below one week (604800 s) a warning;
 *   sts-id       the policy text changed since the last run but the id
 *                did not: an error (senders with a cached policy never
 *                fetch the new one); the stored text and id are then
 *                kept until the id changes;
 *   sts-cert     the web certificate expires within own_web_cert_days
 *                (default 21): a warning; expired: an error.
 *
 * The fix of every finding is the complete TXT record and policy file
 * to publish: generated from the live MX set (exact host names), the
 * published mode (enforce when testing was left on too long), max_age
 * of at least one week, and a new id (UTC time, YYYYMMDDhhmmss).
 */
#ifndef TP_OWN_STSPUB_H
#define TP_OWN_STSPUB_H

#include <stddef.h>
#include "mtasts/sts_txt.h"
#include "own/report.h"

#define OWN_STS_MIN_MAX_AGE 604800UL    /* one week */
#define OWN_STS_MAX_MX 64

enum own_lookup { OWN_LOOKUP_DATA, OWN_LOOKUP_NONE, OWN_LOOKUP_FAILED };

struct own_sts_in {
	const char *domain;
	const char *const *mx;          /* the live MX hosts */
	size_t nmx;
	enum own_lookup txt_state;
	const char *txt_why;
	const struct sts_txt_rec *txt;
	size_t ntxt;
	int fetch_ok;
	long http_status;
	const char *fetch_error;
	const char *body;
	size_t len;
	long long cert_not_after;       /* 0: unknown */
	const char *cert_why;           /* why unknown */
	const char *last_id, *last_text;/* NULL: never seen */
	long long testing_since;        /* 0: testing not seen before */
	long long now;
	unsigned long testing_max;      /* seconds */
	unsigned cert_days;
};

struct own_sts_out {
	int have_policy;                /* id and text valid */
	char id[STS_TXT_ID_MAX + 1];
	char *text;                     /* malloc'ed; normalised policy text */
	int testing;                    /* mode testing published */
	int keep_last;                  /* id not bumped: do not store */
};

int own_sts_check(const struct own_sts_in *in, struct own_report *rep,
		  struct own_sts_out *out);
void own_sts_out_free(struct own_sts_out *out);

/* The policy file (malloc'ed) for the MX set; mode "enforce" etc. */
char *own_sts_policy_text(const char *const *mx, size_t nmx, const char *mode,
			  unsigned long max_age);
/* A new id from the time (YYYYMMDDhhmmss, out >= 15 bytes). */
char *own_sts_new_id(long long now, char *out, size_t outlen);
/* The fix: TXT record line plus the file (malloc'ed). */
char *own_sts_fix(const char *domain, const char *const *mx, size_t nmx,
		  const char *mode, unsigned long max_age, long long now);

/*
 * TLSRPT (RFC 8460 3): `_smtp._tls.<domain>` TXT: exactly one record
 * beginning with "v=TLSRPTv1", fields "name=value" separated by ";",
 * "rua=" required: a comma-separated list of mailto: (with an address
 * local@domain) or https: (with a host) URIs.  Findings "tlsrpt".
 */
int own_tlsrpt_check(const char *domain, enum own_lookup state,
		     const char *why, const struct sts_txt_rec *txt,
		     size_t ntxt, struct own_report *rep);

#endif
