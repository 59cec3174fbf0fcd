/* SPDX-License-Identifier: MIT */
/*
 * jparse - a strict JSON parser (RFC 8259) into a tree, for received
 * TLSRPT reports.  Strings are decoded to UTF-8 (\u escapes, surrogate
 * pairs); invalid UTF-8, control characters, NUL (also as \u0000),
 * trailing garbage, duplicate keys are errors.  Numbers are kept as
 * text plus an exact unsigned 64-bit value when they are one.
 *
 * LIMITS: JP_MAX_DEPTH nesting, JP_MAX_NODES values, the input length
 * the caller allows.  Errors name the byte offset.
 *
 * util/json is a writer only; if it grows a parser, this one moves there.
 */
#ifndef TP_TLSRPT_JPARSE_H
#define TP_TLSRPT_JPARSE_H

#include <stddef.h>
#include "util/errbuf.h"

#define JP_MAX_DEPTH 32
#define JP_MAX_NODES 200000

enum jp_type { JP_NULL, JP_FALSE, JP_TRUE, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT };

struct jp_node {
	enum jp_type type;
	char *key;                 /* member name inside an object, else NULL */
	char *str;                 /* STRING: decoded; NUMBER: as written */
	unsigned long long num;    /* NUMBER: value when num_ok */
	int num_ok;                /* a non-negative integer that fits */
	struct jp_node *child, *next;
	size_t n;                  /* ARRAY/OBJECT: members */
};

struct jp_node *jp_parse(const char *text, size_t len, struct errbuf *why);
void jp_free(struct jp_node *n);
/* Object member by name, NULL when absent (or n is not an object). */
const struct jp_node *jp_get(const struct jp_node *obj, const char *key);
const char *jp_type_name(enum jp_type t);

#endif
