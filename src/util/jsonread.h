/* SPDX-License-Identifier: MIT */
/*
 * jsonread - a small JSON reader (RFC 8259) for the files tlspolicy
 * reads back what it wrote: `policy import` of an `export --format json`
 * file.  The whole text is parsed into a tree; limits: JSONREAD_MAX_DEPTH
 * nested arrays/objects, JSONREAD_MAX_STRING bytes per string (after
 * unescaping), numbers as doubles.  \u escapes become UTF-8; a lone
 * surrogate is an error; so are control characters in strings, trailing
 * text and duplicate object keys.  Errors say "line N: what".
 */
#ifndef TP_UTIL_JSONREAD_H
#define TP_UTIL_JSONREAD_H

#include <stddef.h>
#include "util/errbuf.h"

#define JSONREAD_MAX_DEPTH 16
#define JSONREAD_MAX_STRING 65536

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	unsigned line;            /* where the value starts (1-based) */
	int boolean;              /* JSON_BOOL */
	double number;            /* JSON_NUMBER */
	char *str;                /* JSON_STRING (NUL-terminated; may hold NUL) */
	size_t len;               /* JSON_STRING: bytes */
	size_t n;                 /* JSON_ARRAY / JSON_OBJECT: members */
	struct json_value *items; /* the members' values */
	char **keys;              /* JSON_OBJECT: the members' names */
};

/* Parses text[0..len); 0 and *out (free with json_value_free), or -1
 * with why. */
int json_read(const char *text, size_t len, struct json_value **out, struct errbuf *why);
void json_value_free(struct json_value *v);

/* The member called key of an object, or NULL (also for a non-object). */
const struct json_value *json_get(const struct json_value *obj, const char *key);

#endif
