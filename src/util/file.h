/* SPDX-License-Identifier: MIT */
/*
 * file - whole files: read one with a size limit, replace one
 * atomically (temporary file in the same directory, fsync, rename), so
 * a reader sees the old or the new content, never a part.
 *
 * The reader returns a status, not a message: each caller words its
 * own error (its command name, its limit), as its users know it.
 */
#ifndef TP_UTIL_FILE_H
#define TP_UTIL_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct errbuf;

enum file_status {
	FILE_OK = 0,
	FILE_ERR_OPEN,       /* fopen failed: errno in *err */
	FILE_ERR_READ,       /* read error: errno in *err */
	FILE_ERR_TOO_LARGE,  /* more than max bytes */
	FILE_ERR_NOMEM,
};

/*
 * Reads all of path (at most max bytes) into a malloc'ed buffer with a
 * NUL after the last byte (*text; NUL bytes inside are kept, *len
 * counts them).  On failure *text is NULL and *err (may be NULL) holds
 * errno for FILE_ERR_OPEN/FILE_ERR_READ.
 */
enum file_status file_read(const char *path, size_t max, char **text,
			   size_t *len, int *err);

/* The reason of a failed read in the usual "PATH: ..." words
 * ("PATH: No such file or directory", "PATH: read error", "PATH: larger
 * than MAX bytes", "PATH: out of memory") into why; returns -1. */
int file_read_why(enum file_status st, const char *path, size_t max, int err,
		  struct errbuf *why);

/* The same from an open stream (stdin for "-"); fp stays open. */
enum file_status file_read_stream(FILE *fp, size_t max, char **text,
				  size_t *len, int *err);

/*
 * Replaces path with data[0..len): writes "path.tmp.XXXXXX" (mode
 * `mode`, group `gid` unless it is (gid_t)-1), fsyncs it and renames
 * it over path.  Returns 0, or -1 with errno kept and the reason in why
 * ("cannot create <tmp>: ..." or "cannot write <path>: ..."); the
 * temporary file never stays behind.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, gid_t gid, struct errbuf *why);

#endif
