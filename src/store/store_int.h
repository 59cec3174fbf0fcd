/* SPDX-License-Identifier: MIT */
/*
 * store_int - what the two backends of store/ share: the ops table and
 * the common part of a handle.  Nothing outside src/store/ includes it.
 */
#ifndef TP_STORE_STORE_INT_H
#define TP_STORE_STORE_INT_H

#include "store/store.h"
#include "store/store_prov.h"
#include "store/store_report.h"
#include "store/store_sts.h"
#include "store/store_own.h"
#include "store/store_bypass.h"
#include "store/store_change.h"

struct store_ops {
	const char *name; /* "sqlite", "mysql" */
	void (*close)(struct store *st);
	int (*init)(struct store *st, int *created, struct errbuf *why);
	int (*get)(struct store *st, const char *domain, struct store_row *row,
		   struct errbuf *why);
	int (*put_many)(struct store *st, const struct store_put_item *items,
			size_t n, int flags, struct store_counts *counts,
			struct errbuf *why);
	int (*del)(struct store *st, const char *domain, struct errbuf *why);
	int (*list)(struct store *st, store_row_fn fn, void *arg,
		    struct errbuf *why);
	/* tlspolicy_sts (store_sts.h; store_sts_sqlite.c, store_sts_mysql.c) */
	int (*sts_init)(struct store *st, int *created, struct errbuf *why);
	int (*sts_get)(struct store *st, const char *domain,
		       struct store_sts_row *row, struct errbuf *why);
	int (*sts_put)(struct store *st, const struct store_sts_row *row,
		       struct errbuf *why);
	int (*sts_del)(struct store *st, const char *domain, struct errbuf *why);
	int (*sts_list)(struct store *st, store_sts_fn fn, void *arg,
			struct errbuf *why);
	int (*sts_purge)(struct store *st, long long now,
			 unsigned long *deleted, struct errbuf *why);
	/* tlspolicy_sts_lease (store_sts.h: who fetches a shared policy) */
	int (*lease_init)(struct store *st, int *created, struct errbuf *why);
	int (*lease_claim)(struct store *st, const struct store_sts_lease *want,
			   long long now, struct store_sts_lease *held,
			   struct errbuf *why);
	int (*lease_release)(struct store *st, const char *domain,
			     const char *owner, struct errbuf *why);
	int (*lease_purge)(struct store *st, long long now,
			   unsigned long *deleted, struct errbuf *why);
	/* store_sts_batch_begin/_commit/_rollback: op STORE_STS_TXN_* */
	int (*sts_txn)(struct store *st, int op, struct errbuf *why);
	/* tlspolicy_provenance (store_prov.h; store_prov_sqlite.c,
	 * store_prov_mysql.c); the writes are part of put_many and del */
	int (*prov_init)(struct store *st, int *created, struct errbuf *why);
	int (*prov_list)(struct store *st, store_prov_fn fn, void *arg,
			 struct errbuf *why);
	/* tlspolicy_own (store_own.h; store_own_sqlite.c, store_own_mysql.c) */
	int (*own_init)(struct store *st, int *created, struct errbuf *why);
	int (*own_get)(struct store *st, const char *subject, const char *fact,
		       struct store_own_row *row, struct errbuf *why);
	int (*own_put)(struct store *st, const struct store_own_row *row,
		       struct errbuf *why);
	int (*own_del)(struct store *st, const char *subject, const char *fact,
		       struct errbuf *why);
	int (*own_list)(struct store *st, const char *subject, store_own_fn fn,
			void *arg, struct errbuf *why);
	/* tlspolicy_bypass (store_bypass.h; store_bypass_sqlite.c,
	 * store_bypass_mysql.c) */
	int (*bypass_init)(struct store *st, int *created, struct errbuf *why);
	int (*bypass_put)(struct store *st, const struct store_bypass_row *row,
			  struct errbuf *why);
	int (*bypass_del)(struct store *st, const char *domain, struct errbuf *why);
	int (*bypass_list)(struct store *st, store_bypass_fn fn, void *arg,
			   struct errbuf *why);
	/* tlspolicy_report (store_report.h; store_report_sqlite.c,
	 * store_report_mysql.c) */
	int (*report_init)(struct store *st, int *created, struct errbuf *why);
	int (*report_list)(struct store *st, store_report_fn fn, void *arg,
			   struct errbuf *why);
	int (*report_replace)(struct store *st, const struct store_report_row *rows,
			      size_t n, struct errbuf *why);
	/* tlspolicy_meta and its triggers (store_change.h;
	 * store_change_sqlite.c, store_change_mysql.c) */
	int (*change_init)(struct store *st, int *created, int *marker,
			   struct errbuf *warn, struct errbuf *why);
	int (*change_mark)(struct store *st, struct store_mark *mark,
			   struct errbuf *why);
};

