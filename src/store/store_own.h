/* SPDX-License-Identifier: MIT */
/*
 * store_own - timing facts about the admin's own domains: table
 * `tlspolicy_own` (tlspolicy's own, beside `tlspolicies`), one row per
 * (subject, fact) with the value seen and when it was seen first and
 * last.  `tlspolicy own check` (src/own/, cli/cmd_own.c) writes it, so
 * that "the next key's TLSA record has been published for 2 x TTL" and
 * "the MTA-STS policy changed without a new id" are measured, not
 * assumed:
 *
 *   subject               fact                  value
 *   _25._tcp.HOST         tlsa U S M HEX        ""             (a record seen)
 *   _25._tcp.HOST         live HEX              ""             (a key in service)
 *   DOMAIN                sts-policy            "ID\nTEXT"     (last policy seen)
 *   DOMAIN                sts-testing           ""             (mode testing seen)
 *
 * MariaDB:
 *   CREATE TABLE tlspolicy_own (
 *     subject varchar(255) NOT NULL,
 *     fact varchar(255) NOT NULL,
 *     value mediumtext NOT NULL,     -- <= STORE_OWN_VALUE_MAX bytes
 *     first_seen bigint NOT NULL,    -- unix time
 *     last_seen bigint NOT NULL,     -- unix time
 *     PRIMARY KEY (subject, fact)
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * SQLite: the same columns, COLLATE NOCASE on subject, CHECK constraints
 * for the limits.  store_init() (tlspolicy db init) creates it when
 * missing; before that every function here fails with "... table
 * tlspolicy_own does not exist in URL (run 'tlspolicy db init')".
 *
 * Every write is one statement (autocommit); values are bound.
 *
 * LIMITS: subject and fact 1..STORE_OWN_KEY_MAX bytes of printable
 * ASCII (fact may contain spaces), value at most STORE_OWN_VALUE_MAX
 * bytes without NUL, 0 <= first_seen <= last_seen.  Checked before any
 * SQL runs and on rows read back.
 */
#ifndef TP_STORE_STORE_OWN_H
#define TP_STORE_STORE_OWN_H

#include "util/errbuf.h"

struct store;

#define STORE_OWN_TABLE "tlspolicy_own"
#define STORE_OWN_KEY_MAX 255
#define STORE_OWN_VALUE_MAX (64 * 1024 + 64)  /* an MTA-STS policy + its id */

struct store_own_row {
	char *subject;
	char *fact;
	char *value;
	long long first_seen, last_seen;
};

void store_own_row_free(struct store_own_row *row);

/* 1 and *row (malloc'ed strings) when (subject, fact) has a row, 0 when
 * not, -1 on error. */
int store_own_get(struct store *st, const char *subject, const char *fact,
		  struct store_own_row *row, struct errbuf *why);
/* Inserts or replaces the row of (row->subject, row->fact). */
int store_own_put(struct store *st, const struct store_own_row *row,
		  struct errbuf *why);
/* 1 when deleted, 0 when there was none, -1 on error. */
int store_own_delete(struct store *st, const char *subject, const char *fact,
		     struct errbuf *why);
/* Calls fn for every row of subject, ordered by fact (strings valid
 * only during the call); fn returning non-zero stops the walk and is
 * returned; 0 after the last row, -1 on error. */
typedef int (*store_own_fn)(const struct store_own_row *row, void *arg);
int store_own_list(struct store *st, const char *subject, store_own_fn fn,
		   void *arg, struct errbuf *why);
/* Creates the table when missing (part of store_init()). */
int store_own_init(struct store *st, int *created, struct errbuf *why);

#endif
