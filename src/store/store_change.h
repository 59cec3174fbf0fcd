/* SPDX-License-Identifier: MIT */
/*
 * store_change - a cheap answer to "did the tables of the daemon's
 * snapshot change?" (tlspolicies and tlspolicy_bypass), so that the
 * daemon reloads its snapshot only when they did (issue 14 item 1).
 *
 * The marker is table `tlspolicy_meta` (tlspolicy's own; `tlspolicies`
 * keeps the design document's schema), one row per name:
 *   CREATE TABLE tlspolicy_meta (
 *     name varchar(64) NOT NULL PRIMARY KEY,
 *     value bigint NOT NULL
 *   ) ENGINE=InnoDB DEFAULT CHARSET=latin1
 * with the row ('changes', N), bumped by six triggers (AFTER INSERT,
 * UPDATE, DELETE on tlspolicies and on tlspolicy_bypass, named
 * tlspolicy_meta_<table>_<ai|au|ad>) in the transaction of the change.
 * So every committed write is seen, whoever made it: tlspolicy's own
 * commands, another tool (ViMbAdmin, plain SQL), a replication thread
 * (the row is replicated with the change, and a statement-based replica
 * runs the triggers itself).  db init (store_change_init) creates the
 * table, the triggers and, only when all of them exist, the row: a row
 * present means "the triggers are there".  SQLite: the same table and
 * triggers (AFTER ... FOR EACH ROW).
 *
 * Without the row (a database not upgraded by db init, or a MariaDB
 * user not allowed to create triggers) the marker falls back to:
 *   SQLite   PRAGMA data_version: changes with every commit by another
 *            connection to the file (every table, so also the daemon's
 *            own MTA-STS and TLSRPT writes, which use handles of their
 *            own: more reloads than needed, never one too few);
 *   MariaDB  CHECKSUM TABLE tlspolicies, tlspolicy_bypass (a full scan
 *            on the server, no rows sent).
 * With the row, SQLite first asks PRAGMA data_version (no file read):
 * unchanged, and no write through this handle since, means the counter
 * is unchanged too.
 *
 * The marker is read before the tables (or in the same transaction), so
 * a change committed in between makes the next check report a change
 * again (one reload more, never a change missed).
 *
 * Dropping tlspolicy_meta leaves the triggers updating a missing table:
 * every write to tlspolicies then fails.  Drop the triggers with it
 * (DROP TRIGGER tlspolicy_meta_tlspolicies_ai, ...); tlspolicy db init
 * makes them again.
 */
#ifndef TP_STORE_STORE_CHANGE_H
#define TP_STORE_STORE_CHANGE_H

#include "util/errbuf.h"

struct store;

#define STORE_META_TABLE "tlspolicy_meta"

enum store_mark_kind {
	STORE_MARK_NONE = 0,    /* cannot tell: reload every time */
	STORE_MARK_COUNTER,     /* tlspolicy_meta 'changes' (triggers) */
	STORE_MARK_DATA_VERSION,/* SQLite PRAGMA data_version */
	STORE_MARK_CHECKSUM     /* MariaDB CHECKSUM TABLE */
};

/* Two marks are equal (nothing changed between them) when every field
 * is; a mark of kind NONE equals nothing (store_mark_same). */
struct store_mark {
	enum store_mark_kind kind;
	unsigned long long a, b;
};

/* 1 when a and b are the same and of a kind other than NONE. */
int store_mark_same(const struct store_mark *a, const struct store_mark *b);
/* "counter", "data_version", "checksum", "none" (logs, benchmarks) */
const char *store_mark_kind_name(enum store_mark_kind kind);

/*
 * db init: creates tlspolicy_meta, the six triggers and the row (each
 * when missing; run after tlspolicies and tlspolicy_bypass exist).
 * Returns 0 with *created = 1 when the table was made now, and *marker
 * = 1 when the row exists at the end (triggers in place), 0 when the
 * triggers could not be created for lack of a privilege (MariaDB: the
 * TRIGGER privilege, and with binary logging SUPER or
 * log_bin_trust_function_creators = 1): *warn then says so (the
 * daemons fall back to CHECKSUM TABLE).  -1 on any other error.
 */
int store_change_init(struct store *st, int *created, int *marker,
		      struct errbuf *warn, struct errbuf *why);

/* The current mark.  Returns 0 and *mark (kind NONE when the backend
 * cannot tell), or -1 (STORE_ERR_*) with why. */
int store_change_mark(struct store *st, struct store_mark *mark,
		      struct errbuf *why);

#endif
