/* SPDX-License-Identifier: MIT */
/*
 * hostname - the one host-name rule of tlspolicy, and the one length
 * limit of a domain name.
 *
 * A host name (MX exchange, table key, match pattern, provider pattern,
 * domain given on the command line) is ASCII, in presentation form
 * without a trailing dot, of labels separated by single dots:
 *   - each label 1..HOSTNAME_LABEL_MAX bytes of letters, digits, '-' and
 *     '_' (the underscore as Postfix's valid_hostname() takes it: it
 *     appears in real MX names), not beginning or ending with '-'
 *     (RFC 1123 section 2.1, RFC 952; Postfix: "misplaced hyphen");
 *   - at most HOSTNAME_MAX bytes: 255 wire octets (RFC 1035 section
 *     2.3.4) are 253 characters without the root label's dot;
 *   - the top-level label is not all-numeric (RFC 1123 section 2.1: "the
 *     highest-level component label will be alphabetic"; RFC 3696
 *     section 2).  Postfix's valid_hostname() refuses only names that
 *     are digits and dots throughout; "a.123" is no host name either,
 *     as no such top-level domain can exist, and "1.2.3.4" must not be
 *     taken for a name.
 * Upper-case letters are accepted (callers that normalise lower-case
 * first).  Escaped or non-ASCII names are refused (A-labels are ASCII).
 */
#ifndef TP_UTIL_HOSTNAME_H
#define TP_UTIL_HOSTNAME_H

#include <stddef.h>

#define HOSTNAME_MAX 253        /* characters, no trailing dot */
#define HOSTNAME_LABEL_MAX 63
#define HOSTNAME_BUF (HOSTNAME_MAX + 1)

enum hostname_err {
	HOSTNAME_OK,
	HOSTNAME_EMPTY,
	HOSTNAME_TOO_LONG,       /* over HOSTNAME_MAX */
	HOSTNAME_LABEL_LONG,     /* a label over HOSTNAME_LABEL_MAX */
	HOSTNAME_BAD_DOT,        /* leading, trailing or double dot */
	HOSTNAME_BAD_HYPHEN,     /* a label begins or ends with '-' */
	HOSTNAME_BAD_CHAR,       /* not a letter, digit, '-', '_' or '.' */
	HOSTNAME_NUMERIC,        /* all-numeric top-level label */
};

/* Checks name[0..len); *at (may be NULL) receives the offset of the
 * offending byte for HOSTNAME_BAD_CHAR, HOSTNAME_BAD_HYPHEN and
 * HOSTNAME_BAD_DOT. */
enum hostname_err hostname_check(const char *name, size_t len, size_t *at);

/* 1 when the NUL-terminated name is a host name, else 0. */
int hostname_valid(const char *name);

/* "misplaced '-'" etc. (static). */
const char *hostname_err_str(enum hostname_err e);

#endif
