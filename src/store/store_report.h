/* SPDX-License-Identifier: MIT */
/*
 * store_report - the snapshot `tlspolicy report` keeps between runs:
 * table `tlspolicy_report` (tlspolicy's own), one row per destination
 * shown in the last checked report, replaced as a whole by each checked
 * report (one that ran check; a report of the logs alone keeps none), so
 * the next one can say what changed (report/report.h report_diff()).
 *
 * MariaDB:
 *   CREATE TABLE tlspolicy_report (
 *     domain varchar(255) NOT NULL PRIMARY KEY,
 *     taken bigint NOT NULL,            -- unix time of the report
 *     policy varchar(512) NOT NULL,     -- "LEVEL params" shown, "" none
 *     published varchar(64) NOT NULL,   -- check's PUBLISHED column
 *     sent bigint NOT NULL,             -- deliveries in the logs
 *     verified bigint NOT NULL          -- of them Verified
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * SQLite: the same columns, domain COLLATE NOCASE, CHECKs for the limits.
 *
 * `tlspolicy db init` creates the table; without it `report` keeps no
 * snapshot and says so.  Several mail servers sharing one MariaDB share
 * the snapshot (the last report made by any of them).
 *
 * LIMITS: policy STORE_REPORT_POLICY_MAX, published
 * STORE_REPORT_PUBLISHED_MAX bytes (longer values are cut at a UTF-8
 * boundary); STORE_REPORT_MAX_ROWS rows per snapshot.
 */
#ifndef TP_STORE_STORE_REPORT_H
#define TP_STORE_STORE_REPORT_H

#include <stddef.h>

#include "util/errbuf.h"

struct store;

#define STORE_REPORT_TABLE "tlspolicy_report"
#define STORE_REPORT_POLICY_MAX 512
#define STORE_REPORT_PUBLISHED_MAX 64
#define STORE_REPORT_MAX_ROWS 100000

struct store_report_row {
	const char *domain, *policy, *published;
	unsigned long sent, verified;
	long long taken;
};
typedef int (*store_report_fn)(const struct store_report_row *row, void *arg);

/* Calls fn for every row ordered by domain (fn non-zero stops the walk
 * and is returned).  Returns 0, STORE_REPORT_NO_TABLE when the table does
 * not exist (run db init), STORE_ERR_* (< 0, store.h) with why. */
#define STORE_REPORT_NO_TABLE 2
int store_report_list(struct store *st, store_report_fn fn, void *arg,
		      struct errbuf *why);

/* Replaces the snapshot with rows (one transaction).  Returns 0,
 * STORE_REPORT_NO_TABLE, or STORE_ERR_* with why (nothing changed). */
int store_report_replace(struct store *st, const struct store_report_row *rows,
			 size_t n, struct errbuf *why);

/* Creates the table when missing (db init); *created = 1 when made. */
int store_report_init(struct store *st, int *created, struct errbuf *why);

/* Copies s into out (outlen bytes) cut at a UTF-8 boundary, control
 * bytes as '?' (both backends). */
void store_report_text(char *out, size_t outlen, const char *s);

#endif
