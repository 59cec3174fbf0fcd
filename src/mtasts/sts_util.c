/* SPDX-License-Identifier: MIT */
/*
 * sts_util - helpers shared by the MTA-STS parsers.
 */
#include "mtasts/sts_util.h"

#include <stdio.h>

char *sts_char_desc(char *out, size_t outlen, unsigned char c)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(out, outlen, "'%c'", c);
	else if (c == ' ')
		snprintf(out, outlen, "space");
	else
		snprintf(out, outlen, "byte 0x%02x", c);
	return out;
}
