/* SPDX-License-Identifier: MIT */
/*
 * store_tlsrpt - tlspolicy's SMTP TLS Reporting tables (RFC 8460, issue
 * 15), beside the admin's `tlspolicies`, in SQLite or in the MariaDB
 * database several mail servers share:
 *
 *   tlspolicy_tlsrpt_sessions  (domain, day, mta, mx_host, mx_ip, result,
 *        policy_key) -> mta_ip, count: TLS session outcomes from each
 *        server's logs (`tlsrpt collect`), under the journal policy in
 *        force at the session's time ("" none); a report sums the rows of
 *        every mta.
 *   tlspolicy_tlsrpt_policies  (domain, day, mta, policy_key) -> type,
 *        strings, mx, result, count, first_seen, last_seen: the decision
 *        journal, which policy the daemon answered, as it was then, and
 *        when first and last (policy_key = SHA-256 of type, strings, mx,
 *        result).
 *   tlspolicy_tlsrpt_offsets   (mta, path) -> inode, pos, state: how far
 *        `collect` read each log and what was left open there; written in
 *        the transaction of the session counts it read, so a crash never
 *        counts twice.
 *   tlspolicy_tlsrpt_sent      (domain, day, rua) -> report_id, state,
 *        owner, updated, detail: one report per domain, day and
 *        destination, claimed before sending (the claim is the primary
 *        key: a second server or a second run finds it), `sent` after.
 *   tlspolicy_tlsrpt_received  (organization, report_id, row) -> the
 *        reports received for our own domains (`tlsrpt intake`), one row
 *        per policy and result (success rows too).
 *
 * Every value is bound, never put into SQL text.  The calls block (the
 * daemon makes them off its loop).  store_init() (`db init`) creates the
 * tables when missing; before that each call fails with "... table X
 * does not exist in URL (run 'tlspolicy db init')".
 *
 * LIMITS: names STORE_DOMAIN_MAX, policy strings STORE_TLSRPT_TEXT_MAX,
 * rua STORE_TLSRPT_RUA_MAX, detail STORE_TLSRPT_DETAIL_MAX (checked by
 * the callers in tlsrpt/; the columns hold exactly these).
 */
#ifndef TP_STORE_STORE_TLSRPT_H
#define TP_STORE_STORE_TLSRPT_H

#include "util/errbuf.h"

struct store;

#define STORE_TLSRPT_TEXT_MAX (64 * 1024)
#define STORE_TLSRPT_RUA_MAX 1024
#define STORE_TLSRPT_DETAIL_MAX 1024
#define STORE_TLSRPT_COLS 16

/* db init of the five tables (called by store_init()). */
int store_tlsrpt_init(struct store *st, struct errbuf *why);

/* One bound value: a string, or a number when s is NULL. */
struct store_tlsrpt_val {
	const char *s;
	long long i;
};
#define TV_S(x) ((struct store_tlsrpt_val){ .s = (x) })
#define TV_I(x) ((struct store_tlsrpt_val){ .s = NULL, .i = (x) })

/* A result row: every column as a NUL-terminated string ("" for NULL). */
typedef int (*store_tlsrpt_row_fn)(void *arg, char *const *cols, int ncols);

/*
 * Runs one statement with bound values on the store's backend: sql_mysql
 * when the store is MariaDB and it is not NULL, else sql.  ncols > 0:
 * calls fn for each result row (fn returning non-zero stops the walk and
 * is returned).  *changed (may be NULL) gets the rows the statement
 * changed.  table names the table for messages.  Returns 0 or -1.
 */
int store_tlsrpt_exec(struct store *st, const char *table, const char *what,
		      const char *sql, const char *sql_mysql,
		      const struct store_tlsrpt_val *v, int nv, int ncols,
		      store_tlsrpt_row_fn fn, void *arg, long long *changed,
		      struct errbuf *why);

/* One transaction around several exec calls. */
int store_tlsrpt_begin(struct store *st, struct errbuf *why);
int store_tlsrpt_commit(struct store *st, struct errbuf *why);
void store_tlsrpt_rollback(struct store *st);

#define STORE_TLSRPT_SESSIONS "tlspolicy_tlsrpt_sessions"
#define STORE_TLSRPT_POLICIES "tlspolicy_tlsrpt_policies"
#define STORE_TLSRPT_OFFSETS "tlspolicy_tlsrpt_offsets"
#define STORE_TLSRPT_SENT "tlspolicy_tlsrpt_sent"
#define STORE_TLSRPT_RECEIVED "tlspolicy_tlsrpt_received"

#endif
