/* SPDX-License-Identifier: MIT */
/*
 * policyfile - reads a Postfix tls_policy source file (what postmap(1)
 * reads): "KEY VALUE" lines, the key and value separated by whitespace;
 * blank lines and lines whose first non-blank byte is '#' are ignored;
 * a line that starts with whitespace continues the previous logical
 * line.  Keys go through policy_key_normalize(), values through
 * policy_parse().  Pure: the caller reads the file.
 *
 * All or nothing: the first bad line fails the whole parse with
 * "ORIGIN:LINE: reason"; a key that appears twice (after
 * normalisation) is an error naming both lines.
 *
 * LIMITS: POLICYFILE_MAX_SIZE bytes of input, POLICYFILE_MAX_LINE bytes
 * per logical line, POLICYFILE_MAX_ENTRIES entries.  NUL bytes are
 * refused.
 */
#ifndef TP_POLICY_POLICYFILE_H
#define TP_POLICY_POLICYFILE_H

#include <stddef.h>
#include "policy/policy.h"
#include "util/errbuf.h"

#define POLICYFILE_MAX_SIZE (64u * 1024 * 1024)
#define POLICYFILE_MAX_LINE (POLICY_MAX_TEXT + 1024)
#define POLICYFILE_MAX_ENTRIES 200000

struct policyfile_entry {
	unsigned line;              /* first physical line, from 1 */
	char key[POLICY_KEY_MAX];   /* normalised */
	enum policy_key_kind kind;
	struct policy *policy;
};

/*
 * Parses text (len bytes, need not be NUL-terminated).  origin names the
 * input in messages (a file name, or "-").  On success returns 0 and a
 * new array *out of *n entries in file order (caller frees with
 * policyfile_free(); *out may be NULL when *n is 0); on error returns -1,
 * *out NULL, *n 0 and why "origin:line: reason".
 */
int policyfile_parse(const char *text, size_t len, const char *origin,
		     const struct policy_opts *opts,
		     struct policyfile_entry **out, size_t *n,
		     struct errbuf *why);

void policyfile_free(struct policyfile_entry *e, size_t n);

#endif
