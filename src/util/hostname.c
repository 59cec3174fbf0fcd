/* SPDX-License-Identifier: MIT */
/* hostname - see hostname.h. */
#include "util/hostname.h"

#include <string.h>

/* ASCII classes, not ctype: no locale, and this is on the daemon's
 * hot path (every table key and answer's servername). */
static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       c == '-' || c == '_';
}

enum hostname_err hostname_check(const char *name, size_t len, size_t *at)
{
	size_t label = 0, i;
	int numeric = 1;

	if (len == 0)
		return HOSTNAME_EMPTY;
	if (len > HOSTNAME_MAX)
		return HOSTNAME_TOO_LONG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0) {
				if (at)
					*at = i;
				return HOSTNAME_BAD_DOT;
			}
			if (name[i - 1] == '-') {
				if (at)
					*at = i - 1;
				return HOSTNAME_BAD_HYPHEN;
			}
			label = 0;
			numeric = 1;
			continue;
		}
		if (!is_ldh(c)) {
			if (at)
				*at = i;
			return HOSTNAME_BAD_CHAR;
		}
		if (c == '-' && label == 0) {
			if (at)
				*at = i;
			return HOSTNAME_BAD_HYPHEN;
		}
		if (!is_digit(c))
			numeric = 0;
		if (++label > HOSTNAME_LABEL_MAX)
			return HOSTNAME_LABEL_LONG;
	}
	if (label == 0) {
		if (at)
			*at = len - 1;
		return HOSTNAME_BAD_DOT;
	}
	if (name[len - 1] == '-') {
		if (at)
			*at = len - 1;
		return HOSTNAME_BAD_HYPHEN;
	}
	return numeric ? HOSTNAME_NUMERIC : HOSTNAME_OK;
}

int hostname_valid(const char *name)
{
	return hostname_check(name, strlen(name), NULL) == HOSTNAME_OK;
}

const char *hostname_err_str(enum hostname_err e)
{
	switch (e) {
	case HOSTNAME_OK: return "valid";
	case HOSTNAME_EMPTY: return "empty host name";
	case HOSTNAME_TOO_LONG: return "host name longer than 253 bytes";
	case HOSTNAME_LABEL_LONG: return "label longer than 63 bytes";
	case HOSTNAME_BAD_DOT: return "misplaced '.'";
	case HOSTNAME_BAD_HYPHEN: return "misplaced '-'";
	case HOSTNAME_BAD_CHAR: return "invalid character";
	case HOSTNAME_NUMERIC: return "numeric top-level label";
	}
	return "?";
}