/* Every backend's handle starts with this (Postfix DICT style). */
struct store {
	const struct store_ops *ops;
	char *desc; /* store_url_describe() of the URL it was opened with */
	int err;    /* class of the last backend error (STORE_ERR_*), 0: none
		     * classified; set by store_sqlite_fail/store_mysql_fail */
	/* store_change_sqlite.c: the last mark, valid while PRAGMA
	 * data_version and this handle's total changes stay the same */
	struct store_mark mark;
	long long mark_dv, mark_tc;
	int mark_cached;
};

/* rc of a backend operation -> the public return value: rc when >= 0,
 * else st->err, or STORE_ERR_RETRY when the backend did not classify. */
int store_classed(struct store *st, int rc);
/* The classes of a backend's own error numbers. */
int store_sqlite_err_class(int sqlite_rc);
int store_mysql_err_class(unsigned mysql_errno);

/* flags: STORE_OPEN_* (store.h) */
int store_sqlite_open(const struct store_url *u, int flags, struct store **out,
		      struct errbuf *why);
int store_mysql_open(const struct store_url *u, struct store **out,
		     struct errbuf *why);
int store_mysql_global_init(struct errbuf *why);
void store_mysql_global_end(void);

/* The backends' handles for the tlspolicy_sts code: the SQLite
 * connection; the MariaDB connection after a reconnect when the server
 * dropped it (NULL with why when that fails). */
struct sqlite3;
struct sqlite3_stmt;
struct st_mysql;
struct st_mysql_stmt;
struct st_mysql_bind;
struct sqlite3 *store_sqlite_db(struct store *st);
/* store_replica_status() of a MariaDB handle (store_mysql.c) */
int store_mysql_replica(struct store *st, struct store_replica *r,
			struct errbuf *why);
struct st_mysql *store_mysql_conn(struct store *st, struct errbuf *why);
/* open 1 after a START TRANSACTION of ours, 0 after its COMMIT or
 * ROLLBACK: while open, a lost connection is not replaced */
void store_mysql_txn_open(struct store *st, int open);

/*
 * What both tables' SQL code shares, per backend.  table names the
 * table a statement works on: an error that says it is missing becomes
 * "WHAT: table TABLE does not exist in URL (run 'tlspolicy db init')",
 * any other "WHAT: sqlite: MESSAGE" / "WHAT: mysql: MESSAGE (error N)".
 * Each returns -1 (NULL) after setting why.
 */
int store_sqlite_fail(struct store *st, const char *table, const char *what,
		      struct errbuf *why);
int store_sqlite_prepare(struct store *st, const char *table, const char *sql,
			 struct sqlite3_stmt **stmt, const char *what,
			 struct errbuf *why);
/* store_sqlite_prepare() of a statement kept open on the handle for the
 * next call with the same sql (a string constant: its address is the key);
 * give it back with store_sqlite_done(), which resets it (or finalizes one
 * that was not kept).  For the per-lookup statements. */
int store_sqlite_cached(struct store *st, const char *table, const char *sql,
			struct sqlite3_stmt **stmt, const char *what,
			struct errbuf *why);
void store_sqlite_done(struct store *st, struct sqlite3_stmt *stmt);
/* Runs sql to its end (rows are dropped). */
int store_sqlite_exec(struct store *st, const char *table, const char *sql,
		      const char *what, struct errbuf *why);
/* 1 when the table exists, 0 when not, -1 with why. */
int store_sqlite_table_exists(struct store *st, const char *table, const char *what,
			      struct errbuf *why);
/* store_mysql_prepare(), but NULL with *missing = 1 (and no message)
 * when the table does not exist (error 1146: "record nothing" for
 * tlspolicy's own tables); missing NULL: that is an error too. */
struct st_mysql_stmt *store_mysql_prepare_opt(struct store *st, struct st_mysql *conn,
					      const char *table, const char *sql,
					      const char *what, int *missing,
					      struct errbuf *why);
int store_mysql_fail(struct store *st, struct st_mysql *conn,
		     struct st_mysql_stmt *stmt, const char *table,
		     const char *what, struct errbuf *why);
struct st_mysql_stmt *store_mysql_prepare(struct store *st, struct st_mysql *conn,
					  const char *table, const char *sql,
					  const char *what, struct errbuf *why);
/* Binds params (may be NULL), executes, binds results (may be NULL) and
 * buffers the result set client-side. */
int store_mysql_run(struct store *st, struct st_mysql *conn,
		    struct st_mysql_stmt *stmt, struct st_mysql_bind *params,
		    struct st_mysql_bind *results, const char *table,
		    const char *what, struct errbuf *why);
