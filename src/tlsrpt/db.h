/* SPDX-License-Identifier: MIT */
/*
 * db - what tlsrpt/ reads and writes in the store's TLSRPT tables
 * (store/store_tlsrpt.h has the tables): the statements, in both SQL
 * dialects, and the transactions around them.
 */
#ifndef TP_TLSRPT_DB_H
#define TP_TLSRPT_DB_H

#include "tlsrpt/report.h"
#include "tlsrpt/tally.h"
#include "util/errbuf.h"

struct store;

/* Session key fields, in this order (tally keys of collect). */
enum { TS_DOMAIN, TS_DAY, TS_MX_HOST, TS_MX_IP, TS_RESULT, TS_NFIELDS };
/* Journal key fields. */
enum { TJ_DOMAIN, TJ_DAY, TJ_TYPE, TJ_STRINGS, TJ_MX, TJ_RESULT, TJ_NFIELDS };

/* The saved position of (mta, path): 1 and *inode, *offset and *state
 * (malloc'ed: the collector's state, tlsrpt_collector_save()); 0 none. */
int tlsrpt_db_offset(struct store *st, const char *mta, const char *path,
		     long long *inode, long long *offset, char **state, struct errbuf *why);

/* In one transaction: adds the sessions of t (TS_* keys) for mta (its IP
 * mta_ip, may be "") and, when path is not NULL, saves (inode, offset,
 * state). */
int tlsrpt_db_add_sessions(struct store *st, const char *mta, const char *mta_ip,
			   const struct tally *t, const char *path, long long inode,
			   long long offset, const char *state, struct errbuf *why);

/* In one transaction: adds the journal entries of t (TJ_* keys). */
int tlsrpt_db_add_policies(struct store *st, const char *mta, const struct tally *t,
			   struct errbuf *why);

/* Calls fn(arg, domain, day) for every (domain, day) with sessions and
 * from <= day < before, ordered by day then domain.  fn != 0 stops. */
typedef int (*tlsrpt_db_day_fn)(void *arg, const char *domain, const char *day);
int tlsrpt_db_days(struct store *st, const char *from, const char *before,
		   tlsrpt_db_day_fn fn, void *arg, struct errbuf *why);

/* Fills r (initialised with domain and day) from every server's rows:
 * the policy answered most (or no-policy-found) and the sessions. */
int tlsrpt_db_fill(struct store *st, struct tlsrpt_report *r, struct errbuf *why);

/* Claims sending r to rua for owner: 1 claimed (send it now), 0 already
 * sent or claimed by someone else less than stale seconds ago. */
int tlsrpt_db_claim(struct store *st, const struct tlsrpt_report *r, const char *rua,
		    const char *owner, long long now, long long stale, struct errbuf *why);
/* After sending: state "sent" or "failed" (retried by a later run). */
int tlsrpt_db_mark(struct store *st, const struct tlsrpt_report *r, const char *rua,
		   const char *owner, const char *state, const char *detail, long long now,
		   struct errbuf *why);
/* Calls fn for every sent-table row (domain, day, rua, report_id, state,
 * owner, updated, detail). */
int tlsrpt_db_sent_list(struct store *st, int (*fn)(void *, char *const *, int), void *arg,
			struct errbuf *why);

#endif

/* Deletes sessions, journal rows and sent records of days before day
 * (nothing sends them any more).  *deleted (may be NULL) gets the rows. */
int tlsrpt_db_purge(struct store *st, const char *day, long long *deleted,
		    struct errbuf *why);

/* Received reports (tlsrpt intake). */
struct tlsrpt_rx;
/* Stores every row of rx in one transaction: 1 stored, 0 the report
 * (organization, report-id) was stored before (nothing written). */
int tlsrpt_db_add_received(struct store *st, const struct tlsrpt_rx *rx, long long now,
			   struct errbuf *why);
/* Summary rows (policy_domain, receiving MX or mx-host, result, sum,
 * reports) per own domain, MX and result, over received reports whose
 * range ends at or after since. */
int tlsrpt_db_received_summary(struct store *st, long long since,
			       int (*fn)(void *, char *const *, int), void *arg,
			       struct errbuf *why);
