/* SPDX-License-Identifier: MIT */
/*
 * snapshot - an immutable in-memory copy of the admin's policy table:
 * normalised key -> canonical policy text (as Postfix receives it),
 * in an open-addressing hash table whose strings live in one arena.
 *
 * Built off the event loop (snapshot_load() reads the whole table with
 * store_list() and validates every row with store_row_policy(); invalid
 * rows are skipped and counted, never served).  Read-only once built, so
 * the loop thread reads it without locks and replaces it whole.
 *
 * LIMITS: SNAPSHOT_MAX_ROWS rows; more is an error (the old snapshot
 * keeps serving).
 */
#ifndef TP_ENGINE_SNAPSHOT_H
#define TP_ENGINE_SNAPSHOT_H

#include <stddef.h>
#include <time.h>
#include "util/errbuf.h"

#define SNAPSHOT_MAX_ROWS 10000000
/* Invalid rows named in the log per load (the rest are counted). */
#define SNAPSHOT_LOG_INVALID 10

struct store;
struct policy_opts;
struct snapshot;

/* Reads every row of st.  Returns a new snapshot or NULL with why and
 * *err (STORE_ERR_RETRY, or STORE_ERR_CONFIG: also a table over
 * SNAPSHOT_MAX_ROWS).  Runs in any thread; logs nothing (see
 * snapshot_invalid_reason). */
struct snapshot *snapshot_load(struct store *st, const struct policy_opts *opts,
			       int *err, struct errbuf *why);
/* An empty snapshot (no rows); NULL on ENOMEM. */
struct snapshot *snapshot_empty(void);
void snapshot_free(struct snapshot *s);

/* The policy text of key (normalised, keylen bytes), or NULL. */
const char *snapshot_get(const struct snapshot *s, const char *key, size_t keylen);

size_t snapshot_rows(const struct snapshot *s);
size_t snapshot_invalid_rows(const struct snapshot *s);
/* Why the i-th skipped row was skipped (i < SNAPSHOT_LOG_INVALID and
 * < snapshot_invalid_rows), else NULL. */
const char *snapshot_invalid_reason(const struct snapshot *s, size_t i);
/* What a reload changed: rows added, changed (another policy), removed,
 * and the first keys ("+key", "~key", "-key", cut with "..."). */
struct snapshot_diff {
	size_t added, changed, removed;
	char names[256];
};
void snapshot_diff(const struct snapshot *old, const struct snapshot *new,
		   struct snapshot_diff *d);

/* Bytes held (arena + table), for statistics. */
size_t snapshot_bytes(const struct snapshot *s);

/* Inserts key (normalised) -> text, both copied; a key already there
 * is replaced.  Returns 0, or -1 on ENOMEM.  Only while building (before
 * the snapshot is shared). */
int snapshot_put(struct snapshot *s, const char *key, const char *text);
/* Shadow mode (issue 13): a row whose params hold the marker `testing`
 * (store_row_shadowed()) is kept as SNAPSHOT_SHADOW_MARK followed by
 * its policy text; snapshot_get() returns it so, and the engine answers
 * NOTFOUND for it (logging the text after the mark).  No policy text
 * begins with the mark. */
#define SNAPSHOT_SHADOW_MARK '!'
/* snapshot_put() of a row, marked when shadowed. */
int snapshot_put_row(struct snapshot *s, const char *key, const char *text, int shadowed);
/* Calls fn(key, text, arg) for every row in no particular order; stops
 * at fn's first non-zero return, which it returns (0 when all ran). */
int snapshot_each(const struct snapshot *s,
		  int (*fn)(const char *key, const char *text, void *arg), void *arg);

/* 64-bit FNV-1a, also used by the cache. */
unsigned long long snapshot_hash(const char *p, size_t n);

#endif
