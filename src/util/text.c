/* SPDX-License-Identifier: MIT */
/*
 * text.c - byte-string helpers (see text.h).
 */
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

char *text_dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int text_copy(char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);
	int cut = 0;

	if (n == 0)
		return l > 0;
	if (l >= n) {
		l = n - 1;
		cut = 1;
	}
	memcpy(dst, s, l);
	dst[l] = '\0';
	return cut;
}

size_t text_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (n == 0 || p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int text_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = text_utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}
