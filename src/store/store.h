/* SPDX-License-Identifier: MIT */
/*
 * store - the admin's policy table `tlspolicies` (id, domain UNIQUE,
 * policy ENUM of the 8 levels, params), one interface and two backends:
 * SQLite (embedded default, WAL) and MariaDB (Connector/C).  The rest of
 * the program never sees SQL.  Prepared statements only; every write is
 * one transaction.
 *
 * A store handle is used by one thread at a time; a thread that needs
 * the database (the daemon's reload worker) opens its own handle.
 *
 * URLs: sqlite:/path/file.db   (also sqlite:///path/file.db)
 *       mysql://user:password@host[:port]/dbname[?socket=/path&timeout=N]
 * (user and password percent-decoded; "mariadb://" is a synonym).
 *
 * SQLite: WAL journal, busy timeout STORE_SQLITE_BUSY_MS; only db init
 * creates the file (and a missing parent directory, mode 0750).  The table is
 * the MariaDB one's equivalent: CHECK constraint for the enum, UNIQUE
 * domain (COLLATE NOCASE like MariaDB's latin1 collation).
 * MariaDB: libmariadb (Connector/C), MYSQL_STMT prepared statements
 * only, connect/read/write timeouts, connection charset latin1 (the
 * table's charset), session sql_mode strict.  The exact ViMbAdmin-style
 * table is used as it is and never altered.  A process that uses MariaDB
 * handles from several threads calls store_global_init() first.
 *
 * SECURITY: no SQL text is ever built from input; every value is bound.
 * Passwords never appear in messages (store_describe() omits them).
 */
#ifndef TP_STORE_STORE_H
#define TP_STORE_STORE_H

#include <stddef.h>
#include "util/errbuf.h"

struct policy;
struct policy_opts;

#define STORE_DOMAIN_MAX 255
#define STORE_PARAMS_MAX 255
#define STORE_SQLITE_BUSY_MS 5000      /* wait this long for a lock */
#define STORE_MYSQL_TIMEOUT 10         /* connect/read/write, seconds */
#define STORE_MYSQL_TIMEOUT_MAX 3600
#define STORE_URL_MAX 2048
#define STORE_DBNAME_MAX 64

/* One row as stored; the strings are owned by whoever filled the row
 * (see store_row_free). */
struct store_row {
	unsigned long id;
	char *domain;
	char *policy;  /* level name as stored */
	char *params;  /* NULL when SQL NULL */
	/* Set by the backend (a static string) when the stored values could
	 * not be read faithfully -- a NUL byte, a value longer than any
	 * valid one; the strings are then cut and store_row_policy()
	 * refuses the row.  NULL normally. */
	const char *defect;
};

void store_row_free(struct store_row *row);

struct store;

/*
 * Errors.  Every function below that "returns -1 on error" returns one
 * of these two (both < 0, so `< 0` tests still hold), like Postfix's
 * DICT_ERR_RETRY and DICT_ERR_CONFIG:
 *   STORE_ERR_RETRY   a temporary failure: the server went away or is
 *                     unreachable, a lock wait timed out, out of memory;
 *                     the same call may work later (reconnect, retry);
 *   STORE_ERR_CONFIG  retrying does not help until the admin acts: a bad
 *                     URL, a missing database file or table, access
 *                     denied, an unknown database, a table of another
 *                     shape, a value the table cannot hold.
 * A failure the backend cannot classify is STORE_ERR_RETRY (what the
 * callers did before the distinction existed).
 */
#define STORE_ERR_RETRY (-1)
#define STORE_ERR_CONFIG (-2)
/* "temporary" / "configuration" (for messages). */
const char *store_err_name(int err);

/* Opens an existing database: nothing is created -- a missing SQLite
 * file is the error "database FILE does not exist (run 'tlspolicy db
 * init')", a missing table an error of the first query naming it. */
int store_open(const char *url, struct store **out, struct errbuf *why);
/* Same with flags: STORE_OPEN_CREATE (tlspolicy db init only) creates a
 * missing SQLite file and its missing parent directories (mode 0750);
 * STORE_OPEN_EXISTING is the default and kept for callers that say so. */
#define STORE_OPEN_EXISTING 0x1
#define STORE_OPEN_CREATE 0x2
int store_open_ex(const char *url, int flags, struct store **out,
		  struct errbuf *why);
void store_close(struct store *st);
/* "sqlite" or "mysql" */
const char *store_backend(const struct store *st);

/* Creates the table when missing (tlspolicy db init); an existing table
 * of the documented shape is left as it is. *created = 1 when made.
 * Also creates tlspolicy_sts (store_sts.h) and tlspolicy_provenance
 * (store_prov.h) when missing. */
int store_init(struct store *st, int *created, struct errbuf *why);

