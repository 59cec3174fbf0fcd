/* SPDX-License-Identifier: MIT */
/*
 * policyfile - reads a Postfix tls_policy source file (what postmap(1)
 * reads): "KEY VALUE" lines, the key and value separated by whitespace;
 * blank lines and lines whose first non-blank byte is '#' are ignored;
 * a line that starts with whitespace continues the previous logical
 * line.  Keys go through policy_key_normalize(), values through
 * policy_parse().  Pure: the caller reads the file.
 *
 * All or nothing, with every problem reported in one run: each bad line
 * is an error "ORIGIN:LINE: reason" and the parse goes on to find the
 * next; any error fails the whole parse.  A key that appears twice
 * (after normalisation) with the same policy is a warning naming both
 * lines, and the first line is kept, as postmap(1) keeps the first
 * entry of a duplicate key (it warns "duplicate entry" without a line);
 * the same key with a different policy is an error naming both lines.
 * A key without a value is an error (postmap warns and drops the line;
 * an import must not drop data silently).
 *
 * LIMITS: POLICYFILE_MAX_SIZE bytes of input, POLICYFILE_MAX_LINE bytes
 * per logical line, POLICYFILE_MAX_ENTRIES entries, POLICYFILE_MAX_MESSAGES
 * messages kept (all are counted).  NUL bytes are refused.
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
	int shadowed;               /* the word testing (policy_strip_testing) */
};

/* One message of a parse, "ORIGIN:LINE: reason". */
struct policyfile_msg {
	unsigned line;
	int warning;                /* 0: an error */
	char text[ERRBUF_MAX + 320];
};

/* The messages of a parse in line order: at most POLICYFILE_MAX_MESSAGES
 * are kept; errors and warnings count all of them. */
#define POLICYFILE_MAX_MESSAGES 200
struct policyfile_report {
	struct policyfile_msg *msg;
	size_t n;
	size_t errors, warnings;
};
void policyfile_report_free(struct policyfile_report *rep);

struct policyfile_opts {
	const struct policy_opts *policy;  /* NULL: the defaults */
	/* Called for every entry that parsed and is kept (may be NULL):
	 * -1 with why makes it an error of its line (e.g. a value the
	 * target table cannot hold). */
	int (*check)(const struct policyfile_entry *e, void *arg,
		     struct errbuf *why);
	void *check_arg;
};

/*
 * Parses text (len bytes, need not be NUL-terminated).  origin names the
 * input in messages (a file name, or "-").  Every message goes into rep
 * (zeroed first; free with policyfile_report_free()).  Returns 0 when
 * there is no error, with a new array *out of *n entries in file order
 * (caller frees with policyfile_free(); *out may be NULL when *n is 0);
 * else -1 with *out NULL and *n 0.
 */
int policyfile_parse_report(const char *text, size_t len, const char *origin,
			    const struct policyfile_opts *opts,
			    struct policyfile_entry **out, size_t *n,
			    struct policyfile_report *rep);

/* The same without the report: why is the first error, followed by
 * "(and N more errors)" when there are more; warnings are dropped. */
int policyfile_parse(const char *text, size_t len, const char *origin,
		     const struct policy_opts *opts,
		     struct policyfile_entry **out, size_t *n,
		     struct errbuf *why);

void policyfile_free(struct policyfile_entry *e, size_t n);

#endif
