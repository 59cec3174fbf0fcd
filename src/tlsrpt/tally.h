/* SPDX-License-Identifier: MIT */
/*
 * tally - counts by key, in memory: the session outcomes of one collect
 * run and the daemon's decision journal between flushes.  A key is a few
 * fields joined by TALLY_SEP (callers reject fields holding it).
 *
 * LIMITS: at most max keys (tally_add beyond it fails and counts the
 * loss in dropped); keys of at most TALLY_KEY_MAX bytes.
 */
#ifndef TP_TLSRPT_TALLY_H
#define TP_TLSRPT_TALLY_H

#include <stddef.h>

#define TALLY_SEP '\x1f'
#define TALLY_KEY_MAX (128 * 1024)

struct tally_ent {
	char *key;
	unsigned long long count;
	long long first, last; /* tally_add_at: earliest / latest `when` (0: none) */
};

struct tally {
	struct tally_ent *ent; /* open addressing; key NULL = empty */
	size_t cap, n, max;
	unsigned long long dropped;
};

void tally_init(struct tally *t, size_t max);
void tally_free(struct tally *t);
/* Adds count to key's entry (made when new).  0, or -1 (full, ENOMEM). */
int tally_add(struct tally *t, const char *key, unsigned long long count);
/* The same, remembering the earliest and latest when (a Unix time, 0:
 * none) per key (the journal: when a policy was answered). */
int tally_add_at(struct tally *t, const char *key, unsigned long long count, long long when);
/* Joins n fields with TALLY_SEP into out; -1 when too long or a field
 * holds the separator. */
int tally_key(char *out, size_t outlen, const char *const *fields, size_t n);
/* Splits key (modified in place) into at most max fields; returns the count. */
size_t tally_split(char *key, char **fields, size_t max);

#endif