/* After a fetch: NUL-terminates the string column buf (cap bytes) that
 * holds len bytes (none when is_null).  Returns 0; STORE_COL_LONG when
 * the value did not fit (cut to cap - 1 bytes); STORE_COL_NUL when it
 * holds a NUL byte. */
enum { STORE_COL_OK, STORE_COL_LONG, STORE_COL_NUL };
int store_mysql_column(char *buf, size_t cap, unsigned long len, int is_null);
/*
 * db init of one table: creates it with sql_create when it is missing,
 * then checks that sql_shape (a SELECT of the columns we use, LIMIT 0)
 * runs on it, so an existing table of another shape is an error.
 * *created = 1 when it was made now.  Messages: "init TABLE: ...",
 * "init: create TABLE: ...", "init: existing table TABLE: ...".
 */
int store_sqlite_init_table(struct store *st, const char *table,
			    const char *sql_create, const char *sql_shape,
			    int *created, struct errbuf *why);
int store_mysql_init_table(struct store *st, const char *table,
			   const char *sql_create, const char *sql_shape,
			   int *created, struct errbuf *why);

int store_sts_sqlite_init(struct store *st, int *created, struct errbuf *why);
int store_sts_sqlite_get(struct store *st, const char *domain,
			 struct store_sts_row *row, struct errbuf *why);
int store_sts_sqlite_put(struct store *st, const struct store_sts_row *row,
			 struct errbuf *why);
int store_sts_sqlite_del(struct store *st, const char *domain,
			 struct errbuf *why);
int store_sts_sqlite_list(struct store *st, store_sts_fn fn, void *arg,
			  struct errbuf *why);
int store_sts_sqlite_lease_init(struct store *st, int *created, struct errbuf *why);
int store_sts_sqlite_claim(struct store *st, const struct store_sts_lease *want,
		long long now, struct store_sts_lease *held, struct errbuf *why);
int store_sts_sqlite_release(struct store *st, const char *domain, const char *owner,
		struct errbuf *why);
int store_sts_sqlite_lease_purge(struct store *st, long long now,
		unsigned long *deleted, struct errbuf *why);
int store_sts_sqlite_purge(struct store *st, long long now,
			   unsigned long *deleted, struct errbuf *why);
int store_sts_mysql_init(struct store *st, int *created, struct errbuf *why);
int store_sts_mysql_get(struct store *st, const char *domain,
			struct store_sts_row *row, struct errbuf *why);
int store_sts_mysql_put(struct store *st, const struct store_sts_row *row,
			struct errbuf *why);
int store_sts_mysql_del(struct store *st, const char *domain,
			struct errbuf *why);
int store_sts_mysql_list(struct store *st, store_sts_fn fn, void *arg,
			 struct errbuf *why);
int store_sts_mysql_lease_init(struct store *st, int *created, struct errbuf *why);
int store_sts_mysql_claim(struct store *st, const struct store_sts_lease *want,
		long long now, struct store_sts_lease *held, struct errbuf *why);
int store_sts_mysql_release(struct store *st, const char *domain, const char *owner,
		struct errbuf *why);
int store_sts_mysql_lease_purge(struct store *st, long long now,
		unsigned long *deleted, struct errbuf *why);
int store_sts_sqlite_txn(struct store *st, int op, struct errbuf *why);
int store_sts_mysql_txn(struct store *st, int op, struct errbuf *why);
enum { STORE_STS_TXN_BEGIN, STORE_STS_TXN_COMMIT, STORE_STS_TXN_ROLLBACK };
int store_sts_mysql_purge(struct store *st, long long now,
			  unsigned long *deleted, struct errbuf *why);
int store_report_sqlite_init(struct store *st, int *created, struct errbuf *why);
int store_report_sqlite_list(struct store *st, store_report_fn fn, void *arg,
			     struct errbuf *why);
int store_report_sqlite_replace(struct store *st, const struct store_report_row *rows,
				size_t n, struct errbuf *why);
int store_report_mysql_init(struct store *st, int *created, struct errbuf *why);
int store_report_mysql_list(struct store *st, store_report_fn fn, void *arg,
			    struct errbuf *why);
int store_report_mysql_replace(struct store *st, const struct store_report_row *rows,
			       size_t n, struct errbuf *why);
int store_change_sqlite_init(struct store *st, int *created, int *marker,
			      struct errbuf *warn, struct errbuf *why);
int store_change_sqlite_mark(struct store *st, struct store_mark *mark,
			      struct errbuf *why);
int store_change_mysql_init(struct store *st, int *created, int *marker,
			     struct errbuf *warn, struct errbuf *why);
int store_change_mysql_mark(struct store *st, struct store_mark *mark,
			     struct errbuf *why);
int store_prov_sqlite_init(struct store *st, int *created, struct errbuf *why);
int store_prov_sqlite_list(struct store *st, store_prov_fn fn, void *arg,
			   struct errbuf *why);
