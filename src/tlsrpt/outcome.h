/* SPDX-License-Identifier: MIT */
/*
 * outcome - TLS session outcomes from Postfix smtp(8) logs, for SMTP TLS
 * Reporting (RFC 8460).
 *
 * Each TLS session Postfix 3.7 logs (or failed to make) becomes one
 * outcome: the recipient (policy) domain, the UTC day, the sending MTA
 * (the syslog host of the line), the receiving MX host name and IP, and
 * the RFC 8460 result: success or a result type (section 4.3).  Lines
 * are parsed by logscan/logline (the envelope and the smtp(8) message);
 * this module only correlates them:
 *
 *   "X TLS connection established|reused to R"  opens a session on R;
 *   "QID: to=<..>, relay=R, status=sent"       a success, once per
 *        (queue id, relay) of that session; without a session on R the
 *        delivery went in clear: starttls-not-supported;
 *   "... status=deferred|bounced (TEXT)"       the failure TEXT names
 *        (logline_classify), refined by the last "certificate
 *        verification failed for R: DETAIL" of the process on R;
 *        without a TLS failure: a success when a session on R was open
 *        (the TLS part worked), in clear when R has an address, else
 *        nothing (connection refused, DNS: no TLS session happened);
 *   "QID: TLS is required, but was not offered by host R" (non-final,
 *        another MX is tried next) a failure charged at the message's
 *        next delivery record (which names the domain);
 *   "warning: TLS policy lookup for D/H: TLSA lookup error ..." gives the
 *        MX host of a later "relay=none" TLSA failure.
 * A failure logged once per recipient counts once per (queue id, relay).
 *
 * Result mapping (logline kind -> RFC 8460 result-type):
 *   not offered, refused to start TLS    starttls-not-supported
 *   untrusted issuer, self-signed        certificate-not-trusted
 *   expired, not yet valid               certificate-expired
 *   hostname mismatch                    certificate-host-mismatch
 *   "no matching DANE TLSA records"      tlsa-invalid
 *   no TLSA records (dane-only)          dane-required
 *   TLSA lookup error (SERVFAIL)         dnssec-invalid
 *   handshake failure, "not verified"    validation-failure
 *   MTA-STS failure text                 sts-policy-invalid
 * Our own TLS engine failing ("TLS engine unavailable") is not the
 * receiver's fault and is not counted.
 *
 * State between runs: tlsrpt_collector_save() writes what a process
 * still has open (a TLS session not yet bound to a delivery, pending
 * failures, the last certificate detail, the loop guard's queue ids) and
 * tlsrpt_collector_load() restores it, so a session whose TLS line is
 * read by one `collect` and its delivery by the next counts right.
 * Process states whose last line is more than TLSRPT_STATE_MAX_AGE older
 * than the newest line are not saved.
 *
 * LIMITS: TLSRPT_PROCS process states (direct-mapped, a collision drops
 * the older one), TLSRPT_PROC_PENDING pending failures per process,
 * names cut at TLSRPT_NAME_MAX; lines longer than TLSRPT_LINE_MAX are
 * skipped.
 *
 * SECURITY: log content is untrusted; names are kept only when they are
 * printable ASCII without spaces (others are dropped, the outcome too).
 */
#ifndef TP_TLSRPT_OUTCOME_H
#define TP_TLSRPT_OUTCOME_H

#include <stddef.h>
#include <time.h>

#define TLSRPT_NAME_MAX 255
#define TLSRPT_IP_MAX 45
#define TLSRPT_PROCS 1024
#define TLSRPT_PROC_PENDING 4
#define TLSRPT_LINE_MAX (64 * 1024)
#define TLSRPT_STATE_MAX_AGE 3600 /* seconds of log time */

enum tlsrpt_result {
	TLSRPT_SUCCESS = 0,
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERT_HOST_MISMATCH,
	TLSRPT_CERT_EXPIRED,
	TLSRPT_CERT_NOT_TRUSTED,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_TLSA_INVALID,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_DANE_REQUIRED,
	TLSRPT_STS_POLICY_FETCH_ERROR,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID,
	TLSRPT_RESULT_COUNT
};

/* "success" or the RFC 8460 result-type; NULL for a bad value. */
const char *tlsrpt_result_name(enum tlsrpt_result r);
/* The inverse; -1 when unknown. */
int tlsrpt_result_parse(const char *s);

struct tlsrpt_outcome {
	const char *domain;   /* lower case, no trailing dot */
	char day[11];         /* YYYY-MM-DD, UTC */
	long long when;       /* the Unix time of the line that decided it */
	const char *mta;      /* syslog host of the line */
	const char *mx_host;  /* lower case; "" when unknown */
	const char *mx_ip;    /* "" when unknown */
	enum tlsrpt_result result;
};

typedef void (*tlsrpt_outcome_fn)(void *arg, const struct tlsrpt_outcome *o);

struct tlsrpt_collector;

/* year: of time stamps without one (0: this year at reftime). */
struct tlsrpt_collector *tlsrpt_collector_new(tlsrpt_outcome_fn fn, void *arg);
void tlsrpt_collector_free(struct tlsrpt_collector *c);
/* Reference time for year-less time stamps (default: now). */
void tlsrpt_collector_reftime(struct tlsrpt_collector *c, time_t ref);
/* Loop guard: deliveries of messages whose envelope sender is addr (as
 * qmgr(8) logs it: "QID: from=<addr>, ...") produce no outcome, so
 * report mails never count in reports.  addr is copied; NULL or "" off.
 * The last TLSRPT_GUARD_QIDS such queue ids are remembered. */
#define TLSRPT_GUARD_QIDS 256
void tlsrpt_collector_ignore_sender(struct tlsrpt_collector *c, const char *addr);
/* Feeds one line without its newline. */
void tlsrpt_collector_line(struct tlsrpt_collector *c, const char *line, size_t len);

/* State between runs (above): appended to out as text; 0 or -1 (limit). */
struct buf;
int tlsrpt_collector_save(const struct tlsrpt_collector *c, struct buf *out);
/* Restores what save wrote (bad lines are skipped). */
void tlsrpt_collector_load(struct tlsrpt_collector *c, const char *text);

struct tlsrpt_collect_counts {
	unsigned long lines, smtp_lines, sessions, skipped, guarded;
};
const struct tlsrpt_collect_counts *tlsrpt_collector_counts(const struct tlsrpt_collector *c);

#endif
