/* SPDX-License-Identifier: MIT */
/* own/rx.c - received TLSRPT reports for an own domain (rx.h). */
#include "own/rx.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static enum own_verdict verdict(unsigned long long failed, unsigned long long total,
				unsigned pct)
{
	if (failed == 0)
		return OWN_OK;
	if (total == 0 || failed * 100 >= (unsigned long long)pct * total)
		return OWN_ERROR;
	return OWN_WARNING;
}

static int live(const struct own_rx_in *in, const char *mx)
{
	size_t n = strlen(mx);

	for (size_t i = 0; i < in->nlive; i++) {
		const char *h = in->live_mx[i];
		size_t hl = strlen(h);

		if (hl && h[hl - 1] == '.')
			hl--;
		if (hl == n && strncasecmp(h, mx, n) == 0)
			return 1;
	}
	return 0;
}

/* Where the admin should look for a failure type. */
static const char *hint(const char *result)
{
	if (strcmp(result, "tlsa-invalid") == 0 || strcmp(result, "dnssec-invalid") == 0 ||
	    strcmp(result, "dane-required") == 0)
		return "see the dane findings of this host";
	if (strncmp(result, "certificate-", 12) == 0)
		return "check the certificate it serves (tlspolicy probe HOST)";
	if (strncmp(result, "sts-", 4) == 0)
		return "see the sts findings";
	if (strcmp(result, "starttls-not-supported") == 0)
		return "make the host offer STARTTLS (Postfix: smtpd_tls_security_level = may, a certificate)";
	return NULL;
}

void own_rx_check(const struct own_rx_in *in, struct own_report *rep)
{
	unsigned long long ok = 0, failed = 0;
	enum own_verdict v;

	for (size_t i = 0; i < in->nrows; i++) {
		if (strcmp(in->rows[i].result, "success") == 0)
			ok += in->rows[i].sessions;
		else
			failed += in->rows[i].sessions;
	}
	if (in->reports == 0) {
		own_report_add(rep, in->domain, "tlsrpt-rx", in->domain, OWN_OK, NULL,
			       "no TLSRPT report received in the last %u days (reports mailed "
			       "to the rua are read by `tlspolicy tlsrpt intake`)", in->days);
		return;
	}
	v = verdict(failed, ok + failed, in->error_percent);
	own_report_add(rep, in->domain, "tlsrpt-rx", in->domain, v, NULL,
		       "%llu report%s in the last %u days (newest for %s; from %s): %llu sessions "
		       "ok, %llu failed (%.1f%%)", in->reports, in->reports == 1 ? "" : "s",
		       in->days, in->last_day, in->orgs, ok, failed,
		       ok + failed ? (double)failed * 100.0 / (double)(ok + failed) : 0.0);
	/* one finding per MX with failures (rows come ordered by MX) */
	for (size_t i = 0; i < in->nrows;) {
		const char *mx = in->rows[i].mx;
		char msg[OWN_REPORT_MSG_MAX], sub[OWN_REPORT_NAME_MAX];
		unsigned long long f = 0;
		size_t k = 0, j;
		const char *look = NULL;

		msg[0] = '\0';
		for (j = i; j < in->nrows && strcmp(in->rows[j].mx, mx) == 0; j++) {
			const struct own_rx_row *r = &in->rows[j];

			if (strcmp(r->result, "success") == 0)
				continue;
			f += r->sessions;
			if (k < sizeof(msg))
				k += (size_t)snprintf(msg + k, sizeof(msg) - k, "%s%s %llu (%s)",
						      k ? ", " : "", r->result, r->sessions, r->orgs);
			if (look == NULL)
				look = hint(r->result);
		}
		if (f > 0) {
			int is_live = !in->live_known || !mx[0] || strchr(mx, '*') ||
				      strchr(mx, ' ') || live(in, mx);

			snprintf(sub, sizeof(sub), "%s", mx[0] ? mx : in->domain);
			own_report_add(rep, in->domain, "tlsrpt-rx", sub,
				       verdict(f, ok + failed, in->error_percent), NULL,
				       "senders report %llu failed sessions: %s%s%s%s", f, msg,
				       look ? "; " : "", look ? look : "",
				       is_live ? "" : "; not a current MX of the domain "
						      "(an old MX, or a sender using stale data)");
		}
		i = j;
	}
}
