/* SPDX-License-Identifier: MIT */
/*
 * own/rx - what the TLSRPT reports we received (`tlsrpt intake`, table
 * tlspolicy_tlsrpt_received) say about one own domain, judged for `own
 * check` beside the DANE, MTA-STS and TLSRPT-record findings: senders
 * telling us their TLS sessions to our MX hosts failed is the evidence
 * the other checks can only predict.
 *
 * Input: one row per (MX, result) over the last `days` days: the
 * receiving MX a failure names (else the policy's mx-host), the result
 * type ("success" or an RFC 8460 result), the sessions, the reporting
 * organisations; plus the live MX set from DNS.  Findings, check name
 * "tlsrpt-rx":
 *
 *   DOMAIN   ok        no report received in the window (said, so that
 *                      a broken rua -> intake path shows), or no failure
 *            warning   failures, below error_percent of all sessions
 *            error     failures, at least error_percent of all sessions
 *   per MX   the same verdict rule with that MX's failures (successes
 *   with    are reported per policy, not per MX, so the share is of all
 *   failures the domain's sessions), one line: the failures by result
 *            type and who reported them, and where to look: the DANE
 *            findings of the host (tlsa-invalid, dnssec-invalid,
 *            dane-required), its certificate (certificate-*), the MTA-STS
 *            findings (sts-*, starttls-not-supported with an MTA-STS
 *            policy), and "not a current MX" when DNS no longer lists it.
 *
 * Pure: no I/O (cli/cmd_own.c gathers the rows).
 */
#ifndef TP_OWN_RX_H
#define TP_OWN_RX_H

#include <stddef.h>
#include "own/report.h"

#define OWN_RX_ORGS_MAX 256

struct own_rx_row {
	char mx[OWN_REPORT_NAME_MAX];     /* "" when the report named none */
	char result[64];
	unsigned long long sessions;
	char orgs[OWN_RX_ORGS_MAX];       /* organisations, ", "-separated */
};

struct own_rx_in {
	const char *domain;
	const struct own_rx_row *rows;
	size_t nrows;
	unsigned long long reports;       /* distinct reports in the window */
	const char *orgs;                 /* every reporting organisation, ", "-separated */
	const char *last_day;             /* YYYY-MM-DD the newest report ends, or "" */
	const char *const *live_mx;       /* the domain's MX hosts now */
	size_t nlive;
	int live_known;                   /* 0: the MX lookup failed */
	unsigned days, error_percent;
};

void own_rx_check(const struct own_rx_in *in, struct own_report *rep);

#endif
