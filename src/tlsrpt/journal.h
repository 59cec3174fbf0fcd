/* SPDX-License-Identifier: MIT */
/*
 * journal - the daemon's TLSRPT decision journal: per policy domain and
 * UTC day, which policy it answered and where it came from, for the
 * reports (RFC 8460 4.3: policy-type, policy-string, mx-host):
 *
 *   DANE answer        policy-type tlsa with the TLSA records of every MX
 *                      host and those hosts, as the DANE source had them
 *                      when it decided (engine_observation.report_*)
 *   MTA-STS answer     sts with the policy's lines and mx patterns as
 *                      answered (else mx-host from match=, ".x" as "*.x")
 *   MTA-STS failed     sts with the failure (sts-webpki-invalid for a
 *                      policy host certificate, sts-policy-invalid for a
 *                      policy that does not parse, else
 *                      sts-policy-fetch-error)
 *   anything else      no-policy-found
 *
 * Each key keeps the earliest and latest time it was answered
 * (first_seen / last_seen): `collect` ties sessions to the policy in
 * force at their time (db.h, tlsrpt_timeline_pick).
 *
 * Cost on the loop: one hash-table add per lookup (engine observer); the
 * counts are written every tlsrpt_journal_flush as a job on the daemon's
 * worker (util/worker, engine_worker()) with a database handle of its own,
 * opened by tlsrpt_journal_new() before the privilege drop and then used
 * by the worker thread only (a database down then is opened at the first
 * flush); counts of a flush still running wait for the next one; once
 * more, blocking, at shutdown.
 *
 * LIMITS: TLSRPT_JOURNAL_KEYS distinct (domain, day, policy) keys between
 * flushes; more are counted as dropped and logged once per flush.
 */
#ifndef TP_TLSRPT_JOURNAL_H
#define TP_TLSRPT_JOURNAL_H

#include "util/errbuf.h"

#define TLSRPT_JOURNAL_KEYS 100000

struct event_base;
struct config;
struct engine;
struct engine_observation;
struct tlsrpt_journal;

/* NULL with why on error; the journal observes eng from now on.  Call it
 * before the privilege drop (it opens its database handle). */
struct tlsrpt_journal *tlsrpt_journal_new(struct event_base *base, const struct config *cfg,
					  const char *db_url, struct engine *eng,
					  struct errbuf *why);
/* Writes what is left (blocking) and frees. */
void tlsrpt_journal_free(struct tlsrpt_journal *j);
/* The observer (exposed for tests). */
void tlsrpt_journal_observe(void *arg, const struct engine_observation *o);
/* Counts written so far / dropped (statistics, tests). */
void tlsrpt_journal_stats(const struct tlsrpt_journal *j, unsigned long long *noted,
			  unsigned long long *written, unsigned long long *dropped);

#endif
