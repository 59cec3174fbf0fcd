/* SPDX-License-Identifier: MIT */
#include "util/errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errbuf_set(struct errbuf *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int errbuf_prefix(struct errbuf *why, const char *fmt, ...)
{
	char prefix[ERRBUF_MAX], old[ERRBUF_MAX];
	va_list ap;

	if (why == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, why->msg, sizeof(old));
	{
		size_t n = strlen(prefix);

		if (n > sizeof(why->msg) - 3)
			n = sizeof(why->msg) - 3;
		memcpy(why->msg, prefix, n);
		memcpy(why->msg + n, ": ", 2);
		n += 2;
		strncpy(why->msg + n, old, sizeof(why->msg) - n - 1);
		why->msg[sizeof(why->msg) - 1] = '\0';
	}
	return -1;
}
