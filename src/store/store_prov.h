/* SPDX-License-Identifier: MIT */
/*
 * store_prov - where a row of the admin's table came from: table
 * `tlspolicy_provenance` (tlspolicy's own, beside `tlspolicies`, whose
 * schema stays the design document's), one row per domain with the
 * command that wrote it, when, who (user@host: several mail servers may
 * share one MariaDB database), the policy it wrote and the evidence it
 * had ("logscan maillog: 12 deliveries, all Verified", "check --probe:
 * verify delivers on 2 MX", "policy import tls_policy:7").
 *
 * MariaDB:
 *   CREATE TABLE tlspolicy_provenance (
 *     domain varchar(255) NOT NULL PRIMARY KEY,
 *     command varchar(64) NOT NULL,
 *     written bigint NOT NULL,          -- unix time
 *     written_by varchar(255) NOT NULL, -- user@host
 *     policy varchar(512) NOT NULL,     -- "LEVEL params" as written
 *     evidence varchar(1024) NOT NULL
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * SQLite: the same columns, domain COLLATE NOCASE, CHECKs for the limits.
 *
 * Written by store_put_many() in the same transaction as the rows it
 * describes, for every row added or changed whose item carries a
 * provenance (an unchanged row keeps its old one); deleted with the row
 * by store_delete().  A row changed later by another tool keeps its old
 * provenance; `policy list -v` tells by comparing the policy columns.
 * `tlspolicy db init` creates the table; without it every write works as
 * before and records nothing (store_counts.provenance_missing).
 *
 * LIMITS: command 1..STORE_PROV_COMMAND_MAX bytes, written_by
 * STORE_PROV_BY_MAX, policy STORE_PROV_POLICY_MAX, evidence
 * STORE_PROV_EVIDENCE_MAX; longer values are cut (at a UTF-8 boundary
 * with "..."), control characters become '?'.
 */
#ifndef TP_STORE_STORE_PROV_H
#define TP_STORE_STORE_PROV_H

#include "util/errbuf.h"

struct store;

#define STORE_PROV_TABLE "tlspolicy_provenance"
#define STORE_PROV_COMMAND_MAX 64
#define STORE_PROV_BY_MAX 255
#define STORE_PROV_POLICY_MAX 512
#define STORE_PROV_EVIDENCE_MAX 1024

/* What a write records (struct store_put_item.prov). */
struct store_provenance {
	const char *command;     /* "policy set", "logscan --apply", ... */
	const char *evidence;    /* NULL: "" */
	long long written;       /* unix time; 0: now */
	const char *written_by;  /* NULL: this process's user@host */
};

/* One stored row; strings valid during the callback only. */
struct store_prov_row {
	const char *domain, *command, *written_by, *policy, *evidence;
	long long written;
};
typedef int (*store_prov_fn)(const struct store_prov_row *row, void *arg);

/* Calls fn for every row ordered by domain (fn non-zero stops the walk
 * and is returned).  Returns 0, STORE_PROV_NO_TABLE when the table does
 * not exist (run db init), -1 on error with why. */
#define STORE_PROV_NO_TABLE 2
int store_prov_list(struct store *st, store_prov_fn fn, void *arg,
		    struct errbuf *why);

/* Creates the table when missing (db init); *created = 1 when made. */
int store_prov_init(struct store *st, int *created, struct errbuf *why);

#endif