/* Inside a write transaction: 1 and a prepared upsert when the table
 * exists, 0 when it does not, -1 on error. */
int store_prov_sqlite_prepare(struct store *st, struct sqlite3_stmt **put,
			      struct errbuf *why);
int store_prov_sqlite_put(struct store *st, struct sqlite3_stmt *put,
			  const char *domain, const char *policy,
			  const char *params, const struct store_provenance *p,
			  struct errbuf *why);
/* Deletes domain's provenance (nothing when the table is missing). */
int store_prov_sqlite_del(struct store *st, const char *domain, struct errbuf *why);
int store_prov_mysql_init(struct store *st, int *created, struct errbuf *why);
int store_prov_mysql_list(struct store *st, store_prov_fn fn, void *arg,
			  struct errbuf *why);
int store_prov_mysql_prepare(struct store *st, struct st_mysql *conn,
			     struct st_mysql_stmt **put, struct errbuf *why);
int store_prov_mysql_put(struct store *st, struct st_mysql *conn,
			 struct st_mysql_stmt *put, const char *domain,
			 const char *policy, const char *params,
			 const struct store_provenance *p, struct errbuf *why);
int store_prov_mysql_del(struct store *st, struct st_mysql *conn,
			 const char *domain, struct errbuf *why);
/* The policy text "LEVEL params" of a row, cut to STORE_PROV_POLICY_MAX. */
void store_prov_policy_text(char *out, size_t outlen, const char *policy,
			    const char *params);

/* tlspolicy_own, per backend (store_own.h) */
#define STORE_OWN_DECL(b)                                                      \
	int store_own_##b##_init(struct store *st, int *created, struct errbuf *why); \
	int store_own_##b##_get(struct store *st, const char *subject,          \
				const char *fact, struct store_own_row *row,    \
				struct errbuf *why);                            \
	int store_own_##b##_put(struct store *st, const struct store_own_row *row, \
				struct errbuf *why);                            \
	int store_own_##b##_del(struct store *st, const char *subject,          \
				const char *fact, struct errbuf *why);          \
	int store_own_##b##_list(struct store *st, const char *subject,         \
				 store_own_fn fn, void *arg, struct errbuf *why);
STORE_OWN_DECL(sqlite)
STORE_OWN_DECL(mysql)

/* tlspolicy_bypass, per backend (store_bypass.h) */
#define STORE_BYPASS_DECL(b)                                                   \
	int store_bypass_##b##_init(struct store *st, int *created, struct errbuf *why); \
	int store_bypass_##b##_put(struct store *st, const struct store_bypass_row *row, \
				   struct errbuf *why);                          \
	int store_bypass_##b##_del(struct store *st, const char *domain,        \
				   struct errbuf *why);                          \
	int store_bypass_##b##_list(struct store *st, store_bypass_fn fn, void *arg, \
				    struct errbuf *why);
STORE_BYPASS_DECL(sqlite)
STORE_BYPASS_DECL(mysql)
int store_own_row_check(const struct store_own_row *row, struct errbuf *why);
int store_own_row_copy(const struct store_own_row *view,
		       struct store_own_row *out, struct errbuf *why);

/* Checks a row read back against the limits; -1 with why naming it. */
int store_sts_row_check(const struct store_sts_row *row, struct errbuf *why);
/* A malloc'ed copy of a checked row view (store_sts_row_free). */
int store_sts_row_copy(const struct store_sts_row *view,
		       struct store_sts_row *out, struct errbuf *why);

/* Same stored values?  NULL and "" params are the same (no attributes). */
int store_same(const char *policy_a, const char *params_a,
	       const char *policy_b, const char *params_b);

/* SQL of the table, shared by init and the Postfix table files. */
#define STORE_TABLE "tlspolicies"

/* tlspolicy_meta (store_change.h): the statements both backends run,
 * and the triggers as T(TABLE, SUFFIX, EVENT), each backend's T giving
 * its own trigger syntax around STORE_META_SQL_BUMP. */
#define STORE_META_SQL_SHAPE "SELECT name, value FROM tlspolicy_meta LIMIT 0"
#define STORE_META_SQL_BUMP                                                    \
	"UPDATE tlspolicy_meta SET value = value + 1 WHERE name = 'changes'"
#define STORE_META_SQL_GET "SELECT value FROM tlspolicy_meta WHERE name = 'changes'"
#define STORE_META_TRIGGERS(T)                                                 \
	T(STORE_TABLE, "ai", "INSERT"), T(STORE_TABLE, "au", "UPDATE"),        \
	T(STORE_TABLE, "ad", "DELETE"), T("tlspolicy_bypass", "ai", "INSERT"), \
	T("tlspolicy_bypass", "au", "UPDATE"), T("tlspolicy_bypass", "ad", "DELETE")

#endif
