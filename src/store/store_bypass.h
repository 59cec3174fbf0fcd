/* SPDX-License-Identifier: MIT */
/*
 * store_bypass - the admin's emergency bypasses: table `tlspolicy_bypass`
 * (tlspolicy's own; `tlspolicies` keeps the design document's schema),
 * one row per domain: the level the daemon answers for it (default may),
 * until when, and why.  Written by `tlspolicy bypass`, read by the
 * daemon with every table reload; an expired row is ignored by the
 * daemon (it compares expires with its own clock) until
 * `bypass delete` or the next `bypass DOMAIN` replaces it.
 *
 * MariaDB:
 *   CREATE TABLE tlspolicy_bypass (
 *     domain varchar(255) NOT NULL PRIMARY KEY,   -- normalised key
 *     level varchar(16) NOT NULL,                 -- a Postfix TLS level
 *     reason varchar(255) NOT NULL,
 *     created bigint NOT NULL,                    -- unix time
 *     expires bigint NOT NULL                     -- unix time
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * SQLite: the same columns, domain COLLATE NOCASE.  store_init()
 * (tlspolicy db init) creates it.
 *
 * LIMITS: domain 1..STORE_BYPASS_KEY_MAX bytes, level a Postfix level
 * name, reason at most STORE_BYPASS_REASON_MAX printable bytes; checked
 * before any SQL runs and on rows read back.
 */
#ifndef TP_STORE_STORE_BYPASS_H
#define TP_STORE_STORE_BYPASS_H

#include "util/errbuf.h"

struct store;

#define STORE_BYPASS_TABLE "tlspolicy_bypass"
#define STORE_BYPASS_KEY_MAX 255
#define STORE_BYPASS_LEVEL_MAX 16
#define STORE_BYPASS_REASON_MAX 255

/* A row; strings valid during the callback only when read. */
struct store_bypass_row {
	const char *domain, *level, *reason;
	long long created, expires;
};
typedef int (*store_bypass_fn)(const struct store_bypass_row *row, void *arg);

int store_bypass_init(struct store *st, int *created, struct errbuf *why);
/* Inserts or replaces the row of row->domain. */
int store_bypass_put(struct store *st, const struct store_bypass_row *row,
		     struct errbuf *why);
/* 1 deleted, 0 no such row, -1 error. */
int store_bypass_delete(struct store *st, const char *domain, struct errbuf *why);
/* fn for every row ordered by domain; fn non-zero stops and is returned. */
int store_bypass_list(struct store *st, store_bypass_fn fn, void *arg,
		      struct errbuf *why);
/* Checks the limits (also used on rows read back). */
int store_bypass_row_check(const struct store_bypass_row *row, struct errbuf *why);

#endif
