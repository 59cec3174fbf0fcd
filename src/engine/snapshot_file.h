/* SPDX-License-Identifier: MIT */
/*
 * snapshot_file - the last good policy table snapshot on local disk
 * (setting table_snapshot), so that the daemon starts and answers the
 * admin's rows while the database cannot be read (issue 13 item 6).
 *
 * Format (text, one record per line, "\n" line ends):
 *
 *   tlspolicy-table-snapshot 1
 *   written UNIXTIME
 *   rows N
 *   KEY POLICY-TEXT            (N lines, sorted by key)
 *   bypasses M                 (only when there are any, M >= 1)
 *   DOMAIN LEVEL EXPIRES REASON (M lines, sorted by domain)
 *   sha256 HEX                 (of every byte before this line)
 *
 * The bypass lines are the emergency bypasses (store/store_bypass.h)
 * read with the table, so that a daemon started from this file while
 * the database is down still answers them until they expire (EXPIRES:
 * unix time; REASON: the rest of the line).
 *
 * KEY is a normalised table key (policy_key_normalize), POLICY-TEXT the
 * canonical text Postfix receives (policy_format), after the mark
 * SNAPSHOT_SHADOW_MARK for a shadowed row (snapshot.h).  The reader refuses
 * the whole file on any defect (a checksum mismatch, a truncation, a
 * row count that does not match, an invalid key or policy, a duplicate
 * key, bytes after the checksum): nothing is ever served from a bad
 * file.  Every row is parsed again as a policy, so a file edited by hand
 * (with a recomputed checksum) still cannot make the daemon answer
 * text Postfix would not accept.
 *
 * LIMITS: SNAPSHOT_FILE_MAX bytes, SNAPSHOT_MAX_ROWS rows.
 */
#ifndef TP_ENGINE_SNAPSHOT_FILE_H
#define TP_ENGINE_SNAPSHOT_FILE_H

#include <stddef.h>
#include <time.h>
#include "store/store_bypass.h"
#include "util/errbuf.h"

#define SNAPSHOT_FILE_MAGIC "tlspolicy-table-snapshot 1"
#define SNAPSHOT_FILE_MAX ((size_t)1 << 30)   /* 1 GiB */
#define SNAPSHOT_DIGEST_LEN 32
#define SNAPSHOT_MAX_BYPASSES 100000

struct snapshot;
struct policy_opts;

/* The file's bytes for s (malloc'ed, *len bytes) and, in rows_digest,
 * the SHA-256 of its rows alone (equal digests: the same table).  NULL
 * on ENOMEM. */
char *snapshot_file_format(const struct snapshot *s, time_t written, size_t *len,
			   unsigned char rows_digest[SNAPSHOT_DIGEST_LEN]);

/* The same with the bypasses bp[0..nb) (any order); the digest covers
 * them too. */
char *snapshot_file_format_bp(const struct snapshot *s, const struct store_bypass_row *bp,
			      size_t nb, time_t written, size_t *len,
			      unsigned char rows_digest[SNAPSHOT_DIGEST_LEN]);

/* Parses data[0..len) (need not be NUL-terminated).  Returns a new
 * snapshot and *written, or NULL with why. */
struct snapshot *snapshot_file_parse(const char *data, size_t len,
				     const struct policy_opts *opts, time_t *written,
				     struct errbuf *why);

/* The same, and fn(row, arg) for every bypass line (created 0), called
 * only once the whole file is valid; fn non-zero (out of memory) fails
 * the parse.  fn NULL: the bypasses are checked, not returned. */
struct snapshot *snapshot_file_parse_bp(const char *data, size_t len,
					const struct policy_opts *opts, time_t *written,
					store_bypass_fn fn, void *arg, struct errbuf *why);

/* Reads path (at most SNAPSHOT_FILE_MAX bytes) with snapshot_file_parse;
 * why names the path. */
struct snapshot *snapshot_file_read(const char *path, const struct policy_opts *opts,
				    time_t *written, struct errbuf *why);

struct snapshot *snapshot_file_read_bp(const char *path, const struct policy_opts *opts,
				       time_t *written, store_bypass_fn fn, void *arg,
				       struct errbuf *why);

/* Writes s to path atomically (util/file.h), mode 0640. Returns 0, or -1
 * with why. */
int snapshot_file_write(const char *path, const char *data, size_t len,
			struct errbuf *why);

#endif