/* Returns 1 and fills *row when found, 0 when not, -1 on error. */
int store_get(struct store *st, const char *domain, struct store_row *row,
	      struct errbuf *why);

/* Insert or replace. Returns 0; *change = 'a' added, 'c' changed,
 * 'u' unchanged (may be NULL). */
int store_put(struct store *st, const char *domain, const char *policy,
	      const char *params, char *change, struct errbuf *why);

/* The same, recording prov (may be NULL) when the row is added or
 * changed (store_prov.h). */
struct store_provenance;
int store_put_prov(struct store *st, const char *domain, const char *policy,
		   const char *params, const struct store_provenance *prov,
		   char *change, struct errbuf *why);

/* Returns 1 when a row was deleted, 0 when none existed, -1 on error.
 * Its provenance row (store_prov.h) goes with it. */
int store_delete(struct store *st, const char *domain, struct errbuf *why);

/* Calls fn for every row ordered by domain; fn returning non-zero stops
 * the walk (store_list then returns that value).  Row strings are valid
 * only during the call. */
typedef int (*store_row_fn)(const struct store_row *row, void *arg);
int store_list(struct store *st, store_row_fn fn, void *arg,
	       struct errbuf *why);

/* Several puts in one transaction: all or nothing. Counts the changes.
 * An item with prov records, for a row it adds or changes, who wrote it
 * and why in tlspolicy_provenance (store_prov.h), in the same
 * transaction. */
struct store_provenance;
struct store_put_item {
	const char *domain;
	const char *policy, *params;  /* policy NULL: remove domain's row (and
				       * its provenance) in the same transaction */
	const struct store_provenance *prov; /* NULL: nothing recorded */
};
struct store_counts {
	unsigned long added, changed, unchanged;
	unsigned long removed;      /* items with policy NULL that had a row */
	unsigned long provenance;   /* provenance rows written */
	int provenance_missing;     /* no tlspolicy_provenance table (run db
				     * init): rows written, provenance not */
};
int store_put_many(struct store *st, const struct store_put_item *items,
		   size_t n, struct store_counts *counts, struct errbuf *why);

/* Like store_put_many; flags STORE_DRY_RUN: do everything, count, then
 * roll back (nothing is written). */
#define STORE_DRY_RUN 0x1
int store_put_many_ex(struct store *st, const struct store_put_item *items,
		      size_t n, int flags, struct store_counts *counts,
		      struct errbuf *why);

/*
 * The policy a stored row stands for: parses level + params with
 * policy_parse_parts() and checks that the domain is a valid lookup key
 * in normal form (case aside, as both tables compare case-insensitively).
 * Returns 0 and a new policy (caller frees with policy_free), or -1 with
 * why = "row id N (domain): reason" -- rows written by other tools that
 * no longer validate are reported by their id, never used.
 */
int store_row_policy(const struct store_row *row,
		     const struct policy_opts *opts, struct policy **out,
		     struct errbuf *why);

/* 1 when the row's params hold the shadow marker `testing`
 * (policy_strip_testing(); store_row_policy() leaves it out of the
 * policy): the daemon answers NOTFOUND for the row and logs what it
 * would answer (issue 13, shadow mode). */
int store_row_shadowed(const struct store_row *row);

/* The URL without the password, e.g. "mysql://tlspolicy@127.0.0.1:13306/db"
 * or "sqlite:/var/lib/tlspolicy/tlspolicy.db".  Owned by st. */
const char *store_describe(const struct store *st);

/* Once per process before threads use MariaDB handles; optional for
 * single-threaded programs.  store_global_end() releases the library. */
int store_global_init(struct errbuf *why);
void store_global_end(void);

/* A parsed database URL (exposed for tests and for postfix-config, which
 * writes Postfix's own mysql:/sqlite: table files from it). */
enum store_kind { STORE_SQLITE, STORE_MYSQL };
struct store_url {
	enum store_kind kind;
	char *path;      /* sqlite: the file */
	char *user;      /* mysql: decoded; never NULL */
	char *password;  /* mysql: decoded; NULL when the URL has none */
	char *host;      /* mysql: "" when only a socket is given; no [] */
	unsigned port;   /* mysql: 0 = default (3306) */
	char *dbname;
	char *socket;    /* mysql: ?socket=, NULL when absent */
	unsigned timeout; /* mysql: seconds, STORE_MYSQL_TIMEOUT by default */
};
/* Returns 0 and fills u (free with store_url_free), or -1 with a reason
 * that never repeats the password. */
int store_url_parse(const char *url, struct store_url *u, struct errbuf *why);
void store_url_free(struct store_url *u);
/* The URL without the password; malloc'ed, NULL on ENOMEM. */
char *store_url_describe(const struct store_url *u);

#endif
