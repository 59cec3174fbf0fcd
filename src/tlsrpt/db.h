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
enum { TS_DOMAIN, TS_DAY, TS_MX_HOST, TS_MX_IP, TS_RESULT, TS_POLICY, TS_NFIELDS };
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

/* In one transaction: adds the journal entries of t (TJ_* keys), with
 * the earliest and latest time each was answered (tally_add_at). */
int tlsrpt_db_add_policies(struct store *st, const char *mta, const struct tally *t,
			   struct errbuf *why);

/* The journal's policy_key of (type, strings, mx, result): SHA-256 hex. */
void tlsrpt_db_policy_key(const char *type, const char *strings, const char *mx,
			  const char *result, char out[65]);

/*
 * Which policy was in force for a session: `collect` asks with the
 * session's domain, day and time, and stores the answer with the
 * session (TS_POLICY), so a policy change during a day splits the
 * report's policies[] and their counts.  The journal rows of the mta
 * that logged the session decide when it has any for the domain and
 * day, else every server's: among the policies answered over an
 * interval [first, last] holding the time, the one answered last first
 * (the newer one, just after a change); else the one answered last
 * before the time; else the earliest.  "" when the journal has nothing
 * for the domain and day (the report then puts the session under the
 * policy answered most).  Rows are read once per (domain, day) a run.
 * A session made less than tlsrpt_journal_flush after a change may be
 * seen before the journal row of its policy was written: it counts
 * under the previous one.
 */
struct tlsrpt_timeline;
struct tlsrpt_timeline *tlsrpt_timeline_new(struct store *st, const char *mta);
void tlsrpt_timeline_free(struct tlsrpt_timeline *tl);
/* The policy_key (valid until the next call), "" none, NULL on a
 * database error (why). */
const char *tlsrpt_timeline_pick(struct tlsrpt_timeline *tl, const char *domain,
				 const char *day, long long when, struct errbuf *why);

/* Calls fn(arg, domain, day) for every (domain, day) with sessions and
 * from <= day < before, ordered by day then domain.  fn != 0 stops. */
typedef int (*tlsrpt_db_day_fn)(void *arg, const char *domain, const char *day);
int tlsrpt_db_days(struct store *st, const char *from, const char *before,
		   tlsrpt_db_day_fn fn, void *arg, struct errbuf *why);

/* Fills r (initialised with domain and day) from every server's rows:
 * one policies[] entry per journal policy that sessions counted under
 * (sessions without one, or with a policy the journal no longer has,
 * under the policy answered most; no journal: no-policy-found). */
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
/* For one own domain (own check): rows (mx, result, organization, sum)
 * ordered by MX, result and organization; then *reports (distinct) and
 * *last_end over its reports whose range ends at or after since. */
int tlsrpt_db_received_domain(struct store *st, const char *domain, long long since,
			      int (*fn)(void *, char *const *, int), void *arg,
			      unsigned long long *reports, long long *last_end,
			      struct errbuf *why);
int tlsrpt_db_received_summary(struct store *st, long long since,
			       int (*fn)(void *, char *const *, int), void *arg,
			       struct errbuf *why);
