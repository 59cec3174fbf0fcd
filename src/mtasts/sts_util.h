/* SPDX-License-Identifier: MIT */
/*
 * sts_util - small helpers shared by the MTA-STS parsers (internal to
 * src/mtasts/): character classes of RFC 5234 and a printable
 * description of an offending byte for error messages.
 */
#ifndef TP_MTASTS_STS_UTIL_H
#define TP_MTASTS_STS_UTIL_H

#include <stddef.h>

static inline int sts_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int sts_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int sts_is_alnum(unsigned char c)
{
	return sts_is_alpha(c) || sts_is_digit(c);
}

/* "'x'" for a printable byte, "byte 0x1f" otherwise.  Returns out. */
char *sts_char_desc(char *out, size_t outlen, unsigned char c);

#endif
